"""OpenTelemetry log records as OTLP/JSON (CONTRACT §1, app logs).

An ``ExportLogsServiceRequest``: ``resourceLogs[].resource.attributes`` (where
``service.name`` lives), ``scopeLogs[].logRecords[]`` with ``timeUnixNano`` as a
string, ``severityText``/``severityNumber``, an AnyValue ``body``, AnyValue
``attributes`` and hex ``traceId``/``spanId``. Read both as one (pretty-printed)
document and as one document per line, as the collector's file exporter writes.
"""
from __future__ import annotations

import re
from typing import Any, Iterator

import orjson

from triage.ingest.base import Head, Ingestor, ParseContext, SourceFile, UnreadableSource, to_int
from triage.ingest.jsonlines import (FieldMap, http_status, duration_ms, scalar_text, short_code,
                                     small_value, split_message, stack_head, url_path)
from triage.ingest.timeparse import parse_epoch
from triage.model import Layer

MAX_DEPTH = 16
MAX_ATTRS = 20
# OTLP SeverityNumber ranges (1-4 TRACE ... 21-24 FATAL).
_SEVERITY = ((4, "trace"), (8, "debug"), (12, "info"), (16, "warn"), (20, "error"), (24, "fatal"))
_LEVEL_WORDS = {"trace", "debug", "info", "information", "informational", "notice", "warn",
                "warning", "error", "err", "fatal", "critical", "crit", "panic", "severe"}
_RECORD_ARRAYS = {'"logRecords"', '"logs"'}

FIELDS = FieldMap({
    "method": ("http.request.method", "http.method"),
    "path": ("url.path", "http.target"),
    "url": ("url.full", "http.url"),
    "status": ("http.response.status_code", "http.status_code"),
    "request_id": ("http.request.header.x-request-id", "request.id", "request_id",
                   "x-request-id", "http.request.header.x_request_id"),
    "trace_id": ("trace_id", "traceparent"),
    "client_ip": ("client.address", "http.client_ip", "client.ip", "net.peer.ip",
                  "source.address"),
    "user_agent": ("user_agent.original", "http.user_agent"),
    "upstream_host": ("peer.service", "destination.address"),
    "error_code": ("exception.type", "error.type"),
    "error_message": ("exception.message", "error.message"),
    "stack": ("exception.stacktrace",),
    "duration": ("duration_ms", "http.duration_ms"),
})
_TEXT_COLUMNS = ("request_id", "client_ip", "user_agent", "upstream_host")


def any_value(value: Any, depth: int = 0) -> Any:
    """Plain Python from an OTLP AnyValue (string/bool/int/double/bytes/array/kvlist)."""
    if not isinstance(value, dict) or depth > MAX_DEPTH:
        return value if not isinstance(value, dict) else None
    if "stringValue" in value:
        return value["stringValue"]
    if "boolValue" in value:
        return bool(value["boolValue"])
    if "intValue" in value:
        number = to_int(value["intValue"])
        # OTLP ints are int64; anything wider cannot go into a JSON report as a number
        return number if number is None or -2**63 <= number < 2**63 else str(number)
    if "doubleValue" in value:
        try:
            return float(value["doubleValue"])
        except (TypeError, ValueError):
            return None
    if "arrayValue" in value:
        items = (value["arrayValue"] or {}).get("values") or []
        return [any_value(item, depth + 1) for item in items]
    if "kvlistValue" in value:
        return key_values((value["kvlistValue"] or {}).get("values"), depth + 1)
    if "bytesValue" in value:
        return value["bytesValue"]
    return None


def key_values(items: Any, depth: int = 0) -> dict[str, Any]:
    """``[{"key": k, "value": AnyValue}, ...]`` as a dict."""
    if not isinstance(items, list):
        return {}
    found = {}
    for item in items:
        if isinstance(item, dict) and isinstance(item.get("key"), str):
            found[item["key"]] = any_value(item.get("value"), depth)
    return found


def _level(record: dict[str, Any]) -> str | None:
    text = record.get("severityText")
    if isinstance(text, str) and text.strip().lower().rstrip("0123456789") in _LEVEL_WORDS:
        return text
    number = to_int(record.get("severityNumber"))
    if number:
        for upper, word in _SEVERITY:
            if number <= upper:
                return word
    return text if isinstance(text, str) and text else None


def _timestamp(record: dict[str, Any]) -> float | None:
    for key in ("timeUnixNano", "observedTimeUnixNano"):
        raw = record.get(key)
        if raw not in (None, "", "0", 0):
            value = to_int(raw)
            if value:
                return parse_epoch(value / 1e9)
    return None


def _hex_id(value: Any) -> str | None:
    if isinstance(value, str) and value.strip("0"):
        return value
    return None


def convert_record(record: dict[str, Any], service: str | None, scope: str | None) -> dict[str, Any]:
    """An event from one logRecord with its resource's service name and scope name."""
    attributes = key_values(record.get("attributes"))
    found = FIELDS.pick(attributes)[0]
    event: dict[str, Any] = {"ts": _timestamp(record)}
    level = _level(record)
    if level:
        event["level"] = level
    if service:
        event["service"] = service
    trace = _hex_id(record.get("traceId")) or scalar_text(found.get("trace_id"))
    if trace:
        event["trace_id"] = trace
    span = _hex_id(record.get("spanId"))
    if span:
        event["span_id"] = span
    _fill_fields(event, found)
    attrs = _fill_message(event, record, found)
    if scope:
        attrs["scope"] = scope
    for key, value in attributes.items():
        if key not in FIELDS.index and len(attrs) < MAX_ATTRS:
            attrs[key] = small_value(value)
    if attrs:
        event["attrs"] = attrs
    return event


def _fill_fields(event: dict[str, Any], found: dict[str, Any]) -> None:
    for column in _TEXT_COLUMNS:
        text = scalar_text(found.get(column))
        if text is not None:
            event[column] = text
    method = found.get("method")
    if isinstance(method, str) and method.isalpha():
        event["method"] = method.upper()
    path = found.get("path")
    path = url_path(path) if isinstance(path, str) else url_path(found.get("url"))
    if path:
        event["path"] = path
    status = http_status(found.get("status"))
    if status is not None:
        event["status"] = status
    latency = duration_ms(found.get("duration"), 1.0)
    if latency is not None:
        event["latency_ms"] = latency


def _fill_message(event: dict[str, Any], record: dict[str, Any],
                  found: dict[str, Any]) -> dict[str, Any]:
    """Sets message and error; returns the attrs started with what they left over."""
    attrs: dict[str, Any] = {}
    body = any_value(record.get("body"))
    event_name = record.get("eventName")
    if isinstance(body, dict):
        text = " ".join(f"{k}={v}" for k, v in body.items())[:500]
    elif isinstance(body, list):
        text = orjson.dumps(body).decode()[:500]
    else:
        text = "" if body is None else str(body)
    message, detail = split_message(text)
    if isinstance(event_name, str) and event_name:
        message = f"{event_name} {message}".strip()
        attrs["event_name"] = event_name
    error_message = found.get("error_message")
    if isinstance(error_message, str) and error_message and error_message not in message:
        message = f"{message}: {error_message}" if message else error_message
    code = short_code(found.get("error_code"))
    if code:
        event["error"] = code
    stack = stack_head(found.get("stack"))
    if stack:
        attrs["stack"] = stack
    if detail:
        attrs["detail"] = detail
    event["message"] = message
    return attrs


def records_of(document: Any) -> Iterator[tuple[dict[str, Any], str | None, str | None]]:
    """``(logRecord, service.name, scope name)`` for every record of a request document."""
    if not isinstance(document, dict):
        return
    for resource_logs in document.get("resourceLogs") or []:
        if not isinstance(resource_logs, dict):
            continue
        resource = key_values((resource_logs.get("resource") or {}).get("attributes"))
        service = resource.get("service.name")
        service = service if isinstance(service, str) and service else None
        scopes = resource_logs.get("scopeLogs") or resource_logs.get("instrumentationLibraryLogs") or []
        for scope_logs in scopes:
            if not isinstance(scope_logs, dict):
                continue
            scope = scope_logs.get("scope") or scope_logs.get("instrumentationLibrary") or {}
            scope_name = scope.get("name") if isinstance(scope, dict) else None
            for record in scope_logs.get("logRecords") or scope_logs.get("logs") or []:
                if isinstance(record, dict):
                    yield record, service, scope_name or None


_JSON_TOKEN = re.compile(r'"(?:[^"\\]|\\.)*"|[\[\]{}]')


def element_lines(text: str, array_keys: set[str] | None) -> list[int]:
    """1-based lines where each object of the named arrays starts, in document order.

    ``array_keys`` are quoted key names (``'"logRecords"'``); None means the
    elements of a top-level array. A cheap token scan, not a full parse: the
    caller has already parsed the document and only needs line numbers.
    """
    found: list[int] = []
    stack: list[bool] = []  # for each open bracket: is it a record array?
    last_string = None
    line, pos = 1, 0
    for m in _JSON_TOKEN.finditer(text):
        token = m.group()
        if token[0] == '"':
            last_string = token
            continue
        if token == "[":
            stack.append(last_string in array_keys if array_keys is not None else not stack)
        elif token == "{":
            if stack and stack[-1]:
                line += text.count("\n", pos, m.start())
                pos = m.start()
                found.append(line)
            stack.append(False)
        elif stack:
            stack.pop()
        last_string = None
    return found


class OtelJsonIngestor(Ingestor):
    """OTLP/JSON ExportLogsServiceRequest documents, whole or one per line."""

    name = "otel-json"
    layer = Layer.APP
    description = "OpenTelemetry OTLP/JSON log records (collector file exporter, examples)"

    def sniff(self, head: Head) -> float:
        """1.0 for a document (or first line) with ``resourceLogs``; 0.9 when cut off."""
        document = head.document
        if isinstance(document, dict):
            return 1.0 if "resourceLogs" in document else 0.0
        objects = head.json_objects
        if objects and "resourceLogs" in objects[0]:
            return 1.0
        start = head.text.lstrip()[:1]
        return 0.9 if start == "{" and '"resourceLogs"' in head.text[:4096] else 0.0

    def parse(self, source: SourceFile, ctx: ParseContext) -> Iterator[dict[str, Any]]:
        """Events of every logRecord; a bad line of a line-delimited file is skipped."""
        data = source.read_bytes()
        try:
            document = orjson.loads(data)
        except orjson.JSONDecodeError:
            document = None
        if document is not None:
            yield from self._whole(document, data.decode("utf-8", "replace"))
        else:
            yield from self._lines(source, ctx)

    def _whole(self, document: Any, text: str) -> Iterator[dict[str, Any]]:
        if not isinstance(document, dict) or "resourceLogs" not in document:
            raise UnreadableSource("error", "JSON document has no resourceLogs: not OTLP logs")
        lines = element_lines(text, _RECORD_ARRAYS) if "\n" in text.strip() else []
        for index, (record, service, scope) in enumerate(records_of(document)):
            event = convert_record(record, service, scope)
            event["line"] = lines[index] if index < len(lines) else 1
            yield event

    def _lines(self, source: SourceFile, ctx: ParseContext) -> Iterator[dict[str, Any]]:
        seen_document = False
        for lineno, text in source.lines():
            if not text.strip():
                continue
            try:
                document = orjson.loads(text)
            except orjson.JSONDecodeError as exc:
                if not seen_document:
                    raise UnreadableSource("error", f"line {lineno} is not an OTLP/JSON "
                                           f"document and the file is not one either: {exc}") from None
                ctx.skip(lineno, f"not a valid otel-json line: invalid JSON ({exc})")
                continue
            if not isinstance(document, dict) or "resourceLogs" not in document:
                ctx.skip(lineno, "not a valid otel-json line: no resourceLogs")
                continue
            seen_document = True
            for record, service, scope in records_of(document):
                event = convert_record(record, service, scope)
                event["line"] = lineno
                yield event

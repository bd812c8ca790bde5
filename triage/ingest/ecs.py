"""Elastic Common Schema (ECS) JSON lines (CONTRACT §1, app logs).

ecs-logging libraries (Java, .NET, Node, Python, Go) and Elastic's own servers
write one JSON object per line with ``@timestamp``, ``log.level``, ``message``,
``service.name``, ``trace.id``/``transaction.id``/``span.id`` and ``http.*``,
``url.*``, ``error.*`` fields. Producers write the keys dotted-flat
(``"log.level": ..``), nested (``"log": {"level": ..}``) or mixed; all are read.

Large files take the rows path (``parse_rows``): ``row_reader`` decodes the
usual line (ecs-logging-java's flat keys, ecs-logging-nodejs's nested objects)
with a typed ``FieldPicker`` straight into a row, and leaves every line it
cannot read exactly as ``convert_ecs`` would to ``parse_line``.
"""
from __future__ import annotations

from functools import lru_cache
from typing import Any, Iterator, Sequence

from msgspec import UNSET

from triage.ingest.base import Head, JsonLineIngestor, ParseContext, SourceFile
from triage.ingest.ids import normalize_request_id, normalize_trace_id
from triage.ingest.jsonlines import (FieldMap, http_status, duration_ms, level_text, record_ts, scalar_text,
                                     short_code, small_value, split_message, stack_head,
                                     url_path, MAX_ATTR_CHARS, _iso_seconds)
from triage.ingest.jsonrows import IGNORED_SCALAR, FieldPicker, Int64
from triage.ingest.rows import FastRow, Row, line_rows
from triage.model import Layer

FIELDS = FieldMap({
    "ts": ("@timestamp",),
    "level": ("log.level", "level"),
    "message": ("message",),
    "service": ("service.name",),
    "trace_id": ("trace.id",),
    "span_id": ("span.id", "transaction.id"),
    "transaction_id": ("transaction.id",),
    "request_id": ("http.request.id", "http.request.headers.x-request-id",
                   "http.request.headers.X-Request-Id", "labels.request_id",
                   "labels.x_request_id"),
    "method": ("http.request.method",),
    "path": ("url.path",),
    "url": ("url.original", "url.full"),
    "status": ("http.response.status_code",),
    "duration": ("event.duration",),
    "client_ip": ("client.ip", "client.address", "source.ip", "source.address"),
    "user_agent": ("user_agent.original", "http.request.headers.user-agent"),
    "destination": ("destination.address", "destination.domain"),
    "port": ("destination.port",),
    "domain": ("url.domain",),
    "error_code": ("error.type", "error.code", "error.id"),
    "error_message": ("error.message",),
    "stack": ("error.stack_trace", "error.stack"),
    "ecs_version": ("ecs.version",),
    # attrs
    "dataset": ("event.dataset", "data_stream.dataset"),
    "logger": ("log.logger",),
    "thread": ("process.thread.name",),
    "event_code": ("event.code",),
    "outcome": ("event.outcome",),
    "query": ("url.query",),
    "x-opaque-id": ("http.request.headers.x-opaque-id", "elasticsearch.http.request.x_opaque_id"),
    "x-test-name": ("http.request.headers.x-test-name", "labels.test_name"),
    "node": ("elasticsearch.node.name", "node.name", "host.name"),
})
_TEXT_COLUMNS = ("service", "trace_id", "span_id", "request_id", "client_ip", "user_agent")
_ATTR_COLUMNS = ("dataset", "logger", "thread", "transaction_id", "event_code", "outcome",
                 "query", "x-opaque-id", "x-test-name", "node")
# Columns whose presence next to @timestamp marks a record as ECS (as does
# "log.level", but not a bare "level").
_MARKERS = ("ecs_version", "service", "trace_id", "transaction_id", "dataset",
            "logger", "thread")


def convert_ecs(obj: dict[str, Any]) -> dict[str, Any]:
    """An event from one ECS document (flat, nested or mixed keys)."""
    found, names = FIELDS.pick(obj)
    event: dict[str, Any] = {"ts": record_ts(found.get("ts"))}
    level = level_text(found.get("level"))
    if level is not None:
        event["level"] = level
    for column in _TEXT_COLUMNS:
        if column in found:
            text = scalar_text(found[column])
            if text is not None:
                event[column] = text
    attrs: dict[str, Any] = {}
    _fill_http(event, found)
    _fill_error(event, found, attrs)
    for column in _ATTR_COLUMNS:
        value = found.get(column)
        if value is not None and not isinstance(value, (dict, list)):
            attrs[column] = small_value(value)
    if attrs:
        event["attrs"] = attrs
    return event


def _fill_http(event: dict[str, Any], found: dict[str, Any]) -> None:
    method = found.get("method")
    if isinstance(method, str) and method.isalpha():
        event["method"] = method.upper()
    path = found.get("path")
    path = path if isinstance(path, str) else url_path(found.get("url"))
    if path:
        event["path"] = path
    status = http_status(found.get("status"))
    if status is not None:
        event["status"] = status
    latency = duration_ms(found.get("duration"), 1e-6)
    if latency is not None:
        event["latency_ms"] = latency
    # destination.* (or url.domain) names the dependency an outgoing call went to.
    destination = scalar_text(found.get("destination"))
    if destination is not None:
        port = scalar_text(found.get("port"))
        event["upstream_host"] = f"{destination}:{port}" if port and ":" not in destination else destination
        if status is not None:
            event["upstream_status"] = status
        if latency is not None:
            event["upstream_latency_ms"] = latency
    else:
        domain = scalar_text(found.get("domain"))
        if domain is not None:
            event["upstream_host"] = domain


def _fill_error(event: dict[str, Any], found: dict[str, Any],
                attrs: dict[str, Any]) -> None:
    message, detail = split_message(found.get("message") or "")
    error_message = found.get("error_message")
    if isinstance(error_message, str):
        first, _ = split_message(error_message)
        if first and first not in message:
            message = f"{message}: {first}" if message else first
    code = short_code(found.get("error_code"))
    if code is not None:
        event["error"] = code
    stack = stack_head(found.get("stack"))
    if stack:
        attrs["stack"] = stack
    if detail:
        attrs["detail"] = detail
    event["message"] = message


def is_ecs(obj: dict[str, Any]) -> bool:
    """Whether a JSON object is an ECS record: ``@timestamp`` plus an ECS-only key."""
    if "@timestamp" not in obj:
        return False
    found, names = FIELDS.pick(obj)
    if names.get("level") == "log.level":
        return True
    return any(column in found for column in _MARKERS)


class EcsJsonIngestor(JsonLineIngestor):
    """ECS JSON lines from ecs-logging libraries, Elasticsearch, Kibana and friends."""

    name = "ecs-json"
    layer = Layer.APP
    description = "Elastic Common Schema JSON lines (@timestamp, log.level, trace.id, ...)"

    def sniff(self, head: Head) -> float:
        """0.95 (0.9 without ecs.version) when most head objects carry ECS keys."""
        objects = head.json_objects
        if not objects or len(objects) / max(len(head.lines), 1) < 0.6:
            return 0.0
        matching = [obj for obj in objects if is_ecs(obj)]
        if len(matching) / len(objects) < 0.6:
            return 0.0
        versioned = any("ecs_version" in FIELDS.pick(obj)[0] for obj in matching)
        return 0.95 if versioned else 0.9

    def convert(self, obj: dict[str, Any]) -> dict[str, Any] | None:
        """One event per object; an empty object is not a record (None)."""
        return convert_ecs(obj) if obj else None

    def parse_rows(self, source: SourceFile, ctx: ParseContext) -> Iterator[list[Row]]:
        """``parse`` as rows: the usual ECS line (``row_reader``) straight into a
        row; any other line through ``parse_line``."""
        return line_rows(self, source, ctx, row_reader())


# The keys the row reader reads, in slot order (the order ecs-logging-java writes
# them), with the JSON type it accepts; a line holding any other field-map name
# goes through ``convert_ecs``. ecs.version and service.version are only placed
# (see FieldPicker); the names after client.address are seldom written (_SELDOM).
_HANDLED: dict[str, Any] = {
    "@timestamp": str, "log.level": str, "message": str, "ecs.version": IGNORED_SCALAR,
    "service.name": str, "service.version": IGNORED_SCALAR, "event.dataset": str,
    "process.thread.name": str, "log.logger": str, "trace.id": str, "transaction.id": str,
    "http.request.id": str, "http.request.method": str, "url.path": str,
    "http.response.status_code": Int64, "event.duration": Int64, "url.domain": str,
    "client.ip": str, "client.address": str,
    "level": str, "span.id": str, "source.ip": str, "source.address": str,
    "user_agent.original": str, "data_stream.dataset": str, "event.code": str,
    "event.outcome": str, "url.query": str, "elasticsearch.node.name": str, "node.name": str,
    "host.name": str,
}
_COMMON = list(_HANDLED).index("level")
_SELDOM = slice(_COMMON, len(_HANDLED))
_SELDOM_UNSET = (UNSET,) * (len(_HANDLED) - _COMMON)
# ECS keys convert_ecs never reads.
_IGNORED = ("service.environment", "service.type",
            "service.id", "service.node.name", "event.kind", "event.category", "event.type",
            "event.module", "event.created", "event.ingested", "event.sequence",
            "host.hostname", "host.id", "host.architecture", "process.pid", "process.name",
            "process.thread.id", "http.version", "http.request.mime_type",
            "http.response.mime_type", "url.scheme", "url.port", "user.id", "user.name",
            "span.name")
# Objects as ecs-logging-nodejs (and -python, -go) nest them: decoding is
# fastest in the order a line has.
_USUAL_ORDER = (
    "log", "process", "process.pid", "process.thread", "host", "host.hostname", "host.name", "ecs",
    "service", "event", "trace", "transaction", "span", "http", "http.version",
    "http.request", "http.response", "url", "url.domain", "client", "client.address",
    "client.ip", "user_agent")


@lru_cache(maxsize=1)
def _picker() -> FieldPicker:
    """The picker of the row reader, built on first use (it generates its Structs)."""
    return FieldPicker(FIELDS, _HANDLED, _IGNORED, _USUAL_ORDER)


def row_reader() -> FastRow:
    """A function from a line to its row (exactly ``row_of(parse_line(text))``)
    when ``FieldPicker`` reads it and its values take no unusual path in
    ``convert_ecs``; None otherwise.

    Written for speed (a million lines): one unpack, empty values ("" and "-",
    which ``FieldMap.pick`` skips) made ``UNSET`` only on the lines that have
    them, the usual timestamp read with its whole seconds cached, methods
    cached, names that repeat kept once, and the seldom-written names looked at
    only when one is there.
    """
    pick = _picker()
    methods: dict[str, str | None] = {}
    # One string object per service, dataset, logger and thread name: a million
    # events then hold (and pickle, between processes) a handful of strings.
    repeated: dict[str, str] = {}
    intern = repeated.setdefault

    def row(text: str, line: int) -> Row | None:
        values = pick(text)
        if values is None:
            return None
        usual = values[:_COMMON]
        if "-" in usual or "" in usual:
            usual = _unset_empty(usual)
        (ts_text, level, message, _, service, _, dataset, thread, logger, trace, transaction,
         request, method, path, status, duration, domain, address, client_address) = usual
        # "2026-11-21T09:00:00.035Z" as iso_ts reads it; any other spelling declines.
        if not ts_text or len(ts_text) != 24 or ts_text[19] != "." or ts_text[23] != "Z":
            return None
        millis = _MILLIS.get(ts_text[20:23])
        if millis is None or ts_text[4] != "-" or ts_text[10] != "T":
            return None
        base = _iso_seconds(ts_text[:19])  # as iso_ts reads the whole seconds (cached)
        if base is None:
            return None
        if not message:
            message, detail = "", None
        elif "\n" in message:
            message, detail = split_message(message)
        else:
            message, detail = message.rstrip("\r"), None
        if method:
            upper = methods.get(method, False)
            method = _method(method, methods) if upper is False else upper
        attrs: dict[str, Any] = {"detail": detail} if detail else {}
        if len(repeated) > _MAX_REPEATED:
            repeated.clear()
        if dataset:
            attrs["dataset"] = intern(kept := dataset[:MAX_ATTR_CHARS], kept)
        if logger:
            attrs["logger"] = intern(kept := logger[:MAX_ATTR_CHARS], kept)
        if thread:
            attrs["thread"] = intern(kept := thread[:MAX_ATTR_CHARS], kept)
        if transaction:
            attrs["transaction_id"] = transaction[:MAX_ATTR_CHARS]
        agent = span = None
        seldom = values[_SELDOM]
        if seldom != _SELDOM_UNSET:
            (level_name, span, source_ip, source_address, agent, stream_dataset, code, outcome,
             query, es_node, node, host) = _unset_empty(seldom)
            level = level or level_name
            address = address or client_address or source_ip or source_address
            _seldom_attrs(attrs, dataset or stream_dataset, code, outcome, query,
                          es_node or node or host)
        if request:
            request = normalize_request_id(request)
        if trace:
            trace = normalize_trace_id(trace)
        return (base + millis, None, intern(service, service) if service else None,
                level or None, request or None, trace or None, span or transaction or None,
                method or None, path or None,
                status if status is not UNSET and 100 <= status <= 999 else None,
                None if duration is UNSET or duration < 0 else float(duration) * 1e-6,
                domain or None, None, None, address or client_address or None, agent or None,
                message, None, attrs or None, None, line)

    return row


def _unset_empty(values: Sequence[Any]) -> tuple[Any, ...]:
    """``values`` with "" and "-" as ``UNSET``: absent, as ``FieldMap.pick`` has them."""
    return tuple(UNSET if value == "" or value == "-" else value for value in values)


_MAX_REPEATED = 10_000  # distinct names kept; past that they are not repeating
# Milliseconds as iso_ts adds them: int(digits) / 10 ** 3.
_MILLIS = {f"{number:03d}": number / 10 ** 3 for number in range(1000)}


def _method(method: str, methods: dict[str, str | None]) -> str | None:
    """An HTTP method as convert_ecs writes it (cached): upper case, letters only."""
    methods[method] = upper = method.upper() if method.isalpha() else None
    return upper


def _seldom_attrs(attrs: dict[str, Any], dataset: Any, code: Any, outcome: Any, query: Any,
                  node: Any) -> None:
    """The attrs of the seldom-written names (``UNSET`` when absent), in
    convert_ecs's order: dataset comes right after detail, so the dict is
    rebuilt when only a data_stream dataset names it."""
    if dataset and "dataset" not in attrs:
        rest = attrs.copy()
        attrs.clear()
        if "detail" in rest:
            attrs["detail"] = rest.pop("detail")
        attrs["dataset"] = dataset[:MAX_ATTR_CHARS]
        attrs.update(rest)
    for name, value in (("event_code", code), ("outcome", outcome), ("query", query),
                        ("node", node)):
        if value:
            attrs[name] = value[:MAX_ATTR_CHARS]



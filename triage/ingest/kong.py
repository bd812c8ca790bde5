"""Kong Gateway log-serializer records (file-log, http-log, tcp-log, ...).

One JSON object per line as file-log writes it, or a pretty-printed document
(one object, an array, or several objects one after another). Fields used:
``started_at`` (epoch ms), ``request{method, uri, url, headers, id}``,
``response{status, headers}``, ``latencies{request, kong, proxy}`` (ms),
``tries[{ip, port}]``, ``client_ip``, ``service``, ``route``, ``consumer``.

When Kong answers by itself (an auth or rate-limiting plugin: no upstream try),
its reason goes into the message, e.g. the ``www-authenticate`` error.
"""
from __future__ import annotations

import json
import re
from typing import Any, Iterator, Optional, TypedDict

import msgspec
import orjson

from triage.ingest.base import (HEAD_BYTES, Head, JsonLineIngestor, ParseContext, SourceFile,
                                UnreadableSource, decode, to_float, to_int)
from triage.ingest.base import LINE_ERRORS, raw_lines
from triage.ingest.nginx import as_text
from triage.ingest.rows import Row, event_rows, line_rows
from triage.ingest.timeparse import parse_any, parse_epoch
from triage.model import Layer

# Response headers kept in attrs, under their own (lower-case) names.
KEPT_RESPONSE_HEADERS = frozenset((
    "x-cache-status", "x-cache", "age", "www-authenticate", "x-kong-upstream-latency",
    "x-kong-proxy-latency", "x-kong-response-latency", "access-control-allow-origin",
    "retry-after", "x-ratelimit-limit-minute", "x-ratelimit-remaining-minute",
    "ratelimit-remaining", "x-kong-upstream-status",
))
KEPT_REQUEST_HEADERS = frozenset(("x-test-name", "origin", "x-forwarded-for", "x-kong-request-id"))
_REQUEST_ID_HEADERS = ("x-request-id", "x-kong-request-id", "kong-request-id", "x-correlation-id")
_TRACE_HEADERS = ("traceparent", "x-b3-traceid", "x-amzn-trace-id", "uber-trace-id")
_AUTH_PARAM = re.compile(r'(error|error_description)="([^"]*)"')
_MARKERS = ("latencies", "started_at", "request", "response", "tries", "client_ip",
            "upstream_uri", "service", "route")
_RAW_MARKERS = re.compile(r'"(latencies|started_at|upstream_uri|client_ip)"\s*:')




# The parts of a record the reader uses. msgspec decodes a line into plain dicts
# with only these keys, skipping the rest (routes, services, querystrings, ...)
# without building them: a Kong line is mostly what triage never reads.
class _Request(TypedDict, total=False):
    method: Any
    uri: Any
    url: Any
    id: Any
    headers: Any


class _Response(TypedDict, total=False):
    status: Any
    headers: Any
    error: Any


class _Named(TypedDict, total=False):
    name: Any
    host: Any
    id: Any
    username: Any


class _Record(TypedDict, total=False):
    request: Optional[_Request]
    response: Optional[_Response]
    latencies: Any
    tries: Any
    client_ip: Any
    started_at: Any
    upstream_uri: Any
    upstream_status: Any
    trace_id: Any
    error: Any
    service: Optional[_Named]
    route: Optional[_Named]
    consumer: Optional[_Named]


_decode_record = msgspec.json.Decoder(_Record).decode


# Per set of header names (in order): the names kept in attrs, each with its attrs
# key; False when a name is not lower-case. Producers repeat the same few sets, so
# this replaces a walk over every header of every record.
_HeaderPlan = tuple[tuple[str, str], ...]
_PLAN_LIMIT = 4096
_REQUEST_PLANS: dict[tuple[Any, ...], _HeaderPlan | bool] = {}
_RESPONSE_PLANS: dict[tuple[Any, ...], _HeaderPlan | bool] = {}


def _header_plan(headers: Any, request: bool) -> _HeaderPlan | None:
    """The plan of ``headers`` when ``_lower_headers`` would change nothing in them
    (lower-case names, string values); None otherwise."""
    if type(headers) is not dict:
        return None
    try:
        "".join(headers.values())  # the quickest way to see that all are strings
    except TypeError:
        return None
    plan = _plan_of(headers, request)
    return plan if plan is not False else None  # type: ignore[return-value]


def _plan_of(headers: dict[str, str], request: bool) -> _HeaderPlan | bool:
    """The plan of string-valued ``headers`` (cached per shape), or False when a
    name is not lower-case."""
    shape = tuple(headers)
    plans = _REQUEST_PLANS if request else _RESPONSE_PLANS
    plan = plans.get(shape)
    if plan is None:
        plan = _make_plan(shape, request)
        if len(plans) < _PLAN_LIMIT:
            plans[shape] = plan
    return plan


def _make_plan(shape: tuple[Any, ...], request: bool) -> _HeaderPlan | bool:
    if not all(type(name) is str and name.lower() == name for name in shape):
        return False
    if request:
        return tuple((name, "request_" + name) for name in shape if name in KEPT_REQUEST_HEADERS)
    return tuple((name, name) for name in shape if name in KEPT_RESPONSE_HEADERS)


def convert_record(obj: dict[str, Any]) -> dict[str, Any] | None:
    """One Kong log-serializer object -> event; None if it is not one.

    A record as Kong writes it (lower-case header names and string values, a
    number status, a latencies object) takes a fast path; anything else goes the
    general way. Both give the same event.
    """
    request, response = obj.get("request"), obj.get("response")
    if type(request) is not dict or type(response) is not dict:
        return None
    request_headers, response_headers = request.get("headers"), response.get("headers")
    request_plan = _header_plan(request_headers, True)
    response_plan = _header_plan(response_headers, False)
    latencies, status = obj.get("latencies"), response.get("status")
    if request_plan is None or response_plan is None or type(latencies) is not dict \
            or type(status) is not int:
        return _convert_general(obj)
    attrs: dict[str, Any] = {}
    for name, key in response_plan:
        if value := response_headers[name]:
            attrs[key] = value
    for name, key in request_plan:
        if value := request_headers[name]:
            attrs[key] = value
    return _fast_event(obj, request, request_headers, response_headers, latencies, status, attrs)


def _fast_event(obj: dict[str, Any], request: dict[str, Any], request_headers: dict[str, str],
                response_headers: dict[str, str], latencies: dict[str, Any], status: int,
                attrs: dict[str, Any]) -> dict[str, Any]:
    """``_convert_general``'s event for a record ``convert_record`` checked, with the
    kept headers already in ``attrs``: the same steps in the same order, inlined."""
    upstream_host, try_status, tries = _upstream(obj.get("tries"))
    if "x-cache-status" in attrs or "x-cache" in attrs:
        attrs["cache_status"] = attrs.get("x-cache-status") or attrs.get("x-cache")
    service, route, consumer = obj.get("service"), obj.get("route"), obj.get("consumer")
    if type(service) is dict and (name := service.get("name") or service.get("host")):
        attrs["kong_service"] = name
    if type(route) is dict and (name := route.get("name") or route.get("id")):
        attrs["route"] = name
    if type(consumer) is dict and (name := consumer.get("username") or consumer.get("id")):
        attrs["consumer"] = name
    if value := obj.get("upstream_uri"):
        attrs["upstream_uri"] = value
    if value := request.get("url"):
        attrs["url"] = value
    if value := request.get("id"):
        attrs["kong_request_id"] = value
    kong = _ms(latencies.get("kong"))
    if kong is not None:
        attrs["kong_latency_ms"] = kong
    method, path = _text(request.get("method")), _text(request.get("uri"))
    message = f"{method or '-'} {path or '-'} {status}"
    error = None
    if tries > 1:
        attrs["tries"] = tries
    if "x-kong-upstream-latency" in response_headers:
        answered = False
    else:
        answered = "x-kong-response-latency" in response_headers or (status >= 400 and not tries)
    if answered:
        attrs["answered_by"] = "kong"
        if status >= 400:
            error, reason = kong_reason(obj, status, response_headers)
            if reason:
                message += f" {reason}"
    proxy = _ms(latencies.get("proxy"))
    upstream_status = obj.get("upstream_status")
    header_status = response_headers.get("x-kong-upstream-status")
    if upstream_status is not None or header_status is not None:
        upstream_status = to_int(upstream_status) or to_int(header_status) or try_status
    else:
        upstream_status = try_status
    started = obj.get("started_at")
    return {
        "ts": parse_epoch(started) if type(started) in (int, float) else parse_any(started),
        "method": method, "path": path, "status": status,
        "latency_ms": _ms(latencies.get("request")),
        "upstream_host": upstream_host, "upstream_status": upstream_status,
        "upstream_latency_ms": proxy if proxy is not None and proxy >= 0 else None,
        "request_id": _text(_request_id(request, request_headers, response_headers)),
        "trace_id": _text(_trace_id(obj, request_headers)),
        "client_ip": _text(obj.get("client_ip")),
        "user_agent": _text(request_headers.get("user-agent")),
        "error": error, "message": message, "attrs": attrs,
    }


def _text(value: Any) -> str | None:
    """``as_text`` with the usual case (a string) first."""
    if type(value) is str:
        return value if value != "" and value != "-" else None
    return as_text(value)


def _lower_headers(headers: Any) -> dict[str, Any]:
    """Header names lower-cased and repeated headers joined (Kong's are usually both)."""
    if not isinstance(headers, dict):
        return {}
    for key, value in headers.items():
        if not key.islower() or isinstance(value, list):
            break
    else:
        return headers
    lowered = {}
    for key, value in headers.items():
        if isinstance(value, list):  # a header sent more than once
            value = ", ".join(str(v) for v in value)
        lowered[key.lower()] = value
    return lowered


def _trace_id(obj: dict[str, Any], request_headers: dict[str, Any]) -> Any:
    return first_header(request_headers, _TRACE_HEADERS) or _record_trace(obj.get("trace_id"))


def first_header(headers: dict[str, Any], names: tuple[str, ...]) -> Any:
    """The value of the first of ``names`` that ``headers`` has non-empty, or None."""
    for name in names:
        if headers.get(name):
            return headers[name]
    return None


def _record_trace(trace: Any) -> str | None:
    """The id in a record's own ``trace_id``: Kong 3.x writes ``{"w3c": "...", "b3": ...}``
    or a string."""
    if isinstance(trace, dict):
        return next((v for v in trace.values() if isinstance(v, str) and v), None)
    return trace if isinstance(trace, str) and trace else None


def _request_id(request: dict[str, Any], request_headers: dict[str, Any],
                response_headers: dict[str, Any]) -> Any:
    # The client's X-Request-ID is the id the other layers log too, so it beats
    # Kong's own request.id (kept in attrs).
    return (first_header(request_headers, _REQUEST_ID_HEADERS) or request.get("id")
            or first_header(response_headers, _REQUEST_ID_HEADERS))


def _upstream(tries: Any) -> tuple[str | None, int | None, int]:
    """``(host:port of the last try, its status if Kong logged one, number of tries)``."""
    if type(tries) is list and tries:  # the usual last try, made cheap
        last = tries[-1]
        if type(last) is dict:
            ip, port = last.get("ip"), last.get("port")
            if type(ip) is str and type(port) is int and ip != "" and ip != "-" \
                    and last.get("code") is None:
                return (f"[{ip}]:{port}" if ":" in ip else f"{ip}:{port}"), None, len(tries)
    if not isinstance(tries, list) or not tries or not isinstance(tries[-1], dict):
        return None, None, 0
    last = tries[-1]
    ip, port = as_text(last.get("ip")), as_text(last.get("port"))
    host = None
    if ip:
        host = f"[{ip}]:{port}" if ":" in ip and port else (f"{ip}:{port}" if port else ip)
    return host, to_int(last.get("code")), len(tries)


_GATEWAY_ERRORS = {
    502: ("bad_gateway", "upstream connection failed"),
    503: ("no_upstream_available", "no upstream available"),
    504: ("upstream_timeout", "upstream timed out"),
}


def answered_by_kong(status: int | None, tries: int, response_headers: dict[str, Any]) -> bool:
    """True when Kong made the response itself rather than relaying the upstream's."""
    if "x-kong-upstream-latency" in response_headers:
        return False
    if "x-kong-response-latency" in response_headers:
        return True
    return status is not None and status >= 400 and not tries


def kong_reason(obj: dict[str, Any], status: int | None,
                response_headers: dict[str, Any]) -> tuple[str | None, str | None]:
    """``(error code, human reason)`` for a response Kong made itself, if it says why."""
    auth = response_headers.get("www-authenticate")
    if isinstance(auth, str):
        params = dict(_AUTH_PARAM.findall(auth))
        if params.get("error"):
            reason = params["error"]
            if params.get("error_description"):
                reason += f": {params['error_description']}"
            return params["error"], reason
    if status == 429:
        spent = [name for name in ("x-ratelimit-remaining-minute", "ratelimit-remaining")
                 if str(response_headers.get(name)) == "0"]
        return "rate_limited", "API rate limit exceeded" + (f" ({spent[0]}: 0)" if spent else "")
    error = obj.get("error") or (obj.get("response") or {}).get("error")
    if isinstance(error, dict):
        error = error.get("message") or error.get("error")
    if isinstance(error, str) and error:
        return None, error
    return _GATEWAY_ERRORS.get(status or 0, (None, None))


def _ms(value: Any) -> float | None:
    if type(value) is int or type(value) is float:
        return float(value)
    return to_float(value)


def _attrs(obj: dict[str, Any], request: dict[str, Any], request_headers: dict[str, Any],
           response_headers: dict[str, Any], latencies: dict[str, Any]) -> dict[str, Any]:
    attrs: dict[str, Any] = {name: value for name, value in response_headers.items()
                             if name in KEPT_RESPONSE_HEADERS and value not in (None, "")}
    for name, value in request_headers.items():
        if name in KEPT_REQUEST_HEADERS and value not in (None, ""):
            attrs["request_" + name] = value
    if "x-cache-status" in attrs or "x-cache" in attrs:
        attrs["cache_status"] = attrs.get("x-cache-status") or attrs.get("x-cache")
    service, route, consumer = obj.get("service"), obj.get("route"), obj.get("consumer")
    if type(service) is dict and (service.get("name") or service.get("host")):
        attrs["kong_service"] = service.get("name") or service["host"]
    if type(route) is dict and (route.get("name") or route.get("id")):
        attrs["route"] = route.get("name") or route["id"]
    if type(consumer) is dict and (consumer.get("username") or consumer.get("id")):
        attrs["consumer"] = consumer.get("username") or consumer["id"]
    if obj.get("upstream_uri"):
        attrs["upstream_uri"] = obj["upstream_uri"]
    if request.get("url"):
        attrs["url"] = request["url"]
    if request.get("id"):
        attrs["kong_request_id"] = request["id"]
    kong = _ms(latencies.get("kong"))
    if kong is not None:
        attrs["kong_latency_ms"] = kong
    return attrs


def _convert_general(obj: dict[str, Any]) -> dict[str, Any] | None:
    """``convert_record`` for any record: headers lower-cased and joined first."""
    request, response = obj.get("request"), obj.get("response")
    if type(request) is not dict or type(response) is not dict:
        return None
    request_headers = _lower_headers(request.get("headers"))
    response_headers = _lower_headers(response.get("headers"))
    latencies = obj.get("latencies")
    if type(latencies) is not dict:
        latencies = {}
    status = response.get("status")
    if type(status) is not int:
        status = to_int(status)
    upstream_host, try_status, tries = _upstream(obj.get("tries"))
    attrs = _attrs(obj, request, request_headers, response_headers, latencies)
    method, path = as_text(request.get("method")), as_text(request.get("uri"))
    message = f"{method or '-'} {path or '-'} {status}"
    error = None
    if tries > 1:
        attrs["tries"] = tries
    if answered_by_kong(status, tries, response_headers):
        attrs["answered_by"] = "kong"
        if status is not None and status >= 400:
            error, reason = kong_reason(obj, status, response_headers)
            if reason:
                message += f" {reason}"
    proxy = _ms(latencies.get("proxy"))
    upstream_status = to_int(obj.get("upstream_status")) or to_int(
        response_headers.get("x-kong-upstream-status")) or try_status
    started = obj.get("started_at")
    return {
        "ts": parse_epoch(started) if type(started) in (int, float) else parse_any(started),
        "method": method,
        "path": path,
        "status": status,
        "latency_ms": _ms(latencies.get("request")),
        "upstream_host": upstream_host,
        "upstream_status": upstream_status,
        "upstream_latency_ms": proxy if proxy is not None and proxy >= 0 else None,
        "request_id": as_text(_request_id(request, request_headers, response_headers)),
        "trace_id": as_text(_trace_id(obj, request_headers)),
        "client_ip": as_text(obj.get("client_ip")),
        "user_agent": as_text(request_headers.get("user-agent")),
        "error": error,
        "message": message,
        "attrs": attrs,
    }


def _is_kong(obj: Any) -> bool:
    return isinstance(obj, dict) and sum(1 for key in _MARKERS if key in obj) >= 4 \
        and isinstance(obj.get("request"), dict) and isinstance(obj.get("response"), dict)


class KongJsonIngestor(JsonLineIngestor):
    """Kong file-log / http-log JSON, one object per line or pretty-printed."""

    name = "kong-json"
    layer = Layer.GATEWAY
    description = "Kong Gateway file-log / http-log JSON (latencies, tries, headers)"

    def sniff(self, head: Head) -> float:
        """0.97 x the share of Kong records (per line, or in a whole-document head);
        0.8 for a pretty-printed document longer than the head that has Kong's keys."""
        objects = head.json_objects[:20]
        if objects and len(objects) >= len(head.lines[:20]) / 2:
            return 0.97 * sum(1 for obj in objects if _is_kong(obj)) / len(objects)
        doc = head.document
        if isinstance(doc, dict):
            return 0.97 if _is_kong(doc) else 0.0
        if isinstance(doc, list):
            items = [item for item in doc[:20] if isinstance(item, dict)]
            return 0.97 * sum(1 for item in items if _is_kong(item)) / len(items) if items else 0.0
        # A pretty-printed document longer than the head: judge by its keys.
        if head.text.lstrip()[:1] in ("{", "[") and len(set(_RAW_MARKERS.findall(head.text))) >= 3:
            return 0.8
        return 0.0

    def convert(self, obj: dict[str, Any]) -> dict[str, Any] | None:
        return convert_record(obj)

    def parse(self, source: SourceFile, ctx: ParseContext) -> Iterator[dict[str, Any]]:
        """Line by line when an early line is a whole object, else as one document."""
        if _json_lines(decode(source.read_bytes(HEAD_BYTES))):
            return self._parse_lines(source, ctx)
        return self._parse_document(source, ctx)

    def splittable(self, head: Head) -> bool:
        return _json_lines(head.text)

    def parse_rows(self, source: SourceFile, ctx: ParseContext) -> Iterator[list[Row]] | None:
        """``parse`` as rows. A file of one record per line: a record as Kong writes
        it straight into a row, any other line through ``event_of_line``. A
        pretty-printed document: ``parse``'s events, each as its row (no faster way;
        the rows keep ``read_source`` on one path for every Kong file)."""
        from triage.ingest.kong_rows import record_row_reader  # it builds on this module

        if not _json_lines(decode(source.read_bytes(HEAD_BYTES))):
            return event_rows(self._parse_document(source, ctx))
        return line_rows(self, source, ctx, record_row_reader(), raw=True)

    def _parse_lines(self, source: SourceFile, ctx: ParseContext) -> Iterator[dict[str, Any]]:
        """``JsonLineIngestor.parse``, faster: each raw line through ``event_of_line``."""
        event_of_line = self.event_of_line
        for lineno, line in enumerate(raw_lines(source), 1):
            event = event_of_line(lineno, line, ctx)
            if event is not None:
                yield event

    def event_of_line(self, lineno: int, line: bytes | str,
                      ctx: ParseContext) -> dict[str, Any] | None:
        """The event of one line (bytes as read, or text), or None: blank, or skipped in ``ctx``.

        msgspec reads the used parts of the line (orjson all of it where the parts
        are not as Kong writes them); only a line neither can read is decoded and
        handed to ``parse_line``, for the same skip (or, after a byte order mark or
        bad UTF-8, the same event).
        """
        try:
            obj = _decode_record(line)
        except (msgspec.MsgspecError, ValueError, RecursionError):
            # not a record as Kong writes it: read it all
            try:
                obj = orjson.loads(line)
            except orjson.JSONDecodeError:
                obj = None
        try:
            if type(obj) is dict:
                event = convert_record(obj)
            else:
                text = line if type(line) is str else decode(line).rstrip("\r\n")
                if not text or text.isspace():
                    return None
                event = self.parse_line(text)
        except LINE_ERRORS as exc:
            ctx.skip(lineno, f"not a valid {self.name} line: {type(exc).__name__}: {exc}")
            return None
        if event is None:
            text = line if type(line) is str else decode(line).rstrip("\r\n")
            ctx.skip_line(lineno, f"not a valid {self.name} line", text)
            return None
        event["line"] = lineno
        return event

    def _parse_document(self, source: SourceFile, ctx: ParseContext) -> Iterator[dict[str, Any]]:
        text = source.read_text()
        for lineno, value in _documents(text, ctx):
            items = value if isinstance(value, list) else [value]
            for item in items:
                event = convert_record(item) if isinstance(item, dict) else None
                if event is None:
                    ctx.skip(lineno, "not a Kong log record (no request/response objects)")
                    continue
                event["line"] = lineno
                yield event


def _loads_object(text: str) -> bool:
    if not (text.startswith("{") and text.endswith("}")):
        return False
    try:
        return isinstance(orjson.loads(text), dict)
    except orjson.JSONDecodeError:
        return False


def _json_lines(start: str) -> bool:
    """Whether a file beginning with ``start`` holds one object per line: one whole
    object on any early line says so (the first may be broken)."""
    start = start.lstrip()
    lines = [line.strip() for line in start.split("\n")[:-1] if line.strip()][:5]
    return "\n" not in start or any(_loads_object(line) for line in lines)


def _documents(text: str, ctx: ParseContext) -> Iterator[tuple[int, Any]]:
    """``(start line, value)`` of each JSON value in ``text``, one after another.

    Stops at the first broken value (recorded as a skip): without line
    boundaries there is no safe place to resume.
    """
    decoder = json.JSONDecoder()
    position, lineno, length = 0, 1, len(text)
    decoded = False
    while True:
        start = position
        while position < length and text[position] in " \t\r\n,":
            position += 1
        lineno += text.count("\n", start, position)
        if position >= length:
            return
        try:
            value, end = decoder.raw_decode(text, position)
        except (json.JSONDecodeError, RecursionError) as exc:
            if not decoded:
                raise UnreadableSource("error", f"not a Kong JSON document: {exc}") from None
            where = exc.pos if isinstance(exc, json.JSONDecodeError) else position
            ctx.skip(lineno + text.count("\n", position, where),
                     f"invalid JSON in Kong log document, rest of file not read: {exc}")
            return
        decoded = True
        yield lineno, value
        lineno += text.count("\n", position, end)
        position = end

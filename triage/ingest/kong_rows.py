"""Kong's rows path (``KongJsonIngestor.parse_rows``, ``triage.ingest.rows``).

A file-log record as Kong writes it is decoded into msgspec Structs holding only
what the row needs, and its row built straight from them; every other line takes
``KongJsonIngestor.event_of_line``, the dict path. A pretty-printed document's
events are turned into rows as they are.
"""
from __future__ import annotations

from typing import Any, Optional, Union

import msgspec

from triage.ingest.base import to_int
from triage.ingest.ids import normalize_request_id, normalize_trace_id
from triage.ingest.kong import (_REQUEST_ID_HEADERS, _REQUEST_PLANS, _RESPONSE_PLANS, _TRACE_HEADERS,
                                _HeaderPlan, _plan_of, _record_trace, _text, first_header)
from triage.ingest.nginx import as_text
from triage.ingest.rows import FastRow, Row
from triage.ingest.timeparse import _MAX_TS, parse_epoch

# The rows path (``KongJsonIngestor.parse_rows``): a record as Kong writes it,
# decoded into Structs that hold only what the row needs. Types are strict where
# the dict path's fast case relies on them (string headers, an int status, number
# latencies, an object for each named part) so that a line off that shape fails
# to decode and goes the dict way; where the dict path takes any value, so does
# the Struct (``Any``).
class _RowRequest(msgspec.Struct, kw_only=True, gc=False):
    headers: dict[str, str]
    method: Any = None
    uri: Any = None
    url: Any = None
    id: Any = None


class _RowResponse(msgspec.Struct, kw_only=True, gc=False):
    status: int
    headers: dict[str, str]


class _RowLatencies(msgspec.Struct, gc=False):
    request: Union[int, float, None] = None
    kong: Union[int, float, None] = None
    proxy: Union[int, float, None] = None


class _RowTry(msgspec.Struct, gc=False):
    ip: Any = None
    port: Any = None
    code: Any = None


class _RowService(msgspec.Struct, gc=False):
    name: Any = None
    host: Any = None


class _RowRoute(msgspec.Struct, gc=False):
    name: Any = None
    id: Any = None


class _RowConsumer(msgspec.Struct, gc=False):
    username: Any = None
    id: Any = None


class _RowRecord(msgspec.Struct, kw_only=True, gc=False):
    request: _RowRequest
    response: _RowResponse
    latencies: _RowLatencies
    started_at: Union[int, float]
    tries: Optional[list[_RowTry]] = None
    client_ip: Any = None
    upstream_uri: Any = None
    upstream_status: Any = None
    trace_id: Any = None
    service: Optional[_RowService] = None
    route: Optional[_RowRoute] = None
    consumer: Optional[_RowConsumer] = None


def record_row_reader() -> FastRow:
    """A function from a JSON line to its row when the line is a record as Kong
    writes it (the row ``event_of_line`` and ``row_of`` give), else None.

    It declines what the dict path treats specially: a line that does not decode
    into ``_RowRecord``, header names not in lower case, a last try that carries
    a status code, and a 4xx/5xx that Kong answered itself (its reason).
    """
    decode_row = msgspec.json.Decoder(_RowRecord).decode
    request_plans, response_plans = _REQUEST_PLANS, _RESPONSE_PLANS

    def row(text: str, line: int) -> Row | None:
        try:
            record = decode_row(text)
        except (msgspec.MsgspecError, ValueError, RecursionError):
            return None
        request, response, latencies = record.request, record.response, record.latencies
        request_headers, response_headers = request.headers, response.headers
        try:
            request_plan = request_plans[tuple(request_headers)]
            response_plan = response_plans[tuple(response_headers)]
        except KeyError:
            request_plan = _plan_of(request_headers, True)
            response_plan = _plan_of(response_headers, False)
        if request_plan is False or response_plan is False:
            return None
        tries = record.tries
        if tries:
            last = tries[-1]
            ip, port = last.ip, last.port
            if type(ip) is not str or type(port) is not int or ip == "" or ip == "-" \
                    or last.code is not None:
                return None
            upstream_host, count = (f"[{ip}]:{port}" if ":" in ip else f"{ip}:{port}"), len(tries)
        else:
            upstream_host, count = None, 0
        status = response.status
        if "x-kong-upstream-latency" in response_headers:
            answered = False
        else:
            answered = "x-kong-response-latency" in response_headers \
                or (status >= 400 and not count)
            if answered and status >= 400:  # its reason: the dict path's kong_reason
                return None
        attrs = _row_attrs(record, request, response_plan, request_plan, count, answered)
        method, path = request.method, request.uri
        method = (method if method != "" and method != "-" else None) if type(method) is str \
            else as_text(method)
        path = (path if path != "" and path != "-" else None) if type(path) is str \
            else as_text(path)
        upstream_status = record.upstream_status
        header_status = response_headers.get("x-kong-upstream-status")
        if upstream_status is not None or header_status is not None:
            # ``or None``: a zero counts as no status there (the last try's, None here)
            upstream_status = to_int(upstream_status) or to_int(header_status) or None
        started = record.started_at
        if 1e11 < started <= 1e14:  # epoch ms, as Kong writes it: parse_epoch's steps
            ts = started / 1e3
            ts = ts if ts < _MAX_TS else None
        else:
            ts = parse_epoch(started)
        elapsed, proxy, agent, client = latencies.request, latencies.proxy, \
            request_headers.get("user-agent"), record.client_ip
        return (ts, None, None, None, _row_request_id(request, request_headers, response_headers),
                _row_trace_id(request_headers, record.trace_id), None,
                method, path, status, float(elapsed) if elapsed is not None else None,
                upstream_host, upstream_status,
                float(proxy) if proxy is not None and proxy >= 0 else None,
                (client if client != "" and client != "-" else None) if type(client) is str
                else as_text(client),
                agent if agent and agent != "-" else None,
                f"{method or '-'} {path or '-'} {status}", None, attrs, None, line)

    return row


def _row_attrs(record: _RowRecord, request: _RowRequest, response_plan: _HeaderPlan,
               request_plan: _HeaderPlan, tries: int, answered: bool) -> dict[str, Any]:
    """``attrs`` as ``_fast_event`` builds them, key for key in the same order."""
    attrs: dict[str, Any] = {}
    headers = record.response.headers
    for name, key in response_plan:
        if value := headers[name]:
            attrs[key] = value
    headers = request.headers
    for name, key in request_plan:
        if value := headers[name]:
            attrs[key] = value
    if "x-cache-status" in attrs or "x-cache" in attrs:
        attrs["cache_status"] = attrs.get("x-cache-status") or attrs.get("x-cache")
    service, route, consumer = record.service, record.route, record.consumer
    if service is not None and (name := service.name or service.host):
        attrs["kong_service"] = name
    if route is not None and (name := route.name or route.id):
        attrs["route"] = name
    if consumer is not None and (name := consumer.username or consumer.id):
        attrs["consumer"] = name
    if value := record.upstream_uri:
        attrs["upstream_uri"] = value
    if value := request.url:
        attrs["url"] = value
    if value := request.id:
        attrs["kong_request_id"] = value
    kong = record.latencies.kong
    if kong is not None:
        attrs["kong_latency_ms"] = float(kong)
    if tries > 1:
        attrs["tries"] = tries
    if answered:
        attrs["answered_by"] = "kong"
    return attrs


def _row_request_id(request: _RowRequest, request_headers: dict[str, str],
                    response_headers: dict[str, str]) -> str | None:
    """``normalize_request_id(_text(_request_id(...)))`` for a decoded ``_RowRecord``."""
    raw = (first_header(request_headers, _REQUEST_ID_HEADERS) or request.id
           or first_header(response_headers, _REQUEST_ID_HEADERS))
    return normalize_request_id(_text(raw))


def _row_trace_id(request_headers: dict[str, str], field: Any) -> str | None:
    """``normalize_trace_id(_text(_trace_id(...)))`` for a decoded ``_RowRecord``."""
    return normalize_trace_id(_text(first_header(request_headers, _TRACE_HEADERS) or _record_trace(field)))

"""Traefik access logs: JSON (``accessLog.format=json``) and CLF.

JSON records carry ``StartUTC``, ``RequestMethod``, ``RequestPath``,
``DownstreamStatus``, ``OriginStatus``, ``Duration``/``OriginDuration`` (nanoseconds),
``ClientHost``, ``ServiceAddr``/``ServiceURL`` (v2+) or ``BackendAddr``/``BackendURL``
(v1), ``RouterName``/``FrontendName`` and kept headers as ``request_<Name>``,
``origin_<Name>`` and ``downstream_<Name>`` keys.

CLF is nginx ``combined`` followed by ``<request count> "<router>" "<server URL>"
<duration>ms``.
"""
from __future__ import annotations

import re
from typing import Any

from triage.ingest.base import Head, JsonLineIngestor, LineIngestor, to_float, to_int
from triage.ingest.nginx import CLF_HEAD, as_text, combined_event, strip_port
from triage.ingest.timeparse import parse_any
from triage.model import Layer

_CLF_PREFIX = CLF_HEAD + r' "(?P<referer>[^"]*)" "(?P<ua>[^"]*)" (?P<count>\d+|-) '
_CLF = re.compile(
    _CLF_PREFIX + r'"(?P<router>[^"]*)" "(?P<backend>[^"]*)" (?P<duration>\d+(?:\.\d+)?)ms\s*$')
# Upstream writes router names unescaped, so a stray quote breaks the strict form;
# the status, time and duration are still sound.
_CLF_LOOSE = re.compile(_CLF_PREFIX + r'(?P<trailer>.*?) ?(?P<duration>\d+(?:\.\d+)?)ms\s*$')

# Header names (lower-case) worth keeping in attrs, wherever Traefik logged them.
KEPT_HEADERS = {"x-request-id", "x-test-name", "x-cache-status", "x-cache", "age",
                "www-authenticate", "access-control-allow-origin", "origin",
                "retry-after", "traceparent", "x-amzn-trace-id", "x-forwarded-for"}
_HEADER_PREFIXES = ("request_", "origin_", "downstream_")
_TRACE_HEADERS = ("traceparent", "x-b3-traceid", "x-amzn-trace-id")
_MARKERS = ("DownstreamStatus", "RequestMethod", "StartUTC", "OriginStatus", "RouterName",
            "FrontendName", "ClientHost", "RequestPath", "Duration", "entryPointName")


def _headers(obj: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """``{"request": {"x-request-id": ...}, "origin": {...}, "downstream": {...}}``."""
    found: dict[str, dict[str, Any]] = {"request": {}, "origin": {}, "downstream": {}}
    for key, value in obj.items():
        if key[:1].islower() and "_" in key:
            side, _, name = key.partition("_")
            if side in found and name:
                found[side][name.lower()] = value
    return found


def _kept(headers: dict[str, dict[str, Any]]) -> dict[str, Any]:
    kept: dict[str, Any] = {}
    for side in ("request", "downstream", "origin"):
        for name, value in headers[side].items():
            text = as_text(value)
            if text is not None and (name in KEPT_HEADERS or "cache" in name):
                kept.setdefault(f"{side}_{name}", text)
    cache = as_text(headers["downstream"].get("x-cache-status") or headers["downstream"].get("x-cache"))
    if cache:
        kept["cache_status"] = cache
    return kept


def _upstream_host(obj: dict[str, Any]) -> str | None:
    for key in ("ServiceAddr", "BackendAddr"):
        if isinstance(obj.get(key), str) and obj[key] not in ("", "-"):
            return obj[key]
    for key in ("ServiceURL", "BackendURL"):
        url = obj.get(key)
        if isinstance(url, dict) and isinstance(url.get("Host"), str) and url["Host"]:
            return url["Host"]
        if isinstance(url, str) and "://" in url:
            return url.split("://", 1)[1].split("/", 1)[0] or None
    return None


def _ns_to_ms(value: Any) -> float | None:
    ns = to_float(value)
    return None if ns is None else round(ns / 1e6, 3)


def convert_json(obj: dict[str, Any]) -> dict[str, Any] | None:
    """One Traefik JSON access record -> event; None if it is not one."""
    if "DownstreamStatus" not in obj and "RequestMethod" not in obj:
        return None
    headers = _headers(obj)
    method, path = as_text(obj.get("RequestMethod")), as_text(obj.get("RequestPath"))
    status = to_int(obj.get("DownstreamStatus"))
    origin_status = to_int(obj.get("OriginStatus")) or None  # 0: the origin never answered
    router = as_text(obj.get("RouterName")) or as_text(obj.get("FrontendName"))
    attrs = _kept(headers)
    for key, name in (("RouterName", "router"), ("FrontendName", "frontend"),
                      ("ServiceName", "traefik_service"), ("BackendName", "backend"),
                      ("entryPointName", "entry_point"), ("RequestHost", "host")):
        text = as_text(obj.get(key))
        if text not in (None, "", "-"):
            attrs[name] = text
    if to_int(obj.get("RetryAttempts")):
        attrs["retry_attempts"] = to_int(obj.get("RetryAttempts"))
    error = detail = None
    if status is not None and status >= 400 and (not router or router == "backend not found"):
        error, detail = "no_route", "no router matched"
    elif status is not None and status >= 500 and origin_status is None:
        error, detail = "origin_no_response", "no response from the origin"
    message = f"{method or '-'} {path or '-'} {status}"
    trace = next((headers["request"][h] for h in _TRACE_HEADERS if h in headers["request"]),
                 obj.get("TraceId"))
    client = as_text(obj.get("ClientHost")) or strip_port(as_text(obj.get("ClientAddr")))
    return {
        "ts": parse_any(obj.get("StartUTC") or obj.get("StartLocal") or obj.get("time")),
        "method": method,
        "path": path,
        "status": status,
        "latency_ms": _ns_to_ms(obj.get("Duration")),
        "upstream_host": _upstream_host(obj),
        "upstream_status": origin_status,
        "upstream_latency_ms": _ns_to_ms(obj.get("OriginDuration")) if origin_status else None,
        "request_id": as_text(headers["request"].get("x-request-id")),
        "trace_id": as_text(trace),
        "span_id": as_text(obj.get("SpanId")),
        "client_ip": client,
        "user_agent": as_text(headers["request"].get("user-agent")),
        "level": as_text(obj.get("level")),
        "error": error,
        "message": f"{message} ({detail})" if detail else message,
        "attrs": attrs,
    }


class TraefikJsonIngestor(JsonLineIngestor):
    """Traefik v1/v2/v3 JSON access log."""

    name = "traefik-json"
    layer = Layer.INGRESS
    description = "Traefik JSON access log (router, service, origin status and duration)"

    def sniff(self, head: Head) -> float:
        """0.97 x the share of objects with 4+ Traefik keys (``DownstreamStatus``, ...)."""
        objects = head.json_objects[:20]
        if not objects or len(objects) < len(head.lines[:20]) / 2:
            return 0.0
        hits = sum(1 for obj in objects if sum(1 for key in _MARKERS if key in obj) >= 4)
        return 0.97 * hits / len(objects)

    def convert(self, obj: dict[str, Any]) -> dict[str, Any] | None:
        return convert_json(obj)


def parse_clf(text: str) -> dict[str, Any] | None:
    """One Traefik CLF line -> event, or None if it is not one."""
    m = _CLF.match(text)
    loose = m is None
    if loose:
        m = _CLF_LOOSE.match(text)
        if m is None:
            return None
    event = combined_event(m)
    attrs = event["attrs"]
    event["latency_ms"] = float(m["duration"])
    if m["count"] != "-":
        attrs["request_count"] = int(m["count"])
    if loose:
        attrs["malformed_trailer"] = m["trailer"]
        return event
    if m["router"] not in ("", "-"):
        attrs["router"] = m["router"]
    backend = m["backend"]
    if backend not in ("", "-"):
        attrs["backend_url"] = backend
        event["upstream_host"] = backend.split("://", 1)[-1].split("/", 1)[0] or None
    return event


class TraefikClfIngestor(LineIngestor):
    """Traefik's common-log-format access log."""

    name = "traefik-clf"
    layer = Layer.INGRESS
    description = 'Traefik CLF access log (combined + count "router" "backend URL" Nms)'

    def sniff(self, head: Head) -> float:
        """0.9 x the share of Traefik CLF lines (above nginx-combined, which they also are)."""
        lines = head.lines[:20]
        if not lines:
            return 0.0
        strict = loose = 0
        for line in lines:
            if _CLF.match(line):
                strict += 1
            elif _CLF_LOOSE.match(line):
                loose += 1
        if not strict:
            return 0.0
        return 0.9 * (strict + loose) / len(lines)

    def parse_line(self, text: str) -> dict[str, Any] | None:
        return parse_clf(text)

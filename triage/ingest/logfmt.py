"""logfmt: ``key=value key2="quoted value"`` lines (CONTRACT §1, app logs).

Covers logrus' text formatter (``time="..." level=info msg="..."``), Heroku
router lines (``at=info method=GET path=/ request_id=... service=8ms``) and
l2met ``measure#...`` lines. Container output often mixes in other lines: klog
(``E1219 01:18:53.299220 1 file.go:138] msg``) and timestamped text lines become
events too, indented lines continue the event before, and anything else is kept
as a plain event rather than skipped.
"""
from __future__ import annotations

import re
from typing import Any, Iterator

from triage.ingest.base import Head, LineIngestor, ParseContext, SourceFile
from triage.ingest.jsonlines import (FieldMap, http_status, duration_ms, record_ts, short_code, small_value,
                                     split_message, unit_of, url_path)
from triage.ingest.text import Joiner, YearFixer, parse_klog, parse_stamped, plain_event
from triage.model import Layer

# One token: key=value, key="quoted value" or a bare word. A key never starts
# with "<", which keeps XML attribute lines out.
_KEY = r'[^\s="<][^\s="]*'
_VALUE = r'(?:"(?:[^"\\]|\\.)*"|[^\s"]*)'
# Anything else that is not whitespace: the line is not logfmt.
_TOKEN = re.compile(rf"({_KEY})(?:(=)({_VALUE}))?|(\S)")
_ESCAPE = re.compile(r"\\(.)")
_ESCAPES = {"n": "\n", "t": "\t", "r": "\r"}
_WORD_LEVELS = {"trace", "debug", "info", "notice", "warn", "warning", "error", "err",
                "fatal", "critical", "crit", "panic", "alert", "emerg"}

FIELDS = FieldMap({
    "ts": ("time", "ts", "timestamp", "t", "@timestamp", "date", "datetime"),
    "level": ("level", "lvl", "severity", "loglevel", "log.level"),
    "message": ("msg", "message", "desc", "description"),
    "request_id": ("request_id", "req_id", "x_request_id", "requestId", "requestID",
                   "request-id", "x-request-id", "reqid", "http.request.id", "correlation_id"),
    "trace_id": ("trace_id", "traceID", "traceId", "trace-id", "trace.id", "dd.trace_id",
                 "traceparent"),
    "span_id": ("span_id", "spanID", "spanId", "span.id", "dd.span_id"),
    "method": ("method", "http.method", "http_method", "verb"),
    "path": ("path", "uri", "url", "http.path", "request_uri", "http.url", "url.path"),
    "status": ("status", "status_code", "http.status", "http.status_code", "response_status"),
    "client_ip": ("fwd", "client_ip", "remote_addr", "remote_ip", "ip", "client"),
    "user_agent": ("user_agent", "ua", "http.user_agent"),
    "upstream_host": ("upstream", "upstream_host", "upstream_addr", "backend"),
    "error_code": ("error_code", "err_code", "error.type", "error_type"),
    "error_text": ("error", "err"),
    "latency": ("duration_ms", "latency_ms", "elapsed_ms", "took_ms", "grpc.time_ms", "duration",
                "latency", "elapsed", "took", "request_time", "response_time"),
})
_UNITS = {"duration_ms": 1.0, "latency_ms": 1.0, "elapsed_ms": 1.0, "took_ms": 1.0,
          "grpc.time_ms": 1.0, "request_time": 1000.0}
_TEXT_COLUMNS = ("request_id", "trace_id", "span_id", "client_ip", "user_agent", "upstream_host")
_MAPPED = {name for name, hits in FIELDS.index.items()
           if any(column not in ("error_code", "error_text", "latency") for column, _ in hits)
           } | {"at", "service"}
MAX_ATTRS = 20


def _unquote(value: str) -> str:
    inner = value[1:-1]
    if "\\" in inner:
        inner = _ESCAPE.sub(lambda m: _ESCAPES.get(m.group(1), m.group(1)), inner)
    return inner


def split_pairs(text: str) -> tuple[dict[str, str], list[str]] | None:
    """``(pairs, bare words)`` of a logfmt line, or None when it is not logfmt.

    Every token must be ``key=value``, ``key="quoted"`` or a bare word, there must
    be a pair, and no more bare words than pairs.
    """
    if "=" not in text:
        return None
    pairs: dict[str, str] = {}
    bare: list[str] = []
    for key, equals, value, junk in _TOKEN.findall(text):
        if junk:
            return None
        if not equals:
            bare.append(key)
        elif value[:1] == '"':
            pairs[key] = _unquote(value)
        else:
            pairs[key] = value
    if not pairs or len(bare) > len(pairs):
        return None
    return pairs, bare


def convert_pairs(pairs: dict[str, str], bare: list[str]) -> dict[str, Any]:
    """An event from one line's pairs; the caller has checked it is logfmt."""
    found, names = FIELDS.pick(pairs)
    event: dict[str, Any] = {"ts": record_ts(found.get("ts"))}
    if event["ts"] is None and bare and len(bare[0]) >= 10:
        event["ts"] = record_ts(bare[0])
    level = found.get("level")
    at = pairs.get("at")
    if level is None and at is not None and at.lower() in _WORD_LEVELS:
        level = at
    if level is not None:
        event["level"] = level
    for column in _TEXT_COLUMNS:
        if column in found:
            event[column] = found[column]
    _fill_http(event, found, names, pairs)
    _fill_message(event, found, pairs)
    if len(pairs) > len(found):
        attrs = {key: small_value(value) for key, value in pairs.items() if key not in _MAPPED}
        if attrs:
            event["attrs"] = dict(list(attrs.items())[:MAX_ATTRS]) if len(attrs) > MAX_ATTRS else attrs
    return event


def _fill_http(event: dict[str, Any], found: dict[str, Any], names: dict[str, str],
               pairs: dict[str, str]) -> None:
    method = found.get("method")
    if method is not None and method.isalpha():
        event["method"] = method.upper()
    path = url_path(found.get("path"))
    if path is not None:
        event["path"] = path
    status = http_status(found.get("status"))
    if status is not None:
        event["status"] = status
    latency = duration_ms(found["latency"], _UNITS.get(names["latency"])) if "latency" in found else None
    service = pairs.get("service")
    if service and service != "-":
        # Heroku's router writes service=8ms (time spent in the dyno); elsewhere
        # service names the service.
        service_ms = duration_ms(service) if service[-1] == "s" and service[0].isdigit() else None
        if service_ms is not None:
            latency = latency if latency is not None else service_ms
        else:
            event["service"] = service
    if latency is None:
        latency = _measure_latency(pairs)
    if latency is not None:
        event["latency_ms"] = latency


def _measure_latency(pairs: dict[str, str]) -> float | None:
    """l2met ``measure#<name>.service=0.007`` / ``..._ms=12``: a request duration."""
    for key, value in pairs.items():
        if key.startswith(("measure#", "measure.")) and key.endswith(
                (".service", ".duration", ".latency", "_ms", "request_time")):
            return duration_ms(value, unit_of(key))
    return None


def _fill_message(event: dict[str, Any], found: dict[str, Any],
                  pairs: dict[str, str]) -> None:
    message, detail = split_message(found.get("message") or "")
    error_text = found.get("error_text")
    code = short_code(found.get("error_code"))
    if code is None and "code" in pairs and str(event.get("level", "")).lower() in ("error", "err", "fatal"):
        code = short_code(pairs["code"])  # Heroku router: at=error code=H12 desc="..."
    if error_text:
        code = code or short_code(error_text)
        message = f"{message}: {error_text}" if message else error_text
    if code is not None:
        event["error"] = code
    if not message and "method" in event:
        message = " ".join(str(event[k]) for k in ("method", "path", "status") if k in event)
    event["message"] = message or " ".join(f"{k}={v}" for k, v in pairs.items())[:300]
    if detail:
        event.setdefault("attrs", {})["detail"] = detail


class LogfmtIngestor(LineIngestor):
    """logfmt lines, with klog, text and plain lines mixed in."""

    name = "logfmt"
    layer = Layer.APP
    description = "logfmt key=value lines (logrus, Heroku router, l2met), klog mixed in"

    def sniff(self, head: Head) -> float:
        """0.4-0.5 when most head lines are logfmt (two pairs or more) or klog."""
        lines = head.lines[:20]
        if not lines:
            return 0.0
        logfmt = klog = 0
        for line in lines:
            found = split_pairs(line)
            if found is not None and len(found[0]) >= 2:
                logfmt += 1
            elif line[:1] in "IWEF" and parse_klog(line) is not None:
                klog += 1
        ratio = logfmt / len(lines)
        if ratio < 0.3 or (logfmt + klog) / len(lines) < 0.5:
            return 0.0
        return round(0.4 + 0.1 * ratio, 3)

    def parse_line(self, text: str) -> dict[str, Any] | None:
        """A logfmt or klog line as an event, else None."""
        found = split_pairs(text)
        if found is not None:
            return convert_pairs(*found)
        event = parse_klog(text) if text[:1] in "IWEF" else None
        if event is not None:
            event.pop("_md", None)
        return event

    def parse(self, source: SourceFile, ctx: ParseContext) -> Iterator[dict[str, Any]]:
        """Every non-empty line is an event or continues one; nothing is skipped."""
        joiner, years = Joiner(), YearFixer()
        for lineno, text in source.lines():
            if not text or text.isspace():
                continue
            found = split_pairs(text)
            if found is not None:
                event = convert_pairs(*found)
            elif joiner.continues(text):
                joiner.add(text)
                continue
            else:
                event = parse_stamped(text) or plain_event(text)
            event["line"] = lineno
            done = joiner.push(event)
            if done is not None:
                yield from years.feed(done)
        done = joiner.finish()
        if done is not None:
            yield from years.feed(done)
        yield from years.finish()

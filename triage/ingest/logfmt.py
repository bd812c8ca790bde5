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
from functools import lru_cache
from itertools import chain
from typing import Any, Iterable, Iterator, NamedTuple

from triage.ingest.base import LINE_ERRORS, Head, LineIngestor, ParseContext, SourceFile
from triage.ingest.jsonlines import (FieldMap, http_status, duration_ms, record_ts, short_code, small_value,
                                     split_message, unit_of, url_path)
from triage.ingest.base import line_blocks
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
    if "\\" not in text and "<" not in text and "=" in text:
        pairs = _plain_pairs(text)
        if pairs is not None:
            return pairs, []
    return _split_tokens(text)


def _plain_pairs(text: str) -> dict[str, str] | None:
    """The pairs of a line of only ``key=value`` and ``key="quoted"`` tokens without
    escapes, found with str methods: what ``_split_tokens`` finds, three times faster.
    None for anything else (bare words included), which ``_split_tokens`` decides.

    The caller has checked there is no backslash and no ``<``. Quotes split the
    line: outside parts hold the tokens, each but the last ending in ``key=`` that
    the next (quoted) part completes; ``str.split`` and ``\\s`` agree on whitespace.
    """
    parts = text.split('"')
    last = len(parts) - 1
    if last & 1:  # an odd number of quotes
        return None
    pairs: dict[str, str] = {}
    for index in range(0, last + 1, 2):
        part = parts[index]
        tokens = part.split()
        opener = None
        if index < last:
            if part[-1:] != "=":
                return None
            opener = tokens.pop()
            if opener.find("=") != len(opener) - 1 or len(opener) < 2:
                return None
        for token in tokens:
            key, equals, value = token.partition("=")
            if not equals or not key:
                return None
            pairs[key] = value
        if opener is not None:
            pairs[opener[:-1]] = parts[index + 1]
    return pairs


def _split_tokens(text: str) -> tuple[dict[str, str], list[str]] | None:
    """``split_pairs`` by the token regex, for any line."""
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


class _Shape(NamedTuple):
    """What a set of keys (in line order) means, worked out once per set."""

    columns: tuple[tuple[str, tuple[str, ...]], ...] | None  # FIELDS' candidates, best first
    attrs: tuple[str, ...]   # the keys kept in attrs
    measure: str | None      # the first l2met duration key


_SHAPES: dict[tuple[str, ...], _Shape] = {}
_SHAPE_LIMIT = 4096
_MEASURE_PREFIXES = ("measure#", "measure.")
_MEASURE_SUFFIXES = (".service", ".duration", ".latency", "_ms", "request_time")
# Pure functions of a string that lines repeat (3ms, 200, /api/cart): cached.
_duration_ms = lru_cache(maxsize=4096)(duration_ms)
_http_status = lru_cache(maxsize=1024)(http_status)
_url_path = lru_cache(maxsize=4096)(url_path)


def _shape(pairs: dict[str, str]) -> _Shape:
    key = tuple(pairs)
    shape = _SHAPES.get(key)
    if shape is None:
        shape = _new_shape(key)
        if len(_SHAPES) < _SHAPE_LIMIT:
            _SHAPES[key] = shape
    return shape


def _new_shape(keys: tuple[str, ...]) -> _Shape:
    # FIELDS.pick's choice for flat string values: per column, the present names
    # by rank. A key that FIELDS reads as a nesting prefix leaves it to FIELDS.
    columns: tuple[tuple[str, tuple[str, ...]], ...] | None = None
    if not any(key in FIELDS.prefixes for key in keys):
        found: dict[str, list[tuple[int, int, str]]] = {}
        for position, key in enumerate(keys):
            for column, rank in FIELDS.index.get(key, ()):
                found.setdefault(column, []).append((rank, position, key))
        columns = tuple((column, tuple(key for _, _, key in sorted(hits)))
                        for column, hits in found.items())
    measure = [key for key in keys
               if key.startswith(_MEASURE_PREFIXES) and key.endswith(_MEASURE_SUFFIXES)]
    return _Shape(columns, tuple(key for key in keys if key not in _MAPPED),
                  measure[0] if measure else None)


def _pick(pairs: dict[str, str], shape: _Shape) -> tuple[dict[str, str], dict[str, str]]:
    """``FIELDS.pick(pairs)``, by the shape's plan."""
    if shape.columns is None:
        return FIELDS.pick(pairs)
    found: dict[str, str] = {}
    names: dict[str, str] = {}
    for column, keys in shape.columns:
        for key in keys:
            value = pairs[key]
            if value != "" and value != "-":
                found[column] = value
                names[column] = key
                break
    return found, names


def convert_pairs(pairs: dict[str, str], bare: list[str]) -> dict[str, Any]:
    """An event from one line's pairs; the caller has checked it is logfmt."""
    shape = _shape(pairs)
    found, names = _pick(pairs, shape)
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
    _fill_http(event, found, names, pairs, shape.measure)
    _fill_message(event, found, pairs)
    if len(pairs) > len(found):
        attrs = {key: small_value(pairs[key]) for key in shape.attrs}
        if attrs:
            event["attrs"] = dict(list(attrs.items())[:MAX_ATTRS]) if len(attrs) > MAX_ATTRS else attrs
    return event


def _fill_http(event: dict[str, Any], found: dict[str, Any], names: dict[str, str],
               pairs: dict[str, str], measure: str | None) -> None:
    method = found.get("method")
    if method is not None and method.isalpha():
        event["method"] = method.upper()
    path = _url_path(found.get("path"))
    if path is not None:
        event["path"] = path
    status = _http_status(found.get("status"))
    if status is not None:
        event["status"] = status
    latency = _duration_ms(found["latency"], _UNITS.get(names["latency"])) if "latency" in found else None
    service = pairs.get("service")
    if service and service != "-":
        # Heroku's router writes service=8ms (time spent in the dyno); elsewhere
        # service names the service.
        service_ms = _duration_ms(service) if service[-1] == "s" and service[0].isdigit() else None
        if service_ms is not None:
            latency = latency if latency is not None else service_ms
        else:
            event["service"] = service
    if latency is None and measure is not None:
        # l2met measure#<name>.service=0.007 / ..._ms=12: a request duration.
        latency = _duration_ms(pairs[measure], unit_of(measure))
    if latency is not None:
        event["latency_ms"] = latency


def _fill_message(event: dict[str, Any], found: dict[str, Any],
                  pairs: dict[str, str]) -> None:
    message = found.get("message") or ""
    if "\n" in message:
        message, detail = split_message(message)
    else:  # what split_message does with one line
        message, detail = message.rstrip("\r"), None
    error_text = found.get("error_text")
    code = found.get("error_code")
    if code is not None:
        code = short_code(code)
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
    joins_continuations = True
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

    def splittable(self, head: Head) -> bool:
        return False  # continuation lines belong to the event before them

    def parse_rows(self, source: SourceFile, ctx: ParseContext) -> Iterator[list[tuple]]:
        """``parse`` as rows (``triage.ingest.logfmt_rows``): nothing is skipped, so
        ``ctx`` is left as it is."""
        from triage.ingest.logfmt_rows import logfmt_rows  # it builds on this module

        return logfmt_rows(source)

    def parse(self, source: SourceFile, ctx: ParseContext) -> Iterator[dict[str, Any]]:
        """Every non-empty line is an event or continues one; nothing is skipped.

        While every line is logfmt, each event is complete when the next arrives
        and has a year; the first other line hands over to ``Joiner`` and
        ``YearFixer`` (``_parse_mixed``) with the state they would have had.
        """
        lines = enumerate(chain.from_iterable(line_blocks(source)), 1)
        held: dict[str, Any] | None = None  # the newest event, open for continuations
        last_ts = None  # the newest ts among the events before it
        for lineno, text in lines:
            if not text or text.isspace():
                continue
            found = split_pairs(text)
            if found is None:
                years = YearFixer()
                if last_ts is not None:
                    years.feed({"ts": last_ts})
                joiner = Joiner()
                if held is not None:
                    joiner.push(held)
                yield from _parse_mixed(chain(((lineno, text),), lines), joiner, years)
                return
            event = convert_line(found, text)
            event["line"] = lineno
            if held is not None:
                if held["ts"] is not None:
                    last_ts = held["ts"]
                yield held
            held = event
        if held is not None:
            yield held


def convert_line(found: tuple[dict[str, str], list[str]], text: str) -> dict[str, Any]:
    """``convert_pairs`` of a line's pairs; a line whose values it cannot convert
    (a stamp with odd digits, say) is kept as a plain event: a logfmt file keeps
    every line, so one bad value must not cost the file."""
    try:
        return convert_pairs(*found)
    except LINE_ERRORS:
        return plain_event(text)


def _parse_mixed(lines: Iterable[tuple[int, str]], joiner: Joiner,
                 years: YearFixer) -> Iterator[dict[str, Any]]:
    """The rest of a file with other lines among the logfmt ones."""
    for lineno, text in lines:
        if not text or text.isspace():
            continue
        found = split_pairs(text)
        if found is not None:
            event = convert_line(found, text)
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

"""Generic JSON lines: any object per line, fields found by their usual names.

The lowest-priority JSON format (sniff 0.3): ECS, OTLP, container wrappers and
the proxy/gateway formats all outrank it. It also holds the small helpers that
every key/value record format shares (fast dotted-key lookup, durations with
units, URL paths, one-line messages); ``ecs``, ``otel`` and ``logfmt`` use them.
"""
from __future__ import annotations

import math
import re
from functools import lru_cache
from typing import Any

import orjson

from triage.ingest.base import Head, JsonLineIngestor, to_int
from triage.ingest.timeparse import parse_any, parse_iso
from triage.model import Layer

MAX_DETAIL = 2000
MAX_STACK_LINES = 20
MAX_ATTR_CHARS = 300


class FieldMap:
    """Finds many fields of a record in one walk over its keys.

    Built from ``{column: (name, ...)}`` with names in priority order; a name
    matches a flat dotted key, a nested path, or any mix of the two. ``pick``
    costs one dict lookup per key of the record rather than one per name, which
    matters at a million lines.
    """

    __slots__ = ("index", "prefixes", "_plans")
    MAX_PLANS = 4096

    def __init__(self, fields: dict[str, tuple[str, ...]]) -> None:
        self.index: dict[str, tuple[tuple[str, int], ...]] = {}
        self.prefixes: set[str] = set()
        # Records from one producer repeat the same keys line after line; for a
        # flat key set the lookup plan is computed once and reused.
        self._plans: dict[tuple[str, ...], tuple[tuple[str, tuple[str, ...]], ...] | None] = {}
        for column, names in fields.items():
            for rank, name in enumerate(names):
                self.index[name] = self.index.get(name, ()) + ((column, rank),)
                parts = name.split(".")
                for cut in range(1, len(parts)):
                    self.prefixes.add(".".join(parts[:cut]))

    def pick(self, obj: dict[str, Any]) -> tuple[dict[str, Any], dict[str, str]]:
        """``({column: value}, {column: matched name})`` of the best-ranked non-empty values."""
        values: dict[str, Any] = {}
        names: dict[str, str] = {}
        shape = tuple(obj)
        plans = self._plans
        plan = plans[shape] if shape in plans else self._plan(shape)
        if plan is None:
            self._walk(obj, "", values, names, 0)
            return values, names
        for column, candidates in plan:
            for key in candidates:
                value = obj[key]
                if value is None or value == "" or value == "-":
                    continue
                values[column] = value
                names[column] = key
                break
        return values, names

    def _plan(self, shape: tuple[str, ...]):
        """Per column, the record's keys that can fill it, best first; None when
        a key may hold a nested object (those records take the full walk)."""
        plan = None
        if not any(key in self.prefixes for key in shape):
            candidates: dict[str, list[tuple[int, int, str]]] = {}
            for position, key in enumerate(shape):
                for column, rank in self.index.get(key, ()):
                    candidates.setdefault(column, []).append((rank, position, key))
            plan = tuple((column, tuple(key for _, _, key in sorted(found)))
                         for column, found in candidates.items())
        if len(self._plans) < self.MAX_PLANS:
            self._plans[shape] = plan
        return plan

    def _walk(self, obj: dict[str, Any], prefix: str, values: dict[str, Any],
              names: dict[str, str], depth: int) -> None:
        index, prefixes = self.index, self.prefixes
        for key, value in obj.items():
            if prefix:
                key = prefix + key
            if value.__class__ is dict and key in prefixes and depth < 8:
                self._walk(value, key + ".", values, names, depth + 1)
            hits = index.get(key)
            if hits is None or value is None or value == "" or value == "-":
                continue
            for column, rank in hits:
                if column in values and self.rank(names[column], column) <= rank:
                    continue
                values[column] = value
                names[column] = key

    def rank(self, name: str, column: str) -> int:
        """Priority of ``name`` for ``column`` (lower wins)."""
        return next(rank for col, rank in self.index[name] if col == column)


@lru_cache(maxsize=65536)
def _iso_seconds(prefix: str) -> float | None:
    return parse_iso(prefix)


@lru_cache(maxsize=256)
def _offset_seconds(zone: str) -> int:
    sign = -1 if zone[0] == "-" else 1
    return sign * (int(zone[1:3]) * 3600 + int(zone[-2:]) * 60)


def iso_ts(value: str) -> float | None:
    """Epoch seconds from an ISO 8601 / RFC 3339 string; a cached fast path.

    ``YYYY-MM-DD[T ]HH:MM:SS`` plus an optional ``.``/``,`` fraction and a zone
    (``Z``, ``+02:00``, ``+0200``) is done here with the whole seconds cached
    (three times faster at a million lines); anything else goes to
    ``timeparse.parse_iso``.
    """
    if len(value) >= 19 and value[4] == "-" and value[10] in "T ":
        tail = iso_tail(value[19:])
        if tail is not None:
            base = _iso_seconds(value[:19])
            if base is None:
                return None
            fraction, zone = tail
            base += fraction
            return base - _offset_seconds(zone) if zone else base
    return parse_iso(value)


def iso_tail(tail: str) -> tuple[float, str | None] | None:
    """``(fraction, zone)`` of what follows the whole seconds of an ISO stamp
    (``""``, ``.250Z``, ``,5+02:00``, ``+0200``; zone None for UTC), or None
    for anything ``iso_ts`` leaves to ``parse_iso``."""
    zone = None
    if tail:
        if tail[-1] in "Zz":
            tail = tail[:-1]
        elif len(tail) >= 6 and tail[-6] in "+-" and tail[-3] == ":":
            zone, tail = tail[-6:], tail[:-6]
        elif len(tail) >= 5 and tail[-5] in "+-" and tail[-4:].isdigit():
            zone, tail = tail[-5:], tail[:-5]
    digits = tail[1:]
    if not tail:
        return 0.0, zone
    # isascii: isdigit also takes "²", which int() refuses
    if tail[0] in ".," and digits.isascii() and digits.isdigit() and len(digits) <= 9:
        return int(digits) / 10 ** len(digits), zone
    return None


_DURATION_RE = re.compile(r"(?:\d+(?:\.\d+)?(?:ns|us|µs|μs|ms|s|m|h))+")
_DURATION_PART = re.compile(r"(\d+(?:\.\d+)?)(ns|us|µs|μs|ms|s|m|h)")
_UNIT_MS = {"ns": 1e-6, "us": 1e-3, "µs": 1e-3, "μs": 1e-3, "ms": 1.0, "s": 1000.0,
            "m": 60000.0, "h": 3600000.0}
# Milliseconds per unit implied by a field name's suffix.
_SUFFIX_UNIT = (("_ms", 1.0), ("Ms", 1.0), ("_ns", 1e-6), ("Ns", 1e-6), ("_us", 1e-3),
                ("Us", 1e-3), ("_seconds", 1000.0), ("Seconds", 1000.0), ("_sec", 1000.0),
                ("_s", 1000.0))


def unit_of(key: str) -> float | None:
    """Milliseconds per unit that a field name implies (``took_ms`` -> 1.0), else None."""
    for suffix, unit in _SUFFIX_UNIT:
        if key.endswith(suffix):
            return unit
    return None


def duration_ms(value: Any, unit_ms: float | None = None) -> float | None:
    """Milliseconds from a duration value.

    In: a number in ``unit_ms`` milliseconds per unit, or a string with Go-style
    units (``8ms``, ``1.5s``, ``3m0s``, ``250us``). A bare number with no unit
    known is guessed: a fraction means seconds (nginx ``$request_time``, Go's
    ``Seconds()``), an integer of 1e7 or more nanoseconds, a smaller one ms.
    Out: float ms or None when the value is not a duration.
    """
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, str):
        text = value.strip()
        single = _DURATION_PART.fullmatch(text)
        if single is not None:
            return float(single.group(1)) * _UNIT_MS[single.group(2)]
        if _DURATION_RE.fullmatch(text):
            return sum(float(n) * _UNIT_MS[u] for n, u in _DURATION_PART.findall(text))
        try:
            value = float(text) if ("." in text or "e" in text.lower()) else int(text)
        except ValueError:
            return None
    if not isinstance(value, (int, float)) or not math.isfinite(value) or value < 0:
        return None
    if unit_ms is not None:
        return float(value) * unit_ms
    if isinstance(value, float) and not value.is_integer():
        return value * 1000.0
    return value / 1e6 if value >= 1e7 else float(value)


def url_path(value: Any) -> str | None:
    """The path of a URL or request target, without scheme, host or query."""
    if not isinstance(value, str) or not value:
        return None
    if "://" in value:
        start = value.find("/", value.find("://") + 3)
        value = value[start:] if start >= 0 else "/"
    cut = value.find("?")
    if cut >= 0:
        value = value[:cut]
    return value or None


def split_message(text: Any) -> tuple[str, str | None]:
    """``(first line, the rest capped or None)`` of a possibly multi-line message."""
    if not isinstance(text, str):
        text = "" if text is None else (
            orjson.dumps(text).decode() if isinstance(text, (dict, list)) else str(text))
    if "\n" not in text:
        return text.rstrip("\r"), None
    first, rest = text.split("\n", 1)
    rest = rest.strip()
    return first.rstrip("\r"), (rest[:MAX_DETAIL] if rest else None)


def stack_head(value: Any) -> str | None:
    """The first ``MAX_STACK_LINES`` lines of a stack trace (string or list of frames)."""
    if isinstance(value, list):
        lines = [str(item) for item in value[:MAX_STACK_LINES]]
    elif isinstance(value, str) and value.strip():
        lines = value.strip("\n").split("\n", MAX_STACK_LINES)[:MAX_STACK_LINES]
    else:
        return None
    return "\n".join(line[:MAX_ATTR_CHARS] for line in lines)


def short_code(value: Any) -> str | None:
    """A value usable as a machine error code: one short token, else None."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return str(value)
    if isinstance(value, str) and 0 < len(value) <= 60 and " " not in value.strip():
        return value.strip()
    return None


def small_value(value: Any) -> Any:
    """A value trimmed for ``attrs``: long strings capped, big containers as capped JSON."""
    if isinstance(value, str):
        return value[:MAX_ATTR_CHARS]
    if isinstance(value, int) and not -2**63 <= value < 2**63:
        return str(value)  # JSON reports cannot hold it as a number
    if isinstance(value, (dict, list)):
        try:
            dumped = orjson.dumps(value, option=orjson.OPT_NON_STR_KEYS)
        except TypeError:  # e.g. an integer beyond 64 bits deep inside
            return str(value)[:MAX_ATTR_CHARS]
        return value if len(dumped) <= MAX_ATTR_CHARS else dumped[:MAX_ATTR_CHARS].decode("utf-8", "replace")
    return value


def http_status(value: Any) -> int | None:
    """An HTTP status code (100-999) from a number or numeric string, else None."""
    status = to_int(value) if not isinstance(value, bool) else None
    return status if status is not None and 100 <= status <= 999 else None


# Pino/bunyan numeric levels.
NUMERIC_LEVELS = {10: "trace", 20: "debug", 30: "info", 40: "warn", 50: "error", 60: "fatal"}


def level_text(value: Any) -> str | None:
    """A level as written, or the word for a pino/bunyan number."""
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, int):
        return NUMERIC_LEVELS.get(value, str(value))
    return str(value)


def record_ts(value: Any) -> float | None:
    """Epoch seconds from a timestamp field: epoch s/ms/us/ns number or string, ISO, CLF."""
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, str) and len(value) >= 19:
        if value[4] == "-":
            return iso_ts(value)
        if value[4] == "/":
            return iso_ts(value.replace("/", "-", 2))
    return parse_any(value)


# Duration field names and their ms per unit (None: read units, or guess).
DURATION_UNITS: dict[str, float | None] = {
    "duration_ms": 1.0, "latency_ms": 1.0, "elapsed_ms": 1.0, "took_ms": 1.0,
    "response_time_ms": 1.0, "responseTime": 1.0, "durationMs": 1.0, "elapsedMs": 1.0,
    "duration_ns": 1e-6, "event.duration": 1e-6, "duration_us": 1e-3,
    "duration_s": 1000.0, "request_time": 1000.0, "duration_seconds": 1000.0,
    "response_time": None, "duration": None, "latency": None, "elapsed": None, "took": None,
    "http.duration": None,
}

FIELDS = FieldMap({
    "ts": ("@timestamp", "timestamp", "time", "ts", "date", "datetime", "t", "eventTime",
           "event_time", "logged_at", "asctime", "@t"),
    "level": ("level", "severity", "lvl", "log.level", "levelname", "loglevel", "log_level", "@l"),
    "message": ("msg", "message", "log", "text", "@m", "@mt", "event"),
    "request_id": ("request_id", "requestId", "requestID", "req_id", "reqId", "x-request-id",
                   "x_request_id", "X-Request-Id", "request-id", "http.request.id",
                   "headers.x-request-id", "req.headers.x-request-id",
                   "request.headers.x-request-id", "http.request.headers.x-request-id",
                   "req.id", "request.id", "correlation_id", "correlationId"),
    "trace_id": ("trace_id", "traceId", "traceID", "traceparent", "trace.id", "dd.trace_id",
                 "otelTraceID", "logging.googleapis.com/trace", "x-amzn-trace-id"),
    "span_id": ("span_id", "spanId", "spanID", "span.id", "dd.span_id", "otelSpanID"),
    "method": ("method", "http.method", "http.request.method", "req.method", "request.method",
               "httpMethod", "http_method", "verb"),
    "path": ("path", "url.path", "req.url", "request.path", "request.url", "uri", "url",
             "http.path", "http.target", "request_uri", "http.url", "url.original", "requestUri"),
    "status": ("status", "statusCode", "status_code", "res.statusCode", "response.status",
               "response.status_code", "http.status_code", "http.response.status_code",
               "http.status", "responseStatus", "http_status"),
    "latency": tuple(DURATION_UNITS),
    "error_code": ("error.type", "err.type", "error_type", "errorType", "exception.type",
                   "error.code", "error_code", "err.code"),
    "error_text": ("error.message", "err.message", "error", "err", "exception.message",
                   "errorMessage", "error_message"),
    "stack": ("error.stack_trace", "err.stack", "error.stack", "stack", "stacktrace",
              "stack_trace", "exception.stacktrace", "exc_info"),
    "client_ip": ("client_ip", "clientIp", "ip", "remote_addr", "remoteAddr", "remote_ip",
                  "client.ip", "client.address", "req.remoteAddress", "source.ip",
                  "http.client_ip"),
    "user_agent": ("user_agent", "userAgent", "user_agent.original", "http.user_agent",
                   "req.headers.user-agent", "headers.user-agent", "ua"),
    "upstream_host": ("upstream_host", "upstream", "upstream_addr", "destination.address",
                      "peer.service", "backend"),
    "upstream_status": ("upstream_status",),
    "service": ("service.name", "service", "serviceName", "service_name", "app", "application"),
    "logger": ("logger", "logger_name", "log.logger", "name"),
    "caller": ("caller", "source_location"),
    "x-test-name": ("x-test-name", "headers.x-test-name", "req.headers.x-test-name", "test_name"),
})
_SCALAR = (str, int, float)
_STRING_COLUMNS = ("request_id", "trace_id", "span_id", "client_ip", "user_agent", "upstream_host")


def scalar_text(value: Any) -> str | None:
    """A scalar as text (ids written as numbers too); None for bools and containers.

    A list takes its first item (OTel and HTTP header values are lists).
    """
    if value.__class__ is str:
        return value
    if isinstance(value, list):
        value = value[0] if value else None
    if isinstance(value, _SCALAR) and not isinstance(value, bool):
        return value if isinstance(value, str) else str(value)
    return None


def convert_record(obj: dict[str, Any]) -> dict[str, Any]:
    """An event from one generic JSON object (never None: any object is a record)."""
    found, names = FIELDS.pick(obj)
    get = found.get
    event: dict[str, Any] = {"ts": record_ts(get("ts"))}
    level = level_text(get("level"))
    if level is not None:
        event["level"] = level
    for column in _STRING_COLUMNS:
        if column in found:
            text = scalar_text(found[column])
            if text is not None:
                event[column] = text
    fill_http(event, found, names)
    upstream_status = http_status(get("upstream_status"))
    if upstream_status is not None:
        event["upstream_status"] = upstream_status
    service = get("service")
    if isinstance(service, str) and duration_ms(service) is None:
        event["service"] = service
    attrs: dict[str, Any] = {}
    fill_message(event, found, attrs, obj)
    for name in ("logger", "caller", "x-test-name"):
        value = get(name)
        if isinstance(value, _SCALAR) and not isinstance(value, bool):
            attrs[name] = small_value(value)
    if attrs:
        event["attrs"] = attrs
    return event


def fill_http(event: dict[str, Any], found: dict[str, Any], names: dict[str, str]) -> None:
    """method, path, status and latency_ms from picked ``FIELDS``-style columns."""
    method = found.get("method")
    if isinstance(method, str) and method.isalpha():
        event["method"] = method.upper()
    path = url_path(found.get("path"))
    if path is not None:
        event["path"] = path
    status = http_status(found.get("status"))
    if status is not None:
        event["status"] = status
    if "latency" in found:
        latency = duration_ms(found["latency"], DURATION_UNITS.get(names["latency"]))
        if latency is not None:
            event["latency_ms"] = latency


def fill_message(event: dict[str, Any], found: dict[str, Any], attrs: dict[str, Any],
                 obj: dict[str, Any]) -> None:
    """message (plus error text), error code, stack and detail from picked columns."""
    raw = found.get("message")
    if isinstance(raw, _SCALAR) and not isinstance(raw, bool):
        message, detail = split_message(str(raw))
    else:
        message, detail = _summary(obj), None
    code = short_code(found.get("error_code"))
    error_text = found.get("error_text")
    if isinstance(error_text, dict):
        error_text = error_text.get("message") or error_text.get("type")
    if isinstance(error_text, str) and error_text:
        code = code or short_code(error_text)
        first, _ = split_message(error_text)
        if first and first not in message:
            message = f"{message}: {first}" if message else first
    if code is not None:
        event["error"] = code
    stack = stack_head(found.get("stack"))
    if stack:
        attrs["stack"] = stack
    if detail:
        attrs["detail"] = detail
    event["message"] = message


_SUMMARY_SKIP = {name for name, hits in FIELDS.index.items()
                 if any(column in ("ts", "level") for column, _ in hits)}


def _summary(obj: dict[str, Any], limit: int = 8) -> str:
    """``k=v`` of the first scalar fields, for records that carry no message."""
    parts = []
    for key, value in obj.items():
        if key not in _SUMMARY_SKIP and isinstance(value, (str, int, float, bool)) and value != "":
            parts.append(f"{key}={value}")
            if len(parts) == limit:
                break
    return " ".join(parts)[:MAX_ATTR_CHARS]


# Top-level keys that mark a JSON line as some other, more specific format.
_FOREIGN_KEYS = {"resourceLogs", "resourceSpans", "resourceMetrics"}


class JsonLinesIngestor(JsonLineIngestor):
    """Any JSON object per line: the fallback for JSON logs no other format claims."""

    name = "json-lines"
    layer = Layer.APP
    description = "generic JSON lines (ts/level/msg/request id found by common names)"

    def sniff(self, head: Head) -> float:
        """0.3 when most head lines are JSON objects, else 0."""
        objects = head.json_objects
        if not objects or not head.lines:
            return 0.0
        if any(_FOREIGN_KEYS.intersection(obj) for obj in objects[:5]):
            return 0.0
        return 0.3 if len(objects) / len(head.lines) >= 0.6 else 0.0

    def convert(self, obj: dict[str, Any]) -> dict[str, Any] | None:
        """One event per object; an empty object is not a record (None)."""
        return convert_record(obj) if obj else None


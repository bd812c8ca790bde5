"""nginx ``combined`` and ingress-nginx ``upstreaminfo`` access logs.

Both share the combined prefix::

    $remote_addr - $remote_user [$time_local] "$request" $status $body_bytes_sent
    "$http_referer" "$http_user_agent"

ingress-nginx (``log-format-upstream`` default) adds ``$request_length $request_time
[$proxy_upstream_name] [$proxy_alternative_upstream_name] $upstream_addr
$upstream_response_length $upstream_response_time $upstream_status $req_id``; older
controllers write ``[$the_real_ip]`` after the address and lack the alternative
upstream. A controller pod's stdout also carries nginx error-log lines and the Go
controller's klog lines: those become events too.

The helpers here (``split_request``, ``client_from_addr``, ``strip_port``, ``as_text``,
``combined_event``) are shared with the other proxy and gateway formats.
"""
from __future__ import annotations

import re
from datetime import datetime, timezone
from functools import lru_cache
from typing import Any, Iterable, Iterator

from triage.ingest.base import Head, LineIngestor, ParseContext, SourceFile, to_int
from triage.ingest.rows import Row, line_rows
from triage.ingest.timeparse import parse_clf, parse_iso
from triage.model import Layer

# Addresses never contain "[" (nginx writes IPv6 without brackets), which keeps the
# lazy address group from wandering into the time field.
CLF_HEAD = (
    r'^(?P<addr>[^\[]+?) - (?:\[(?P<real_ip>[^\]]*)\] - )?(?P<user>\S+) '
    r'\[(?P<time>[^\]]+)\] "(?P<request>[^"]*)" (?P<status>\d{3}) (?P<bytes>\d+|-)'
)
_COMBINED = re.compile(
    CLF_HEAD + r'(?: "(?P<referer>[^"]*)" "(?P<ua>[^"]*)")?(?P<extra>(?: .*)?)$')

# One upstream field: a value or a list joined by ", " (retries) or " : "
# (internal redirects), e.g. "10.0.0.1:80, 10.0.0.2:80" or "502, 200".
_ITEM = r'[^\s,]+(?:(?:, | : )[^\s,]+)*'
_UPSTREAMINFO = re.compile(
    CLF_HEAD
    + r' "(?P<referer>[^"]*)" "(?P<ua>[^"]*)" (?:\d+|-) (?P<req_time>\d+(?:\.\d+)?|-)'
    r' \[(?P<upstream_name>[^\]]*)\](?: \[(?P<alt_name>[^\]]*)\](?= ))?'
    rf' (?P<up_addr>{_ITEM}) (?:{_ITEM}) (?P<up_time>{_ITEM}) (?P<up_status>{_ITEM})'
    r'(?: (?P<req_id>[^\s,]+))?\s*$'
)
# A stricter twin of _UPSTREAMINFO for the usual line: a plain address, no real_ip,
# a user not starting with "[", both upstream names, one value per upstream field.
# On a line without " : " (a list separator) whatever it matches, _UPSTREAMINFO
# matches with the same groups: each field below is one of the choices _UPSTREAMINFO
# tries first, and nothing it tries before them can match.
_UPSTREAMINFO_PLAIN = re.compile(
    r'^([^\s\[,"]+) - ([^\s\[]\S*) \[([^\]]+)\] "([^"]*)" (\d{3}) (\d+|-) "([^"]*)" "([^"]*)"'
    r' (?:\d+|-) (\d+(?:\.\d+)?|-) \[([^\]]*)\] \[([^\]]*)\]'
    r' ([^\s,]+) [^\s,]+ ([^\s,]+) ([^\s,]+)(?: ([^\s,]+))?\s*$')
_LIST_SEP = re.compile(r', | : ')
# Trailers of other combined-prefixed formats (Traefik CLF: count "router" "url" Nms).
_OTHER_TAILS = re.compile(r' (?:\d+|-) "[^"]*"? ?"[^"]*" \d+(?:\.\d+)?ms\s*$')

_ERROR_LOG = re.compile(
    r'^(?P<date>\d{4}/\d{2}/\d{2}) (?P<time>\d{2}:\d{2}:\d{2}) \[(?P<level>[a-z]+)\] '
    r'(?P<pid>\d+)#(?P<tid>\d+): (?:\*(?P<conn>\d+) )?(?P<msg>.*)$')
_ERROR_CONTEXT = re.compile(
    r', (?P<key>client|server|request|subrequest|upstream|host|referrer): '
    r'(?P<value>"(?:[^"\\]|\\.)*"|[^,]*)')
_KLOG = re.compile(
    r'^(?P<sev>[IWEF])(?P<month>\d{2})(?P<day>\d{2}) (?P<time>\d{2}:\d{2}:\d{2}(?:\.\d+)?)'
    r'\s+(?P<tid>\d+) (?P<src>[^\s\]]+)\] (?P<msg>.*)$')
_KLOG_LEVELS = {"I": "info", "W": "warning", "E": "error", "F": "fatal"}
_IPV4 = re.compile(r'^\d{1,3}(?:\.\d{1,3}){3}$')
_ADDR_SPLIT = re.compile(r'[\s,"]+')

# nginx error-log phrases -> short machine codes for `error`.
ERROR_CODES: tuple[tuple[str, str], ...] = (
    ("upstream timed out", "upstream_timeout"),
    ("no live upstreams", "no_live_upstreams"),
    ("Connection refused", "connection_refused"),
    ("upstream prematurely closed", "upstream_prematurely_closed"),
    ("Connection reset by peer", "connection_reset"),
    ("SSL_do_handshake() failed", "ssl_handshake_failed"),
    ("could not be resolved", "dns_resolution_failed"),
    ("upstream sent too big header", "upstream_header_too_big"),
    ("client intended to send too large body", "request_body_too_large"),
    ("limiting requests", "rate_limited"),
    ("limiting connections", "connection_limited"),
    ("is not found", "not_found"),
)

YEAR_ASSUMED = "assumed: current UTC year (no dated line in the file)"
YEAR_INFERRED = "inferred from neighbouring lines"
TZ_ASSUMED = "UTC (the line has no zone)"


def as_text(value: Any) -> str | None:
    """A string field of a JSON record: numbers spelled out, ``""``/``-``/objects -> None."""
    if isinstance(value, str):
        return value if value not in ("", "-") else None
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return str(value)
    return None


def split_request(request: str) -> tuple[str | None, str | None, str | None]:
    """``"GET /a b HTTP/1.1"`` -> ``("GET", "/a b", "HTTP/1.1")``; ``-`` parts -> None."""
    parts = request.split(" ")
    if len(parts) >= 3 and parts[-1].startswith("HTTP/"):
        method, path, protocol = parts[0], " ".join(parts[1:-1]), parts[-1]
    elif len(parts) == 2:
        method, path, protocol = parts[0], parts[1], None
    else:
        return None, None, None
    return (method if method not in ("", "-") else None,
            path if path not in ("", "-") else None,
            protocol if protocol not in ("", "-") else None)


def looks_like_ip(value: str) -> bool:
    """True for an IPv4 or IPv6 literal (loosely: a malformed IPv6 still counts)."""
    return bool(_IPV4.match(value)) or (":" in value and all(
        c in "0123456789abcdefABCDEF:." for c in value))


def client_from_addr(addr: str) -> tuple[str | None, list[str], str | None]:
    """``(client ip, all addresses, leading host name)`` of a ``$remote_addr`` field.

    The field may be an X-Forwarded-For chain (``"a, b" c``): the client is the
    first address. A leading non-address token is a virtual-host prefix.
    """
    if "," not in addr and " " not in addr and '"' not in addr:
        return (addr if addr != "-" else None), [addr], None
    tokens = [t for t in _ADDR_SPLIT.split(addr) if t and t != "-"]
    host = None
    if tokens and not looks_like_ip(tokens[0]):
        host = tokens.pop(0)
    return (tokens[0] if tokens else None), tokens, host


def strip_port(address: str | None) -> str | None:
    """``10.0.0.1:443`` -> ``10.0.0.1``; ``[::1]:80`` -> ``::1``; bare IPv6 stays."""
    if not address or address == "-":
        return None
    if address.startswith("["):
        return address[1:].split("]", 1)[0] or None
    if address.count(":") == 1:
        return address.split(":", 1)[0]
    return address


_COMBINED_GROUPS = ("addr", "real_ip", "user", "time", "request", "status", "bytes",
                    "referer", "ua")


def combined_event(m: re.Match[str]) -> dict[str, Any]:
    """Fields every combined-prefixed line has; ``attrs`` is always a dict here."""
    return _combined(*m.group(*_COMBINED_GROUPS))


def _combined(addr: str, real_ip: str | None, user: str, time: str, request: str,
              status_text: str, sent: str, referer: str | None, ua: str | None) -> dict[str, Any]:
    """``combined_event`` from the combined prefix's groups, in pattern order."""
    parts = request.split(" ")
    if len(parts) == 3 and parts[2].startswith("HTTP/"):  # the usual case, made cheap
        method, path = parts[0], parts[1]
    else:
        method, path, _protocol = split_request(request)
    status = int(status_text)
    attrs: dict[str, Any] = {}
    if "," in addr or " " in addr or '"' in addr:
        client, addresses, host = client_from_addr(addr)
        if len(addresses) > 1:
            attrs["forwarded_for"] = addresses
        if host:
            attrs["host"] = host
    else:
        client = addr if addr != "-" else None
    if real_ip and real_ip != "-":
        attrs["remote_addr"] = client
        client = real_ip
    if user != "-":
        attrs["user"] = user
    if referer and referer != "-":
        attrs["referer"] = referer
    if sent != "-":
        attrs["bytes_sent"] = int(sent)
    return {
        "ts": parse_clf(time),
        "method": method,
        "path": path,
        "status": status,
        "client_ip": client,
        "user_agent": ua if ua and ua != "-" else None,
        "message": f"{method} {path} {status}" if method and path else f'"{request}" {status}',
        "attrs": attrs,
    }


def _split_list(value: str) -> list[str]:
    if "," not in value and " : " not in value:
        return [value]
    return _LIST_SEP.split(value)


@lru_cache(maxsize=8192)
def seconds_to_ms(value: str) -> float | None:
    """nginx seconds (``0.012``, ``-``) -> milliseconds, without float noise."""
    if len(value) > 4 and value[-4] == "." and value[-3:].isdigit() and value[:-4].isdigit():
        return float(value[:-4] + value[-3:])  # "0.012" -> 12.0 exactly
    if value == "-":
        return None
    try:
        return round(float(value) * 1000.0, 3)
    except ValueError:
        return None


def _upstream(event: dict[str, Any], up_addr: str, up_time: str, up_status: str) -> None:
    """Upstream columns from the (possibly retried) upstream lists.

    The last attempt with a status wins for host and status, as Filebeat does;
    the latency is the sum of all attempts (the time spent waiting upstream).
    """
    addrs = _split_list(up_addr)
    statuses = _split_list(up_status)
    times = _split_list(up_time)
    last = None
    for index in range(len(statuses) - 1, -1, -1):
        if statuses[index] != "-":
            last = index
            break
    if last is not None:
        event["upstream_status"] = to_int(statuses[last])
    if last is not None and len(addrs) == len(statuses) and addrs[last] != "-":
        event["upstream_host"] = addrs[last]
    else:
        real = [a for a in addrs if a != "-"]
        event["upstream_host"] = real[-1] if real else None
    spent = [ms for ms in map(seconds_to_ms, times) if ms is not None]
    event["upstream_latency_ms"] = round(sum(spent), 3) if spent else None
    if len(addrs) > 1 or len(statuses) > 1:
        attrs = event["attrs"]
        attrs["upstream_addrs"] = addrs
        attrs["upstream_statuses"] = statuses
        attrs["upstream_times_ms"] = [seconds_to_ms(t) for t in times]
        event["message"] += " (upstream tries: " + ", ".join(statuses) + ")"


def parse_upstreaminfo(text: str) -> dict[str, Any] | None:
    """One ingress-nginx access line -> event, or None if it is not one."""
    if " : " not in text:
        m = _UPSTREAMINFO_PLAIN.match(text)
        if m is not None:
            return _plain_upstreaminfo(m)
    return _general_upstreaminfo(text)


def _general_upstreaminfo(text: str) -> dict[str, Any] | None:
    """``parse_upstreaminfo`` for any line (real_ip, retry lists, missing fields)."""
    m = _UPSTREAMINFO.match(text)
    if m is None:
        return None
    # One groups() call is much cheaper than a dozen lookups by name.
    (addr, real_ip, user, time, request, status_text, sent, referer, ua, req_time, name,
     alt_name, up_addr, up_time, up_status, req_id) = m.groups()
    event = _combined(addr, real_ip, user, time, request, status_text, sent, referer, ua)
    event["latency_ms"] = seconds_to_ms(req_time)
    event["request_id"] = req_id if req_id and req_id != "-" else None
    attrs = event["attrs"]
    if name:
        attrs["upstream_name"] = name
    if alt_name:
        attrs["alternative_upstream_name"] = alt_name
    if "," in up_addr or "," in up_status or " : " in up_status or " : " in up_addr:
        _upstream(event, up_addr, up_time, up_status)
    elif up_addr != "-" or up_status != "-":
        event["upstream_host"] = up_addr if up_addr != "-" else None
        event["upstream_status"] = int(up_status) if up_status.isdigit() else None
        event["upstream_latency_ms"] = seconds_to_ms(up_time)
    return event


def _plain_upstreaminfo(m: re.Match[str]) -> dict[str, Any]:
    """``parse_upstreaminfo`` for a line ``_UPSTREAMINFO_PLAIN`` matched: same event."""
    (addr, user, time, request, status_text, sent, referer, ua, req_time, name, alt_name,
     up_addr, up_time, up_status, req_id) = m.groups()
    method, path, status, attrs, message = plain_fields(user, request, status_text, sent, referer,
                                                        name, alt_name)
    ts = parse_clf(time)
    client, agent = addr if addr != "-" else None, ua if ua and ua != "-" else None
    request_id = req_id if req_id and req_id != "-" else None
    if up_addr == "-" and up_status == "-":
        return {"ts": ts, "method": method, "path": path, "status": status, "client_ip": client,
                "user_agent": agent, "message": message, "attrs": attrs,
                "latency_ms": seconds_to_ms(req_time), "request_id": request_id}
    return {"ts": ts, "method": method, "path": path, "status": status, "client_ip": client,
            "user_agent": agent, "message": message, "attrs": attrs,
            "latency_ms": seconds_to_ms(req_time), "request_id": request_id,
            "upstream_host": up_addr if up_addr != "-" else None,
            "upstream_status": int(up_status) if up_status.isdigit() else None,
            "upstream_latency_ms": seconds_to_ms(up_time)}


def plain_fields(user: str, request: str, status_text: str, sent: str, referer: str,
                 name: str, alt_name: str) -> tuple[str | None, str | None, int, dict[str, Any], str]:
    """``(method, path, status, attrs, message)`` of a plain upstreaminfo line's
    groups: what the event and the row (``nginx_rows``) both take."""
    parts = request.split(" ")
    if len(parts) == 3 and parts[2].startswith("HTTP/"):
        method, path = parts[0], parts[1]
    else:
        method, path, _protocol = split_request(request)
    status = int(status_text)
    attrs: dict[str, Any] = {}
    if user != "-":
        attrs["user"] = user
    if referer and referer != "-":
        attrs["referer"] = referer
    if sent != "-":
        attrs["bytes_sent"] = int(sent)
    if name:
        attrs["upstream_name"] = name
    if alt_name:
        attrs["alternative_upstream_name"] = alt_name
    message = f"{method} {path} {status}" if method and path else f'"{request}" {status}'
    return method, path, status, attrs, message


def parse_combined(text: str) -> dict[str, Any] | None:
    """One nginx ``combined`` (or common) access line -> event, or None."""
    m = _COMBINED.match(text)
    if m is None:
        return None
    event = combined_event(m)
    extra = m["extra"].strip()
    if extra and extra.strip('"- '):
        event["attrs"]["extra"] = extra
        # A `"$request_id"` appended to the format is the usual way to log one.
        for field in extra.split('"'):
            if _looks_like_request_id(field):
                event["request_id"] = field
                break
    if not event["attrs"]:
        del event["attrs"]
    return event


_REQUEST_ID = re.compile(
    r'^(?:[0-9a-fA-F]{32}|[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12})$')


def _looks_like_request_id(value: str) -> bool:
    return len(value) in (32, 36) and bool(_REQUEST_ID.match(value))


def error_code(message: str) -> str | None:
    """A short code for a well-known nginx error-log phrase, or None."""
    for phrase, code in ERROR_CODES:
        if phrase in message:
            return code
    return None


def parse_error_log(text: str) -> dict[str, Any] | None:
    """One nginx error-log line (``2017/09/26 14:36:50 [error] 1#1: *5 msg, client: ...``)."""
    m = _ERROR_LOG.match(text)
    if m is None:
        return None
    msg = m["msg"]
    cut = _ERROR_CONTEXT.search(msg)
    summary = msg[: cut.start()] if cut else msg
    attrs: dict[str, Any] = {"pid": int(m["pid"]), "tz": TZ_ASSUMED}
    if m["conn"]:
        attrs["connection"] = int(m["conn"])
    event: dict[str, Any] = {
        "ts": parse_iso(m["date"].replace("/", "-") + "T" + m["time"]),
        "level": m["level"],
        "message": summary,
        "error": error_code(summary),
        "attrs": attrs,
    }
    if cut:
        for ctx in _ERROR_CONTEXT.finditer(msg, cut.start()):
            _error_context(event, ctx["key"], ctx["value"].strip('"'))
    return event


def _error_context(event: dict[str, Any], key: str, value: str) -> None:
    if key == "client":
        event["client_ip"] = value
    elif key == "request":
        event["method"], event["path"], _ = split_request(value)
    elif key == "upstream":
        event["attrs"]["upstream"] = value
        host = value.split("://", 1)[-1].split("/", 1)[0]
        event["upstream_host"] = host or None
    else:
        event["attrs"][key] = value


def yearless_ts(month: int, day: int, clock: str) -> float | None:
    """Epoch seconds for a date written without a year, in the current UTC year."""
    year = datetime.now(timezone.utc).year
    return parse_iso(f"{year:04d}-{month:02d}-{day:02d}T{clock}")


def parse_klog(text: str) -> dict[str, Any] | None:
    """One klog line (``I1221 13:00:58.488494  7 controller.go:202] msg``)."""
    m = _KLOG.match(text)
    if m is None:
        return None
    return {
        "ts": yearless_ts(int(m["month"]), int(m["day"]), m["time"]),
        "level": _KLOG_LEVELS[m["sev"]],
        "message": m["msg"],
        "attrs": {"logger": m["src"], "thread": int(m["tid"]), "year": YEAR_ASSUMED,
                  "tz": TZ_ASSUMED},
    }


def date_yearless(events: Iterable[dict[str, Any]]) -> Iterator[dict[str, Any]]:
    """Give events whose line had no year the year of the nearest dated line.

    Events marked ``attrs["year"] == YEAR_ASSUMED`` before any dated line are held
    back until one arrives; if none ever does they keep the current UTC year.
    A December line next to a January reference goes to the year before.
    """
    reference: float | None = None
    pending: list[dict[str, Any]] = []
    for event in events:
        attrs = event.get("attrs")
        if attrs is not None and attrs.get("year") == YEAR_ASSUMED:
            if reference is None:
                pending.append(event)
                continue
            _redate(event, reference)
        elif event.get("ts") is not None:
            reference = event["ts"]
            if pending:
                for held in pending:
                    _redate(held, reference)
                    yield held
                pending.clear()
        yield event
    yield from pending


def _redate(event: dict[str, Any], reference: float) -> None:
    ts = event.get("ts")
    if ts is None:
        return
    ref = datetime.fromtimestamp(reference, tz=timezone.utc)
    when = datetime.fromtimestamp(ts, tz=timezone.utc)
    year = ref.year
    if when.month - ref.month > 6:
        year -= 1
    elif ref.month - when.month > 6:
        year += 1
    try:
        event["ts"] = when.replace(year=year).timestamp()
    except ValueError:  # 29 February in a year without one
        return
    event["attrs"]["year"] = YEAR_INFERRED


class IngressNginxIngestor(LineIngestor):
    """ingress-nginx controller output: upstreaminfo access lines plus its own log lines."""

    name = "ingress-nginx"
    layer = Layer.INGRESS
    description = ("ingress-nginx upstreaminfo access log (request id, upstream addr, "
                   "status and time) with the controller's error-log and klog lines")

    def sniff(self, head: Head) -> float:
        """0.95 x the share of head lines that are upstreaminfo or controller lines;
        0 without a single upstreaminfo line."""
        lines = head.lines[:20]
        if not lines:
            return 0.0
        access = own = 0
        for line in lines:
            if _UPSTREAMINFO.match(line):
                access += 1
            elif _ERROR_LOG.match(line) or _KLOG.match(line):
                own += 1
        if not access:
            return 0.0
        return 0.95 * (access + own) / len(lines)

    def parse_line(self, text: str) -> dict[str, Any] | None:
        """An access, nginx error-log or klog line -> event; None otherwise.

        Access lines, by far the most, are tried first: no error-log or klog line
        can match the access pattern. Standalone, a klog line gets the current UTC
        year; ``parse`` replaces it with the year of the neighbouring dated lines.
        """
        event = parse_upstreaminfo(text)
        if event is not None:
            if not event["attrs"]:
                del event["attrs"]
            return event
        if text[4:5] == "/" and text[10:11] == " ":
            return parse_error_log(text)
        if text[:1] in ("I", "W", "E", "F") and text[1:5].isdigit():
            return parse_klog(text)
        return None

    def parse(self, source: SourceFile, ctx: ParseContext) -> Iterator[dict[str, Any]]:
        return date_yearless(super().parse(source, ctx))

    def parse_rows(self, source: SourceFile, ctx: ParseContext) -> Iterator[list[Row]]:
        """``parse`` as rows: the usual access line (``_UPSTREAMINFO_PLAIN``) straight
        into a row; any other line through ``parse_line``."""
        from triage.ingest.nginx_rows import date_yearless_rows, plain_row_reader  # they build on this module

        others: list[int] = []  # lines of the current block that went through parse_line

        def event_of_line(lineno: int, text: str, ctx: ParseContext) -> dict[str, Any] | None:
            others.append(lineno)
            return self.event_of_line(lineno, text, ctx)

        return date_yearless_rows(line_rows(self, source, ctx, plain_row_reader(), event_of_line),
                                  others)


class NginxCombinedIngestor(LineIngestor):
    """Plain nginx (or Apache) ``combined`` access logs, with nginx error-log lines."""

    name = "nginx-combined"
    layer = Layer.INGRESS
    description = "nginx combined access log (X-Forwarded-For chains, extra quoted fields)"

    def sniff(self, head: Head) -> float:
        """0.85 x the share of plain combined (or nginx error-log) lines; 0.6 x for an
        error log alone. Lines of the more specific formats do not count."""
        lines = head.lines[:20]
        if not lines:
            return 0.0
        access = errors = 0
        for line in lines:
            m = _COMBINED.match(line)
            if m is not None:
                # Lines of the more specific combined-prefixed formats are theirs.
                if not _UPSTREAMINFO.match(line) and not _OTHER_TAILS.search(m["extra"]):
                    access += 1
            elif _ERROR_LOG.match(line):
                errors += 1
        if access:
            return 0.85 * (access + errors) / len(lines)
        return 0.6 * errors / len(lines)

    def parse_line(self, text: str) -> dict[str, Any] | None:
        """A combined access line or an nginx error-log line -> event; None otherwise."""
        if text[4:5] == "/" and text[10:11] == " ":
            event = parse_error_log(text)
            if event is not None:
                return event
        return parse_combined(text)


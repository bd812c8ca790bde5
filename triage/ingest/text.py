"""Plain text logs whose lines start with a timestamp (CONTRACT §1, app logs).

Recognised line starts: ISO 8601 (``T`` or space, ``.`` or ``,`` fraction,
optional zone, optionally in brackets as log4j writes it), Go's ``2022/12/10
21:54:44``, syslog ``Dec 10 12:01:46 host prog[pid]:``, klog ``E1219
01:18:53.299220 1 file.go:138]``, and OpenStack lines that put the log file name
before the stamp. Lines that do not start with a timestamp (stack frames,
``Caused by:``, wrapped text) continue the event before them.

The helpers for those mixed-in lines -- joining continuations, giving year-less
stamps a year, finding ids and HTTP fragments in free text -- live here and are
shared with the logfmt and container ingestors.
"""
from __future__ import annotations

import re
import time
from datetime import datetime, timezone
from functools import lru_cache
from typing import Any, Iterator

from triage.ingest.base import Head, LineIngestor, ParseContext, SourceFile
from triage.ingest.jsonlines import iso_ts, url_path
from triage.model import Layer

_LEVELS = ("TRACE|DEBUG|INFO|NOTICE|WARNING|WARN|ERROR|ERR|SEVERE|CRITICAL|CRIT|FATAL|"
           "PANIC|ALERT|EMERGENCY|EMERG")
_ISO = (r"\d{4}[-/]\d{2}[-/]\d{2}[T ]\d{2}:\d{2}:\d{2}(?:[.,]\d{1,9})?"
        r"(?:Z|z|[+-]\d{2}:?\d{2}| UTC)?")
_START = re.compile(rf"\[?({_ISO})\]?(?:\s+|(?=\[)|$)(.*)")
_FILE_START = re.compile(rf"([\w.-]+\.log[\w.:-]*)\s+({_ISO})\s+(.*)")
_KLOG = re.compile(r"([IWEF])(\d{2})(\d{2}) (\d{2}):(\d{2}):(\d{2})(\.\d{1,9})?\s+(\d+) "
                   r"([^\s\]]+)\] ?(.*)")
_SYSLOG = re.compile(r"(Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) {1,2}(\d{1,2}) "
                     r"(\d{2}):(\d{2}):(\d{2})(\.\d{1,9})? (.*)")
_SYSLOG_REST = re.compile(r"(\S+) ([^\s:\[\]]+)(?:\[(\d{1,10})\])?: ?(.*)")
_MONTHS = {m: i for i, m in enumerate(
    ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"), 1)}
_KLOG_LEVELS = {"I": "info", "W": "warn", "E": "error", "F": "fatal"}

# What may follow the timestamp: log4j brackets, or pid/LEVEL/[thread]/logger.
_BRACKET_HEAD = re.compile(r"\[([A-Za-z]+)\s*\]\s*(?:\[([^\]]*?)\s*\])?\s*(?:\[([^\]]*)\])?\s*(.*)")
_PREFIX = re.compile(
    rf"(?:(\d{{1,10}})\s+)?((?i:{_LEVELS})):?(?=\s|$)\s*"
    r"(?:\[[^\]]*,[^\]]*\]\s*)?"  # Sleuth MDC [app,traceId,spanId,export]
    r"(?:(\d{1,10})\s+(?:---\s+)?)?"
    r"(?:\[([^\]]*)\]\s*)?(?:\[[^\]]*\]\s*)*"
    r"(?:([A-Za-z_$][\w$]*(?:\.[\w$]+)+)(?:\s*:\s+|\s+-\s+|\s+(?=\[)))?(.*)")
_PY_HEAD = re.compile(rf"(?:([\w.$-]+)\s+-\s+)?({_LEVELS})\s+-\s+(.*)")
_LEVEL_WORD = re.compile(rf"(?<![\w-])({_LEVELS})(?![\w-])")
_OSLO_CONTEXT = re.compile(r"\[(req-[0-9a-fA-F-]{36})[^\]]*\]\s*")

# Ids and HTTP fragments inside free text.
_REQ_UUID = re.compile(r"(?<![\w-])req-[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-"
                       r"[0-9a-fA-F]{4}-[0-9a-fA-F]{12}(?![\w-])")
_REQ_KV = re.compile(r"(?i)(?<![\w-])(?:x[-_])?(?:request|req|correlation)[-_]?id[\"']?"
                     r"\s*[:=]\s*[\"']?([A-Za-z0-9][\w.:/+=-]{1,127})")
_TRACEPARENT = re.compile(r"(?<![0-9a-fA-F-])00-([0-9a-fA-F]{32})-([0-9a-fA-F]{16})-"
                          r"[0-9a-fA-F]{2}(?![0-9a-fA-F])")
_TRACE_KV = re.compile(r"(?i)(?<![\w-])trace[-_.]?id[\"']?\s*[:=]\s*[\"']?"
                       r"([0-9a-fA-F][0-9a-fA-F-]{15,47})(?![\w-])")
_SPAN_KV = re.compile(r"(?i)(?<![\w-])span[-_.]?id[\"']?\s*[:=]\s*[\"']?([0-9a-fA-F]{16})(?![\w-])")
# Spring Sleuth [app,traceId,spanId,export] and Boot 3's [traceId-spanId].
_SLEUTH = re.compile(r"\[(?:[\w.-]*,)?([0-9a-fA-F]{16,32})[,-]([0-9a-fA-F]{16})(?:,(?:true|false))?\]")
_HTTP = re.compile(r"(?:(\d{1,3}(?:\.\d{1,3}){3})(?::\d{1,5})?(?: -)* )?"
                   r"\"([A-Z]{3,7}) (\S+) HTTP/\d(?:\.\d)?\""
                   r"(?:\s+(?:status:\s*)?(\d{3})\b)?(?:\s+len:\s*\d+)?(?:\s+time:\s*(\d+\.\d+))?")

# Continuation lines: indented text, Java's "Caused by:" and "... N more", Python's
# traceback header. A Python traceback ends with an unindented "XError: msg".
CONTINUATION = re.compile(r"\s|Caused by:|Suppressed:|\.\.\. \d+ (?:more|common frames)|"
                          r"Traceback \(most recent call last\)")
_EXCEPTION_LINE = re.compile(
    r"(?:Caused by: |Exception in thread \"[^\"]*\" )?"
    r"([A-Za-z_][\w.$]*(?:Error|Exception|Exit|Interrupt|Fault|Failure|Warning))(?=[:(\s]|$)")
MAX_STACK_LINES = 50
MAX_LINE_CHARS = 500


@lru_cache(maxsize=4096)
def _day_start(year: int, month: int, day: int) -> float | None:
    try:
        return datetime(year, month, day, tzinfo=timezone.utc).timestamp()
    except ValueError:
        return None


def yearless_ts(year: int, md: tuple[int, int, float]) -> float | None:
    """Epoch seconds for ``(month, day, seconds of day)`` in ``year``."""
    base = _day_start(year, md[0], md[1])
    return None if base is None else base + md[2]


def _guess_ts(md: tuple[int, int, float]) -> float | None:
    """This year's stamp, or last year's when this year's lies more than a day ahead."""
    now = time.time()
    year = time.gmtime(now).tm_year
    ts = yearless_ts(year, md)
    if ts is not None and ts > now + 86400:
        ts = yearless_ts(year - 1, md)
    return ts


def _yearless_event(md: tuple[int, int, float], level: str | None) -> dict[str, Any] | None:
    ts = _guess_ts(md)
    if ts is None:
        return None
    event: dict[str, Any] = {"ts": ts, "_md": md, "attrs": {"year_guessed": True}}
    if level:
        event["level"] = level
    return event


def _seconds(h: str, m: str, s: str, frac: str | None) -> float:
    return int(h) * 3600 + int(m) * 60 + int(s) + (float(frac) if frac else 0.0)


def parse_klog(text: str) -> dict[str, Any] | None:
    """A klog line (``E1219 01:18:53.299220 1 file.go:138] msg``) with a guessed year.

    The event carries ``_md`` (month, day, seconds) for ``YearFixer``; callers
    that do not use one must pop it.
    """
    m = _KLOG.match(text)
    if m is None or not (1 <= int(m.group(2)) <= 12):
        return None
    md = (int(m.group(2)), int(m.group(3)), _seconds(m.group(4), m.group(5), m.group(6), m.group(7)))
    event = _yearless_event(md, _KLOG_LEVELS[m.group(1)])
    if event is None:
        return None
    event["attrs"].update({"thread": m.group(8), "source_file": m.group(9)})
    event["message"] = m.group(10)
    scan_text(m.group(10), event)
    return event


def _parse_syslog(text: str) -> dict[str, Any] | None:
    m = _SYSLOG.match(text)
    if m is None:
        return None
    md = (_MONTHS[m.group(1)], int(m.group(2)), _seconds(m.group(3), m.group(4), m.group(5), m.group(6)))
    event = _yearless_event(md, None)
    if event is None:
        return None
    rest = m.group(7)
    head = _SYSLOG_REST.match(rest)
    if head is not None:
        event["attrs"].update({"host": head.group(1), "program": head.group(2)})
        if head.group(3):
            event["attrs"]["pid"] = int(head.group(3))
        rest = head.group(4)
    level = _LEVEL_WORD.search(rest, 0, 80)
    if level is not None:
        event["level"] = level.group(1)
    event["message"] = rest
    scan_text(rest, event)
    return event


def _parse_iso_line(stamp: str, rest: str, attrs: dict[str, Any]) -> dict[str, Any] | None:
    if stamp[4] == "/":
        stamp = stamp.replace("/", "-", 2)
    ts = iso_ts(stamp)
    if ts is None:
        return None
    event: dict[str, Any] = {"ts": ts}
    _fill_rest(event, rest, attrs)
    if attrs:
        event["attrs"] = attrs
    return event


def _fill_rest(event: dict[str, Any], rest: str, attrs: dict[str, Any]) -> None:
    """Level, logger, thread and message from what follows the timestamp."""
    level = message = None
    if rest[:1] == "[":
        m = _BRACKET_HEAD.match(rest)
        if m is not None and m.group(1).upper() in _LEVEL_SET:
            level, message = m.group(1), m.group(4)
            if m.group(2):
                attrs["logger"] = m.group(2)
            if m.group(3) is not None:
                attrs["node"] = m.group(3)
    if level is None:
        body = rest.lstrip("-| \t")
        m = _PREFIX.match(body)
        if m is not None:
            pid, level, pid2, thread, logger, message = m.groups()
            if pid or pid2:
                attrs["pid"] = int(pid or pid2)
            if thread is not None:
                attrs["thread"] = thread.strip()
            if logger:
                attrs["logger"] = logger
        elif (m := _PY_HEAD.match(body)) is not None:
            level, message = m.group(2), m.group(3)
            if m.group(1):
                attrs["logger"] = m.group(1)
        else:
            found = _LEVEL_WORD.search(rest, 0, 80)
            level = found.group(1) if found else None
            message = body
    if level:
        event["level"] = level
    if message and message[:5] == "[req-":
        context = _OSLO_CONTEXT.match(message)
        if context is not None:
            event["request_id"] = context.group(1)
            message = message[context.end():]
    event["message"] = (message or rest).strip()
    scan_text(rest, event)


_LEVEL_SET = frozenset(_LEVELS.split("|"))


def scan_text(text: str, event: dict[str, Any]) -> None:
    """Fill ids and an access-style HTTP fragment found in free text (never overwrites)."""
    if "request_id" not in event:
        if "req-" in text and (m := _REQ_UUID.search(text)):
            event["request_id"] = m.group(0)
        elif ("id" in text or "Id" in text or "ID" in text) and (m := _REQ_KV.search(text)):
            event["request_id"] = m.group(1)
    if "trace_id" not in event:
        if "00-" in text and (m := _TRACEPARENT.search(text)):
            event["trace_id"] = m.group(0)
            event.setdefault("span_id", m.group(2))
        elif "[" in text and (m := _SLEUTH.search(text)):
            event["trace_id"] = m.group(1)
            event.setdefault("span_id", m.group(2))
        elif ("race" in text or "RACE" in text) and (m := _TRACE_KV.search(text)):
            event["trace_id"] = m.group(1)
    if "span_id" not in event and ("pan" in text or "PAN" in text) and (m := _SPAN_KV.search(text)):
        event["span_id"] = m.group(1)
    if "method" not in event and " HTTP/" in text and (m := _HTTP.search(text)):
        event["method"], event["path"] = m.group(2), url_path(m.group(3))
        if m.group(1):
            event.setdefault("client_ip", m.group(1))
        if m.group(4):
            event["status"] = int(m.group(4))
        if m.group(5):
            event["latency_ms"] = round(float(m.group(5)) * 1000.0, 6)


def parse_stamped(text: str) -> dict[str, Any] | None:
    """An event from a line that starts with a timestamp, else None.

    Year-less stamps (syslog, klog) get a guessed year, ``attrs["year_guessed"]``
    and a private ``_md`` key that ``YearFixer`` consumes (pop it otherwise).
    """
    if not text:
        return None
    first = text[0]
    if first.isdigit() or first == "[":
        m = _START.match(text)
        return _parse_iso_line(m.group(1), m.group(2), {}) if m else None
    if first in "IWEF" and (event := parse_klog(text)) is not None:
        return event
    if first in "JFMASOND" and (event := _parse_syslog(text)) is not None:
        return event
    if ".log" in text[:100]:
        m = _FILE_START.match(text)
        if m is not None:
            event = _parse_iso_line(m.group(2), m.group(3), {"file": m.group(1)})
            if event is not None:
                # oslo.log names files after the service: nova-api.log.1 -> nova-api
                event["service"] = m.group(1).split(".log", 1)[0]
            return event
    return None


_PLAIN_PREFIX = re.compile(r"([\w./-]{1,40}): (?=\d)")


def plain_event(text: str) -> dict[str, Any]:
    """An event for a line of no known format: its own timestamp if it has one.

    Handles a short ``prefix: `` before the stamp (Go's ``log.New("redis: ")``).
    Never returns a ``_md`` key.
    """
    event = parse_stamped(text)
    if event is None:
        m = _PLAIN_PREFIX.match(text)
        if m is not None:
            event = parse_stamped(text[m.end():])
            if event is not None:
                event.setdefault("attrs", {})["prefix"] = m.group(1)
    if event is None:
        event = {"ts": None, "message": text.strip()}
        scan_text(text, event)
    event.pop("_md", None)
    return event


class Joiner:
    """Holds the newest event open so that continuation lines can join it.

    The first line stays the message; continuation lines go to
    ``attrs["stack"]`` (capped), and an exception class named there becomes
    ``error`` when the event has none.
    """

    __slots__ = ("event", "stack", "dropped")

    def __init__(self) -> None:
        self.event: dict[str, Any] | None = None
        self.stack: list[str] = []
        self.dropped = 0

    def push(self, event: dict[str, Any]) -> dict[str, Any] | None:
        """Open ``event``; returns the previous one, now complete (or None)."""
        done = self.finish()
        self.event = event
        return done

    def add(self, line: str) -> bool:
        """Append a continuation line; False when no event is open."""
        if self.event is None:
            return False
        if len(self.stack) < MAX_STACK_LINES:
            self.stack.append(line[:MAX_LINE_CHARS])
        else:
            self.dropped += 1
        return True

    def continues(self, line: str) -> bool:
        """Whether ``line`` looks like a continuation of the open event."""
        if self.event is None:
            return False
        if CONTINUATION.match(line):
            return True
        # The last line of a Python traceback is unindented: "ValueError: msg".
        return bool(self.stack) and self.stack[-1][:1].isspace() and bool(_EXCEPTION_LINE.match(line))

    def finish(self) -> dict[str, Any] | None:
        """Close and return the open event (or None)."""
        event = self.event
        if event is not None and self.stack:
            _attach_stack(event, self.stack, self.dropped)
        self.event, self.stack, self.dropped = None, [], 0
        return event


def _attach_stack(event: dict[str, Any], stack: list[str], dropped: int) -> None:
    attrs = event.get("attrs")
    if attrs is None:
        attrs = event["attrs"] = {}
    text = "\n".join(stack)
    if dropped:
        text += f"\n... ({dropped} more lines)"
    attrs["stack"] = f"{attrs['stack']}\n{text}" if attrs.get("stack") else text
    if not event.get("error"):
        exception = None
        for line in [event.get("message") or ""] + stack:
            if not line[:1].isspace() and (m := _EXCEPTION_LINE.match(line)):
                exception = m.group(1)
        if exception:
            event["error"] = exception


class YearFixer:
    """Gives year-less stamps (syslog, klog) the year of the file's other lines.

    The year of the nearest dated event before wins; events before the first
    dated one are held back until it comes (or the end, keeping the guess).
    """

    def __init__(self) -> None:
        self.last_ts: float | None = None
        self.held: list[dict[str, Any]] = []
        self.held_md: list[tuple[int, int, float] | None] = []

    def feed(self, event: dict[str, Any]) -> list[dict[str, Any]]:
        """Events ready to emit, in order, after ``event`` arrives."""
        md = event.pop("_md", None)
        if md is None:
            ts = event.get("ts")
            if ts is not None:
                self.last_ts = ts
            if not self.held:
                return [event]
            self.held.append(event)
            self.held_md.append(None)
            return self._release() if ts is not None else []
        if self.last_ts is not None and not self.held:
            self._set_year(event, md, time.gmtime(self.last_ts).tm_year)
            return [event]
        self.held.append(event)
        self.held_md.append(md)
        return []

    def finish(self) -> list[dict[str, Any]]:
        """Whatever is held, with the guessed year."""
        held, self.held, self.held_md = self.held, [], []
        return held

    def _release(self) -> list[dict[str, Any]]:
        year = time.gmtime(self.last_ts).tm_year  # type: ignore[arg-type]
        for event, md in zip(self.held, self.held_md):
            if md is not None:
                self._set_year(event, md, year)
        return self.finish()

    @staticmethod
    def _set_year(event: dict[str, Any], md: tuple[int, int, float], year: int) -> None:
        ts = yearless_ts(year, md)
        if ts is not None:
            event["ts"] = ts


class TextLogIngestor(LineIngestor):
    """Text lines that start with a timestamp; other lines continue the event before."""

    name = "text"
    joins_continuations = True
    layer = Layer.APP
    description = "plain text logs starting with a timestamp (log4j, logback, syslog, oslo, klog)"

    def sniff(self, head: Head) -> float:
        """0.2-0.3 when most head lines (continuations aside) start with a timestamp."""
        stamped = others = 0
        for line in head.lines[:30]:
            if CONTINUATION.match(line):
                continue
            if parse_stamped(line) is not None:
                stamped += 1
            else:
                others += 1
        total = stamped + others
        if not total or stamped / total < 0.6:
            return 0.0
        return round(0.2 + 0.1 * stamped / total, 3)

    def parse_line(self, text: str) -> dict[str, Any] | None:
        """An event from a timestamped line, else None (a continuation)."""
        event = parse_stamped(text)
        if event is not None:
            event.pop("_md", None)
        return event

    def splittable(self, head: Head) -> bool:
        return False  # continuation lines belong to the event before them

    def parse(self, source: SourceFile, ctx: ParseContext) -> Iterator[dict[str, Any]]:
        """Events with continuation lines joined; a continuation before any event is skipped."""
        joiner, years = Joiner(), YearFixer()
        for lineno, text in source.lines():
            if not text or text.isspace():
                continue
            event = parse_stamped(text)
            if event is None:
                if not joiner.add(text):
                    ctx.skip_line(lineno, "continuation line before any timestamped line", text)
                continue
            event["line"] = lineno
            done = joiner.push(event)
            if done is not None:
                yield from years.feed(done)
        done = joiner.finish()
        if done is not None:
            yield from years.feed(done)
        yield from years.finish()

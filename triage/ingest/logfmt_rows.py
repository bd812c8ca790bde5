"""logfmt lines straight into rows (``triage.ingest.rows``): ``LogfmtIngestor.parse_rows``.

A service writes the same few key sets line after line (``time= level= msg="..."
service= request_id= ...``). Each key set, with which values are quoted, is a
*shape*; once a few lines of a shape have gone through ``convert_pairs``, the
shape is learnt: one regex matches every learnt shape at once (a trie of the shapes'
tokens, so shapes that share a start are not tried one by one), and the shape's
row builder turns the match into the row ``convert_pairs`` gives, with no dict
per event and one parse per distinct second, path, status, duration and service.

Only shapes ``convert_pairs`` reads without choices are learnt (a message, no
error fields, no Heroku ``at``/``code``, no l2met measure, no nesting prefix), and
their regex only matches lines that ``split_pairs`` reads the same way (single
spaces, no backslash, no ``<``, mapped values neither empty nor ``-``, attribute
values short enough not to be cut). Every other line takes the general path, and
the first line that is not logfmt at all hands the rest of the file to
``_parse_mixed`` with the state ``parse`` would have had there.
"""
from __future__ import annotations

import re
from itertools import chain
from typing import Any, Callable, Iterator

from triage.ingest.base import SourceFile, UnreadableSource, line_blocks
from triage.ingest.ids import normalize_request_id, normalize_trace_id
from triage.ingest.jsonlines import (MAX_ATTR_CHARS, duration_ms, http_status, iso_tail, iso_ts,
                                     record_ts, url_path)
from triage.ingest.logfmt import (FIELDS, MAX_ATTRS, _MAPPED, _UNITS, _parse_mixed, _shape,
                                  convert_line, split_pairs)
from triage.ingest.rows import BLOCK_ROWS, INDEX, Row, row_of
from triage.ingest.text import Joiner, YearFixer

# Learning a shape compiles the regex of all shapes again (~30 us a pair), so a
# shape is learnt only where that pays: at the 3rd general line of its key set
# (again 10 times as many lines later, if that line's values kept it out), once
# the file has had LINES_PER_SHAPE lines per shape already learnt, and while the
# shapes stay small. The compiling then costs at most about what the general
# path costs per line.
LEARN_AFTER = 3
LINES_PER_SHAPE = 1024
MAX_SHAPE_TOKENS = 48          # pairs of one shape
MAX_TOKENS = 512               # pairs of all learnt shapes together
MAX_KEY_SETS = 65536           # key sets counted
CACHE_LIMIT = 65536            # distinct values kept per cache
_TS = INDEX["ts"]

# The columns a row builder fills from the line, in the order it unpacks them.
_COLUMNS = ("ts", "level", "span_id", "method", "path", "status", "latency", "upstream_host",
            "client_ip", "user_agent", "message")
_REFUSED_COLUMNS = {"error_code", "error_text"}
_REFUSED_KEYS = {"at", "code"}
# A learnt line's tokens, for its shape: key, then a quoted or a plain value.
_SPEC_TOKEN = re.compile(r'([^\s="<\\]+)=(?:("[^"\\<\r\n]*")|[^\s"\\<]*)(?: |\Z)')
# Value patterns. A mapped value (a FIELDS name, service) is never "" or "-",
# which FIELDS would pass over; an attribute value is never longer than attrs keep.
_QUOTED = r'"([^"\\<\r\n]{%s,%s})"'
# A plain value is printable ASCII only (no space, quote, backslash or "<"): then
# sre tests each character against a bitmap, twice as fast as with ``\s``, and
# ``str.split`` cannot see whitespace inside it that the regex does not.
_PLAIN = r'([!#-;=>-\[\]-~]{%s,%s})'
_NOT_DASH_QUOTED = r'(?!"-")'
_NOT_DASH_PLAIN = r'(?!-(?: |\Z))'
_NEVER = r"(?:()(?!))?"  # group 1: never takes part, so it reads as None
# Ids that ``normalize_request_id`` / ``normalize_trace_id`` return unchanged (the
# space or end that must follow is the next token's business).
_CANONICAL_REQUEST_ID = r"(?!0*(?: |\Z))([0-9a-f]{32}|[0-9a-f]{16})"
_CANONICAL_TRACE_ID = r"(?!0*(?: |\Z))([0-9a-f]{32})"

Builder = Callable[["re.Match[str]", int], Row]


def logfmt_rows(source: SourceFile) -> Iterator[list[Row]]:
    """The events of ``LogfmtIngestor.parse`` as blocks of rows, in line order.

    In: a logfmt source. Out: lists of rows (``triage.ingest.rows``). Raises:
    ``UnreadableSource`` after the rows of the events ``parse`` yields before it
    (the newest event is still open for continuations then, so it is not among them).
    """
    shapes = _Shapes()
    lines = enumerate(chain.from_iterable(line_blocks(source)), 1)
    rows: list[Row] = []
    last_ts = None  # the newest ts of the rows handed out
    held_text = ""  # the text of the newest row's line
    match, builders = shapes.match, shapes.builders
    try:
        for lineno, text in lines:
            found = match(text)
            if found is not None:
                rows.append(builders[found.lastindex](found, lineno))
            elif not text or text.isspace():
                continue
            else:
                pairs = split_pairs(text)
                if pairs is None:
                    break
                row = row_of(convert_line(pairs, text), lineno)
                rows.append(row)
                if not pairs[1] and shapes.learn(text, pairs[0], row):
                    match = shapes.match
            held_text = text
            if len(rows) > BLOCK_ROWS:  # the newest row stays: parse holds it open
                done, rows = rows[:-1], rows[-1:]
                last_ts = _newest_ts(done, last_ts)
                yield done
        else:
            if rows:
                yield rows
            return
    except UnreadableSource:
        if len(rows) > 1:
            yield rows[:-1]
        raise
    yield from _mixed_rows(lineno, text, lines, rows, held_text, last_ts)


def _mixed_rows(lineno: int, text: str, lines: Iterator[tuple[int, str]], rows: list[Row],
                held_text: str, last_ts: float | None) -> Iterator[list[Row]]:
    """The rest of the file from its first line that is not logfmt (``lineno``,
    ``text``), read by ``_parse_mixed`` as ``parse`` hands over to it: the newest
    row's event open in a ``Joiner``, the newest ts before it in a ``YearFixer``."""
    joiner, years = Joiner(), YearFixer()
    if rows:
        held = rows.pop()
        last_ts = _newest_ts(rows, last_ts)
        event = convert_line(split_pairs(held_text), held_text)
        event["line"] = held[INDEX["line"]]
        joiner.push(event)
    if last_ts is not None:
        years.feed({"ts": last_ts})
    try:
        for event in _parse_mixed(chain(((lineno, text),), lines), joiner, years):
            rows.append(row_of(event, event["line"]))
            if len(rows) >= BLOCK_ROWS:
                yield rows
                rows = []
    except UnreadableSource:
        if rows:
            yield rows
        raise
    if rows:
        yield rows


def _newest_ts(rows: list[Row], before: float | None) -> float | None:
    return next((row[_TS] for row in reversed(rows) if row[_TS] is not None), before)


class _Shapes:
    """The learnt shapes: one regex for all, and a row builder per shape.

    ``match(text)`` is None for a line of no learnt shape; otherwise
    ``builders[m.lastindex](m, line)`` is its row (each shape ends in an empty
    group of its own, the last group a match closes).
    """

    def __init__(self) -> None:
        self.specs: list[tuple[tuple[str, bool], ...]] = []
        self.builders: list[Builder | None] = []
        self.seen: dict[tuple[str, ...], int] = {}  # general lines per key set
        self.next_try: dict[tuple[str, ...], int] = {}
        self.tokens = 0
        self.match = re.compile(r"(?!)").match  # nothing learnt yet

    def learn(self, text: str, pairs: dict[str, str], row: Row) -> bool:
        """Learn the shape of ``text`` (whose ``pairs`` and general-path ``row`` are
        given) when it can be read fast; True when ``match`` has changed."""
        keys = tuple(pairs)
        seen = self.seen.get(keys, 0) + 1
        if seen > 1 or len(self.seen) < MAX_KEY_SETS:
            self.seen[keys] = seen
        if (seen < self.next_try.get(keys, LEARN_AFTER) or row[-1] < LINES_PER_SHAPE * len(self.specs)
                or len(keys) > MAX_SHAPE_TOKENS or self.tokens + len(keys) > MAX_TOKENS):
            return False
        self.next_try[keys] = 10 * seen
        spec = _spec_of(text, keys)
        if spec is None or spec in self.specs or not _readable(keys):
            return False
        specs = self.specs + [spec]
        pattern, paths = _compile(specs)
        builders: list[Builder | None] = [None] * (max(groups[-1] for groups in paths) + 1)
        for known, groups in zip(specs, paths):  # group numbers move as the trie grows
            builders[groups[-1]] = _row_builder(known, groups)
        found = pattern.match(text)
        # A shape is trusted only once its builder gives this line's general row.
        if (found is None or found.lastindex != paths[-1][-1]
                or builders[found.lastindex](found, row[-1]) != row):
            return False
        self.specs = specs
        self.tokens += len(keys)
        self.builders[:] = builders
        self.match = pattern.match
        return True


def _spec_of(text: str, keys: tuple[str, ...]) -> tuple[tuple[str, bool], ...] | None:
    """``((key, quoted), ...)`` of a line of single-space separated tokens whose keys
    are ``keys`` in order (no key twice), else None."""
    spec = []
    position = 0
    while position < len(text):
        token = _SPEC_TOKEN.match(text, position)
        if token is None:
            return None
        spec.append((token.group(1), token.group(2) is not None))
        position = token.end()
    if tuple(key for key, _ in spec) != keys:
        return None
    return tuple(spec)


def _readable(keys: tuple[str, ...]) -> bool:
    """Whether ``convert_pairs`` reads lines with these keys without choices that
    depend on the values (besides those the regex rules out)."""
    shape = _shape(dict.fromkeys(keys, ""))
    if shape.columns is None or shape.measure is not None or _REFUSED_KEYS & set(keys):
        return False
    columns = {column for column, _ in shape.columns}
    return "message" in columns and not columns & _REFUSED_COLUMNS


def _canonical_id(key: str, quoted: bool) -> str | None:
    """The regex of an id that ``ids`` keeps as it is, when a plain value of ``key``
    is a request or trace id: such a value gets a group of its own (before the
    token's general one), so the common id costs no normalising call."""
    if quoted:
        return None
    columns = {column for column, _ in FIELDS.index.get(key, ())}
    if "request_id" in columns:
        return _CANONICAL_REQUEST_ID
    return _CANONICAL_TRACE_ID if "trace_id" in columns else None


def _value_pattern(key: str, quoted: bool) -> str:
    canonical = _canonical_id(key, quoted)
    general = _general_value_pattern(key, quoted)
    return general if canonical is None else f"(?:{canonical}|{general})"


def _general_value_pattern(key: str, quoted: bool) -> str:
    mapped = key in FIELDS.index or key == "service"
    longest = str(MAX_ATTR_CHARS) if key not in _MAPPED else ""
    shortest = "1" if mapped else "0"
    if quoted:
        value = _QUOTED % (shortest, longest)
        return (_NOT_DASH_QUOTED + value) if mapped else value
    value = _PLAIN % (shortest, longest)
    return (_NOT_DASH_PLAIN + value) if mapped else value


def _compile(specs: list[tuple[tuple[str, bool], ...]]) -> tuple[re.Pattern[str], list[list[int]]]:
    """One regex for all ``specs`` and, per spec, the (first) group of each of its
    tokens followed by its end group."""
    trie: dict = {}
    for number, spec in enumerate(specs):
        node = trie
        for token in spec:
            node = node.setdefault(token, {})
        node[None] = number
    paths: list[list[int]] = [[] for _ in specs]
    groups = [1]  # group 1 is _NEVER's

    def render(node: dict, path: list[int], first: bool) -> str:
        alternatives = []
        for token, child in node.items():
            groups[0] += 1
            if token is None:
                paths[child] = path + [groups[0]]
                alternatives.append(r"\Z()")
                continue
            key, quoted = token
            token_group = groups[0]
            if _canonical_id(key, quoted) is not None:
                groups[0] += 1  # the token's general group follows its canonical one
            head = ("" if first else " ") + re.escape(key) + "=" + _value_pattern(key, quoted)
            alternatives.append(head + render(child, path + [token_group], False))
        return "(?:" + "|".join(alternatives) + ")"

    return re.compile(_NEVER + render(trie, [], True)), paths


class _Memo(dict):
    """``func(value)`` per distinct value (at most ``CACHE_LIMIT`` kept); None gives None."""

    __slots__ = ("func",)

    def __init__(self, func: Callable[[Any], Any]) -> None:
        super().__init__({None: None})
        self.func = func

    def __missing__(self, value: Any) -> Any:
        result = self.func(value)
        if len(self) < CACHE_LIMIT:
            self[value] = result
        return result


def _second_of(prefix: str) -> float | None:
    """Epoch seconds of ``YYYY-MM-DDTHH:MM:SS`` as ``iso_ts`` reads it, else None."""
    if len(prefix) == 19 and prefix[4] == "-" and prefix[10] in "T ":
        return iso_ts(prefix)
    return None


def _fraction_of(tail: str) -> float | None:
    """What ``iso_ts`` adds to the whole seconds for the rest of a UTC stamp
    (``""``, ``Z``, ``.250Z``), else None (a zone offset, or not a stamp)."""
    found = iso_tail(tail)
    return found[0] if found is not None and found[1] is None else None


def _method_of(value: str) -> str | None:
    return value.upper() if value.isalpha() else None


def _service_of(value: str) -> tuple[str | None, float | None]:
    """``(service name, None)``, or ``(None, ms)`` for Heroku's ``service=8ms``."""
    service_ms = duration_ms(value) if value[-1] == "s" and value[0].isdigit() else None
    return (None, service_ms) if service_ms is not None else (value, None)


# Pure functions of one string: the caches serve every file read in the process.
_SECONDS = _Memo(_second_of)
_FRACTIONS = _Memo(_fraction_of)
_METHODS = _Memo(_method_of)
_PATHS = _Memo(url_path)
_STATUSES = _Memo(http_status)
_SERVICES = _Memo(_service_of)
_SERVICES[None] = (None, None)
_LATENCIES: dict[float | None, _Memo] = {}


def _id_groups(spec: tuple[tuple[str, bool], ...], group_of: dict[str, int],
               key: str | None) -> tuple[int, int]:
    """``(group of a canonical id, group of any other value)`` of ``key``'s token;
    1 (never set) for what it does not have."""
    if key is None:
        return 1, 1
    if _canonical_id(key, dict(spec)[key]) is None:
        return 1, group_of[key]
    return group_of[key], group_of[key] + 1


def _row_builder(spec: tuple[tuple[str, bool], ...], groups: list[int]) -> Builder:
    """The row of a line of shape ``spec`` from its match (``groups``: the group of
    each token, then the end group): the row ``row_of(convert_pairs(...))`` gives."""
    keys = tuple(key for key, _ in spec)
    shape = _shape(dict.fromkeys(keys, ""))
    group_of = dict(zip(keys, groups))
    chosen = {column: candidates[0] for column, candidates in shape.columns}
    take = tuple(group_of[chosen[column]] if column in chosen else 1 for column in _COLUMNS)
    take += (group_of.get("service", 1), *_id_groups(spec, group_of, chosen.get("request_id")),
             *_id_groups(spec, group_of, chosen.get("trace_id")))
    unit = _UNITS.get(chosen.get("latency", ""))
    latencies = _LATENCIES.setdefault(unit, _Memo(lambda value: duration_ms(value, unit)))
    attr_keys = shape.attrs[:MAX_ATTRS] if len(keys) > len(shape.columns) else ()
    attr_groups = tuple(group_of[key] for key in attr_keys) + (1,)  # two at least: a tuple
    seconds, fractions = _SECONDS, _FRACTIONS
    methods, paths, statuses, services = _METHODS, _PATHS, _STATUSES, _SERVICES

    def row(found: re.Match[str], line: int) -> Row:
        (ts_text, level, span_id, method, path, status, latency, upstream, client, agent, message,
         service, request_id, other_request_id, trace_id, other_trace_id) = found.group(*take)
        ts = None
        if ts_text is not None:
            base, fraction = seconds[ts_text[:19]], fractions[ts_text[19:]]
            ts = record_ts(ts_text) if base is None or fraction is None else base + fraction
        name, service_ms = services[service]
        latency_ms = latencies[latency]
        return (ts, None, name, level,
                normalize_request_id(other_request_id) if request_id is None else request_id,
                normalize_trace_id(other_trace_id) if trace_id is None else trace_id, span_id,
                methods[method], paths[path], statuses[status],
                service_ms if latency_ms is None else latency_ms, upstream, None, None, client, agent,
                message, None,
                dict(zip(attr_keys, found.group(*attr_groups))) if attr_keys else None, None, line)

    return row

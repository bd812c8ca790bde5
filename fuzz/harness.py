"""Feed bytes to one ingestor (or to detection) and check what must always hold.

Shared by the property tests here and the atheris targets in ``fuzz/``: an
ingestor given any bytes either returns well-formed records, counting and
locating what it skipped, or raises ``UnreadableSource``; nothing else escapes.
"""
from __future__ import annotations

import math
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from triage.ingest.base import (LineIngestor, ParseContext, SourceFile, UnreadableSource, decode)
from triage.ingest.loader import read_source
from triage.ingest.rows import row_of
from triage.model import EVENT_COLUMNS, SourceKind, TestResult

PANDAS_MIN_TS, PANDAS_MAX_TS = -9_223_372_036.0, 9_223_372_036.0  # seconds, datetime64[ns]
STATUSES = {"ok", "unsupported", "empty", "binary", "truncated", "error"}
_NUMERIC = {"ts": float, "status": int, "upstream_status": int, "latency_ms": float,
            "upstream_latency_ms": float, "line": int}


@dataclass
class Outcome:
    records: Any                  # events (list of dicts), tests, or a document
    ctx: ParseContext
    unreadable: UnreadableSource | None


def write_temp(data: bytes, name: str) -> tuple[tempfile.TemporaryDirectory, Path]:
    folder = tempfile.TemporaryDirectory(prefix="triage-fuzz-")
    path = Path(folder.name) / name
    path.write_bytes(data)
    return folder, path


def ingest(ingestor, data: bytes, name: str = "fuzz.log") -> Outcome:
    """Parse ``data`` as ``ingestor``'s format, draining its records."""
    folder, path = write_temp(data, name)
    with folder:
        return ingest_file(ingestor, path, name)


def ingest_file(ingestor, path: Path, name: str) -> Outcome:
    """Parse the file at ``path`` (shown as ``name``) as ``ingestor``'s format."""
    ctx = ParseContext(name)
    try:
        parsed = ingestor.parse(SourceFile(path, name), ctx)
        records = parsed if ingestor.kind in (SourceKind.METADATA, SourceKind.MANIFEST) else list(parsed)
    except UnreadableSource as exc:
        return Outcome(None, ctx, exc)
    return Outcome(records, ctx, None)


def non_blank_lines(data: bytes) -> list[int]:
    """1-based numbers of the lines a line parser must account for (as base decodes them)."""
    pieces = data.split(b"\n")
    if pieces and pieces[-1] == b"":
        pieces.pop()
    found = []
    for number, raw in enumerate(pieces, 1):
        text = decode(raw).rstrip("\r\n")
        if text and not text.isspace():
            found.append(number)
    return found


def check_event(event: dict[str, Any]) -> None:
    """Only known columns, each of its documented type, times finite and in range."""
    assert isinstance(event, dict)
    assert set(event) <= set(EVENT_COLUMNS), set(event) - set(EVENT_COLUMNS)
    for key, value in event.items():
        if value is None:
            continue
        if key == "attrs":
            assert isinstance(value, dict)
        elif key in _NUMERIC:
            assert isinstance(value, (int, float)) and not isinstance(value, bool), (key, value)
            assert math.isfinite(value), (key, value)
            if key == "ts":  # within what a pandas datetime64[ns] column can hold
                assert PANDAS_MIN_TS < value < PANDAS_MAX_TS, value
        else:
            assert isinstance(value, str), (key, value)


def check_outcome(ingestor, outcome: Outcome, data: bytes) -> None:
    """Every invariant an ingestor owes its caller, for one input."""
    ctx = outcome.ctx
    assert ctx.skipped >= len(ctx.examples)
    lines = data.count(b"\n") + 1
    for example in ctx.examples:
        assert example.line is None or 1 <= example.line <= lines, example
        assert len(example.reason) <= 300
    if outcome.unreadable is not None:
        assert outcome.unreadable.status in STATUSES, outcome.unreadable.status
        assert str(outcome.unreadable)
        return
    if ingestor.kind is SourceKind.EVENTS:
        for event in outcome.records:
            check_event(event)
            assert event.get("line") is None or 1 <= event["line"] <= lines, event.get("line")
    elif ingestor.kind is SourceKind.TESTS:
        assert all(isinstance(test, TestResult) for test in outcome.records)


def check_rows(ingestor, path: Path, name: str, outcome: Outcome) -> None:
    """A format's rows path (``parse_rows``) reads what its ``parse`` read: the
    same events as rows, the same skips, the same break-off."""
    ctx = ParseContext(name)
    blocks = ingestor.parse_rows(SourceFile(path, name), ctx)
    if blocks is None:
        return
    rows, unreadable = [], None
    try:
        for block in blocks:
            rows.extend(block)
    except UnreadableSource as exc:
        unreadable = exc
    assert (ctx.skipped, ctx.examples) == (outcome.ctx.skipped, outcome.ctx.examples)
    assert (unreadable is None) == (outcome.unreadable is None), (unreadable, outcome.unreadable)
    if outcome.unreadable is None:
        assert rows == [row_of(event, event["line"]) for event in outcome.records]


def is_strict_lines(ingestor) -> bool:
    """One event or one counted skip per non-blank line."""
    return isinstance(ingestor, LineIngestor) and not ingestor.joins_continuations


def check_accounting(outcome: Outcome, data: bytes) -> None:
    """events + skipped == non-blank lines; each event and skip names its own line."""
    expected = non_blank_lines(data)
    assert outcome.unreadable is None, outcome.unreadable
    events = outcome.records
    assert len(events) + outcome.ctx.skipped == len(expected), (len(events), outcome.ctx.skipped, expected)
    event_lines = [event["line"] for event in events]
    assert len(set(event_lines)) == len(event_lines)
    skipped_lines = {example.line for example in outcome.ctx.examples}
    assert not skipped_lines & set(event_lines)
    assert set(event_lines) | skipped_lines <= set(expected)


def detect_and_read(data: bytes, name: str = "fuzz.log"):
    """``read_source`` with detection, as a build folder's file is read."""
    folder, path = write_temp(data, name)
    with folder:
        return detect_and_read_file(path, name)


def detect_and_read_file(path: Path, name: str):
    """``read_source`` with detection on the file at ``path``; checks its status."""
    result = read_source(path, name, as_frame=True)
    info = result.info
    assert info.status in STATUSES, info.status
    if info.status != "ok":
        assert info.reason
    return result

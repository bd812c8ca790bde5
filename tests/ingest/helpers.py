"""Assertions the ingestor tests share."""
from __future__ import annotations

from pathlib import Path
from typing import Any

import orjson

from triage.ingest.loader import read_source
from triage.ingest.timeparse import to_iso
from triage.model import EVENT_COLUMNS, TestResult

EVENT_TYPES: dict[str, tuple[type, ...]] = {
    "ts": (float,), "status": (int,), "upstream_status": (int,), "latency_ms": (float,),
    "upstream_latency_ms": (float,), "attrs": (dict,), "line": (int,),
}


def assert_well_typed(event: dict[str, Any] | None) -> None:
    """An event dict uses only EVENT_COLUMNS, each with its documented type (text otherwise)."""
    if event is None:
        return
    assert isinstance(event, dict)
    assert set(event) <= set(EVENT_COLUMNS), set(event) - set(EVENT_COLUMNS)
    for key, value in event.items():
        if value is not None:
            expected = EVENT_TYPES.get(key, (str,))
            assert isinstance(value, expected) and not isinstance(value, bool), (key, value)
    orjson.dumps(event)  # attrs must serialise for reports


def iso(event: dict[str, Any]) -> str | None:
    """The event's time as CONTRACT-style ISO text."""
    return to_iso(event.get("ts"))


def write(tmp_path: Path, name: str, content: str) -> Path:
    """A sample file of our own, UTF-8."""
    path = tmp_path / name
    path.write_text(content, encoding="utf-8")
    return path


def load_tests(path: Path, fmt: str, *, skipped_lines: int | None = 0) -> list[TestResult]:
    """The tests a report holds, after checking it was read as ``fmt`` (and, unless
    ``skipped_lines`` is None, with exactly that many skipped lines)."""
    result = read_source(path)
    assert result.info.status == "ok", result.info.reason
    assert result.info.format == fmt
    if skipped_lines is not None:
        assert result.info.skipped_lines == skipped_lines
    return result.tests


def find_test(tests: list[TestResult], name: str, suite: str | None = None) -> TestResult:
    """The one test called ``name`` (in ``suite``, if given)."""
    found = [t for t in tests if t.name == name and (suite is None or t.suite == suite)]
    assert len(found) == 1, [(t.suite, t.name) for t in (found or tests)]
    return found[0]

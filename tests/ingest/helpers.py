"""Assertions the ingestor tests share."""
from __future__ import annotations

from pathlib import Path
from typing import Any

import orjson

from triage.ingest.timeparse import to_iso
from triage.model import EVENT_COLUMNS

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

"""Which builds an analysis looks at: ``--builds A..B`` and ``--since 14d``."""
from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pandas as pd

from triage.errors import UsageError, compact_ids
from triage.flaky.history import read_metadata, utc_time

_SINCE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(h|d|w)\s*$", re.IGNORECASE)
_UNITS = {"h": "hours", "d": "days", "w": "weeks"}


def parse_range(text: str) -> tuple[str | None, str | None]:
    """``"1200..1229"`` -> ("1200", "1229"); either end may be left open ("1200..").

    Raises UsageError for anything else.
    """
    if ".." not in text:
        raise UsageError(f"--builds {text!r}: expected a range like 1200..1229 (either end may be "
                         f"left open: 1200.. or ..1229)")
    first, _, last = text.partition("..")
    first, last = first.strip() or None, last.strip() or None
    if first is None and last is None:
        raise UsageError("--builds '..': give at least one end, e.g. 1200..")
    return first, last


def parse_since(text: str, now: datetime | None = None) -> pd.Timestamp:
    """``"14d"``, ``"36h"``, ``"2w"`` before ``now`` (default: the current time), or an
    ISO 8601 date/time. Raises UsageError naming the accepted forms."""
    match = _SINCE.match(text)
    if match:
        anchor = pd.Timestamp(now or datetime.now(timezone.utc))
        anchor = anchor.tz_convert("UTC") if anchor.tzinfo else anchor.tz_localize("UTC")
        return anchor - timedelta(**{_UNITS[match.group(2).lower()]: float(match.group(1))})
    try:
        stamp = pd.Timestamp(text)
    except (ValueError, TypeError):
        stamp = None
    if stamp is None or pd.isna(stamp):
        raise UsageError(f"--since {text!r}: expected an age like 14d, 36h or 2w, or a date like "
                         f"2026-11-01")
    return stamp.tz_convert("UTC") if stamp.tzinfo else stamp.tz_localize("UTC")


def _in_range(build: str, position: int, first: str | None, last: str | None,
              positions: dict[str, int]) -> bool:
    """Numeric ids compare as numbers (the ends need not exist); others by listing order."""
    for end, keep in ((first, lambda a, b: a >= b), (last, lambda a, b: a <= b)):
        if end is None:
            continue
        if build.isdigit() and end.isdigit():
            if not keep(int(build), int(end)):
                return False
        elif end in positions:
            if not keep(position, positions[end]):
                return False
        else:
            return False
    return True


def select_builds(data_dir: Path, available: list[str], builds: str | None = None,
                  since: str | None = None, now: datetime | None = None, *,
                  starts: dict[str, object] | None = None,
                  where: str | None = None) -> tuple[list[str], list[str]]:
    """The build ids to analyse, oldest first, and warnings.

    Order is ``started_at`` from build.json, read from ``data_dir`` or given in
    ``starts`` (build -> started_at, e.g. from Elasticsearch); builds without it
    keep their listing order among themselves. ``where`` names the store in
    messages (default ``<data_dir>/builds``). Raises UsageError for a bad window or an
    empty selection.
    """
    positions = {build: i for i, build in enumerate(available)}
    chosen = list(available)
    where = where or f"{data_dir}/builds"
    if builds:
        first, last = parse_range(builds)
        for end in (first, last):
            if end is not None and not end.isdigit() and end not in positions:
                raise UsageError(f"--builds {builds!r}: no build {end!r} under {where}")
        chosen = [b for b in chosen if _in_range(b, positions[b], first, last, positions)]
    if starts is None:
        starts = {b: read_metadata(Path(data_dir) / "builds" / b).get("started_at") for b in chosen}
    stamps = {b: utc_time(starts.get(b)) for b in chosen}
    warnings: list[str] = []
    if since:
        cutoff = parse_since(since, now)
        undated = [b for b in chosen if stamps[b] is None]
        if undated:
            warnings.append(f"--since: {len(undated)} build(s) without started_at in build.json left out: "
                            + ", ".join(undated[:10]) + (" ..." if len(undated) > 10 else ""))
        chosen = [b for b in chosen if stamps[b] is not None and stamps[b] >= cutoff]
    if not chosen:
        window = " ".join(part for part in (f"--builds {builds}" if builds else "",
                                            f"--since {since}" if since else "") if part)
        raise UsageError(f"no builds under {where} match {window or 'the window'}; "
                         f"available: {compact_ids(available) or '(none)'}")
    undated_last = pd.Timestamp.max.tz_localize("UTC")
    chosen.sort(key=lambda b: (stamps[b] if stamps[b] is not None else undated_last, positions[b]))
    return chosen, warnings



"""``--max-events``: a cap on the events one build keeps, shared fairly between sources.

Every event source may keep the same number of events, the largest level at
which the build's total stays within the cap (water-filling: small sources keep
everything, large ones are cut). Each source stops reading at its share (from
estimated line counts, with slack) so memory stays bounded; once the real counts
are known the shares are recomputed exactly and trimmed. A source keeps its
first events, in file order, and the report names every source that was cut.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Callable, Iterable, Iterator

import pandas as pd

READ_SLACK = 1.5  # estimates are rough: read a little more, trim exactly after


@dataclass
class Cut:
    """Where a source stopped: events kept, the line of the last one, and the
    latest time among them (epoch seconds): events after it were not read."""

    kept: int
    last_line: int | None
    last_ts: float | None = None


def level(counts: Iterable[float], total: int) -> int | None:
    """The most events each source may keep so that all together keep at most
    ``total``; None when everything fits."""
    ordered = sorted(counts)
    remaining = float(total)
    for index, count in enumerate(ordered):
        fair = remaining / (len(ordered) - index)
        if count > fair:
            return max(0, int(fair))
        remaining -= count
    return None


def read_caps(estimates: dict[Any, float], total: int) -> dict[Any, int | None]:
    """Per-source limits while reading: the level from estimates, with slack."""
    share = level(estimates.values(), total)
    cap = None if share is None else max(1, int(share * READ_SLACK))
    return {key: cap for key in estimates}


def take(events: Iterable[dict[str, Any]], cap: int, cuts: dict[str, Cut], key: str) -> Iterator[dict[str, Any]]:
    """The first ``cap`` events; records a ``Cut`` under ``key`` if more were coming."""
    kept = 0
    last_line = last_ts = None
    for event in events:
        if kept >= cap:
            cuts[key] = Cut(kept, last_line, last_ts)
            return
        kept += 1
        last_line = event.get("line")
        ts = event.get("ts")
        if isinstance(ts, (int, float)) and (last_ts is None or ts > last_ts):
            last_ts = float(ts)
        yield event


def take_rows(blocks: Iterable[list[tuple]], cap: int, cuts: dict[str, Cut], key: str) -> Iterator[list[tuple]]:
    """``take`` for blocks of rows (``triage.ingest.rows``)."""
    from triage.ingest.rows import INDEX

    line, when = INDEX["line"], INDEX["ts"]
    kept = 0
    last_line = last_ts = None
    for block in blocks:
        room = cap - kept
        if room <= 0:
            cuts[key] = Cut(kept, last_line, last_ts)
            return
        part = block[:room]
        kept += len(part)
        last_line = part[-1][line]
        times = [row[when] for row in part if isinstance(row[when], (int, float))]
        if times and (last_ts is None or max(times) > last_ts):
            last_ts = float(max(times))
        yield part
        if len(block) > room:
            cuts[key] = Cut(kept, last_line, last_ts)
            return


def warning(path: str, cut: Cut, total: int, later: list[str] | None = None) -> str:
    """The report's warning for a cut source; ``later`` names the failed tests that
    started after its last kept event."""
    where = f" (to line {cut.last_line})" if cut.last_line is not None else ""
    text = (f"{path}: cut by --max-events {total}: kept its first {cut.kept} events{where}; "
            f"the rest of the file was not used")
    if later:
        shown = ", ".join(later[:3]) + (f" and {len(later) - 3} more" if len(later) > 3 else "")
        text += (f"; {len(later)} failed test(s) started after its last kept event, so their "
                 f"evidence from it is missing: {shown}")
    return text


def started_after(cut: Cut, test: Any) -> bool:
    """Whether ``test`` (a ``TestResult``) started after ``cut``'s last kept event."""
    return cut.last_ts is not None and test.started_at is not None and test.started_at > cut.last_ts


def settle(results: dict[str, Any], total: int, reread: Callable[[str, int | None], Any]) -> None:
    """Re-read the sources whose estimated share stopped them short of their
    exact fair share (``reread(path, cap)`` returns a new ``SourceResult``)."""
    for _ in range(3):
        demand = [math.inf if r.cut else len(r.frame) for r in results.values() if r.frame is not None]
        share = level(demand, total)
        again = [path for path, r in results.items()
                 if r.cut is not None and (share is None or r.cut.kept < share)]
        if not again:
            return
        for path in again:
            results[path] = reread(path, share)


def trim(results: list[Any], total: int) -> None:
    """Cut read sources (``SourceResult``s with event frames) to exact shares of
    ``total``, recording each cut in ``result.cut``."""
    counts = {id(r): len(r.frame) for r in results if r.frame is not None}
    share = level(counts.values(), total)
    for result in results:
        if result.frame is not None and share is not None and len(result.frame) > share:
            result.frame = result.frame.iloc[:share].copy()
            result.info.events = share
            lines = result.frame["line"].dropna()
            latest = result.frame["ts"].max()
            result.cut = Cut(share, int(lines.iloc[-1]) if len(lines) else None,
                             None if pd.isna(latest) else latest.timestamp())

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

READ_SLACK = 1.5  # estimates are rough: read a little more, trim exactly after


@dataclass
class Cut:
    """Where a source stopped: events kept and the line of the last one."""

    kept: int
    last_line: int | None


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
    last_line = None
    for event in events:
        if kept >= cap:
            cuts[key] = Cut(kept, last_line)
            return
        kept += 1
        last_line = event.get("line")
        yield event


def warning(path: str, cut: Cut, total: int) -> str:
    where = f" (to line {cut.last_line})" if cut.last_line is not None else ""
    return (f"{path}: cut by --max-events {total}: kept its first {cut.kept} events{where}; "
            f"the rest of the file was not used")


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


def trim(results: list[Any], total: int) -> list[str]:
    """Cut read sources (``SourceResult``s with event frames) to exact shares of
    ``total``; returns one warning per source that was cut, in path order."""
    counts = {id(r): len(r.frame) for r in results if r.frame is not None}
    share = level(counts.values(), total)
    found = []
    for result in sorted(results, key=lambda r: r.info.path):
        if result.frame is not None and share is not None and len(result.frame) > share:
            result.frame = result.frame.iloc[:share].copy()
            result.info.events = share
            lines = result.frame["line"].dropna()
            result.cut = Cut(share, int(lines.iloc[-1]) if len(lines) else None)
        if result.cut is not None:
            found.append(warning(result.info.path, result.cut, total))
    return found

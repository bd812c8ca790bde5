"""Per-source clock offsets, estimated from events that share a request id.

Every source's clock is compared with sources already aligned (starting from the
busiest edge source with sub-second timestamps) over the ids both logged. The median of the time
differences is the offset; its spread and the number of shared ids give the
confidence. Small medians are request latency, not skew (nginx logs the end of a
request, Kong its start), so only offsets beyond ``MIN_OFFSET_S`` are applied.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

MIN_OFFSET_S = 1.0
MIN_SHARED = 3


@dataclass
class ClockOffset:
    source: str
    offset_s: float        # subtract from the source's timestamps
    confidence: float
    shared_ids: int
    reference: str | None
    estimate_s: float      # the raw median, applied or not


def _source_key_seconds(events: pd.DataFrame) -> tuple[pd.Categorical, np.ndarray, np.ndarray]:
    """The source (categorical), join-key code (-1 for none) and epoch seconds of each event."""
    source = events["source"]
    source = source.array if isinstance(source.dtype, pd.CategoricalDtype) else pd.Categorical(source)
    key = events["key"]
    codes = key.cat.codes.to_numpy() if isinstance(key.dtype, pd.CategoricalDtype) else pd.factorize(key)[0]
    return source, codes, epoch_seconds(events["ts"])


def _first_seen(source: np.ndarray, key: np.ndarray, seconds: np.ndarray
                ) -> dict[int, tuple[np.ndarray, np.ndarray]]:
    """Per source code: the key codes it logged with a time, and the earliest time of each."""
    keep = np.flatnonzero((key >= 0) & (source >= 0) & ~np.isnan(seconds))
    # Source codes are small integers: a stable sort of them is a radix sort.
    rows = keep[np.argsort(source[keep], kind="stable")]
    earliest = np.full(int(key.max()) + 1 if len(key) else 0, np.inf)
    seen = {}
    for code, part in zip(np.unique(source[rows]), np.split(rows, np.flatnonzero(np.diff(source[rows])) + 1)):
        keys = key[part]
        np.minimum.at(earliest, keys, seconds[part])
        distinct = pd.unique(keys)
        seen[int(code)] = (distinct, earliest[distinct])
        earliest[distinct] = np.inf
    return seen


def epoch_seconds(ts: pd.Series) -> np.ndarray:
    """Float seconds since the epoch (NaN for NaT) of a UTC datetime column."""
    naive = ts.dt.tz_convert(None) if ts.dt.tz is not None else ts
    values = naive.to_numpy()
    seconds = (values - np.datetime64(0, "s")) / np.timedelta64(1, "s")
    return np.where(np.isnat(values), np.nan, seconds)


def estimate_offsets(events: pd.DataFrame, layer_of: dict[str, str]) -> dict[str, ClockOffset]:
    """Offsets for every source in ``events`` (which needs ``source``, ``key``, ``ts``).

    Each source's first-seen times live in one array indexed by key code (NaN
    where it never logged the key), so comparing two sources is array arithmetic.
    """
    source, key, seconds = _source_key_seconds(events)
    names = [str(name) for name in source.categories]
    offsets = {s: ClockOffset(s, 0.0, 0.0, 0, None, 0.0) for s in _in_order_of_appearance(source)}
    per_source = {names[code]: seen for code, seen in _first_seen(source.codes, key, seconds).items()}
    if not per_source:
        return offsets
    reference = _pick_reference(per_source, layer_of)
    aligned = np.full(int(key.max()) + 1, np.nan)
    aligned[per_source[reference][0]] = per_source[reference][1]
    offsets[reference] = ClockOffset(reference, 0.0, 1.0, len(per_source[reference][0]), None, 0.0)
    pending = set(per_source) - {reference}
    while pending:
        # Ties go to the first name in sorted order (a set's order would vary by run).
        shared = {s: int((~np.isnan(aligned[per_source[s][0]])).sum()) for s in sorted(pending)}
        best = max(shared, key=shared.__getitem__)
        if shared[best] == 0:
            break
        keys, times = per_source[best]
        known = aligned[keys]
        offsets[best] = _offset(best, times - known, reference)
        new = np.isnan(known)
        aligned[keys[new]] = times[new] - offsets[best].offset_s
        pending.discard(best)
    return offsets


def _in_order_of_appearance(source: pd.Categorical) -> list[str]:
    codes = pd.unique(source.codes[source.codes >= 0])
    return [str(source.categories[code]) for code in codes]


def _pick_reference(per_source: dict[str, tuple[np.ndarray, np.ndarray]], layer_of: dict[str, str]) -> str:
    """The edge-most busy source with sub-second timestamps (nginx's whole
    seconds at request end would bias every offset by half a second)."""
    order = {"ingress": 0, "gateway": 1, "app": 2, "dependency": 3}

    def coarse(times: np.ndarray) -> bool:
        return bool(((times % 1.0) == 0).mean() > 0.5)

    return min(per_source, key=lambda s: (coarse(per_source[s][1]), order.get(layer_of.get(s, ""), 9),
                                          -len(per_source[s][1]), s))


def _offset(source: str, differences: np.ndarray, reference: str) -> ClockOffset:
    """The offset from ``differences``: this source's first-seen time minus the
    aligned one, per key (NaN where the key is not shared)."""
    diffs = differences[~np.isnan(differences)]
    median = float(np.median(diffs))
    spread = float(np.median(np.abs(diffs - median)))
    count = len(diffs)
    applied = median if abs(median) >= MIN_OFFSET_S and count >= MIN_SHARED and abs(median) > 3 * spread else 0.0
    # More shared ids and a tight spread relative to the offset make us surer.
    support = count / (count + 5)
    tightness = 1.0 / (1.0 + spread)
    return ClockOffset(source, applied, round(support * tightness, 3), count, reference, median)


def apply_offsets(events: pd.DataFrame, offsets: dict[str, ClockOffset]) -> pd.DataFrame:
    """A copy of ``events`` with each source's offset subtracted from ``ts``."""
    shifts = {s: o.offset_s for s, o in offsets.items() if o.offset_s}
    if not shifts:
        return events
    events = events.copy(deep=False)
    seconds = events["source"].astype("object").map(shifts).fillna(0.0).astype(float)
    events["ts"] = events["ts"] - pd.to_timedelta(seconds, unit="s")
    return events

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


def first_seen(events: pd.DataFrame) -> pd.DataFrame:
    """Earliest time ``t`` (epoch seconds) per (source, join key), the key being
    the integer code of the request group (codes hash far faster than id strings)."""
    key = events["key"]
    codes = key.cat.codes.to_numpy() if isinstance(key.dtype, pd.CategoricalDtype) else pd.factorize(key)[0]
    seconds = epoch_seconds(events["ts"])
    keep = (codes >= 0) & ~np.isnan(seconds)
    keyed = pd.DataFrame({"source": events["source"].to_numpy()[keep], "key": codes[keep],
                          "t": seconds[keep]})
    return keyed.groupby(["source", "key"], observed=True, sort=False)["t"].min().reset_index()


def epoch_seconds(ts: pd.Series) -> np.ndarray:
    """Float seconds since the epoch (NaN for NaT) of a UTC datetime column."""
    naive = ts.dt.tz_convert(None) if ts.dt.tz is not None else ts
    values = naive.to_numpy()
    seconds = (values - np.datetime64(0, "s")) / np.timedelta64(1, "s")
    return np.where(np.isnat(values), np.nan, seconds)


def estimate_offsets(events: pd.DataFrame, layer_of: dict[str, str]) -> dict[str, ClockOffset]:
    """Offsets for every source in ``events`` (which needs ``source``, ``key``, ``ts``)."""
    seen = first_seen(events)
    sources = [str(s) for s in events["source"].dropna().unique()]
    offsets = {s: ClockOffset(s, 0.0, 0.0, 0, None, 0.0) for s in sources}
    if seen.empty:
        return offsets
    per_source = {str(source): frame.set_index("key")["t"]
                  for source, frame in seen.groupby("source", observed=True)}
    reference = _pick_reference(per_source, layer_of)
    aligned: pd.Series = per_source[reference]
    offsets[reference] = ClockOffset(reference, 0.0, 1.0, len(aligned), None, 0.0)
    pending = set(per_source) - {reference}
    while pending:
        best, best_shared = None, 0
        for source in pending:
            shared = per_source[source].index.intersection(aligned.index)
            if len(shared) > best_shared:
                best, best_shared = source, len(shared)
        if best is None or best_shared == 0:
            break
        offsets[best] = _offset(best, per_source[best], aligned, reference)
        corrected = per_source[best] - offsets[best].offset_s
        aligned = pd.concat([aligned, corrected[~corrected.index.isin(aligned.index)]])
        pending.discard(best)
    return offsets


def _pick_reference(per_source: dict[str, pd.Series], layer_of: dict[str, str]) -> str:
    """The edge-most busy source with sub-second timestamps (nginx's whole
    seconds at request end would bias every offset by half a second)."""
    order = {"ingress": 0, "gateway": 1, "app": 2, "dependency": 3}

    def coarse(times: pd.Series) -> bool:
        return bool(((times % 1.0) == 0).mean() > 0.5)

    return min(per_source, key=lambda s: (coarse(per_source[s]), order.get(layer_of.get(s, ""), 9),
                                          -len(per_source[s]), s))


def _offset(source: str, times: pd.Series, aligned: pd.Series, reference: str) -> ClockOffset:
    shared = times.index.intersection(aligned.index)
    diffs = (times.loc[shared] - aligned.loc[shared]).to_numpy(dtype=float)
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

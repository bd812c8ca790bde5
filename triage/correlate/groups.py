"""Request groups: events joined exactly on request id and trace id.

An event that carries both ids (Kong logs ``x-request-id`` and ``traceparent``,
an ECS app logs ``http.request.id`` and ``trace.id``) ties the two together, so
a layer that logs only one of them still joins the others. Ids are already
normalised by the loader (a UUID and its 32-hex spelling are one id).

Every distinct id becomes one integer, its rank in sorted order. Ids as the
loader normalises them (16 or 32 lower-case hex digits) are read as 128-bit
numbers whose order is the strings' order, so no id string is hashed or compared;
a build with any other id goes the general way (hashing and sorting strings).
The groups are the connected components of the graph whose edges are the
(request id, trace id) pairs seen together. A group's key is its smallest id, so
it does not depend on input order.
"""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np
import pandas as pd

# Ids longer than this are compared as Python strings, not fixed-width arrays.
_FIXED_WIDTH_LIMIT = 64
# Byte-wise constants for eight characters held in one 64-bit number.
_ONES, _LOW_NIBBLES = 0x0101010101010101, 0x0F0F0F0F0F0F0F0F
_ASCII_ZEROS, _SIXES = 0x3030303030303030, 0x0606060606060606
_SLICE = 32_768
# Gathers eight one-digit bytes into the low 32 bits, first digit highest.
_PACK = ((4, 0x00FF00FF00FF00FF), (8, 0x0000FFFF0000FFFF), (16, 0x00000000FFFFFFFF))


@dataclass
class Groups:
    """Every event's join key, and every id's group."""

    keys: pd.Series        # categorical: the key of each event (NaN when it has no id)
    ids: np.ndarray        # every distinct request id / trace id spelling, sorted
    id_group: np.ndarray   # group code of each entry of ``ids`` (a code of ``keys``)
    in_str_order: bool     # ``ids`` is in Python's string order, so binary search works

    def key_of(self, id_: str) -> str | None:
        """The key of the group ``id_`` belongs to, or None if no event logged it."""
        return self.keys_of([id_]).get(id_)

    def keys_of(self, ids: Iterable[str]) -> dict[str, str]:
        """The group key of each of ``ids`` that some event logged (the others are left out)."""
        wanted = list(dict.fromkeys(ids))
        if not wanted or len(self.ids) == 0:
            return {}
        if self.in_str_order:
            at = np.searchsorted(self.ids, np.array(wanted, dtype=object))
            positions = {id_: int(p) for id_, p in zip(wanted, at)
                         if p < len(self.ids) and self.ids[p] == id_}
        else:  # one pass over every id against a small table of the wanted ones
            hits = pd.Index(wanted, dtype=object).get_indexer(self.ids)
            found = np.flatnonzero(hits >= 0)
            positions = {wanted[hits[p]]: int(p) for p in found}
        names = self.keys.cat.categories
        return {id_: str(names[self.id_group[p]]) for id_, p in positions.items()}


def codes_of(categories: pd.Index, keys: Iterable[str]) -> np.ndarray:
    """The codes in ``categories`` of those ``keys`` it holds. Binary search when
    the categories are sorted (as ``group_requests`` makes them), so that no
    hash table of every key is built for a handful of lookups."""
    wanted = np.array(sorted(set(keys)), dtype=object)
    if len(wanted) == 0 or len(categories) == 0:
        return np.zeros(0, dtype=np.int64)
    if not categories.is_monotonic_increasing:
        codes = categories.get_indexer(wanted)
        return codes[codes >= 0]
    at = categories.searchsorted(wanted)
    hit = at < len(categories)
    hit[hit] = categories.to_numpy()[at[hit]] == wanted[hit]
    return at[hit]


def group_requests(events: pd.DataFrame) -> Groups:
    """Join keys for ``events`` (which need ``request_id`` and ``trace_id``)."""
    request_ids = events["request_id"].to_numpy(dtype=object)
    trace_ids = events["trace_id"].to_numpy(dtype=object)
    has_request, has_trace = pd.notna(request_ids), pd.notna(trace_ids)
    present = np.concatenate([request_ids[has_request], trace_ids[has_trace]])
    ranks, ids, in_str_order = _rank_ids(present)
    request_rank = np.full(len(events), -1, dtype=np.int64)
    trace_rank = np.full(len(events), -1, dtype=np.int64)
    request_rank[has_request] = ranks[:int(has_request.sum())]
    trace_rank[has_trace] = ranks[int(has_request.sum()):]
    both = (request_rank >= 0) & (trace_rank >= 0)
    smallest = smallest_connected(len(ids), request_rank[both], trace_rank[both])
    # The groups' smallest ids, in rank order: the keys come out sorted.
    is_name = smallest == np.arange(len(ids))
    id_group = (np.cumsum(is_name) - 1)[smallest]
    event_rank = np.where(request_rank >= 0, request_rank, trace_rank)
    event_group = np.where(event_rank >= 0, id_group[np.maximum(event_rank, 0)], -1)
    names = pd.Index(ids[is_name], dtype=object)
    keys = pd.Series(pd.Categorical.from_codes(event_group, categories=names),
                     index=events.index, name="key")
    return Groups(keys, ids, id_group, in_str_order)


def _rank_ids(values: np.ndarray) -> tuple[np.ndarray, np.ndarray, bool]:
    """Each value's rank among the distinct ``values``, those distinct values
    sorted, and whether that order is exactly Python's string order."""
    words = hex_words(values)
    if words is None:
        return (*_rank_by_strings(values), False)
    codes, first, by_head = _factorize_words(words)
    distinct = words[first]
    if by_head:  # no two ids share their first 16 digits
        order = np.argsort(distinct[:, 0])
    else:
        order = np.lexsort((distinct[:, 2], distinct[:, 1], distinct[:, 0]))
    rank_of_code = np.empty(len(order), dtype=np.int64)
    rank_of_code[order] = np.arange(len(order))
    return rank_of_code[codes], values[first[order]], True


def hex_words(values: np.ndarray) -> np.ndarray | None:
    """Ids that are all 16 or 32 lower-case hex digits as rows (first 16 digits,
    1 if 32 digits long else 0, last 16 digits): their order is the strings' order.
    None when any value is something else."""
    if len(values) == 0 or pd.api.types.infer_dtype(values, skipna=False) != "string":
        return None
    words = np.empty((len(values), 3), dtype=np.uint64)
    # In slices that stay in the CPU cache: whole-column temporaries cost more in page faults.
    for start in range(0, len(values), _SLICE):
        part = _hex_slice(values[start:start + _SLICE])
        if part is None:
            return None
        words[start:start + _SLICE] = part
    return words


def _hex_slice(values: np.ndarray) -> np.ndarray | None:
    try:
        raw = values.astype("S32")  # pads shorter ids with NUL bytes, cuts longer ones
    except UnicodeEncodeError:
        return None
    # Eight characters a number, the first the highest byte; all byte-wise below.
    chars = raw.view(">u8").reshape(-1, 4).astype(np.uint64)
    short = (chars[:, 2] == 0) & (chars[:, 3] == 0)
    chars[short, 2:] = _ASCII_ZEROS
    digits = (chars & _LOW_NIBBLES) + 9 * ((chars >> 6) & _ONES)  # '0'-'9' -> 0-9, 'a'-'f' -> 10-15
    spelled = digits + _ASCII_ZEROS + 39 * (((digits + _SIXES) >> 4) & _ONES)
    if not np.array_equal(spelled, chars):  # only hex digits spell themselves back
        return None
    # 16 hex digits then NULs, or 32: the lengths rule out longer ids and NULs in ids.
    if sum(map(len, values)) != 32 * len(values) - 16 * int(short.sum()):
        return None
    for shift, mask in _PACK:
        digits = (digits | (digits >> shift)) & mask
    return np.column_stack([(digits[:, 0] << 32) | digits[:, 1], (~short).astype(np.uint64),
                            (digits[:, 2] << 32) | digits[:, 3]])


def _factorize_words(words: np.ndarray) -> tuple[np.ndarray, np.ndarray, bool]:
    """Codes of the distinct rows of ``words`` (in order of first appearance), the
    position where each first appears, and whether the first number alone told them apart."""
    codes, _ = pd.factorize(words[:, 0])
    first = _first_positions(codes)
    # Random ids differ in their first 16 digits; where two do not, hash whole rows.
    if ((words[first[codes], 1] == words[:, 1]) & (words[first[codes], 2] == words[:, 2])).all():
        return codes, first, True
    low, _ = pd.factorize(words[:, 2])
    codes, _ = pd.factorize((codes.astype(np.int64) * (int(low.max()) + 1) + low) * 2
                            + words[:, 1].astype(np.int64))
    return codes, _first_positions(codes), False


def _first_positions(codes: np.ndarray) -> np.ndarray:
    """Where each code of a factorization (numbered by first appearance) first appears."""
    seen_before = np.maximum.accumulate(np.concatenate([[-1], codes[:-1]]))
    return np.flatnonzero(codes > seen_before)


def _rank_by_strings(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    codes, distinct = pd.factorize(values)
    distinct = np.asarray(distinct, dtype=object)
    if len(distinct) == 0:
        return codes.astype(np.int64), distinct
    widest = max(len(str(value)) for value in distinct) if len(distinct) < 1000 else int(
        pd.Series(distinct).str.len().max())
    sortable = distinct.astype(str) if widest <= _FIXED_WIDTH_LIMIT else distinct
    order = np.argsort(sortable, kind="stable")
    rank_of_code = np.empty(len(order), dtype=np.int64)
    rank_of_code[order] = np.arange(len(order))
    return rank_of_code[codes], distinct[order]


def smallest_connected(count: int, left: np.ndarray, right: np.ndarray) -> np.ndarray:
    """For nodes ``0..count-1`` joined by edges ``(left[i], right[i])``, the
    smallest node of each node's connected component.

    Every node starts as its own label; each round an edge's ends take the lower
    of their labels, then each node takes its label's label. Labels only fall and
    stay inside the component, so when a round changes nothing each component
    carries one label, the one node labelled by itself: its smallest. Pairs and
    stars of ids settle in two rounds; a chain's reach doubles each round.
    """
    label = np.arange(count)
    while True:
        lower = np.minimum(label[left], label[right])
        after = label.copy()
        np.minimum.at(after, left, lower)
        np.minimum.at(after, right, lower)
        after = after[after]
        if np.array_equal(after, label):
            return label
        label = after


def assign_keys(events: pd.DataFrame) -> pd.Series:
    """The join key of every event (categorical; NaN when it has neither id)."""
    return group_requests(events).keys


def ids_of_key(events: pd.DataFrame, key: str) -> list[str]:
    """Every request id and trace id spelling that belongs to one group."""
    rows = events.loc[events["key"] == key, ["request_id", "trace_id"]]
    found = set(rows["request_id"].dropna()) | set(rows["trace_id"].dropna())
    return sorted(found)

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

from triage.correlate.hexids import find_words, hex_words, rank_words, spell_words

# Ids longer than this are compared as Python strings, not fixed-width arrays.
_FIXED_WIDTH_LIMIT = 64


@dataclass
class Groups:
    """Every event's join key, and every id's group. Ids are numbered by rank:
    their position in sorted order."""

    keys: pd.Series              # categorical: the key of each event (NaN when it has no id)
    id_group: np.ndarray         # group code (a code of ``keys``) of each id, by rank
    ids: np.ndarray | None       # the ids by rank, when ranked as strings
    id_words: np.ndarray | None  # the ids by rank as hex words, when ranked as numbers

    def keys_of(self, ids: Iterable[str]) -> dict[str, str]:
        """The group key of each of ``ids`` that some event logged (the others are left out)."""
        wanted = list(dict.fromkeys(ids))
        if self.id_words is not None:
            ranks = find_words(self.id_words, wanted)
        elif wanted and self.ids is not None and len(self.ids):
            # One pass over every id against a small table of the wanted ones.
            hits = pd.Index(wanted, dtype=object).get_indexer(self.ids)
            ranks = {wanted[hits[rank]]: int(rank) for rank in np.flatnonzero(hits >= 0)}
        else:
            ranks = {}
        names = self.keys.cat.categories
        return {id_: str(names[self.id_group[rank]]) for id_, rank in ranks.items()}


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


@dataclass
class _Ranked:
    """Ranks of the ids in a build's request id and trace id columns."""

    request: np.ndarray          # rank of each event's request id (-1: none)
    trace: np.ndarray            # rank of each event's trace id (-1: none)
    ids: np.ndarray | None       # see Groups
    id_words: np.ndarray | None

    @property
    def count(self) -> int:
        return len(self.ids) if self.ids is not None else self.id_words.shape[1]

    def names(self, ranks: np.ndarray) -> np.ndarray:
        """The ids of ``ranks`` as strings."""
        return self.ids[ranks] if self.ids is not None else spell_words(self.id_words[:, ranks])


def group_requests(events: pd.DataFrame) -> Groups:
    """Join keys for ``events`` (which need ``request_id`` and ``trace_id``)."""
    request_ids = events["request_id"].to_numpy(dtype=object)
    trace_ids = events["trace_id"].to_numpy(dtype=object)
    ranked = _rank_as_numbers(request_ids, trace_ids) or _rank_as_strings(request_ids, trace_ids)
    count = ranked.count
    both = (ranked.request >= 0) & (ranked.trace >= 0)
    smallest = smallest_connected(count, ranked.request[both], ranked.trace[both])
    # The groups' smallest ids, taken in rank order: the keys come out sorted.
    is_name = smallest == np.arange(count)
    id_group = (np.cumsum(is_name) - 1)[smallest]
    event_rank = np.where(ranked.request >= 0, ranked.request, ranked.trace)
    event_group = np.where(event_rank >= 0, id_group[np.maximum(event_rank, 0)], -1)
    names = pd.Index(ranked.names(is_name), dtype=object)
    keys = pd.Series(pd.Categorical.from_codes(event_group, categories=names),
                     index=events.index, name="key")
    return Groups(keys, id_group, ranked.ids, ranked.id_words)


def _rank_as_numbers(request_ids: np.ndarray, trace_ids: np.ndarray) -> _Ranked | None:
    """Ranks when every id is a 16- or 32-digit hex id, else None."""
    request, trace = hex_words(request_ids), hex_words(trace_ids)
    if request is None or trace is None:
        return None
    (request_words, has_request), (trace_words, has_trace) = request, trace
    ranks, sorted_words = rank_words(np.concatenate([request_words, trace_words], axis=1))
    return _Ranked(*_spread(ranks, has_request, has_trace), None, sorted_words)


def _rank_as_strings(request_ids: np.ndarray, trace_ids: np.ndarray) -> _Ranked:
    """Ranks of any ids, by hashing and sorting the strings."""
    has_request, has_trace = pd.notna(request_ids), pd.notna(trace_ids)
    codes, distinct = pd.factorize(np.concatenate([request_ids[has_request], trace_ids[has_trace]]))
    distinct = np.asarray(distinct, dtype=object)
    order = np.zeros(0, dtype=np.int64)
    if len(distinct):
        widest = max(len(str(value)) for value in distinct) if len(distinct) < 1000 else int(
            pd.Series(distinct).str.len().max())
        sortable = distinct.astype(str) if widest <= _FIXED_WIDTH_LIMIT else distinct
        order = np.argsort(sortable, kind="stable")
    rank_of_code = np.empty(len(order), dtype=np.int64)
    rank_of_code[order] = np.arange(len(order))
    return _Ranked(*_spread(rank_of_code[codes], has_request, has_trace), distinct[order], None)


def _spread(ranks: np.ndarray, has_request: np.ndarray, has_trace: np.ndarray
            ) -> tuple[np.ndarray, np.ndarray]:
    """Ranks of present request ids then present trace ids, as one rank (or -1) per event."""
    request = np.full(len(has_request), -1, dtype=np.int64)
    trace = np.full(len(has_trace), -1, dtype=np.int64)
    split = int(has_request.sum())
    request[has_request], trace[has_trace] = ranks[:split], ranks[split:]
    return request, trace


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

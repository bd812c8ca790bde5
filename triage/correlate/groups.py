"""Request groups: events joined exactly on request id and trace id.

An event that carries both ids (Kong logs ``x-request-id`` and ``traceparent``,
an ECS app logs ``http.request.id`` and ``trace.id``) ties the two together, so
a layer that logs only one of them still joins the others. Ids are already
normalised by the loader (a UUID and its 32-hex spelling are one id).

Ids are hashed once into integer codes; the groups are the connected
components of the graph whose edges are the (request id, trace id) pairs seen
together. A group's key is its smallest id, so it does not depend on input order.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

# Ids longer than this are compared as Python strings, not fixed-width arrays.
_FIXED_WIDTH_LIMIT = 64


@dataclass
class Groups:
    """Every event's join key, and every id's group."""

    keys: pd.Series          # categorical: the key of each event (NaN when it has no id)
    ids: pd.Index            # every distinct request id / trace id spelling
    id_group: np.ndarray     # group code of each entry of ``ids`` (a code of ``keys``)

    def key_of(self, id_: str) -> str | None:
        """The key of the group ``id_`` belongs to, or None if no event logged it."""
        position = self.ids.get_indexer([id_])[0]
        if position < 0:
            return None
        return str(self.keys.cat.categories[self.id_group[position]])


def group_requests(events: pd.DataFrame) -> Groups:
    """Join keys for ``events`` (which need ``request_id`` and ``trace_id``)."""
    from scipy.sparse import coo_matrix  # imported here: reading files alone never needs scipy
    from scipy.sparse.csgraph import connected_components

    count = len(events)
    request_ids = events["request_id"].to_numpy(dtype=object, na_value=None)
    trace_ids = events["trace_id"].to_numpy(dtype=object, na_value=None)
    codes, ids = pd.factorize(np.concatenate([request_ids, trace_ids]), use_na_sentinel=True)
    request_codes, trace_codes = codes[:count], codes[count:]
    both = (request_codes >= 0) & (trace_codes >= 0)
    edges = coo_matrix((np.ones(int(both.sum()), dtype=np.int8),
                        (request_codes[both], trace_codes[both])), shape=(len(ids), len(ids)))
    _, component = connected_components(edges, directed=False)
    group_of_id, names = _name_groups(np.asarray(ids, dtype=object), component)
    event_id = np.where(request_codes >= 0, request_codes, trace_codes)
    event_group = np.where(event_id >= 0, group_of_id[np.maximum(event_id, 0)], -1)
    keys = pd.Series(pd.Categorical.from_codes(event_group, categories=pd.Index(names, dtype=object)),
                     index=events.index, name="key")
    return Groups(keys, pd.Index(ids, dtype=object), group_of_id)


def _name_groups(ids: np.ndarray, component: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Renumber components as groups named by their smallest id: (group of each id, names)."""
    if len(ids) == 0:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=object)
    widest = max(len(str(value)) for value in ids) if len(ids) < 1000 else int(
        pd.Series(ids).str.len().max())
    sortable = ids.astype(str) if widest <= _FIXED_WIDTH_LIMIT else ids
    order = np.argsort(sortable, kind="stable")
    in_order = component[order]
    # Each component's first position in sorted order is its smallest id; taken
    # in that order, the components come out sorted by name.
    _, first = np.unique(in_order, return_index=True)
    first.sort()
    group_of_component = np.empty(len(first), dtype=np.int64)
    group_of_component[in_order[first]] = np.arange(len(first))
    return group_of_component[component], ids[order[first]]


def assign_keys(events: pd.DataFrame) -> pd.Series:
    """The join key of every event (categorical; NaN when it has neither id)."""
    return group_requests(events).keys


def ids_of_key(events: pd.DataFrame, key: str) -> list[str]:
    """Every request id and trace id spelling that belongs to one group."""
    rows = events.loc[events["key"] == key, ["request_id", "trace_id"]]
    found = set(rows["request_id"].dropna()) | set(rows["trace_id"].dropna())
    return sorted(found)

"""Request groups: events joined exactly on request id and trace id.

An event that carries both ids (Kong logs ``x-request-id`` and ``traceparent``,
an ECS app logs ``http.request.id`` and ``trace.id``) ties the two together, so
a layer that logs only one of them still joins the others. Ids are already
normalised by the loader (a UUID and its 32-hex spelling are one id).
"""
from __future__ import annotations

import pandas as pd


class _DisjointSet:
    def __init__(self) -> None:
        self.parent: dict[str, str] = {}

    def find(self, item: str) -> str:
        parent = self.parent
        root = item
        while parent.get(root, root) != root:
            root = parent[root]
        while item != root:  # path compression
            item, parent[item] = parent.get(item, item), root
        return root

    def union(self, a: str, b: str) -> None:
        root_a, root_b = self.find(a), self.find(b)
        if root_a != root_b:
            # The smaller id wins so the key does not depend on input order.
            if root_b < root_a:
                root_a, root_b = root_b, root_a
            self.parent[root_b] = root_a


def assign_keys(events: pd.DataFrame) -> pd.Series:
    """The join key of every event (None when it has neither id)."""
    both = events.loc[events["request_id"].notna() & events["trace_id"].notna(),
                      ["request_id", "trace_id"]].drop_duplicates()
    ids = _DisjointSet()
    for request_id, trace_id in zip(both["request_id"].tolist(), both["trace_id"].tolist()):
        ids.union(request_id, trace_id)
    raw = events["request_id"].where(events["request_id"].notna(), events["trace_id"])
    if not ids.parent:
        return raw
    mapping = {value: ids.find(value) for value in raw.dropna().unique() if value in ids.parent}
    mapped = raw.map(mapping)
    return mapped.where(mapped.notna(), raw)


def ids_of_key(events: pd.DataFrame, key: str) -> list[str]:
    """Every request id and trace id spelling that belongs to one group."""
    rows = events.loc[events["key"] == key, ["request_id", "trace_id"]]
    found = set(rows["request_id"].dropna()) | set(rows["trace_id"].dropna())
    return sorted(found)

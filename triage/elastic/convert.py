"""Elasticsearch ``_source`` documents -> typed event frames.

Fields are found by walking a tree of the configured dotted names, once per
document; a document written with dotted keys (``"http.request.id": ...``) is read
too. Ids already in canonical form (32 lowercase hex) skip the normaliser, which
is what makes a million-document pull affordable; every other value goes through
the file source's own normalisation (``typed_chunk``).
"""
from __future__ import annotations

import re
from typing import Any

import pandas as pd

from triage.elastic.mapping import NS_PER_MS
from triage.elastic.settings import EsSettings
from triage.ingest.ids import normalize_request_id, normalize_trace_id
from triage.ingest.loader import typed_chunk
from triage.model import EVENT_COLUMNS

_CANONICAL_ID = re.compile(r"[0-9a-f]{32}")
_ZERO_ID = "0" * 32
_WIDTH = len(EVENT_COLUMNS)
# Slots after the EVENT_COLUMNS part of a row: values that get their own treatment.
_TS, _SEQ, _REQUEST_ID, _TRACE_ID = range(_WIDTH, _WIDTH + 4)


class DocumentConverter:
    """One layer's documents to rows, and rows to a typed frame (``EVENT_COLUMNS``
    plus ``seq``, the position in the file when the loader recorded it)."""

    def __init__(self, settings: EsSettings, layer: str):
        names = settings.fields
        self.layer = layer
        slots = {c: i for i, c in enumerate(EVENT_COLUMNS) if c not in ("ts", "layer")}
        slots |= {"ts": _TS, "seq": _SEQ, "request_id": _REQUEST_ID, "trace_id": _TRACE_ID}
        self.includes = [names[c] for c in slots]
        self.tree: dict[str, Any] = {}
        for column, slot in slots.items():
            path = names[column]
            self.tree[path] = slot  # a document with dotted keys
            node = self.tree
            *parents, leaf = path.split(".")
            for part in parents:
                node = node.setdefault(part, {}) if isinstance(node.get(part, {}), dict) else {}
            node[leaf] = slot

    def row(self, source: dict[str, Any]) -> list[Any]:
        out: list[Any] = [None] * (_WIDTH + 4)
        out[1] = self.layer
        _fill(self.tree, source, out)
        return out

    def frame(self, rows: list[list[Any]]) -> pd.DataFrame:
        """Rows from ``row`` as a typed frame, normalised like the file source's."""
        frame = typed_chunk([tuple(r[:_WIDTH]) for r in rows])
        frame["ts"] = parse_timestamps(pd.Series([r[_TS] for r in rows], dtype="object"))
        frame["request_id"] = _ids([r[_REQUEST_ID] for r in rows], normalize_request_id)
        frame["trace_id"] = _ids([r[_TRACE_ID] for r in rows], normalize_trace_id)
        frame["latency_ms"] = frame["latency_ms"] / NS_PER_MS
        seq = pd.Series([r[_SEQ] for r in rows], dtype="object")
        frame["seq"] = pd.to_numeric(seq, errors="coerce").astype("float64")
        return frame


def _fill(node: dict[str, Any], doc: dict[str, Any], out: list[Any]) -> None:
    # Walks the document's keys (the few ``_source`` filtering left), not the tree's.
    for key, value in doc.items():
        sub = node.get(key)
        if sub is None or value is None:
            continue
        if sub.__class__ is int:
            out[sub] = value
        elif value.__class__ is dict:
            _fill(sub, value, out)


def _ids(values: list[Any], normalize) -> pd.Series:
    fast = _CANONICAL_ID.fullmatch
    return pd.Series([v if v.__class__ is str and fast(v) and v != _ZERO_ID
                      else (None if v is None else normalize(str(v))) for v in values],
                     dtype="object")


def parse_timestamps(values: pd.Series) -> pd.Series:
    """ISO 8601 strings (any precision, nanoseconds kept) or epoch milliseconds, as UTC."""
    text = values.map(lambda v: v if isinstance(v, str) else None)
    parsed = pd.to_datetime(text, format="ISO8601", utc=True, errors="coerce")
    numeric = pd.to_numeric(values.where(text.isna()), errors="coerce")
    if numeric.notna().any():
        parsed = parsed.fillna(pd.to_datetime(numeric, unit="ms", utc=True))
    return parsed.astype("datetime64[ns, UTC]")

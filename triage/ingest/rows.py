"""Events as rows: the fast way from a large file's lines to a typed frame.

A row is a tuple in ``EVENT_COLUMNS`` order (``source`` left None: it is the same
for the whole file and set once). A format that reads most of its lines with one
pattern or one typed decode can build rows straight from what it matched, with no
dict per event, and hand every other line to its ``parse_line``: ``line_rows``
does the bookkeeping, so lines, skips and their reasons are exactly those of
``LineIngestor.parse``.

Rows carry canonical ids (``ids.normalize_request_id`` / ``normalize_trace_id``
already applied): a fast reader knows the shape it matched and spells the id out
canonically at once (or calls the normaliser), instead of the frame hashing a
million ids once more to find the few that change.
"""
from __future__ import annotations

from itertools import chain
from typing import TYPE_CHECKING, Any, Callable, Iterable, Iterator

import numpy as np
import pandas as pd

from triage.ingest.ids import normalize_request_id, normalize_trace_id
from triage.model import EVENT_COLUMNS

if TYPE_CHECKING:
    from triage.ingest.base import LineIngestor, ParseContext, SourceFile

Row = tuple[Any, ...]
INDEX = {name: position for position, name in enumerate(EVENT_COLUMNS)}
_REQUEST_ID, _TRACE_ID, _LINE = INDEX["request_id"], INDEX["trace_id"], INDEX["line"]
BLOCK_ROWS = 50_000  # rows turned into one typed frame at a time


def row_of(event: dict[str, Any], line: int) -> Row:
    """A dict event (from ``parse_line``) as a row, ids canonical."""
    row = list(map(event.get, EVENT_COLUMNS))
    row[_REQUEST_ID] = normalize_request_id(_text(row[_REQUEST_ID]))
    row[_TRACE_ID] = normalize_trace_id(_text(row[_TRACE_ID]))
    row[_LINE] = line
    return tuple(row)


def _text(value: Any) -> str | None:
    return value if value is None or type(value) is str else str(value)


FastRow = Callable[[str, int], "Row | None"]


def line_rows(ingestor: "LineIngestor", source: "SourceFile", ctx: "ParseContext",
              fast_row: FastRow, event_of_line=None, raw: bool = False) -> Iterator[list[Row]]:
    """Rows of every event line of ``source``, in blocks, in line order.

    ``fast_row(text, line)`` gives the row of a line it reads, or None: the line
    then goes through ``event_of_line`` (by default ``ingestor.event_of_line``,
    which counts it as skipped when it is no event), so the rows are the events
    ``ingestor.parse`` would yield. With ``raw`` ``fast_row`` gets each line's
    bytes as read (text after a read error), and declined lines are decoded for
    ``event_of_line`` exactly as ``line_blocks`` decodes them.
    """
    return blocks_of(_line_rows(ingestor, source, ctx, fast_row, event_of_line, raw))


def _line_rows(ingestor: "LineIngestor", source: "SourceFile", ctx: "ParseContext",
               fast_row: FastRow, event_of_line, raw: bool) -> Iterator[Row]:
    from triage.ingest.base import LINE_ERRORS, decode, line_blocks

    event_of_line = event_of_line or ingestor.event_of_line
    for line, text in enumerate(chain.from_iterable(line_blocks(source, raw)), 1):
        try:
            row = fast_row(text, line)
        except LINE_ERRORS:  # a value the fast reader missed: the dict path decides
            row = None
        if row is None:
            if raw and type(text) is bytes:
                text = decode(text).rstrip("\r\n")
            event = event_of_line(line, text, ctx)
            if event is None:
                continue
            row = row_of(event, line)
        yield row


def event_rows(events: Iterable[dict[str, Any]]) -> Iterator[list[Row]]:
    """Events (``line`` set) as blocks of rows, for a format whose events come no
    faster than as dicts (a pretty-printed document)."""
    return blocks_of(row_of(event, event["line"]) for event in events)


def blocks_of(rows: Iterable[Row]) -> Iterator[list[Row]]:
    """``rows`` in blocks of ``BLOCK_ROWS``. When they break off (``UnreadableSource``)
    the rows before it still come, then the error: ``parse`` keeps them too."""
    from triage.ingest.base import UnreadableSource

    block: list[Row] = []
    try:
        for row in rows:
            block.append(row)
            if len(block) >= BLOCK_ROWS:
                yield block
                block = []
    except UnreadableSource:
        if block:
            yield block
        raise
    if block:
        yield block


def _constant(value: str, count: int) -> pd.Categorical:
    """A column holding ``value`` in every row, as a category (nothing to hash)."""
    return pd.Categorical.from_codes(np.zeros(count, dtype=np.int8), categories=[value])


def typed_rows(rows: list[Row], source: str, layer: str, service: str) -> pd.DataFrame:
    """Rows as a typed events frame, as ``loader.typed_chunk`` types event dicts.

    ``layer`` and ``service`` fill the rows that have none; ``source`` is every row's.
    """
    from triage.ingest.loader import typed_frame

    count = len(rows)
    columns = ([np.fromiter(values, dtype=object, count=count) for values in zip(*rows)] if rows
               else [np.empty(0, dtype=object) for _ in EVENT_COLUMNS])
    data: dict[str, Any] = dict(zip(EVENT_COLUMNS, columns))
    data["source"] = _constant(source, count)
    for name, default in (("layer", layer), ("service", service)):
        values = data[name]
        missing = (values == None) | (values == "")  # noqa: E711 - elementwise
        if missing.all():
            data[name] = _constant(default, count)
        else:
            values[missing] = default
    # Text stays object (no str inference over every value): few-valued text becomes
    # categories next (loader.as_categories), the rest is object in the end anyway.
    frame = pd.DataFrame({name: pd.Series(values, dtype=values.dtype, copy=False)
                          for name, values in data.items()}, copy=False)
    return typed_frame(frame, ids_canonical=True)

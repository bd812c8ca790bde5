"""Pull a time window of events out of Elasticsearch into the events DataFrame.

Per layer: a point in time (PIT) over the layer's index pattern, the hit count
under that PIT (what is *expected*), then ``search_after`` pages sorted on
``_shard_doc`` (OpenSearch: ``_id``; see ``client.page_sort``) with ``_source`` filtered to the fields the event model needs.
A layer with more than ``docs_per_slice`` hits is read as PIT slices by forked
worker processes. Pages become typed frame chunks as they arrive, so memory holds
frames, not a list of dicts.
"""
from __future__ import annotations

import math
import multiprocessing
import os
import threading
import time
from concurrent.futures import ProcessPoolExecutor
from queue import Empty
from dataclasses import dataclass, field
from typing import Any, Callable

import pandas as pd
from triage.elastic.client import SearchClient, call, connect, page_sort
from triage.elastic.errors import EsIndexMissing, EsSourceError
from triage.elastic.convert import DocumentConverter
from triage.elastic.settings import EsSettings
from triage.ingest.loader import cyclic_gc_paused, finish_frame, typed_chunk

CHUNK_ROWS = 50_000
# progress(documents received so far, documents expected so far)
PullProgress = Callable[[int, int], None]


@dataclass
class Window:
    """The time range pulled, and where it came from (build.json, tests, ...)."""

    start: pd.Timestamp
    end: pd.Timestamp
    origin: str

    def to_dict(self) -> dict[str, str]:
        return {"start": self.start.isoformat(), "end": self.end.isoformat(), "origin": self.origin}


@dataclass
class IndexPull:
    """What one layer's pattern gave: hit count under the PIT, documents received."""

    layer: str
    index: str
    expected: int = 0
    received: int = 0
    slices: int = 0
    seconds: float = 0.0
    problem: EsSourceError | None = None

    def to_dict(self) -> dict[str, Any]:
        return {"layer": self.layer, "index": self.index, "expected": self.expected,
                "received": self.received, "slices": self.slices,
                "seconds": round(self.seconds, 3),
                "problem": str(self.problem) if self.problem else None}


@dataclass
class PullResult:
    events: pd.DataFrame
    indices: list[IndexPull] = field(default_factory=list)

    @property
    def expected(self) -> int:
        return sum(i.expected for i in self.indices)

    @property
    def received(self) -> int:
        return sum(i.received for i in self.indices)

    @property
    def problems(self) -> list[IndexPull]:
        return [i for i in self.indices if i.problem is not None]


def window_query(settings: EsSettings, window: Window) -> dict[str, Any]:
    """The bool filter: the window on the timestamp field, plus environment / services."""
    names = settings.fields
    filters: list[dict[str, Any]] = [{"range": {names["ts"]: {
        "gte": window.start.isoformat(), "lte": window.end.isoformat(),
        "format": "strict_date_optional_time_nanos"}}}]
    if settings.environment:
        filters.append({"term": {names["environment"]: settings.environment}})
    if settings.services:
        filters.append({"terms": {names["service"]: list(settings.services)}})
    return {"bool": {"filter": filters}}


def pull_events(settings: EsSettings, window: Window, *, client: SearchClient | None = None,
                progress: PullProgress | None = None) -> PullResult:
    """Every event of every layer pattern inside ``window``, in file order.

    Never raises for a failure in the middle of a layer: that layer's ``problem``
    is set and the documents received before it are kept (the caller decides if
    partial data is acceptable). Raises nothing else either; see ``IndexPull``.
    """
    with cyclic_gc_paused():
        return _pull_all(settings, window, client or connect(settings), progress)


def _pull_all(settings: EsSettings, window: Window, client: SearchClient,
              progress: PullProgress | None) -> PullResult:
    counter = _Counter(progress)
    frames: list[pd.DataFrame] = []
    result = PullResult(events=typed_chunk([]))
    for layer, pattern in settings.indices.log_layers().items():
        pull = IndexPull(layer=layer, index=pattern)
        result.indices.append(pull)
        started = time.perf_counter()
        try:
            _pull_layer(client, settings, window, pull, counter, frames)
        except EsSourceError as exc:
            pull.problem = exc
        pull.seconds = time.perf_counter() - started
    result.events = _ordered(frames)
    return result


class _Counter:
    """Thread-safe running totals for the progress callback."""

    def __init__(self, progress: PullProgress | None):
        self.progress, self.lock = progress, threading.Lock()
        self.received = self.expected = 0

    def add(self, received: int = 0, expected: int = 0) -> None:
        with self.lock:
            self.received += received
            self.expected += expected
            if self.progress:
                self.progress(self.received, self.expected)


def _pull_layer(client: SearchClient, settings: EsSettings, window: Window, pull: IndexPull,
                counter: _Counter, frames: list[pd.DataFrame]) -> None:
    """Append the layer's frames to ``frames``; on a failure, what arrived stays there."""
    opened = call(settings, pull.index, "opening a point in time", client.open_point_in_time,
                  index=pull.index, keep_alive=settings.pit_keep_alive,
                  allow_partial_search_results=False)
    pit_id = opened["id"]
    try:
        query = window_query(settings, window)
        head = call(settings, pull.index, "counting the window's documents", client.search,
                    pit={"id": pit_id, "keep_alive": settings.pit_keep_alive}, query=query,
                    size=0, track_total_hits=True)
        if head["_shards"]["total"] == 0:
            raise EsIndexMissing("no index matches this pattern", host=settings.host_label,
                                 product=settings.product,
                                 index=pull.index, hint="[elasticsearch.indices] in triage.toml, "
                                 "or load data with `triage es load --all`")
        pull.expected = int(head["hits"]["total"]["value"])
        counter.add(expected=pull.expected)
        if pull.expected == 0:
            return
        pull.slices = max(1, min(settings.max_slices,
                                 math.ceil(pull.expected / settings.docs_per_slice)))
        workers = min(pull.slices, settings.max_workers or os.cpu_count() or 1)
        if workers > 1:
            problem = _read_in_processes(settings, pull, query, pit_id, counter, frames, workers)
        else:
            reader = _SliceReader(client, settings, pull, query, pit_id, counter)
            for slice_id in range(pull.slices) if pull.slices > 1 else [None]:
                reader.read(slice_id)
            frames.extend(reader.frames)
            problem = reader.problem
        if problem is not None:
            raise problem
    finally:
        _close_pit(client, pit_id)


def _close_pit(client: SearchClient, pit_id: str) -> None:
    try:
        client.close_point_in_time(id=pit_id)
    except Exception:  # noqa: BLE001 - best effort: an expired or unreachable PIT is freed by ES anyway
        pass


class _SliceReader:
    """Reads one PIT slice page by page into typed frame chunks."""

    def __init__(self, client: SearchClient, settings: EsSettings, pull: IndexPull,
                 query: dict[str, Any], pit_id: str, counter: _Counter):
        self.client, self.settings, self.pull, self.query = client, settings, pull, query
        self.pit_id, self.counter = pit_id, counter
        self.converter = DocumentConverter(settings, pull.layer)
        self.sort = page_sort(client)
        self.problem: EsSourceError | None = None
        self.frames: list[pd.DataFrame] = []
        self.lock = threading.Lock()

    def read(self, slice_id: int | None) -> None:
        """Page through one slice (None: unsliced) into ``self.frames``. A failure is
        kept in ``self.problem`` (which also stops the other slices), never raised."""
        rows: list[tuple] = []
        after: list[Any] | None = None
        try:
            while self.problem is None:
                hits = self._page(slice_id, after)
                if not hits:
                    break
                rows.extend(self.converter.row(hit["_source"]) for hit in hits)
                self._count(len(hits))
                after = hits[-1]["sort"]
                if len(rows) >= CHUNK_ROWS:
                    self._keep(rows)
                    rows = []
                if len(hits) < self.settings.page_size:
                    break
        except EsSourceError as exc:
            with self.lock:
                self.problem = self.problem or exc
        if rows:
            self._keep(rows)

    def _keep(self, rows: list[tuple]) -> None:
        frame = self.converter.frame(rows)
        with self.lock:
            self.frames.append(frame)

    def _count(self, n: int) -> None:
        with self.lock:
            self.pull.received += n
        self.counter.add(received=n)

    def _page(self, slice_id: int | None, after: list[Any] | None) -> list[dict[str, Any]]:
        body: dict[str, Any] = {
            "pit": {"id": self.pit_id, "keep_alive": self.settings.pit_keep_alive},
            "query": self.query, "size": self.settings.page_size, "sort": self.sort,
            "source_includes": self.converter.includes, "track_total_hits": False,
            "filter_path": ["hits.hits._source", "hits.hits.sort"],
        }
        if slice_id is not None:
            body["slice"] = {"id": slice_id, "max": self.pull.slices}
        if after is not None:
            body["search_after"] = after
        response = call(self.settings, self.pull.index, "reading a page", self.client.search, **body)
        return response.get("hits", {}).get("hits", [])


def _ordered(frames: list[pd.DataFrame]) -> pd.DataFrame:
    """One frame in file order: by source path, then position in the file (``seq``,
    else line), as the file source gives it; documents without either keep time order."""
    frames = [f for f in frames if len(f)]
    if not frames:
        return finish_frame(typed_chunk([]))
    events = pd.concat(frames, ignore_index=True)
    position = events["seq"].fillna(events["line"].astype("float64"))
    order = pd.DataFrame({"source": events["source"].astype("object").fillna(""),
                          "position": position, "ts": events["ts"]})
    order = order.sort_values(["source", "position", "ts"], kind="mergesort", na_position="last")
    events = events.loc[order.index].drop(columns=["seq"]).reset_index(drop=True)
    return finish_frame(events)


# Decoding JSON and building frames is CPU work that holds the GIL, so the slices of a
# large layer are read by forked processes, each with its own client; their frames
# come back pickled, with repeated text as categories to keep that cheap.
_TRANSFER_CATEGORIES = ("service", "level", "method", "path", "user_agent", "client_ip",
                        "upstream_host", "error", "source")
_child_progress: Any = None


def _read_in_processes(settings: EsSettings, pull: IndexPull, query: dict[str, Any], pit_id: str,
                       counter: _Counter, frames: list[pd.DataFrame],
                       workers: int) -> EsSourceError | None:
    """Read every slice of ``pull`` in ``workers`` processes; frames go to ``frames``,
    the first failure is returned (the other slices still finish)."""
    context = multiprocessing.get_context(
        "fork" if "fork" in multiprocessing.get_all_start_methods() else "spawn")
    queue = context.Queue()
    shown = 0
    problem: EsSourceError | None = None
    with ProcessPoolExecutor(workers, mp_context=context, initializer=_init_child,
                             initargs=(queue,)) as pool:
        futures = [pool.submit(_read_slice, settings, pull.layer, pull.index, pull.slices,
                               query, pit_id, slice_id) for slice_id in range(pull.slices)]
        pending = set(futures)
        while pending:  # a finished slice is unpacked while the others still read
            for future in [f for f in pending if f.done()]:
                pending.discard(future)
                parts, received, failure = future.result()
                pull.received += received
                frames.extend(_from_transfer(part) for part in parts)
                if failure is not None and problem is None:
                    kind, text, hint = failure
                    problem = kind(text, host=settings.host_label, index=pull.index, hint=hint,
                                   product=settings.product)
            try:
                got = queue.get(timeout=0.05)
            except Empty:
                continue
            shown += got
            counter.add(received=got)
    counter.add(received=pull.received - shown)
    return problem


def _init_child(queue: Any) -> None:
    global _child_progress
    _child_progress = queue


class _QueueCounter:
    """A child's ``_Counter``: sends each page's count to the parent's progress."""

    def add(self, received: int = 0, expected: int = 0) -> None:
        if received and _child_progress is not None:
            _child_progress.put(received)


def _read_slice(settings: EsSettings, layer: str, index: str, slices: int,
                query: dict[str, Any], pit_id: str, slice_id: int):
    """In a child: one slice's frames, its document count and its failure, if any."""
    pull = IndexPull(layer=layer, index=index, slices=slices)
    reader = _SliceReader(connect(settings), settings, pull, query, pit_id, _QueueCounter())
    with cyclic_gc_paused():
        reader.read(slice_id)
    parts = [frame.astype({c: "category" for c in _TRANSFER_CATEGORIES}) for frame in reader.frames]
    failure = reader.problem
    return parts, pull.received, (None if failure is None else
                                  (type(failure), failure.problem, failure.hint))


def _from_transfer(frame: pd.DataFrame) -> pd.DataFrame:
    return frame.astype({c: "object" for c in _TRANSFER_CATEGORIES})

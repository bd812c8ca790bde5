"""Read files into normalised events and test results.

``read_source`` handles one file (detect, parse, count what it skipped);
``load_build`` walks a build folder and gathers everything into a ``LoadedBuild``.
"""
from __future__ import annotations

import gc
import os
import threading
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterator

import numpy as np
import pandas as pd
from pandas.api.types import union_categoricals

from triage.errors import NoTestReportError
from triage.ingest import caps, registry
from triage.ingest.base import GZIP_MAGIC, Head, Ingestor, ParseContext, SourceFile, UnreadableSource
from triage.ingest.ids import normalize_request_id, normalize_trace_id
from triage.ingest.rows import typed_rows
from triage.model import EVENT_COLUMNS, Layer, SourceInfo, SourceKind, TestResult

LAYER_NAMES = {layer.value for layer in Layer}
# Folder names that say which layer a file's events belong to.
LAYER_ALIASES = {
    "ingress": Layer.INGRESS, "edge": Layer.INGRESS, "lb": Layer.INGRESS, "proxy": Layer.INGRESS,
    "gateway": Layer.GATEWAY, "gw": Layer.GATEWAY, "api-gateway": Layer.GATEWAY,
    "app": Layer.APP, "apps": Layer.APP, "services": Layer.APP, "service": Layer.APP,
    "dependency": Layer.DEPENDENCY, "dependencies": Layer.DEPENDENCY, "deps": Layer.DEPENDENCY,
    "test": Layer.TEST, "tests": Layer.TEST,
}
LEVELS = {
    "trace": "trace", "debug": "debug", "dbg": "debug", "d": "debug",
    "info": "info", "information": "info", "informational": "info", "notice": "info", "i": "info",
    "warn": "warn", "warning": "warn", "w": "warn",
    "error": "error", "err": "error", "e": "error", "severe": "error",
    "critical": "fatal", "crit": "fatal", "fatal": "fatal", "alert": "fatal", "emerg": "fatal",
    "emergency": "fatal", "panic": "fatal", "f": "fatal",
}
SKIPPED_NAMES = {".DS_Store"}
ATTACHMENT_SUFFIXES = {".png", ".jpg", ".jpeg", ".webm", ".mp4", ".zip", ".trace"}


CHUNK_EVENTS = 50_000
# Text columns of the events frame that stay categorical, and all whose values repeat.
CATEGORY_COLUMNS = ("layer", "service", "level", "source", "method")
REPEATED_TEXT = CATEGORY_COLUMNS + ("path", "user_agent", "client_ip", "upstream_host", "error",
                                    "message")


@dataclass
class SourceResult:
    info: SourceInfo
    events: list[dict[str, Any]] = field(default_factory=list)
    frame: pd.DataFrame | None = None  # the events as a typed frame (``as_frame=True``)
    tests: list[TestResult] = field(default_factory=list)
    document: Any = None  # metadata or manifest content
    cut: caps.Cut | None = None  # where --max-events stopped this source


@dataclass(frozen=True)
class IngestProgress:
    """How far ``load_build`` has read: files and bytes done of the totals,
    and the file just finished (empty in the first report, before any)."""

    files_done: int
    files_total: int
    bytes_done: int
    bytes_total: int
    path: str


ProgressCallback = Callable[[IngestProgress], None]


class _ProgressCounter:
    """Turns "this many bytes of that file are read" (from any thread) into
    ``IngestProgress`` reports; a file counts as done when all its bytes are."""

    def __init__(self, callback: ProgressCallback, sizes: dict[str, int]):
        self.callback, self.sizes = callback, sizes
        self.total = sum(sizes.values())
        self.files = self.bytes = 0
        self.read: dict[str, int] = {}
        self.lock = threading.Lock()
        callback(IngestProgress(0, len(sizes), 0, self.total, ""))

    def __call__(self, display: str, size: int | None = None) -> None:
        with self.lock:
            size = self.sizes.get(display, 0) if size is None else size
            self.read[display] = self.read.get(display, 0) + size
            self.bytes += size
            if self.read[display] >= self.sizes.get(display, 0):
                self.files += 1
            self.callback(IngestProgress(self.files, len(self.sizes), self.bytes, self.total, display))


@dataclass
class LoadedBuild:
    """Everything read from one build folder, before correlation."""

    build_id: str
    path: Path
    metadata: dict[str, Any]
    tests: list[TestResult]
    events: pd.DataFrame
    sources: list[SourceInfo]
    manifests: dict[str, Any]
    warnings: list[str]
    cuts: dict[str, caps.Cut] = field(default_factory=dict)  # sources --max-events cut, by path


def layer_from_path(display: str) -> Layer | None:
    for part in reversed(Path(display).parts[:-1]):
        layer = LAYER_ALIASES.get(part.lower())
        if layer is not None:
            return layer
    return None


def read_source(path: Path, display: str | None = None, *,
                ingestor: Ingestor | None = None, as_frame: bool = False,
                byte_range: tuple[int, int] | None = None,
                max_events: int | None = None) -> SourceResult:
    """Detect and parse one file. Never raises for bad content: see ``info.status``.

    With ``max_events`` an event source stops after that many (``result.cut``).

    Events come as dicts in ``events``, or with ``as_frame`` as a typed DataFrame
    in ``frame``, built in chunks so a large file never holds all its dicts at once.
    """
    source = SourceFile(path=Path(path), display=display or str(path), byte_range=byte_range)
    info = SourceInfo(path=source.display, format=None)
    try:
        if ingestor is None:
            detection = registry.detect(Head.of(source))
            if detection.ingestor is None:
                status = "empty" if "empty" in detection.reason else (
                    "binary" if "binary" in detection.reason else "unsupported")
                info.status, info.reason = status, detection.reason
                return SourceResult(info)
            ingestor = detection.ingestor
        info.format, info.kind = ingestor.name, ingestor.kind
        ctx = ParseContext(source.display)
        result = SourceResult(info)
        rows = ingestor.parse_rows(source, ctx) if as_frame and ingestor.kind is SourceKind.EVENTS else None
        parsed = ingestor.parse(source, ctx) if rows is None else iter(())
        cuts: dict[str, caps.Cut] = {}
        if max_events is not None and ingestor.kind is SourceKind.EVENTS:
            if rows is not None:
                rows = caps.take_rows(rows, max_events, cuts, source.display)
            else:
                parsed = caps.take(parsed, max_events, cuts, source.display)
        if ingestor.kind is SourceKind.EVENTS:
            layer = (layer_from_path(source.display) or ingestor.layer).value
            info.layer = layer
            stamp = (source.display, layer, _service_from_path(source.display))
            if rows is not None:
                result.frame = _drain_rows(rows, info, stamp)
            elif as_frame:
                result.frame = _drain_frames(parsed, info, stamp)
            else:
                result.events = _drain(parsed, info)
                info.events = len(result.events)
                _stamp(result.events, *stamp)
        elif ingestor.kind is SourceKind.TESTS:
            result.tests = list(parsed)
            info.tests = len(result.tests)
            info.layer = Layer.TEST.value
            for test in result.tests:
                test.file = test.file or source.display
        else:
            result.document = parsed
        info.skipped_lines = ctx.skipped
        info.examples = ctx.examples
        result.cut = cuts.get(source.display)
        return result
    except UnreadableSource as exc:
        info.status, info.reason = exc.status, str(exc)
        return SourceResult(info)
    except (OSError, EOFError) as exc:
        info.status, info.reason = "error", f"cannot read: {exc}"
        return SourceResult(info)
    except Exception as exc:  # noqa: BLE001 - a reader's bug costs its file, not the run
        info.status = "error"
        info.reason = f"internal error in the {info.format or 'format detection'} reader: {type(exc).__name__}: {exc}"
        return SourceResult(info)


@contextmanager
def cyclic_gc_paused() -> Iterator[None]:
    """No cyclic garbage collection inside the block (restored after).

    Reading makes millions of small dicts that never form cycles; each full
    collection walks every one of them still alive (up to a third of a large
    read's time), and frees nothing. Reference counting still frees them.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def _drain(parsed, info: SourceInfo) -> list[dict[str, Any]]:
    """Every event the parser yields; a stream that breaks off keeps what came before."""
    events: list[dict[str, Any]] = []
    try:
        for event in parsed:
            events.append(event)
    except UnreadableSource as exc:
        info.status, info.reason = exc.status, f"{exc}; kept the {len(events)} events read before it"
    return events


def _drain_frames(parsed, info: SourceInfo, stamp: tuple[str, str, str]) -> pd.DataFrame:
    """Like ``_drain``, but turning every ``CHUNK_EVENTS`` dicts into a typed frame."""
    frames: list[pd.DataFrame] = []
    chunk: list[dict[str, Any]] = []
    count = 0
    try:
        for event in parsed:
            chunk.append(event)
            if len(chunk) >= CHUNK_EVENTS:
                _stamp(chunk, *stamp)
                frames.append(typed_chunk(chunk))
                count += len(chunk)
                chunk = []
    except UnreadableSource as exc:
        info.status, info.reason = exc.status, f"{exc}; kept the {count + len(chunk)} events read before it"
    if chunk or not frames:
        _stamp(chunk, *stamp)
        frames.append(typed_chunk(chunk))
        count += len(chunk)
    info.events = count
    return frames[0] if len(frames) == 1 else pd.concat(frames, ignore_index=True)


def _drain_rows(blocks, info: SourceInfo, stamp: tuple[str, str, str]) -> pd.DataFrame:
    """Like ``_drain_frames``, for a format that reads into rows (``triage.ingest.rows``)."""
    frames: list[pd.DataFrame] = []
    count = 0
    try:
        for rows in blocks:
            frames.append(typed_rows(rows, *stamp))
            count += len(rows)
    except UnreadableSource as exc:
        info.status, info.reason = exc.status, f"{exc}; kept the {count} events read before it"
    if not frames:
        frames.append(typed_rows([], *stamp))
    info.events = count
    return frames[0] if len(frames) == 1 else pd.concat(frames, ignore_index=True)


def _service_from_path(display: str) -> str:
    name = Path(display).name
    for suffix in (".gz", ".log", ".json", ".ndjson", ".jsonl", ".txt", ".logfmt"):
        if name.endswith(suffix):
            name = name[: -len(suffix)]
    return name


def _stamp(events: list[dict[str, Any]], display: str, layer: str, service: str) -> None:
    for event in events:
        event["source"] = display
        if not event.get("layer"):
            event["layer"] = layer
        if not event.get("service"):
            event["service"] = service


def events_frame(events: list[dict[str, Any]]) -> pd.DataFrame:
    """A typed DataFrame from event dicts, with ids, levels and times normalised."""
    return finish_frame(typed_chunk(events))


def finish_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """Low-cardinality text columns as categories, other text as plain objects
    (after all chunks are joined)."""
    for column in REPEATED_TEXT:
        if column not in CATEGORY_COLUMNS and isinstance(frame[column].dtype, pd.CategoricalDtype):
            frame[column] = frame[column].astype(object)
    for column in CATEGORY_COLUMNS:
        frame[column] = frame[column].astype("category")
    return frame


def as_categories(frame: pd.DataFrame, columns: tuple[str, ...] = CATEGORY_COLUMNS) -> pd.DataFrame:
    """Text ``columns`` as categories: cheap to join (``concat_frames``) and to send
    between processes (codes plus one copy of each value). By default only the
    few-valued ones: hashing paths and messages costs more than it saves unless
    they are to be sent (``REPEATED_TEXT``)."""
    for column in columns:
        frame[column] = frame[column].astype("category")
    return frame


def _union_categories(parts: list[pd.Series]) -> pd.Categorical:
    try:
        return union_categoricals(parts, sort_categories=True)
    except TypeError:  # categories of different types (an all-empty part's are float)
        alike = [part.cat.set_categories(part.cat.categories.astype(object)) for part in parts]
        return union_categoricals(alike, sort_categories=True)


def concat_frames(frames: list[pd.DataFrame]) -> pd.DataFrame:
    """``frames`` one after another. A column that is categorical in all of them
    is joined by remapping codes (categories sorted, as ``astype("category")``
    sorts them) rather than by going through a million strings again."""
    if len(frames) == 1:
        return frames[0]
    columns = {}
    for column in frames[0].columns:
        parts = [frame[column] for frame in frames]
        if all(isinstance(part.dtype, pd.CategoricalDtype) for part in parts):
            columns[column] = pd.Series(_union_categories(parts))
        else:
            columns[column] = pd.concat(parts, ignore_index=True)
    # copy=False: the columns are fresh already; stacking them into 2-D blocks
    # would copy every value once more for nothing.
    return pd.DataFrame(columns, copy=False)


def typed_chunk(events: list[dict[str, Any]]) -> pd.DataFrame:
    """Event dicts as a frame with numeric columns, times, ids and levels normalised."""
    return typed_frame(pd.DataFrame.from_records(events, columns=list(EVENT_COLUMNS)))


def typed_frame(frame: pd.DataFrame, *, ids_canonical: bool = False) -> pd.DataFrame:
    """``frame`` (one column per ``EVENT_COLUMNS`` name, as read) with numeric
    columns, times, levels and (unless already ``ids_canonical``) ids normalised."""
    frame["ts"] = pd.to_datetime(pd.to_numeric(frame["ts"], errors="coerce"), unit="s", utc=True)
    for column in ("status", "upstream_status", "line"):
        frame[column] = pd.to_numeric(frame[column], errors="coerce").astype("Int64")
    for column in ("latency_ms", "upstream_latency_ms"):
        frame[column] = pd.to_numeric(frame[column], errors="coerce").astype("float64")
    if not ids_canonical:
        frame["request_id"] = _map_unique(frame["request_id"], normalize_request_id)
        frame["trace_id"] = _map_unique(frame["trace_id"], normalize_trace_id)
    frame["level"] = _levels(frame["level"])
    return frame


def _levels(series: pd.Series) -> pd.Series:
    """Levels normalised (``_normalize_level``), once per distinct spelling."""
    codes, spellings = pd.factorize(series.to_numpy(dtype=object, na_value=None), use_na_sentinel=True)
    normalised = np.array([_normalize_level(s if type(s) is str else str(s)) for s in spellings.tolist()]
                          + [None], dtype=object)
    return pd.Series(normalised[codes], index=series.index, dtype=object)


def _map_unique(series: pd.Series, func) -> pd.Series:
    """``func`` applied once per distinct non-null value, as an object column.

    Most values come out unchanged (ids already canonical), so only the ones
    that change are written back, instead of mapping every row through a dict."""
    values = series.to_numpy(dtype=object, na_value=None, copy=True)
    present = pd.notna(values)
    distinct = pd.unique(values[present])
    changed = {}
    for value in distinct.tolist():
        new = func(value if type(value) is str else str(value))
        if new != value:
            changed[value] = new
    if changed:
        rows = np.flatnonzero(present)
        rows = rows[pd.Series(values[rows]).isin(changed.keys()).to_numpy()]
        values[rows] = [changed[value] for value in values[rows].tolist()]
    return pd.Series(values, index=series.index, dtype=object)


def _normalize_level(value: str) -> str:
    return LEVELS.get(value.strip().lower(), value.strip().lower())


def build_files(build_dir: Path) -> list[Path]:
    files = []
    for root, dirs, names in os.walk(build_dir):
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        for name in sorted(names):
            if name in SKIPPED_NAMES or name.startswith("."):
                continue
            files.append(Path(root) / name)
    return files


def load_build(build_dir: Path, build_id: str, *, require_tests: bool = True,
               workers: int | None = None, progress: ProgressCallback | None = None,
               max_events: int | None = None) -> LoadedBuild:
    """Read every file of a build folder. Raises ``NoTestReportError`` if no report.

    Large builds are read by ``workers`` processes (default: one per core), large
    files in pieces (``triage.ingest.parallel``). ``progress`` is called once
    before reading and as files (or pieces of them) are done. ``max_events``
    caps the events kept (``triage.ingest.caps``); the sources it cut are named
    in ``warnings``.
    """
    jobs: list[tuple[Path, str]] = []
    results: dict[str, SourceResult] = {}
    for path in build_files(build_dir):
        display = path.relative_to(build_dir).as_posix()
        if path.suffix.lower() in ATTACHMENT_SUFFIXES:
            info = SourceInfo(path=display, format=None, status="attachment",
                              reason="screenshot, video or trace attachment; not a log")
            results[display] = SourceResult(info)
        else:
            jobs.append((path, display))
    from triage.ingest.parallel import read_all  # it reads each file with read_source

    limits = None
    if max_events is not None:
        limits = caps.read_caps({job: _estimated_lines(job[0], job[0].stat().st_size) for job in jobs},
                                max_events)
    done = _ProgressCounter(progress, {d: p.stat().st_size for p, d in jobs}) if progress else None
    with cyclic_gc_paused():
        for result in read_all(jobs, workers, done, limits):
            results[result.info.path] = result
        if max_events is not None:
            paths = {job[1]: job[0] for job in jobs}
            caps.settle(results, max_events,
                        lambda display, cap: read_source(paths[display], display, as_frame=True, max_events=cap))
            caps.trim(list(results.values()), max_events)
    ordered = [results[key] for key in sorted(results)]
    metadata: dict[str, Any] = {}
    manifests: dict[str, Any] = {}
    tests: list[TestResult] = []
    frames: list[pd.DataFrame] = []
    warnings: list[str] = []
    for result in ordered:
        info = result.info
        if info.kind is SourceKind.METADATA and isinstance(result.document, dict):
            metadata.update(result.document)
        elif info.kind is SourceKind.MANIFEST:
            manifests[info.path] = result.document
        tests.extend(result.tests)
        if result.frame is not None and len(result.frame):
            frames.append(result.frame)
        warnings.extend(source_warnings(info))
    cuts = {result.info.path: result.cut for result in ordered if result.cut is not None}
    warnings.extend(caps.warning(path, cut, max_events or 0,
                                 [t.name for t in tests if t.failed and caps.started_after(cut, t)])
                    for path, cut in cuts.items())
    if require_tests and not tests:
        raise NoTestReportError(build_id, str(build_dir))
    events = concat_frames(frames) if frames else typed_chunk([])
    return LoadedBuild(
        build_id=build_id, path=build_dir, metadata=metadata, tests=tests,
        events=finish_frame(events), sources=[r.info for r in ordered],
        manifests=manifests, warnings=warnings, cuts=cuts,
    )


def _estimated_lines(path: Path, size: int) -> float:
    """Lines in a file, from the length of its first ones."""
    with open(path, "rb") as fh:
        return size / line_bytes(fh.read(65536))


def line_bytes(start: bytes) -> float:
    """Average line length from a file's first bytes (a gzip'd file counts as 60:
    its lines are about five times as many as its bytes suggest)."""
    if start.startswith(GZIP_MAGIC):
        return 60.0
    return max(1.0, len(start) / max(1, start.count(b"\n")))


def source_warnings(info: SourceInfo) -> list[str]:
    """Human-readable warnings for what a source could not read."""
    found = []
    if info.status not in ("ok", "attachment"):
        done = "partial" if info.events or info.tests else "skipped"
        found.append(f"{info.path}: {done} ({info.status}): {info.reason}")
    if info.skipped_lines:
        where = "; ".join(f"{info.path}:{ex.line}: {ex.reason}" for ex in info.examples)
        found.append(f"{info.path}: {info.skipped_lines} malformed line(s) skipped, e.g. {where}")
    return found

"""Reading a large build with every core.

Files become jobs; an uncompressed file larger than ``PIECE_BYTES`` whose
format has no state across lines becomes several jobs, cut after newlines.
This process and ``workers - 1`` others take jobs from one queue, largest
first, so no core waits while another still has a long file to go; the
pieces of a file are joined back in order, their line numbers made the
file's own.
"""
from __future__ import annotations

import gc
import multiprocessing
import os
import pickle
import tempfile
import threading
from collections import deque
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Callable

import msgspec
import numpy as np
import pandas as pd


from triage.ingest import registry
from triage.ingest.base import (GZIP_MAGIC, MAX_EXAMPLES, UTF8_BOM, UTF16_SNIFF_BYTES, Head,
                                 SourceFile, utf16_encoding)
from triage.ingest.loader import (REPEATED_TEXT, SourceResult, as_categories, concat_frames, line_bytes,
                                  read_source)
from triage.model import SourceKind

# Below this, a build is read by this process alone.
PARALLEL_BYTES = 32 * 1024 * 1024
# Pieces hold about PIECE_LINES lines (work goes with lines more than bytes: a Kong
# line is six times an nginx line's length but not its cost), within these bounds.
PIECE_LINES = 60_000
PIECE_BYTES = 48 * 1024 * 1024   # the smallest file that is ever cut
MAX_PIECE_BYTES = 256 * 1024 * 1024
_SCAN_BLOCK = 16 * 1024 * 1024
_FIND_BLOCK = 64 * 1024


@dataclass(frozen=True)
class Job:
    path: Path
    display: str
    size: int
    cost: float                    # estimated lines: jobs are handed out most costly first
    byte_range: tuple[int, int] | None = None
    piece: int = 0                 # its place among the file's pieces
    ingestor: str | None = None    # detected once for all pieces of a file
    max_events: int | None = None  # --max-events' share for this file (never cut in pieces)


Progress = Callable[[str, int], None]  # (display, bytes just read), from any thread


def read_all(files: list[tuple[Path, str]], workers: int | None = None,
             progress: Progress | None = None,
             limits: dict[tuple[Path, str], int | None] | None = None) -> list[SourceResult]:
    """Read every ``(path, display)``, one result per file, in the order given;
    ``limits`` caps the events read from each (``triage.ingest.caps``)."""
    sizes = [path.stat().st_size for path, _ in files]
    caps = [None if limits is None else limits.get(item) for item in files]
    workers = workers if workers is not None else (os.cpu_count() or 1)
    if workers <= 1 or sum(sizes) < PARALLEL_BYTES:
        results = []
        for (path, display), size, cap in zip(files, sizes, caps):
            results.append(read_source(path, display, as_frame=True, max_events=cap))
            if progress is not None:
                progress(display, size)
        return results
    jobs = [job for (path, display), size, cap in zip(files, sizes, caps)
            for job in plan(path, display, size, cap)]
    done = _run(sorted(jobs, key=lambda job: -job.cost), workers, progress)
    return [_join([(job, done[job]) for job in jobs if job.display == display])
            for _, display in files]


def plan(path: Path, display: str, size: int, max_events: int | None = None) -> list[Job]:
    """One job for the file, or one per piece when it is large, uncompressed,
    plain UTF-8 (no byte order mark, not UTF-16), not capped, and of a format
    without state across lines."""
    with open(path, "rb") as fh:
        first_bytes = fh.read(max(UTF16_SNIFF_BYTES, 65536))
    per_line = line_bytes(first_bytes)
    whole = [Job(path, display, size, size / per_line, max_events=max_events)]
    if size <= PIECE_BYTES or max_events is not None:
        return whole
    if first_bytes.startswith((GZIP_MAGIC, UTF8_BOM)) or utf16_encoding(first_bytes[:UTF16_SNIFF_BYTES]) is not None:
        return whole
    piece = int(min(MAX_PIECE_BYTES, max(PIECE_BYTES / 4, PIECE_LINES * per_line)))
    if size <= piece * 1.5:
        return whole
    source = SourceFile(path=path, display=display)
    head = Head.of(source)
    ingestor = registry.detect(head).ingestor
    if ingestor is None or ingestor.kind is not SourceKind.EVENTS or not ingestor.splittable(head):
        return whole
    return [Job(path, display, end - start, (end - start) / per_line, (start, end), number,
                ingestor.name)
            for number, (start, end) in enumerate(cut_points(path, size, piece))]


def cut_points(path: Path, size: int, piece: int) -> list[tuple[int, int]]:
    """``(start, end)`` byte ranges of pieces of about ``piece`` bytes, each
    starting just after a newline. Only the bytes around each cut are read."""
    starts = [0]
    with open(path, "rb") as fh:
        target = piece
        while target < size:
            fh.seek(target)
            position = target
            while block := fh.read(_FIND_BLOCK):
                at = block.find(b"\n")
                if at >= 0:
                    break
                position += len(block)
            else:
                break  # no newline after the target: the rest is one piece
            cut = position + at + 1
            if cut >= size:
                break
            starts.append(cut)
            target = cut + piece
    return list(zip(starts, starts[1:] + [size]))


def newlines_in(path: Path, byte_range: tuple[int, int]) -> int:
    """How many lines end in ``byte_range`` of ``path``: what a piece shifts the
    line numbers of the pieces after it by."""
    start, end = byte_range
    count = 0
    with open(path, "rb") as fh:
        fh.seek(start)
        while start < end and (block := fh.read(min(_SCAN_BLOCK, end - start))):
            count += block.count(b"\n")
            start += len(block)
    return count


def _run(jobs: list[Job], workers: int, progress: Progress | None) -> dict[Job, tuple[SourceResult, int]]:
    """Every job read by this process or a worker, whichever is free first.

    Each worker is fed by a thread here that keeps two jobs in its hands (the
    thread only waits, so it costs this process nothing)."""
    queue = deque(jobs)
    done: dict[Job, tuple[SourceResult, int]] = {}
    errors: list[BaseException] = []
    context = multiprocessing.get_context(
        "fork" if "fork" in multiprocessing.get_all_start_methods() else "spawn")
    # A worker forked while another thread of this process holds a lock (an import's,
    # say) waits for it forever. So every format module is imported first, and the
    # workers are forked from this thread before the feeder threads exist.
    registry.ingestors()
    spool_in = _SPOOL_DIR if os.path.isdir(_SPOOL_DIR) else None
    # Workers read with the cyclic collector off, as this process does (loader.cyclic_gc_paused).
    with tempfile.TemporaryDirectory(prefix="triage-read-", dir=spool_in) as spool, \
            ProcessPoolExecutor(max_workers=workers - 1, mp_context=context, initializer=gc.disable) as pool:
        pool.submit(os.getpid).result()
        feeders = [threading.Thread(target=_feed, args=(pool, spool, queue, done, errors, progress),
                                    daemon=True) for _ in range(workers - 1)]
        for feeder in feeders:
            feeder.start()
        while True:
            try:
                job = queue.popleft()
            except IndexError:
                break
            done[job] = _read_categorised(job)
            if progress is not None:
                progress(job.display, job.size)
        for feeder in feeders:
            feeder.join()
    if errors:
        raise errors[0]
    return done


def _feed(pool: ProcessPoolExecutor, spool: str, queue: deque, done: dict, errors: list,
          progress: Progress | None) -> None:
    """Hand one worker jobs from ``queue`` until it is empty, two at a time: the
    worker starts its next job while the last one's result crosses over."""
    in_flight: deque = deque()
    try:
        while True:
            while len(in_flight) < 2:
                try:
                    job = queue.popleft()
                except IndexError:
                    break
                in_flight.append((job, pool.submit(_read_into_file, job, spool)))
            if not in_flight:
                return
            job, future = in_flight.popleft()
            done[job] = _unpacked(*_taken_from_file(future.result()))
            if progress is not None:
                progress(job.display, job.size)
    except BaseException as exc:  # re-raised in the calling thread
        errors.append(exc)


# A worker's answer goes through a file here (memory-backed where Linux has it)
# rather than the pool's pipe: through a 64 KB pipe, a 20 MB answer takes hundreds
# of reads, each waiting for this process's busy thread to let go of the GIL.
_SPOOL_DIR = "/dev/shm"


def _read_into_file(job: Job, spool: str) -> str:
    """``_read_for_transfer`` in a worker, pickled into a new file in ``spool``: its path."""
    answer = _read_for_transfer(job)
    handle, path = tempfile.mkstemp(dir=spool, suffix=".pickle")
    with os.fdopen(handle, "wb") as fh:
        pickle.dump(answer, fh, protocol=pickle.HIGHEST_PROTOCOL)
    return path


def _taken_from_file(path: str) -> tuple[SourceResult, int, dict[str, bytes]]:
    """The answer ``_read_into_file`` left at ``path`` (the file is removed)."""
    with open(path, "rb") as fh:
        data = fh.read()
    os.unlink(path)
    return pickle.loads(data)


def _read(job: Job) -> tuple[SourceResult, int]:
    """The job's result, and for a piece the number of lines in it."""
    ingestor = registry.get(job.ingestor) if job.ingestor else None
    result = read_source(job.path, job.display, ingestor=ingestor, as_frame=True,
                         byte_range=job.byte_range, max_events=job.max_events)
    return result, (newlines_in(job.path, job.byte_range) if job.byte_range else 0)


def _read_categorised(job: Job) -> tuple[SourceResult, int]:
    """``_read`` in this process, with few-valued text as categories
    (``loader.as_categories``), as pieces are joined."""
    result, lines = _read(job)
    if result.frame is not None:
        as_categories(result.frame)
    return result, lines


# Columns of one-off Python objects (ids, attrs dicts) that cost most to pickle one
# by one; a worker sends each as one msgpack blob instead (half the transfer time).
PACKED_COLUMNS = ("request_id", "trace_id", "span_id", "attrs")
_ENCODER, _DECODER = msgspec.msgpack.Encoder(), msgspec.msgpack.Decoder()


def _read_for_transfer(job: Job) -> tuple[SourceResult, int, dict[str, bytes]]:
    """``_read`` in a worker: all repeated text as categories (one copy
    of each value crosses over, and stays shared), the frame without
    ``PACKED_COLUMNS``, and those as msgpack. Their values are what readers put
    there (text, numbers, JSON-like dicts and lists), which msgpack gives back as
    they were; a column it cannot encode (a huge int, an odd type) stays in the frame."""
    result, lines = _read(job)
    packed: dict[str, bytes] = {}
    frame = result.frame
    if frame is not None:
        as_categories(frame, REPEATED_TEXT)
        for column in PACKED_COLUMNS:
            try:
                packed[column] = _ENCODER.encode(frame[column].tolist())
            except (TypeError, ValueError, OverflowError, msgspec.EncodeError):
                continue
        result.frame = frame.drop(columns=list(packed))
        packed["__order__"] = _ENCODER.encode(list(frame.columns))
    return result, lines, packed


def _unpacked(result: SourceResult, lines: int, packed: dict[str, bytes]) -> tuple[SourceResult, int]:
    """A worker's ``_read_for_transfer`` answer as ``_read_categorised``'s."""
    if result.frame is None or not packed:
        return result, lines
    frame = result.frame
    columns = {}
    for name in _DECODER.decode(packed.pop("__order__")):
        if name in packed:
            values = _DECODER.decode(packed[name])
            columns[name] = pd.Series(np.fromiter(values, dtype=object, count=len(values)),
                                      index=frame.index, dtype=object, copy=False)
        else:
            columns[name] = frame[name]
    result.frame = pd.DataFrame(columns, copy=False)
    return result, lines


def _join(pieces: list[tuple[Job, tuple[SourceResult, int]]]) -> SourceResult:
    """The pieces of one file (in order) as the result of reading it whole."""
    if len(pieces) == 1:
        return pieces[0][1][0]
    first = pieces[0][1][0]
    info = first.info
    frames, examples = [], []
    events = skipped = shift = 0
    for _, (result, lines) in pieces:
        if result.frame is not None and len(result.frame):
            result.frame["line"] = result.frame["line"] + shift
            frames.append(result.frame)
        examples += [replace(ex, line=None if ex.line is None else ex.line + shift)
                     for ex in result.info.examples]
        events += result.info.events
        skipped += result.info.skipped_lines
        shift += lines
        if result.info.status != "ok" and info.status == "ok":
            info.status, info.reason = result.info.status, result.info.reason
    info.events, info.skipped_lines, info.examples = events, skipped, examples[:MAX_EXAMPLES]
    first.frame = concat_frames(frames) if frames else first.frame
    return first

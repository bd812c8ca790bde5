"""Reading a build with several processes and large files in pieces gives
exactly what reading it in one process gives."""
from __future__ import annotations

import multiprocessing

import pandas as pd
import pytest

from triage.ingest import loader, parallel
from triage.synth.window import generate_window


@pytest.fixture(scope="module")
def window(tmp_path_factory):
    root = tmp_path_factory.mktemp("window")
    generate_window(root, events=20_000, seed=3)
    build = root / "builds" / "bench"
    # A malformed line deep inside the ingress log: its line number must survive the cut.
    ingress = build / "logs" / "ingress" / "ingress-nginx.log"
    lines = ingress.read_bytes().splitlines(keepends=True)
    lines.insert(4000, b"\x00 this is not an access log line\n")
    ingress.write_bytes(b"".join(lines))
    return build


def test_cut_points_cover_the_file_after_newlines(tmp_path):
    path = tmp_path / "lines.log"
    path.write_bytes(b"".join(b"line %d %s\n" % (n, b"x" * (n % 50)) for n in range(1, 5001)))
    size = path.stat().st_size
    pieces = parallel.cut_points(path, size, 10_000)
    assert pieces[0][0] == 0 and pieces[-1][1] == size
    assert all(end == start for (_, end), (start, _) in zip(pieces, pieces[1:]))
    data = path.read_bytes()
    first_line = 1
    for start, end in pieces:
        assert start == 0 or data[start - 1:start] == b"\n"
        assert data[start:end].split(b" ", 2)[1] == str(first_line).encode()
        first_line += parallel.newlines_in(path, (start, end))
    assert first_line == 5001
    assert len(pieces) == pytest.approx(size / 10_000, abs=2)


def test_cut_points_of_a_file_whose_last_line_is_long(tmp_path):
    """A cut that would fall in the last line (or past the last newline) leaves
    that line to the piece before."""
    path = tmp_path / "lines.log"
    path.write_bytes(b"a\n" * 100 + b"b" * 500_000)
    size = path.stat().st_size
    assert parallel.cut_points(path, size, 50) == [(0, 52), (52, 104), (104, 156), (156, size)]


def test_pieces_and_processes_read_like_one_process(window, monkeypatch):
    serial = loader.load_build(window, "bench", workers=1)
    monkeypatch.setattr(parallel, "PARALLEL_BYTES", 0)
    monkeypatch.setattr(parallel, "PIECE_BYTES", 300_000)
    monkeypatch.setattr(parallel, "PIECE_LINES", 1_000)
    jobs = [job for path in loader.build_files(window)
            for job in parallel.plan(path, path.name, path.stat().st_size)]
    split = {job.display for job in jobs if job.byte_range}
    assert {"ingress-nginx.log", "kong.log", "ecs-services.log"} <= split
    assert "logfmt-services.log" not in split  # continuation lines: never cut
    both = loader.load_build(window, "bench", workers=2)
    assert [(s.path, s.format, s.events, s.skipped_lines, s.examples) for s in both.sources] == \
           [(s.path, s.format, s.events, s.skipped_lines, s.examples) for s in serial.sources]
    ingress = next(s for s in both.sources if s.path.endswith("ingress-nginx.log"))
    assert ingress.skipped_lines == 1 and ingress.examples[0].line == 4001
    pd.testing.assert_frame_equal(_plain(both.events), _plain(serial.events))


def _plain(frame: pd.DataFrame) -> pd.DataFrame:
    """Categories as plain values and every missing value as None (workers send
    repeated text as categories, whose missing values come back as NaN)."""
    text = [c for c in frame.columns if frame[c].dtype == object or isinstance(frame[c].dtype, pd.CategoricalDtype)
            or pd.api.types.is_string_dtype(frame[c].dtype)]
    plain = frame.copy()
    for column in text:
        values = plain[column].astype(object)
        plain[column] = values.where(values.notna(), None)
    return plain


def test_workers_are_forked_before_any_other_thread_starts(window, monkeypatch):
    """A worker forked by a feeder thread while this thread was importing a format
    module waited for that import's lock forever (a capped read of the 1M-event
    window hung two runs in three). Workers must exist before any thread starts."""
    started = []
    real_start = parallel.threading.Thread.start

    def start(thread):
        # Raised here, the failure stops the read instead of hanging it.
        assert multiprocessing.active_children(), "a thread started before the workers were forked"
        started.append(thread)
        real_start(thread)

    monkeypatch.setattr(parallel.threading.Thread, "start", start)
    monkeypatch.setattr(parallel, "PARALLEL_BYTES", 0)
    capped = loader.load_build(window, "bench", workers=2, max_events=5_000)
    assert len(capped.events) == 5_000 and started


def test_a_workers_frame_crosses_over_exactly(tmp_path, monkeypatch):
    """Ids and attrs travel from a worker as msgpack: nested attrs and non-ASCII text
    come back as they were; a column msgpack cannot carry (an int past 64 bits)
    stays in the pickled frame."""
    events = [
        {"ts": 1.5, "message": "caf\u00e9", "request_id": "76e84bd5404950ffee0042381ef7ea15",
         "trace_id": "0d54746935f7a56f8533f6a09d33b296", "span_id": "28dfea8e4d4817be",
         "attrs": {"forwarded_for": ["203.0.113.9", "10.0.0.1"], "n": {"x": 2.5, "ok": True}}},
        {"ts": 2.0, "message": "second", "attrs": {"big": 123456789012345678901234567890}},
        {"ts": 3.0, "message": "third"},
    ]
    frame = loader.typed_chunk(events)
    info = loader.SourceInfo(path="app/x.log", format="json-lines")
    monkeypatch.setattr(parallel, "_read", lambda job: (loader.SourceResult(info, frame=frame.copy()), 3))
    job = parallel.Job(tmp_path / "x.log", "app/x.log", 10, 3.0)
    result, lines, packed = parallel._read_for_transfer(job)
    assert {"request_id", "trace_id", "span_id"} <= set(packed) and "attrs" not in packed
    crossed, _ = parallel._unpacked(result, lines, packed)
    assert list(crossed.frame.columns) == list(frame.columns)
    for column in frame.columns:
        assert _values(crossed.frame[column]) == _values(frame[column]), column
    assert crossed.frame["attrs"][1]["big"] == 123456789012345678901234567890


def _values(series: pd.Series) -> list:
    """Values with every spelling of missing (None, NaN, NA) as None."""
    return [None if not isinstance(v, (dict, list)) and pd.isna(v) else v for v in series.tolist()]

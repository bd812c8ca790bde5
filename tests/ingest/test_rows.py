"""The rows path (``triage.ingest.rows``) reads exactly what the event-dict path reads.

Every format with a ``parse_rows`` is read both ways on every real third-party
sample, every sample_data file and our own awkward files; the typed frames, the
skipped lines (with their file:line examples) and the status must be the same.
"""
from __future__ import annotations

import gzip
import math
from pathlib import Path

import pandas as pd
import pytest

from triage.ingest import registry
from triage.ingest.base import Head, Ingestor, ParseContext, SourceFile
from triage.ingest.loader import (_drain_frames, _drain_rows, _service_from_path, as_categories,
                                  finish_frame, layer_from_path, read_source)
from triage.model import EVENT_COLUMNS, SourceInfo
from tests.conftest import REAL_FIXTURES, SAMPLE_DATA

ROWS_FORMATS = sorted(name for name, ingestor in registry.ingestors().items()
                      if type(ingestor).parse_rows is not Ingestor.parse_rows)


def _plain(value):
    if value is None or value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, float) and math.isnan(value):
        return None
    return value


def comparable(frame: pd.DataFrame) -> dict[str, list]:
    frame = finish_frame(as_categories(frame.copy()))
    assert list(frame.columns) == list(EVENT_COLUMNS)
    return {column: [_plain(v) for v in frame[column].tolist()] for column in frame.columns}


def read_both_ways(path: Path, display: str | None = None):
    """(rows frame, dicts frame, rows context, dicts context, rows info, dicts info)."""
    source = SourceFile(path=path, display=display or path.name)
    ingestor = registry.detect(Head.of(source)).ingestor
    assert ingestor is not None
    layer = (layer_from_path(source.display) or ingestor.layer).value
    stamp = (source.display, layer, _service_from_path(source.display))
    by_rows_ctx, by_dicts_ctx = ParseContext(source.display), ParseContext(source.display)
    rows = ingestor.parse_rows(source, by_rows_ctx)
    assert rows is not None, f"{ingestor.name} has no rows path"
    rows_info, dicts_info = SourceInfo(path=source.display, format=None), SourceInfo(path=source.display, format=None)
    by_rows = _drain_rows(rows, rows_info, stamp)
    by_dicts = _drain_frames(ingestor.parse(source, by_dicts_ctx), dicts_info, stamp)
    return by_rows, by_dicts, by_rows_ctx, by_dicts_ctx, rows_info, dicts_info


def assert_same_reading(path: Path, display: str | None = None) -> int:
    by_rows, by_dicts, rows_ctx, dicts_ctx, rows_info, dicts_info = read_both_ways(path, display)
    assert len(by_rows) == len(by_dicts)
    left, right = comparable(by_rows), comparable(by_dicts)
    for column in EVENT_COLUMNS:
        assert left[column] == right[column], f"{path}: column {column} differs"
    assert (rows_ctx.skipped, rows_ctx.examples) == (dicts_ctx.skipped, dicts_ctx.examples)
    assert (rows_info.events, rows_info.status, rows_info.reason) == \
        (dicts_info.events, dicts_info.status, dicts_info.reason)
    return len(by_rows)


def files_of(formats: list[str], *folders: Path) -> list[Path]:
    found = []
    for folder in folders:
        for path in sorted(p for p in folder.rglob("*") if p.is_file()):
            detection = registry.detect(Head.of(SourceFile(path=path, display=path.name)))
            if detection.ingestor is not None and detection.ingestor.name in formats:
                found.append(path)
    return found


def test_the_fast_formats_have_a_rows_path():
    assert {"ingress-nginx", "kong-json", "ecs-json", "logfmt"} <= set(ROWS_FORMATS)


def test_real_samples_read_the_same_both_ways(real):
    files = files_of(ROWS_FORMATS, real)
    assert {registry.detect(Head.of(SourceFile(path=p, display=p.name))).ingestor.name
            for p in files} == set(ROWS_FORMATS), "every rows format needs a real sample"
    for path in files:
        assert_same_reading(path, path.relative_to(real).as_posix())


def test_sample_data_reads_the_same_both_ways():
    files = files_of(ROWS_FORMATS, SAMPLE_DATA / "builds")
    assert files
    assert sum(assert_same_reading(path) for path in files) > 1000


NGINX_ACCESS = ('10.0.0.{n} - - [21/Nov/2026:09:00:0{s} +0000] "GET /api/x?id={n} HTTP/1.1" 200 12 '
                '"-" "curl/8" 120 0.0{n}2 [ns-svc-80] [] 10.244.0.{n}:8080 12 0.0{n}1 200 '
                '{rid}')


def _nginx_lines(count: int) -> list[str]:
    ids = ["f826214ba6d57201e8bc762ed17e9d90", "9C2BBFB0-2D77-41BE-B210-8074BE1F1099",
           "9c2bbfb0-2d77-41be-b210-8074be1f1099", "-", "req-abc", "00000000000000000000000000000000"]
    return [NGINX_ACCESS.format(n=n % 10, s=n % 6, rid=ids[n % len(ids)]) for n in range(count)]


def test_own_awkward_nginx_file_reads_the_same(tmp_path):
    lines = ["I1121 08:59:58.488494       7 controller.go:202] before any dated line",
             *_nginx_lines(8),
             '10.0.0.1 - - [21/Nov/2026:09:00:01 +0000] "GET /r HTTP/1.1" 502 0 "-" "ua" 1 0.2 '
             '[up] [] 10.0.0.2:80, 10.0.0.3:80 0, 0 0.1, 0.1 502, 502 abcdef0123456789abcdef0123456789',
             '10.0.0.1 - [203.0.113.9] - - [21/Nov/2026:09:00:01 +0000] "GET /old HTTP/1.1" 200 0 '
             '"-" "ua" 1 0.2 [up] 10.0.0.2:80 0 0.1 200 abcdef0123456789abcdef0123456789',
             "2026/11/21 09:00:02 [error] 12#12: *5 upstream timed out, client: 10.0.0.1, "
             'server: _, request: "GET /slow HTTP/1.1", upstream: "http://10.0.0.2:80/slow"',
             "", "   ", "not an access line at all", "\x00\x01binary junk",
             "W1121 09:00:03.000001       7 store.go:100] after a dated line",
             # isdigit() takes "\u00b2" but int() refuses it: the fast reader raises, the
             # dict path skips the line with the reason, and so must the rows path
             '10.0.0.1 - - [21/Nov/2026:09:00:03 +0000] "GET /q HTTP/1.1" 200 1 "-" "ua" 1 0.1 '
             '[up] [] 10.0.0.2:80 1 0.1 \u00b2 abcdef0123456789abcdef0123456789',
             '10.0.0.1 - - [21/Nov/2026:09:00:04 +0000] "BROKEN" 400 0 "-" "-" 1 0.000 [] [] - - - - -']
    path = tmp_path / "ingress" / "ingress-nginx.log"
    path.parent.mkdir()
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    assert assert_same_reading(path, "ingress/ingress-nginx.log") >= 14
    frame, *_ = read_both_ways(path, "ingress/ingress-nginx.log")
    assert frame["request_id"].tolist()[1:4] == ["f826214ba6d57201e8bc762ed17e9d90",
                                                 "9c2bbfb02d7741beb2108074be1f1099",
                                                 "9c2bbfb02d7741beb2108074be1f1099"]


def assert_truncated_gzip_reads_the_same(path: Path, lines: list[str], keep: float = 2 / 3) -> None:
    """``lines`` gzip'd and cut to ``keep`` of the stream at ``path``: both ways
    keep the same rows before the damage and give the same reason."""
    packed = gzip.compress(("\n".join(lines) + "\n").encode())
    path.write_bytes(packed[: int(len(packed) * keep)])
    by_rows, by_dicts, *_, rows_info, dicts_info = read_both_ways(path)
    assert rows_info.status == "truncated" and 0 < len(by_rows) < len(lines)
    assert (len(by_rows), rows_info.events, rows_info.reason) == \
        (len(by_dicts), dicts_info.events, dicts_info.reason)
    assert comparable(by_rows) == comparable(by_dicts)


def test_a_truncated_gzip_keeps_the_same_rows_both_ways(tmp_path):
    assert_truncated_gzip_reads_the_same(tmp_path / "ingress-nginx.log.gz", _nginx_lines(60_000))


def test_read_source_takes_the_rows_path_and_counts_events(tmp_path):
    path = tmp_path / "ingress-nginx.log"
    path.write_text("\n".join(_nginx_lines(30)) + "\nnot a line\n", encoding="utf-8")
    result = read_source(path, "ingress-nginx.log", as_frame=True)
    assert result.info.events == 30 and result.info.skipped_lines == 1
    assert result.info.examples[0].line == 31
    assert result.frame["line"].tolist() == list(range(1, 31))
    assert set(result.frame["source"]) == {"ingress-nginx.log"}
    assert set(result.frame["layer"]) == {"ingress"}


@pytest.mark.skipif(not REAL_FIXTURES.exists(), reason="needs ../shared/fixtures/real")
def test_rows_formats_list_is_not_empty():
    assert ROWS_FORMATS


@pytest.mark.parametrize("cap", [1, 7, 50_000, 50_001, 59_999, 60_000, 70_000])
def test_a_capped_read_cuts_rows_where_it_cuts_events(tmp_path, monkeypatch, cap):
    """--max-events on the rows path (caps.take_rows) keeps what caps.take keeps,
    across a block boundary too, and records the same cut."""
    path = tmp_path / "ingress-nginx.log"
    # time moves on a minute every 1,000 lines, so the newest kept time is the last block's
    lines = [line.replace("09:00:0", f"09:{n // 1000:02d}:0") for n, line in enumerate(_nginx_lines(60_000))]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    by_rows = read_source(path, "ingress/ingress-nginx.log", as_frame=True, max_events=cap)
    monkeypatch.setattr(type(registry.get("ingress-nginx")), "parse_rows", Ingestor.parse_rows)
    by_dicts = read_source(path, "ingress/ingress-nginx.log", as_frame=True, max_events=cap)
    assert by_rows.cut == by_dicts.cut and (by_rows.cut is None) == (cap >= 60_000)
    assert by_rows.info.events == by_dicts.info.events == min(cap, 60_000)
    assert comparable(by_rows.frame) == comparable(by_dicts.frame)

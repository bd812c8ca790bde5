"""Bad input is reported with a reason and loses nothing that could be read."""
import gzip
import json

import pytest

from triage.errors import NoTestReportError
from triage.ingest.loader import load_build, read_source
from triage.ingest.registry import MISSING_BUILTINS, ingestors

NGINX = ('10.20.0.15 - - [20/Nov/2026:10:00:0{i} +0000] "GET /api/cart HTTP/1.1" 200 512 "-" '
         '"Mozilla/5.0" 310 0.012 [shop-web-80] [] 10.1.0.7:8080 512 0.011 200 '
         '0123456789abcdef0123456789abcde{i}')


def test_every_builtin_ingestor_is_present():
    ingestors()
    assert MISSING_BUILTINS == []


def test_empty_file_is_reported(tmp_path):
    path = tmp_path / "empty.log"
    path.write_text("")
    info = read_source(path, "empty.log").info
    assert (info.status, info.format) == ("empty", None)


def test_binary_file_is_reported(tmp_path):
    path = tmp_path / "core.bin"
    path.write_bytes(b"\x7fELF\x00\x00\x01\x02" * 100)
    info = read_source(path, "core.bin").info
    assert info.status == "binary" and "NUL" in info.reason


def test_unrecognised_text_is_listed_with_reason(tmp_path):
    path = tmp_path / "notes.txt"
    path.write_text("just some words\nthat are not a log\n")
    info = read_source(path, "notes.txt").info
    assert info.status == "unsupported"
    assert "no known format matches" in info.reason and "just some words" in info.reason


def test_gzip_is_transparent(tmp_path):
    path = tmp_path / "ingress.log.gz"
    path.write_bytes(gzip.compress("\n".join(NGINX.format(i=i) for i in range(5)).encode()))
    result = read_source(path, "logs/ingress/ingress.log.gz")
    assert result.info.format == "ingress-nginx" and result.info.events == 5
    assert result.info.layer == "ingress"


def test_truncated_gzip_keeps_what_was_read(tmp_path):
    body = "\n".join(NGINX.format(i=i % 10) for i in range(20000)).encode()
    data = gzip.compress(body)
    path = tmp_path / "cut.log.gz"
    path.write_bytes(data[: len(data) // 2])
    info = read_source(path, "cut.log.gz").info
    assert info.status == "truncated"
    assert 0 < info.events < 20000
    assert f"kept the {info.events} events" in info.reason


def test_malformed_lines_are_counted_and_located(tmp_path):
    lines = [NGINX.format(i=1), "garbage line", NGINX.format(i=2), '10.0.0.1 - - [20/Nov/2026:10:00:0']
    path = tmp_path / "ingress.log"
    path.write_text("\n".join(lines) + "\n")
    info = read_source(path, "ingress.log").info
    assert (info.events, info.skipped_lines) == (2, 2)
    assert [ex.line for ex in info.examples] == [2, 4]


def test_build_without_test_report_is_an_error(tmp_path):
    build = tmp_path / "builds" / "9"
    (build / "logs").mkdir(parents=True)
    (build / "logs" / "ingress.log").write_text(NGINX.format(i=1) + "\n")
    (build / "build.json").write_text(json.dumps({"build": "9", "env": "canary"}))
    with pytest.raises(NoTestReportError, match="has no test report"):
        load_build(build, "9")

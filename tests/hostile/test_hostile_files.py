"""Named hostile inputs, each against every registered ingestor and the detector:
deep nesting, XML bombs, a 10 MB line, UTF-16, NUL bytes, and sources that fail
mid-read (truncated gzip, I/O error, the file vanishing)."""
from __future__ import annotations

import ast
import gzip
import io
import shutil
from pathlib import Path

import pytest

from fuzz.corpus import lines_by_format, seeds_by_format
from fuzz.harness import check_accounting, check_outcome, detect_and_read, ingest, is_strict_lines
from triage.ingest import base, registry
from triage.ingest.base import SourceFile
from triage.ingest.loader import load_build, read_source, source_warnings
from triage.model import SourceKind

REPO = Path(__file__).resolve().parents[2]
INGESTORS = registry.ingestors()
NAMES = sorted(INGESTORS)
DEEP = 10_000

NESTED = {
    "json-array": b"[" * DEEP + b"]" * DEEP,
    "json-object": b'{"a":' * DEEP + b"1" + b"}" * DEEP,
    "json-lines": (b'{"a":' * DEEP + b"1" + b"}" * DEEP + b"\n") * 3,
    "otlp": b'{"resourceLogs":' + b"[" * DEEP + b"]" * DEEP + b"}",
    "yaml-flow": b"apiVersion: v1\nkind: ConfigMap\ndata: " + b"[" * DEEP + b"]" * DEEP + b"\n",
    "yaml-block": b"flags:\n" + b"".join(b"  " * i + b"k:\n" for i in range(1, 2000)),
    "xml": b"<testsuites>" + b"<testsuite>" * DEEP + b"</testsuite>" * DEEP + b"</testsuites>",
}


@pytest.mark.parametrize("shape", sorted(NESTED))
@pytest.mark.parametrize("fmt", NAMES)
def test_deep_nesting_is_a_reported_error_or_skips(fmt, shape):
    data = NESTED[shape]
    ingestor = INGESTORS[fmt]
    check_outcome(ingestor, ingest(ingestor, data), data)


@pytest.mark.parametrize("shape", sorted(NESTED))
def test_deep_nesting_through_detection(shape):
    result = detect_and_read(NESTED[shape])
    assert result.info.events == 0 and result.info.tests == 0


BILLION_LAUGHS = (b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
                  + b"".join(b'<!ENTITY lol%d "%s">' % (i, (b"&lol%d;" % (i - 1) if i > 1 else b"&lol;") * 10)
                             for i in range(1, 10))
                  + b']><testsuites><testsuite name="s"><testcase name="&lol9;"/></testsuite></testsuites>')
EXTERNAL_ENTITY = (b'<?xml version="1.0"?><!DOCTYPE t [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>'
                   b'<testsuites><testsuite name="s"><testcase name="&xxe;"/></testsuite></testsuites>')
EXTERNAL_DTD = (b'<?xml version="1.0"?><!DOCTYPE testsuites SYSTEM "http://127.0.0.1:9/evil.dtd">'
                b'<testsuites><testsuite name="s"><testcase name="t"/></testsuite></testsuites>')
PARAMETER_ENTITY = (b'<?xml version="1.0"?><!DOCTYPE t [<!ENTITY % p SYSTEM "file:///etc/hostname"> %p;]>'
                    b'<testsuites><testsuite name="s"><testcase name="t"/></testsuite></testsuites>')


@pytest.mark.parametrize("bomb", [BILLION_LAUGHS, EXTERNAL_ENTITY, PARAMETER_ENTITY],
                         ids=["billion-laughs", "external-entity", "parameter-entity"])
def test_xml_entity_tricks_are_refused_with_a_reason(bomb):
    result = detect_and_read(bomb, "junit.xml")
    assert result.info.format == "junit-xml"
    assert result.info.status == "error" and result.tests == []
    assert "entit" in result.info.reason.lower() or "dtd" in result.info.reason.lower()
    assert "root:" not in result.info.reason  # nothing of /etc/passwd


@pytest.mark.parametrize("encoding", ["UTF-7", "UTF-32", "x-unknown"])
def test_odd_xml_declared_encodings_are_a_reported_error(encoding):
    """Found by the atheris target: expat raises ValueError for UTF-7."""
    data = (f'<?xml version="1.0" encoding="{encoding}"?>\n'
            '<testsuite name="s"><testcase name="t"/></testsuite>').encode()
    result = detect_and_read(data, "junit.xml")
    assert result.info.format == "junit-xml"
    assert result.info.status in ("ok", "error")
    if result.info.status == "error":
        assert "encoding" in result.info.reason


@pytest.mark.parametrize("body", [
    b"flags:\n  f:\n    state: ENABLED\n    variants: 'on'\n    defaultVariant: 'on'\n",
    b'{"flags": {"f": {"state": "ENABLED", "variants": {"a": 1}, "defaultVariant": ["a"]}}}',
    b'{"flags": {"f": {"on": true, "variations": [1, 2], "fallthrough": "x"}}}',
])
def test_odd_flag_file_shapes_give_no_value_not_an_error(body):
    """Found by the atheris target: flagd variants that are not a mapping raised."""
    result = detect_and_read(body, "flags.json")
    assert result.info.format == "feature-flags" and result.info.status == "ok"
    assert result.document == {"f": None}


def test_external_dtd_is_never_fetched():
    """defusedxml does not load external DTDs: the report reads as if it had none."""
    result = detect_and_read(EXTERNAL_DTD, "junit.xml")
    assert result.info.status in ("ok", "error")
    if result.info.status == "ok":
        assert [t.name for t in result.tests] == ["t"]


def test_all_xml_parsing_goes_through_defusedxml():
    """No module of triage parses XML with the standard library's parsers directly:
    from ``xml`` only element building blocks and escaping may be imported."""
    allowed = {"Element", "TreeBuilder", "SubElement", "escape", "quoteattr"}
    offenders = []
    for path in sorted((REPO / "triage").rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                offenders += [(path.name, a.name) for a in node.names
                              if a.name.split(".")[0] in ("xml", "lxml")]
            elif isinstance(node, ast.ImportFrom) and (node.module or "").split(".")[0] in ("xml", "lxml"):
                offenders += [(path.name, f"{node.module}.{a.name}") for a in node.names if a.name not in allowed]
    assert offenders == []


TEN_MB = 10 * 1024 * 1024


@pytest.mark.parametrize("fmt", [n for n in NAMES if INGESTORS[n].kind is SourceKind.EVENTS])
def test_a_10_mb_line_is_one_skip_or_one_event(fmt):
    lines = lines_by_format().get(fmt)
    if not lines:
        pytest.skip(f"no sample of {fmt} here (the real samples in ../shared are absent)")
    data = (lines[0] + "\n" + "x" * TEN_MB + "\n" + lines[0] + "\n").encode()
    ingestor = INGESTORS[fmt]
    outcome = ingest(ingestor, data)
    check_outcome(ingestor, outcome, data)
    if is_strict_lines(ingestor):
        check_accounting(outcome, data)
        assert [e.line for e in outcome.ctx.examples] == [2]


def test_a_10_mb_json_message_is_kept_as_an_event():
    line = b'{"ts":"2026-11-20T10:00:00Z","level":"error","msg":"%s"}\n'
    data = line % b"short" + line % (b"m" * TEN_MB) + line % b"short"
    result = detect_and_read(data, "app.log")
    assert (result.info.format, result.info.events, result.info.skipped_lines) == ("json-lines", 3, 0)
    assert result.frame["message"].str.len().tolist() == [5, TEN_MB, 5]


@pytest.mark.parametrize("encoding,bom", [("utf-16-le", True), ("utf-16-be", True), ("utf-16-le", False),
                                          ("utf-16-be", False), ("utf-8", True)])
@pytest.mark.parametrize("fmt", NAMES)
def test_utf16_and_bom_files_read_like_utf8(fmt, encoding, bom):
    seeds = seeds_by_format().get(fmt)
    if not seeds:
        pytest.skip(f"no sample of {fmt} here (the real samples in ../shared are absent)")
    name, seed = seeds[0]
    text = seed.decode("utf-8")
    plain = detect_and_read(seed, name)
    other = detect_and_read((("\ufeff" if bom else "") + text).encode(encoding), name)
    assert (other.info.format, other.info.status, other.info.events, other.info.tests, other.info.skipped_lines) == (
        plain.info.format, plain.info.status, plain.info.events, plain.info.tests, plain.info.skipped_lines)


def test_stray_nul_bytes_lose_no_line():
    """copytruncate leaves a run of NULs before the next line written: the file is
    still read as its format, and every line is an event or a located skip."""
    lines = lines_by_format()["ingress-nginx"][:4]
    data = ("\n".join(lines[:2]) + "\n\x00\x00\x00" + lines[2] + "\n" + lines[3] + "\n\x00\n").encode()
    result = detect_and_read(data, "ingress.log")
    assert result.info.format == "ingress-nginx"
    assert (result.info.events, result.info.skipped_lines) == (4, 1)
    assert result.frame["line"].tolist() == [1, 2, 3, 4]
    assert [e.line for e in result.info.examples] == [5]


def test_a_binary_file_is_reported_as_binary():
    result = detect_and_read(bytes(range(256)) * 64, "core")
    assert result.info.status == "binary" and "binary" in result.info.reason


# ------------------------------------------------------------- sources failing mid-read

def _nginx_body(count: int) -> bytes:
    lines = lines_by_format()["ingress-nginx"]
    return "".join(lines[i % len(lines)] + "\n" for i in range(count)).encode()


class _FailingFile(io.RawIOBase):
    """A file whose reads fail with EIO after ``limit`` bytes."""

    def __init__(self, data: bytes, limit: int):
        self._data, self._limit, self._pos = data, limit, 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        if self._pos >= self._limit:
            raise OSError(5, "Input/output error")
        count = min(len(buffer), self._limit - self._pos)
        buffer[:count] = self._data[self._pos:self._pos + count]
        self._pos += count
        return count


def test_an_io_error_mid_file_keeps_what_was_read(tmp_path, monkeypatch):
    body = _nginx_body(3000)
    path = tmp_path / "ingress.log"
    path.write_bytes(body)
    limit = len(body) // 2
    monkeypatch.setattr(SourceFile, "open_binary",
                        lambda self: io.BufferedReader(_FailingFile(body, limit)))
    info = read_source(path, "logs/ingress/ingress.log", as_frame=True).info
    whole_lines = body[:limit].count(b"\n")
    assert info.status == "error" and info.events == whole_lines
    assert f"reading stopped after line {whole_lines}: OSError" in info.reason
    assert f"kept the {whole_lines} events" in info.reason
    [warning] = source_warnings(info)
    assert warning.startswith("logs/ingress/ingress.log: partial (error): reading stopped after line")


def test_a_file_vanishing_mid_read_keeps_what_was_read(tmp_path, monkeypatch):
    """The read fails, and the re-read that would resume it finds the file gone."""
    body = _nginx_body(3000)
    path = tmp_path / "ingress.log"
    path.write_bytes(body)
    opened = []

    def open_then_vanish(self):
        if opened:
            raise FileNotFoundError(2, "No such file or directory", str(self.path))
        opened.append(self.path)
        return io.BufferedReader(_FailingFile(body, 200_000))

    monkeypatch.setattr(SourceFile, "open_binary", open_then_vanish)
    monkeypatch.setattr(base, "BLOCK_BYTES", 64 * 1024)
    info = read_source(path, "ingress.log", ingestor=INGESTORS["ingress-nginx"], as_frame=True).info
    whole_blocks = body[: 3 * 64 * 1024]
    kept = whole_blocks[: whole_blocks.rfind(b"\n") + 1].count(b"\n")
    assert (info.status, info.events) == ("error", kept)
    assert f"reading stopped after line {kept}: OSError" in info.reason
    assert f"kept the {kept} events" in info.reason


def test_a_truncated_gzip_build_source_is_marked_partial_in_the_report(tmp_path):
    build = tmp_path / "builds" / "7"
    shutil.copytree(REPO / "sample_data" / "builds" / "1234", build)
    gz = build / "logs" / "gateway" / "kong.log.gz"
    data = gz.read_bytes()
    gz.write_bytes(data[: len(data) // 2])
    loaded = load_build(build, "7")
    kong = next(s for s in loaded.sources if s.path == "logs/gateway/kong.log.gz")
    assert kong.status == "truncated" and kong.events > 0
    partial = [w for w in loaded.warnings if w.startswith("logs/gateway/kong.log.gz: partial (truncated)")]
    assert len(partial) == 1 and f"kept the {kong.events} events" in partial[0]


def test_a_reader_bug_costs_its_file_not_the_run(tmp_path, monkeypatch):
    """Should an ingestor still raise, read_source reports the file instead."""
    ingestor = INGESTORS["ingress-nginx"]

    def broken(text):
        raise RuntimeError("boom")

    monkeypatch.setattr(ingestor, "parse_line", broken)
    path = tmp_path / "ingress.log"
    path.write_bytes((lines_by_format()["ingress-nginx"][0] + "\n").encode())
    info = read_source(path, "ingress.log", ingestor=ingestor).info
    assert (info.status, info.events) == ("error", 0)
    assert info.reason == "internal error in the ingress-nginx reader: RuntimeError: boom"


def test_manifest_env_values_are_redacted_by_name():
    from triage.redact import redact_value
    doc = {"spec": {"containers": [{"env": [{"name": "SIGNING_KEY", "value": "s3cr3t-v4lue"},
                                           {"name": "LOG_LEVEL", "value": "debug"}]}]}}
    assert redact_value(doc)["spec"]["containers"][0]["env"] == [
        {"name": "SIGNING_KEY", "value": "[REDACTED:secret]"}, {"name": "LOG_LEVEL", "value": "debug"}]

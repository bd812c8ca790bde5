"""Resource bounds and determinism: files are streamed, lines are bounded, a
failure window can be capped (``--max-events``), and the same inputs give
byte-identical JSON reports whatever the hash seed or the loading strategy."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from itertools import chain
from pathlib import Path

import pytest
from hypothesis import given, settings, strategies as st
from typer.testing import CliRunner

from triage import api
from triage.classify.rules import load_rules
from triage.cli import app
from triage.ingest import base, caps, loader, parallel
from triage.ingest.base import SourceFile, line_blocks
from triage.report import render_json

REPO = Path(__file__).resolve().parents[2]
SAMPLE = REPO / "sample_data"


# ------------------------------------------------------------------ lines are bounded

@settings(max_examples=60, deadline=None, derandomize=True)
@given(st.lists(st.tuples(st.integers(0, 700), st.sampled_from([b"\n", b"\r\n"])), max_size=12),
       st.booleans())
def test_block_and_line_readers_cut_long_lines_alike(tmp_path_factory, shape, ends_with_newline):
    body = b"".join(bytes([97 + i % 26]) * size + end for i, (size, end) in enumerate(shape))
    if not ends_with_newline and body:
        body = body.rstrip(b"\r\n")
    path = tmp_path_factory.mktemp("lines") / "f.log"
    path.write_bytes(body)
    old = (base.BLOCK_BYTES, base.MAX_LINE_BYTES)
    base.BLOCK_BYTES, base.MAX_LINE_BYTES = 64, 300
    try:
        source = SourceFile(path, "f.log")
        blocks = list(chain.from_iterable(line_blocks(source)))
        lines = [text for _, text in source.lines()]
    finally:
        base.BLOCK_BYTES, base.MAX_LINE_BYTES = old
    assert blocks == lines
    assert all(len(text) <= 300 for text in lines)
    expected = [min(size, 300) for size, _ in shape]
    assert [len(text) for text in lines] == expected[:len(lines)]


STREAM_CHECK = r"""
import resource, sys
from triage.ingest.loader import read_source
limit = int(sys.argv[2])
resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
info = read_source(sys.argv[1], "big.log", as_frame=True).info
print(info.format, info.events, info.skipped_lines, info.status)
"""


def test_a_file_larger_than_the_memory_limit_is_streamed(tmp_path):
    """690 MB (ending in a 100 MB line with no newline) read under a 512 MB address-space limit."""
    line = SAMPLE.joinpath("builds", "1234", "logs", "ingress", "ingress-nginx.log.gz")
    from gzip import decompress
    valid = decompress(line.read_bytes()).split(b"\n")[:50]
    path = tmp_path / "big.log"
    blank = b" " * (64 * 1024 - 1) + b"\n"
    with open(path, "wb") as fh:
        fh.write(b"\n".join(valid) + b"\n")
        for _ in range(9000):
            fh.write(blank)
        fh.write(b"\n".join(valid) + b"\n")
        chunk = b"x" * (1 << 20)
        for _ in range(100):
            fh.write(chunk)
    assert path.stat().st_size > 650 * 2**20
    limit = 512 * 1024 * 1024
    result = subprocess.run([sys.executable, "-c", STREAM_CHECK, str(path), str(limit)], cwd=REPO,
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout.split() == ["ingress-nginx", "100", "1", "ok"]


# ------------------------------------------------------------------ --max-events

def test_level_shares_the_cap_fairly():
    assert caps.level([10, 20, 1000], 100) == 70
    assert caps.level([10, 20, 30], 100) is None
    assert caps.level([500, 500], 100) == 50
    assert caps.level([], 100) is None


def test_max_events_keeps_small_sources_whole_and_names_the_cut_ones():
    whole = api.load_build("1234", SAMPLE)
    capped = api.load_build("1234", SAMPLE, max_events=1000)
    counts = whole.events.groupby("source", observed=True).size().to_dict()
    kept = capped.events.groupby("source", observed=True).size().to_dict()
    share = caps.level(counts.values(), 1000)
    assert len(capped.events) <= 1000 and len(capped.events) == sum(min(c, share) for c in counts.values())
    cut = sorted(path for path, count in counts.items() if count > share)
    assert cut and all(kept[path] == share for path in cut)
    assert all(kept[path] == count for path, count in counts.items() if count <= share)
    cut_warnings = [w for w in capped.warnings if "cut by --max-events 1000" in w]
    assert sorted(w.split(":")[0] for w in cut_warnings) == cut
    for path in cut:  # the first events of the file are the ones kept
        first = whole.events[whole.events["source"] == path]["line"].head(share).tolist()
        assert capped.events[capped.events["source"] == path]["line"].tolist() == first
        assert any(w.startswith(f"{path}: cut by --max-events 1000: kept its first {share} events "
                                f"(to line {first[-1]}); the rest of the file was not used")
                   for w in capped.warnings)


def test_max_events_names_the_failed_tests_that_ran_after_a_cut():
    """A cut source lacks whatever a failure logged after its last kept event: the
    warning names those tests, and an unlinked failure says which files stopped."""
    capped = api.load_build("1234", SAMPLE, max_events=1000)
    assert set(capped.cuts) == {w.split(":")[0] for w in capped.warnings if "cut by --max-events" in w}
    failed = [t for t in capped.tests if t.failed]
    for path, cut in capped.cuts.items():
        kept = capped.events.loc[capped.events["source"] == path, "ts"].max().timestamp()
        assert cut.last_ts == pytest.approx(kept)
        later = [t.name for t in failed if t.started_at > kept]
        warning = next(w for w in capped.warnings if w.startswith(f"{path}: cut by"))
        assert warning.endswith(f"{len(later)} failed test(s) started after its last kept event, so "
                                f"their evidence from it is missing: " + ", ".join(later[:3])
                                + (f" and {len(later) - 3} more" if len(later) > 3 else "")) == bool(later)
    gateway = capped.cuts["logs/gateway/kong.log.gz"]
    assert all(t.started_at > gateway.last_ts for t in failed)  # the gateway log stopped before any failure

    report = api.run("1234", SAMPLE, max_events=1000)
    unknown = [f for f in report.failures if f.category.value == "unknown"]
    assert unknown, "with 1000 events some failure must lose its evidence"
    for failure in unknown:
        assert ("--max-events stopped reading logs/gateway/kong.log.gz at line "
                f"{gateway.last_line}, before the test started, so its events from then on were not read"
                ) in failure.missing
    whole = api.run("1234", SAMPLE)
    assert not any("--max-events" in m for f in whole.failures for m in f.missing)


def test_max_events_is_the_same_read_serially_or_in_parallel(monkeypatch):
    folder = SAMPLE / "builds" / "1234"
    serial = loader.load_build(folder, "1234", workers=1, max_events=800)
    monkeypatch.setattr(parallel, "PARALLEL_BYTES", 0)
    both = loader.load_build(folder, "1234", workers=2, max_events=800)
    assert serial.events.equals(both.events) and serial.warnings == both.warnings


def test_cli_max_events_reports_the_cap():
    result = CliRunner().invoke(app, ["run", "--build", "1234", "--data-dir", str(SAMPLE), "--format", "json",
                                      "--max-events", "1000"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert sum(s["events"] for s in report["sources"]) <= 1000
    assert any("cut by --max-events 1000" in w for w in report["warnings"])


def test_cli_max_events_must_be_positive():
    result = CliRunner().invoke(app, ["run", "--build", "1234", "--data-dir", str(SAMPLE), "--max-events", "0"])
    assert result.exit_code == 2 and "--max-events" in result.output


# ------------------------------------------------------------------ determinism

def _json_report(build: str, seed: str) -> bytes:
    result = subprocess.run([sys.executable, "-m", "triage", "run", "--build", build, "--data-dir", str(SAMPLE),
                             "--format", "json"], cwd=REPO, capture_output=True,
                            env={**os.environ, "PYTHONHASHSEED": seed})
    assert result.returncode == 0, result.stderr.decode()[-2000:]
    return result.stdout


@pytest.mark.parametrize("build", ["1234"])
def test_json_report_is_byte_identical_across_hash_seeds(build):
    assert _json_report(build, "1") == _json_report(build, "4242")


def test_json_report_is_byte_identical_serial_or_parallel(monkeypatch):
    folder = SAMPLE / "builds" / "1234"
    rules = load_rules()
    serial = render_json(api.analyze(loader.load_build(folder, "1234", workers=1), rules))
    monkeypatch.setattr(parallel, "PARALLEL_BYTES", 0)
    both = render_json(api.analyze(loader.load_build(folder, "1234", workers=2), rules))
    assert serial == both

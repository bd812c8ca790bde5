"""Terminal output: narrow widths, NO_COLOR, --quiet, --version, shell
completion and the ingestion progress bar."""
from __future__ import annotations

import io
import os
import re
import subprocess
import sys

import pytest
from rich.console import Console
from typer.testing import CliRunner

import triage
from tests.conftest import REPO, SAMPLE_DATA
from triage import __version__
from triage.cli import _ingest_progress, app
from triage.ingest import loader, parallel
from triage.ingest.loader import IngestProgress
from triage.report.terminal import print_report

runner = CliRunner()
# SGR sequences that set a foreground or background colour (not bold/dim).
COLOR_SGR = re.compile(r"\x1b\[(?:[0-9;]*;)?(?:3[0-9]|4[0-9]|9[0-7]|10[0-7])(?:;[0-9;]*)?m")


@pytest.fixture(scope="module")
def report_1234():
    return triage.run("1234", SAMPLE_DATA)


def _printed(report, width: int) -> list[str]:
    console = Console(width=width, record=True, file=io.StringIO(), color_system=None)
    print_report(report, console)
    return console.export_text().splitlines()


@pytest.mark.parametrize("width", [40, 60, 80])
def test_no_line_is_wider_than_a_narrow_terminal(report_1234, width):
    lines = _printed(report_1234, width)
    assert max(len(line) for line in lines) <= width
    text = "\n".join(lines)
    for failure in report_1234.failures:  # names wrap, never vanish
        assert failure.test.name.split()[0] in text


def test_width_60_keeps_test_category_and_confidence(report_1234):
    lines = _printed(report_1234, 60)
    header = next(line for line in lines if "category" in line and "test" in line)
    assert [cell.strip() for cell in header.strip("┃").split("┃")] == ["test", "category", "conf"]
    assert any("│ shows results for boots" in line and "│ dependency" in line and "0.94" in line
               for line in lines)
    assert not any("request id " in line for line in lines)
    assert any(line.startswith("│ 10:00:59.457  app      ▶ JWT validation") for line in lines)


def test_wide_terminal_keeps_every_column(report_1234):
    lines = _printed(report_1234, 120)
    header = next(line for line in lines if "category" in line and "test" in line)
    assert [cell.strip() for cell in header.strip("┃").split("┃")] == [
        "test", "category", "conf", "evidence", "request id"]
    assert any("auth-service.log:8" in line for line in lines)


def test_no_color_is_respected(monkeypatch):
    args = ["run", "--build", "1234", "--data-dir", str(SAMPLE_DATA)]
    monkeypatch.delenv("NO_COLOR", raising=False)
    coloured = runner.invoke(app, args, env={"FORCE_COLOR": "1", "TERM": "xterm-256color"})
    assert coloured.exit_code == 0 and COLOR_SGR.search(coloured.stdout)
    plain = runner.invoke(app, args, env={"FORCE_COLOR": "1", "TERM": "xterm-256color", "NO_COLOR": "1"})
    assert plain.exit_code == 0 and "failed test(s) of 12" in plain.stdout
    assert not COLOR_SGR.search(plain.stdout)


def test_quiet_prints_nothing(tmp_path):
    args = ["run", "--build", "1234", "--data-dir", str(SAMPLE_DATA)]
    quiet = runner.invoke(app, [*args, "--quiet"])
    assert quiet.exit_code == 0 and quiet.stdout == "" and quiet.stderr == ""
    out = tmp_path / "r.json"
    written = runner.invoke(app, [*args, "-q", "--format", "json", "--output", str(out)])
    assert written.exit_code == 0 and written.stdout == "" and written.stderr == ""
    assert out.read_text().startswith("{")
    talkative = runner.invoke(app, [*args, "--format", "json", "--output", str(out)])
    assert talkative.stderr.startswith(f"wrote json report for build 1234 to {out}")


def test_version():
    result = runner.invoke(app, ["--version"])
    assert result.exit_code == 0 and result.stdout == f"triage {__version__}\n"


def _complete(words: str) -> list[str]:
    env = {**os.environ, "_TRIAGE_COMPLETE": "complete_bash", "COMP_WORDS": words,
           "COMP_CWORD": str(len(words.split()) - (0 if words.endswith(" ") else 1))}
    code = "import sys; sys.argv = ['triage']; from triage.cli import main; main()"
    out = subprocess.run([sys.executable, "-c", code], cwd=REPO, env=env, capture_output=True,
                         text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    return out.stdout.split()


def test_shell_completion_offers_commands_formats_and_builds():
    assert _complete("triage ru") == ["run", "rules"]
    assert _complete("triage run --format h") == ["html"]
    assert _complete(f"triage run --data-dir {SAMPLE_DATA} --build 123") == [
        "1230", "1234", "1235", "1236", "1237", "1238", "1239"]


def _check_steps(steps: list[IngestProgress], build_dir) -> None:
    files = [p for p in loader.build_files(build_dir) if p.suffix.lower() not in loader.ATTACHMENT_SUFFIXES]
    total = sum(p.stat().st_size for p in files)
    assert steps[0] == IngestProgress(0, len(files), 0, total, "")
    assert len(steps) == len(files) + 1
    assert [s.files_done for s in steps] == list(range(len(files) + 1))
    assert all(a.bytes_done <= b.bytes_done for a, b in zip(steps, steps[1:]))
    assert steps[-1].bytes_done == total
    assert sorted(s.path for s in steps[1:]) == sorted(p.relative_to(build_dir).as_posix() for p in files)


def test_ingestion_reports_progress_per_file():
    steps: list[IngestProgress] = []
    build = triage.load_build("1234", SAMPLE_DATA, progress=steps.append)
    _check_steps(steps, build.path)


def test_parallel_ingestion_reports_progress_too(monkeypatch):
    monkeypatch.setattr(parallel, "PARALLEL_BYTES", 0)
    steps: list[IngestProgress] = []
    folder = SAMPLE_DATA / "builds" / "1234"
    loader.load_build(folder, "1234", workers=2, progress=steps.append)
    _check_steps(steps, folder)


def test_progress_bar_draws_on_a_terminal_and_not_elsewhere():
    stream = io.StringIO()
    console = Console(file=stream, force_terminal=True, width=100, color_system=None)
    with _ingest_progress(console, True) as update:
        update(IngestProgress(0, 3, 0, 3_000_000, ""))
        update(IngestProgress(2, 3, 2_000_000, 3_000_000, "logs/app/checkout-api.log"))
    drawn = stream.getvalue()
    assert "reading 2/3 files" in drawn and "2.0/3.0 MB" in drawn and "checkout-api.log" in drawn
    with _ingest_progress(console, False) as update:
        assert update is None

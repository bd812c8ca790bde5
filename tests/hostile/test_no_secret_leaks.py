"""No planted secret reaches any output of any command in any report format.

``triage.synth.secrets`` writes a build with 200 secrets of each of 19 kinds in
logs of seven formats, test output, build.json, manifests and .env files. Every
command runs on it and every ``--format`` the CLI offers (read from
``triage.report.FORMATS``, so a format added later is covered) is rendered to
stdout and to ``--output``; no 12 characters in a row of any secret may appear,
and every kind that reached a report shows as ``[REDACTED:kind]``.
"""
from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from triage.cli import app
from triage.redact import redact
from triage.report import FORMATS
from triage.synth.secrets import KINDS, Planted, needles, plant, write_secret_build

BUILD = "9001"
WINDOW = 12
runner = CliRunner()


@pytest.fixture(scope="module")
def planted_build(tmp_path_factory) -> tuple[Path, list[Planted]]:
    root = tmp_path_factory.mktemp("secrets")
    return root, write_secret_build(root, BUILD)


def _windows(planted: list[Planted]) -> dict[str, Planted]:
    found = {}
    for item in planted:
        for needle in needles(item):
            for start in range(0, max(1, len(needle) - WINDOW + 1)):
                found[needle[start:start + WINDOW]] = item
    return found


def _leaks(text: str, windows: dict[str, Planted]) -> list[tuple[str, str]]:
    seen = {text[i:i + WINDOW] for i in range(len(text) - WINDOW + 1)}
    return sorted({(windows[w].kind, windows[w].where) for w in seen & windows.keys()})


def _invoke(*args: str, stdin: str | None = None) -> tuple[int, str]:
    result = runner.invoke(app, list(args), input=stdin, env={"COLUMNS": "400", "NO_COLOR": "1",
                                                              "TRIAGE_ES_INDEX_PREFIX": "triage-leaks"})
    assert not isinstance(result.exception, Exception) or isinstance(result.exception, SystemExit), result.exception
    return result.exit_code, result.stdout + result.stderr


# Every command of the CLI and how to run it on the planted build. A command
# added to the CLI must be added here, so that its output is checked too.
def _commands(root: Path, build: Path, out: Path) -> dict[str, list[list[str]]]:
    files = [str(p) for p in sorted(build.rglob("*")) if p.is_file()]
    data = ["--data-dir", str(root)]
    return {
        "run": [["run", "--build", BUILD, *data, "--format", fmt] for fmt in FORMATS]
               + [["run", "--build", BUILD, *data, "--format", fmt, "--output", str(out / f"report.{fmt}")]
                  for fmt in FORMATS],
        "builds": [["builds", *data]],
        "detect": [["detect", *files]],
        "rules list": [["rules", "list"]],
        "rules validate": [["rules", "validate"]],
        "rules explain": [["rules", "explain", "auth.jwt-audience"]],
        "rules docs": [["rules", "docs"]],
        "flaky": [["flaky", *data, "--format", fmt] for fmt in ("terminal", "json", "markdown", "html")],
        "diff-env": [["diff-env", str(build / "env" / "canary"), str(SAMPLE_ENV), "--format", fmt]
                     for fmt in ("terminal", "json", "markdown")],
        "templates": [["templates"], ["templates", "--final"]],
        "capture": [["capture", "--output", str(out / "report.capture.json"), "--build", BUILD,
                     *[arg for line in _dotenv(build)[:20] for arg in ("--config", line)]]],
        "label": [["label", "--build", BUILD, "--test", _failed_test(root), "--category", "auth",
                   "--note", _dotenv(build)[0], *data]],
        "learn": [["learn", *data, "--builds", "4", "--format", fmt] for fmt in ("terminal", "json")],
    } | (_es_commands(data) if os.environ.get("TRIAGE_ES_URL") else {})


# Under CI a real node is always there (.ci/run starts it); elsewhere these run when one is.
ES_COMMANDS = {"es load", "es status"}


def _drop_es_indices() -> None:
    """The planted build's indices (and their secrets) do not outlive the test."""
    if os.environ.get("TRIAGE_ES_URL"):
        from triage.elastic.client import connect
        from triage.elastic.settings import resolve_es

        settings = resolve_es(env={**os.environ, "TRIAGE_ES_INDEX_PREFIX": "triage-leaks"})
        connect(settings).indices.delete(index=",".join(settings.index_names().values()),
                                         ignore_unavailable=True, allow_no_indices=True)


def _es_commands(data: list[str]) -> dict[str, list[list[str]]]:
    return {
        "es load": [["es", "load", "--build", BUILD, *data]],
        "es status": [["es", "status"]],
    }


SAMPLE_ENV = Path(__file__).resolve().parents[2] / "sample_data" / "builds" / "1234" / "env" / "staging"


def _dotenv(build: Path) -> list[str]:
    """The planted .env's KEY=VALUE lines (secrets among them), for commands' options."""
    text = (build / "env" / "canary" / "app.env").read_text(encoding="utf-8")
    return [line for line in text.splitlines() if "=" in line and not line.startswith("#")]


def _failed_test(root: Path) -> str:
    from triage import api

    # One without a secret in its name: `label` matches names as reports show them.
    return next(f.test.name for f in api.run(BUILD, root, redact=False).failures
                if redact(f.test.name) == f.test.name)


def _stdin(args: list[str], build: Path) -> str | None:
    """What ``triage templates`` reads: every planted log, line by line."""
    if args[0] != "templates":
        return None
    import gzip

    texts = []
    for path in sorted((build / "logs").rglob("*")):
        if path.is_file():
            data = path.read_bytes()
            texts.append((gzip.decompress(data) if path.suffix == ".gz" else data).decode("utf-8", "replace"))
    return "".join(texts)


def _cli_commands() -> set[str]:
    names = set()
    for info in app.registered_commands:
        names.add(info.name or info.callback.__name__.replace("_", "-"))
    for group in app.registered_groups:
        for info in group.typer_instance.registered_commands:
            names.add(f"{group.name} {info.name or info.callback.__name__}")
    return names


def test_every_cli_command_is_checked_for_leaks(planted_build, tmp_path):
    root, _ = planted_build
    covered = set(_commands(root, root / "builds" / BUILD, tmp_path))
    if not os.environ.get("TRIAGE_ES_URL") and os.environ.get("CI") != "true":
        covered |= ES_COMMANDS  # no node here: checked where one runs
    assert _cli_commands() <= covered, (f"add a case for {sorted(_cli_commands() - covered)} "
                                        f"to _commands() in {__file__}")


def test_no_command_or_format_shows_a_planted_secret(planted_build, tmp_path):
    root, planted = planted_build
    windows = _windows(planted)
    shown_kinds: set[str] = set()
    build = root / "builds" / BUILD
    for name, invocations in _commands(root, build, tmp_path).items():
        for args in invocations:
            code, text = _invoke(*args, stdin=_stdin(args, build))
            assert code == 0, (args, text[-2000:])
            for written in tmp_path.glob("report.*"):
                text += written.read_text(encoding="utf-8")
                written.unlink()
            assert _leaks(text, windows) == [], (name, args)
            shown_kinds |= set(re.findall(r"\[REDACTED:([a-z-]+)\]", text))
    _drop_es_indices()
    labels = {label for label, _ in KINDS.values()}
    assert labels <= shown_kinds, f"kinds never shown redacted: {sorted(labels - shown_kinds)}"


def test_every_planted_secret_is_redacted_in_its_own_text():
    """The redactor alone, on 200 of each kind in the texts they were planted in."""
    missed = [(p.kind, p.text[:60]) for p in plant(200) if any(n in redact(p.text) for n in needles(p))]
    assert missed == []
    unlabelled = [(p.kind, p.text[:60]) for p in plant(200) if f"[REDACTED:{p.label}]" not in redact(p.text)]
    assert unlabelled == []


def test_the_generator_is_seeded(tmp_path):
    first = write_secret_build(tmp_path / "a", per_kind=80)
    second = write_secret_build(tmp_path / "b", per_kind=80)
    assert first == second
    for path in sorted((tmp_path / "a").rglob("*")):
        if path.is_file():
            assert path.read_bytes() == (tmp_path / "b" / path.relative_to(tmp_path / "a")).read_bytes()


def test_too_few_secrets_for_the_build_is_an_error(tmp_path):
    with pytest.raises(ValueError, match="per_kind=10 plants 190 secrets"):
        write_secret_build(tmp_path, per_kind=10)


def test_no_redact_shows_secrets_and_says_loudly_it_is_for_local_debugging(planted_build):
    root, planted = planted_build
    result = subprocess.run([sys.executable, "-m", "triage", "run", "--build", BUILD, "--data-dir", str(root),
                             "--format", "json", "--no-redact"], capture_output=True, text=True,
                            cwd=Path(__file__).resolve().parents[2], env={**os.environ, "NO_COLOR": "1"})
    assert result.returncode == 0, result.stderr
    assert "WARNING: --no-redact" in result.stderr and "Do not share or upload it" in result.stderr
    assert _leaks(result.stdout, _windows(planted)) != []
    assert "[REDACTED:" not in result.stderr


def test_notebook_helper_redacts_the_events_frame(planted_build):
    """``redact_frame`` is what a notebook shows instead of the raw events."""
    from triage.ingest.loader import load_build
    from triage.redact import redact_frame

    root, planted = planted_build
    events = load_build(root / "builds" / BUILD, BUILD).events
    windows = _windows(planted)
    assert _leaks(events.to_json(orient="records", date_format="iso"), windows) != []  # the raw frame has them
    shown = redact_frame(events).to_json(orient="records", date_format="iso")
    assert _leaks(shown, windows) == []
    assert "[REDACTED:authorization]" in shown and "[REDACTED:jwt]" in shown

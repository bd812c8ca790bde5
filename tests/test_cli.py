"""End to end through the CLI on sample_data: labels, golden report, exit codes."""
import json
import os
import subprocess
import sys
from pathlib import Path

import jsonschema
import pytest
from typer.testing import CliRunner

from triage.cli import app

REPO = Path(__file__).resolve().parents[1]
SAMPLE = REPO / "sample_data"
GOLDEN = REPO / "tests" / "golden"
SCHEMA = json.loads((REPO / "triage" / "report" / "schema" / "report.v1.json").read_text())
TRUTH = json.loads((SAMPLE / "truth.json").read_text())
runner = CliRunner()


def _run(*args):
    result = runner.invoke(app, list(args), catch_exceptions=False)
    return result


def _json_report(build):
    result = _run("run", "--build", build, "--data-dir", str(SAMPLE), "--format", "json")
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


@pytest.mark.parametrize("build", sorted(TRUTH))
def test_every_failed_test_is_labelled_as_the_generator_intended(build):
    report = _json_report(build)
    jsonschema.validate(report, SCHEMA)
    got = {f"{f['test']['suite']}::{f['test']['name']}": f["category"] for f in report["failures"]}
    assert got == TRUTH[build]
    for failure in report["failures"]:
        if failure["category"] != "unknown":
            assert failure["evidence"], failure["test"]["name"]
            assert failure["rules"] and failure["confidence"] >= 0.5
        else:
            assert "No evidence" in failure["explanation"] or "Missing" in failure["explanation"]


def test_golden_json_report_for_1234():
    report = _json_report("1234")
    golden_path = GOLDEN / "1234.json"
    if os.environ.get("TRIAGE_UPDATE_GOLDEN") == "1":
        golden_path.write_text(json.dumps(report, indent=2, sort_keys=True) + "\n")
    golden = json.loads(golden_path.read_text())
    assert report == golden, "report changed: review, then TRIAGE_UPDATE_GOLDEN=1 pytest tests/test_cli.py"


def test_1234_shows_skew_malformed_lines_and_three_causes():
    report = _json_report("1234")
    assert len(set(report["summary"]["by_category"])) >= 3
    skewed = [s for s in report["sources"] if abs(s["clock_offset_s"]) > 1]
    assert len(skewed) == 1 and 3.5 < abs(skewed[0]["clock_offset_s"]) < 4.5
    malformed = [s for s in report["sources"] if s["skipped_lines"]]
    assert sum(s["skipped_lines"] for s in malformed) == 2
    assert any("malformed line(s) skipped" in w and ":" in w for w in report["warnings"])
    methods = {link["method"] for f in report["failures"] for link in f["links"]}
    assert methods == {"id-in-output", "test-tag", "time-window"}


def test_terminal_and_markdown_outputs(tmp_path):
    result = _run("run", "--build", "1234", "--data-dir", str(SAMPLE))
    assert result.exit_code == 0
    assert "failed test(s)" in result.stdout and "auth" in result.stdout
    out = tmp_path / "summary.md"
    result = _run("run", "--build", "1234", "--data-dir", str(SAMPLE), "--format", "markdown",
                  "--output", str(out))
    assert result.exit_code == 0
    text = out.read_text()
    assert text.startswith("## triage: build 1234")
    assert "| test | category | confidence | evidence | request id |" in text
    assert text.count("<details>") >= 4


def test_unknown_build_exits_2_and_names_the_builds():
    result = _run("run", "--build", "999999", "--data-dir", str(SAMPLE))
    assert result.exit_code == 2
    assert "build '999999' not found" in result.stderr and "1234" in result.stderr


def test_build_without_report_exits_2(tmp_path):
    (tmp_path / "builds" / "7" / "logs").mkdir(parents=True)
    (tmp_path / "builds" / "7" / "build.json").write_text('{"build": "7"}')
    result = _run("run", "--build", "7", "--data-dir", str(tmp_path))
    assert result.exit_code == 2 and "has no test report" in result.stderr


def test_rules_commands():
    listed = _run("rules", "list")
    assert listed.exit_code == 0 and "auth.jwt-audience" in listed.stdout
    assert _run("rules", "validate").exit_code == 0
    explained = _run("rules", "explain", "auth.jwt-audience")
    assert explained.exit_code == 0 and "Condition: claim and (rejected or test_says)" in explained.stdout
    assert _run("rules", "explain", "auth.nope").exit_code == 2


def test_rules_validate_reports_broken_file(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("family: x\nrules:\n  - id: x.y\n    title: t\n")
    result = _run("rules", "validate", str(bad))
    assert result.exit_code == 2 and f"{bad}:3: rule 'x.y' lacks 'status'" in result.stderr


def test_every_command_has_help_with_an_example():
    group = __import__("typer.main", fromlist=["get_command"]).get_command(app)

    def walk(command, path):
        if hasattr(command, "commands"):
            for name, sub in command.commands.items():
                yield from walk(sub, path + [name])
        else:
            yield path, command

    commands = list(walk(group, []))
    assert {" ".join(p) for p, _ in commands} >= {"run", "builds", "detect", "rules list",
                                                  "rules validate", "rules explain", "rules docs"}
    for path, command in commands:
        assert command.help and "Example: triage " in command.help, " ".join(path)


def test_python_dash_m_and_version():
    out = subprocess.run([sys.executable, "-m", "triage", "--version"], capture_output=True, text=True)
    assert out.returncode == 0 and out.stdout.startswith("triage ")


def test_run_without_a_model_does_not_load_scikit_learn():
    # scikit-learn takes seconds to import; only `flaky`, `learn` and a stored model need it.
    code = "import sys, triage; triage.run('1234'); print('sklearn' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"

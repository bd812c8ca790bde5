"""Markdown for GitHub step summaries and PR comments: layout, escaping, size bounds."""
from __future__ import annotations

import dataclasses
import re

import pytest

import triage
from tests.conftest import SAMPLE_DATA
from tests.html_builds import TOKEN, write_hostile_build
from triage.report.markdown import (GITHUB_COMMENT_CHARS, GITHUB_SUMMARY_BYTES, NOTE_RESERVE,
                                    render_markdown)


@pytest.fixture(scope="module")
def report_1234():
    return triage.run("1234", SAMPLE_DATA)


def _table_rows(text: str) -> list[str]:
    top = text.split("<details>", 1)[0]
    return [line for line in top.splitlines() if line.startswith("| ") and not line.startswith("| test |")]


def test_1234_has_a_table_on_top_and_details_with_evidence(report_1234):
    text = render_markdown(report_1234)
    rows = _table_rows(text)
    assert [row.split(" | ")[1] for row in rows] == ["**auth**", "**dependency**", "**config**", "**flaky-timing**"]
    assert text.count("<details><summary><b>") == 4 and text.count("</details>") == 5  # + warnings
    evidence_rows = [line for line in text.splitlines() if re.match(r"\| \d\d:\d\d:\d\d\.\d{3} \|", line)]
    assert len(evidence_rows) == sum(len(f.evidence) for f in report_1234.failures)
    assert "| 10:00:59.457 | app | `logs/app/auth-service.log:8` | `5abd3a427b7f4b228163c674cb5c66b7` |" in text
    assert "Shortened" not in text
    # A blank line after <summary> so GitHub renders the Markdown inside.
    assert "</summary>\n\n- **Suite:**" in text


def test_markup_in_names_and_logs_is_escaped(tmp_path):
    write_hostile_build(tmp_path)
    text = render_markdown(triage.run("666", tmp_path))
    assert "<script" not in text and "<img" not in text and "<svg" not in text
    assert "&lt;script&gt;window.\\_\\_xss='script'&lt;/script&gt;" in text
    assert TOKEN not in text and "[REDACTED:authorization]" in text.replace("\\[", "[").replace("\\]", "]")


def _many_failures(report, count: int):
    failures = [dataclasses.replace(f, test=dataclasses.replace(f.test, name=f"{f.test.name} #{n}"))
                for n in range(count // len(report.failures)) for f in report.failures]
    return dataclasses.replace(report, failures=failures)


def test_large_reports_are_cut_to_fit_a_pr_comment_with_a_note(report_1234):
    big = _many_failures(report_1234, 2000)
    text = render_markdown(big)
    assert len(text) <= GITHUB_COMMENT_CHARS
    rows = _table_rows(text)
    details = text.count("<details><summary><b>")
    note = re.search(r"_Shortened to fit 65,536 characters: (\d+) of 2000 failures in the table, "
                     r"details of (\d+)(?:, none of the \d+ warnings)?\. The full report: "
                     r"`triage run --build 1234 --format html`\._", text)
    assert note, text[-600:]
    assert int(note.group(1)) == len(rows) and int(note.group(2)) == details
    assert 0 < details < len(rows) < 2000
    # Nothing is cut mid-block: every details section that opened closed.
    assert text.count("<details>") == text.count("</details>")


def test_step_summary_limit_and_unbounded(report_1234):
    big = _many_failures(report_1234, 2000)
    comment = render_markdown(big)
    summary = render_markdown(big, max_chars=GITHUB_SUMMARY_BYTES // 4)
    assert len(summary.encode("utf-8")) <= GITHUB_SUMMARY_BYTES
    assert len(summary) <= GITHUB_SUMMARY_BYTES // 4
    assert len(_table_rows(summary)) > 3 * len(_table_rows(comment))
    full = render_markdown(big, max_chars=None)
    assert "Shortened" not in full and full.count("<details><summary><b>") == 2000


def test_a_limit_below_the_header_is_refused(report_1234):
    with pytest.raises(ValueError, match="cannot hold even the header"):
        render_markdown(report_1234, max_chars=NOTE_RESERVE)


def _ci_doc_blocks() -> list[str]:
    text = (SAMPLE_DATA.parent / "docs" / "ci.md").read_text()
    return re.findall(r"```yaml\n(.*?)```", text, re.DOTALL)


def test_ci_doc_jobs_are_valid_yaml_and_their_triage_commands_run(tmp_path):
    import shlex

    import yaml
    from typer.testing import CliRunner

    from triage.cli import app

    blocks = _ci_doc_blocks()
    assert len(blocks) == 2
    github, gitlab = (yaml.safe_load(block) for block in blocks)
    steps = github["jobs"]["canary-smoke"]["steps"]
    assert [s.get("if") for s in steps if "triage run" in s.get("run", "")] == ["failure()"]
    assert gitlab["explain-canary"]["when"] == "on_failure"
    assert gitlab["explain-canary"]["artifacts"]["expose_as"] == "triage report"
    commands = []
    for block in blocks:
        joined = block.replace("\\\n", " ")
        commands += [line.strip().lstrip("- ") for line in joined.splitlines() if "triage run" in line]
    assert len(commands) == 4
    for command in commands:
        command = (command.replace('"${{ github.run_id }}"', "1234").replace('"$CI_PIPELINE_ID"', "1234")
                   .replace("triage-data", str(SAMPLE_DATA)))
        args = shlex.split(command)[2:]
        out = tmp_path / args[args.index("--output") + 1]
        args[args.index("--output") + 1] = str(out)
        result = CliRunner().invoke(app, ["run", *args])
        assert result.exit_code == 0 and result.output == "", (command, result.output)
        assert out.read_text().startswith(("## triage: build 1234", "<!DOCTYPE html>"))

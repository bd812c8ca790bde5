"""Rules are untrusted input: safe YAML, bounded aliases, catastrophic regexes
rejected at validation or stopped by the time bound and reported with the rule id."""
from __future__ import annotations

import json
import time
from pathlib import Path

import pytest
from typer.testing import CliRunner

from triage import api
from triage.classify.engine import FailureContext, evaluate_rule
from triage.classify.matching import MAX_TIMEOUTS, nests_unbounded_repeats
from triage.classify.rules import load_rules
from triage.cli import app
from triage.errors import RuleError

RULE = """family: team
rules:
  - id: team.slow
    title: A rule from a stranger
    status: experimental
    category: regression
    description: Matches what it matches.
    confidence: 0.9
    explanation: "it matched"
    detection:
      hit:
        scope: test
        message|re: '{pattern}'
      condition: hit
    examples:
      - name: plain
        expect: no-match
        test: {{message: "fine"}}
"""
EVIL = "(a|aa)+$"  # passes the shape check; exponential on 'aaaa...b' for a backtracking engine
EVIL_TEXT = "a" * 40 + "b"


def _rule_file(tmp_path: Path, pattern: str) -> Path:
    path = tmp_path / "team.yaml"
    path.write_text(RULE.format(pattern=pattern), encoding="utf-8")
    return path


def test_python_tags_are_refused_not_executed(tmp_path):
    marker = tmp_path / "pwned"
    path = tmp_path / "evil.yaml"
    path.write_text(f"family: x\nrules: !!python/object/apply:os.system ['touch {marker}']\n")
    with pytest.raises(RuleError, match=r"evil\.yaml:2: invalid YAML"):
        load_rules([path])
    assert not marker.exists()


def test_alias_bombs_are_refused(tmp_path):
    lines = ["a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
    lines += [f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * 10) + "]" for i in range(1, 12)]
    path = tmp_path / "bomb.yaml"
    path.write_text("\n".join(lines) + "\nfamily: x\nrules: [*a11]\n")
    start = time.perf_counter()
    with pytest.raises(RuleError, match=r"bomb\.yaml:\d+: invalid YAML: more than 100 YAML aliases"):
        load_rules([path])
    assert time.perf_counter() - start < 30  # a sanity bound, not a speed claim


@pytest.mark.parametrize("pattern", [r"(a+)+$", r"^(\w+\s?)*$", r"((ab)*c)*", r"(x{2,})*y"])
def test_nested_unbounded_repeats_are_rejected_with_file_and_line(tmp_path, pattern):
    path = _rule_file(tmp_path, pattern)
    with pytest.raises(RuleError) as info:
        load_rules([path])
    [problem] = info.value.problems
    assert problem.startswith(f"{path}:12: rule 'team.slow' selection 'hit'")
    assert "nests an unbounded repeat inside another" in problem


def test_rules_validate_reports_the_rejected_pattern(tmp_path):
    path = _rule_file(tmp_path, r"(a+)+$")
    result = CliRunner().invoke(app, ["rules", "validate", str(path)])
    assert result.exit_code == 2
    assert "nests an unbounded repeat" in result.stderr and "team.yaml:12" in result.stderr


@pytest.mark.parametrize("pattern,nested", [(r"(a+)+", True), (r"(foo|bar)+", False), (r"(a{1,5})+", False),
                                            (r"(?i)\b(token|jwt)\b.{0,60}\bexpired", False),
                                            (r"\p{Lu}+", False)])
def test_shape_check(pattern, nested):
    assert nests_unbounded_repeats(pattern) is nested


def test_builtin_rules_pass_the_shape_check():
    assert load_rules()  # would raise RuleError naming any built-in pattern it rejects


def test_a_regex_that_times_out_is_switched_off_and_named(tmp_path):
    [rule] = load_rules([_rule_file(tmp_path, EVIL)])
    contexts = [FailureContext(test={"message": EVIL_TEXT}, events=[], facts={}) for _ in range(6)]
    start = time.perf_counter()
    hits = [evaluate_rule(rule, ctx) for ctx in contexts]
    elapsed = time.perf_counter() - start
    assert hits == [None] * 6
    notes = [note for ctx in contexts for note in ctx.budget.timeouts]
    assert notes[:MAX_TIMEOUTS] == [f"rule team.slow: regex on 'message|re' exceeded 50 ms and was "
                                    f"treated as no match"] * MAX_TIMEOUTS
    assert notes[MAX_TIMEOUTS:] == [f"rule team.slow: regex on 'message|re' timed out {MAX_TIMEOUTS} "
                                    f"times; switched off for the rest of the run"]
    assert elapsed < 30  # three bounded attempts, then none: a sanity bound, not a speed claim


def test_the_run_reports_the_rule_instead_of_hanging(tmp_path):
    build = tmp_path / "builds" / "5"
    (build / "reports").mkdir(parents=True)
    (build / "build.json").write_text(json.dumps({"build": "5", "env": "canary"}))
    cases = "".join(f'<testcase classname="s" name="t{i}"><failure message="{EVIL_TEXT}"/></testcase>'
                    for i in range(5))
    (build / "reports" / "junit.xml").write_text(f'<testsuite name="s">{cases}</testsuite>')
    report = api.run("5", tmp_path, rules_paths=[_rule_file(tmp_path, EVIL)])
    assert len(report.failures) == 5
    assert "rule team.slow: regex on 'message|re' exceeded 50 ms and was treated as no match" in report.warnings
    assert (f"rule team.slow: regex on 'message|re' timed out {MAX_TIMEOUTS} times; switched off for the "
            f"rest of the run") in report.warnings

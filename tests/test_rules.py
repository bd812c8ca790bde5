"""Rule files: schema errors with file:line, every built-in rule's own examples,
coverage of every category, bounded regex matching."""
import textwrap

import pytest

from triage.classify.examples import run_examples
from triage.classify.matching import Budget, compile_matcher
from triage.classify.rules import load_rules
from triage.errors import RuleError
from triage.model import Category


@pytest.fixture(scope="module")
def builtin():
    return load_rules()


def test_builtin_rules_cover_every_category(builtin):
    covered = {r.category for r in builtin}
    assert covered == set(Category) - {Category.UNKNOWN}


@pytest.mark.parametrize("rule_id", [r.id for r in load_rules()])
def test_each_rule_behaves_as_its_examples_say(builtin, rule_id):
    rule = next(r for r in builtin if r.id == rule_id)
    assert {e.expect for e in rule.examples} == {"match", "no-match"}
    assert run_examples([rule]) == []


def _write(tmp_path, text, name="bad.yaml"):
    path = tmp_path / name
    path.write_text(textwrap.dedent(text))
    return path


def test_every_schema_error_is_collected_with_file_and_line(tmp_path):
    path = _write(tmp_path, """\
        family: demo
        rules:
          - id: demo.one
            title: one
            status: stable
            category: nonsense
            description: d
            confidence: 1.5
            explanation: e
            detection:
              sel:
                message|regexp: x
              condition: sel and other
            examples: []
          - id: demo.two
            title: two
            status: someday
            category: auth
            description: d
            confidence: 0.5
            explanation: e
            detection:
              sel:
                message|re: '(unclosed'
              condition: sel
            examples:
              - {expect: match}
              - {expect: no-match}
          - id: demo.three
            title: three
    """)
    with pytest.raises(RuleError) as caught:
        load_rules([path])
    problems = "\n".join(caught.value.problems)
    assert f"{path}:3: rule 'demo.one' category 'nonsense'" in problems
    assert f"{path}:3: rule 'demo.one' confidence must be" in problems
    assert "unknown modifier(s) regexp" in problems
    assert "rule 'demo.one' has no examples" in problems
    assert f"{path}:15: rule 'demo.two' status must be one of" in problems
    assert "invalid regular expression '(unclosed'" in problems
    assert f"{path}:29: rule 'demo.three' lacks 'status'" in problems


def test_unknown_selection_in_condition_is_reported(tmp_path):
    path = _write(tmp_path, """\
        family: demo
        rules:
          - id: demo.x
            title: x
            status: stable
            category: auth
            description: d
            confidence: 0.5
            explanation: e
            detection:
              sel: {status: 401}
              condition: sel and ghost
            examples: [{expect: match}, {expect: no-match}]
    """)
    with pytest.raises(RuleError, match=r"unknown selection 'ghost'"):
        load_rules([path])


def test_invalid_yaml_names_the_line(tmp_path):
    path = _write(tmp_path, "family: x\nrules:\n  - id: [unclosed\n")
    with pytest.raises(RuleError, match=rf"{path}:\d+: invalid YAML"):
        load_rules([path])


def test_yaml_tags_are_refused_not_executed(tmp_path):
    path = _write(tmp_path, "family: x\nrules: !!python/object/apply:os.system ['true']\n")
    with pytest.raises(RuleError, match="invalid YAML"):
        load_rules([path])


def test_catastrophic_regex_is_cut_off_and_reported():
    matcher = compile_matcher("message|re", r"^(a|aa)+$", "demo.redos")
    budget = Budget()
    assert matcher.matches("a" * 5000 + "!", budget) is False
    assert budget.timeouts and "demo.redos" in budget.timeouts[0]


def test_modifiers():
    budget = Budget()
    assert compile_matcher("status|gte", 500, "r").matches(503, budget)
    assert not compile_matcher("status|gte", 500, "r").matches(None, budget)
    assert compile_matcher("message|contains", ["Boom", "bang"], "r").matches("big BOOM", budget)
    assert not compile_matcher("message|contains|all", ["boom", "bang"], "r").matches("boom", budget)
    assert compile_matcher("method", "get", "r").matches("GET", budget)
    assert compile_matcher("attrs.x|exists", False, "r").matches(None, budget)


def test_docs_rules_md_is_up_to_date(builtin):
    from pathlib import Path

    from triage.classify.ruledocs import rules_markdown
    committed = (Path(__file__).resolve().parents[1] / "docs" / "rules.md").read_text()
    assert committed == rules_markdown(builtin), "run: triage rules docs > docs/rules.md"

"""triage label / triage learn end to end: confirmed labels change later classifications."""
from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from triage.cli import app
from triage.synth import scenarios
from triage.synth.sample import write_sample_data
from triage.synth.training import simulate

runner = CliRunner()
BADGE = "cart badge updates after add"


def _run(*args):
    return runner.invoke(app, [str(a) for a in args], catch_exceptions=False)


def _report(data_dir, build="1234"):
    result = _run("run", "--build", build, "--data-dir", data_dir, "--format", "json")
    assert result.exit_code == 0, result.output
    return {f["test"]["name"]: f for f in json.loads(result.stdout)["failures"]}, json.loads(result.stdout)


@pytest.fixture
def data_dir(tmp_path):
    """1230, 1234 and a look-alike canary build whose cart badge test fails the same way."""
    write_sample_data(tmp_path, [scenarios.build_1230(), scenarios.build_1234(),
                                 simulate("lookalike-1", "flaky-timing")])
    return tmp_path


def test_a_confirmed_label_on_a_look_alike_changes_the_later_classification(data_dir, monkeypatch):
    before, _ = _report(data_dir)
    assert before[BADGE]["category"] == "flaky-timing" and before[BADGE]["model"] is None
    monkeypatch.setenv("TRIAGE_USER", "release-oncall")
    result = _run("label", "--build", "lookalike-1", "--test", BADGE, "--category", "traffic",
                  "--note", "badge waits on a saturated cart pool", "--data-dir", data_dir)
    assert result.exit_code == 0, result.output
    assert "confirmed traffic" in result.stdout and "release-oncall" in result.stdout
    stored = json.loads((data_dir / "labels" / "labels.jsonl").read_text().splitlines()[0])
    assert (stored["build"], stored["suite"], stored["test"], stored["category"], stored["who"]) == (
        "lookalike-1", "cart.spec.ts › cart", BADGE, "traffic", "release-oncall")
    assert stored["note"] == "badge waits on a saturated cart pool" and stored["signature"].startswith("sig-")

    after, _ = _report(data_dir)
    badge = after[BADGE]
    assert badge["category"] == "traffic"
    assert badge["alternatives"][0]["category"] == "flaky-timing"
    match = badge["model"]["confirmed_look_alikes"][0]
    assert (match["build"], match["category"], match["who"]) == ("lookalike-1", "traffic", "release-oncall")
    assert match["similarity"] >= 0.9
    assert "Confirmed as traffic by release-oncall" in badge["explanation"]
    for name in ("pays with saved card", "shows results for boots", "uploads an avatar"):
        assert after[name]["category"] == before[name]["category"]
        assert after[name]["model"] is None
    text = _run("run", "--build", "1234", "--data-dir", data_dir).stdout
    assert "confirmed traffic by release-oncall" in text


def test_label_refuses_unknown_category_test_and_build_with_the_choices(data_dir):
    result = _run("label", "--build", "1234", "--test", BADGE, "--category", "timing", "--data-dir", data_dir)
    assert result.exit_code == 2
    assert "unknown category 'timing'" in result.stderr
    assert "config, cache, auth, dependency, flaky-timing, data, traffic, network, regression, unknown" in result.stderr
    result = _run("label", "--build", "1234", "--test", "renders hero and nav", "--category", "data",
                  "--data-dir", data_dir)
    assert result.exit_code == 2
    assert "'renders hero and nav' is not a failed test of build 1234" in result.stderr
    assert "'uploads an avatar' (suite 'profile.spec.ts › profile')" in result.stderr
    result = _run("label", "--build", "999", "--test", BADGE, "--category", "data", "--data-dir", data_dir)
    assert result.exit_code == 2 and "build '999' not found" in result.stderr and "1234" in result.stderr
    assert not (data_dir / "labels" / "labels.jsonl").exists()


def test_a_broken_label_line_is_a_located_warning_and_the_rest_still_count(data_dir):
    _run("label", "--build", "1234", "--test", BADGE, "--category", "traffic", "--data-dir", data_dir)
    store = data_dir / "labels" / "labels.jsonl"
    store.write_text('{"build": "1234", "test": \n' + store.read_text(), encoding="utf-8")
    failures, report = _report(data_dir)
    assert failures[BADGE]["category"] == "traffic"
    assert any(w.startswith(f"{store}:1: label skipped") for w in report["warnings"])


def test_learn_prints_both_scores_keeps_only_a_better_model_and_run_uses_it(data_dir):
    first = _run("learn", "--builds", 4, "--seed", 11, "--data-dir", data_dir)
    assert first.exit_code == 0, first.output
    assert "current │ (none)" in first.stdout and "kept the new model: v1" in first.stdout
    second = _run("learn", "--builds", 4, "--seed", 11, "--data-dir", data_dir, "--format", "json")
    outcome = json.loads(second.stdout)
    assert outcome["kept"] is False and outcome["new"] == outcome["current"]
    assert outcome["model"]["version"] == 1
    failures, _ = _report(data_dir)
    assert {name: f["category"] for name, f in failures.items()} == {
        "pays with saved card": "auth", "shows results for boots": "dependency",
        "uploads an avatar": "config", BADGE: "flaky-timing"}
    for failure in failures.values():
        assert failure["model"]["version"] == 1 and failure["model"]["top_features"]

    model = data_dir / "models" / "classifier.model"
    model.write_bytes(model.read_bytes()[:-100])
    broken = _run("run", "--build", "1234", "--data-dir", data_dir)
    assert broken.exit_code == 2
    assert "damaged or truncated" in broken.stderr and "run `triage learn` to retrain" in broken.stderr
    assert "Traceback" not in broken.output


def test_learn_refuses_a_mix_without_known_categories(data_dir):
    result = _run("learn", "--mix", "timing=2", "--data-dir", data_dir)
    assert result.exit_code == 2
    assert "unknown category 'timing'" in result.output

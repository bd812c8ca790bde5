"""Baseline comparison inside ``triage run``: findings with their tests and
p-values, joined to the failures they touch, and rules whose label changes
when the drift is removed."""
from __future__ import annotations

import json
import shutil
from pathlib import Path

import jsonschema
import numpy as np
import pandas as pd
import pytest
from scipy.stats import fisher_exact
from typer.testing import CliRunner

import triage.api as api
from tests.conftest import REPO, SAMPLE_DATA
from triage.baseline import stats
from triage.cli import app
from triage.errors import UnknownBuildError

SCHEMA = json.loads((REPO / "triage" / "report" / "schema" / "report.v1.json").read_text())
runner = CliRunner()


def _copy(tmp_path: Path, *builds: str) -> Path:
    for build in builds:
        shutil.copytree(SAMPLE_DATA / "builds" / build, tmp_path / "builds" / build)
    return tmp_path


def _failure(report, name: str):
    return next(f for f in report.failures if f.test.name == name)


def test_run_1234_cites_the_cors_drift_and_new_templates_for_the_failures_they_explain():
    report = api.run("1234", SAMPLE_DATA)
    avatar = _failure(report, "uploads an avatar")
    assert avatar.baseline[0].kind == "env-drift" and avatar.baseline[0].service == "web-bff"
    assert avatar.baseline[0].key == ("Deployment/shop/web-bff "
                                      "spec.template.spec.containers[web-bff].env.CORS_ALLOWED_ORIGINS")
    assert "config.drift-on-failing-service" in avatar.rules and avatar.category.value == "config"
    search = _failure(report, "shows results for boots")
    new = [f for f in search.baseline if f.kind == "new-template"]
    assert [(f.key, f.build_count, f.baseline_count) for f in new] == [
        ("search-api | upstream request failed: context deadline exceeded", 2, 0)]
    assert new[0].test == "Fisher's exact test, one-sided" and new[0].p_value == pytest.approx(0.5427, abs=1e-4)
    assert not any(f.kind == "env-drift" for f in search.baseline)
    assert report.baseline.baseline == "1230"


def test_json_report_adds_the_comparison_and_per_failure_findings():
    out = runner.invoke(app, ["run", "--build", "1234", "--data-dir", str(SAMPLE_DATA), "--format", "json"])
    doc = json.loads(out.stdout)
    jsonschema.validate(doc, SCHEMA)
    comparison = doc["baseline_comparison"]
    assert comparison["id"] == "1230" and comparison["alpha"] == 0.01
    # 6: the flag build.json and env/canary/flags.json both carry counts once
    assert comparison["by_kind"]["env-drift"] == 6 and comparison["by_kind"]["new-template"] == 3
    for finding in comparison["findings"]:
        assert (finding["test"] is None) == (finding["kind"] in ("env-drift", "new-upstream-host"))
        assert finding["test"] is None or 0 <= finding["p_value"] <= 1
    latency = [f for f in comparison["findings"] if f["kind"] == "latency-shift"]
    assert latency and all(f["p_value"] < 0.01 for f in latency)
    cited = {f["test"]["name"]: [x["kind"] for x in f["baseline_findings"]] for f in doc["failures"]}
    assert cited["uploads an avatar"][0] == "env-drift"


def test_a_changed_timeout_turns_the_search_failure_from_dependency_into_config(tmp_path):
    data = _copy(tmp_path, "1230", "1234")
    before = _failure(api.run("1234", data), "shows results for boots")
    assert before.category.value == "dependency" and "config.timeout-drift" not in before.rules
    manifest = data / "builds" / "1234" / "env" / "canary" / "deployments.yaml"
    text = manifest.read_text()
    assert "- name: SEARCH_TIMEOUT\n          value: 3s" in text
    manifest.write_text(text.replace("- name: SEARCH_TIMEOUT\n          value: 3s",
                                     "- name: SEARCH_TIMEOUT\n          value: 1s"))
    after = _failure(api.run("1234", data), "shows results for boots")
    assert after.category.value == "config" and after.rules[0] == "config.timeout-drift"
    assert after.explanation.startswith("search-api timed out and its timeout setting differs")
    assert after.baseline[0].drift_kind == "timeout"


def test_new_error_on_a_changed_image_is_cited_only_while_the_image_differs(tmp_path):
    data = _copy(tmp_path, "1230", "1239")
    promo = api.run("1239", data).failures[0]
    assert promo.category.value == "regression" and promo.rules[0] == "regression.new-error-changed-image"
    manifest = data / "builds" / "1239" / "env" / "canary" / "deployments.yaml"
    manifest.write_text(manifest.read_text().replace("checkout-api:2026.47.3-a81d44b", "checkout-api:2026.47.2-3f9c2e1"))
    without = api.run("1239", data).failures[0]
    assert "regression.new-error-changed-image" not in without.rules


def test_missing_baseline_explicit_is_an_error_named_in_build_json_a_warning(tmp_path):
    data = _copy(tmp_path, "1234")
    with pytest.raises(UnknownBuildError, match="build '1299' not found .*available builds: 1234"):
        api.run("1234", data, baseline="1299")
    out = runner.invoke(app, ["run", "--build", "1234", "--data-dir", str(data), "--baseline", "1299"])
    assert out.exit_code == 2 and "available builds: 1234" in out.stderr
    report = api.run("1234", data)
    assert report.baseline is None
    assert any(w.startswith("baseline not compared: build '1230' not found") for w in report.warnings)


def test_fisher_tail_matches_scipy_and_latency_shift_uses_mann_whitney():
    assert stats.fisher_greater(np.array([7]), 40, np.array([1]), 60)[0] == pytest.approx(
        fisher_exact([[7, 33], [1, 59]], alternative="greater")[1])
    def frame(latencies):
        return pd.DataFrame({"layer": "gateway", "method": "GET", "path": "/api/search?q=1",
                             "latency_ms": latencies})
    slow, fast = frame([300.0, 320, 310, 305, 290, 330]), frame([100.0, 110, 95, 105, 98, 102, 101])
    [finding] = stats.latency_findings(slow, fast, "b0", 0.01)
    assert finding.endpoint == "GET /api/search" and finding.test == "Mann-Whitney U test, one-sided"
    assert finding.p_value < 0.01 and "median 308 ms here (6 requests), 101 ms in baseline b0 (7)" in finding.summary
    assert stats.latency_findings(fast, fast, "b0", 0.01) == []
    assert stats.endpoint("GET", "/api/orders/12345/items?x=1") == "GET /api/orders/{id}/items"

"""``triage flaky`` on sample_data: the generator's history truth is recovered exactly,
the JSON follows CONTRACT §4, windows select the right builds, runs are repeatable."""
from __future__ import annotations

import json
import shutil
from datetime import datetime, timezone
from pathlib import Path

import jsonschema
import pytest
from typer.testing import CliRunner

from tests.conftest import SAMPLE_DATA
from triage import api
from triage.cli import app
from triage.errors import UsageError, compact_ids
from triage.flaky import render_flaky

REPO = Path(__file__).resolve().parents[1]
SCHEMA = json.loads((REPO / "triage" / "report" / "schema" / "flaky.v1.json").read_text())
TRUTH = json.loads((SAMPLE_DATA / "history-truth.json").read_text())
runner = CliRunner()


@pytest.fixture(scope="module")
def whole():
    """The default window: every build in sample_data (history and scenario builds)."""
    return json.loads(render_flaky(api.flaky(SAMPLE_DATA), "json"))


@pytest.fixture(scope="module")
def history_only():
    return json.loads(render_flaky(api.flaky(SAMPLE_DATA, builds="1180..1229"), "json"))


def _keys(doc, verdict):
    return {f"{t['test']['suite']}::{t['test']['name']}" for t in doc["tests"] if t["verdict"] == verdict}


def _clusters(doc):
    return sorted((sorted(c["tests"]), c["category"]) for c in doc["clusters"])


@pytest.mark.parametrize("window", ["whole", "history_only"])
def test_flaky_broken_outage_and_clusters_match_the_generators_truth(window, request):
    doc = request.getfixturevalue(window)
    flaky = {f"{t['test']['suite']}::{t['test']['name']}": t for t in doc["tests"] if t["flaky"]}
    assert set(flaky) == set(TRUTH["flaky"])
    assert {k: t["category"] for k, t in flaky.items()} == {k: v["category"] for k, v in TRUTH["flaky"].items()}
    assert _keys(doc, "broken") == set(TRUTH["broken"])
    assert _keys(doc, "regression") == set(TRUTH["regressions"])
    assert sorted(o["build"] for o in doc["outages"]) == sorted(TRUTH["outages"])
    assert _clusters(doc) == sorted((sorted(c["tests"]), c["category"]) for c in TRUTH["clusters"])
    for cluster in doc["clusters"]:
        assert all(flaky[key]["cluster"] == cluster["id"] for key in cluster["tests"])


def test_broken_and_regression_carry_their_builds_and_changed_paths(whole):
    tests = {f"{t['test']['suite']}::{t['test']['name']}": t for t in whole["tests"]}
    for key, truth in TRUTH["broken"].items():
        assert tests[key]["since"] == truth["since"] and not tests[key]["flaky"]
        assert tests[key]["changed_paths"] == truth["changed_paths"]
        assert tests[key]["failures"] == 15  # 1214-1229 without the outage build 1221
    for key, truth in TRUTH["regressions"].items():
        assert tests[key]["failed_builds"] == truth["builds"] and tests[key]["fixed_in"] == truth["fixed_in"]
        assert set(truth["changed_paths"]) <= set(tests[key]["changed_paths"])


def test_outage_builds_are_left_out_of_every_figure(whole):
    outages = {o["build"]: o for o in whole["outages"]}
    assert (outages["1193"]["failed"], outages["1193"]["tests"]) == (19, 23)
    assert (outages["1221"]["failed"], outages["1221"]["tests"]) == (23, 23)
    assert "ERR_NAME_NOT_RESOLVED" in outages["1221"]["message"]
    hero = next(t for t in whole["tests"] if t["test"]["name"] == "renders hero and nav")
    # 50 history builds + 1230 + 1234, minus the two outages
    assert (hero["runs"], hero["failures"], hero["verdict"]) == (50, 0, "passing")
    index = whole["builds"].index("1221")
    assert hero["outcomes"][index] == "x"


def test_figures_of_the_cart_badge_flake(whole):
    cart = next(t for t in whole["tests"] if t["test"]["name"] == "cart badge updates after add")
    # planned retries in 9 history builds plus the retry in scenario build 1234
    assert (cart["runs"], cart["failures"], cart["passed_on_retry"]) == (50, 0, 10)
    assert cart["outcomes"].count("R") == 10 and cart["category"] == "flaky-timing"
    assert 0 < cart["flip_rate"] < 1 and cart["score"] > 0.5


def test_clusters_name_their_evidence(whole):
    by_category = {c["category"]: c for c in whole["clusters"] if len(c["tests"]) > 1}
    vendor = by_category["dependency"]
    assert any("upstream:search-backend.vendor.example" in line for line in vendor["evidence"])
    assert any(e["file"].endswith("logs/dependency/egress-envoy.log") for e in vendor["log_evidence"])
    assert "dependency.upstream-failure" in vendor["rules"]
    # chronological; 1234 is the scenario build where the vendor timed out again
    assert vendor["builds"] == ["1184", "1192", "1201", "1210", "1220", "1226", "1234"]
    pool = by_category["traffic"]
    assert "traffic.pool-exhausted" in pool["rules"]
    assert any("HikariPool-1" in e["message"] for e in pool["log_evidence"])
    assert pool["builds"] == ["1187", "1194", "1205", "1215", "1224"]
    # the two timing flakes share a signature but never fail together: two clusters
    timing = [c for c in whole["clusters"] if c["category"] == "flaky-timing"]
    assert len({c["signature"] for c in timing if len(c["tests"]) == 1}) == 2
    cart = next(c for c in timing if c["tests"] == ["cart.spec.ts › cart::cart badge updates after add"])
    suggest = next(c for c in timing if c["tests"] == ["search.spec.ts › search::suggests as you type"])
    assert cart["signature"] == suggest["signature"]


def test_json_follows_contract_section_4(whole, history_only):
    for doc in (whole, history_only):
        jsonschema.validate(doc, SCHEMA)
        assert doc["schema"] == "triage.flaky/v1"
        assert list(doc)[:4] == ["schema", "builds", "tests", "clusters"]
    assert history_only["builds"] == [str(n) for n in range(1180, 1230)]
    assert whole["builds"][-8:] == ["1230", "1234", "1235", "1236", "1237", "1238", "1239", "1240"]


def test_two_runs_give_identical_json(whole):
    again = json.loads(render_flaky(api.flaky(SAMPLE_DATA), "json"))
    assert again == whole


def test_windows():
    now = datetime(2026, 11, 27, 6, 0, tzinfo=timezone.utc)  # 7 days back: 1230 (11-20 08:02) on
    recent = api.flaky(SAMPLE_DATA, since="7d", now=now)
    assert recent.builds == ["1230", "1234", "1235", "1236", "1237", "1238", "1239", "1240"]
    # in the scenario builds alone only 1234's retry shows flakiness
    assert [t.key for t in recent.by_verdict("flaky")] == ["cart.spec.ts › cart::cart badge updates after add"]
    dated = api.flaky(SAMPLE_DATA, since="2026-11-17", builds="..1229")
    assert dated.builds[0] == "1223" and dated.builds[-1] == "1229"  # 1223 started 11-17 04:27
    assert [t.key for t in dated.by_verdict("broken")] == list(TRUTH["broken"])
    open_start = api.flaky(SAMPLE_DATA, builds="1236..")
    assert open_start.builds == ["1236", "1237", "1238", "1239", "1240"]
    for bad in ({"builds": "1200-1210"}, {"builds": ".."}, {"since": "fortnight"},
                {"builds": "1300..1400"}):
        with pytest.raises(UsageError):
            api.flaky(SAMPLE_DATA, **bad)


def test_a_build_with_a_corrupt_report_is_skipped_with_a_warning(tmp_path):
    for build in ("1184", "1185", "1186"):
        shutil.copytree(SAMPLE_DATA / "builds" / build, tmp_path / "builds" / build)
    report = tmp_path / "builds" / "1185" / "reports" / "api-junit.xml"
    report.write_text(report.read_text()[:900], encoding="utf-8")  # cut mid-document
    (tmp_path / "builds" / "1187").mkdir(parents=True)
    (tmp_path / "builds" / "1187" / "build.json").write_text('{"build": "1187"}')
    result = api.flaky(tmp_path)
    assert result.builds == ["1184", "1186"]
    skipped = {s["build"]: s["reason"] for s in result.skipped_builds}
    assert set(skipped) == {"1185", "1187"}
    assert skipped["1185"].startswith("reports/api-junit.xml: ")
    assert "no test report" in skipped["1187"]
    assert any(w.startswith("build 1185 skipped: reports/api-junit.xml") for w in result.warnings)


def test_cli_json_markdown_terminal_and_errors(tmp_path):
    result = runner.invoke(app, ["flaky", "--data-dir", str(SAMPLE_DATA), "--builds", "1180..1229",
                                 "--format", "json"])
    assert result.exit_code == 0, result.output
    jsonschema.validate(json.loads(result.stdout), SCHEMA)
    out = tmp_path / "flaky.md"
    result = runner.invoke(app, ["flaky", "--data-dir", str(SAMPLE_DATA), "--builds", "1180..1229",
                                 "--format", "markdown", "--output", str(out)])
    assert result.exit_code == 0 and "wrote markdown flakiness report over 50 builds" in result.stderr
    text = out.read_text()
    assert text.startswith("## triage flaky: 50 builds (1180 … 1229)")
    assert "| search.spec.ts › search::shows results for boots |" in text and "### Outage builds" in text
    result = runner.invoke(app, ["flaky", "--data-dir", str(SAMPLE_DATA), "--builds", "1180..1229"])
    assert result.exit_code == 0
    assert "9 flaky test(s) in 5 cluster(s), 1 broken, 1 fixed regression(s)" in result.stdout
    assert "Broken (not flaky)" in result.stdout and "Outage builds" in result.stdout
    for args, message in ((["--builds", "12..x"], "no build 'x'"), (["--since", "soon"], "expected an age"),
                          (["--format", "yaml"], "choose one of")):
        result = runner.invoke(app, ["flaky", "--data-dir", str(SAMPLE_DATA), *args])
        assert result.exit_code == 2 and message in result.output + result.stderr, args
    empty = tmp_path / "empty"
    empty.mkdir()
    result = runner.invoke(app, ["flaky", "--data-dir", str(empty)])
    assert result.exit_code == 2 and "no builds under" in result.stderr


def test_long_build_lists_are_named_as_ranges():
    assert compact_ids(["1180", "1181", "1182", "1230", "1234", "1235", "nightly", "7"]) == \
        "1180-1182, 1230, 1234, 1235, nightly, 7"
    assert compact_ids([str(n) for n in range(0, 200, 2)], limit=3) == "0, 2, 4 ..."
    with pytest.raises(UsageError, match=r"available: 1180-1230, 1234-1240$"):
        api.flaky(SAMPLE_DATA, builds="1300..1400")

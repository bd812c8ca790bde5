"""Flakiness figures pushed down to the real node equal the pandas path's exactly."""
from __future__ import annotations

import json
import re

import pandas as pd
import pytest
from typer.testing import CliRunner

from triage import api
from triage.cli import app
from triage.elastic.aggregate import EsHistory
from triage.flaky.history import load_history
from triage.flaky.source import FileHistory
from triage.flaky.stats import build_outcomes, per_test_stats

from .conftest import SAMPLE, es_env

runner = CliRunner()
BUILDS = api.list_builds(SAMPLE)
PAGE = 7  # small, so every composite aggregation needs several pages
WINDOW = [b for b in BUILDS if 1200 <= int(b) <= 1225]


def _pages(buckets: int) -> int:
    """Requests a composite aggregation of ``buckets`` buckets takes at PAGE per page: a
    full last page needs one more request to learn it was the last."""
    return buckets // PAGE + 1


@pytest.mark.parametrize("builds", [BUILDS, WINDOW], ids=["all", "1200..1225"])
def test_aggregated_figures_equal_the_pandas_ones(loaded, es_settings, builds):
    files = load_history(SAMPLE, builds)
    outcomes = build_outcomes(files.results)
    outages = set(outcomes.loc[outcomes["outage"], "build"])
    expected = per_test_stats(files.results[~files.results["build"].isin(outages)])

    es = EsHistory(es_settings, page_size=PAGE)
    history = es.load(builds)
    es_outcomes = es.build_outcomes(history)
    stats = es.per_test_stats(history, outages)

    pd.testing.assert_frame_equal(es_outcomes, outcomes, check_dtype=False)
    pd.testing.assert_frame_equal(stats, expected, check_dtype=False)
    assert history.build_ids == files.build_ids == builds
    assert history.skipped == [] and history.warnings == []
    tests = len(expected)
    assert es.pages["builds"] == _pages(len(builds)) and es.pages["builds"] > 1
    assert es.pages["tests"] == _pages(tests) and es.pages["tests"] > 1
    runs = int((files.results["status"] != "skipped").sum())
    assert es.pages["outcomes"] == _pages(len(files.results))
    clean = files.results[~files.results["build"].isin(outages)]
    assert es.pages["ordered"] == _pages(int((clean["status"] != "skipped").sum())) <= _pages(runs)


def test_known_figures_of_the_sample(loaded, es_settings):
    es = EsHistory(es_settings, page_size=PAGE)
    history = es.load(BUILDS)
    outcomes = es.build_outcomes(history)
    assert list(outcomes.loc[outcomes["outage"], "build"]) == ["1193", "1221"]
    assert outcomes.set_index("build").loc["1221", ["tests", "failed"]].tolist() == [23, 23]
    stats = es.per_test_stats(history, {"1193", "1221"}).set_index("key")
    assert len(stats) == 47
    cart = stats.loc["cart.spec.ts › cart::cart badge updates after add"]
    assert (cart["runs"], cart["failures"], cart["passed_on_retry"], cart["flips"]) == (50, 0, 10, 17)
    assert (cart["flip_rate"], cart["commit_flips"], cart["score"]) == (0.347, 5, 0.673)
    assert (cart["first_build"], cart["last_build"], cart["last_status"]) == ("1180", "1234", "passed")
    # Only the bad runs' documents were fetched, not one per test per build.
    results = history.results
    bad = int((results["status"].isin(["failed", "error"]) | results["passed_on_retry"]).sum())
    assert bad == 124 and es.pages["documents"] == _pages(bad)
    assert results.loc[results["signature"].notna(), "message"].ne("").all()


def test_the_report_is_the_file_report(loaded, es_settings):
    for window in (None, "1200..1225"):
        files = api.flaky(SAMPLE, builds=window)
        pushed = api.flaky(SAMPLE, builds=window, source="es", es=es_settings)
        assert pushed.to_dict() == files.to_dict(), window


def test_cli_flaky_source_es_prints_the_same_json(loaded, es_settings):
    args = ["flaky", "--data-dir", str(SAMPLE), "--builds", "1200..1225", "--format", "json"]
    es = runner.invoke(app, [*args, "--source", "es"], env=es_env(es_settings), catch_exceptions=False)
    files = runner.invoke(app, args, catch_exceptions=False)
    assert es.exit_code == 0 and files.exit_code == 0, es.output
    assert json.loads(es.stdout) == json.loads(files.stdout)
    assert json.loads(es.stdout)["builds"] == [b for b in BUILDS if 1200 <= int(b) <= 1225]


def test_a_build_without_test_documents_is_skipped_and_named(loaded, es_settings):
    missing = EsHistory(es_settings, page_size=PAGE).load(["1200", "9999"])
    assert missing.build_ids == ["1200"]
    assert missing.warnings == [f"build 9999 skipped: no test results in {es_settings.indices.tests}"]


def test_unknown_source_and_missing_index_are_clear(loaded, es_settings):
    from triage.elastic.settings import resolve_es
    from triage.errors import UsageError

    with pytest.raises(UsageError, match="unknown source 'db'"):
        api.flaky(SAMPLE, source="db")
    empty = resolve_es({"hosts": es_settings.hosts, "engine": es_settings.engine,
                        "prefix": "triage-test-nothing-here"}, env={})
    with pytest.raises(UsageError, match="no builds under triage-test-nothing-here-builds"):
        api.flaky(SAMPLE, source="es", es=empty)
    with pytest.raises(UsageError, match=re.escape(f"no build 'x' under {es_settings.indices.builds} at {es_settings.product}")):
        api.flaky(SAMPLE, builds="1200..x", source="es", es=es_settings)
    result = runner.invoke(app, ["flaky", "--source", "db"])
    assert result.exit_code == 2 and "choose one of files, es" in result.output + result.stderr


def test_file_history_is_the_default_source():
    files = FileHistory(SAMPLE)
    assert files.where == f"{SAMPLE}/builds"
    assert files.load(["1234"]).build_ids == ["1234"]

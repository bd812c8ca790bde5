"""History in the report (triage.history): look-alikes in earlier builds, their
confirmed labels, the test's own runs; on sample_data and on copies of it."""
from __future__ import annotations

import json
import shutil
from datetime import datetime, timezone
from pathlib import Path

import pytest

import triage
from triage import api
from triage.errors import UsageError
from triage.history import past_failures
from triage.history.similar import detail_template, similarity
from triage.learn.labels import ConfirmedLabel, append_label
from triage.report.html import render_html
from triage.report.markdown import render_markdown

REPO = Path(__file__).resolve().parents[1]
SAMPLE = REPO / "sample_data"
BOOTS = "shows results for boots"
CART = "cart badge updates after add"
HISTORY_BUILDS = [str(n) for n in range(1180, 1230)]


@pytest.fixture(scope="module")
def report_1234():
    return api.run("1234", SAMPLE)


def _failure(report, name):
    return next(f for f in report.failures if f.test.name == name)


def _copy(tmp_path: Path, builds: list[str]) -> Path:
    for build in builds:
        shutil.copytree(SAMPLE / "builds" / build, tmp_path / "builds" / build)
    return tmp_path


def test_1234_dependency_failure_has_six_look_alikes_four_confirmed(report_1234):
    history = _failure(report_1234, BOOTS).history
    assert history.builds_searched == 51  # 1180-1229 and the staging baseline 1230
    assert (history.seen, history.same_test) == (6, 6)
    assert history.builds == ["1184", "1192", "1201", "1210", "1220", "1226"]
    assert history.confirmed == {"dependency": 4}
    assert [p.build for p in history.labels] == ["1226", "1220", "1201", "1184"]
    assert {p.match for p in history.similar} == {"same-test"}
    assert history.line() == ("seen 6 times in 30 days across 6 builds (first 1184, last 1226), 4 confirmed "
                              "dependency; this test: 7 bad of 51 runs, flip rate 0.24")
    assert history.test.outcomes == "RPPPPPPPPFPPPPPPPPPRxPPPPFPPPP"
    assert history.test.builds[0] == "1201" and history.test.builds[-1] == "1230"


def test_1234_flaky_failure_matches_its_own_and_the_suggestion_race(report_1234):
    history = _failure(report_1234, CART).history
    assert (history.seen, history.same_test, len(history.builds)) == (17, 9, 17)
    assert history.confirmed == {"flaky-timing": 10}
    others = {p.test for p in history.similar if p.match != "same-test"}
    assert others == {"suggests as you type"}


def test_same_first_line_but_another_locator_is_not_a_look_alike(report_1234):
    avatar = _failure(report_1234, "uploads an avatar")
    assert avatar.history.seen == 0  # 'shows order summary' shares its signature, not its message
    assert avatar.history.line().startswith("not seen in 30 days (51 builds searched)")
    summary = ("Error: Timed out 5000ms waiting for expect(locator).toHaveText(expected)\n\nLocator: "
               "locator('[data-test=order-total]')\nExpected string: \"€ 42.50\"\nReceived string: "
               "\"Something went wrong (500)\"")
    assert similarity(detail_template(avatar.test.message, "Error"), detail_template(summary, "Error")) < 0.85


def test_history_does_not_change_categories(report_1234):
    quiet = api.run("1234", SAMPLE, history_days=None)
    assert [(f.category, f.confidence) for f in quiet.failures] == \
        [(f.category, f.confidence) for f in report_1234.failures]
    assert all(f.history is None for f in quiet.failures)


def test_a_new_label_changes_the_history_line(tmp_path, report_1234):
    data = _copy(tmp_path, HISTORY_BUILDS + ["1234"])
    before = _failure(api.run("1234", data), BOOTS).history
    assert before.confirmed == {} and "none confirmed" in before.line()
    append_label(data, ConfirmedLabel(build="1210", suite="search.spec.ts › search", test=BOOTS,
                                      category="network", who="tester", when="2026-11-12T00:00:00Z"))
    after = _failure(api.run("1234", data), BOOTS).history
    assert after.confirmed == {"network": 1}
    assert after.line().startswith("seen 6 times in 30 days across 6 builds (first 1184, last 1226), "
                                   "1 confirmed network;")
    assert [(p.build, p.labelled_by) for p in after.labels] == [("1210", "tester")]


def test_window_limits_the_builds_searched():
    meta = {"started_at": "2026-11-20T10:00:07Z"}
    week = past_failures(SAMPLE, "1234", meta, window_days=7)
    assert week.build_ids[0] == "1214" and week.build_ids[-1] == "1230" and len(week.build_ids) == 17
    none = past_failures(SAMPLE, "1234", meta, window_days=0)
    assert none.build_ids == []
    with pytest.raises(UsageError, match="0 days or more"):
        past_failures(SAMPLE, "1234", meta, window_days=-1)


def test_seven_day_window_counts_fewer_look_alikes():
    report = api.run("1234", SAMPLE, history_days=7)
    history = _failure(report, BOOTS).history
    assert (history.seen, history.builds) == (2, ["1220", "1226"])
    assert history.line().startswith("seen 2 times in 7 days across 2 builds (first 1220, last 1226)")


def test_build_without_start_time_counts_back_from_now():
    now = datetime(2026, 11, 16, 0, 0, tzinfo=timezone.utc)
    past = past_failures(SAMPLE, "x", {}, window_days=2, now=now)
    assert past.build_ids == ["1216", "1217", "1218", "1219", "1220"]
    assert "has no started_at" in past.warnings[0]


def test_a_build_with_a_broken_report_is_skipped_with_a_warning(tmp_path):
    data = _copy(tmp_path, ["1226", "1220", "1234"])
    (data / "builds" / "1226" / "reports" / "api-junit.xml").write_text("<testsuites><testsuite", "utf-8")
    report = api.run("1234", data)
    history = _failure(report, BOOTS).history
    assert history.builds_searched == 1 and history.builds == ["1220"]
    assert [w for w in report.warnings if w.startswith("history: build 1226 skipped: reports/api-junit.xml")]


def test_json_markdown_and_html_show_history(report_1234):
    doc = json.loads(triage.render(report_1234, "json"))
    boots = next(f for f in doc["failures"] if f["test"]["name"] == BOOTS)["history"]
    assert boots["confirmed"] == {"dependency": 4} and boots["first_build"] == "1184"
    assert boots["similar"][0]["confirmed"] == "dependency" and boots["similar"][0]["build"] == "1226"
    markdown = render_markdown(report_1234)
    assert markdown.count("- **History:** ") == 4
    assert "4 confirmed dependency" in markdown
    page = render_html(report_1234)
    assert page.count('<div class="history">') == 4
    assert page.count('class="strip history-strip"') == 4
    assert 'data-build="1226" data-match="same-test"' in page

"""The flakiness page as a document: a strip per test with a cell per build,
outage builds marked, the flip-rate ranking, clusters, tests listed apart,
escaping and redaction, nothing fetched from outside, and the CLI. The same
pages are opened in Chromium by tests/test_html_flaky_browser.py."""
from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from tests.conftest import SAMPLE_DATA
from tests.html_builds import ONERROR, SCRIPT, SVG_ONLOAD, TOKEN
from tests.html_flaky_builds import HOSTILE_NAME, HOSTILE_SUITE, OUTCOMES, write_hostile_history
from tests.test_html import parse
from triage import api
from triage.cli import app
from triage.flaky import render_flaky
from triage.report.html_flaky import ranked_by_flip_rate

TRUTH = json.loads((SAMPLE_DATA / "history-truth.json").read_text())


@pytest.fixture(scope="module")
def history():
    return api.flaky(SAMPLE_DATA, builds="1180..1229")


@pytest.fixture(scope="module")
def root(history):
    return parse(render_flaky(history, "html"))


def test_every_test_has_a_strip_with_one_cell_per_build(history, root):
    rows = root.find("tr", class_="strip-row")
    assert len(rows) == len(history.tests) == 23
    for row, test in zip(rows, history.tests):
        assert (row.attrs["data-verdict"], row.attrs["data-category"]) == (test.verdict, test.category or "none")
        cells = row.find("rect", class_="cell")
        assert [c.attrs["data-build"] for c in cells] == history.builds
        assert "".join(c.attrs["data-outcome"] for c in cells) == test.outcomes
    badge = next(r for r in rows if "cart badge updates after add" in r.all_text())
    cells = badge.find("rect", class_="cell")
    assert [c.attrs["data-build"] for c in cells if "o-retry" in c.attrs["class"]] == \
        TRUTH["clusters"][0]["builds"]
    assert cells[history.builds.index("1190")].find("title")[0].all_text() == "build 1190: passed on retry"


def test_outage_builds_are_marked_on_the_axis_and_in_every_strip(history, root):
    axis = root.find("svg", class_="strip-axis")[0]
    assert [t.all_text() for t in axis.find("text", class_="outage")] == ["1193", "1221"]
    assert len(axis.find("path", class_="outage-mark")) == 2
    for index in (history.builds.index("1193"), history.builds.index("1221")):
        for row in root.find("tr", class_="strip-row"):
            assert "o-outage" in row.find("rect", class_="cell")[index].attrs["class"]
    outages = root.find("table", class_="outages")[0].find("tbody")[0].find("tr")
    assert [r.find("td")[0].all_text() for r in outages] == ["1193", "1221"]
    assert "ERR_NAME_NOT_RESOLVED" in outages[1].all_text()


def test_ranking_orders_tests_by_flip_rate(history, root):
    ranked = [t for _, t in ranked_by_flip_rate(history)]
    rates = [t.flip_rate for t in ranked]
    assert rates == sorted(rates, reverse=True) and rates[-1] > 0
    rows = root.find("table", class_="ranking")[0].find("tbody")[0].find("tr")
    assert len(rows) == len(ranked) == 11  # nine flaky, the broken one and the fixed regression
    first = rows[0].find("td")
    assert "cart badge updates after add" in first[1].all_text()
    assert (first[2].all_text(), first[4].all_text(), first[-2].all_text()) == ("0.34", "0.67", "c3")
    strip_ids = {r.attrs["id"] for r in root.find("tr", class_="strip-row")}
    assert all(r.attrs["data-filter-row"] in strip_ids for r in rows)


def test_clusters_show_signature_category_and_evidence(history, root):
    sections = root.find("section", class_="cluster")
    assert [s.attrs["data-category"] for s in sections] == [c.category for c in history.clusters]
    by_category = sorted((s.attrs["data-category"], len(s.find("dd")[2].find("li"))) for s in sections)
    assert by_category == [("dependency", 3), ("flaky-timing", 1), ("flaky-timing", 1), ("flaky-timing", 1),
                           ("traffic", 3)]
    pool = next(s for s in sections if s.attrs["data-category"] == "traffic")
    assert pool.find("dd")[1].all_text() == history.clusters[0].signature
    assert "co-failure: 3 tests failed together in 5 of 5 builds" in pool.all_text()
    assert "HikariPool-1 - Connection is not available" in pool.find("ol", class_="evidence")[0].all_text()
    members = pool.attrs["data-filter-row"].split()
    rows = {r.attrs["id"]: r for r in root.find("tr", class_="strip-row")}
    assert sorted(rows[m].attrs["data-verdict"] for m in members) == ["flaky"] * 3


def test_broken_regression_and_failing_tests_are_listed_apart(root):
    broken = root.find("section", id="verdict-broken")[0]
    (promo,) = broken.find("section", class_="apart")
    key = next(iter(TRUTH["broken"]))
    assert key.split("::")[1] in promo.all_text() and "build 1214" in promo.all_text()
    assert [li.all_text() for li in promo.find("dd")[2].find("li")] == TRUTH["broken"][key]["changed_paths"]
    assert len(promo.find("svg", class_="strip")) == 1
    regression = root.find("section", id="verdict-regression")[0].all_text()
    assert "updates display name" in regression and "build 1200" in regression
    assert root.find("section", id="verdict-failing") == []  # none among the history builds


def test_filter_bar_offers_verdicts_and_categories_with_counts(root):
    chips = {b.attrs.get("data-filter-verdict") or b.attrs.get("data-filter-category"): b.find("span")[0].all_text()
             for b in root.find("button") if "aria-pressed" in b.attrs}
    assert chips == {"flaky": "9", "broken": "1", "regression": "2", "passing": "12",
                     "dependency": "3", "flaky-timing": "3", "traffic": "3"}


def test_page_references_nothing_outside_itself(root):
    nodes = list(root.walk())
    assert not [n for n in nodes if "src" in n.attrs or n.tag in ("link", "iframe", "object", "img")]
    assert all(n.attrs["href"].startswith("#") for n in nodes if "href" in n.attrs)
    assert len([n for n in nodes if n.tag == "script"]) == 1
    policy = next(n for n in nodes if n.attrs.get("http-equiv") == "Content-Security-Policy")
    assert policy.attrs["content"].startswith("default-src 'none'; style-src 'sha256-")


def test_hostile_test_names_and_messages_render_as_text(tmp_path):
    write_hostile_history(tmp_path)
    report = api.flaky(tmp_path)
    document = render_flaky(report, "html")
    for payload in (SCRIPT, ONERROR, SVG_ONLOAD):
        assert payload not in document
    assert TOKEN not in document and "[REDACTED:authorization]" in document
    root = parse(document)
    assert len([n for n in root.walk() if n.tag == "script"]) == 1
    assert not [n for n in root.walk() if n.tag == "img" or any(a.startswith("on") for a in n.attrs)]
    row = root.find("tr", class_="strip-row")[0]
    label = row.find("span", class_="test-name")[0]
    assert label.find("span", class_="suite")[0].all_text() == f"{HOSTILE_SUITE} › "
    assert HOSTILE_NAME in label.all_text()
    assert "".join(c.attrs["data-outcome"] for c in row.find("rect", class_="cell")) == OUTCOMES
    assert ONERROR in root.find("section", class_="cluster")[0].all_text()


def test_cli_writes_the_flakiness_page(tmp_path):
    out = tmp_path / "flaky.html"
    result = CliRunner().invoke(app, ["flaky", "--data-dir", str(SAMPLE_DATA), "--builds", "1180..1229",
                                      "--format", "html", "--output", str(out)])
    assert result.exit_code == 0, result.output
    assert "wrote html flakiness report over 50 builds" in result.stderr
    text = out.read_text(encoding="utf-8")
    assert text.startswith("<!DOCTYPE html>") and "<title>triage flaky · 50 builds (1180 … 1229)</title>" in text

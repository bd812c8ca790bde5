"""The flakiness page opened in a real headless Chromium (Debian's, driven by
Playwright, as in tests/test_html_browser.py): strips drawn for every test, the
verdict / category / text filter clicked, no console errors, no request but the
file itself, a hostile test name inert. Screenshots go to artifacts/;
TRIAGE_UPDATE_SCREENSHOT=1 also copies the README's to docs/img/flaky-report.png.
"""
from __future__ import annotations

import os
import shutil

import pytest

from tests.conftest import REPO, SAMPLE_DATA
from tests.html_flaky_builds import HOSTILE_NAME, write_hostile_history
from tests.test_html_browser import ARTIFACTS, Opened, browser  # noqa: F401  (browser is a fixture)
from triage import api
from triage.flaky import render_flaky

README_SCREENSHOT = REPO / "docs" / "img" / "flaky-report.png"


@pytest.fixture(scope="module")
def flaky_page(tmp_path_factory):
    report = api.flaky(SAMPLE_DATA)
    path = tmp_path_factory.mktemp("flaky") / "flaky.html"
    path.write_text(render_flaky(report, "html"), encoding="utf-8")
    return report, path


def _visible_rows(page) -> list[str]:
    return [r.get_attribute("id") for r in page.locator("tr.strip-row").all() if r.is_visible()]


def test_strips_are_drawn_for_every_test(browser, flaky_page):  # noqa: F811
    report, path = flaky_page
    opened = Opened(browser, path)
    page = opened.page
    assert page.title() == "triage flaky · 58 builds (1180 … 1240)"
    assert page.locator("#filter-count").inner_text() == f"showing {len(report.tests)} of {len(report.tests)} tests"
    rows = page.locator("tr.strip-row")
    assert rows.count() == len(report.tests) == 47
    for index in range(rows.count()):
        strip = rows.nth(index).locator("svg.strip")
        box = strip.bounding_box()
        assert box is not None and box["width"] == len(report.builds) * 11 and box["height"] == 16
        assert strip.locator("rect.cell").count() == 58
    first_cell = rows.nth(0).locator("rect.cell").first
    assert first_cell.is_visible() and first_cell.bounding_box()["width"] == 9
    for section in ("#summary", "#ranking", "#clusters", "#verdict-broken", "#verdict-regression", "#outages"):
        assert page.locator(section).is_visible(), section
    assert page.locator("section.cluster").count() == 5
    assert page.locator("svg.strip-axis text.outage").all_text_contents() == ["1193", "1221"]
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "flaky-report-full.png"), full_page=True)
    opened.assert_clean()


def test_verdict_category_and_text_filters(browser, flaky_page):  # noqa: F811
    report, path = flaky_page
    opened = Opened(browser, path)
    page = opened.page
    flaky_ids = [f"test-{i}" for i, t in enumerate(report.tests) if t.verdict == "flaky"]
    page.locator("button[data-filter-verdict='flaky']").click()
    assert _visible_rows(page) == flaky_ids
    assert page.locator("#filter-count").inner_text() == "showing 9 of 47 tests"
    assert page.locator("#verdict-broken section.apart").is_hidden()
    assert page.locator("section.cluster").first.is_visible()
    page.evaluate("document.querySelector('.filter-bar').scrollIntoView()")
    page.screenshot(path=str(ARTIFACTS / "flaky-report.png"))

    page.locator("button[data-filter-category='dependency']").click()
    dependency = [f"test-{i}" for i, t in enumerate(report.tests) if t.verdict == "flaky" and t.category == "dependency"]
    assert _visible_rows(page) == dependency and len(dependency) == 3
    clusters = [s.get_attribute("id") for s in page.locator("section.cluster").all() if s.is_visible()]
    assert clusters == ["cluster-c2"]
    ranking = [r for r in page.locator("table.ranking tbody tr").all() if r.is_visible()]
    assert len(ranking) == 3

    page.locator("#filter-clear").click()
    assert len(_visible_rows(page)) == 47
    page.locator("#filter-text").fill("promo_code")
    assert [report.tests[int(i.split("-")[1])].verdict for i in _visible_rows(page)] == ["broken"]
    assert page.locator("#verdict-broken section.apart").is_visible()
    page.locator("#filter-text").fill("1221")  # a build id: only tests that failed there, none (outage)
    assert _visible_rows(page) == []
    page.locator("#filter-clear").click()
    page.locator("table.ranking a[href^='#test-']").first.click()
    assert page.locator(page.evaluate("location.hash")).is_visible()
    opened.assert_clean()
    if os.environ.get("TRIAGE_UPDATE_SCREENSHOT") == "1":
        README_SCREENSHOT.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(ARTIFACTS / "flaky-report.png", README_SCREENSHOT)


def test_hostile_test_name_stays_text_in_the_browser(browser, tmp_path):  # noqa: F811
    write_hostile_history(tmp_path)
    path = tmp_path / "flaky.html"
    path.write_text(render_flaky(api.flaky(tmp_path), "html"), encoding="utf-8")
    opened = Opened(browser, path)
    page = opened.page
    assert page.evaluate("typeof window.__xss") == "undefined"
    assert page.locator("img").count() == 0 and page.locator("script").count() == 1
    assert page.locator("svg[onload]").count() == 0
    assert HOSTILE_NAME in page.locator("tr.strip-row").first.inner_text()
    assert page.locator("tr.strip-row").first.locator("rect.o-fail").count() == 2
    opened.assert_clean()


def test_narrow_window_scrolls_the_strips_not_the_page(browser, flaky_page):  # noqa: F811
    _, path = flaky_page
    opened = Opened(browser, path)
    page = opened.page
    page.set_viewport_size({"width": 420, "height": 900})
    assert page.evaluate("document.documentElement.scrollWidth") <= 420
    assert page.locator("tr.strip-row").first.is_visible()
    page.screenshot(path=str(ARTIFACTS / "flaky-report-narrow.png"))
    opened.assert_clean()

"""The HTML report opened in a real headless Chromium (Debian's, driven by
Playwright): elements present and visible, the filter works when clicked, no
console errors, no request but the file itself, hostile log text inert.

Screenshots go to artifacts/ (gitignored). TRIAGE_UPDATE_SCREENSHOT=1 also
copies the README's screenshot to docs/img/html-report.png.
Outside CI the tests skip, saying why, when Chromium or Playwright is missing;
under CI=true they fail instead (.ci/run installs both).
"""
from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest

import triage
from tests.conftest import REPO, SAMPLE_DATA
from tests.html_builds import ONERROR, SCRIPT, SVG_ONLOAD, write_hostile_build

CHROMIUM = Path(os.environ.get("TRIAGE_CHROMIUM", "/usr/bin/chromium"))
ARTIFACTS = REPO / "artifacts"
README_SCREENSHOT = REPO / "docs" / "img" / "html-report.png"
TRUTH = json.loads((SAMPLE_DATA / "truth.json").read_text())
# The flags the closed network needs: nothing may try to reach the outside.
CHROMIUM_FLAGS = ["--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync"]


def _missing() -> str | None:
    if not CHROMIUM.is_file():
        return f"{CHROMIUM} is absent (apt-get install chromium; .ci/run does)"
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "Python playwright is not installed (pip install -e '.[test]')"
    return None


@pytest.fixture(scope="module")
def browser(tmp_path_factory):
    """A headless Chromium with a fresh profile (--user-data-dir)."""
    reason = _missing()
    if reason:
        if os.environ.get("CI") == "true":
            pytest.fail(reason + " - CI must run the browser tests")
        pytest.skip(reason)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        context = playwright.chromium.launch_persistent_context(
            str(tmp_path_factory.mktemp("chromium-profile")), executable_path=str(CHROMIUM),
            headless=True, args=CHROMIUM_FLAGS, viewport={"width": 1280, "height": 1000})
        yield context
        context.close()


class Opened:
    """A report open in a page, with what the page logged and requested."""

    def __init__(self, context, path: Path):
        self.url = path.resolve().as_uri()
        self.errors: list[str] = []
        self.requests: list[str] = []
        self.page = context.new_page()
        self.page.on("console", lambda m: self.errors.append(f"console.{m.type}: {m.text}")
                     if m.type in ("error", "warning") else None)
        self.page.on("pageerror", lambda e: self.errors.append(f"page error: {e}"))
        self.page.on("request", lambda r: self.requests.append(r.url))
        self.page.goto(self.url, wait_until="load")

    def assert_clean(self) -> None:
        assert self.errors == []
        assert self.requests == [self.url]


def _write_report(build: str, data_dir: Path, out: Path) -> tuple[triage.Report, Path]:
    report = triage.run(build, data_dir)
    path = out / f"report-{build}.html"
    path.write_text(triage.render(report, "html"), encoding="utf-8")
    return report, path


def _visible_failures(page) -> list[str]:
    return [s.get_attribute("id") for s in page.locator("section.failure").all() if s.is_visible()]


def test_1234_in_chromium_shows_swimlanes_evidence_and_filters(browser, tmp_path):
    report, path = _write_report("1234", SAMPLE_DATA, tmp_path)
    opened = Opened(browser, path)
    page = opened.page
    assert page.title() == "triage · build 1234 (canary)"
    assert _visible_failures(page) == ["failure-1", "failure-2", "failure-3", "failure-4"]
    for number, failure in enumerate(report.failures, 1):
        section = page.locator(f"#failure-{number}")
        assert section.locator("h2").inner_text().endswith(failure.test.name)
        svg = section.locator("svg.swimlane")
        assert svg.is_visible() and svg.bounding_box()["width"] > 600
        assert svg.locator("g.lane").count() == 5
        assert svg.locator("circle.mark.hit").first.is_visible()
        assert section.locator("ol.evidence mark.evidence-line").count() == len(failure.evidence)
        assert section.locator("ol.evidence mark.evidence-line").first.is_visible()
        assert section.locator("table.timeline tr.hit").first.is_visible()
        history = section.locator("div.history")
        assert history.locator("p.history-line").inner_text() == failure.history.line()
        assert history.locator("svg.history-strip rect.cell").count() == len(failure.history.test.outcomes)
    assert page.locator("#summary svg.chart rect.bar").count() == 4
    assert page.locator("#filter-count").inner_text() == "showing 4 of 4 failures"
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "html-report-1234-full.png"), full_page=True)

    page.locator("button[data-filter-category='auth']").click()
    assert _visible_failures(page) == ["failure-1"]
    assert page.locator("#filter-count").inner_text() == "showing 1 of 4 failures"
    assert page.locator("tr[data-filter-row='failure-2']").is_hidden()
    page.evaluate("document.querySelector('.filter-bar').scrollIntoView()")
    page.screenshot(path=str(ARTIFACTS / "html-report-1234.png"))
    page.locator("button[data-filter-category='dependency']").click()
    assert _visible_failures(page) == ["failure-1", "failure-2"]
    page.locator("#filter-clear").click()
    assert len(_visible_failures(page)) == 4

    flaky_request = report.failures[3].request_ids[0]
    page.locator("#filter-text").fill(flaky_request)
    assert _visible_failures(page) == ["failure-4"]
    page.locator("#filter-text").fill("no such text anywhere")
    assert _visible_failures(page) == [] and page.locator("#filter-count").inner_text() == "showing 0 of 4 failures"
    page.locator("#filter-clear").click()

    page.locator("#failure-2 svg.swimlane circle.hit").first.click()
    assert page.evaluate("location.hash").startswith("#failure-2-ev-")
    assert page.locator(page.evaluate("location.hash")).is_visible()
    opened.assert_clean()
    if os.environ.get("TRIAGE_UPDATE_SCREENSHOT") == "1":
        README_SCREENSHOT.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(ARTIFACTS / "html-report-1234.png", README_SCREENSHOT)


@pytest.mark.parametrize("build", ["1236", "1238", "1240"])
def test_other_sample_builds_render_their_labels(browser, tmp_path, build):
    _, path = _write_report(build, SAMPLE_DATA, tmp_path)
    opened = Opened(browser, path)
    sections = opened.page.locator("section.failure")
    assert [s.get_attribute("data-category") for s in sections.all()] == list(TRUTH[build].values())
    for section in sections.all():
        assert section.is_visible()
        svg = section.locator("svg.swimlane")
        assert svg.is_visible() and svg.locator("circle.mark").count() >= 1
    opened.assert_clean()


def test_hostile_log_text_stays_text_in_the_browser(browser, tmp_path):
    write_hostile_build(tmp_path)
    _, path = _write_report("666", tmp_path, tmp_path)
    opened = Opened(browser, path)
    page = opened.page
    assert page.evaluate("typeof window.__xss") == "undefined"
    assert page.locator("img").count() == 0 and page.locator("script").count() == 1
    assert page.locator("svg[onload]").count() == 0
    body = page.locator("body").inner_text()
    assert SCRIPT in body and SVG_ONLOAD in body
    assert ONERROR in page.locator("#failure-1 ol.evidence").inner_text()
    assert page.locator("#failure-1 ol.evidence mark.evidence-line").is_visible()
    opened.assert_clean()


def test_narrow_window_scrolls_tables_not_the_page(browser, tmp_path):
    _, path = _write_report("1234", SAMPLE_DATA, tmp_path)
    opened = Opened(browser, path)
    page = opened.page
    page.set_viewport_size({"width": 420, "height": 900})
    assert page.evaluate("document.documentElement.scrollWidth") <= 420
    page.locator("#failure-1 svg.swimlane").scroll_into_view_if_needed()
    assert page.locator("#failure-1 svg.swimlane").is_visible()
    assert page.locator("#failure-1 ol.evidence mark.evidence-line").first.is_visible()
    page.screenshot(path=str(ARTIFACTS / "html-report-1234-narrow.png"))
    opened.assert_clean()

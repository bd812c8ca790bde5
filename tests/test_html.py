"""The HTML report as a document: structure, escaping, redaction, no network
references, generic sections. The same pages are opened in Chromium by
tests/test_html_browser.py."""
from __future__ import annotations

from html.parser import HTMLParser
from pathlib import Path

import pytest
from typer.testing import CliRunner

import triage
from tests.conftest import SAMPLE_DATA
from tests.html_builds import ONERROR, REQUEST_ID, SCRIPT, SVG_ONLOAD, TOKEN, write_hostile_build
from triage.cli import app
from triage.report import html as html_report
from triage.report.html_timeline import LANES, evidence_key


class Node:
    def __init__(self, tag: str, attrs: dict[str, str | None], parent: "Node | None"):
        self.tag, self.attrs, self.parent, self.children, self.text = tag, attrs, parent, [], []

    def walk(self):
        yield self
        for child in self.children:
            yield from child.walk()

    def find(self, tag: str | None = None, **attrs: str) -> list["Node"]:
        """Descendants with ``tag`` whose attributes contain each given value
        (``class_="x"`` matches one class among several)."""
        found = []
        for node in self.walk():
            if tag and node.tag != tag:
                continue
            if all(value in (node.attrs.get(name.rstrip("_").replace("_", "-")) or "").split()
                   for name, value in attrs.items()):
                found.append(node)
        return found

    def all_text(self) -> str:
        return "".join(t for node in self.walk() for t in node.text)


class TreeBuilder(HTMLParser):
    VOID = {"meta", "input", "br", "hr", "img", "link"}

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.root = Node("#root", {}, None)
        self.current = self.root

    def handle_starttag(self, tag, attrs):
        node = Node(tag, dict(attrs), self.current)
        self.current.children.append(node)
        if tag not in self.VOID:
            self.current = node

    def handle_endtag(self, tag):
        node = self.current
        while node.parent is not None and node.tag != tag:
            node = node.parent
        assert node.tag == tag, f"unmatched </{tag}>"
        self.current = node.parent

    def handle_data(self, data):
        self.current.text.append(data)


def parse(document: str) -> Node:
    builder = TreeBuilder()
    builder.feed(document)
    builder.close()
    assert builder.current is builder.root, f"unclosed <{builder.current.tag}>"
    return builder.root


@pytest.fixture(scope="module")
def report_1234():
    return triage.run("1234", SAMPLE_DATA)


@pytest.fixture(scope="module")
def page_1234(report_1234):
    return triage.render(report_1234, "html")


@pytest.fixture()
def hostile(tmp_path):
    write_hostile_build(tmp_path)
    report = triage.run("666", tmp_path)
    return report, triage.render(report, "html")


def test_each_failure_of_1234_has_a_section_with_verdict_and_swimlane(report_1234, page_1234):
    root = parse(page_1234)
    sections = root.find("section", class_="failure")
    assert [s.attrs["data-category"] for s in sections] == ["auth", "dependency", "config", "flaky-timing"]
    assert [s.attrs["id"] for s in sections] == [f"failure-{n}" for n in range(1, 5)]
    for section, failure in zip(sections, report_1234.failures):
        assert failure.test.name in section.find("h2")[0].all_text()
        svg = section.find("svg", class_="swimlane")
        assert len(svg) == 1
        assert [g.attrs["data-lane"] for g in svg[0].find("g", class_="lane")] == LANES
        hits = {evidence_key(e) for e in failure.evidence}
        expected_hits = sum(evidence_key(row) in hits for row in failure.timeline)
        assert len(svg[0].find("circle", class_="hit")) == expected_hits
        assert len(svg[0].find("circle", class_="mark")) == len(failure.timeline)
        assert len(section.find("tr", class_="hit")) == expected_hits
        assert len(section.find("ol", class_="evidence")[0].find("mark")) == len(failure.evidence)
        rules = [code.all_text() for code in section.find("table", class_="rules")[0].find("code")]
        assert rules == failure.rules
        labels = {t.attrs["data-request-id"] for t in svg[0].find("text", class_="rid")}
        assert labels == {e.request_id for e in failure.evidence if e.request_id and e.source != "test"}


def test_1234_summary_shows_counts_sources_offsets_and_warnings(page_1234):
    root = parse(page_1234)
    summary = root.find("section")[0]
    assert summary.attrs["id"] == "summary"
    bars = {g.attrs["data-category"]: g.find("text", class_="bar-value")[0].all_text()
            for g in summary.find("g", class_="bar-row")}
    assert bars == {"auth": "1", "config": "1", "dependency": "1", "flaky-timing": "1"}
    sources = summary.find("table", class_="sources")[0]
    skewed = [row for row in sources.find("tr") if "+4.216 s" in row.all_text()]
    assert len(skewed) == 1 and "checkout-api.log" in skewed[0].all_text()
    assert len(summary.find("tr", class_="noteworthy")) == 3  # two with a bad line, one skewed
    assert len(summary.find("ul", class_="warnings")[0].find("li")) == 3
    build = summary.find("table", class_="kv")[0].all_text()
    assert "1230" in build and "3f9c2e17a4d85b60c1e9f2a7d3b48e6c0a15f972" in build
    chips = [b.attrs["data-filter-category"] for b in root.find("button") if "data-filter-category" in b.attrs]
    assert chips == ["auth", "config", "dependency", "flaky-timing"]


def test_page_references_nothing_outside_itself(page_1234):
    root = parse(page_1234)
    nodes = list(root.walk())
    assert not [n for n in nodes if "src" in n.attrs or n.tag in ("link", "iframe", "object", "img")]
    assert all(n.attrs["href"].startswith("#") for n in nodes if "href" in n.attrs)
    assert len([n for n in nodes if n.tag == "script"]) == 1
    policy = [n.attrs["content"] for n in nodes if n.attrs.get("http-equiv") == "Content-Security-Policy"]
    assert policy and policy[0].startswith("default-src 'none'; style-src 'sha256-")
    assert "unsafe-inline" not in policy[0]


def test_log_text_with_markup_renders_as_text(hostile):
    report, page = hostile
    assert report.failures and report.failures[0].category.value == "dependency"
    for payload in (SCRIPT, ONERROR, SVG_ONLOAD, "onerror=\"", "<img", "<svg onload"):
        assert payload not in page
    assert page.count("<script>") == 1  # the page's own filter script
    root = parse(page)
    text = root.all_text()
    for payload in (SCRIPT, ONERROR, SVG_ONLOAD):
        assert payload in text  # shown to the reader, character for character
    assert not [n for n in root.walk() if any(a.startswith("on") for a in n.attrs)]
    assert not root.find("img")
    assert REQUEST_ID in text


def test_secrets_in_logs_never_reach_the_page(hostile):
    _, page = hostile
    assert TOKEN not in page
    assert "Authorization: Bearer [REDACTED:authorization]" in parse(page).all_text()


def test_sections_added_to_the_report_dict_are_shown_as_tables(report_1234, monkeypatch):
    original = html_report.report_dict

    def with_extras(report):
        data = original(report)
        data["drift"] = [{"object": "Deployment/default/checkout", "path": "env.UPSTREAM_TIMEOUT_MS",
                          "a": "5000", "b": "<b>1000</b>"}]
        data["history"] = {"runs": 40, "builds": [{"id": "1201", "status": "passed"}]}
        data["failures"][0]["baseline"] = {"status": "passed", "build": "1230"}
        return data

    monkeypatch.setattr(html_report, "report_dict", with_extras)
    root = parse(triage.render(report_1234, "html"))
    drift = root.find("section", data_section="drift")[0]
    assert [th.all_text() for th in drift.find("th")] == ["object", "path", "a", "b"]
    assert [td.all_text() for td in drift.find("td")][-1] == "<b>1000</b>"
    assert not drift.find("b")
    history = root.find("section", data_section="history")[0]
    assert "40" in history.find("table", class_="kv")[0].all_text()
    assert [td.all_text() for td in history.find("table", class_="data")[0].find("td")] == ["1201", "passed"]
    first = root.find("section", class_="failure")[0]
    baseline = first.find("section", data_section="baseline")[0]
    assert "1230" in baseline.all_text()


def test_build_without_failures_renders_without_filter(tmp_path):
    report = triage.run("1230", SAMPLE_DATA)
    assert not report.failures
    root = parse(triage.render(report, "html"))
    assert not root.find("section", class_="failure") and not root.find("nav")
    assert "No failed tests." in root.all_text()


def test_cli_writes_html_file(tmp_path):
    out = tmp_path / "report.html"
    result = CliRunner().invoke(app, ["run", "--build", "1234", "--data-dir", str(SAMPLE_DATA),
                                      "--format", "html", "--output", str(out)])
    assert result.exit_code == 0, result.output
    text = out.read_text(encoding="utf-8")
    assert text.startswith("<!DOCTYPE html>") and text.rstrip().endswith("</html>")
    assert len(parse(text).find("section", class_="failure")) == 4

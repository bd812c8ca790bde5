"""Mochawesome JSON from Cypress and plain mocha."""
from __future__ import annotations

from collections import Counter
from pathlib import Path

import orjson
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from triage.ingest.base import Head, ParseContext, SourceFile, UnreadableSource
from triage.ingest.loader import read_source
from triage.ingest.mochawesome import MochawesomeJsonIngestor
from triage.model import TestStatus
from tests.ingest.helpers import find_test, load_tests

MOCHAWESOME = MochawesomeJsonIngestor()


def write(tmp_path: Path, doc: object, name: str = "mochawesome.json") -> Path:
    path = tmp_path / name
    path.write_bytes(orjson.dumps(doc))
    return path


def stats_of(path: Path) -> dict:
    return orjson.loads(path.read_bytes())["stats"]


def test_real_cypress_report_matches_its_stats(real):
    path = real / "mochawesome-json" / "cypress-mochawesome-7-timeouts.json"
    tests = load_tests(path, "mochawesome-json")
    stats = stats_of(path)
    counts = Counter(t.status for t in tests)
    assert len(tests) == stats["tests"] == 29
    assert counts[TestStatus.PASSED] == stats["passes"] == 1
    assert counts[TestStatus.FAILED] == stats["failures"] == 6
    assert counts[TestStatus.SKIPPED] == stats["skipped"] + stats["pending"] == 22

    failed = find_test(tests, "page - Open retailer page when clicking on the product image")
    assert failed.suite == "cypress/integration/features/page.feature › Use of page to show information on products"
    assert failed.file == "cypress/integration/features/page.feature"
    assert failed.message == ("AssertionError: Timed out retrying after 10000ms: Expected to find element: "
                              "`#product-list .card-body > a`, but never found it.")
    assert failed.failure_type == "AssertionError"
    assert "page.feature:329:12" in failed.stack
    assert failed.duration_s == pytest.approx(10.896)
    assert failed.started_at is None and failed.attempts == 1
    nav = find_test(tests, "Verify the direct links to access example.com pages")
    assert nav.suite == "cypress/integration/features/nav.feature › Request all page types of example.com"
    assert nav.message == "AssertionError: Target cannot be null or undefined."
    skipped = find_test(tests, "Verify the redirect url depending on a product being indexable by search "
                          "engines (indexable= true) (example #7)")
    assert skipped.status is TestStatus.SKIPPED and skipped.duration_s == pytest.approx(0.007)


def test_real_mocha_report_nested_suites_and_timeout(real):
    path = real / "mochawesome-json" / "mocha-mochawesome-timeout-skip.json"
    tests = load_tests(path, "mochawesome-json")
    stats = stats_of(path)
    counts = Counter(t.status for t in tests)
    assert (len(tests), counts[TestStatus.PASSED], counts[TestStatus.FAILED], counts[TestStatus.SKIPPED]) == \
        (stats["tests"], stats["passes"], stats["failures"], stats["pending"]) == (6, 1, 4, 1)
    # the root suite's title is not a describe block (mocha keeps it out of fullTitle)
    timeout = find_test(tests, "Timeout test")
    assert timeout.suite == "nofile"
    assert timeout.message.startswith('Error: Timeout of 1ms exceeded. For async tests and hooks, ensure "done()"')
    assert timeout.failure_type == "Error"
    assert timeout.duration_s == pytest.approx(0.003)
    failing = find_test(tests, "Failing test")
    assert failing.suite == "/test/main.test.js › Test 1 › Test 1.1"
    assert failing.message == "AssertionError: Expected values to be strictly equal:\n\nfalse !== true"
    assert failing.stack.startswith("AssertionError [ERR_ASSERTION]: Expected values to be strictly equal")
    assert failing.stack.endswith("main.test.js:11:14)\n    at processImmediate (node:internal/timers:464:21)\n- false\n+ true")  # err.diff kept
    assert find_test(tests, "Exception in test").suite == "/test/main.test.js › Test 2"
    assert find_test(tests, "Skipped test").status is TestStatus.SKIPPED


def test_real_reports_are_sniffed(real):
    for path in (real / "mochawesome-json").iterdir():
        assert MOCHAWESOME.sniff(Head.of(SourceFile(path, path.name))) == 1.0


# --------------------------------------------------------------------------- own samples

def test_hooks_context_and_ansi(tmp_path):
    doc = {"stats": {"tests": 2}, "results": [{
        "root": True, "title": "", "file": "cypress/e2e/cart.cy.ts", "tests": [], "suites": [{
            "title": "cart", "file": "", "suites": [], "tests": [
                {"title": '"before each" hook for "adds"', "state": "failed", "isHook": True,
                 "duration": 120, "err": {"message": "\x1b[31mCypressError: cy.request() failed\x1b[0m",
                                          "estack": "CypressError: cy.request() failed\n  status: 503"},
                 "context": '["screenshots/cart -- adds (failed).png", {"title": "request id", "value": "9f1c"}]'},
                {"title": "adds", "state": "passed", "duration": 5, "timedOut": False, "err": {}},
            ]}]}]}
    hook, adds = load_tests(write(tmp_path, doc), "mochawesome-json")
    assert hook.status is TestStatus.ERROR and hook.suite == "cypress/e2e/cart.cy.ts › cart"
    assert hook.message == "CypressError: cy.request() failed" and hook.failure_type == "CypressError"
    assert [(a.name, a.path, a.body) for a in hook.attachments] == [
        ("context", "screenshots/cart -- adds (failed).png", None), ("request id", None, "9f1c")]
    assert "9f1c" in hook.text()
    assert adds.status is TestStatus.PASSED and adds.duration_s == 0.005


def test_mochawesome_3_shape_with_top_level_suites(tmp_path):
    doc = {"stats": {"tests": 1, "passes": 0}, "suites": {
        "root": True, "title": "", "file": "", "tests": [], "suites": [
            {"title": "api", "file": "/t/api.js", "suites": [], "tests": [
                {"title": "returns 200", "pass": False, "fail": True, "timedOut": True, "duration": 2000,
                 "err": {"message": "timeout"}}]}]}}
    path = write(tmp_path, doc)
    assert MOCHAWESOME.sniff(Head.of(SourceFile(path, "m.json"))) == 1.0
    (test,) = load_tests(path, "mochawesome-json")
    assert (test.suite, test.status, test.failure_type) == ("/t/api.js › api", TestStatus.FAILED, "timeout")


def test_untitled_tests_are_skipped_with_a_reason(tmp_path):
    doc = {"stats": {"tests": 2}, "results": [{"root": True, "file": "a.js", "tests": [
        {"state": "passed"}, {"title": "ok", "state": "passed"}], "suites": []}]}
    result = read_source(write(tmp_path, doc))
    assert [t.name for t in result.tests] == ["ok"]
    assert result.info.skipped_lines == 1
    assert result.info.examples[0].reason == "a test without a title in suite 'a.js' was ignored"


def test_invalid_or_foreign_json_is_unreadable(tmp_path):
    bad = tmp_path / "bad.json"
    bad.write_text('{"stats": {"tests": 1}, "results": [')
    with pytest.raises(UnreadableSource, match="not valid JSON"):
        MOCHAWESOME.parse(SourceFile(bad, "bad.json"), ParseContext("bad.json"))
    other = write(tmp_path, {"stats": {}}, "other.json")
    with pytest.raises(UnreadableSource, match="no 'results' suites"):
        MOCHAWESOME.parse(SourceFile(other, "other.json"), ParseContext("other.json"))


@pytest.mark.parametrize("doc, score", [
    ({"stats": {"tests": 0}, "results": []}, 1.0),
    ({"stats": {"tests": 0}}, 0.0),
    ({"config": {}, "suites": []}, 0.0),                        # Playwright
    ({"created": 1.0, "summary": {}, "tests": [], "root": "/"}, 0.0),  # pytest-json-report
])
def test_sniff_documents(doc, score):
    text = orjson.dumps(doc).decode()
    assert MOCHAWESOME.sniff(Head(path="x.json", text=text, lines=[text])) == score


def test_large_report_is_sniffed_from_its_first_keys():
    text = '{\n  "stats": {\n    "suites": 3,\n    "tests": 29,\n    "passPercent": 3.4\n  },\n  "results": [\n' \
           + " " * 70000
    assert MOCHAWESOME.sniff(Head(path="big.json", text=text, lines=text.splitlines())) == 0.95


# --------------------------------------------------------------------------- properties

json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-2**63, 2**63 - 1) | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda children: st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=8), children, max_size=3),
    max_leaves=15)
test_keys = st.sampled_from(["title", "state", "duration", "err", "context", "isHook", "timedOut", "pass"])


@settings(max_examples=200, deadline=None)
@given(tests=st.lists(st.dictionaries(test_keys, json_values), max_size=4),
       suite=st.dictionaries(st.sampled_from(["title", "file", "root", "suites"]), json_values))
def test_arbitrary_test_shapes_never_raise(tmp_path_factory, tests, suite):
    doc = {"stats": {"tests": len(tests)}, "results": [{**suite, "tests": tests}]}
    path = tmp_path_factory.mktemp("m") / "r.json"
    path.write_bytes(orjson.dumps(doc))
    for test in MOCHAWESOME.parse(SourceFile(path, "r.json"), ParseContext("r.json")):
        assert isinstance(test.name, str) and test.name
        assert isinstance(test.status, TestStatus)
        assert test.duration_s is None or isinstance(test.duration_s, float)
        assert isinstance(test.message, str) and isinstance(test.stack, str)

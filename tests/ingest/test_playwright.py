"""Playwright JSON reporter: retries, flaky tests, projects, nested describes."""
from __future__ import annotations

import base64
import copy
from collections import Counter
from pathlib import Path

import orjson
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from triage.ingest.base import HEAD_BYTES, Head, ParseContext, SourceFile, UnreadableSource
from triage.ingest.loader import read_source
from triage.ingest.playwright import PlaywrightJsonIngestor, strip_ansi
from triage.model import TestStatus
from tests.ingest.helpers import find_test, load_tests

PLAYWRIGHT = PlaywrightJsonIngestor()


def report(specs: list[dict], projects=("chromium",), errors=None) -> dict:
    return {
        "config": {"rootDir": "/e2e", "projects": [{"name": p} for p in projects]},
        "suites": [{"title": "cart.spec.ts", "file": "cart.spec.ts", "specs": [],
                    "suites": [{"title": "cart", "file": "cart.spec.ts", "specs": specs}]}],
        "errors": errors or [],
    }


def spec(title: str, status: str, results: list[dict], project="chromium", expected="passed") -> dict:
    return {"title": title, "file": "cart.spec.ts", "line": 7,
            "tests": [{"projectName": project, "expectedStatus": expected, "status": status,
                       "annotations": [], "results": results}]}


def run(status: str, retry: int = 0, start: str = "2026-11-20T10:00:00.000Z", **extra) -> dict:
    return {"status": status, "retry": retry, "duration": 1500, "startTime": start,
            "stdout": [], "stderr": [], "attachments": [], "errors": [], **extra}


def write(tmp_path: Path, doc: dict, name: str = "report.json") -> Path:
    path = tmp_path / name
    path.write_bytes(orjson.dumps(doc))
    return path


# --------------------------------------------------------------------------- real samples

def test_real_1_37_retries_and_flaky(real):
    tests = load_tests(real / "playwright-json" / "playwright-1.37-report-retries-flaky.json", "playwright-json")
    assert len(tests) == 14
    assert Counter(t.status for t in tests) == {
        TestStatus.PASSED: 11, TestStatus.FAILED: 2, TestStatus.SKIPPED: 1}

    adds = find_test(tests, "adds", "add.spec.ts › add [chromium]")
    assert adds.status is TestStatus.FAILED and adds.passed_on_retry is False
    assert adds.attempts == 5 and adds.attempt_statuses == ["failed"] * 5
    assert adds.message == "expect(received).toBe(expected) // Object.is equality\n\nExpected: 4\nReceived: 3"
    assert "\x1b" not in adds.message + adds.stack
    assert adds.failure_type == "Error"
    assert adds.stack.startswith("Error: expect(received).toBe(expected)")
    assert "at /project/tests/functional/add.spec.ts:10:21" in adds.stack
    assert adds.started_at == pytest.approx(1694176264.659)
    assert (adds.file, adds.line) == ("add.spec.ts", 9)
    assert adds.properties == {"project": "chromium"}

    flaky = find_test(tests, "multiplies", "multiply.spec.ts › multiply [chromium]")
    assert flaky.status is TestStatus.PASSED and flaky.passed_on_retry is True
    assert flaky.attempts == 3 and flaky.attempt_statuses == ["failed", "failed", "passed"]
    assert flaky.message.endswith("Expected: 7\nReceived: 6")
    assert flaky.started_at == pytest.approx(1694176264.670)

    skipped = find_test(tests, "skips", "multiply.spec.ts › multiply [chromium]")
    assert skipped.status is TestStatus.SKIPPED and skipped.properties == {"project": "chromium", "skip": ""}
    assert find_test(tests, "adds", "add.spec.ts › add [firefox]").status is TestStatus.FAILED


def test_real_1_38_nested_describes(real):
    tests = load_tests(real / "playwright-json" / "playwright-1.38-report-nested-suites.json", "playwright-json")
    assert len(tests) == 45
    assert {t.status for t in tests} == {TestStatus.PASSED}
    assert {t.properties["project"] for t in tests} == {"chromium", "firefox", "webkit"}
    deep = find_test(tests, "b-a-b-2", "nested.spec.ts › b › b-a › b-a-b [webkit]")
    assert (deep.file, deep.line, deep.attempts) == ("nested.spec.ts", 27, 1)
    assert deep.started_at == pytest.approx(1713531375.551)
    assert deep.duration_s == pytest.approx(0.004)
    top = find_test(tests, "1", "nested.spec.ts [chromium]")  # a test outside any describe
    assert top.line == 2


def test_real_reports_are_sniffed_from_the_document(real):
    for path in (real / "playwright-json").iterdir():
        head = Head.of(SourceFile(path, path.name))
        assert head.document is not None
        assert PLAYWRIGHT.sniff(head) == 1.0


def test_large_report_is_sniffed_from_its_first_keys(real, tmp_path):
    doc = orjson.loads((real / "playwright-json" / "playwright-1.38-report-nested-suites.json").read_bytes())
    doc["suites"] = [copy.deepcopy(s) for s in doc["suites"] for _ in range(3)]
    path = tmp_path / "big.json"
    path.write_bytes(orjson.dumps(doc, option=orjson.OPT_INDENT_2))
    assert path.stat().st_size > HEAD_BYTES
    head = Head.of(SourceFile(path, "big.json"))
    assert head.document is None
    assert PLAYWRIGHT.sniff(head) == 0.95
    assert len(load_tests(path, "playwright-json")) == 135


# --------------------------------------------------------------------------- own samples

def test_single_project_has_no_suffix_and_output_attachments(tmp_path):
    text = base64.b64encode(b"GET /api/cart -> 401 x-request-id=9f1c2b7e\n").decode()
    results = [run("failed", 0, error={"message": "\x1b[31mTimeoutError: waiting\x1b[39m",
                                       "stack": "TimeoutError: waiting\n    at cart.spec.ts:9:3"},
                   stdout=[{"text": "visiting /cart\n"}, {"buffer": base64.b64encode(b"bytes out\n").decode()}],
                   stderr=[{"text": "warn\n"}],
                   attachments=[{"name": "screenshot", "contentType": "image/png", "path": "/r/s.png"},
                                {"name": "network", "contentType": "text/plain", "body": text}]),
               run("passed", 1, start="2026-11-20T10:00:05.000Z")]
    path = write(tmp_path, report([spec("checkout loads", "flaky", results)]))
    (test,) = load_tests(path, "playwright-json")
    assert test.suite == "cart.spec.ts › cart"
    assert (test.status, test.passed_on_retry, test.attempts) == (TestStatus.PASSED, True, 2)
    assert test.message == "TimeoutError: waiting" and test.failure_type == "TimeoutError"
    assert test.stdout == "visiting /cart\nbytes out"
    assert test.stderr == "warn"
    assert test.started_at == 1795168800.0
    assert test.duration_s == 6.5  # from the first start to the end of the last retry
    assert [(a.name, a.content_type, a.path, a.body) for a in test.attachments] == [
        ("screenshot", "image/png", "/r/s.png", None),
        ("network", "text/plain", None, "GET /api/cart -> 401 x-request-id=9f1c2b7e\n")]
    assert "9f1c2b7e" in test.text()


def test_timed_out_interrupted_and_expected_failures(tmp_path):
    specs = [
        spec("slow", "unexpected", [run("timedOut", errors=[{"message": "Test timeout of 30000ms exceeded."}])]),
        spec("cut", "unexpected", [run("interrupted")]),
        spec("known bug", "expected", [run("failed")], expected="failed"),
        spec("fixed bug", "unexpected", [run("passed")], expected="failed"),
    ]
    tests = load_tests(write(tmp_path, report(specs)), "playwright-json")
    slow, cut, known, fixed = tests
    assert (slow.status, slow.failure_type, slow.message) == (
        TestStatus.FAILED, "timedOut", "Test timeout of 30000ms exceeded.")
    assert cut.status is TestStatus.ERROR and cut.attempt_statuses == ["error"]
    assert known.status is TestStatus.PASSED and known.attempt_statuses == ["passed"]
    assert fixed.status is TestStatus.FAILED and fixed.attempt_statuses == ["failed"]


def test_results_are_ordered_by_retry_and_projects_suffixed(tmp_path):
    results = [run("passed", 1, start="2026-11-20T10:00:03Z"), run("failed", 0)]
    doc = report([spec("a", "flaky", results, project="webkit"),
                  spec("a", "expected", [run("passed")], project="chromium")],
                 projects=("chromium", "webkit"))
    webkit, chromium = load_tests(write(tmp_path, doc), "playwright-json")
    assert webkit.suite == "cart.spec.ts › cart [webkit]"
    assert webkit.attempt_statuses == ["failed", "passed"] and webkit.passed_on_retry
    assert chromium.suite == "cart.spec.ts › cart [chromium]"


def test_global_errors_become_error_results(tmp_path):
    errors = [{"message": "Error: \x1b[2mglobalSetup\x1b[22m failed: ECONNREFUSED 10.0.0.5:5432",
               "stack": "Error: globalSetup failed: ECONNREFUSED 10.0.0.5:5432\n    at setup.ts:4:9",
               "location": {"file": "/e2e/setup.ts", "line": 4, "column": 9}},
              {"message": "Error: No tests found"}]
    tests = load_tests(write(tmp_path, report([], errors=errors)), "playwright-json")
    assert [(t.name, t.suite, t.status) for t in tests] == [
        ("global error", "/e2e/setup.ts", TestStatus.ERROR),
        ("global error #2", "playwright", TestStatus.ERROR)]
    assert tests[0].message == "Error: globalSetup failed: ECONNREFUSED 10.0.0.5:5432"
    assert (tests[0].failure_type, tests[0].line) == ("Error", 4)


def test_bad_specs_are_skipped_and_counted(tmp_path):
    doc = report([{"file": "cart.spec.ts", "line": 12, "tests": []}, spec("ok", "expected", [run("passed")])])
    result = read_source(write(tmp_path, doc))
    assert [t.name for t in result.tests] == ["ok"]
    assert result.info.skipped_lines == 1
    assert (result.info.examples[0].line, result.info.examples[0].reason) == (
        None, "a spec without a title (cart.spec.ts:12) was ignored")


def test_not_json_or_not_playwright_is_unreadable(tmp_path):
    bad = tmp_path / "bad.json"
    bad.write_text('{"config": {}, "suites": [')
    with pytest.raises(UnreadableSource, match="not valid JSON"):
        PLAYWRIGHT.parse(SourceFile(bad, "bad.json"), ParseContext("bad.json"))
    other = write(tmp_path, {"config": {}, "suites": {}}, "other.json")
    with pytest.raises(UnreadableSource, match="no 'suites' list"):
        PLAYWRIGHT.parse(SourceFile(other, "other.json"), ParseContext("other.json"))


@pytest.mark.parametrize("doc, score", [
    ({"config": {"projects": []}, "suites": []}, 1.0),
    ({"suites": [], "stats": {}}, 0.0),                       # no config
    ({"stats": {"tests": 1}, "results": []}, 0.0),            # mochawesome
    ({"apiVersion": "v1", "kind": "ConfigMap"}, 0.0),
])
def test_sniff_documents(doc, score):
    text = orjson.dumps(doc).decode()
    assert PLAYWRIGHT.sniff(Head(path="x.json", text=text, lines=[text])) == score


# --------------------------------------------------------------------------- properties

@settings(max_examples=300, deadline=None)
@given(st.text(max_size=120))
def test_strip_ansi_removes_every_csi_sequence(text):
    coloured = f"\x1b[31m{text}\x1b[0m"
    stripped = strip_ansi(coloured)
    assert "\x1b[31m" not in stripped and "\x1b[0m" not in stripped
    assert strip_ansi(stripped) == stripped


json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-2**63, 2**63 - 1) | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4),
    max_leaves=20)


@settings(max_examples=200, deadline=None)
@given(specs=st.lists(st.dictionaries(st.sampled_from(["title", "tests", "line", "file"]), json_values), max_size=3),
       results=st.lists(st.dictionaries(st.sampled_from(["status", "retry", "duration", "startTime", "stdout",
                                                         "error", "errors", "attachments"]), json_values),
                        max_size=3))
def test_arbitrary_report_shapes_never_raise(tmp_path_factory, specs, results):
    specs = specs + [{"title": "t", "tests": [{"projectName": "p", "status": "unexpected", "results": results}]}]
    doc = {"config": {}, "suites": [{"title": "f.spec.ts", "specs": specs, "suites": specs}]}
    path = tmp_path_factory.mktemp("p") / "r.json"
    path.write_bytes(orjson.dumps(doc))
    tests = PLAYWRIGHT.parse(SourceFile(path, "r.json"), ParseContext("r.json"))
    for test in tests:
        assert isinstance(test.status, TestStatus)
        assert test.attempts == len(test.attempt_statuses) >= 1
        assert isinstance(test.message, str) and isinstance(test.stack, str)
        assert test.started_at is None or isinstance(test.started_at, float)

"""pytest-json-report: outcomes, stages, reruns, collection errors, start times."""
from __future__ import annotations

from collections import Counter
from pathlib import Path

import orjson
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from triage.ingest.base import Head, ParseContext, SourceFile, UnreadableSource
from triage.ingest.loader import read_source
from triage.ingest.pytest_json import PytestJsonReportIngestor, split_nodeid
from triage.model import TestResult, TestStatus
from tests.ingest.helpers import find_test, load_tests

PYTEST_JSON = PytestJsonReportIngestor()
SESSION_START = 1548185151.2609472 - 0.04589128494262695


def write(tmp_path: Path, doc: object) -> Path:
    path = tmp_path / ".report.json"
    path.write_bytes(orjson.dumps(doc))
    return path


def stage(outcome: str = "passed", duration: float = 0.5, **extra) -> dict:
    return {"outcome": outcome, "duration": duration, **extra}


def report(tests: list[dict], created: float = 1795168810.0, duration: float = 10.0, **extra) -> dict:
    return {"created": created, "duration": duration, "exitcode": 1, "root": "/repo",
            "summary": {"total": len(tests)}, "tests": tests, **extra}


@pytest.fixture(scope="module")
def sample(real) -> list[TestResult]:
    return load_tests(real / "pytest-json-report" / "pytest-json-report-sample.json", "pytest-json-report")


def test_real_sample_matches_its_summary(sample):
    # summary: passed 2, failed 3, xfailed 1, xpassed 1, error 2, skipped 1, total 10
    assert len(sample) == 10
    assert Counter(t.status for t in sample) == {
        TestStatus.PASSED: 3, TestStatus.FAILED: 3, TestStatus.ERROR: 2, TestStatus.SKIPPED: 2}
    assert [t.name for t in sample][:3] == ["test_pass", "test_fail_with_fixture", "test_xfail"]
    assert {t.suite for t in sample} == {"test_create_report.py"}


def test_real_failed_test_fields(sample):
    test = find_test(sample, "test_fail_with_fixture")
    assert test.status is TestStatus.FAILED
    assert test.message == "assert False" and test.failure_type == "AssertionError"
    assert test.stack.endswith("test_create_report.py:32: AssertionError")
    assert test.stdout == "setup\ncall\nteardown"
    assert test.stderr == "setuperr\ncallerr\nteardownerr"
    assert (test.file, test.line) == ("test_create_report.py", 29)  # lineno 28 is 0-based
    assert test.duration_s == pytest.approx(0.0001995563507080078 + 0.00015997886657714844
                                            + 0.00015306472778320312)
    nested = find_test(sample, "test_fail_nested")
    assert nested.message == "TypeError: unsupported operand type(s) for -: 'int' and 'NoneType'"
    assert nested.failure_type == "TypeError" and nested.stdout == "foo\n0\nbar"


def test_real_setup_teardown_errors_skip_and_xfail(sample):
    setup = find_test(sample, "test_fail_during_setup")
    assert setup.status is TestStatus.ERROR and setup.message == "assert False"
    assert "fail_setup_fixture" in setup.stack
    teardown = find_test(sample, "test_fail_during_teardown")
    assert teardown.status is TestStatus.ERROR and teardown.stack.startswith("def fn():")
    skip = find_test(sample, "test_skip")
    assert skip.status is TestStatus.SKIPPED and skip.message == "Skipped: testing skip"
    xfail = find_test(sample, "test_xfail")
    assert xfail.status is TestStatus.SKIPPED and xfail.properties == {"outcome": "xfailed"}
    xpass = find_test(sample, "test_xfail_but_passing")
    assert xpass.status is TestStatus.PASSED and xpass.properties == {"outcome": "xpassed"}
    assert find_test(sample, "test_parametrized[2]").message == "assert 2 == 1"


def test_real_start_times_are_estimated_from_the_session(sample):
    first = sample[0]
    assert first.started_at == pytest.approx(SESSION_START)
    assert sample[1].started_at == pytest.approx(SESSION_START + first.duration_s)
    starts = [t.started_at for t in sample]
    assert starts == sorted(starts)
    assert starts[-1] < 1548185151.2609472


def test_real_sample_is_sniffed(real):
    path = real / "pytest-json-report" / "pytest-json-report-sample.json"
    assert PYTEST_JSON.sniff(Head.of(SourceFile(path, path.name))) == 1.0


# --------------------------------------------------------------------------- own samples

def test_rerun_outcome_and_repeated_nodeid_are_retries(tmp_path):
    doc = report([
        {"nodeid": "tests/e2e/test_cart.py::TestCart::test_add[eu::1]", "outcome": "rerun", "lineno": 9,
         "setup": stage(), "call": stage(), "teardown": stage()},
        {"nodeid": "tests/test_api.py::test_get", "outcome": "failed",
         "call": stage("failed", crash={"message": "requests.exceptions.ConnectionError: refused"},
                       longrepr="E   requests.exceptions.ConnectionError: refused")},
        {"nodeid": "tests/test_api.py::test_get", "outcome": "passed", "call": stage()},
    ])
    rerun, flaky = load_tests(write(tmp_path, doc), "pytest-json-report")
    assert (rerun.suite, rerun.name, rerun.file) == ("tests/e2e/test_cart.py::TestCart", "test_add[eu::1]",
                                                     "tests/e2e/test_cart.py")
    assert rerun.status is TestStatus.PASSED and rerun.passed_on_retry
    assert rerun.attempt_statuses == ["failed", "passed"] and rerun.line == 10
    assert flaky.attempts == 2 and flaky.attempt_statuses == ["failed", "passed"]
    assert flaky.passed_on_retry and flaky.message == "requests.exceptions.ConnectionError: refused"
    assert flaky.failure_type == "requests.exceptions.ConnectionError"


def test_collection_errors_logs_and_properties(tmp_path):
    doc = report([{"nodeid": "test_a.py::test_ok", "outcome": "passed",
                   "user_properties": [{"x-test-name": "checkout"}], "metadata": {"build": 7},
                   "call": stage(log=[{"levelname": "WARNING", "name": "api", "msg": "retrying 9f1c"}])}],
                 collectors=[{"nodeid": "test_b.py", "outcome": "failed",
                              "longrepr": "ImportError while importing test module\nE   ModuleNotFoundError: "
                                          "No module named 'stripe'", "result": []}])
    broken, ok = load_tests(write(tmp_path, doc), "pytest-json-report")
    assert (broken.name, broken.suite, broken.status) == ("collection error", "test_b.py", TestStatus.ERROR)
    assert broken.message == "ModuleNotFoundError: No module named 'stripe'"
    assert broken.failure_type == "ModuleNotFoundError" and broken.file == "test_b.py"
    assert ok.properties == {"x-test-name": "checkout", "build": "7"}
    assert ok.stderr == "WARNING api: retrying 9f1c"


def test_parallel_runs_all_start_at_the_session_start(tmp_path):
    tests = [{"nodeid": f"t.py::test_{i}", "outcome": "passed", "call": stage(duration=4.0)} for i in range(4)]
    results = load_tests(write(tmp_path, report(tests, created=1000.0, duration=5.0)), "pytest-json-report")  # 16 s of tests in 5 s
    assert {t.started_at for t in results} == {995.0}
    results = load_tests(write(tmp_path, report(tests[:1], created=1000.0, duration=5.0)), "pytest-json-report")
    assert results[0].started_at == 995.0


def test_summary_only_report_has_no_tests(tmp_path):
    assert load_tests(write(tmp_path, {"created": 1.0, "duration": 0.1, "root": "/", "summary": {"total": 3}}), "pytest-json-report") == []


def test_bad_entries_are_skipped_and_foreign_json_refused(tmp_path):
    result = read_source(write(tmp_path, report([{"outcome": "passed"}, {"nodeid": "a.py::t", "outcome": "passed"}])))
    assert [t.name for t in result.tests] == ["t"]
    assert result.info.skipped_lines == 1
    assert result.info.examples[0].reason == "tests[0] has no nodeid and was ignored"
    with pytest.raises(UnreadableSource, match="no 'tests' and 'summary'"):
        PYTEST_JSON.parse(SourceFile(write(tmp_path, {"tests": []}), "r.json"), ParseContext("r.json"))


@pytest.mark.parametrize("doc, score", [
    ({"created": 1.0, "summary": {}, "tests": [], "root": "/"}, 1.0),
    ({"tests": [], "summary": {}}, 0.0),
    ({"name": "spec", "state": {}, "tests": []}, 0.0),            # Unleash client spec
    ({"stats": {"tests": 1}, "results": []}, 0.0),
])
def test_sniff_documents(doc, score):
    text = orjson.dumps(doc).decode()
    assert PYTEST_JSON.sniff(Head(path="x.json", text=text, lines=[text])) == score


def test_large_report_is_sniffed_from_its_first_keys():
    text = '{"created": 1548185151.26, "duration": 0.04, "exitcode": 1, "root": "/tmp", ' \
           '"summary": {"passed": 2}, "tests": [{"nodeid": "a.py::t", ' + " " * 70000
    assert PYTEST_JSON.sniff(Head(path="big.json", text=text, lines=[text])) == 0.95


# --------------------------------------------------------------------------- properties

@settings(max_examples=300, deadline=None)
@given(st.text(max_size=60))
def test_split_nodeid_round_trips(nodeid):
    suite, name, file = split_nodeid(nodeid)
    assert nodeid.startswith(file)
    assert nodeid in (name, f"{suite}::{name}")


json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-2**63, 2**63 - 1) | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda children: st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=8), children, max_size=3),
    max_leaves=15)
keys = st.sampled_from(["nodeid", "outcome", "lineno", "setup", "call", "teardown", "user_properties", "metadata"])


@settings(max_examples=200, deadline=None)
@given(tests=st.lists(st.dictionaries(keys, json_values), max_size=4), created=json_values, duration=json_values)
def test_arbitrary_test_shapes_never_raise(tmp_path_factory, tests, created, duration):
    doc = {"created": created, "duration": duration, "root": "/", "summary": {}, "tests": tests,
           "collectors": tests}
    path = tmp_path_factory.mktemp("p") / "r.json"
    path.write_bytes(orjson.dumps(doc))
    for test in PYTEST_JSON.parse(SourceFile(path, "r.json"), ParseContext("r.json")):
        assert isinstance(test.name, str) and isinstance(test.suite, str)
        assert isinstance(test.status, TestStatus)
        assert test.started_at is None or isinstance(test.started_at, float)
        assert test.line is None or isinstance(test.line, int)

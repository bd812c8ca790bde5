"""JUnit XML: every real runner sample, retries, attachments and hostile XML."""
from __future__ import annotations

import gzip
from collections import Counter
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from triage.ingest.base import Head, ParseContext, SourceFile, UnreadableSource
from triage.ingest.junit import JUnitXmlIngestor, _timestamp, fold_attempt
from triage.ingest.loader import read_source
from triage.model import TestResult, TestStatus
from tests.ingest.helpers import find_test, load_tests

JUNIT = JUnitXmlIngestor()


def write(tmp_path: Path, text: str, name: str = "report.xml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


# Per file: results, then passed / failed / error / skipped, and why the count
# differs from the report's own totals where it does.
REAL = {
    "bazel-suite-logs.xml": (1, 0, 0, 1, 0),
    "flaky-retries-repeated-testcases.xml": (3, 3, 0, 0, 0),   # tests=5, 2 reruns folded
    "go-junit-report-panic.xml": (2, 0, 0, 2, 0),
    "go-junit-report-race.xml": (1, 0, 1, 0, 0),
    # tests=59 on the root, but the badmain suite says tests=0 and holds TestMain
    "gotestsum-junitxml-report.xml": (60, 42, 13, 0, 5),
    "jest-junit-failures-windows-paths.xml": (6, 1, 4, 0, 1),
    "mocha-junit-reporter-root-suite.xml": (1, 1, 0, 0, 0),    # tests=15515, trimmed upstream
    "mocha-xunit-latex-utensils.xml": (109, 109, 0, 0, 0),
    "multiresult-skipped-failure-error.xml": (4, 1, 1, 1, 1),  # no totals written
    "playwright-junit-hudl.xml": (60, 36, 4, 0, 20),
    "playwright-junit-strict-mode.xml": (1, 0, 1, 0, 0),
    "pytest-horovod-spark-failure-skip.xml": (5, 3, 1, 0, 1),
    "pytest-single-line-failures.xml": (4, 2, 2, 0, 0),        # tests=3, 4 testcases written
    "pytest-xunit2-xfail-properties.xml": (10, 6, 2, 0, 2),    # tests=15 counts subtests
    "surefire-2.13-windows-properties-failures.xml": (2, 0, 2, 0, 0),
    "surefire-3.0.2-quarkus-flakyFailure-flakyError.xml": (2, 2, 0, 0, 0),
    "surefire-TEST-CalcUtilsTest.xml": (2, 0, 2, 0, 0),
    "surefire-TEST-EmailAddressTest.xml": (9, 2, 2, 5, 0),
    "surefire-flakyFailure.xml": (1, 1, 0, 0, 0),
    "testng-pulsar-TEST-AddMissingPatchVersionTest.xml": (1, 0, 1, 0, 0),  # tests=2, 1 retry folded
}


def test_every_real_junit_file_is_covered(real):
    assert {p.name for p in (real / "junit").iterdir()} == set(REAL)


@pytest.mark.parametrize("name", sorted(REAL))
def test_real_counts(real, name):
    tests = load_tests(real / "junit" / name, "junit-xml", skipped_lines=None)
    total, passed, failed, error, skipped = REAL[name]
    counts = Counter(t.status for t in tests)
    assert len(tests) == total
    assert (counts[TestStatus.PASSED], counts[TestStatus.FAILED], counts[TestStatus.ERROR],
            counts[TestStatus.SKIPPED]) == (passed, failed, error, skipped)
    assert all(t.attempts == len(t.attempt_statuses) for t in tests)
    assert all(t.attempt_statuses[-1] == t.status.value or t.status is TestStatus.FAILED
               for t in tests)


@pytest.mark.parametrize("name", sorted(REAL))
def test_real_files_are_detected_as_junit(real, name):
    head = Head.of(SourceFile(real / "junit" / name, name))
    assert JUNIT.sniff(head) == 1.0


def test_surefire_flaky_failure_passed_on_retry(real):
    (test,) = load_tests(real / "junit" / "surefire-flakyFailure.xml", "junit-xml", skipped_lines=None)
    assert test.name == "createWebhook"
    assert test.suite == "io.sodadata.dependson.soda.integrations.msteams.MicrosoftTeamsCrudTest"
    assert test.status is TestStatus.PASSED
    assert test.passed_on_retry is True and test.failed is True
    assert test.attempts == 2
    assert test.attempt_statuses == ["failed", "passed"]
    assert test.failure_type == "java.lang.AssertionError"
    assert test.message == "Expected: <false>\n     but: was <true>"
    assert "MicrosoftTeamsCrudTest.java:58" in test.stack
    assert test.stderr == "Some error output here"
    assert test.duration_s == 0.683


def test_surefire_quarkus_three_flaky_failures_and_a_flaky_error(real):
    tests = load_tests(real / "junit" / "surefire-3.0.2-quarkus-flakyFailure-flakyError.xml", "junit-xml", skipped_lines=None)
    flaky = find_test(tests, "testFlaky")
    assert flaky.attempts == 5
    assert flaky.attempt_statuses == ["failed", "failed", "failed", "error", "passed"]
    assert flaky.passed_on_retry is True
    assert flaky.message == "expected: <1> but was: <0>"  # the last failed run (flakyError)
    assert flaky.failure_type == "org.opentest4j.AssertionFailedError"
    # every run's output is kept: the first and the last run's Quarkus lines
    assert "2023-06-23 17:27:31,351 INFO  [io.quarkus]" in flaky.stdout
    assert "2023-06-23 17:27:35,705 INFO  [io.quarkus] (main) Profile test activated." in flaky.stdout
    assert flaky.stderr == "Test system.err"
    # distinct stack traces only: runs 1 and 4 threw the same one
    assert flaky.stack.count("AssertionFailedError: expected: <1> but was: <0>") == 1
    assert "but was: <3>" in flaky.stack and "but was: <4>" in flaky.stack
    stable = find_test(tests, "testStable")
    assert (stable.attempts, stable.passed_on_retry, stable.duration_s) == (1, False, 0.001)


def test_repeated_testcases_fold_into_one_flaky_result(real):
    tests = load_tests(real / "junit" / "flaky-retries-repeated-testcases.xml", "junit-xml", skipped_lines=None)
    foo = find_test(tests, "test_foo", "test_foo.TestFoo")
    assert foo.attempts == 3
    assert foo.attempt_statuses == ["failed", "error", "passed"]
    assert foo.status is TestStatus.PASSED and foo.passed_on_retry is True
    assert foo.message == "it broke" and foo.stack == "'NoneType' object is not iterable\noh no"
    assert foo.duration_s == pytest.approx(1.842 * 3)
    assert (foo.file, foo.line) == ("/home/runner/work/foo/bar/test_foo.py", 42)
    # same name, other classname: a different test, not a retry
    bar = find_test(tests, "test_foo", "test_bar.TestBar")
    assert (bar.attempts, bar.passed_on_retry, bar.line) == (1, False, 10)


def test_testng_retry_folded_skipped_then_failed(real):
    (test,) = load_tests(real / "junit" / "testng-pulsar-TEST-AddMissingPatchVersionTest.xml", "junit-xml", skipped_lines=None)
    assert test.name == "testVersionStrings"
    assert test.suite == "org.apache.pulsar.AddMissingPatchVersionTest"
    assert test.attempts == 2 and test.attempt_statuses == ["skipped", "failed"]
    assert test.status is TestStatus.FAILED and test.passed_on_retry is False
    assert test.message == "expected [1.2.1] but found [1.2.0]"
    assert test.runner == "fv-az96-723"
    assert test.started_at == 1615113416.0  # "2021-03-07T10:36:56 UTC"
    assert test.duration_s == pytest.approx(0.116)


def test_gotestsum_subtests_keep_their_names(real):
    tests = load_tests(real / "junit" / "gotestsum-junitxml-report.xml", "junit-xml", skipped_lines=None)
    names = {t.name for t in tests if t.suite == "gotest.tools/gotestsum/testjson/internal/withfails"}
    assert {"TestNestedWithFailure/a/sub", "TestNestedWithFailure/c", "TestNestedSuccess/d/sub"} <= names
    sub = find_test(tests, "TestNestedParallelFailures/a")
    assert sub.status is TestStatus.FAILED and sub.message == "Failed"
    assert "fails_test.go:50: failed sub a" in sub.stack
    # TestMain has an empty classname: the package (testsuite name) is its suite
    main = find_test(tests, "TestMain")
    assert main.suite == "gotest.tools/gotestsum/testjson/internal/badmain"
    assert main.stack.startswith("sometimes main can exit 2\nFAIL\tgotest.tools")
    skipped = find_test(tests, "TestTimeout")
    assert skipped.status is TestStatus.SKIPPED and "skipping slow test" in skipped.message
    assert all(t.started_at is None for t in tests)  # timestamp 0001-01-01 means none


def test_jest_junit_classname_describe_path(real):
    tests = load_tests(real / "junit" / "jest-junit-failures-windows-paths.xml", "junit-xml", skipped_lines=None)
    failing = find_test(tests, "Failing test")
    assert failing.suite == "Test 1 › Test 1.1"
    assert failing.message == "Error: expect(received).toBeTruthy()"
    assert failing.failure_type == "Error"
    assert "main.test.js:10:21" in failing.stack
    assert failing.started_at == 1603834781.0
    # an empty classname falls back to the testsuite name
    assert find_test(tests, "Timeout test").suite == "__tests__\\second.test.js"
    assert find_test(tests, "Skipped test").status is TestStatus.SKIPPED


def test_bazel_suite_level_log_goes_to_the_failed_test(real):
    (test,) = load_tests(real / "junit" / "bazel-suite-logs.xml", "junit-xml", skipped_lines=None)
    assert test.status is TestStatus.ERROR
    assert test.message == "exited with error code 1"
    assert "ModuleNotFoundError: No module named 'non_existent_package'" in test.stdout
    assert test.stderr == "Generated test.err"


def test_go_junit_report_race_and_panic(real):
    (race,) = load_tests(real / "junit" / "go-junit-report-race.xml", "junit-xml", skipped_lines=None)
    assert race.suite == "package/race" and race.name == "TestRace"
    assert "WARNING: DATA RACE" in race.stack
    assert race.stdout.endswith("exit status 1")  # suite-level system-out
    assert race.runner == "hostname" and race.started_at == 1640995200.0
    assert race.properties == {}  # go.version is a suite property, not the test's
    panics = load_tests(real / "junit" / "go-junit-report-panic.xml", "junit-xml", skipped_lines=None)
    assert [(t.suite, t.status, t.message) for t in panics] == [
        ("package/panic", TestStatus.ERROR, "Runtime error"),
        ("package/panic2", TestStatus.ERROR, "Runtime error"),
    ]
    assert panics[0].stack == "panic: init\nstacktrace"


def test_playwright_junit_attachments_and_project_hostname(real):
    tests = load_tests(real / "junit" / "playwright-junit-hudl.xml", "junit-xml", skipped_lines=None)
    failed = find_test(tests, "Grid › Column Sorting › AmFb Column Sets › should display correct "
                            "data when sorting by OFF FORM column")
    assert failed.suite == "tests/grid.spec.ts"
    assert failed.runner == "chrome"
    assert failed.message == "grid.spec.ts:202:11 should display correct data when sorting by OFF FORM column"
    assert "Test timeout of 10000ms exceeded." in failed.stack
    assert failed.duration_s == 10.0 and failed.started_at == 1706304570.878
    folder = "test-results/tests-grid-Grid-Column-Sorting-AmFb-Column-Set-8f487-ay-correct-data-when-sorting-by-OFF-FORM-column-chrome"
    assert [(a.name, a.content_type, a.path) for a in failed.attachments] == [
        ("screenshot", "image/png", f"{folder}/test-failed-1.png"),
        ("trace", "application/zip", f"{folder}/trace.zip"),
    ]
    skipped = find_test(tests, 'record "Time to Video" when loading directly via URL › using manual timings')
    assert skipped.status is TestStatus.SKIPPED and skipped.properties == {"skip": ""}
    assert find_test(tests, "authenticate as coachAdmin").runner == "setup"


def test_playwright_junit_epoch_millis_timestamp(real):
    (test,) = load_tests(real / "junit" / "playwright-junit-strict-mode.xml", "junit-xml", skipped_lines=None)
    assert test.started_at == pytest.approx(1679511632.462)
    assert test.runner == "LRS:Chromium"
    assert test.failure_type == "FAILURE"
    assert "strict mode violation" in test.stack


def test_pytest_reports(real):
    horovod = load_tests(real / "junit" / "pytest-horovod-spark-failure-skip.xml", "junit-xml", skipped_lines=None)
    skip = find_test(horovod, "test_get_available_devices")
    assert skip.message == "get_available_devices only supported in Spark 3.0 and above"
    assert skip.failure_type == "pytest.skip"
    assert (skip.file, skip.line) == ("test/test_spark.py", 1641)  # as written (pytest: 0-based)
    assert skip.runner == "3f909e363d82"
    assert skip.started_at == pytest.approx(1599236284.966371)
    failed = find_test(horovod, "test_rsh_events")
    assert failed.failure_type == "AssertionError"  # from the "E AssertionError: ..." line
    assert failed.suite == "test.test_spark.SparkTests"

    one_line = load_tests(real / "junit" / "pytest-single-line-failures.xml", "junit-xml", skipped_lines=None)
    fails = find_test(one_line, "test_which_fails")
    assert fails.message == "AssertionError: assert 'test' == 'xyz'\n  - xyz\n  + test"
    assert fails.failure_type == "AssertionError"
    assert find_test(one_line, "test_with_error").failure_type == "AttributeError"
    assert fails.runner == "Mikes-iMac.local" and fails.started_at == pytest.approx(1602528371.226119)

    xunit2 = load_tests(real / "junit" / "pytest-xunit2-xfail-properties.xml", "junit-xml", skipped_lines=None)
    assert find_test(xunit2, "test_with_record_property").properties == {"example_key": "1"}
    assert find_test(xunit2, "test_with_record_xml_attribute").suite == "custom_classname"
    xfail = find_test(xunit2, "test_expected_failure")
    assert xfail.status is TestStatus.SKIPPED and xfail.failure_type == "pytest.xfail"
    assert find_test(xunit2, "test_always_pass").started_at == pytest.approx(1763225509.548396)
    assert find_test(xunit2, "test_error").failure_type == "Exception"


def test_mocha_reports(real):
    latex = load_tests(real / "junit" / "mocha-xunit-latex-utensils.xml", "junit-xml", skipped_lines=None)
    assert {t.started_at for t in latex} == {1670109007.0}  # "Sat, 03 Dec 2022 23:10:07 GMT"
    # Two passing tests share a title: a repeat after a pass is not a retry.
    twins = [t for t in latex if t.name == "parse entry with command"]
    assert [(t.attempts, t.duration_s) for t in twins] == [(1, 0.0), (1, 0.001)]
    (config,) = load_tests(real / "junit" / "mocha-junit-reporter-root-suite.xml", "junit-xml", skipped_lines=None)
    assert config.suite == "projectUTCOffset should be a callable with current UTC offset"
    assert config.file == "/path/test/config.js"  # from the testsuite's file attribute
    assert config.started_at == 1635380142.0


def test_multiresult_testcase_error_wins(real):
    tests = load_tests(real / "junit" / "multiresult-skipped-failure-error.xml", "junit-xml", skipped_lines=None)
    errors = find_test(tests, "test that errors")
    assert errors.status is TestStatus.ERROR and errors.message == "test teardown failure"
    assert errors.stack == "Assertion failed\nstdout"
    assert find_test(tests, "test that fails").status is TestStatus.FAILED
    assert find_test(tests, "test that succeeds").duration_s == 0.456


def test_surefire_messages_with_non_ascii_and_newlines(real):
    email = load_tests(real / "junit" / "surefire-TEST-EmailAddressTest.xml", "junit-xml", skipped_lines=None)
    test = find_test(email, "shouldBeStricterThanRfc2821")
    assert test.status is TestStatus.ERROR
    assert test.message == "Invalid email address 😋 'Abc\\@def@example.com'"
    assert test.failure_type == "action.surefire.report.email.InvalidEmailAddressException"
    assert find_test(email, "shouldNotContainInternationalizedHostNames").message == \
        "Invalid email address 'user@ñandú.com.ar'"
    old = load_tests(real / "junit" / "surefire-2.13-windows-properties-failures.xml", "junit-xml", skipped_lines=None)
    first = find_test(old, "defaultTestValueIs_Value")
    # literal newlines in an attribute are normalised to spaces by XML itself
    assert first.message == 'Expected: "wrong"      got: "value"'
    assert first.properties == {}  # the ~60 JVM properties are the suite's
    calc = load_tests(real / "junit" / "surefire-TEST-CalcUtilsTest.xml", "junit-xml", skipped_lines=None)
    assert "Caused by: java.lang.IllegalArgumentException" in find_test(calc, "test error handling").stack


# --------------------------------------------------------------------------- own samples

def test_surefire_rerun_failure_failed_after_retries(tmp_path):
    path = write(tmp_path, """<?xml version="1.0"?>
<testsuite name="S" tests="1" failures="1" hostname="ci-7">
  <testcase name="t" classname="com.x.T" time="1.5">
    <failure message="first" type="java.lang.AssertionError">trace 1</failure>
    <rerunFailure message="second" type="java.lang.AssertionError"><stackTrace>trace 2</stackTrace></rerunFailure>
    <rerunError message="third" type="java.io.IOException"><stackTrace>trace 3</stackTrace>
      <system-out>req 9f1c</system-out></rerunError>
  </testcase>
</testsuite>""")
    (test,) = load_tests(path, "junit-xml", skipped_lines=None)
    assert test.status is TestStatus.FAILED and test.passed_on_retry is False
    assert test.attempts == 3 and test.attempt_statuses == ["failed", "failed", "error"]
    assert test.message == "first" and test.stack == "trace 1\ntrace 2\ntrace 3"
    assert test.stdout == "req 9f1c" and test.runner == "ci-7"


def test_nested_suites_namespace_and_inherited_fields(tmp_path):
    path = write(tmp_path, """<?xml version="1.0"?>
<!-- generated -->
<ns:testsuites xmlns:ns="urn:x-junit">
  <ns:testsuite name="outer" timestamp="2026-11-20T10:00:00Z">
    <ns:properties><ns:property name="hostname" value="agent-3"/></ns:properties>
    <ns:testsuite name="inner">
      <ns:testcase name="a" time="0.25"><ns:properties><ns:property name="x-test-name">a-tag</ns:property></ns:properties></ns:testcase>
    </ns:testsuite>
  </ns:testsuite>
</ns:testsuites>""")
    (test,) = load_tests(path, "junit-xml", skipped_lines=None)
    assert (test.suite, test.name) == ("inner", "a")
    assert test.runner == "agent-3"
    assert test.started_at == 1795168800.0
    assert test.properties == {"x-test-name": "a-tag"}


def test_googletest_notrun_is_skipped_and_nameless_testcase_is_reported(tmp_path):
    path = write(tmp_path, """<testsuites><testsuite name="G">
<testcase name="Disabled" status="notrun" classname="G"/>
<testcase classname="G"/>
<testcase name="Runs" status="run" result="completed" classname="G"/>
</testsuite></testsuites>""")
    result = read_source(path)
    assert [(t.name, t.status) for t in result.tests] == [
        ("Disabled", TestStatus.SKIPPED), ("Runs", TestStatus.PASSED)]
    assert result.info.skipped_lines == 1
    assert result.info.examples[0].line == 3
    assert "without a name" in result.info.examples[0].reason


def test_same_test_on_two_playwright_projects_is_suffixed(tmp_path):
    path = write(tmp_path, """<testsuites>
<testsuite name="cart.spec.ts" hostname="chromium"><testcase name="adds" classname="cart.spec.ts"/></testsuite>
<testsuite name="cart.spec.ts" hostname="firefox"><testcase name="adds" classname="cart.spec.ts">
<failure message="boom">x</failure></testcase></testsuite>
</testsuites>""")
    tests = load_tests(path, "junit-xml", skipped_lines=None)
    assert [(t.suite, t.status) for t in tests] == [
        ("cart.spec.ts [chromium]", TestStatus.PASSED), ("cart.spec.ts [firefox]", TestStatus.FAILED)]
    assert all(t.attempts == 1 for t in tests)


def test_control_characters_from_ansi_output_are_tolerated(tmp_path):
    path = tmp_path / "jest.xml"
    path.write_bytes(b'<testsuites><testsuite name="s"><testcase name="t" classname="c">'
                     b'<failure>\x1b[31mexpected\x1b[39m 200 &#27;[1m got 401\x07</failure>'
                     b'</testcase></testsuite></testsuites>')
    (test,) = load_tests(path, "junit-xml", skipped_lines=None)
    assert test.stack == "expected 200  got 401"
    assert test.status is TestStatus.FAILED


def test_gzip_and_utf16_reports(tmp_path):
    xml = '<testsuite name="s"><testcase name="é" classname="c" time="0.1"/></testsuite>'
    gz = tmp_path / "report.xml.gz"
    gz.write_bytes(gzip.compress(xml.encode()))
    assert [t.name for t in load_tests(gz, "junit-xml", skipped_lines=None)] == ["é"]
    utf16 = tmp_path / "utf16.xml"
    utf16.write_bytes(('<?xml version="1.0" encoding="UTF-16"?>' + xml).encode("utf-16"))
    assert [t.name for t in load_tests(utf16, "junit-xml", skipped_lines=None)] == ["é"]


def test_billion_laughs_is_refused(tmp_path):
    path = write(tmp_path, """<?xml version="1.0"?>
<!DOCTYPE testsuite [
  <!ENTITY lol "lol">
  <!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
]>
<testsuite name="&lol2;"><testcase name="t"/></testsuite>""")
    head = Head.of(SourceFile(path, "report.xml"))
    assert JUNIT.sniff(head) == 1.0  # still ours, so the refusal is reported clearly
    result = read_source(path)
    assert result.info.status == "error"
    assert result.info.reason.startswith("refused: the XML declares entities")
    assert result.tests == []


def test_external_entity_is_refused(tmp_path):
    path = write(tmp_path, """<?xml version="1.0"?>
<!DOCTYPE testsuite [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>
<testsuite name="s"><testcase name="t"><system-out>&xxe;</system-out></testcase></testsuite>""")
    result = read_source(path)
    assert result.info.status == "error" and "refused" in result.info.reason


def test_malformed_xml_names_the_line(tmp_path):
    path = write(tmp_path, '<testsuite name="s">\n<testcase name="a">\n</testsuite>\n')
    result = read_source(path)
    assert result.info.status == "error"
    assert result.info.reason == "malformed XML at line 3: mismatched tag"


def test_truncated_report_names_the_line(tmp_path):
    path = write(tmp_path, '<testsuites>\n<testsuite name="s">\n<testcase name="a"/>\n')
    with pytest.raises(UnreadableSource, match=r"^malformed XML at line 4: no element found"):
        JUNIT.parse(SourceFile(path, "r.xml"), ParseContext("r.xml"))


def test_root_that_is_not_a_suite_is_unreadable(tmp_path):
    path = write(tmp_path, "<testsuite-report/>")
    with pytest.raises(UnreadableSource, match="root element is <testsuite-report>"):
        JUNIT.parse(SourceFile(path, "r.xml"), ParseContext("r.xml"))


@pytest.mark.parametrize("text, score", [
    ('<?xml version="1.0"?>\n<!-- c -->\n<testsuites>', 1.0),
    ('\n  <testsuite name="x">', 1.0),
    ('<?xml version="1.0"?><!DOCTYPE testsuite SYSTEM "junit.dtd"><testsuite/>', 1.0),
    ('<html><body>testsuite</body></html>', 0.0),
    ('<?xml version="1.0"?><project><testsuite/></project>', 0.0),
    ('{"testsuites": []}', 0.0),
    ('2026-11-20 10:00:00 INFO <testsuite> started', 0.0),
])
def test_sniff(text, score):
    assert JUNIT.sniff(Head(path="x", text=text, lines=text.splitlines())) == score


def test_fold_attempt_keeps_latest_failure_message():
    first = TestResult(name="t", status=TestStatus.FAILED, message="boom 1", stack="s1",
                       attempt_statuses=["failed"], duration_s=1.0, started_at=10.0)
    later = TestResult(name="t", status=TestStatus.PASSED, attempt_statuses=["passed"],
                       duration_s=0.5, stdout="ok")
    fold_attempt(first, later)
    assert (first.status, first.attempts, first.passed_on_retry) == (TestStatus.PASSED, 2, True)
    assert (first.message, first.stack, first.stdout) == ("boom 1", "s1", "ok")
    assert (first.duration_s, first.started_at) == (1.5, 10.0)


# --------------------------------------------------------------------------- properties

@settings(max_examples=300, deadline=None)
@given(st.text(max_size=60))
def test_timestamp_never_raises(value):
    ts = _timestamp(value)
    assert ts is None or (isinstance(ts, float) and ts > 0)


xml_text = st.text(st.characters(blacklist_categories=("Cs",)), max_size=80)


@settings(max_examples=200, deadline=None)
@given(name=xml_text, classname=xml_text, body=xml_text, message=xml_text, time=xml_text)
def test_free_text_in_a_report_gives_typed_results(tmp_path_factory, name, classname, body, message, time):
    from xml.sax.saxutils import escape, quoteattr
    xml = (f"<testsuite name='s'><testcase name={quoteattr(name)} classname={quoteattr(classname)} "
           f"time={quoteattr(time)}><failure message={quoteattr(message)}>{escape(body)}</failure>"
           f"</testcase></testsuite>")
    path = tmp_path_factory.mktemp("h") / "r.xml"
    path.write_text(xml, encoding="utf-8")
    try:
        tests = JUNIT.parse(SourceFile(path, "r.xml"), ParseContext("r.xml"))
    except UnreadableSource as exc:
        assert str(exc).startswith("malformed XML")  # characters XML 1.0 cannot carry
        return
    for test in tests:
        assert isinstance(test.name, str) and test.name
        assert test.status is TestStatus.FAILED
        assert test.duration_s is None or isinstance(test.duration_s, float)
        assert isinstance(test.message, str) and isinstance(test.failure_type, str)


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=200))
def test_random_bytes_raise_only_unreadable_source(tmp_path_factory, data):
    path = tmp_path_factory.mktemp("b") / "r.xml"
    path.write_bytes(data)
    try:
        tests = JUNIT.parse(SourceFile(path, "r.xml"), ParseContext("r.xml"))
    except UnreadableSource:
        return
    assert isinstance(tests, list)

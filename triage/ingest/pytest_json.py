"""pytest-json-report output (``pytest --json-report``).

``{created, duration, exitcode, root, environment, summary, collectors, tests}``;
each test has a ``nodeid`` (``path::Class::test[param]``), an overall
``outcome`` and ``setup``/``call``/``teardown`` stages with ``duration``,
``outcome``, ``crash``, ``longrepr``, captured output and log records.

``created`` is when the session finished and ``duration`` how long it took, so
the session started at ``created - duration``. Tests carry no start time of
their own; when the stage durations add up to no more than the session (no
xdist), each test's start is estimated as the session start plus the time of
the tests before it, otherwise every test gets the session start.
"""
from __future__ import annotations

import re
from typing import Any

import orjson

from triage.ingest.base import Head, ParseContext, SourceFile, TestReportIngestor, UnreadableSource, to_float, to_int
from triage.ingest.junit import fold_attempt
from triage.ingest.playwright import as_list, as_text
from triage.model import TestResult, TestStatus

_STAGES = ("setup", "call", "teardown")
_OUTCOME = {
    "passed": TestStatus.PASSED, "failed": TestStatus.FAILED, "error": TestStatus.ERROR,
    "skipped": TestStatus.SKIPPED, "xfailed": TestStatus.SKIPPED, "xpassed": TestStatus.PASSED,
    "deselected": TestStatus.SKIPPED,
    # pytest-rerunfailures: the plugin only overwrites the outcome with
    # non-passing ones, so "rerun" survives when the last run passed.
    "rerun": TestStatus.PASSED,
}
_TYPE_AT_START = re.compile(r"^\s*((?:[A-Za-z_][\w.]*)?(?:Error|Exception|Exit|Interrupt))(?=:)")
_PYTEST_LAST_LINE = re.compile(r":\d+: ([A-Za-z_][\w.]*)\s*$")
_SKIP_REPR = re.compile(r"""^\(\s*['"].*?['"],\s*\d+,\s*(['"])(.*)\1\s*\)$""", re.DOTALL)
_HEAD_KEYS = (re.compile(r'"created"\s*:\s*[\d.]'), re.compile(r'"summary"\s*:\s*\{'))
_HEAD_PYTEST = re.compile(r'"(?:tests|collectors)"\s*:\s*\[|"nodeid"\s*:')
_SEQUENTIAL_SLACK = 1.05


class PytestJsonReportIngestor(TestReportIngestor):
    name = "pytest-json-report"
    description = "pytest-json-report (tests with nodeid, outcome, setup/call/teardown)"

    def sniff(self, head: Head) -> float:
        """1.0 for ``tests`` + ``summary`` + ``root``/``created``; 0.95 by first keys."""
        doc = head.document
        if isinstance(doc, dict):
            if isinstance(doc.get("summary"), dict) and ("root" in doc or "created" in doc) \
                    and isinstance(doc.get("tests", []), list):
                return 1.0
            return 0.0
        text = head.text[:16384]
        if text.lstrip().startswith("{") and all(p.search(text) for p in _HEAD_KEYS) \
                and _HEAD_PYTEST.search(text):
            return 0.95
        return 0.0

    def parse(self, source: SourceFile, ctx: ParseContext) -> list[TestResult]:
        """One ``TestResult`` per nodeid, plus one per failed collector.

        In: the report. Out: results in report order; a nodeid listed twice is
        folded as a rerun. Raises ``UnreadableSource`` for invalid JSON or a
        document without ``tests``/``summary``.
        """
        try:
            doc = orjson.loads(source.read_bytes())
        except orjson.JSONDecodeError as exc:
            raise UnreadableSource("error", f"not valid JSON: {exc}") from None
        if not isinstance(doc, dict) or not isinstance(doc.get("tests", []), list) \
                or not isinstance(doc.get("summary"), dict):
            raise UnreadableSource("error", "not a pytest-json-report document: no 'tests' and 'summary'")
        tests = doc.get("tests") or []
        starts = _start_times(doc, tests)
        results: list[TestResult] = _collector_errors(doc.get("collectors"), starts[0] if starts else None)
        seen: dict[str, TestResult] = {}
        for index, test in enumerate(tests):
            nodeid = as_text(test.get("nodeid")) if isinstance(test, dict) else ""
            if not nodeid:
                ctx.skip(None, f"tests[{index}] has no nodeid and was ignored")
                continue
            try:
                result = _test_result(test, nodeid, starts[index + 1])
            except (TypeError, ValueError, AttributeError, KeyError) as exc:
                ctx.skip(None, f"tests[{index}] ({nodeid}) is unreadable: {type(exc).__name__}: {exc}")
                continue
            earlier = seen.get(nodeid)
            if earlier is not None and earlier.status is not TestStatus.PASSED:
                fold_attempt(earlier, result)
                continue
            seen[nodeid] = result
            results.append(result)
        return results


def split_nodeid(nodeid: str) -> tuple[str, str, str]:
    """``path::Class::test[p]`` -> (suite ``path::Class``, name ``test[p]``, file ``path``).

    ``::`` inside a parameter id (``test[a::b]``) does not split.
    """
    head, bracket, params = nodeid.partition("[")
    parts = head.split("::")
    file = parts[0]
    if len(parts) == 1:
        return file, head + bracket + params, file
    return "::".join(parts[:-1]), parts[-1] + bracket + params, file


def _start_times(doc: dict[str, Any], tests: list[Any]) -> list[float | None]:
    """Session start, then an estimated start for each test (see module doc)."""
    created, total = to_float(doc.get("created")), to_float(doc.get("duration"))
    if created is None:
        return [None] * (len(tests) + 1)
    session_start = created - (total or 0.0)
    spent = [_stage_seconds(t) if isinstance(t, dict) else 0.0 for t in tests]
    sequential = total is not None and sum(spent) <= total * _SEQUENTIAL_SLACK
    starts: list[float | None] = [session_start]
    clock = session_start
    for seconds in spent:
        starts.append(round(clock, 6) if sequential else session_start)
        clock += seconds
    return starts


def _stage_seconds(test: dict[str, Any]) -> float:
    return sum(to_float(test[s].get("duration")) or 0.0 for s in _STAGES if isinstance(test.get(s), dict))


def _test_result(test: dict[str, Any], nodeid: str, started_at: float | None) -> TestResult:
    suite, name, file = split_nodeid(nodeid)
    outcome = as_text(test.get("outcome"))
    status = _OUTCOME.get(outcome, TestStatus.FAILED)
    stages = {s: test[s] for s in _STAGES if isinstance(test.get(s), dict)}
    message, failure_type, stack = _failure(stages)
    result = TestResult(
        name=name, suite=suite, status=status, started_at=started_at,
        duration_s=_stage_seconds(test) if stages else None,
        message=message, failure_type=failure_type, stack=stack,
        stdout=_join(as_text(st.get("stdout")) for st in stages.values()),
        stderr=_join([*(as_text(st.get("stderr")) for st in stages.values()), _logs(stages)]),
        properties=_properties(test, outcome),
        file=file,
        line=_line(test.get("lineno")),
        attempt_statuses=[status.value],
    )
    if outcome == "rerun":
        # The failed runs are gone from the report; only that there was one is known.
        result.attempts, result.attempt_statuses = 2, [TestStatus.FAILED.value, status.value]
        result.passed_on_retry = True
    return result


def _failure(stages: dict[str, dict[str, Any]]) -> tuple[str, str, str]:
    """(message, failure type, stack) from the first stage that did not pass."""
    for stage in stages.values():
        if stage.get("outcome") in (None, "passed"):
            continue
        longrepr = stage.get("longrepr")
        stack = longrepr if isinstance(longrepr, str) else _repr_list(longrepr)
        crash = stage.get("crash") if isinstance(stage.get("crash"), dict) else {}
        message = as_text(crash.get("message"))
        skip = _SKIP_REPR.match(stack.strip()) if stage.get("outcome") == "skipped" else None
        if skip:
            message, stack = skip.group(2), ""
        if not message:
            message = next((ln.strip() for ln in stack.splitlines() if ln.strip()), "")
        return message.strip(), _failure_type(message, stage, stack), stack.strip()
    return "", "", ""


def _failure_type(message: str, stage: dict[str, Any], stack: str) -> str:
    match = _TYPE_AT_START.match(message)
    if match:
        return match.group(1)
    traceback = as_list(stage.get("traceback"))
    if traceback and isinstance(traceback[-1], dict):
        last = as_text(traceback[-1].get("message"))
        if re.fullmatch(r"[A-Za-z_][\w.]*", last):
            return last
    match = _PYTEST_LAST_LINE.search(stack[-300:])
    return match.group(1) if match else ""


def _repr_list(value: Any) -> str:
    if isinstance(value, (list, tuple)):
        return repr(tuple(value))
    return "" if value is None else str(value)


def _logs(stages: dict[str, dict[str, Any]]) -> str:
    """Captured log records, one ``LEVEL logger: message`` line each."""
    lines = []
    for stage in stages.values():
        for record in as_list(stage.get("log")):
            if isinstance(record, dict):
                lines.append(f"{record.get('levelname', '')} {record.get('name', '')}: "
                             f"{record.get('msg', '')}".strip())
    return "\n".join(lines)


def _properties(test: dict[str, Any], outcome: str) -> dict[str, str]:
    props: dict[str, str] = {}
    if outcome in ("xfailed", "xpassed", "rerun"):
        props["outcome"] = outcome
    for item in as_list(test.get("user_properties")):
        if isinstance(item, dict):
            props.update({str(k): str(v) for k, v in item.items()})
    metadata = test.get("metadata")
    if isinstance(metadata, dict):
        props.update({str(k): v if isinstance(v, str) else orjson.dumps(v).decode()
                      for k, v in metadata.items()})
    return props


def _collector_errors(collectors: Any, started_at: float | None) -> list[TestResult]:
    """A module that failed to import is a red run with no test to show it."""
    found = []
    for collector in as_list(collectors):
        if not isinstance(collector, dict) or collector.get("outcome") != "failed":
            continue
        nodeid = as_text(collector.get("nodeid"))
        stack = as_text(collector.get("longrepr")).strip()
        message = next((ln.strip() for ln in reversed(stack.splitlines()) if ln.strip().startswith("E ")),
                       stack.split("\n", 1)[0])
        message = message[1:].strip() if message.startswith("E ") else message
        match = _TYPE_AT_START.match(message)
        found.append(TestResult(
            name="collection error", suite=nodeid or "pytest", status=TestStatus.ERROR,
            started_at=started_at, message=message, failure_type=match.group(1) if match else "",
            stack=stack, file=nodeid.split("::", 1)[0], attempt_statuses=[TestStatus.ERROR.value],
        ))
    return found


def _line(value: Any) -> int | None:
    # pytest's locations are 0-based; editors and tracebacks count from 1.
    line = to_int(value)
    return line + 1 if line is not None else None


def _join(parts: Any) -> str:
    return "\n".join(p.strip("\n") for p in parts if p and p.strip())

"""Playwright's JSON reporter output (``--reporter=json``).

The document is ``{config, suites, errors, stats?}``: file suites hold
``specs`` and nested describe ``suites``; each spec has one test per project
and each test one result per attempt (``retry`` 0, 1, ...). One ``TestResult``
is made per (spec, project); its results are the attempts.
"""
from __future__ import annotations

import base64
import binascii
import re
from typing import Any

import orjson

from triage.ingest.base import (Head, ParseContext, SourceFile, TestReportIngestor, UnreadableSource,
                                to_float, to_int)
from triage.ingest.timeparse import parse_iso
from triage.model import Attachment, TestResult, TestStatus

_ANSI = re.compile(r"\x1b\[[0-9;?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)")
_TYPE_AT_START = re.compile(r"^\s*((?:[A-Za-z_$][\w$.]*)?(?:Error|Exception))(?=:)")
_HEAD_KEYS = (re.compile(r'"config"\s*:\s*\{'), re.compile(r'"suites"\s*:\s*\['))
_HEAD_PLAYWRIGHT = re.compile(r'"(?:specs|rootDir|projects|testDir)"\s*:')
_TEXT_TYPES = ("text/", "application/json", "application/xml", "application/x-ndjson")
_MAX_BODY = 64 * 1024
_MAX_DEPTH = 100
HEAD_SCAN = 16384
_SEPARATOR = " › "

# Result statuses, read against the test's expectedStatus (test.fail() expects "failed").
_RESULT_STATUS = {
    "passed": TestStatus.PASSED, "failed": TestStatus.FAILED, "timedOut": TestStatus.FAILED,
    "interrupted": TestStatus.ERROR, "skipped": TestStatus.SKIPPED,
}
_BROKEN = (TestStatus.FAILED.value, TestStatus.ERROR.value)


def strip_ansi(text: str) -> str:
    """``text`` without ANSI colour and cursor sequences."""
    return _ANSI.sub("", text) if "\x1b" in text else text


def as_list(value: Any) -> list[Any]:
    """``value`` if it is a JSON array, else an empty list."""
    return value if isinstance(value, list) else []


def as_text(value: Any) -> str:
    """A JSON scalar as text; containers (a malformed report) count as absent."""
    if value is None or isinstance(value, (dict, list)):
        return ""
    return value if isinstance(value, str) else str(value)


class PlaywrightJsonIngestor(TestReportIngestor):
    name = "playwright-json"
    description = "Playwright JSON reporter (suites, specs, per-project tests, retries)"

    def sniff(self, head: Head) -> float:
        """1.0 for a document with ``config`` and ``suites``; 0.95 by its first keys."""
        doc = head.document
        if isinstance(doc, dict):
            suites, config = doc.get("suites"), doc.get("config")
            if isinstance(suites, list) and isinstance(config, dict):
                return 1.0
            return 0.0
        text = head.text[:HEAD_SCAN]
        if not text.lstrip().startswith("{"):
            return 0.0
        if all(p.search(text) for p in _HEAD_KEYS) and _HEAD_PLAYWRIGHT.search(text):
            return 0.95
        return 0.0

    def parse(self, source: SourceFile, ctx: ParseContext) -> list[TestResult]:
        """One ``TestResult`` per (spec, project), plus one per run-level error.

        In: the report. Out: results in document order; with several projects
        each suite is suffixed `` [project]``. Raises ``UnreadableSource`` when
        the file is not JSON or has no ``suites`` list.
        """
        try:
            doc = orjson.loads(source.read_bytes())
        except orjson.JSONDecodeError as exc:
            raise UnreadableSource("error", f"not valid JSON: {exc}") from None
        if not isinstance(doc, dict) or not isinstance(doc.get("suites"), list):
            raise UnreadableSource("error", "not a Playwright JSON report: no 'suites' list")
        config = doc.get("config") if isinstance(doc.get("config"), dict) else {}
        tag_projects = len(_project_names(config, doc["suites"])) > 1
        results: list[TestResult] = []
        for suite in doc["suites"]:
            if isinstance(suite, dict):
                # A file suite's title is the file path; describe suites add titles.
                file = as_text(suite.get("file")) or as_text(suite.get("title"))
                _walk(suite, [file] if file else [], file, tag_projects, results, ctx)
            else:
                ctx.skip(None, "a top-level suite that is not an object was ignored")
        results.extend(_run_errors(doc.get("errors")))
        return results


def _project_names(config: dict[str, Any], suites: list[Any]) -> set[str]:
    names = {as_text(p.get("name")) for p in as_list(config.get("projects")) if isinstance(p, dict)}
    stack = list(suites)
    while stack:
        suite = stack.pop()
        if not isinstance(suite, dict):
            continue
        stack.extend(as_list(suite.get("suites")))
        for spec in as_list(suite.get("specs")):
            for test in as_list(spec.get("tests")) if isinstance(spec, dict) else []:
                if isinstance(test, dict):
                    names.add(as_text(test.get("projectName")))
    names.discard("")
    return names


def _walk(suite: dict[str, Any], path: list[str], file: str, tag_projects: bool,
          results: list[TestResult], ctx: ParseContext) -> None:
    """Add the tests of ``suite`` (whose title path is ``path``) and its children."""
    # Report line numbers are unknown after JSON parsing (skip(None, ...)); the
    # reasons name the spec's own file:line instead.
    for spec in as_list(suite.get("specs")):
        if not isinstance(spec, dict) or not as_text(spec.get("title")):
            where = f"{file}:{to_int(spec.get('line'))}" if isinstance(spec, dict) else file
            ctx.skip(None, f"a spec without a title ({where}) was ignored")
            continue
        for test in as_list(spec.get("tests")):
            if not isinstance(test, dict):
                ctx.skip(None, f"a test of spec {spec['title']!r} is not an object")
                continue
            try:
                results.append(_test_result(spec, test, path, file, tag_projects))
            except (TypeError, ValueError, AttributeError, KeyError) as exc:
                ctx.skip(None, f"spec {spec['title']!r} has an unreadable test: {type(exc).__name__}: {exc}")
    if len(path) > _MAX_DEPTH:
        ctx.skip(None, f"describe blocks nested deeper than {_MAX_DEPTH} levels ignored")
        return
    for child in as_list(suite.get("suites")):
        if isinstance(child, dict):
            title = as_text(child.get("title"))
            _walk(child, path + [title] if title else path, file or as_text(child.get("file")),
                  tag_projects, results, ctx)


def _test_result(spec: dict[str, Any], test: dict[str, Any], path: list[str], file: str,
                 tag_projects: bool) -> TestResult:
    project = as_text(test.get("projectName"))
    suite = _SEPARATOR.join(path)
    if tag_projects and project:
        suite = f"{suite} [{project}]"
    runs = [r for r in as_list(test.get("results")) if isinstance(r, dict)]
    runs.sort(key=lambda r: to_int(r.get("retry")) or 0)
    expected = as_text(test.get("expectedStatus")) or "passed"
    statuses = [_attempt_status(as_text(r.get("status")), expected).value for r in runs]
    status = _final_status(as_text(test.get("status")), statuses)
    result = TestResult(
        name=as_text(spec["title"]),
        suite=suite,
        status=status,
        attempts=max(len(runs), 1),
        attempt_statuses=statuses or [status.value],
        file=as_text(spec.get("file")) or file,
        line=to_int(spec.get("line")),
        properties=_properties(spec, test, project),
    )
    result.passed_on_retry = status is TestStatus.PASSED and any(s in _BROKEN for s in statuses[:-1])
    _fill_from_runs(result, runs, statuses)
    return result


def _attempt_status(raw: str, expected: str) -> TestStatus:
    status = _RESULT_STATUS.get(raw, TestStatus.FAILED)
    if expected == "failed" and raw in ("passed", "failed"):
        # test.fail(): a failing run is the expected outcome.
        return TestStatus.PASSED if raw == "failed" else TestStatus.FAILED
    return status


def _final_status(outcome: str, statuses: list[str]) -> TestStatus:
    """From the test's own verdict: expected, unexpected, flaky or skipped."""
    if outcome == "skipped":
        return TestStatus.SKIPPED
    if outcome in ("expected", "flaky"):
        return TestStatus.SKIPPED if statuses[-1:] == ["skipped"] else TestStatus.PASSED
    if outcome == "unexpected":
        return TestStatus.ERROR if statuses[-1:] == ["error"] else TestStatus.FAILED
    return TestStatus(statuses[-1]) if statuses else TestStatus.SKIPPED


def _fill_from_runs(result: TestResult, runs: list[dict[str, Any]], statuses: list[str]) -> None:
    """Times, output, errors and attachments of every attempt."""
    starts = [(parse_iso(as_text(r.get("startTime"))), (to_float(r.get("duration")) or 0.0) / 1000.0)
              for r in runs]
    known = [(s, d) for s, d in starts if s is not None]
    if known:
        result.started_at = known[0][0]
        result.duration_s = round(max(s + d for s, d in known) - known[0][0], 6)
    elif runs:
        result.duration_s = sum(d for _, d in starts)
    stacks, out, err = [], [], []
    for run, status in zip(runs, statuses):
        out.append(_stream(run.get("stdout")))
        err.append(_stream(run.get("stderr")))
        result.attachments.extend(_attachments(run.get("attachments")))
        if status not in _BROKEN:
            continue
        message, failure_type, stack = _run_error(run)
        result.message, result.failure_type = message, failure_type
        stacks.append(stack)
    result.stack = _join(dict.fromkeys(stacks))
    result.stdout, result.stderr = _join(out), _join(err)


def _run_error(run: dict[str, Any]) -> tuple[str, str, str]:
    """(message, failure type, stack) of one failed attempt."""
    errors = [e for e in as_list(run.get("errors")) if isinstance(e, dict)]
    error = run.get("error") if isinstance(run.get("error"), dict) else (errors[0] if errors else {})
    message = strip_ansi(as_text(error.get("message")) or as_text(error.get("value"))).strip()
    stack = strip_ansi(as_text(error.get("stack")) or as_text(error.get("message"))).strip()
    extra = [strip_ansi(as_text(e.get("message"))).strip() for e in errors[1:]]
    stack = _join([stack] + extra)
    match = _TYPE_AT_START.match(stack) or _TYPE_AT_START.match(message)
    failure_type = match.group(1) if match else ("timedOut" if run.get("status") == "timedOut" else "")
    if not message:
        message = "Test timeout exceeded" if run.get("status") == "timedOut" else stack.split("\n", 1)[0]
    return message, failure_type, stack


def _stream(chunks: Any) -> str:
    """A stdout/stderr array of ``{"text"}`` or ``{"buffer": base64}`` chunks."""
    if not isinstance(chunks, list):
        return ""
    parts = []
    for chunk in chunks:
        if isinstance(chunk, str):
            parts.append(chunk)
        elif isinstance(chunk, dict):
            if "text" in chunk:
                parts.append(as_text(chunk["text"]))
            elif chunk.get("buffer"):
                parts.append(_b64_text(as_text(chunk["buffer"])) or "")
    return strip_ansi("".join(parts)).strip()


def _attachments(items: Any) -> list[Attachment]:
    found = []
    for item in items if isinstance(items, list) else []:
        if not isinstance(item, dict):
            continue
        content_type = as_text(item.get("contentType"))
        body = None
        # Text bodies carry evidence (console logs, request ids); binary ones do not.
        if item.get("body") and content_type.startswith(_TEXT_TYPES):
            body = _b64_text(as_text(item["body"]))
        found.append(Attachment(name=as_text(item.get("name")), content_type=content_type or None,
                                path=as_text(item.get("path")) or None, body=body))
    return found


def _b64_text(value: str) -> str | None:
    try:
        raw = base64.b64decode(value[: _MAX_BODY * 2], validate=False)
    except (binascii.Error, ValueError):
        return None
    return raw[:_MAX_BODY].decode("utf-8", errors="replace")


def _properties(spec: dict[str, Any], test: dict[str, Any], project: str) -> dict[str, str]:
    props: dict[str, str] = {}
    if project:
        props["project"] = project
    for note in as_list(test.get("annotations")):
        if isinstance(note, dict) and as_text(note.get("type")):
            props[as_text(note["type"])] = as_text(note.get("description"))
    tags = as_list(spec.get("tags"))
    if tags:
        props["tags"] = " ".join(str(t) for t in tags)
    return props


def _run_errors(errors: Any) -> list[TestResult]:
    """Errors outside any test (global setup, a spec that fails to load).

    They turn a run red without a failing test, so each becomes an ``error``
    result named ``global error`` under the file it points at.
    """
    found = []
    for error in as_list(errors):
        if not isinstance(error, dict):
            continue
        location = error.get("location") if isinstance(error.get("location"), dict) else {}
        stack = strip_ansi(as_text(error.get("stack")) or as_text(error.get("message"))).strip()
        message = strip_ansi(as_text(error.get("message"))).strip() or stack.split("\n", 1)[0]
        match = _TYPE_AT_START.match(stack)
        found.append(TestResult(
            name="global error" if not found else f"global error #{len(found) + 1}",
            suite=as_text(location.get("file")) or "playwright", status=TestStatus.ERROR,
            message=message, failure_type=match.group(1) if match else "", stack=stack,
            file=as_text(location.get("file")), line=to_int(location.get("line")),
            attempt_statuses=[TestStatus.ERROR.value],
        ))
    return found


def _join(parts: Any) -> str:
    return "\n".join(p for p in parts if p)


"""Mochawesome JSON (mocha and Cypress, also ``mochawesome-merge`` output).

``{stats, results: [root suites], meta}``; a root suite is one spec file with
nested ``suites`` of describe blocks, each with ``tests``. Mochawesome keeps
no per-test start time and no retries, so ``started_at`` stays empty and
every test has one attempt.
"""
from __future__ import annotations

import re
from typing import Any

import orjson

from triage.ingest.base import Head, ParseContext, SourceFile, TestReportIngestor, UnreadableSource
from triage.ingest.playwright import as_list, as_text, strip_ansi
from triage.model import Attachment, TestResult, TestStatus

_SEPARATOR = " › "
_MAX_DEPTH = 100
_TYPE_AT_START = re.compile(r"^\s*((?:[A-Za-z_$][\w$.]*)?(?:Error|Exception))(?=:)")
_HEAD_KEYS = (re.compile(r'"stats"\s*:\s*\{'), re.compile(r'"results"\s*:\s*\['))
_HEAD_MOCHAWESOME = re.compile(r'"(?:passPercent|testsRegistered|fullTitle|rootEmpty)"\s*:')
_STATE = {
    "passed": TestStatus.PASSED, "failed": TestStatus.FAILED,
    "pending": TestStatus.SKIPPED, "skipped": TestStatus.SKIPPED,
}


class MochawesomeJsonIngestor(TestReportIngestor):
    name = "mochawesome-json"
    description = "mochawesome JSON from mocha or Cypress (stats, results, nested suites)"

    def sniff(self, head: Head) -> float:
        """1.0 for ``stats`` plus ``results`` suites; 0.95 by its first keys."""
        doc = head.document
        if isinstance(doc, dict):
            stats = doc.get("stats")
            roots = _roots(doc)
            if isinstance(stats, dict) and roots is not None and "tests" in stats:
                return 1.0
            return 0.0
        text = head.text[:16384]
        if text.lstrip().startswith("{") and all(p.search(text) for p in _HEAD_KEYS) \
                and _HEAD_MOCHAWESOME.search(text):
            return 0.95
        return 0.0

    def parse(self, source: SourceFile, ctx: ParseContext) -> list[TestResult]:
        """One ``TestResult`` per test (failed hooks included, as errors).

        In: the report. Out: results in document order, the suite being the
        spec file and describe titles joined with `` › ``. Raises
        ``UnreadableSource`` when the file is not JSON or has no suites.
        """
        try:
            doc = orjson.loads(source.read_bytes())
        except orjson.JSONDecodeError as exc:
            raise UnreadableSource("error", f"not valid JSON: {exc}") from None
        roots = _roots(doc) if isinstance(doc, dict) else None
        if roots is None:
            raise UnreadableSource("error", "not a mochawesome report: no 'results' suites")
        results: list[TestResult] = []
        for root in roots:
            if isinstance(root, dict):
                _walk(root, [], as_text(root.get("file")), results, ctx, 0)
            else:
                ctx.skip(None, "a result that is not an object was ignored")
        return results


def _roots(doc: dict[str, Any]) -> list[Any] | None:
    """Root suites: ``results`` (mochawesome >= 4) or ``suites`` (mochawesome 3)."""
    results = doc.get("results")
    if isinstance(results, list):
        return results
    suites = doc.get("suites")
    return [suites] if isinstance(suites, dict) and "tests" in suites else None


def _walk(suite: dict[str, Any], titles: list[str], file: str, results: list[TestResult],
          ctx: ParseContext, depth: int) -> None:
    file = as_text(suite.get("file")) or file
    # A root suite's title is not a describe block: mocha leaves it out of fullTitle.
    title = "" if suite.get("root") is True else as_text(suite.get("title"))
    path = titles + [title] if title else titles
    suite_name = _SEPARATOR.join(([file] if file else []) + path)
    for test in as_list(suite.get("tests")):
        if not isinstance(test, dict) or not as_text(test.get("title")):
            ctx.skip(None, f"a test without a title in suite {suite_name!r} was ignored")
            continue
        try:
            results.append(_test_result(test, suite_name, file))
        except (TypeError, ValueError, AttributeError, KeyError) as exc:
            ctx.skip(None, f"test {test['title']!r} is unreadable: {type(exc).__name__}: {exc}")
    if depth >= _MAX_DEPTH:
        ctx.skip(None, f"suites nested deeper than {_MAX_DEPTH} levels ignored")
        return
    for child in as_list(suite.get("suites")):
        if isinstance(child, dict):
            _walk(child, path, file, results, ctx, depth + 1)


def _test_result(test: dict[str, Any], suite: str, file: str) -> TestResult:
    state = as_text(test.get("state"))
    if not state:  # mochawesome 3 has flags only
        state = "passed" if test.get("pass") is True else "failed" if test.get("fail") is True else "pending"
    status = _STATE.get(state, TestStatus.FAILED)
    if status is TestStatus.FAILED and test.get("isHook") is True:
        status = TestStatus.ERROR  # a failed before/after hook broke the test, it did not assert
    err = test.get("err") if isinstance(test.get("err"), dict) else {}
    message = strip_ansi(as_text(err.get("message"))).strip()
    stack = strip_ansi(as_text(err.get("estack")) or as_text(err.get("stack"))).strip()
    diff = strip_ansi(as_text(err.get("diff"))).strip()
    if diff:
        stack = "\n".join(p for p in (stack, diff) if p)
    match = _TYPE_AT_START.match(message) or _TYPE_AT_START.match(stack)
    failure_type = match.group(1) if match else ("timeout" if test.get("timedOut") is True else "")
    duration = test.get("duration")
    return TestResult(
        name=as_text(test["title"]),
        suite=suite,
        status=status,
        duration_s=duration / 1000.0 if isinstance(duration, (int, float)) and not isinstance(duration, bool)
        else None,
        message=message,
        failure_type=failure_type,
        stack=stack,
        attachments=_context(test.get("context")),
        file=file,
        attempt_statuses=[status.value],
    )


def _context(raw: Any) -> list[Attachment]:
    """``addContext`` values: a JSON string of text, URLs or ``{title, value}``."""
    if not raw:
        return []
    value = raw
    if isinstance(raw, str):
        try:
            value = orjson.loads(raw)
        except orjson.JSONDecodeError:
            value = raw
    items = value if isinstance(value, list) else [value]
    found = []
    for item in items:
        title, content = ("context", item)
        if isinstance(item, dict):
            title, content = as_text(item.get("title")) or "context", item.get("value")
        text = content if isinstance(content, str) else orjson.dumps(content).decode()
        looks_like_path = isinstance(content, str) and "\n" not in content and (
            "://" in content or content.rsplit(".", 1)[-1].lower() in ("png", "jpg", "jpeg", "mp4", "webm"))
        found.append(Attachment(name=title, path=text if looks_like_path else None,
                                body=None if looks_like_path else text))
    return found

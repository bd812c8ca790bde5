"""JUnit XML test reports, as every common runner writes them.

pytest (``--junitxml``, xunit1/xunit2, one-line documents), Maven Surefire
(``flakyFailure``/``flakyError``, ``rerunFailure``/``rerunError``), TestNG,
jest-junit, Playwright's junit reporter, go-junit-report/gotestsum,
mocha/Cypress (mocha-junit-reporter and mocha's xunit), Bazel and googletest.

Retries come in two shapes and both are folded into one ``TestResult``:
Surefire nests the earlier runs inside the testcase, while pytest-rerunfailures
and TestNG's retry analyzer repeat the ``<testcase>`` (same classname and name).
"""
from __future__ import annotations

import mimetypes
import posixpath
import re
from dataclasses import dataclass, field
from email.utils import parsedate_to_datetime
from functools import lru_cache
from typing import Any, Iterable
from xml.etree.ElementTree import Element, TreeBuilder

import defusedxml.ElementTree as SafeET
from defusedxml.common import DefusedXmlException

from triage.ingest.base import Head, ParseContext, SourceFile, TestReportIngestor, UnreadableSource, to_int
from triage.ingest.timeparse import parse_any
from triage.model import Attachment, TestResult, TestStatus

# Root element after an optional BOM, XML declaration, comments, doctype and
# namespace prefix; anything else is not a JUnit report.
_ROOT = re.compile(
    r"\s*(?:<\?xml[^>]*\?>\s*)?(?:(?:<!--.*?-->|<\?[^>]*\?>)\s*)*"
    r"(?:<!DOCTYPE[^\[>]*(?:\[.*?\])?\s*>\s*)?(?:<!--.*?-->\s*)*"
    r"<(?:[\w.-]+:)?testsuites?[\s>/]",
    re.DOTALL,
)
_ATTACHMENT = re.compile(r"\[\[ATTACHMENT\|([^\]\r\n]+)\]\]")
# Playwright's junit reporter describes each attachment in the failure body:
# "attachment #1: screenshot (image/png) ----" followed by the file path.
_ATTACHMENT_BLOCK = re.compile(
    r"attachment #\d+: ([^\n(]+?) \(([\w.+-]+/[\w.+-]+)\)[^\n]*\n\s*([^\n]+)")
_TYPE_IN_TEXT = re.compile(r"^\s*((?:[A-Za-z_$][\w$.]*)?(?:Error|Exception|Failure|Fault))(?=:)")
# pytest's traceback: "E   AssertionError: ..." lines, then "path.py:12: AssertionError".
_PYTEST_E_LINE = re.compile(r"^\s*E\s+([A-Za-z_][\w.]*(?:Error|Exception))(?=:|\s*$)", re.MULTILINE)
_PYTEST_LAST_LINE = re.compile(r":\d+: ([A-Za-z_][\w.]*)\s*$")
_ANSI_BYTES = re.compile(rb"(?:\x1b|&#0*27;|&#[xX]0*1[bB];)\[[0-9;?]*[A-Za-z]")
# Characters XML 1.0 forbids, raw or as references; runners write them anyway.
_BAD_CHARS = re.compile(
    rb"[\x00-\x08\x0b\x0c\x0e-\x1f]"
    rb"|&#(?:[xX]0*(?:[0-8bBcCeEfF]|1[0-9a-fA-F])|0*(?:[0-8]|1[124-9]|2[0-9]|3[01]));")
_EXPAT_BAD_TOKEN = (4, 14)  # "not well-formed (invalid token)", "reference to invalid character"
_MAX_DEPTH = 200
# SourceFile hands over UTF-16 files re-encoded as UTF-8; their declaration must follow.
_UTF16_DECLARATION = re.compile(rb"""^(\s*<\?xml[^>]*?encoding\s*=\s*["'])utf-?16(?:-?[lb]e)?""", re.IGNORECASE)

_FAILED_TAGS = {"failure": TestStatus.FAILED, "error": TestStatus.ERROR}
_RETRY_TAGS = {
    "flakyFailure": TestStatus.FAILED, "flakyError": TestStatus.ERROR,
    "rerunFailure": TestStatus.FAILED, "rerunError": TestStatus.ERROR,
}
_NOT_RUN = {"notrun", "skipped", "disabled", "suppressed"}
_BROKEN = (TestStatus.FAILED.value, TestStatus.ERROR.value)


class JUnitXmlIngestor(TestReportIngestor):
    name = "junit-xml"
    description = "JUnit XML (pytest, Surefire, TestNG, jest, Playwright, Go, mocha, Bazel)"

    def sniff(self, head: Head) -> float:
        """1.0 when the document's root element is <testsuites> or <testsuite>."""
        return 1.0 if _ROOT.match(head.text, 0, 8192) else 0.0

    def parse(self, source: SourceFile, ctx: ParseContext) -> list[TestResult]:
        """Every testcase of the report, retries folded.

        In: the report file. Out: one ``TestResult`` per test, in document order.
        Raises ``UnreadableSource("error", ...)`` for malformed XML, for DTD
        entity tricks (refused by defusedxml) and for a root that is not a suite.
        """
        root, lines = _load(_declared_utf8(source.read_bytes()))
        tag = _local(root.tag)
        if tag not in ("testsuites", "testsuite"):
            raise UnreadableSource("error", f"root element is <{tag}>, not <testsuites> or <testsuite>")
        reader = _Reader(ctx, lines)
        reader.suite(root, _SuiteInfo(), 0)
        return _disambiguate_runners(reader.results)


# --------------------------------------------------------------------------- XML loading

class _LineBuilder(TreeBuilder):
    """A tree builder that remembers the line each <testcase> starts on."""

    def __init__(self) -> None:
        super().__init__()
        self.lines: dict[Element, int] = {}
        self.expat: Any = None

    def start(self, tag: str, attrs: dict[str, str]) -> Element:  # type: ignore[override]
        element = super().start(tag, attrs)
        if tag.endswith("testcase") and self.expat is not None:
            self.lines[element] = self.expat.CurrentLineNumber
        return element


def _declared_utf8(data: bytes) -> bytes:
    return _UTF16_DECLARATION.sub(rb"\1UTF-8", data, count=1)


def _parse_bytes(data: bytes) -> tuple[Element, dict[Element, int]]:
    builder = _LineBuilder()
    parser = SafeET.XMLParser(target=builder)
    builder.expat = parser.parser
    parser.feed(data)
    return parser.close(), builder.lines


def _load(data: bytes) -> tuple[Element, dict[Element, int]]:
    if not data.strip():
        raise UnreadableSource("empty", "the report is empty")
    try:
        try:
            return _parse_bytes(data)
        except SafeET.ParseError as exc:
            # Control characters (ANSI colours from jest or Playwright output) are
            # invalid XML; strip them and try once more before giving up.
            if exc.code not in _EXPAT_BAD_TOKEN or data[:2] in (b"\xff\xfe", b"\xfe\xff"):
                raise
            cleaned = _BAD_CHARS.sub(b"", _ANSI_BYTES.sub(b"", data))
            if cleaned == data:
                raise
            try:
                return _parse_bytes(cleaned)
            except SafeET.ParseError:
                raise exc from None
    except DefusedXmlException as exc:
        raise UnreadableSource(
            "error", f"refused: the XML declares entities or external references "
                     f"({type(exc).__name__}: {exc}), which test reports never need and "
                     f"entity-expansion attacks use") from None
    except SafeET.ParseError as exc:
        line = exc.position[0] if getattr(exc, "position", None) else "?"
        reason = str(exc).split(": line", 1)[0]
        raise UnreadableSource("error", f"malformed XML at line {line}: {reason}") from None
    except (ValueError, LookupError) as exc:  # expat: "multi-byte encodings are not supported" (UTF-7)
        raise UnreadableSource("error", f"cannot read the XML's declared encoding: {exc}") from None


def _local(tag: Any) -> str:
    """Tag name without a namespace (``{ns}testsuite`` -> ``testsuite``)."""
    return tag.rsplit("}", 1)[-1] if isinstance(tag, str) else ""


def _text(element: Element) -> str:
    return "".join(element.itertext()).strip()


# --------------------------------------------------------------------------- walking suites

@dataclass
class _SuiteInfo:
    """What a testcase inherits from its enclosing <testsuite> elements."""

    name: str = ""
    started_at: float | None = None
    runner: str | None = None
    file: str = ""


@dataclass
class _Reader:
    ctx: ParseContext
    lines: dict[Element, int]
    results: list[TestResult] = field(default_factory=list)
    # (suite, name, runner) -> index of the latest result with that key
    latest: dict[tuple[str, str, str | None], int] = field(default_factory=dict)

    def suite(self, element: Element, parent: _SuiteInfo, depth: int) -> None:
        """Read one <testsuite>/<testsuites> and everything nested in it."""
        if depth > _MAX_DEPTH:
            self.ctx.skip(None, f"testsuites nested deeper than {_MAX_DEPTH} levels ignored")
            return
        info = _suite_info(element, parent)
        out: list[str] = []
        err: list[str] = []
        own: dict[int, TestResult] = {}
        for child in element:
            tag = _local(child.tag)
            if tag == "testcase":
                result = self.testcase(child, info)
                if result is not None:
                    own[id(result)] = result
            elif tag in ("testsuite", "testsuites"):
                self.suite(child, info, depth + 1)
            elif tag == "system-out":
                out.append(_text(child))
            elif tag == "system-err":
                err.append(_text(child))
        # Suite-level output (go-junit-report, Bazel's test.log) explains the
        # failures of that suite, so failed tests carry it; passing ones need not.
        suite_out, suite_err = _join(out), _join(err)
        if suite_out or suite_err:
            for result in own.values():
                if result.status.value in _BROKEN:
                    result.stdout = _join([result.stdout, suite_out])
                    result.stderr = _join([result.stderr, suite_err])

    def testcase(self, element: Element, info: _SuiteInfo) -> TestResult | None:
        """Add one <testcase>, folded into an earlier failed run of the same test."""
        name = element.get("name")
        if not name:
            self.ctx.skip(self.lines.get(element), "<testcase> without a name attribute ignored")
            return None
        result = _read_testcase(element, name, info)
        key = (result.suite, result.name, result.runner)
        index = self.latest.get(key)
        # A rerun only follows a run that did not pass; a repeat after a pass is
        # a different test that happens to share the name, so it stays separate.
        if index is not None and self.results[index].status is not TestStatus.PASSED:
            fold_attempt(self.results[index], result)
            return self.results[index]
        self.latest[key] = len(self.results)
        self.results.append(result)
        return result


def _suite_info(element: Element, parent: _SuiteInfo) -> _SuiteInfo:
    if _local(element.tag) == "testsuites":
        return parent
    properties = _properties(element)
    return _SuiteInfo(
        name=element.get("name") or parent.name,
        started_at=_timestamp(element.get("timestamp") or "") or parent.started_at,
        runner=element.get("hostname") or properties.get("hostname") or parent.runner,
        file=element.get("file") or element.get("filepath") or parent.file,
    )


@lru_cache(maxsize=1024)
def _timestamp(value: str) -> float | None:
    """Suite and testcase timestamps: ISO 8601 (zone or not), epoch, RFC 1123."""
    value = value.strip()
    if not value:
        return None
    ts = parse_any(value)
    if ts is None and value[:1].isalpha():  # mocha xunit: "Sat, 03 Dec 2022 23:10:07 GMT"
        try:
            ts = parsedate_to_datetime(value).timestamp()
        except (TypeError, ValueError, IndexError, OverflowError):
            return None
    return ts if ts is None or ts > 0 else None


def _properties(element: Element) -> dict[str, str]:
    found: dict[str, str] = {}
    for child in element:
        if _local(child.tag) != "properties":
            continue
        for prop in child:
            name = prop.get("name")
            if _local(prop.tag) == "property" and name:
                value = prop.get("value")
                found[name] = value if value is not None else _text(prop)
    return found


# --------------------------------------------------------------------------- one testcase

@dataclass
class _Outcome:
    """One run of a test as written in the report."""

    status: TestStatus
    message: str = ""
    failure_type: str = ""
    stack: str = ""
    stdout: str = ""
    stderr: str = ""


def _read_testcase(element: Element, name: str, info: _SuiteInfo) -> TestResult:
    main: list[_Outcome] = []
    retries: list[tuple[str, _Outcome]] = []
    out, err, stacks = [], [], []
    for child in element:
        tag = _local(child.tag)
        if tag in _FAILED_TAGS or tag == "skipped":
            status = _FAILED_TAGS.get(tag, TestStatus.SKIPPED)
            main.append(_outcome(child, status))
            if status is not TestStatus.SKIPPED:
                stacks.append(main[-1].stack)
        elif tag in _RETRY_TAGS:
            retries.append((tag, _retry_outcome(child, _RETRY_TAGS[tag])))
        elif tag == "system-out":
            out.append(_text(child))
        elif tag == "system-err":
            err.append(_text(child))
    decisive = _decisive(main, element)
    statuses, message_from = _attempts(decisive, retries)
    properties = _properties(element)
    result = TestResult(
        name=name,
        suite=element.get("classname") or info.name,
        status=decisive.status,
        attempts=len(statuses),
        started_at=_timestamp(element.get("timestamp") or "") or info.started_at,
        duration_s=_seconds(element.get("time")),
        message=message_from.message,
        failure_type=message_from.failure_type,
        stack=_join(stacks + [r.stack for _, r in retries], distinct=True),
        stdout=_join(out + [r.stdout for _, r in retries]),
        stderr=_join(err + [r.stderr for _, r in retries]),
        properties=properties,
        runner=properties.get("hostname") or info.runner,
        file=element.get("file") or info.file,
        line=to_int(element.get("line")),
        attempt_statuses=statuses,
    )
    result.passed_on_retry = _passed_on_retry(result)
    result.attachments = _attachments(result.stdout, result.stack)
    return result


def _decisive(main: list[_Outcome], element: Element) -> _Outcome:
    """The outcome that sets the status: error, then failure, then skipped."""
    for status in (TestStatus.ERROR, TestStatus.FAILED, TestStatus.SKIPPED):
        for outcome in main:
            if outcome.status is status:
                return outcome
    state = (element.get("status") or element.get("result") or "").lower()
    return _Outcome(TestStatus.SKIPPED if state in _NOT_RUN else TestStatus.PASSED)


def _attempts(decisive: _Outcome, retries: list[tuple[str, _Outcome]]) -> tuple[list[str], _Outcome]:
    """Per-run statuses, oldest first, and the run whose message the test shows.

    Surefire writes ``flaky*`` for the failed runs before a final pass and
    ``rerun*`` for the runs after a first failure that never passed.
    """
    flaky = [o for tag, o in retries if tag.startswith("flaky")]
    rerun = [o for tag, o in retries if tag.startswith("rerun")]
    statuses = [o.status.value for o in flaky] + [decisive.status.value] + [o.status.value for o in rerun]
    message_from = decisive
    if decisive.status is TestStatus.PASSED and flaky:
        message_from = flaky[-1]
    return statuses, message_from


def _outcome(element: Element, status: TestStatus) -> _Outcome:
    body = _text(element)
    message = (element.get("message") or "").strip() or _first_line(body)
    return _Outcome(status, message, element.get("type") or _type_of(message, body), body)


def _retry_outcome(element: Element, status: TestStatus) -> _Outcome:
    parts: dict[str, str] = {}
    for child in element:
        parts[_local(child.tag)] = _text(child)
    stack = parts.get("stackTrace") or (element.text or "").strip()
    message = (element.get("message") or "").strip() or _first_line(stack)
    return _Outcome(status, message, element.get("type") or _type_of(message, stack), stack,
                    parts.get("system-out", ""), parts.get("system-err", ""))


def _passed_on_retry(result: TestResult) -> bool:
    return (result.status is TestStatus.PASSED
            and any(s in _BROKEN for s in result.attempt_statuses[:-1]))


# --------------------------------------------------------------------------- folding retries

def fold_attempt(first: TestResult, later: TestResult) -> None:
    """Fold ``later`` (a rerun of the same test) into ``first``, in place.

    The status is the later run's; the message stays the latest failure's, so a
    test that passed on retry still says why it failed before. Output and
    stacks of every run are kept, as request ids may sit in any of them.
    """
    first.attempts += later.attempts
    first.attempt_statuses = first.attempt_statuses + later.attempt_statuses
    first.status = later.status
    if later.message or later.status is not TestStatus.PASSED:
        first.message, first.failure_type = later.message, later.failure_type
    first.stack = _join([first.stack, later.stack], distinct=True)
    first.stdout = _join([first.stdout, later.stdout])
    first.stderr = _join([first.stderr, later.stderr])
    first.attachments = first.attachments + later.attachments
    first.properties = {**first.properties, **later.properties}
    if first.duration_s is not None or later.duration_s is not None:
        first.duration_s = (first.duration_s or 0.0) + (later.duration_s or 0.0)
    if first.started_at is None:
        first.started_at = later.started_at
    first.file = first.file or later.file
    first.line = first.line if first.line is not None else later.line
    first.passed_on_retry = (first.status is TestStatus.PASSED
                             and any(s in _BROKEN for s in first.attempt_statuses[:-1]))


def _disambiguate_runners(results: list[TestResult]) -> list[TestResult]:
    """Suffix the suite with `` [runner]`` where one test ran on several runners.

    Playwright's junit reporter writes each project as its own testsuite with
    the project in ``hostname``; without the suffix two projects' runs of one
    test would share a key.
    """
    runners: dict[tuple[str, str], set[str | None]] = {}
    for result in results:
        runners.setdefault(result.key, set()).add(result.runner)
    for result in results:
        if result.runner and len(runners[result.key]) > 1:
            result.suite = f"{result.suite} [{result.runner}]"
    return results


# --------------------------------------------------------------------------- small helpers

def _attachments(stdout: str, stack: str) -> list[Attachment]:
    """``[[ATTACHMENT|path]]`` lines, named and typed from Playwright's blocks."""
    if "[[ATTACHMENT|" not in stdout:
        return []
    blocks = [(m.group(1).strip(), m.group(2), m.group(3).strip())
              for m in _ATTACHMENT_BLOCK.finditer(stack)]
    found = []
    for path in dict.fromkeys(m.group(1).strip() for m in _ATTACHMENT.finditer(stdout)):
        name, content_type = posixpath.basename(path.replace("\\", "/")), None
        for block_name, block_type, block_path in blocks:
            if block_path.endswith(path) or path.endswith(block_path):
                name, content_type = block_name, block_type
                break
        found.append(Attachment(name=name, content_type=content_type or mimetypes.guess_type(path)[0],
                                path=path))
    return found


def _seconds(value: str | None) -> float | None:
    if not value:
        return None
    try:
        return float(value)
    except ValueError:
        # Old Surefire on some locales writes "1,234.5" or "0,5".
        cleaned = value.replace(",", "." if value.count(",") == 1 and "." not in value else "")
        try:
            return float(cleaned)
        except ValueError:
            return None


def _first_line(text: str) -> str:
    for line in text.splitlines():
        if line.strip():
            return line.strip()
    return ""


def _type_of(message: str, body: str) -> str:
    """An exception class named by the message or body, else pytest's last line."""
    for text in (message, _first_line(body)):
        match = _TYPE_IN_TEXT.match(text)
        if match:
            return match.group(1)
    match = _PYTEST_LAST_LINE.search(body[-300:]) or _PYTEST_E_LINE.search(body)
    return match.group(1) if match else ""


def _join(parts: Iterable[str], distinct: bool = False) -> str:
    kept = [p for p in parts if p]
    if distinct:
        kept = list(dict.fromkeys(kept))
    return "\n".join(kept)

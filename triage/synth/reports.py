"""Test reports as the real runners write them.

Playwright's JSON reporter (1.48 shape, with ``stats``) and five JUnit XML
dialects: Maven Surefire/Failsafe, pytest, jest-junit, gotestsum and
mocha-junit-reporter (Cypress). Each takes ``Case`` records from the runner.
"""
from __future__ import annotations

import hashlib
import json
from typing import Any
from xml.sax.saxutils import escape

from triage.synth.runner import Attempt, Case
from triage.synth.world import iso_ms, slug

PW_ROOT = "/builds/shop/e2e"
_ATTR = {'"': "&quot;", "\n": "&#10;", "\t": "&#9;", "\r": "&#13;"}


def _hash(text: str) -> str:
    return hashlib.sha1(text.encode("utf-8")).hexdigest()[:20]


# ---------------------------------------------------------------- Playwright JSON

def _pw_error(case: Case, attempt: Attempt) -> dict[str, Any]:
    failure = attempt.failure
    assert failure is not None
    location = {"file": f"{PW_ROOT}/tests/{case.spec.path[0]}", "column": failure.column or 5,
                "line": failure.line or case.spec.line + 4}
    at = f"    at {location['file']}:{location['line']}:{location['column']}"
    stack = failure.stack or f"{failure.message}\n{at}"
    line = location["line"]
    snippet = (f"  {line - 1} |\n> {line} | {failure.code}\n     | {' ' * (location['column'] - 1)}^\n"
               f"  {line + 1} |")
    return {"message": failure.message, "stack": stack, "location": location, "snippet": snippet}


def _pw_attachments(case: Case, attempt: Attempt) -> list[dict[str, str]]:
    if attempt.failure is None:
        return []
    stem = case.spec.path[0].split(".")[0]
    folder = f"{stem}-{slug(' '.join(case.spec.path[1:]))}-{slug(case.spec.title)[:40]}-chromium"
    if attempt.retry:
        folder += f"-retry{attempt.retry}"
    out = [{"name": "screenshot", "contentType": "image/png",
            "path": f"{PW_ROOT}/test-results/{folder}/test-failed-1.png"}]
    if attempt.retry:
        out.append({"name": "trace", "contentType": "application/zip",
                    "path": f"{PW_ROOT}/test-results/{folder}/trace.zip"})
    return out


def _pw_spec(case: Case, worker: list[int]) -> dict[str, Any]:
    results = []
    for attempt in case.attempts:
        result: dict[str, Any] = {"workerIndex": worker[0], "parallelIndex": 0,
                                  "status": attempt.status, "duration": attempt.duration}
        if attempt.failure is not None:
            error = _pw_error(case, attempt)
            result["error"] = error
            result["errors"] = [{"location": error["location"],
                                 "message": f"{error['message']}\n\n{error['snippet']}"}]
            worker[0] += 1  # Playwright replaces a worker after a failure
        else:
            result["errors"] = []
        result["stdout"] = [{"text": text} for text in attempt.stdout]
        result["stderr"] = []
        result["retry"] = attempt.retry
        result["startTime"] = iso_ms(attempt.start)
        result["annotations"] = []
        result["attachments"] = _pw_attachments(case, attempt)
        if attempt.failure is not None:
            result["errorLocation"] = result["error"]["location"]
        results.append(result)
    file = case.spec.path[0]
    test = {"timeout": 30000, "annotations": [], "expectedStatus": "passed", "projectId": "chromium",
            "projectName": "chromium", "results": results, "status": case.outcome}
    return {"title": case.spec.title, "ok": case.outcome != "unexpected", "tags": [], "tests": [test],
            "id": f"{_hash(file)}-{_hash(file + case.spec.title)}", "file": file,
            "line": case.spec.line, "column": 3}


def playwright_json(cases: list[Case], *, start: int, end: int, retries: int, base_url: str) -> str:
    """The JSON reporter's document for one project (chromium), one worker at a time."""
    worker = [0]
    files: dict[str, dict[str, Any]] = {}
    for case in cases:
        file, describe = case.spec.path[0], case.spec.path[1]
        top = files.setdefault(file, {"title": file, "file": file, "column": 0, "line": 0,
                                      "specs": [], "suites": []})
        if not top["suites"] or top["suites"][-1]["title"] != describe:
            top["suites"].append({"title": describe, "file": file, "line": 3, "column": 6,
                                  "specs": []})
        top["suites"][-1]["specs"].append(_pw_spec(case, worker))
    counts = {"expected": 0, "unexpected": 0, "flaky": 0}
    for case in cases:
        counts[case.outcome] += 1
    doc = {"config": _pw_config(retries, base_url), "suites": list(files.values()), "errors": [],
           "stats": {"startTime": iso_ms(start), "duration": float(end - start),
                     "expected": counts["expected"], "skipped": 0,
                     "unexpected": counts["unexpected"], "flaky": counts["flaky"]}}
    return json.dumps(doc, indent=2, ensure_ascii=False) + "\n"


def _pw_config(retries: int, base_url: str) -> dict[str, Any]:
    project = {"outputDir": f"{PW_ROOT}/test-results", "repeatEach": 1, "retries": retries,
               "metadata": {"baseURL": base_url}, "id": "chromium", "name": "chromium",
               "testDir": f"{PW_ROOT}/tests", "testIgnore": [],
               "testMatch": ["**/*.@(spec|test).?(c|m)[jt]s?(x)"], "timeout": 30000}
    return {"configFile": f"{PW_ROOT}/playwright.config.ts", "rootDir": f"{PW_ROOT}/tests",
            "forbidOnly": True, "fullyParallel": False, "globalSetup": None, "globalTeardown": None,
            "globalTimeout": 0, "grep": {}, "grepInvert": None, "maxFailures": 0,
            "metadata": {"actualWorkers": 1}, "preserveOutput": "always",
            "reporter": [["list", None], ["json", {"outputFile": "test-results/report.json"}]],
            "reportSlowTests": {"max": 5, "threshold": 15000}, "quiet": False, "projects": [project],
            "shard": None, "updateSnapshots": "missing", "version": "1.48.2", "workers": 1,
            "webServer": None}


# ---------------------------------------------------------------- JUnit dialects

def _attr(value: str) -> str:
    return escape(value, _ATTR)


def _cdata(text: str) -> str:
    return "<![CDATA[" + text.replace("]]>", "]]]]><![CDATA[>") + "]]>"


def _seconds(ms: int, digits: int = 3) -> str:
    return f"{ms / 1000:.{digits}f}"


def _failures(cases: list[Case]) -> int:
    return sum(1 for c in cases if c.attempts[-1].failure is not None)


def surefire(classname: str, cases: list[Case]) -> str:
    """A Maven Failsafe/Surefire ``TEST-<class>.xml`` (3.x layout)."""
    total = sum(c.attempts[-1].duration for c in cases)
    out = ['<?xml version="1.0" encoding="UTF-8"?>',
           '<testsuite xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" '
           'xsi:noNamespaceSchemaLocation="https://maven.apache.org/surefire/maven-surefire-plugin/'
           f'xsd/surefire-test-report-3.0.xsd" version="3.0" name="{_attr(classname)}" '
           f'time="{_seconds(total)}" tests="{len(cases)}" errors="0" skipped="0" '
           f'failures="{_failures(cases)}">',
           "  <properties>",
           '    <property name="java.version" value="21.0.5"/>',
           '    <property name="java.vendor" value="Eclipse Adoptium"/>',
           '    <property name="os.name" value="Linux"/>',
           '    <property name="it.baseUri" value="https://api.canary.shop.example"/>',
           "  </properties>"]
    for case in cases:
        attempt = case.attempts[-1]
        head = (f'  <testcase name="{_attr(case.spec.title)}" classname="{_attr(classname)}" '
                f'time="{_seconds(attempt.duration)}"')
        if attempt.failure is None:
            out.append(head + "/>")
            continue
        f = attempt.failure
        out.append(head + ">")
        out.append(f'    <failure message="{_attr(f.message)}" type="{_attr(f.error_type)}">'
                   f"{_cdata(f.stack)}</failure>")
        out.append(f"    <system-out>{_cdata(''.join(attempt.stdout))}</system-out>")
        out.append("  </testcase>")
    out.append("</testsuite>")
    return "\n".join(out) + "\n"


def pytest_junit(cases: list[Case], *, hostname: str, start: int) -> str:
    """pytest ``--junitxml`` (one line, as pytest writes it), captured stdout included."""
    total = sum(a.duration for c in cases for a in c.attempts)
    parts = ['<?xml version="1.0" encoding="utf-8"?><testsuites>',
             f'<testsuite name="pytest" errors="0" failures="{_failures(cases)}" skipped="0" '
             f'tests="{len(cases)}" time="{_seconds(total)}" '
             f'timestamp="{iso_ms(start)[:-1]}{start % 997:03d}+00:00" hostname="{_attr(hostname)}">']
    for case in cases:
        attempt = case.attempts[-1]
        head = (f'<testcase classname="{_attr(case.spec.path[0])}" name="{_attr(case.spec.title)}" '
                f'time="{_seconds(attempt.duration)}"')
        if attempt.failure is None:
            parts.append(head + " />")
            continue
        f = attempt.failure
        captured = ("----------------------------- Captured stdout call -----------------------------\n"
                    + "".join(attempt.stdout))
        parts.append(f'{head}><failure message="{_attr(f.message)}">{escape(f.stack)}</failure>'
                     f"<system-out>{escape(captured)}</system-out></testcase>")
    parts.append("</testsuite></testsuites>")
    return "".join(parts)


def jest_junit(suite_file: str, cases: list[Case], *, start: int) -> str:
    """jest-junit with ``classNameTemplate: "{classname}"`` and ``titleTemplate: "{title}"``."""
    total = sum(c.attempts[-1].duration for c in cases)
    failures = _failures(cases)
    out = ['<?xml version="1.0" encoding="UTF-8"?>',
           f'<testsuites name="jest tests" tests="{len(cases)}" failures="{failures}" errors="0" '
           f'time="{_seconds(total)}">',
           f'  <testsuite name="{_attr(suite_file)}" errors="0" failures="{failures}" skipped="0" '
           f'timestamp="{iso_ms(start)[:19]}" time="{_seconds(total)}" tests="{len(cases)}">']
    for case in cases:
        attempt = case.attempts[-1]
        out.append(f'    <testcase classname="{_attr(case.spec.path[0])}" name="{_attr(case.spec.title)}" '
                   f'time="{_seconds(attempt.duration)}">')
        if attempt.failure is not None:
            out.append(f"      <failure>{escape(attempt.failure.stack)}</failure>")
        out.append("    </testcase>")
    out.append("  </testsuite>")
    out.append("</testsuites>")
    return "\n".join(out) + "\n"


def _go_escape(text: str) -> str:
    """encoding/xml EscapeText: quotes, tabs and newlines become character references."""
    return (escape(text, {'"': "&#34;", "'": "&#39;", "\n": "&#xA;", "\t": "&#x9;", "\r": "&#xD;"}))


def gotestsum(package: str, cases: list[Case], *, start: int) -> str:
    """gotestsum ``--junitfile`` output for one package."""
    total = sum(c.attempts[-1].duration for c in cases)
    failures = _failures(cases)
    out = ['<?xml version="1.0" encoding="UTF-8"?>',
           f'<testsuites tests="{len(cases)}" failures="{failures}" errors="0" time="{_seconds(total, 6)}">',
           f'\t<testsuite tests="{len(cases)}" failures="{failures}" time="{_seconds(total, 6)}" '
           f'name="{package}" timestamp="{iso_ms(start)[:19]}Z">',
           "\t\t<properties>",
           '\t\t\t<property name="go.version" value="go1.23.3 linux/amd64"></property>',
           "\t\t</properties>"]
    for case in cases:
        attempt = case.attempts[-1]
        head = (f'\t\t<testcase classname="{package}" name="{case.spec.title}" '
                f'time="{_seconds(attempt.duration, 6)}">')
        if attempt.failure is None:
            out.append(head + "</testcase>")
            continue
        out.append(head)
        out.append(f'\t\t\t<failure message="Failed" type="">{_go_escape(attempt.failure.stack)}</failure>')
        out.append("\t\t</testcase>")
    out.append("\t</testsuite>")
    out.append("</testsuites>")
    return "\n".join(out) + "\n"


def mocha_junit(suite: str, spec_file: str, cases: list[Case], *, start: int) -> str:
    """mocha-junit-reporter as Cypress runs it: name = full title, classname = title."""
    total = sum(c.attempts[-1].duration for c in cases)
    failures = _failures(cases)
    stamp = iso_ms(start)[:19]
    out = ['<?xml version="1.0" encoding="UTF-8"?>',
           f'<testsuites name="Mocha Tests" time="{_seconds(total, 4)}" tests="{len(cases)}" '
           f'failures="{failures}">',
           f'  <testsuite name="Root Suite" timestamp="{stamp}" tests="0" file="{spec_file}" '
           'time="0.0000" failures="0">',
           "  </testsuite>",
           f'  <testsuite name="{_attr(suite)}" timestamp="{stamp}" tests="{len(cases)}" '
           f'file="{spec_file}" time="{_seconds(total, 4)}" failures="{failures}">']
    for case in cases:
        attempt = case.attempts[-1]
        out.append(f'    <testcase name="{_attr(suite + " " + case.spec.title)}" '
                   f'time="{_seconds(attempt.duration, 4)}" classname="{_attr(case.spec.title)}">')
        if attempt.failure is not None:
            f = attempt.failure
            out.append(f'      <failure message="{_attr(f.message)}" type="{_attr(f.error_type)}">'
                       f"{_cdata(f.stack)}</failure>")
        out.append("    </testcase>")
    out.append("  </testsuite>")
    out.append("</testsuites>")
    return "\n".join(out) + "\n"

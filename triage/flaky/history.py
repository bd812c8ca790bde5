"""Test results of many builds in one DataFrame.

Only what flakiness needs is read: each build's ``build.json`` and its test
reports (recognised by content, like everywhere else). Log files are left alone
here; ``evidence.py`` reads them later, for the few builds a cluster needs.
A build whose report cannot be parsed, or that has none, is skipped and named
in a warning: half a build would look like tests that did not run.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from triage.classify.signature import signature
from triage.ingest import registry
from triage.ingest.base import Head, SourceFile
from triage.ingest.loader import ATTACHMENT_SUFFIXES, build_files, read_source
from triage.model import SourceKind, TestResult

# One row per test per build. ``status`` is the final outcome (passed, failed,
# error, skipped); ``passed_on_retry`` marks a pass after failed attempts.
RESULT_COLUMNS: tuple[str, ...] = (
    "build", "started_at", "commit", "env", "trigger", "key", "suite", "name", "status",
    "attempts", "passed_on_retry", "message", "failure_type", "signature", "test_started_at",
    "duration_s",
)
BUILD_COLUMNS: tuple[str, ...] = (
    "build", "order", "started_at", "finished_at", "commit", "env", "trigger", "changed_paths", "tests",
)


@dataclass
class History:
    """The results frame, one row per build in ``builds``, and what was skipped."""

    results: pd.DataFrame
    builds: pd.DataFrame
    skipped: list[dict[str, str]] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    @property
    def build_ids(self) -> list[str]:
        return list(self.builds["build"])


def result_key(suite: str, name: str) -> str:
    """``<suite>::<name>``: one test across builds (the key truth files use)."""
    return f"{suite}::{name}"


def read_metadata(folder: Path) -> dict[str, Any]:
    """``build.json`` of a build folder, or {} when it has none or it does not parse."""
    path = folder / "build.json"
    if not path.is_file():
        return {}
    result = read_source(path, "build.json")
    return result.document if isinstance(result.document, dict) else {}


def read_reports(folder: Path) -> tuple[list[TestResult], list[str]]:
    """Every test result in a build folder's reports, and why any report failed.

    Files are sniffed by content; only test reports are parsed.
    """
    tests: list[TestResult] = []
    problems: list[str] = []
    for path in build_files(folder):
        display = path.relative_to(folder).as_posix()
        if path.suffix.lower() in ATTACHMENT_SUFFIXES or display == "build.json":
            continue
        try:
            detection = registry.detect(Head.of(SourceFile(path=path, display=display)))
        except (OSError, EOFError) as exc:
            if _looks_like_report(display):
                problems.append(f"{display}: cannot read: {exc}")
            continue
        if detection.ingestor is None:
            if _looks_like_report(display):
                problems.append(f"{display}: {detection.reason}")
            continue
        if detection.ingestor.kind is not SourceKind.TESTS:
            continue
        result = read_source(path, display, ingestor=detection.ingestor)
        if result.info.status != "ok":
            problems.append(f"{display}: {result.info.reason or result.info.status}")
            continue
        tests.extend(result.tests)
    return tests, problems


REPORT_SUFFIXES = (".xml", ".xml.gz", ".json", ".json.gz")
REPORT_HINTS = ("report", "junit", "results", "surefire", "failsafe", "test")


def _looks_like_report(display: str) -> bool:
    """An unrecognised XML/JSON file in a report folder or named like a report:
    a report that is broken, not a log triage does not know."""
    lowered = display.lower()
    return lowered.endswith(REPORT_SUFFIXES) and any(hint in lowered for hint in REPORT_HINTS)


def load_history(data_dir: Path, build_ids: list[str]) -> History:
    """Load ``build_ids`` (in this order) from ``data_dir/builds``.

    Returns a ``History``; builds without a readable report are in ``skipped``
    and ``warnings``. Never raises for bad content.
    """
    rows: list[dict[str, Any]] = []
    metas: list[dict[str, Any]] = []
    skipped: list[dict[str, str]] = []
    for build in build_ids:
        folder = Path(data_dir) / "builds" / build
        meta = read_metadata(folder)
        tests, problems = read_reports(folder)
        if problems or not tests:
            reason = "; ".join(problems) if problems else "no test report (JUnit XML or Playwright JSON)"
            skipped.append({"build": build, "reason": reason})
            continue
        info = build_info(build, meta, len(tests))
        metas.append(info)
        rows.extend(result_row(info, test) for test in tests)
    builds = pd.DataFrame(metas, columns=list(BUILD_COLUMNS))
    builds["order"] = range(len(builds))
    results = pd.DataFrame(rows, columns=list(RESULT_COLUMNS))
    results["started_at"] = pd.to_datetime(results["started_at"], utc=True)
    builds["started_at"] = pd.to_datetime(builds["started_at"], utc=True)
    builds["finished_at"] = pd.to_datetime(builds["finished_at"], utc=True)
    warnings = [f"build {s['build']} skipped: {s['reason']}" for s in skipped]
    return History(results=results, builds=builds, skipped=skipped, warnings=warnings)


def build_info(build: str, meta: dict[str, Any], tests: int) -> dict[str, Any]:
    paths = meta.get("changed_paths")
    return {
        "build": build, "order": 0, "started_at": utc_time(meta.get("started_at")),
        "finished_at": utc_time(meta.get("finished_at")), "commit": _text(meta.get("commit")),
        "env": _text(meta.get("env")), "trigger": _text(meta.get("trigger")),
        "changed_paths": tuple(str(p) for p in paths) if isinstance(paths, list) else None,
        "tests": tests,
    }


def result_row(info: dict[str, Any], test: TestResult) -> dict[str, Any]:
    failed = test.failed
    message = test.message or (test.stack.splitlines()[0] if test.stack else "")
    return {
        "build": info["build"], "started_at": info["started_at"], "commit": info["commit"],
        "env": info["env"], "trigger": info["trigger"], "key": result_key(test.suite, test.name),
        "suite": test.suite, "name": test.name, "status": test.status.value,
        "attempts": int(test.attempts), "passed_on_retry": bool(test.passed_on_retry),
        "message": message if failed else "", "failure_type": test.failure_type if failed else "",
        "signature": signature(message, test.failure_type) if failed else None,
        "test_started_at": test.started_at if test.started_at is not None else math.nan,
        "duration_s": test.duration_s if test.duration_s is not None else math.nan,
    }


def utc_time(value: Any) -> pd.Timestamp | None:
    """``value`` (build.json's ``started_at`` and the like) as a UTC timestamp, or
    None when it is missing or not a time; a time without a zone counts as UTC."""
    if not value:
        return None
    try:
        stamp = pd.Timestamp(str(value))
    except (ValueError, TypeError):
        return None
    if pd.isna(stamp):
        return None
    return stamp.tz_convert("UTC") if stamp.tzinfo else stamp.tz_localize("UTC")


def _text(value: Any) -> str | None:
    return str(value) if value not in (None, "") else None

"""The JSON report, exactly CONTRACT §3 plus added fields."""
from __future__ import annotations

from typing import Any

import orjson

from triage.model import Failure, Report, TestResult

SCHEMA_ID = "triage.report/v1"


def test_dict(test: TestResult) -> dict[str, Any]:
    return {
        "name": test.name, "suite": test.suite, "status": test.status.value,
        "attempts": test.attempts, "passed_on_retry": test.passed_on_retry,
        "duration_s": test.duration_s, "message": test.message, "file": test.file,
    }


def failure_dict(failure: Failure) -> dict[str, Any]:
    return {
        "test": test_dict(failure.test),
        "category": failure.category.value,
        "confidence": failure.confidence,
        "alternatives": [{"category": a.category.value, "confidence": a.confidence}
                         for a in failure.alternatives],
        "explanation": failure.explanation,
        "evidence": [e.to_dict() for e in failure.evidence],
        "request_ids": failure.request_ids,
        "rules": failure.rules,
        "signature": failure.signature,
        "links": [{"request_id": l.request_key, "method": l.method,
                   "confidence": l.confidence, "detail": l.detail} for l in failure.links],
        "missing_evidence": failure.missing,
        "remediation": failure.remediation,
        "hits": [{"rule": h.rule_id, "category": h.category.value, "confidence": h.confidence,
                  "explanation": h.explanation} for h in failure.hits],
        "baseline_findings": [finding.to_dict() for finding in failure.baseline],
        "model": learned_dict(failure),
        "history": failure.history.to_dict() if failure.history is not None else None,
    }


def learned_dict(failure: Failure) -> dict[str, Any] | None:
    """The learned model's and confirmed labels' say, or None when neither had one."""
    view = failure.learned
    if view is None or (view.version is None and not view.confirmed):
        return None
    return view.to_dict()


def report_dict(report: Report) -> dict[str, Any]:
    build = report.build
    extra = {k: v for k, v in build.metadata.items() if k not in ("build", "env", "baseline")}
    return {
        "schema": SCHEMA_ID,
        "generated_by": report.generated_by,
        "build": {"id": build.id, "env": build.env, "baseline": build.baseline, **extra},
        "summary": {"failed_tests": len(report.failures), "tests": report.tests_total,
                    "by_category": report.by_category},
        "failures": [failure_dict(f) for f in report.failures],
        "sources": [s.to_dict() | {"examples": [{"line": ex.line, "reason": ex.reason}
                                                for ex in s.examples]} for s in report.sources],
        "warnings": report.warnings,
        "baseline_comparison": report.baseline.to_dict() if report.baseline is not None else None,
    }


def render_json(report: Report) -> str:
    return orjson.dumps(report_dict(report), option=orjson.OPT_INDENT_2 | orjson.OPT_NON_STR_KEYS).decode() + "\n"

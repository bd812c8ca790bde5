"""Evaluating rules against one correlated failure.

A failure is seen through three scopes: ``test`` (what the runner reported),
``event`` (each row of its timeline across layers) and ``facts`` (figures
derived from the timeline, e.g. how many linked requests, the worst status).
"""
from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from triage.classify.condition import evaluate
from triage.classify.matching import Budget
from triage.classify.rules import Rule, Selection
from triage.ingest.timeparse import to_iso
from triage.model import LAYER_DEPTH, Evidence, RuleHit, TestResult

_PLACEHOLDER = re.compile(r"\{([a-z_]+)\.([A-Za-z0-9_.-]+)\}")
ERROR_LEVELS = {"error", "fatal"}
MAX_EVIDENCE_PER_HIT = 5


@dataclass
class FailureContext:
    """What rules see of one failure."""

    test: dict[str, Any]
    events: list[dict[str, Any]]
    facts: dict[str, Any]
    budget: Budget = field(default_factory=Budget)

    @classmethod
    def build(cls, test: TestResult, timeline: pd.DataFrame, link_methods: list[str],
              extra_facts: dict[str, Any] | None = None) -> "FailureContext":
        events = [_clean(row) for row in timeline.to_dict("records")]
        facts = derive_facts(test, events, link_methods)
        facts.update(extra_facts or {})
        return cls(test_fields(test), events, facts)


def _clean(row: dict[str, Any]) -> dict[str, Any]:
    cleaned = {}
    for key, value in row.items():
        if value is pd.NA or value is pd.NaT or (isinstance(value, float) and math.isnan(value)):
            value = None
        cleaned[key] = value
    return cleaned


def test_fields(test: TestResult) -> dict[str, Any]:
    return {
        "name": test.name, "suite": test.suite, "status": test.status.value,
        "message": test.message, "failure_type": test.failure_type, "stack": test.stack,
        "stdout": test.stdout, "stderr": test.stderr, "text": test.text(),
        "attempts": test.attempts, "passed_on_retry": test.passed_on_retry,
        "duration_s": test.duration_s,
    }


def derive_facts(test: TestResult, events: list[dict[str, Any]], link_methods: list[str]) -> dict[str, Any]:
    """Figures over the non-test part of the timeline that rules can test."""
    logged = [e for e in events if e.get("layer") != "test"]
    linked = [e for e in logged if e.get("link_method") not in (None, "self", "time-window-context")]
    statuses = [int(e["status"]) for e in linked if e.get("status") is not None]
    errors = [e for e in linked if (e.get("status") or 0) >= 500 or e.get("level") in ERROR_LEVELS]
    return {
        "linked_requests": len({e.get("key") for e in linked if e.get("key")}),
        "link_methods": sorted(set(link_methods)),
        "events": len(logged),
        "error_events": len(errors),
        "server_errors": sum(1 for s in statuses if s >= 500),
        "client_errors": sum(1 for s in statuses if 400 <= s < 500),
        "max_status": max(statuses) if statuses else None,
        "layers_with_errors": sorted({str(e.get("layer")) for e in errors}),
        "passed_on_retry": test.passed_on_retry,
        "attempts": test.attempts,
        # set by triage.baseline on the rows its findings touch
        "drift_kinds": sorted({k for e in linked for k in (e.get("drift") or ())}),
        "baseline_findings": sorted({k for e in linked for k in (e.get("baseline") or ())}),
    }


def field_value(record: dict[str, Any], name: str) -> Any:
    if name.startswith("attrs."):
        attrs = record.get("attrs")
        return attrs.get(name[6:]) if isinstance(attrs, dict) else None
    return record.get(name)


def _match_record(selection: Selection, record: dict[str, Any], budget: Budget) -> bool:
    return any(all(m.matches(field_value(record, m.field), budget) for m in alternative)
               for alternative in selection.alternatives)


def evaluate_rule(rule: Rule, ctx: FailureContext) -> RuleHit | None:
    """A RuleHit with evidence when the rule's condition holds, else None."""
    matched_events: dict[str, list[dict[str, Any]]] = {}
    truth: dict[str, bool] = {}
    for name, selection in rule.selections.items():
        if selection.scope == "event":
            rows = [e for e in ctx.events if _match_record(selection, e, ctx.budget)]
            matched_events[name] = rows
            truth[name] = bool(rows)
        elif selection.scope == "test":
            truth[name] = _match_record(selection, ctx.test, ctx.budget)
        else:
            truth[name] = _match_record(selection, ctx.facts, ctx.budget)
    if not evaluate(rule.condition, truth.__getitem__):
        return None
    evidence_rows: list[dict[str, Any]] = []
    for name in sorted(rule.evidence_selections):
        if truth.get(name):
            for row in matched_events.get(name, []):
                if all(row is not seen for seen in evidence_rows):
                    evidence_rows.append(row)
    evidence_rows.sort(key=lambda r: (r.get("ts") is None, r.get("ts") or pd.Timestamp(0, tz="UTC")))
    firsts = {name: _most_telling(rows) for name, rows in matched_events.items() if rows}
    fallback = _prefer_errors(evidence_rows)[0] if evidence_rows else None
    explanation = render(rule.explanation, firsts, ctx, fallback)
    return RuleHit(rule.id, rule.category, rule.confidence, explanation,
                   [to_evidence(r) for r in _prefer_errors(evidence_rows)[:MAX_EVIDENCE_PER_HIT]],
                   rule.remediation)


def _most_telling(rows: list[dict[str, Any]]) -> dict[str, Any]:
    return min(rows, key=lambda r: LAYER_DEPTH.get(str(r.get("layer")), 5))


def _prefer_errors(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Keep time order, but when rows must be cut, keep the errors."""
    if len(rows) <= MAX_EVIDENCE_PER_HIT:
        return rows
    keep = [r for r in rows if (r.get("status") or 0) >= 400 or r.get("level") in ERROR_LEVELS | {"warn"}]
    rest = [r for r in rows if r not in keep]
    chosen = (keep + rest)[:MAX_EVIDENCE_PER_HIT]
    return [r for r in rows if any(r is c for c in chosen)]


def render(template: str, firsts: dict[str, dict[str, Any]], ctx: FailureContext,
           fallback: dict[str, Any] | None = None) -> str:
    """Fill ``{selection.field}``, ``{test.field}`` and ``{facts.name}`` placeholders.

    A selection that matched nothing (the other side of an ``or``) borrows the
    first evidence row, so the sentence still names what was found.
    """
    def value(match: re.Match[str]) -> str:
        scope, name = match.group(1), match.group(2)
        if scope == "test":
            found = ctx.test.get(name)
        elif scope == "facts":
            found = ctx.facts.get(name)
        else:
            record = firsts.get(scope) or fallback
            found = field_value(record, name) if record else None
        if found is None or found == "":
            return "?"
        text = str(found).strip().splitlines()[0] if str(found).strip() else "?"
        return text[:200]
    return _PLACEHOLDER.sub(value, template)


def to_evidence(row: dict[str, Any]) -> Evidence:
    row = _clean(row)  # a frame's missing values (NaN from categories, NA, NaT) are None
    ts = row.get("ts")
    iso = to_iso(ts.timestamp()) if isinstance(ts, pd.Timestamp) else None
    status = row.get("status")
    return Evidence(
        source=str(row.get("layer") or ""), file=str(row.get("source") or ""),
        line=int(row["line"]) if row.get("line") is not None else None, ts=iso,
        request_id=row.get("request_id") or row.get("trace_id"),
        message=str(row.get("message") or ""), service=row.get("service"),
        status=int(status) if status is not None else None,
        level=str(row["level"]) if row.get("level") is not None else None,
    )

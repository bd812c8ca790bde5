"""A category guess for a cluster (or a single test) from the rules, with evidence.

The rules that label one build's failures are run on a representative failure
of the group: its most common signature, newest first, seen against the errors
logged while any of the group's tests failed. History adds one opinion the
rules cannot have: a test that flips on the same commit with no server error
in sight lost a race (``flaky-timing``); a test that began failing or recovered
with a change in its area points at the code (``regression``).
"""
from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

from triage.classify import classify_failure
from triage.classify.combine import Opinion, combine, opinions_from_hits
from triage.classify.rules import Rule
from triage.correlate import CorrelatedFailure
from triage.model import Category, Evidence, TestResult, TestStatus

FLAKY_OPINION = 0.5
REGRESSION_OPINION = 0.6


@dataclass
class CategoryGuess:
    category: str
    confidence: float
    rules: list[str] = field(default_factory=list)
    explanation: str = ""
    evidence: list[Evidence] = field(default_factory=list)


def representative(bad_runs: pd.DataFrame) -> TestResult:
    """The newest failure with the group's most common signature, as a TestResult."""
    signature = bad_runs["signature"].mode()
    rows = bad_runs[bad_runs["signature"] == signature.iloc[0]] if len(signature) else bad_runs
    row = rows.iloc[-1]
    status = TestStatus(row["status"]) if row["status"] in {s.value for s in TestStatus} else TestStatus.FAILED
    return TestResult(name=row["name"], suite=row["suite"], status=status, attempts=int(row["attempts"]),
                      passed_on_retry=bool(row["passed_on_retry"]), message=row["message"],
                      failure_type=row["failure_type"] or "",
                      attempt_statuses=["failed", "passed"] if row["passed_on_retry"] else [])


def guess_category(bad_runs: pd.DataFrame, timeline: pd.DataFrame, rules: list[Rule], *,
                   flaky: bool = False, code_change: bool = False) -> CategoryGuess:
    """Label a group of failures. ``timeline`` comes from ``evidence.timeline``."""
    opinions = []
    server_errors = bool(len(timeline)) and bool(
        (pd.to_numeric(timeline["status"], errors="coerce").fillna(0) >= 500).any()
        or timeline["level"].astype("object").isin(("error", "fatal")).any())
    if flaky and not server_errors:
        opinions.append(Opinion(Category.FLAKY_TIMING, FLAKY_OPINION, "history.flips-without-errors"))
    if code_change:
        opinions.append(Opinion(Category.REGRESSION, REGRESSION_OPINION, "history.changed-paths"))
    item = CorrelatedFailure(test=representative(bad_runs), links=[], timeline=timeline)
    # Rules first, then the history's opinions combined with their hits (classify_failure
    # expects the winning category to have a rule hit, which a history opinion may not).
    hits = classify_failure(item, rules).hits
    verdict = combine(opinions_from_hits(hits) + opinions)
    chosen = [h for h in hits if h.category is verdict.category]
    sources = [h.rule_id for h in chosen] + [o.source for o in opinions if o.category is verdict.category]
    if chosen:
        explanation = chosen[0].explanation
    elif verdict.category is Category.FLAKY_TIMING:
        explanation = ("flips on the same commit or passes on retry, and no server error was logged "
                       "while it failed")
    elif verdict.category is Category.REGRESSION:
        explanation = "began failing or recovered with a change to files in its area"
    else:
        explanation = "no rule matched its failure messages or the errors logged while it failed"
    evidence = list({(e.file, e.line, e.message): e for h in chosen for e in h.evidence}.values())
    return CategoryGuess(verdict.category.value, verdict.confidence, sources, explanation, evidence)

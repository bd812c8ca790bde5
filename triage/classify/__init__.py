"""Classification: rules over each correlated failure, combined into a verdict."""
from __future__ import annotations

from typing import TYPE_CHECKING

from triage.classify.combine import Opinion, combine, opinions_from_hits
from triage.classify.engine import FailureContext, evaluate_rule, to_evidence
from triage.classify.rules import Rule
from triage.classify.signature import signature
from triage.correlate import CorrelatedFailure
from triage.model import Category, Evidence, Failure, RuleHit

if TYPE_CHECKING:
    from triage.learn.assess import Learned

MAX_EVIDENCE = 8
MAX_TIMELINE_EVIDENCE = 60


def classify_failure(item: CorrelatedFailure, rules: list[Rule],
                     extra_opinions: list[Opinion] | None = None,
                     warnings: list[str] | None = None,
                     learned: "Learned | None" = None) -> Failure:
    """Label one correlated failure with category, confidence and evidence.

    With ``learned`` (a trained model and/or confirmed labels), their opinions
    join the rules' in the combiner and ``Failure.learned`` says what they were.
    """
    ctx = FailureContext.build(item.test, item.timeline, [l.method for l in item.links])
    hits: list[RuleHit] = []
    for rule in rules:
        if rule.status == "deprecated":
            continue
        hit = evaluate_rule(rule, ctx)
        if hit is not None:
            hits.append(hit)
    if warnings is not None:
        warnings.extend(dict.fromkeys(ctx.budget.timeouts))
    opinions = opinions_from_hits(hits) + list(extra_opinions or [])
    view = None
    if learned is not None:
        from triage.learn.features import extract

        learned_opinions, view = learned.assess(extract(item.test, item.timeline, hits, ctx.facts))
        opinions += learned_opinions
    verdict = combine(opinions)
    chosen = sorted((h for h in hits if h.category is verdict.category),
                    key=lambda h: (-h.confidence, h.rule_id))
    others = sorted((h for h in hits if h.category is not verdict.category),
                    key=lambda h: (-h.confidence, h.rule_id))
    ordered = chosen + others
    test = item.test
    if verdict.category is Category.UNKNOWN:
        explanation = _unknown_explanation(item, hits)
        remediation = ""
    elif chosen:
        explanation = chosen[0].explanation
        remediation = chosen[0].remediation
    else:  # only the learned side backs this category
        explanation = view.summary(verdict.category.value) if view is not None else ""
        remediation = ""
    request_ids = sorted({e.request_id for e in _timeline_evidence(item) if e.request_id}
                         | {link.request_key for link in item.links})
    return Failure(
        test=test, category=verdict.category, confidence=verdict.confidence,
        alternatives=verdict.alternatives, explanation=explanation,
        evidence=_dedupe([e for h in ordered for e in h.evidence])[:MAX_EVIDENCE],
        request_ids=request_ids, rules=[h.rule_id for h in ordered],
        signature=signature(test.message or test.stack, test.failure_type),
        links=item.links, hits=ordered, missing=item.missing, remediation=remediation,
        timeline=_timeline_evidence(item)[:MAX_TIMELINE_EVIDENCE], learned=view,
    )


def _timeline_evidence(item: CorrelatedFailure) -> list[Evidence]:
    return [to_evidence(row) for row in item.timeline.to_dict("records")]


def _dedupe(evidence: list[Evidence]) -> list[Evidence]:
    seen: set[tuple] = set()
    unique = []
    for e in evidence:
        key = (e.file, e.line, e.message)
        if key not in seen:
            seen.add(key)
            unique.append(e)
    return unique


def _unknown_explanation(item: CorrelatedFailure, hits: list[RuleHit]) -> str:
    if item.missing:
        return "No evidence: " + "; ".join(item.missing) + "."
    logged = int((item.timeline["layer"] != "test").sum()) if not item.timeline.empty else 0
    parts = [f"Linked {len(item.links)} request(s) ({logged} log events) but no rule matched"]
    if hits:
        parts.append("; weak signals: " + ", ".join(f"{h.rule_id} ({h.confidence:.2f})" for h in hits))
    parts.append(". Missing: an error, rejection or timeout on the linked requests, or a "
                 "recognised failure message.")
    return "".join(parts)

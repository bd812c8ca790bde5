"""Combining evidence into one label, a confidence and ranked alternatives.

Each category's support is the noisy-OR of the confidences of everything that
voted for it (rules now; a learned classifier plugs in as one more ``Opinion``).
Assuming one true cause, the chance that it is category c is proportional to
``s_c * prod(1 - s_d for d != c)``; the mass left when every category is wrong
keeps the confidences honest and is what ``unknown`` stands for.
"""
from __future__ import annotations

from dataclasses import dataclass

from triage.model import Alternative, Category, RuleHit

MIN_CONFIDENCE = 0.3
MIN_ALTERNATIVE = 0.01


@dataclass(frozen=True)
class Opinion:
    """One voice for a category: a rule hit or a classifier's probability."""

    category: Category
    confidence: float
    source: str


@dataclass
class Verdict:
    category: Category
    confidence: float
    alternatives: list[Alternative]


def opinions_from_hits(hits: list[RuleHit]) -> list[Opinion]:
    return [Opinion(hit.category, hit.confidence, hit.rule_id) for hit in hits]


def combine(opinions: list[Opinion]) -> Verdict:
    """The label with its probability and the alternatives, most likely first."""
    support: dict[Category, float] = {}
    for opinion in opinions:
        if opinion.category is Category.UNKNOWN:
            continue
        doubt = 1.0 - support.get(opinion.category, 0.0)
        support[opinion.category] = 1.0 - doubt * (1.0 - min(max(opinion.confidence, 0.0), 0.999))
    if not support:
        return Verdict(Category.UNKNOWN, 0.0, [])
    none_mass = 1.0
    for value in support.values():
        none_mass *= 1.0 - value
    weights = {c: s * none_mass / (1.0 - s) for c, s in support.items()}
    total = sum(weights.values()) + none_mass
    probabilities = {c: w / total for c, w in weights.items()}
    ranked = sorted(probabilities.items(), key=lambda item: (-item[1], item[0].value))
    best, best_p = ranked[0]
    if best_p < MIN_CONFIDENCE:
        return Verdict(Category.UNKNOWN, 0.0,
                       [Alternative(c, round(p, 3)) for c, p in ranked if p >= MIN_ALTERNATIVE])
    alternatives = [Alternative(c, round(p, 3)) for c, p in ranked[1:] if p >= MIN_ALTERNATIVE]
    return Verdict(best, round(best_p, 3), alternatives)

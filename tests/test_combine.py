import pytest

from triage.classify.combine import MIN_CONFIDENCE, Opinion, combine
from triage.model import Category as C


def test_single_opinion_keeps_its_confidence():
    verdict = combine([Opinion(C.AUTH, 0.9, "r")])
    assert (verdict.category, verdict.confidence, verdict.alternatives) == (C.AUTH, 0.9, [])


def test_agreeing_rules_reinforce_and_disagreeing_become_alternatives():
    verdict = combine([Opinion(C.AUTH, 0.9, "a"), Opinion(C.AUTH, 0.7, "b"), Opinion(C.CONFIG, 0.6, "c")])
    assert verdict.category is C.AUTH
    assert verdict.confidence > 0.9
    assert [a.category for a in verdict.alternatives] == [C.CONFIG]
    assert verdict.confidence + sum(a.confidence for a in verdict.alternatives) <= 1.0 + 1e-9


def test_nothing_or_weak_evidence_is_unknown():
    assert combine([]).category is C.UNKNOWN
    weak = combine([Opinion(C.CACHE, MIN_CONFIDENCE / 2, "w")])
    assert weak.category is C.UNKNOWN and weak.alternatives[0].category is C.CACHE


def test_order_does_not_matter():
    opinions = [Opinion(C.TRAFFIC, 0.9, "a"), Opinion(C.DEPENDENCY, 0.6, "b")]
    assert combine(opinions) == combine(list(reversed(opinions)))
    assert combine(opinions).confidence == pytest.approx(0.9 * 0.4 / (0.9 * 0.4 + 0.6 * 0.1 + 0.1 * 0.4), abs=1e-3)

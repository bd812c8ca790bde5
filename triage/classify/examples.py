"""Each rule's own examples, run as tests: ``triage rules validate`` and the suite."""
from __future__ import annotations

from typing import Any

from triage.classify.engine import FailureContext, derive_facts, evaluate_rule, test_fields
from triage.classify.rules import Example, Rule
from triage.ingest.timeparse import parse_any
from triage.model import TestResult, TestStatus

TEST_KEYS = {"name", "suite", "message", "failure_type", "stack", "stdout", "stderr",
             "attempts", "passed_on_retry", "duration_s"}


def example_context(example: Example) -> FailureContext:
    """The FailureContext an example describes; events default to id-linked rows."""
    raw = dict(example.test)
    status = TestStatus(raw.pop("status", "failed"))
    test = TestResult(name=str(raw.pop("name", "example test")), status=status,
                      **{k: v for k, v in raw.items() if k in TEST_KEYS})
    events = []
    for position, given in enumerate(example.events):
        event: dict[str, Any] = {"layer": "app", "source": "example.log", "line": position + 1,
                                 "key": f"example-{position}", "link_method": "id-in-output",
                                 "link_confidence": 0.95}
        event.update(given)
        if isinstance(event.get("ts"), str):
            import pandas as pd
            event["ts"] = pd.Timestamp(parse_any(event["ts"]), unit="s", tz="UTC")
        events.append(event)
    methods = sorted({e["link_method"] for e in events})
    return FailureContext(test_fields(test), events, derive_facts(test, events, methods))


def run_examples(rules: list[Rule]) -> list[str]:
    """A message per example whose outcome differs from its ``expect``."""
    problems = []
    for rule in rules:
        for example in rule.examples:
            hit = evaluate_rule(rule, example_context(example))
            matched = hit is not None
            if matched != (example.expect == "match"):
                problems.append(f"{rule.file}:{example.line}: rule '{rule.id}' example "
                                f"'{example.name}' expected {example.expect} but "
                                f"{'matched' if matched else 'did not match'}")
    return problems

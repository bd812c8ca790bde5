"""The typed result of a flakiness analysis, and its CONTRACT §4 dictionary."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from triage.model import Evidence

SCHEMA = "triage.flaky/v1"


@dataclass
class TestFlakiness:
    """One test across the builds analysed (outage builds left out)."""

    __test__ = False  # not a pytest test class

    name: str
    suite: str
    runs: int
    failures: int
    passed_on_retry: int
    flip_rate: float
    score: float
    flaky: bool
    verdict: str                 # flaky | broken | regression | failing | failed | passing
    cluster: str | None = None
    category: str | None = None
    commit_flips: int = 0
    outcomes: str = ""           # one letter per build in FlakyReport.builds
    since: str | None = None     # broken / failing: first build of the failing streak
    fixed_in: str | None = None  # regression / failed: first build that passed again
    failed_builds: list[str] = field(default_factory=list)
    changed_paths: list[str] = field(default_factory=list)
    signature: str | None = None
    evidence: list[str] = field(default_factory=list)

    @property
    def key(self) -> str:
        return f"{self.suite}::{self.name}"

    def to_dict(self) -> dict[str, Any]:
        return {
            "test": {"name": self.name, "suite": self.suite}, "runs": self.runs, "failures": self.failures,
            "passed_on_retry": self.passed_on_retry, "flip_rate": self.flip_rate, "score": self.score,
            "flaky": self.flaky, "cluster": self.cluster, "category": self.category,
            "verdict": self.verdict, "commit_flips": self.commit_flips, "outcomes": self.outcomes,
            "since": self.since, "fixed_in": self.fixed_in, "failed_builds": self.failed_builds,
            "changed_paths": self.changed_paths, "signature": self.signature, "evidence": self.evidence,
        }


@dataclass
class FlakyCluster:
    """Flaky tests that share a cause, with the category guess and why."""

    id: str
    tests: list[str]             # "<suite>::<name>" keys
    signature: str | None
    category: str
    builds: list[str]
    confidence: float = 0.0
    rules: list[str] = field(default_factory=list)
    explanation: str = ""
    evidence: list[str] = field(default_factory=list)
    log_evidence: list[Evidence] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "tests": self.tests, "signature": self.signature, "category": self.category,
                "builds": self.builds, "confidence": self.confidence, "rules": self.rules,
                "explanation": self.explanation, "evidence": self.evidence,
                "log_evidence": [e.to_dict() for e in self.log_evidence]}


@dataclass
class OutageBuild:
    """A build where most tests failed at once: left out of the flakiness figures."""

    build: str
    failed: int
    tests: int
    share: float
    signature: str | None = None
    message: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {"build": self.build, "failed": self.failed, "tests": self.tests, "share": self.share,
                "signature": self.signature, "message": self.message}


@dataclass
class FlakyReport:
    builds: list[str]
    tests: list[TestFlakiness]
    clusters: list[FlakyCluster]
    outages: list[OutageBuild]
    skipped_builds: list[dict[str, str]] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    window: dict[str, str | None] = field(default_factory=dict)
    generated_by: str = ""

    def by_verdict(self, verdict: str) -> list[TestFlakiness]:
        return [t for t in self.tests if t.verdict == verdict]

    def to_dict(self) -> dict[str, Any]:
        return {"schema": SCHEMA, "builds": self.builds, "tests": [t.to_dict() for t in self.tests],
                "clusters": [c.to_dict() for c in self.clusters],
                "outages": [o.to_dict() for o in self.outages], "skipped_builds": self.skipped_builds,
                "warnings": self.warnings, "window": self.window, "generated_by": self.generated_by}

"""Typed records of a failing build compared with its passing baseline."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

# Finding kinds; timeline rows touched by a finding carry its kind in their
# ``baseline`` column, and rules can test it (``baseline: new-template``).
NEW_TEMPLATE = "new-template"
OVER_REPRESENTED = "over-represented-template"
STATUS_SHIFT = "status-shift"
NEW_UPSTREAM = "new-upstream-host"
LATENCY_SHIFT = "latency-shift"
ENV_DRIFT = "env-drift"


@dataclass
class BaselineFinding:
    """One way the failing build differs from its baseline.

    ``key`` identifies what is compared (a template, ``METHOD /path``, a host,
    ``object path`` of a drift); ``test`` and ``p_value`` say how it was judged.
    """

    kind: str
    key: str
    summary: str
    layer: str | None = None
    service: str | None = None
    endpoint: str | None = None
    test: str | None = None
    p_value: float | None = None
    build_count: int | None = None
    baseline_count: int | None = None
    drift_kind: str | None = None
    score: float | None = None

    def to_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "key": self.key, "summary": self.summary, "layer": self.layer,
                "service": self.service, "endpoint": self.endpoint, "test": self.test,
                "p_value": self.p_value, "build_count": self.build_count,
                "baseline_count": self.baseline_count, "drift_kind": self.drift_kind, "score": self.score}


@dataclass
class BaselineComparison:
    """Everything found comparing a build with its baseline (and their environments)."""

    baseline: str
    findings: list[BaselineFinding] = field(default_factory=list)
    alpha: float = 0.01
    warnings: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        counts: dict[str, int] = {}
        for finding in self.findings:
            counts[finding.kind] = counts.get(finding.kind, 0) + 1
        return {"id": self.baseline, "alpha": self.alpha, "by_kind": dict(sorted(counts.items())),
                "findings": [f.to_dict() for f in self.findings], "warnings": self.warnings}

"""Typed records at the boundaries of the pipeline.

Inside the hot paths events live in a pandas DataFrame whose columns are
``EVENT_COLUMNS``; everything that crosses a module or API boundary is one of
the dataclasses below.
"""
from __future__ import annotations

import enum
from dataclasses import dataclass, field
from typing import Any


class Category(str, enum.Enum):
    """Root-cause labels, exactly as CONTRACT §2 spells them."""

    CONFIG = "config"
    CACHE = "cache"
    AUTH = "auth"
    DEPENDENCY = "dependency"
    FLAKY_TIMING = "flaky-timing"
    DATA = "data"
    TRAFFIC = "traffic"
    NETWORK = "network"
    REGRESSION = "regression"
    UNKNOWN = "unknown"


class Layer(str, enum.Enum):
    """Where in the request path an event was written."""

    TEST = "test"
    INGRESS = "ingress"
    GATEWAY = "gateway"
    APP = "app"
    DEPENDENCY = "dependency"


# How far from the user a layer sits. A proxy repeats the status of the layer
# behind it, so the deepest layer that shows a problem is the one that decided.
LAYER_DEPTH = {"dependency": 0, "app": 1, "gateway": 2, "ingress": 3, "test": 4}


class SourceKind(str, enum.Enum):
    EVENTS = "events"        # log lines -> Event rows
    TESTS = "tests"          # test reports -> TestResult records
    METADATA = "metadata"    # build.json
    MANIFEST = "manifest"    # env/ manifests, .env files, feature flags


class TestStatus(str, enum.Enum):
    PASSED = "passed"
    FAILED = "failed"
    ERROR = "error"  # JUnit <error>: the test broke rather than asserted
    SKIPPED = "skipped"

    __test__ = False  # not a pytest test class


# The columns of the events DataFrame, in order. Ingestors emit dicts with a
# subset of these keys; missing keys become nulls.
#   ts                  float seconds since the epoch, UTC (datetime64 after load)
#   latency_ms etc.     milliseconds
#   error               a short machine code: Envoy response flags, ECS error.type
#   attrs               dict of extra fields worth keeping (route, headers, ...)
EVENT_COLUMNS: tuple[str, ...] = (
    "ts", "layer", "service", "level", "request_id", "trace_id", "span_id",
    "method", "path", "status", "latency_ms", "upstream_host", "upstream_status",
    "upstream_latency_ms", "client_ip", "user_agent", "message", "error", "attrs",
    "source", "line",
)


@dataclass
class Attachment:
    name: str
    content_type: str | None = None
    path: str | None = None
    body: str | None = None


@dataclass
class TestResult:
    """One test as the runner reported it (retries folded into ``attempts``)."""

    __test__ = False  # not a pytest test class

    name: str
    suite: str = ""
    status: TestStatus = TestStatus.PASSED
    attempts: int = 1
    passed_on_retry: bool = False
    started_at: float | None = None  # epoch seconds UTC
    duration_s: float | None = None
    message: str = ""
    failure_type: str = ""
    stack: str = ""
    stdout: str = ""
    stderr: str = ""
    attachments: list[Attachment] = field(default_factory=list)
    properties: dict[str, str] = field(default_factory=dict)
    runner: str | None = None  # hostname the report names, if any
    file: str = ""
    line: int | None = None
    # Per-attempt outcomes, oldest first, e.g. ["failed", "passed"].
    attempt_statuses: list[str] = field(default_factory=list)

    @property
    def failed(self) -> bool:
        return self.status in (TestStatus.FAILED, TestStatus.ERROR) or self.passed_on_retry

    @property
    def key(self) -> tuple[str, str]:
        return (self.suite, self.name)

    def text(self) -> str:
        """Everything the runner printed about this test, for id and tag scans."""
        parts = [self.message, self.stack, self.stdout, self.stderr]
        parts.extend(a.body or "" for a in self.attachments)
        parts.extend(f"{k}={v}" for k, v in self.properties.items())
        return "\n".join(p for p in parts if p)


@dataclass
class SkippedLine:
    line: int | None
    reason: str


@dataclass
class SourceInfo:
    """What happened to one input file."""

    path: str
    format: str | None
    kind: SourceKind | None = None
    layer: str | None = None
    events: int = 0
    tests: int = 0
    skipped_lines: int = 0
    examples: list[SkippedLine] = field(default_factory=list)
    clock_offset_s: float = 0.0
    clock_offset_confidence: float = 0.0
    status: str = "ok"  # ok | unsupported | empty | binary | truncated | error
    reason: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {
            "path": self.path,
            "format": self.format,
            "kind": self.kind.value if self.kind else None,
            "layer": self.layer,
            "events": self.events,
            "tests": self.tests,
            "skipped_lines": self.skipped_lines,
            "clock_offset_s": round(self.clock_offset_s, 3),
            "clock_offset_confidence": round(self.clock_offset_confidence, 3),
            "status": self.status,
            "reason": self.reason,
        }


@dataclass
class Link:
    """Why a request is believed to belong to a test."""

    request_key: str  # normalised request id or trace id
    method: str       # id-in-output | test-tag | time-window
    confidence: float
    detail: str = ""


@dataclass
class Evidence:
    """A log line (or test output) that supports a finding."""

    source: str          # layer name: test, ingress, gateway, app, dependency
    file: str
    line: int | None
    ts: str | None
    request_id: str | None
    message: str
    service: str | None = None
    status: int | None = None
    level: str | None = None

    @property
    def shows_problem(self) -> bool:
        return (self.status or 0) >= 400 or self.level in ("warn", "error", "fatal")

    def to_dict(self) -> dict[str, Any]:
        return {
            "source": self.source, "file": self.file, "line": self.line,
            "ts": self.ts, "request_id": self.request_id, "message": self.message,
            "service": self.service, "status": self.status, "level": self.level,
        }


@dataclass
class RuleHit:
    """One rule that fired for one failure (a Jenkins BFA 'FoundIndication')."""

    rule_id: str
    category: Category
    confidence: float
    explanation: str
    evidence: list[Evidence] = field(default_factory=list)
    remediation: str = ""


@dataclass
class Alternative:
    category: Category
    confidence: float


@dataclass
class Failure:
    """A failed test, correlated and classified."""

    test: TestResult
    category: Category
    confidence: float
    alternatives: list[Alternative]
    explanation: str
    evidence: list[Evidence]
    request_ids: list[str]
    rules: list[str]
    signature: str
    links: list[Link] = field(default_factory=list)
    hits: list[RuleHit] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)
    remediation: str = ""
    timeline: list[Evidence] = field(default_factory=list)
    # Baseline findings that touch this failure's timeline (triage.baseline).
    baseline: list[Any] = field(default_factory=list)
    # The learned model's and confirmed labels' say (triage.learn.assess.LearnedView).
    learned: Any = None
    # Look-alikes in earlier builds and the test's recent runs (triage.history.FailureHistory).
    history: Any = None

    @property
    def headline(self) -> Evidence | None:
        """The one evidence line that says most: a problem seen at the deepest
        layer. None when the evidence shows no problem (e.g. a flaky test whose
        requests all succeeded): the explanation says more then."""
        problems = [e for e in self.evidence if e.shows_problem]
        if not problems:
            return None
        return min(problems, key=lambda e: LAYER_DEPTH.get(e.source, 5))


@dataclass
class BuildInfo:
    id: str
    env: str | None = None
    baseline: str | None = None
    metadata: dict[str, Any] = field(default_factory=dict)


@dataclass
class Report:
    build: BuildInfo
    failures: list[Failure]
    sources: list[SourceInfo]
    warnings: list[str]
    tests_total: int = 0
    generated_by: str = ""
    # The comparison with the baseline build, when there is one (triage.baseline).
    baseline: Any = None

    @property
    def by_category(self) -> dict[str, int]:
        counts: dict[str, int] = {}
        for failure in self.failures:
            counts[failure.category.value] = counts.get(failure.category.value, 0) + 1
        return dict(sorted(counts.items()))

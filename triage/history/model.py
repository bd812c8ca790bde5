"""What the report says about a failure's past: typed records and their JSON form."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

# How a past failure resembles the current one, strongest first.
SAME_TEST = "same-test"            # the same test failed with the same signature
SAME_SIGNATURE = "same-signature"  # another test, same signature and a look-alike message
NEAR = "near"                      # another signature, but a look-alike message


@dataclass
class PastFailure:
    """One failure in an earlier build that resembles the current one."""

    build: str
    started_at: str | None
    suite: str
    test: str
    signature: str
    match: str          # SAME_TEST | SAME_SIGNATURE | NEAR
    similarity: float
    message: str = ""
    label: str | None = None   # the confirmed category, if a person gave one
    labelled_by: str = ""
    note: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {"build": self.build, "started_at": self.started_at, "suite": self.suite, "test": self.test,
                "signature": self.signature, "match": self.match, "similarity": self.similarity,
                "message": self.message, "confirmed": self.label, "confirmed_by": self.labelled_by,
                "note": self.note}


@dataclass
class TestRuns:
    """The failed test's own recent runs, oldest first (this build not included)."""

    __test__ = False  # not a pytest test class

    runs: int = 0
    failures: int = 0
    passed_on_retry: int = 0
    flip_rate: float = 0.0
    outcomes: str = ""  # one letter per run: P passed, R passed on retry, F failed, E error, S skipped
    builds: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {"runs": self.runs, "failures": self.failures, "passed_on_retry": self.passed_on_retry,
                "flip_rate": self.flip_rate, "outcomes": self.outcomes, "builds": self.builds}


@dataclass
class FailureHistory:
    """Past look-alikes of one failure and its test's recent runs, within a window."""

    window_days: float
    builds_searched: int
    seen: int = 0
    same_test: int = 0   # of ``seen``, failures of this very test
    builds: list[str] = field(default_factory=list)   # builds with a look-alike, oldest first
    confirmed: dict[str, int] = field(default_factory=dict)  # category -> confirmed look-alikes
    similar: list[PastFailure] = field(default_factory=list)  # newest first, at most MAX_SIMILAR
    labels: list[PastFailure] = field(default_factory=list)   # the confirmed ones, newest first
    test: TestRuns = field(default_factory=TestRuns)

    @property
    def first_build(self) -> str | None:
        return self.builds[0] if self.builds else None

    @property
    def last_build(self) -> str | None:
        return self.builds[-1] if self.builds else None

    def line(self) -> str:
        """One line for terminal and Markdown: "seen 7 times in 30 days across 6 builds
        (first 1184, last 1226), 5 confirmed dependency; this test: ..."."""
        days = _days(self.window_days)
        if self.seen:
            times = "once" if self.seen == 1 else f"{self.seen} times"
            span = (f"build {self.first_build}" if len(self.builds) == 1 else
                    f"{len(self.builds)} builds (first {self.first_build}, last {self.last_build})")
            text = f"seen {times} in {days} across {span}"
            if self.same_test != self.seen:
                text += f" ({self.same_test} in this test)"
        else:
            text = f"not seen in {days} ({self.builds_searched} builds searched)"
        if self.confirmed:
            text += ", " + ", ".join(f"{count} confirmed {category}" for category, count in self.confirmed.items())
        elif self.seen:
            text += ", none confirmed"
        if self.test.runs:
            text += (f"; this test: {self.test.failures + self.test.passed_on_retry} bad of "
                     f"{self.test.runs} runs, flip rate {self.test.flip_rate:.2f}")
        return text

    def to_dict(self) -> dict[str, Any]:
        return {
            "window_days": self.window_days, "builds_searched": self.builds_searched, "seen": self.seen,
            "same_test": self.same_test,
            "builds": self.builds, "first_build": self.first_build, "last_build": self.last_build,
            "confirmed": self.confirmed, "line": self.line(),
            "similar": [p.to_dict() for p in self.similar],
            "labels": [p.to_dict() for p in self.labels],
            "test_runs": self.test.to_dict(),
        }


def _days(days: float) -> str:
    whole = int(days) if float(days).is_integer() else days
    return "1 day" if whole == 1 else f"{whole} days"

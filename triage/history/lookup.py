"""A failure's past: look-alike failures in earlier builds, their confirmed labels,
and the test's own recent runs."""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from triage.flaky.stats import FAILED_STATUSES, OUTCOME_CODES, build_outcomes, per_test_stats
from triage.history.model import NEAR, SAME_SIGNATURE, SAME_TEST, FailureHistory, PastFailure, TestRuns
from triage.history.similar import NEAR as NEAR_SIMILARITY, detail_template, similarity
from triage.learn.labels import ConfirmedLabel
from triage.model import Failure

MAX_SIMILAR = 10   # look-alikes listed per failure (all of them are counted)
MAX_RUNS = 30      # the test's own runs shown in its outcome strip
MESSAGE_CHARS = 300


@dataclass
class PastFailures:
    """Earlier builds' failures, ready to be searched for each failure of a run.

    ``results`` is ``triage.flaky.history``'s frame (one row per test per build,
    oldest build first); ``labels`` the confirmed labels by (build, suite, test).
    """

    window_days: float
    results: pd.DataFrame
    build_ids: list[str]
    labels: dict[tuple[str, str, str], ConfirmedLabel] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        failed = self.results[self.results["signature"].notna()]
        self._failed = failed.assign(_order=failed["build"].map({b: i for i, b in enumerate(self.build_ids)}))
        self._templates = {key: detail_template(message, failure_type) for key, message, failure_type
                           in zip(failed.index, failed["message"], failed["failure_type"])}
        self._stats = per_test_stats(self.results).set_index("key") if not self.results.empty else None
        outcomes = build_outcomes(self.results) if not self.results.empty else None
        self._outages = set(outcomes.loc[outcomes["outage"], "build"]) if outcomes is not None else set()

    @classmethod
    def empty(cls, window_days: float) -> "PastFailures":
        from triage.flaky.history import RESULT_COLUMNS

        return cls(window_days, pd.DataFrame(columns=list(RESULT_COLUMNS)), [])

    def for_failure(self, failure: Failure) -> FailureHistory:
        """Look-alikes of ``failure`` (newest first), their labels and its test's runs."""
        test = failure.test
        key = f"{test.suite}::{test.name}"
        message = test.message or (test.stack.splitlines()[0] if test.stack else "")
        mine = detail_template(message, test.failure_type)
        found: list[PastFailure] = []
        for row in self._failed.sort_values("_order", ascending=False, kind="stable").itertuples():
            score = similarity(mine, self._templates[row.Index])
            same_signature = row.signature == failure.signature
            if row.key == key and same_signature:
                kind = SAME_TEST
            elif score >= NEAR_SIMILARITY:
                kind = SAME_SIGNATURE if same_signature else NEAR
            else:
                continue
            found.append(self._past(row, kind, score))
        return self._summarise(found, key)

    def _past(self, row, kind: str, score: float) -> PastFailure:
        label = self.labels.get((row.build, row.suite, row.name))
        started = row.started_at.isoformat().replace("+00:00", "Z") if not pd.isna(row.started_at) else None
        return PastFailure(build=row.build, started_at=started, suite=row.suite, test=row.name,
                           signature=row.signature, match=kind, similarity=round(score, 3),
                           message=" ".join(str(row.message).split())[:MESSAGE_CHARS],
                           label=label.category if label else None,
                           labelled_by=label.who if label else "", note=label.note if label else "")

    def _summarise(self, found: list[PastFailure], key: str) -> FailureHistory:
        labelled = [p for p in found if p.label]
        counts: dict[str, int] = {}
        for past in labelled:
            counts[past.label] = counts.get(past.label, 0) + 1
        confirmed = dict(sorted(counts.items(), key=lambda item: -item[1]))
        builds = [b for b in self.build_ids if b in {p.build for p in found}]
        return FailureHistory(window_days=self.window_days, builds_searched=len(self.build_ids),
                              seen=len(found), same_test=sum(p.match == SAME_TEST for p in found), builds=builds, confirmed=confirmed,
                              similar=found[:MAX_SIMILAR], labels=labelled, test=self._runs(key))

    def _runs(self, key: str) -> TestRuns:
        if self._stats is None or key not in self._stats.index:
            return TestRuns()
        runs = self.results[(self.results["key"] == key) & (self.results["status"] != "skipped")].tail(MAX_RUNS)
        letters = runs["status"].map(OUTCOME_CODES).where(~runs["passed_on_retry"].astype(bool), "R")
        letters = letters.where(~(runs["build"].isin(self._outages) & runs["status"].isin(FAILED_STATUSES)), "x")
        stats = self._stats.loc[key]
        return TestRuns(runs=int(stats["runs"]), failures=int(stats["failures"]),
                        passed_on_retry=int(stats["passed_on_retry"]), flip_rate=float(stats["flip_rate"]),
                        outcomes="".join(letters), builds=list(runs["build"]))

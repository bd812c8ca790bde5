"""One flakiness analysis: history -> outages -> per-test figures and verdicts ->
clusters of flaky tests with a category guess -> ``FlakyReport``."""
from __future__ import annotations

from pathlib import Path

import pandas as pd

from triage import __version__
from triage.classify.rules import Rule
from triage.errors import UsageError
from triage.flaky.category import guess_category
from triage.flaky.classify import TestVerdict, classify_tests
from triage.flaky.cluster import FlakyClusterer
from triage.flaky.evidence import EvidenceStore, endpoint_tokens, events_for_run, failure_windows, timeline
from triage.flaky.history import History
from triage.flaky.result import FlakyCluster, FlakyReport, OutageBuild, TestFlakiness
from triage.flaky.source import FileHistory, HistorySource
from triage.flaky.stats import outcome_string, with_outcomes

VERDICT_ORDER = {"flaky": 0, "broken": 1, "regression": 2, "failing": 3, "failed": 4, "passing": 5}
MAX_LOG_EVIDENCE = 8
UPSTREAM_SHARE = 0.5  # a cluster's upstream evidence: seen in at least half of its builds


def analyze_history(data_dir: Path, build_ids: list[str], rules: list[Rule], *,
                    window: dict[str, str | None] | None = None,
                    warnings: list[str] | None = None,
                    source: HistorySource | None = None) -> FlakyReport:
    """Analyse ``build_ids`` (oldest first) read from ``source`` (default: the build
    folders under ``data_dir``); log evidence is read from ``data_dir``'s folders.

    Raises UsageError when none of them has a readable test report.
    """
    source = source or FileHistory(Path(data_dir))
    history = source.load(build_ids)
    if history.results.empty:
        raise UsageError(f"none of the {len(build_ids)} build(s) selected in {source.where} has a "
                         "readable test report: " + "; ".join(history.warnings[:5]))
    outcomes = source.build_outcomes(history)
    outage_ids = set(outcomes.loc[outcomes["outage"], "build"])
    clean = history.results[~history.results["build"].isin(outage_ids)]
    stats = source.per_test_stats(history, outage_ids)
    runs = with_outcomes(clean)
    verdicts = classify_tests(runs, stats, history.builds)
    store = EvidenceStore(Path(data_dir))
    flaky_keys = [key for key, v in verdicts.items() if v.verdict == "flaky"]
    bad = failure_windows(runs[runs["bad"] & runs["key"].isin(flaky_keys)], history.builds)
    run_events = {index: events_for_run(store, row) for index, row in bad.iterrows()}
    clusters = _clusters(bad, run_events, rules, history.build_ids)
    tests = _tests(history, stats, runs, verdicts, clusters, outage_ids, rules)
    return FlakyReport(
        builds=history.build_ids, tests=tests, clusters=clusters,
        outages=_outages(outcomes, history.results), skipped_builds=history.skipped,
        warnings=list(warnings or []) + history.warnings, window=dict(window or {}),
        generated_by=f"triage {__version__}")


def _clusters(bad: pd.DataFrame, run_events: dict, rules: list[Rule],
              build_order: list[str]) -> list[FlakyCluster]:
    if bad.empty:
        return []
    position = {build: i for i, build in enumerate(build_order)}
    tokens_by_run = {index: endpoint_tokens(events) for index, events in run_events.items()}
    upstreams = {key: set().union(*(tokens_by_run[i] for i in bad.index[bad["key"] == key]))
                 for key in bad["key"].unique()}
    clusterer = FlakyClusterer().fit(bad, upstreams)
    found = []
    for number, keys in enumerate(clusterer.groups(), start=1):
        rows = bad[bad["key"].isin(keys)]
        events = timeline([run_events[i] for i in rows.index])
        guess = guess_category(rows, events, rules, flaky=True)
        signature = rows["signature"].mode()
        found.append(FlakyCluster(
            id=f"c{number}", tests=sorted(keys), signature=signature.iloc[0] if len(signature) else None,
            category=guess.category, builds=sorted(rows["build"].unique(), key=position.__getitem__),
            confidence=guess.confidence, rules=guess.rules, explanation=guess.explanation,
            evidence=_cluster_evidence(rows, tokens_by_run, position), log_evidence=guess.evidence[:MAX_LOG_EVIDENCE]))
    return found


def _cluster_evidence(rows: pd.DataFrame, tokens_by_run: dict, position: dict[str, int]) -> list[str]:
    builds = sorted(rows["build"].unique(), key=position.__getitem__)
    members = rows["key"].nunique()
    evidence = []
    if members > 1:
        together = rows.groupby("build", sort=False)["key"].nunique()
        shared = [b for b in builds if together[b] > 1]
        evidence.append(f"co-failure: {members} tests failed together in {len(shared)} of {len(builds)} "
                        f"builds ({', '.join(shared[:8])}{' ...' if len(shared) > 8 else ''})")
    else:
        evidence.append(f"fails alone: {len(builds)} build(s), no other flaky test failing with it often")
    signature = rows["signature"].mode()
    if len(signature):
        same = rows[rows["signature"] == signature.iloc[0]]
        first_line = str(same.iloc[-1]["message"]).split("\n")[0][:160]
        evidence.append(f"signature {signature.iloc[0]} in {len(same)} of {len(rows)} failures: {first_line}")
    seen: dict[str, set[str]] = {}
    for index, row in rows.iterrows():
        for token in tokens_by_run.get(index, ()):
            seen.setdefault(token, set()).add(row["build"])
    common = sorted((t for t, b in seen.items() if len(b) >= UPSTREAM_SHARE * len(builds)),
                    key=lambda t: (-len(seen[t]), t))
    if common:
        evidence.append("errors logged while they failed: " + ", ".join(
            f"{t} ({len(seen[t])} builds)" for t in common[:6]))
    retried = int(rows["passed_on_retry"].astype(bool).sum())
    if retried:
        evidence.append(f"passed on retry {retried} time(s)")
    return evidence


def _tests(history: History, stats: pd.DataFrame, runs: pd.DataFrame, verdicts: dict[str, TestVerdict],
           clusters: list[FlakyCluster], outage_ids: set[str], rules: list[Rule]) -> list[TestFlakiness]:
    cluster_of = {key: c for c in clusters for key in c.tests}
    results = history.results
    marked = results.assign(status=results["status"].where(~results["build"].isin(outage_ids), "outage"),
                            passed_on_retry=results["passed_on_retry"] & ~results["build"].isin(outage_ids))
    outcomes = outcome_string(marked, history.build_ids)
    tests = []
    for row in stats.itertuples(index=False):
        verdict = verdicts[row.key]
        cluster = cluster_of.get(row.key)
        bad = runs[(runs["key"] == row.key) & runs["bad"]]
        signature = bad["signature"].mode()
        category = cluster.category if cluster else None
        if cluster is None and verdict.verdict != "passing":
            category = guess_category(bad, timeline([]), rules,
                                      code_change=bool(verdict.changed_paths)).category
        tests.append(TestFlakiness(
            name=row.name, suite=row.suite, runs=row.runs, failures=row.failures,
            passed_on_retry=row.passed_on_retry, flip_rate=float(row.flip_rate), score=float(row.score),
            flaky=verdict.verdict == "flaky", verdict=verdict.verdict, cluster=cluster.id if cluster else None,
            category=category, commit_flips=row.commit_flips, outcomes=outcomes.get(row.key, ""),
            since=verdict.since, fixed_in=verdict.fixed_in, failed_builds=list(bad["build"]),
            changed_paths=verdict.changed_paths, signature=signature.iloc[0] if len(signature) else None,
            evidence=verdict.evidence))
    tests.sort(key=lambda t: (VERDICT_ORDER[t.verdict], -t.score, t.key))
    return tests


def _outages(outcomes: pd.DataFrame, results: pd.DataFrame) -> list[OutageBuild]:
    found = []
    for row in outcomes[outcomes["outage"]].itertuples(index=False):
        failed = results[(results["build"] == row.build) & results["status"].isin(("failed", "error"))]
        signature = failed["signature"].mode()
        example = failed[failed["signature"] == signature.iloc[0]] if len(signature) else failed
        message = str(example.iloc[0]["message"]).split("\n")[0][:200] if len(example) else ""
        found.append(OutageBuild(build=row.build, failed=int(row.failed), tests=int(row.tests),
                                 share=float(row.share), signature=signature.iloc[0] if len(signature) else None,
                                 message=message))
    return found

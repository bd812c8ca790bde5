"""Per-test and per-build figures as pure functions of the results frame.

Everything here takes the frame ``history.load_history`` builds (one row per
test per build) and returns a new DataFrame; nothing reads files. The same
numbers can be computed elsewhere (e.g. by a search engine's aggregations) and
compared with these.

Definitions (a *run* is a row whose status is not ``skipped``):
- ``failures``: runs whose final status is failed or error;
- ``passed_on_retry``: runs that passed after a failed attempt;
- a run is *bad* when it failed or needed a retry;
- ``flip_rate``: changes between bad and good over consecutive runs (oldest
  first), divided by ``runs - 1``;
- ``commit_flips``: (commit, env) pairs with both a bad and a good run;
- ``inconsistency``: the share of bad runs that passed on retry or share their
  (commit, env) with a good run: the failure did not follow from the code;
- ``score``: ``(flip_rate + inconsistency) / 2``, 0 = steady, 1 = a coin toss
  that code changes do not explain.
"""
from __future__ import annotations

import pandas as pd

FAILED_STATUSES = ("failed", "error")
OUTCOME_CODES = {"passed": "P", "failed": "F", "error": "E", "skipped": "S", "retry": "R", "outage": "x"}
OUTAGE_SHARE = 0.5
OUTAGE_MIN_FAILED = 3
STATS_COLUMNS = ("key", "suite", "name", "runs", "failures", "passed_on_retry", "flips", "flip_rate",
                 "commit_flips", "inconsistency", "score", "first_build", "last_build", "last_status")


def with_outcomes(results: pd.DataFrame) -> pd.DataFrame:
    """The runs (skipped rows dropped) with ``failed`` and ``bad`` flags, oldest first."""
    runs = results[results["status"] != "skipped"].copy()
    runs["failed"] = runs["status"].isin(FAILED_STATUSES)
    runs["bad"] = runs["failed"] | runs["passed_on_retry"].astype(bool)
    order = runs["build"].map({b: i for i, b in enumerate(dict.fromkeys(results["build"]))})
    runs["_order"] = order
    return runs.sort_values(["key", "_order"], kind="stable")


def per_test_stats(results: pd.DataFrame) -> pd.DataFrame:
    """One row per test (``STATS_COLUMNS``), sorted by key.

    ``results`` must be in build order (oldest build first), as loaded.
    """
    runs = with_outcomes(results)
    if runs.empty:
        return pd.DataFrame(columns=list(STATS_COLUMNS))
    grouped = runs.groupby("key", sort=True)
    stats = grouped.agg(suite=("suite", "first"), name=("name", "first"), runs=("status", "size"),
                        failures=("failed", "sum"), passed_on_retry=("passed_on_retry", "sum"),
                        bad=("bad", "sum"), first_build=("build", "first"), last_build=("build", "last"),
                        last_status=("status", "last"))
    return order_figures(stats, runs)


def order_figures(stats: pd.DataFrame, runs: pd.DataFrame) -> pd.DataFrame:
    """``stats`` (per-test counts indexed by key, with ``runs`` and ``bad``) completed
    with the figures that depend on build order (flips, flip rate, commit flips,
    inconsistency, score), as the ``STATS_COLUMNS`` frame. ``runs`` as
    ``with_outcomes`` gives them, oldest first."""
    stats["flips"] = runs.groupby("key")["bad"].apply(lambda s: int((s.astype(int).diff().abs() == 1).sum()))
    stats["flip_rate"] = (stats["flips"] / (stats["runs"] - 1).clip(lower=1)).where(stats["runs"] > 1, 0.0)
    mixed = mixed_commits(runs)
    stats["commit_flips"] = mixed.groupby("key").size().reindex(stats.index, fill_value=0)
    inconsistent = runs.merge(mixed[["key", "commit", "env"]].assign(_mixed=True),
                              on=["key", "commit", "env"], how="left")
    inconsistent["_mixed"] = inconsistent["_mixed"].eq(True)
    odd = inconsistent["bad"] & (inconsistent["_mixed"] | inconsistent["passed_on_retry"].astype(bool))
    stats["inconsistency"] = (odd.groupby(inconsistent["key"]).sum().reindex(stats.index, fill_value=0)
                              / stats["bad"].clip(lower=1))
    stats["score"] = ((stats["flip_rate"] + stats["inconsistency"]) / 2).round(3)
    stats["flip_rate"] = stats["flip_rate"].round(3)
    stats["inconsistency"] = stats["inconsistency"].round(3)
    for column in ("runs", "failures", "passed_on_retry", "flips", "commit_flips"):
        stats[column] = stats[column].astype(int)
    return stats.reset_index()[list(STATS_COLUMNS)]


def mixed_commits(runs: pd.DataFrame) -> pd.DataFrame:
    """(key, commit, env) groups with both a bad and a good run; unknown commits never mix."""
    known = runs.dropna(subset=["commit"]).assign(env=lambda f: f["env"].fillna(""))
    if known.empty:
        return pd.DataFrame(columns=["key", "commit", "env"])
    summary = known.groupby(["key", "commit", "env"])["bad"].agg(["any", "all"]).reset_index()
    return summary[summary["any"] & ~summary["all"]][["key", "commit", "env"]]


def build_outcomes(results: pd.DataFrame) -> pd.DataFrame:
    """Per build: tests run, failed, share failed, and whether it is an outage
    (at least ``OUTAGE_MIN_FAILED`` failed and more than ``OUTAGE_SHARE`` of them)."""
    runs = with_outcomes(results)
    order = list(dict.fromkeys(results["build"]))
    per = runs.groupby("build").agg(tests=("status", "size"), failed=("failed", "sum"))
    per = per.reindex(order, fill_value=0)
    per["share"] = (per["failed"] / per["tests"].clip(lower=1)).round(3)
    per["outage"] = (per["failed"] >= OUTAGE_MIN_FAILED) & (per["share"] > OUTAGE_SHARE)
    per["failed"] = per["failed"].astype(int)
    return per.reset_index().rename(columns={"index": "build"})


def outcome_string(results: pd.DataFrame, builds: list[str]) -> pd.Series:
    """Per test, one letter per build in ``builds``: P passed, R passed on retry,
    F failed, E error, S skipped, x run in an outage build, ``.`` not run."""
    code = results["status"].map(OUTCOME_CODES).where(~results["passed_on_retry"].astype(bool), "R")
    table = results.assign(code=code).pivot_table(index="key", columns="build", values="code",
                                                   aggfunc="last")
    table = table.reindex(columns=builds).fillna(".")
    return table.apply(lambda row: "".join(row), axis=1)

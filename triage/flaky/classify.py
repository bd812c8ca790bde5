"""Flaky, broken, regression: what a test's history says about it.

A test is
- ``broken`` when it failed every run from some build on (at least
  ``BROKEN_MIN_RUNS`` runs, up to the newest), whatever it did before;
- ``flaky`` when it passed on a retry, or failed and passed on the same commit
  in the same environment (CONTRACT §4);
- ``regression`` when it failed on every run of some commits and recovered,
  and the commit where it began failing or the one where it recovered changed
  files in the test's area (``changed_paths``): code broke it and code fixed it;
- ``failing`` when its newest runs failed but too few to call it broken;
- ``failed`` when it failed, recovered, and no change explains either;
- ``passing`` otherwise.
Outage builds are left out before any of this (see ``stats.build_outcomes``).
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field

import pandas as pd

BROKEN_MIN_RUNS = 3
_CAMEL = re.compile(r"(?<=[a-z0-9])(?=[A-Z])")
_WORDS = re.compile(r"[^A-Za-z0-9]+")
# Words every path or test name has; they say nothing about an area.
STOP_WORDS = frozenset({
    "test", "tests", "spec", "specs", "main", "java", "kotlin", "python", "shop", "services", "service",
    "internal", "source", "pages", "page", "components", "component", "routes", "index", "json", "yaml",
    "with", "after", "from", "into", "when", "that", "this", "should", "does", "have", "packages",
    "package", "github", "workflows", "resources", "lib", "docs",
})


@dataclass
class TestVerdict:
    """What the history says about one test, with the facts that decided it."""

    __test__ = False  # not a pytest test class

    key: str
    verdict: str
    since: str | None = None
    builds: list[str] = field(default_factory=list)
    fixed_in: str | None = None
    changed_paths: list[str] = field(default_factory=list)
    evidence: list[str] = field(default_factory=list)


def area_tokens(text: str) -> set[str]:
    """The words that say which part of the product ``text`` (a path or test name) is about."""
    words = _WORDS.split(_CAMEL.sub(" ", text))
    return {w.lower() for w in words if len(w) >= 4 and not w.isdigit() and w.lower() not in STOP_WORDS}


def touching(paths: tuple[str, ...] | None, key: str) -> list[str]:
    """The paths among ``paths`` that share an area word with the test ``key``."""
    if not paths:
        return []
    area = area_tokens(key)
    return [p for p in paths if area_tokens(p) & area]


def classify_tests(runs: pd.DataFrame, stats: pd.DataFrame, builds: pd.DataFrame) -> dict[str, TestVerdict]:
    """A verdict per test. ``runs`` come from ``stats.with_outcomes`` (outage builds
    already removed), ``stats`` from ``stats.per_test_stats``, ``builds`` from the history."""
    meta = builds.set_index("build")
    figures = stats.set_index("key")
    verdicts = {}
    for key, group in runs.groupby("key", sort=True):
        verdicts[key] = _classify(key, group, figures.loc[key], meta)
    return verdicts


def _short(commit: object) -> str:
    return str(commit)[:7] if isinstance(commit, str) else "unknown commit"


def _classify(key: str, group: pd.DataFrame, figures: pd.Series, meta: pd.DataFrame) -> TestVerdict:
    failed = list(group["failed"])
    builds = list(group["build"])
    streak = len(failed) - next((i + 1 for i in range(len(failed) - 1, -1, -1) if not failed[i]), 0)
    if streak >= BROKEN_MIN_RUNS:
        return _broken(key, group, streak, meta)
    if figures["passed_on_retry"] or figures["commit_flips"]:
        return _flaky(key, group, figures)
    if not figures["failures"]:
        return TestVerdict(key, "passing")
    if streak:
        return TestVerdict(key, "failing", since=builds[-streak], builds=builds[-streak:], evidence=[
            f"failed the newest {streak} run(s) since build {builds[-streak]}; fewer than "
            f"{BROKEN_MIN_RUNS}, too early to call it broken"])
    return _recovered(key, group, meta)


def _broken(key: str, group: pd.DataFrame, streak: int, meta: pd.DataFrame) -> TestVerdict:
    rows = group.iloc[-streak:]
    since = rows.iloc[0]
    evidence = [f"failed all {streak} runs since build {since['build']} (commit {_short(since['commit'])})"]
    paths = _change_at(group, len(group) - streak, key, meta)
    if paths:
        evidence.append(f"build {since['build']}'s commit changed {', '.join(paths)}")
    signature = rows["signature"].mode()
    if len(signature):
        same = int((rows["signature"] == signature.iloc[0]).sum())
        evidence.append(f"{same} of {streak} failures share signature {signature.iloc[0]}")
    return TestVerdict(key, "broken", since=str(since["build"]), builds=list(rows["build"]),
                       changed_paths=paths, evidence=evidence)


def _flaky(key: str, group: pd.DataFrame, figures: pd.Series) -> TestVerdict:
    evidence = []
    retried = list(group.loc[group["passed_on_retry"].astype(bool), "build"])
    if retried:
        evidence.append(f"passed on retry in {len(retried)} run(s): builds {', '.join(retried[:8])}"
                        + (" ..." if len(retried) > 8 else ""))
    if figures["commit_flips"]:
        mixed = group.dropna(subset=["commit"]).groupby(["commit", group["env"].fillna("")], sort=False)["bad"]
        pairs = [f"{_short(commit)} ({', '.join(group.loc[idx.index, 'build'])})"
                 for (commit, _env), idx in mixed if idx.any() and not idx.all()]
        evidence.append(f"failed and passed on the same commit {int(figures['commit_flips'])} time(s): "
                        + "; ".join(pairs[:4]) + (" ..." if len(pairs) > 4 else ""))
    bad = list(group.loc[group["bad"], "build"])
    return TestVerdict(key, "flaky", builds=bad, evidence=evidence)


def _change_at(group: pd.DataFrame, position: int, key: str, meta: pd.DataFrame) -> list[str]:
    """Paths in the test's area changed by the commit of run ``position``, if that
    run is on a different commit than the run before it."""
    row = group.iloc[position]
    if position > 0 and group.iloc[position - 1]["commit"] == row["commit"]:
        return []
    paths = meta.loc[row["build"], "changed_paths"] if row["build"] in meta.index else None
    return touching(paths if isinstance(paths, tuple) else None, key)


def _recovered(key: str, group: pd.DataFrame, meta: pd.DataFrame) -> TestVerdict:
    failed = list(group["failed"])
    builds = list(group["build"])
    first = failed.index(True)
    end = first
    while end < len(failed) and failed[end]:
        end += 1
    broke = _change_at(group, first, key, meta)
    fixed = _change_at(group, end, key, meta)
    segment = builds[first:end]
    commits = ", ".join(dict.fromkeys(_short(c) for c in group["commit"].iloc[first:end]))
    evidence = [f"failed every run of commit(s) {commits} (builds {', '.join(segment)}), "
                f"passed again from build {builds[end]}"]
    if broke or fixed:
        if broke:
            evidence.append(f"build {segment[0]}'s commit changed {', '.join(broke)}")
        if fixed:
            evidence.append(f"build {builds[end]}'s commit changed {', '.join(fixed)}")
        return TestVerdict(key, "regression", since=segment[0], builds=segment, fixed_in=builds[end],
                           changed_paths=sorted(set(broke) | set(fixed)), evidence=evidence)
    evidence.append("no changed_paths in the test's area explain the failure or the recovery")
    return TestVerdict(key, "failed", since=segment[0], builds=segment, fixed_in=builds[end],
                       evidence=evidence)

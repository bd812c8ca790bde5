"""Flakiness figures pushed down to Elasticsearch (issue 3 item 5).

The test-results index holds one document per test per build (``triage es
load``). Instead of fetching them all, ``EsHistory`` asks the cluster for:

- per build: tests and failed runs (a composite aggregation over the build), which
  decides the outage builds;
- per test: runs, failures, passed-on-retry and bad runs (a composite aggregation
  over suite and name with filter sub-aggregations), outage builds excluded;
- per test and build: the outcome (a composite aggregation over suite, name and
  build), from which the order-dependent figures come (flips, first and last
  build, commit flips, inconsistency) and the outcome strips;
- the documents of bad runs only (failed or passed on retry): their messages and
  failure types feed signatures, verdicts and clusters.

Every composite aggregation is paged with ``after_key`` to the end; ``pages``
counts the requests. The definitions are ``triage.flaky.stats``'s, and a test
checks the figures equal the pandas path's on the same data.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, Iterator

import pandas as pd

from triage.classify.signature import signature
from triage.elastic.client import SearchClient, call, connect
from triage.elastic.settings import EsSettings
from triage.flaky.history import BUILD_COLUMNS, RESULT_COLUMNS, History, build_info, result_key
from triage.flaky.stats import (FAILED_STATUSES, OUTAGE_MIN_FAILED, OUTAGE_SHARE, STATS_COLUMNS,
                                order_figures)

PAGE_SIZE = 1000
BUILDS_PAGE = 1000
_STATUS, _RETRY, _SUITE, _NAME = "test.status", "test.passed_on_retry", "test.suite", "test.name"
_FAILED = {"terms": {_STATUS: list(FAILED_STATUSES)}}
_RETRIED = {"term": {_RETRY: True}}
_SKIPPED = {"term": {_STATUS: "skipped"}}
_BAD = {"bool": {"should": [_FAILED, _RETRIED], "minimum_should_match": 1}}


@dataclass
class EsHistory:
    """A ``triage.flaky.source.HistorySource`` over ``settings``' tests and builds indices."""

    settings: EsSettings
    page_size: int = PAGE_SIZE
    client: SearchClient | None = None
    pages: dict[str, int] = field(default_factory=dict)  # aggregation -> requests made
    _metas: dict[str, dict[str, Any]] = field(default_factory=dict)
    _counts: dict[tuple[str, ...], dict[str, dict[str, int]]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.client = self.client or connect(self.settings)

    @property
    def where(self) -> str:
        return f"{self.settings.product} at {self.settings.host_label}, index {self.settings.indices.tests}"

    # --- builds -------------------------------------------------------------------------
    def build_metadata(self) -> dict[str, dict[str, Any]]:
        """Build id -> its build.json as stored in the builds index (read once)."""
        if not self._metas:
            self._metas = dict(self._build_docs())
        return self._metas

    def _build_docs(self) -> Iterator[tuple[str, dict[str, Any]]]:
        index, build_field = self.settings.indices.builds, self.settings.fields["build"]
        after: list[Any] | None = None
        while True:
            extra = {"search_after": after} if after else {}
            response = call(self.settings, index, "listing builds", self.client.search, index=index,
                            size=BUILDS_PAGE, ignore_unavailable=True, allow_no_indices=True,
                            sort=[{build_field: "asc"}], source=["triage.build_json", build_field],
                            **extra)
            hits = response["hits"]["hits"]
            for hit in hits:
                yield str(hit["sort"][0]), dict(((hit["_source"].get("triage") or {})
                                                 .get("build_json") or {}))
            if len(hits) < BUILDS_PAGE:
                return
            after = hits[-1]["sort"]

    # --- HistorySource ------------------------------------------------------------------
    def load(self, build_ids: list[str]) -> History:
        """The chosen builds' outcomes per test (from aggregations) and bad runs' documents.

        A build without test documents is skipped and named in a warning."""
        counts = self._per_build(build_ids)
        metas = self.build_metadata()
        skipped = [{"build": b, "reason": f"no test results in {self.settings.indices.tests}"}
                   for b in build_ids if counts.get(b, {}).get("documents", 0) == 0]
        kept = [b for b in build_ids if counts.get(b, {}).get("documents", 0)]
        infos = {b: build_info(b, metas.get(b, {}), counts[b]["documents"]) for b in kept}
        builds = pd.DataFrame([infos[b] for b in kept], columns=list(BUILD_COLUMNS))
        builds["order"] = range(len(builds))
        for column in ("started_at", "finished_at"):
            builds[column] = pd.to_datetime(builds[column], utc=True)
        outcomes = self._outcomes(kept, query=self._builds_query(kept), name="outcomes")
        details = self._bad_runs(kept)
        rows = [_row(infos[o["build"]], o, details.get((o["build"], o["suite"], o["name"])))
                for o in outcomes]
        order = {b: i for i, b in enumerate(kept)}
        results = pd.DataFrame(rows, columns=list(RESULT_COLUMNS))
        results = results.sort_values("build", key=lambda s: s.map(order), kind="stable")
        results["started_at"] = pd.to_datetime(results["started_at"], utc=True)
        warnings = [f"build {s['build']} skipped: {s['reason']}" for s in skipped]
        return History(results=results.reset_index(drop=True), builds=builds, skipped=skipped,
                       warnings=warnings)

    def build_outcomes(self, history: History) -> pd.DataFrame:
        """``stats.build_outcomes`` from a composite aggregation over the build."""
        order = history.build_ids
        counts = self._per_build(order)
        per = pd.DataFrame({"build": order, "tests": [counts[b]["runs"] for b in order],
                            "failed": [counts[b]["failed"] for b in order]})
        per["share"] = (per["failed"] / per["tests"].clip(lower=1)).round(3)
        per["outage"] = (per["failed"] >= OUTAGE_MIN_FAILED) & (per["share"] > OUTAGE_SHARE)
        return per

    def per_test_stats(self, history: History, outage_ids: set[str]) -> pd.DataFrame:
        """``stats.per_test_stats`` of the non-outage builds: counts from a composite
        aggregation over (suite, name), the order-dependent figures from one over
        (suite, name, build)."""
        kept = [b for b in history.build_ids if b not in outage_ids]
        counts = self._per_test(kept)
        if not counts:
            return pd.DataFrame(columns=list(STATS_COLUMNS))
        stats = pd.DataFrame(counts).set_index("key").sort_index()
        runs = pd.DataFrame(self._outcomes(kept, query=self._builds_query(kept, runs_only=True),
                                           name="ordered"))
        meta = history.builds.set_index("build")
        runs["key"] = [result_key(s, n) for s, n in zip(runs["suite"], runs["name"])]
        runs["_order"] = runs["build"].map({b: i for i, b in enumerate(kept)})
        runs["commit"], runs["env"] = runs["build"].map(meta["commit"]), runs["build"].map(meta["env"])
        runs = runs.sort_values(["key", "_order"], kind="stable")
        return _figures(stats, runs)

    # --- aggregations -------------------------------------------------------------------
    def _builds_query(self, builds: list[str], runs_only: bool = False) -> dict[str, Any]:
        query: dict[str, Any] = {"bool": {"filter": [{"terms": {self.settings.fields["build"]: builds}}]}}
        if runs_only:
            query["bool"]["must_not"] = [_SKIPPED]
        return query

    def _per_build(self, builds: list[str]) -> dict[str, dict[str, int]]:
        """Build -> documents, runs (not skipped) and failed runs (asked once per selection)."""
        if tuple(builds) in self._counts:
            return self._counts[tuple(builds)]
        sources = [{"build": {"terms": {"field": self.settings.fields["build"]}}}]
        aggs = {"runs": {"filter": {"bool": {"must_not": [_SKIPPED]}}}, "failed": {"filter": _FAILED}}
        found = {}
        for bucket in self._composite("builds", sources, aggs, self._builds_query(builds)):
            found[str(bucket["key"]["build"])] = {"documents": bucket["doc_count"],
                                                  "runs": bucket["runs"]["doc_count"],
                                                  "failed": bucket["failed"]["doc_count"]}
        self._counts[tuple(builds)] = found
        return found

    def _per_test(self, builds: list[str]) -> list[dict[str, Any]]:
        sources = [{"suite": {"terms": {"field": _SUITE}}}, {"name": {"terms": {"field": _NAME}}}]
        aggs = {"failures": {"filter": _FAILED}, "passed_on_retry": {"filter": _RETRIED},
                "bad": {"filter": _BAD}}
        return [{"key": result_key(b["key"]["suite"], b["key"]["name"]), "suite": b["key"]["suite"],
                 "name": b["key"]["name"], "runs": b["doc_count"],
                 **{a: b[a]["doc_count"] for a in aggs}}
                for b in self._composite("tests", sources, aggs,
                                         self._builds_query(builds, runs_only=True))]

    def _outcomes(self, builds: list[str], *, query: dict[str, Any], name: str) -> list[dict[str, Any]]:
        """One entry per (suite, name, build): its status and whether it passed on retry.

        A test reported twice in one build keeps its worst status (failed or error
        over passed over skipped) and counts as passed on retry if either did."""
        sources = [{"suite": {"terms": {"field": _SUITE}}}, {"name": {"terms": {"field": _NAME}}},
                   {"build": {"terms": {"field": self.settings.fields["build"]}}}]
        aggs = {"status": {"terms": {"field": _STATUS, "size": 10}}, "retried": {"filter": _RETRIED}}
        found = []
        for bucket in self._composite(name, sources, aggs, query):
            statuses = {s["key"] for s in bucket["status"]["buckets"]}
            status = next((s for s in ("error", "failed", "passed", "skipped") if s in statuses),
                          min(statuses) if statuses else "passed")
            found.append({"suite": bucket["key"]["suite"], "name": bucket["key"]["name"],
                          "build": str(bucket["key"]["build"]), "status": status,
                          "failed": status in FAILED_STATUSES,
                          "passed_on_retry": bucket["retried"]["doc_count"] > 0})
        for entry in found:
            entry["bad"] = entry["failed"] or entry["passed_on_retry"]
        return found

    def _composite(self, name: str, sources: list[dict], aggs: dict[str, Any],
                   query: dict[str, Any]) -> Iterator[dict[str, Any]]:
        """Every bucket of a composite aggregation, paged with ``after_key`` to the end."""
        index = self.settings.indices.tests
        after: dict[str, Any] | None = None
        while True:
            composite: dict[str, Any] = {"size": self.page_size, "sources": sources}
            if after:
                composite["after"] = after
            response = call(self.settings, index, f"aggregating test results ({name})",
                            self.client.search, index=index, size=0, query=query,
                            aggs={"page": {"composite": composite, "aggs": aggs}},
                            ignore_unavailable=True, allow_no_indices=True)
            self.pages[name] = self.pages.get(name, 0) + 1
            page = (response.get("aggregations") or {}).get("page") or {}
            yield from page.get("buckets", [])
            after = page.get("after_key")
            if not after or len(page.get("buckets", [])) < self.page_size:
                return

    def _bad_runs(self, builds: list[str]) -> dict[tuple[str, str, str], dict[str, Any]]:
        """(build, suite, name) -> message, failure type and timing of runs that failed or
        passed on retry: the only documents fetched whole."""
        index = self.settings.indices.tests
        query = {"bool": {"filter": [{"terms": {self.settings.fields["build"]: builds}}, _BAD]}}
        found: dict[tuple[str, str, str], dict[str, Any]] = {}
        after: list[Any] | None = None
        while True:
            extra = {"search_after": after} if after else {}
            response = call(self.settings, index, "reading failed test results", self.client.search,
                            index=index, size=self.page_size, query=query, ignore_unavailable=True,
                            allow_no_indices=True, sort=[{self.settings.fields["build"]: "asc"},
                                                         {"test.seq": "asc"}],
                            source=[_SUITE, _NAME, _STATUS, "test.attempts", "test.started_at", "test.duration_s",
                                    "error.message", "error.type", "error.stack_trace",
                                    self.settings.fields["build"]], **extra)
            self.pages["documents"] = self.pages.get("documents", 0) + 1
            hits = response["hits"]["hits"]
            for hit in hits:
                doc = hit["_source"]
                test = doc.get("test") or {}
                found[(str(hit["sort"][0]), test.get("suite", ""), test.get("name", ""))] = doc
            if len(hits) < self.page_size:
                return found
            after = hits[-1]["sort"]


def _row(info: dict[str, Any], outcome: dict[str, Any], doc: dict[str, Any] | None) -> dict[str, Any]:
    """One results row, as ``history.result_row`` makes it from a report."""
    test = (doc or {}).get("test") or {}
    error = (doc or {}).get("error") or {}
    failed = outcome["status"] in FAILED_STATUSES or outcome["passed_on_retry"]  # TestResult.failed
    stack = error.get("stack_trace") or ""
    message = error.get("message") or (stack.splitlines()[0] if stack else "")
    failure_type = error.get("type") or ""
    started, duration = test.get("started_at"), test.get("duration_s")
    return {
        "build": outcome["build"], "started_at": info["started_at"], "commit": info["commit"],
        "env": info["env"], "trigger": info["trigger"],
        "key": result_key(outcome["suite"], outcome["name"]), "suite": outcome["suite"],
        "name": outcome["name"], "status": outcome["status"],
        "attempts": int(test.get("attempts") or 1),
        "passed_on_retry": outcome["passed_on_retry"], "message": message if failed else "",
        "failure_type": failure_type if failed else "",
        "signature": signature(message, failure_type) if failed else None,
        "test_started_at": started if started is not None else math.nan,
        "duration_s": duration if duration is not None else math.nan,
    }


def _figures(stats: pd.DataFrame, runs: pd.DataFrame) -> pd.DataFrame:
    """The order-dependent figures of ``stats.per_test_stats`` from per-(test, build)
    outcomes, joined to the aggregated counts."""
    grouped = runs.groupby("key", sort=True)
    stats["first_build"] = grouped["build"].first()
    stats["last_build"] = grouped["build"].last()
    stats["last_status"] = grouped["status"].last()
    return order_figures(stats, runs)

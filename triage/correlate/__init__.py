"""The correlator: align clocks, join layers on ids, link failed tests to requests.

``correlate(build)`` is the one entry point; it returns a ``Correlation`` whose
``failures`` each carry a timeline across layers (a DataFrame, oldest first).
"""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from triage.correlate.clock import ClockOffset, apply_offsets, estimate_offsets
from triage.correlate.groups import codes_of, group_requests
from triage.correlate.links import (
    LinkIndex, concurrency_of, infer_runner_ip, link_by_ids, link_by_tags, link_by_window,
    test_window,
)
from triage.ingest.caps import Cut, started_after
from triage.ingest.loader import LoadedBuild
from triage.model import EVENT_COLUMNS, Layer, Link, TestResult

MAX_TIMELINE = 400
CONTEXT_LEVELS = ("warn", "error", "fatal")
CONTEXT_CONFIDENCE = 0.3


@dataclass
class CorrelatedFailure:
    test: TestResult
    links: list[Link]
    timeline: pd.DataFrame
    missing: list[str] = field(default_factory=list)

    @property
    def request_keys(self) -> list[str]:
        return [link.request_key for link in self.links]


@dataclass
class Correlation:
    events: pd.DataFrame
    offsets: dict[str, ClockOffset]
    failures: list[CorrelatedFailure]
    runner_ip: str | None
    runner_ip_origin: str | None  # "build.json", "inferred" or None


def correlate(build: LoadedBuild) -> Correlation:
    """Clock-align the build's events and link each failed test to its requests."""
    events = build.events.copy(deep=False)
    groups = group_requests(events)
    events["key"] = groups.keys
    layer_of = {s.path: s.layer or "" for s in build.sources}
    offsets = estimate_offsets(events, layer_of)
    events = apply_offsets(events, offsets)
    failed = [t for t in build.tests if t.failed]
    if not failed:  # nothing to link, so no link index to build
        return Correlation(events, offsets, [], *_runner_ip(build, [], None))
    index = LinkIndex.build(events, groups)

    strong: dict[int, list[Link]] = {}
    for position, test in enumerate(failed):
        links = link_by_ids(test, index)
        seen = {link.request_key for link in links}
        links += [link for link in link_by_tags(test, index) if link.request_key not in seen]
        strong[position] = links

    runner_ip, origin = _runner_ip(build, [l for ls in strong.values() for l in ls], index)
    taken = {link.request_key for links in strong.values() for link in links}
    context = context_events(events)
    results = []
    for position, test in enumerate(failed):
        links = list(strong[position])
        if not links:
            links = link_by_window(test, index, runner_ip, concurrency_of(test, build.tests), taken)
        timeline = build_timeline(events, test, links, context)
        results.append(CorrelatedFailure(test, links, timeline,
                                         missing_evidence(test, links, runner_ip, build.cuts)))
    return Correlation(events, offsets, results, runner_ip, origin)


def _runner_ip(build: LoadedBuild, strong: list[Link], index: LinkIndex | None
               ) -> tuple[str | None, str | None]:
    """The runner's client IP and where it came from: build.json, else inferred
    from the id- and tag-linked requests (None when there are none)."""
    if build.metadata.get("runner_ip"):
        return build.metadata["runner_ip"], "build.json"
    inferred = infer_runner_ip(strong, index) if strong and index is not None else None
    return inferred, "inferred" if inferred else None


def context_events(events: pd.DataFrame) -> pd.DataFrame:
    """Id-less warnings and errors (e.g. a TLS handshake failure): what a
    timeline takes from the test's time window. Picked once for all failures."""
    return events.loc[events["key"].isna().to_numpy() & events["level"].isin(CONTEXT_LEVELS).to_numpy()]


def build_timeline(events: pd.DataFrame, test: TestResult, links: list[Link],
                   context: pd.DataFrame | None = None) -> pd.DataFrame:
    """The test's own events, its linked requests across layers, and nearby
    id-less warnings/errors (``context_events``, of ``events`` unless given),
    oldest first."""
    by_key = {link.request_key: link for link in links}
    linked = events.iloc[_rows_with_keys(events["key"], by_key.keys())].copy()
    linked["key"] = linked["key"].astype("object")
    linked["link_method"] = linked["key"].map({k: link.method for k, link in by_key.items()})
    linked["link_confidence"] = linked["key"].map({k: link.confidence for k, link in by_key.items()})
    parts = [test_events(test), linked]
    window = test_window(test)
    if window is not None:
        context = context_events(events) if context is None else context
        nearby = context.loc[context["ts"].between(window[0], window[1])].copy()
        nearby["link_method"] = "time-window-context"
        nearby["link_confidence"] = CONTEXT_CONFIDENCE
        parts.append(nearby)
    timeline = pd.concat([p for p in parts if not p.empty], ignore_index=True) if any(
        not p.empty for p in parts) else parts[0]
    timeline = timeline.sort_values(["ts", "layer", "line"], kind="stable", na_position="first")
    if len(timeline) > MAX_TIMELINE:
        important = timeline["status"].fillna(0).astype(int).ge(400) | timeline["level"].isin(CONTEXT_LEVELS)
        timeline = pd.concat([timeline[important], timeline[~important]]).head(MAX_TIMELINE)
        timeline = timeline.sort_values(["ts", "layer", "line"], kind="stable", na_position="first")
    return timeline.reset_index(drop=True)


def _rows_with_keys(key: pd.Series, wanted: Iterable[str]) -> np.ndarray:
    """Positions of the events whose join key is one of ``wanted``, compared as codes."""
    if not isinstance(key.dtype, pd.CategoricalDtype):
        return np.flatnonzero(key.isin(list(wanted)).to_numpy())
    return np.flatnonzero(np.isin(key.cat.codes.to_numpy(), codes_of(key.cat.categories, wanted)))


def test_events(test: TestResult) -> pd.DataFrame:
    """The test's start and its failure as timeline rows of layer ``test``."""
    rows = []
    start = test.started_at
    base = {column: None for column in EVENT_COLUMNS}
    base.update(layer=Layer.TEST.value, service=test.suite or None, source=test.file,
                line=test.line, link_method="self", link_confidence=1.0, key=None)
    if start is not None:
        rows.append({**base, "ts": start, "level": "info", "message": f"test started: {test.name}"})
    if test.message or test.failure_type:
        end = start + (test.duration_s or 0.0) if start is not None else None
        first_line = (test.message or test.failure_type).strip().splitlines()[0] if (
            test.message or test.failure_type).strip() else test.failure_type
        rows.append({**base, "ts": end, "level": "error",
                     "message": f"test {'failed then passed on retry' if test.passed_on_retry else 'failed'}: {first_line}"})
    frame = pd.DataFrame(rows, columns=[*EVENT_COLUMNS, "key", "link_method", "link_confidence"])
    frame["ts"] = pd.to_datetime(pd.to_numeric(frame["ts"], errors="coerce"), unit="s", utc=True)
    return frame


def missing_evidence(test: TestResult, links: list[Link], runner_ip: str | None,
                     cuts: dict[str, Cut] | None = None) -> list[str]:
    """What an unlinked failure lacked; ``cuts`` (sources ``--max-events`` cut) add
    the files that stopped being read before the test started."""
    if links:
        return []
    missing = ["no request or trace id in the test's output matched a logged request",
               "no request carried a test tag (User-Agent triage-test/<slug> or x-test-name header)"]
    if test.started_at is None:
        missing.append("the test report has no start time, so no time-window link was possible")
    elif runner_ip is None:
        missing.append("the runner's client IP is unknown (set runner_ip in build.json)")
    else:
        missing.append(f"no request from the runner ({runner_ip}) was logged during the test")
    for path, cut in sorted((cuts or {}).items()):
        if started_after(cut, test):
            missing.append(f"--max-events stopped reading {path} at line {cut.last_line}, before the "
                           "test started, so its events from then on were not read")
    return missing

"""Helpers for investigating in a notebook, on the same objects the CLI uses:
builds, reports and flakiness results as DataFrames, one request followed
across layers, rules written inline as YAML, a failure's timeline as a
matplotlib figure, and the builds around a change.

Every piece of log or test text these helpers return has passed through
``triage.redact`` (a notebook's output is shared like a report). Re-exported
by ``triage.api`` and ``triage``; nothing here prints.
"""
from __future__ import annotations

import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from triage.classify.examples import run_examples
from triage.classify.rules import DEFAULT_RULES_DIR, Rule, load_rules
from triage.correlate import Correlation
from triage.errors import RuleError, UsageError
from triage.flaky.result import FlakyReport
from triage.ingest.loader import LoadedBuild
from triage.model import Failure
from triage.redact import redact

if TYPE_CHECKING:
    from matplotlib.figure import Figure

    from triage.flaky.history import History

TEXT_COLUMNS = ("message", "error", "path", "user_agent")
REQUEST_COLUMNS = ["ts", "layer", "service", "source", "line", "method", "path", "status", "latency_ms",
                   "upstream_host", "upstream_status", "request_id", "trace_id", "message"]
LANE_ORDER = ["test", "ingress", "gateway", "app", "dependency"]


def _redacted(frame: pd.DataFrame) -> pd.DataFrame:
    frame = frame.copy()
    for column in TEXT_COLUMNS:
        if column in frame.columns:
            frame[column] = frame[column].map(lambda v: redact(v) if isinstance(v, str) else v)
    return frame


def tests_frame(build: LoadedBuild) -> pd.DataFrame:
    """One row per test of ``build``: suite, name, status, attempts,
    passed_on_retry, duration_s, runner and the (redacted) failure message."""
    rows = [{"suite": t.suite, "name": t.name, "status": t.status.value, "attempts": t.attempts,
             "passed_on_retry": t.passed_on_retry, "duration_s": t.duration_s, "runner": t.runner,
             "message": redact(t.message or "")} for t in build.tests]
    return pd.DataFrame(rows, columns=["suite", "name", "status", "attempts", "passed_on_retry",
                                       "duration_s", "runner", "message"])


def request_events(source: LoadedBuild | Correlation, request_id: str) -> pd.DataFrame:
    """Every event, in every layer, that carries ``request_id`` (as its request
    id or trace id), oldest first, messages redacted.

    Given a ``Correlation`` the clock-corrected times are used. Raises
    UsageError when no event carries the id.
    """
    events = source.events
    wanted = request_id.strip().lower()
    mask = (events["request_id"].astype("string").str.lower() == wanted).fillna(False)
    mask |= (events["trace_id"].astype("string").str.lower() == wanted).fillna(False)
    found = events.loc[mask, [c for c in REQUEST_COLUMNS if c in events.columns]]
    if found.empty:
        raise UsageError(f"no event carries request id {request_id!r}")
    found = found.sort_values(["ts", "line"], kind="stable", na_position="first").reset_index(drop=True)
    return _redacted(found)


def timeline_frame(failure: Failure) -> pd.DataFrame:
    """A failure's correlated timeline as a DataFrame (``evidence`` marks the
    lines that decided it); text as the report holds it (redacted)."""
    cited = {(e.file, e.line, e.message) for e in failure.evidence}
    rows = [{"ts": pd.Timestamp(e.ts) if e.ts else pd.NaT, "layer": e.source, "service": e.service,
             "file": e.file, "line": e.line, "status": e.status, "level": e.level,
             "request_id": e.request_id, "message": redact(e.message),
             "evidence": (e.file, e.line, e.message) in cited} for e in failure.timeline]
    return pd.DataFrame(rows, columns=["ts", "layer", "service", "file", "line", "status", "level",
                                       "request_id", "message", "evidence"])


def plot_timeline(failure: Failure) -> "Figure":
    """A failure's timeline as a matplotlib swimlane: one lane per layer, one
    dot per event, 4xx/5xx and errors in red, evidence circled.

    Raises UsageError when matplotlib is not installed or no event has a time.
    """
    try:
        from matplotlib.dates import AutoDateLocator, ConciseDateFormatter
        from matplotlib.figure import Figure
    except ImportError as exc:
        raise UsageError("plot_timeline needs matplotlib: pip install matplotlib") from exc
    frame = timeline_frame(failure).dropna(subset=["ts"])
    if frame.empty:
        raise UsageError(f"no timed event in the timeline of {failure.test.name!r}")
    lanes = [lane for lane in LANE_ORDER if lane in set(frame["layer"])] + sorted(
        set(frame["layer"]) - set(LANE_ORDER))
    y = frame["layer"].map({lane: i for i, lane in enumerate(lanes)})
    bad = frame["status"].fillna(0).astype(int).ge(400) | frame["level"].isin(["error", "fatal"])
    figure = Figure(figsize=(10, 0.6 * len(lanes) + 1.4))
    ax = figure.subplots()
    ax.scatter(frame["ts"], y, c=["#dc2626" if b else "#64748b" for b in bad], s=18, zorder=2)
    hits = frame["evidence"]
    ax.scatter(frame.loc[hits, "ts"], y[hits], s=140, facecolors="none", edgecolors="#c2410c",
               linewidths=1.8, zorder=3, label="evidence")
    ax.set_yticks(range(len(lanes)), lanes)
    ax.set_ylim(-0.6, len(lanes) - 0.4)
    ax.invert_yaxis()
    ax.grid(axis="x", color="#e5e7eb")
    locator = AutoDateLocator()
    ax.xaxis.set_major_locator(locator)
    ax.xaxis.set_major_formatter(ConciseDateFormatter(locator))
    ax.set_title(f"{failure.test.name}: {failure.category.value} ({failure.confidence:.2f})")
    ax.legend(loc="upper right", fontsize="small")
    figure.tight_layout()
    return figure


def rules_from_yaml(text: str, name: str = "notebook-rules.yaml", with_defaults: bool = True) -> list[Rule]:
    """Rules written as a YAML string (the format of ``rules/*.yaml``), checked
    like rule files (schema, then each rule's own examples, as ``triage rules
    validate`` does), after the built-in rules unless ``with_defaults`` is False.

    Raises RuleError listing every problem, located as ``<name>:<line>``.
    """
    with tempfile.TemporaryDirectory(prefix="triage-rules-") as folder:
        path = Path(folder) / Path(name).name
        path.write_text(text, encoding="utf-8")
        try:
            rules = load_rules(([DEFAULT_RULES_DIR] if with_defaults else []) + [path])
        except RuleError as exc:
            raise RuleError([p.replace(str(path), path.name) for p in exc.problems]) from None
    own = [rule for rule in rules if rule.file == str(path)]
    for rule in own:
        rule.file = path.name
    problems = run_examples(own)
    if problems:
        raise RuleError(problems)
    return rules


def flaky_frame(report: FlakyReport) -> pd.DataFrame:
    """One row per test of a flakiness report: its figures, verdict, cluster,
    category and one-letter-per-build outcomes (columns in ``report.builds`` order)."""
    rows = [{"suite": t.suite, "name": t.name, "verdict": t.verdict, "runs": t.runs, "failures": t.failures,
             "passed_on_retry": t.passed_on_retry, "flip_rate": t.flip_rate, "score": t.score,
             "cluster": t.cluster, "category": t.category, "since": t.since, "fixed_in": t.fixed_in,
             "outcomes": t.outcomes} for t in report.tests]
    return pd.DataFrame(rows)


def history(data_dir: Path | str | None = None, builds: str | None = None, since: str | None = None) -> "History":
    """The test results of many builds (``.results``: one row per test per
    build, messages redacted) and the builds themselves (``.builds``: commit,
    env, trigger, changed_paths, started_at), as ``triage flaky`` reads them.

    ``builds``/``since`` select a window as in ``triage.api.flaky``; raises
    UsageError for a bad window or a data dir without builds.
    """
    from triage.api import list_builds
    from triage.config import resolve
    from triage.flaky.history import load_history
    from triage.flaky.window import select_builds

    settings = resolve(Path(data_dir) if data_dir else None)
    available = list_builds(settings.data_dir)
    if not available:
        raise UsageError(f"no builds under {settings.data_dir}/builds")
    chosen, warnings = select_builds(settings.data_dir, available, builds, since, None)
    loaded = load_history(settings.data_dir, chosen)
    loaded.results = _redacted(loaded.results)
    loaded.warnings = warnings + loaded.warnings
    return loaded


def builds_around(builds: pd.DataFrame, build: str, before: int = 2, after: int = 1) -> pd.DataFrame:
    """The rows of a history's ``builds`` frame from ``before`` builds before
    ``build`` to ``after`` builds after it. Raises UsageError for an unknown build."""
    ids = list(builds["build"])
    if build not in ids:
        raise UsageError(f"build {build!r} is not in this history")
    at = ids.index(build)
    return builds.iloc[max(0, at - before): at + after + 1].reset_index(drop=True)


def last_passing_before(results: pd.DataFrame, key: str, build: str) -> Any:
    """The last build before ``build`` in which test ``key`` (``suite::name``)
    passed at the first attempt, or None."""
    runs = results[(results["key"] == key)].reset_index(drop=True)
    position = runs.index[runs["build"] == build]
    if not len(position):
        raise UsageError(f"test {key!r} did not run in build {build!r}")
    earlier = runs.iloc[: position[0]]
    passed = earlier[(earlier["status"] == "passed") & ~earlier["passed_on_retry"].astype(bool)]
    return passed.iloc[-1]["build"] if len(passed) else None

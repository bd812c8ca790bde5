"""History in the report: for each failure of a run, its look-alikes in earlier builds.

    from triage.history import past_failures
    past = past_failures("sample_data", "1234", build.metadata)  # earlier builds, 30 days
    past.for_failure(report.failures[1]).line()
    # 'seen 6 times in 30 days across 6 builds (first 1184, last 1226), 5 confirmed dependency; ...'

A past failure is a look-alike when it is the same test with the same
signature, or when its message is at least ``similar.NEAR`` alike (the
signature's masks, quoted values kept). Confirmed labels come from the learn
store (``<data-dir>/labels/labels.jsonl``). History never changes a category.
"""
from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

from triage.history.lookup import PastFailures
from triage.history.model import FailureHistory, PastFailure, TestRuns
from triage.history.past import DEFAULT_WINDOW_DAYS, anchor_time, builds_in_window, load_past

__all__ = ["DEFAULT_WINDOW_DAYS", "FailureHistory", "PastFailure", "PastFailures", "TestRuns", "past_failures"]


def past_failures(data_dir: Path | str, build_id: str, metadata: dict[str, Any],
                  window_days: float = DEFAULT_WINDOW_DAYS, now: datetime | None = None) -> PastFailures:
    """The failures of builds that started in the ``window_days`` before ``build_id``
    (its build.json ``started_at``, else ``now``), with the confirmed labels.

    Builds whose report cannot be parsed are skipped and named in ``warnings``, as are
    unusable label lines. Raises UsageError for a negative window.
    """
    from triage.api import list_builds
    from triage.errors import UsageError
    from triage.learn.labels import read_labels

    if window_days < 0:
        raise UsageError(f"history window must be 0 days or more, not {window_days}")
    data_dir = Path(data_dir)
    anchor, dated = anchor_time(metadata, now)
    warnings = [] if dated else [f"history: build {build_id} has no started_at in build.json; "
                                 f"the {window_days:g}-day window is counted back from {anchor:%Y-%m-%dT%H:%M:%SZ}"]
    chosen = builds_in_window(data_dir, list_builds(data_dir), str(build_id), anchor, window_days)
    if not chosen:
        return PastFailures.empty(window_days)
    history = load_past(data_dir, chosen)
    warnings += [f"history: {warning}" for warning in history.warnings]
    labels, problems = read_labels(data_dir)
    warnings += [f"history: {problem}" for problem in problems]
    return PastFailures(window_days, history.results, history.build_ids,
                        {label.key: label for label in labels}, warnings)

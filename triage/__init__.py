"""triage: why did the canary go red?

The public API lives in ``triage.api`` and is re-exported here.
"""
from __future__ import annotations

__version__ = "0.1.0"

from triage.api import analyze, list_builds, load_build, run  # noqa: E402
# ``flaky`` and ``correlate`` stay in triage.api: here they would hide the subpackages of those names.
from triage.api import compare_with_baseline, diff_env  # noqa: E402
from triage.explore import (builds_around, flaky_frame, history, last_passing_before,  # noqa: E402
                            plot_timeline, request_events, rules_from_yaml, tests_frame, timeline_frame)
from triage.model import Category, Failure, Report  # noqa: E402
from triage.report import render  # noqa: E402

__all__ = ["__version__", "analyze", "list_builds", "load_build", "run", "render",
           "Category", "Failure", "Report",
           "compare_with_baseline", "diff_env",
           "builds_around", "flaky_frame", "history", "last_passing_before", "plot_timeline",
           "request_events", "rules_from_yaml", "tests_frame", "timeline_frame"]

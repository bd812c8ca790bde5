"""Flakiness across builds: which tests flip, which are broken, which builds were
outages, and which flaky tests share a cause.

``history`` (results of many builds as one DataFrame) -> ``stats`` (per-test
and per-build figures, pure pandas) -> ``classify`` (flaky / broken /
regression verdicts) -> ``evidence`` + ``cluster`` + ``category`` (groups of
flaky tests, a category guess from the rules) -> ``result`` (typed report) ->
``render`` (terminal, JSON, Markdown). ``analyze.analyze_history`` runs it all;
``triage.api.flaky`` is the entry point the CLI and notebooks call.
"""
from __future__ import annotations

from typing import Any

from triage.flaky.render import FORMATS, print_flaky, render_flaky
from triage.flaky.result import SCHEMA, FlakyCluster, FlakyReport, OutageBuild, TestFlakiness

__all__ = ["FORMATS", "SCHEMA", "FlakyCluster", "FlakyReport", "OutageBuild", "TestFlakiness",
           "analyze_history", "print_flaky", "render_flaky"]


def __getattr__(name: str) -> Any:
    # scikit-learn takes seconds to import; only an analysis needs it, not every command.
    if name == "analyze_history":
        from triage.flaky.analyze import analyze_history
        return analyze_history
    raise AttributeError(f"module 'triage.flaky' has no attribute {name!r}")

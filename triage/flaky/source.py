"""Where a flakiness analysis gets its history and per-test figures.

``analyze.analyze_history`` asks a ``HistorySource`` for three things: the
results of the chosen builds (one row per test per build), the per-build
outcomes (which builds were outages) and the per-test statistics of the builds
that were not outages. ``FileHistory`` reads build folders and computes the
figures with pandas (``stats``); ``triage.elastic.aggregate.EsHistory`` gets them
from Elasticsearch aggregations. Both must give the same numbers on the same data.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import pandas as pd

from triage.flaky.history import History, load_history
from triage.flaky.stats import build_outcomes, per_test_stats


class HistorySource(Protocol):
    """What an analysis needs from a store of test results."""

    where: str  # for messages: "<data dir>/builds" or "Elasticsearch at host, index ..."

    def load(self, build_ids: list[str]) -> History: ...

    def build_outcomes(self, history: History) -> pd.DataFrame: ...

    def per_test_stats(self, history: History, outage_ids: set[str]) -> pd.DataFrame: ...


@dataclass
class FileHistory:
    """Build folders under ``data_dir/builds``, figures computed with pandas."""

    data_dir: Path

    @property
    def where(self) -> str:
        return f"{self.data_dir}/builds"

    def load(self, build_ids: list[str]) -> History:
        return load_history(self.data_dir, build_ids)

    def build_outcomes(self, history: History) -> pd.DataFrame:
        return build_outcomes(history.results)

    def per_test_stats(self, history: History, outage_ids: set[str]) -> pd.DataFrame:
        results = history.results
        return per_test_stats(results[~results["build"].isin(outage_ids)])

"""The past of a data dir as one build sees it: earlier builds within a window.

Only build.json and the test reports are read (``triage.flaky.history``), once
per run; the loaded frame is kept in memory keyed by the data dir, the builds
and their files' modification times, so a notebook or a service that reports
many builds of one data dir reads each past build once.
"""
from __future__ import annotations

import os
from collections import OrderedDict
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pandas as pd

from triage.flaky.history import History, load_history, read_metadata, utc_time
from triage.ingest.loader import build_files

DEFAULT_WINDOW_DAYS = 30.0
CACHE_SIZE = 4
_CACHE: "OrderedDict[tuple, History]" = OrderedDict()


def anchor_time(metadata: dict[str, Any], now: datetime | None = None) -> tuple[pd.Timestamp, bool]:
    """When the build started (build.json ``started_at``), or ``now`` (default: the
    current time) when it does not say; the flag tells which."""
    stamp = utc_time(metadata.get("started_at"))
    if stamp is not None:
        return stamp, True
    moment = pd.Timestamp(now or datetime.now(timezone.utc))
    return (moment.tz_convert("UTC") if moment.tzinfo else moment.tz_localize("UTC")), False


def builds_in_window(data_dir: Path, available: list[str], current: str, anchor: pd.Timestamp,
                     window_days: float) -> list[str]:
    """Builds other than ``current`` that started before ``anchor`` and at most
    ``window_days`` earlier, oldest first. Builds without ``started_at`` cannot be
    placed in time and are left out."""
    cutoff = anchor - timedelta(days=window_days)
    dated = []
    for position, build in enumerate(available):
        if build == current:
            continue
        stamp = utc_time(read_metadata(Path(data_dir) / "builds" / build).get("started_at"))
        if stamp is not None and cutoff <= stamp < anchor:
            dated.append((stamp, position, build))
    return [build for _, _, build in sorted(dated)]


def _fingerprint(data_dir: Path, builds: list[str]) -> tuple:
    marks = []
    for build in builds:
        for path in build_files(Path(data_dir) / "builds" / build):
            try:
                status = os.stat(path)
            except OSError:
                continue
            marks.append((build, path.name, status.st_mtime_ns, status.st_size))
    return tuple(marks)


def load_past(data_dir: Path, builds: list[str]) -> History:
    """Test results of ``builds`` (``triage.flaky.history.load_history``), from memory
    when none of their files changed since the last call. Never raises for bad content:
    unreadable builds are in ``skipped`` and ``warnings``."""
    key = (str(Path(data_dir).resolve()), tuple(builds), _fingerprint(data_dir, builds))
    if key in _CACHE:
        _CACHE.move_to_end(key)
        return _CACHE[key]
    history = load_history(Path(data_dir), builds)
    _CACHE[key] = history
    while len(_CACHE) > CACHE_SIZE:
        _CACHE.popitem(last=False)
    return history

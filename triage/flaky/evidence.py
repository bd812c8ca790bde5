"""Log evidence for failures across builds: the errors logged while a test failed.

For each failing run the window is the test's own time span (from its report)
when the report gives each test its own start, else the build's span. Inside
it, error events (5xx, error/fatal lines, Envoy upstream flags) are what the
run's failure may share with other tests' failures: an upstream host, an
endpoint, a service.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import pandas as pd

from triage.ingest import registry
from triage.ingest.base import Head, SourceFile
from triage.ingest.loader import ATTACHMENT_SUFFIXES, build_files, read_source, typed_chunk
from triage.model import EVENT_COLUMNS, SourceKind

MARGIN = pd.Timedelta(seconds=2)
ERROR_LEVELS = ("error", "fatal")
_UPSTREAM_FLAGS = re.compile(r"\b(?:UT|UF|URX|UH|UC|UO|NR|DC)\b")
_IP_PORT = re.compile(r":\d+$")


def read_error_events(folder: Path, label: str) -> pd.DataFrame:
    """Error events of every log in a build folder; ``source`` is prefixed with ``label/``."""
    frames = []
    for path in build_files(folder):
        display = path.relative_to(folder).as_posix()
        if path.suffix.lower() in ATTACHMENT_SUFFIXES:
            continue
        try:
            detection = registry.detect(Head.of(SourceFile(path=path, display=display)))
        except (OSError, EOFError):
            continue  # history.py already reported unreadable reports; logs are optional evidence
        if detection.ingestor is None or detection.ingestor.kind is not SourceKind.EVENTS:
            continue
        frame = read_source(path, display, ingestor=detection.ingestor, as_frame=True).frame
        if frame is not None and len(frame):
            frames.append(errors_only(frame))
    if not frames:
        return _empty()
    events = pd.concat(frames, ignore_index=True)
    events["source"] = f"{label}/" + events["source"].astype(str)
    return events


@lru_cache(maxsize=1)
def _no_events() -> pd.DataFrame:
    return typed_chunk([])


def _empty() -> pd.DataFrame:
    """An empty typed events frame (built once: pandas makes even empty frames slowly)."""
    return _no_events().copy()


def errors_only(events: pd.DataFrame) -> pd.DataFrame:
    """Rows that show a problem: status >= 500, an error/fatal level or an upstream flag."""
    status = pd.to_numeric(events["status"], errors="coerce").fillna(0)
    level = events["level"].astype("object").fillna("")
    flags = events["error"].astype("object").fillna("").astype(str).str.contains(_UPSTREAM_FLAGS)
    return events[(status >= 500) | level.isin(ERROR_LEVELS) | flags]


@dataclass
class EvidenceStore:
    """Error events per build, read once per analysis."""

    data_dir: Path
    _cache: dict[str, pd.DataFrame] = field(default_factory=dict)

    def events(self, build: str) -> pd.DataFrame:
        if build not in self._cache:
            self._cache[build] = read_error_events(self.data_dir / "builds" / build, f"builds/{build}")
        return self._cache[build]


def failure_windows(bad_runs: pd.DataFrame, builds: pd.DataFrame) -> pd.DataFrame:
    """``bad_runs`` with ``window_start``/``window_end`` (UTC): the test's own span when
    its start is its own within the build, else the build's span (NaT when unknown)."""
    meta = builds.set_index("build")
    runs = bad_runs.copy()
    start = pd.to_datetime(runs["test_started_at"], unit="s", utc=True)
    shared = runs.groupby("build")["test_started_at"].transform(lambda s: s.duplicated(keep=False))
    own = start.notna() & ~shared.astype(bool)
    end = start + pd.to_timedelta(runs["duration_s"].fillna(0), unit="s")
    runs["window_start"] = (start - MARGIN).where(own, runs["build"].map(meta["started_at"]))
    runs["window_end"] = (end + MARGIN).where(own, runs["build"].map(meta["finished_at"]))
    return runs


def events_for_run(store: EvidenceStore, run: pd.Series) -> pd.DataFrame:
    """The error events logged in one failing run's window."""
    events = store.events(run["build"])
    if events.empty:
        return events
    keep = pd.Series(True, index=events.index)
    if pd.notna(run["window_start"]):
        keep &= events["ts"] >= run["window_start"]
    if pd.notna(run["window_end"]):
        keep &= events["ts"] <= run["window_end"]
    return events[keep]


def endpoint_tokens(events: pd.DataFrame) -> set[str]:
    """What a failure's errors point at: upstream hosts (not ingress's own hop),
    failing endpoints (method and path without query) and services logging errors."""
    tokens: set[str] = set()
    for row in events.itertuples(index=False):
        layer = str(row.layer)
        host = row.upstream_host if isinstance(row.upstream_host, str) else ""
        if host and layer != "ingress":
            tokens.add("upstream:" + _IP_PORT.sub("", host))
        status = row.status if not pd.isna(row.status) else 0
        if layer in ("gateway", "dependency") and status >= 500 and isinstance(row.path, str):
            tokens.add(f"endpoint:{row.method} {row.path.split('?', 1)[0]}")
        if layer == "app" and isinstance(row.service, str):
            tokens.add("service:" + row.service)
    return tokens


def timeline(events: list[pd.DataFrame], limit: int = 200) -> pd.DataFrame:
    """Events of several runs as one timeline the rule engine can read, oldest first."""
    frames = [e for e in events if len(e)]
    if not frames:
        frame = _empty()
    else:
        frame = pd.concat(frames, ignore_index=True).drop_duplicates(subset=["source", "line"])
        frame = frame.sort_values("ts", kind="stable").head(limit).reset_index(drop=True)
    frame = frame[list(EVENT_COLUMNS)].copy()
    frame["key"] = frame["request_id"]
    frame["link_method"] = "time-window"
    return frame

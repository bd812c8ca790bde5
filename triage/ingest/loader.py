"""Read files into normalised events and test results.

``read_source`` handles one file (detect, parse, count what it skipped);
``load_build`` walks a build folder and gathers everything into a ``LoadedBuild``.
"""
from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from triage.errors import NoTestReportError
from triage.ingest import registry
from triage.ingest.base import Head, Ingestor, ParseContext, SourceFile, UnreadableSource
from triage.ingest.ids import normalize_request_id, normalize_trace_id
from triage.model import EVENT_COLUMNS, Layer, SourceInfo, SourceKind, TestResult

LAYER_NAMES = {layer.value for layer in Layer}
# Folder names that say which layer a file's events belong to.
LAYER_ALIASES = {
    "ingress": Layer.INGRESS, "edge": Layer.INGRESS, "lb": Layer.INGRESS, "proxy": Layer.INGRESS,
    "gateway": Layer.GATEWAY, "gw": Layer.GATEWAY, "api-gateway": Layer.GATEWAY,
    "app": Layer.APP, "apps": Layer.APP, "services": Layer.APP, "service": Layer.APP,
    "dependency": Layer.DEPENDENCY, "dependencies": Layer.DEPENDENCY, "deps": Layer.DEPENDENCY,
    "test": Layer.TEST, "tests": Layer.TEST,
}
LEVELS = {
    "trace": "trace", "debug": "debug", "dbg": "debug", "d": "debug",
    "info": "info", "information": "info", "informational": "info", "notice": "info", "i": "info",
    "warn": "warn", "warning": "warn", "w": "warn",
    "error": "error", "err": "error", "e": "error", "severe": "error",
    "critical": "fatal", "crit": "fatal", "fatal": "fatal", "alert": "fatal", "emerg": "fatal",
    "emergency": "fatal", "panic": "fatal", "f": "fatal",
}
SKIPPED_NAMES = {".DS_Store"}
ATTACHMENT_SUFFIXES = {".png", ".jpg", ".jpeg", ".webm", ".mp4", ".zip", ".trace"}


@dataclass
class SourceResult:
    info: SourceInfo
    events: list[dict[str, Any]] = field(default_factory=list)
    tests: list[TestResult] = field(default_factory=list)
    document: Any = None  # metadata or manifest content


@dataclass
class LoadedBuild:
    """Everything read from one build folder, before correlation."""

    build_id: str
    path: Path
    metadata: dict[str, Any]
    tests: list[TestResult]
    events: pd.DataFrame
    sources: list[SourceInfo]
    manifests: dict[str, Any]
    warnings: list[str]


def layer_from_path(display: str) -> Layer | None:
    for part in reversed(Path(display).parts[:-1]):
        layer = LAYER_ALIASES.get(part.lower())
        if layer is not None:
            return layer
    return None


def read_source(path: Path, display: str | None = None, *,
                ingestor: Ingestor | None = None) -> SourceResult:
    """Detect and parse one file. Never raises for bad content: see ``info.status``."""
    source = SourceFile(path=Path(path), display=display or str(path))
    info = SourceInfo(path=source.display, format=None)
    try:
        if ingestor is None:
            detection = registry.detect(Head.of(source))
            if detection.ingestor is None:
                status = "empty" if "empty" in detection.reason else (
                    "binary" if "binary" in detection.reason else "unsupported")
                info.status, info.reason = status, detection.reason
                return SourceResult(info)
            ingestor = detection.ingestor
        info.format, info.kind = ingestor.name, ingestor.kind
        ctx = ParseContext(source.display)
        result = SourceResult(info)
        parsed = ingestor.parse(source, ctx)
        if ingestor.kind is SourceKind.EVENTS:
            result.events = _drain(parsed, info)
            info.events = len(result.events)
            layer = layer_from_path(source.display) or ingestor.layer
            info.layer = layer.value
            _stamp(result.events, source.display, layer.value, _service_from_path(source.display))
        elif ingestor.kind is SourceKind.TESTS:
            result.tests = list(parsed)
            info.tests = len(result.tests)
            info.layer = Layer.TEST.value
            for test in result.tests:
                test.file = test.file or source.display
        else:
            result.document = parsed
        info.skipped_lines = ctx.skipped
        info.examples = ctx.examples
        return result
    except UnreadableSource as exc:
        info.status, info.reason = exc.status, str(exc)
        return SourceResult(info)
    except (OSError, EOFError) as exc:
        info.status, info.reason = "error", f"cannot read: {exc}"
        return SourceResult(info)


def _drain(parsed, info: SourceInfo) -> list[dict[str, Any]]:
    """Every event the parser yields; a stream that breaks off keeps what came before."""
    events: list[dict[str, Any]] = []
    try:
        for event in parsed:
            events.append(event)
    except UnreadableSource as exc:
        info.status, info.reason = exc.status, f"{exc}; kept the {len(events)} events read before it"
    return events


def _service_from_path(display: str) -> str:
    name = Path(display).name
    for suffix in (".gz", ".log", ".json", ".ndjson", ".jsonl", ".txt", ".logfmt"):
        if name.endswith(suffix):
            name = name[: -len(suffix)]
    return name


def _stamp(events: list[dict[str, Any]], display: str, layer: str, service: str) -> None:
    for event in events:
        event["source"] = display
        if not event.get("layer"):
            event["layer"] = layer
        if not event.get("service"):
            event["service"] = service


def events_frame(events: list[dict[str, Any]]) -> pd.DataFrame:
    """A typed DataFrame from event dicts, with ids, levels and times normalised."""
    frame = pd.DataFrame.from_records(events, columns=list(EVENT_COLUMNS))
    frame["ts"] = pd.to_datetime(pd.to_numeric(frame["ts"], errors="coerce"), unit="s", utc=True)
    for column in ("status", "upstream_status", "line"):
        frame[column] = pd.to_numeric(frame[column], errors="coerce").astype("Int64")
    for column in ("latency_ms", "upstream_latency_ms"):
        frame[column] = pd.to_numeric(frame[column], errors="coerce").astype("float64")
    frame["request_id"] = _map_unique(frame["request_id"], normalize_request_id)
    frame["trace_id"] = _map_unique(frame["trace_id"], normalize_trace_id)
    frame["level"] = _map_unique(frame["level"], _normalize_level)
    for column in ("layer", "service", "level", "source", "method"):
        frame[column] = frame[column].astype("category")
    return frame


def _map_unique(series: pd.Series, func) -> pd.Series:
    values = series.dropna().unique()
    mapping = {value: func(str(value)) for value in values}
    return series.map(mapping).astype("object").where(series.notna(), None)


def _normalize_level(value: str) -> str:
    return LEVELS.get(value.strip().lower(), value.strip().lower())


def build_files(build_dir: Path) -> list[Path]:
    files = []
    for root, dirs, names in os.walk(build_dir):
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        for name in sorted(names):
            if name in SKIPPED_NAMES or name.startswith("."):
                continue
            files.append(Path(root) / name)
    return files


def load_build(build_dir: Path, build_id: str, *, require_tests: bool = True) -> LoadedBuild:
    """Read every file of a build folder. Raises ``NoTestReportError`` if no report."""
    results: list[SourceResult] = []
    for path in build_files(build_dir):
        display = path.relative_to(build_dir).as_posix()
        if path.suffix.lower() in ATTACHMENT_SUFFIXES:
            info = SourceInfo(path=display, format=None, status="attachment",
                              reason="screenshot, video or trace attachment; not a log")
            results.append(SourceResult(info))
            continue
        results.append(read_source(path, display))
    metadata: dict[str, Any] = {}
    manifests: dict[str, Any] = {}
    tests: list[TestResult] = []
    events: list[dict[str, Any]] = []
    warnings: list[str] = []
    for result in results:
        info = result.info
        if info.kind is SourceKind.METADATA and isinstance(result.document, dict):
            metadata.update(result.document)
        elif info.kind is SourceKind.MANIFEST:
            manifests[info.path] = result.document
        tests.extend(result.tests)
        events.extend(result.events)
        warnings.extend(source_warnings(info))
    if require_tests and not tests:
        raise NoTestReportError(build_id, str(build_dir))
    return LoadedBuild(
        build_id=build_id, path=build_dir, metadata=metadata, tests=tests,
        events=events_frame(events), sources=[r.info for r in results],
        manifests=manifests, warnings=warnings,
    )


def source_warnings(info: SourceInfo) -> list[str]:
    """Human-readable warnings for what a source could not read."""
    found = []
    if info.status not in ("ok", "attachment"):
        found.append(f"{info.path}: skipped ({info.status}): {info.reason}")
    if info.skipped_lines:
        where = "; ".join(f"{info.path}:{ex.line}: {ex.reason}" for ex in info.examples)
        found.append(f"{info.path}: {info.skipped_lines} malformed line(s) skipped, e.g. {where}")
    return found

"""The Elasticsearch source: one build as a ``LoadedBuild``, like the file source.

Metadata and test results come from the builds / tests indices (or the local build
folder where the cluster has none); events are pulled for the build's window.
Expected and received document counts go into the build metadata under
``elasticsearch`` (the JSON report carries them); a short pull raises
``EsPartialData`` unless ``allow_partial``, which turns it into warnings.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any

from triage.elastic.client import connect
from triage.elastic.errors import EsPartialData
from triage.elastic.pull import PullProgress, PullResult, pull_events
from triage.elastic.settings import EsSettings
from triage.elastic.window import (
    fetch_build_doc, fetch_tests, read_local, resolve_window, sources_from_doc,
)
from triage.errors import UsageError
from triage.ingest.loader import LoadedBuild, source_warnings
from triage.model import SourceInfo, SourceKind


def load_build_es(build_id: str, settings: EsSettings, *, data_dir: Path | None = None,
                  progress: PullProgress | None = None, allow_partial: bool = False) -> LoadedBuild:
    """Read build ``build_id`` from Elasticsearch.

    Raises EsSourceError subclasses (unreachable, auth, missing index, timeouts:
    exit 3), EsPartialData when documents are missing and not ``allow_partial``,
    UsageError when neither the cluster nor ``data_dir`` has its tests.
    """
    client = connect(settings)
    doc = fetch_build_doc(client, settings, build_id)
    metadata = dict(((doc or {}).get("triage") or {}).get("build_json") or {})
    sources = sources_from_doc(doc)
    tests = fetch_tests(client, settings, build_id)
    folder = (data_dir / "builds" / build_id) if data_dir else None
    if folder is not None and (not tests or doc is None):
        local_meta, local_tests, local_sources = read_local(folder)
        metadata = metadata or local_meta
        if not tests:
            tests = local_tests
            sources = sources or local_sources
    if not tests:
        local = f" nor a test report in {folder}" if folder else ""
        raise UsageError(f"build {build_id!r} has no test results in {settings.indices.tests} at "
                         f"{settings.host_label}{local}; load it with `triage es load --build "
                         f"{build_id}` or set tests under [elasticsearch.indices]")
    window = resolve_window(settings, build_id, metadata, tests)
    pulled = pull_events(settings, window, client=client, progress=progress)
    sources = _event_sources(sources, pulled)
    warnings = [w for info in sources for w in source_warnings(info)]
    warnings.extend(_partial_warnings(pulled, settings, allow_partial))
    metadata["elasticsearch"] = {
        "hosts": settings.safe_hosts, "window": window.to_dict(),
        "expected": pulled.expected, "received": pulled.received,
        "indices": [i.to_dict() for i in pulled.indices],
    }
    return LoadedBuild(build_id=build_id, path=folder or Path(build_id), metadata=metadata,
                       tests=tests, events=pulled.events, sources=sources, manifests={},
                       warnings=warnings)


def _event_sources(sources: list[SourceInfo], pulled: PullResult) -> list[SourceInfo]:
    """The stored per-file records with event counts as received; files the cluster
    has but the build document does not list are added (e.g. shipped by Filebeat)."""
    events = pulled.events
    counts = events.groupby("source", observed=True).size().to_dict() if len(events) else {}
    layers = (events.drop_duplicates("source").set_index("source")["layer"].astype(str).to_dict()
              if len(events) else {})
    known = {s.path for s in sources}
    for info in sources:
        if info.kind is SourceKind.EVENTS:
            info.events = int(counts.get(info.path, 0))
    for path in sorted(set(counts) - known):
        sources.append(SourceInfo(path=str(path), format="elasticsearch", kind=SourceKind.EVENTS,
                                  layer=layers.get(path), events=int(counts[path])))
    return sorted(sources, key=lambda s: s.path)


def _partial_warnings(pulled: PullResult, settings: EsSettings, allow_partial: bool) -> list[str]:
    problems = pulled.problems
    if not problems:
        return []
    first = problems[0]
    if not allow_partial:
        assert first.problem is not None
        raise EsPartialData(f"{first.problem.problem} after {first.received} of {first.expected} "
                            "documents of this index", host=settings.host_label, index=first.index,
                            product=settings.product,
                            hint=(first.problem.hint + "; " if first.problem.hint else "")
                            + "or pass --allow-partial to report on what arrived",
                            expected=pulled.expected, received=pulled.received)
    return [f"partial data from {settings.product}: received {p.received} of {p.expected} documents "
            f"from {p.index} ({p.layer} layer): {p.problem}" for p in problems]


def describe(build: LoadedBuild) -> dict[str, Any]:
    """The ``elasticsearch`` block a load_build_es result carries (empty for files)."""
    return dict(build.metadata.get("elasticsearch") or {})

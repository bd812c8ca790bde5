"""Which build, which time: a build's metadata and test results from Elasticsearch
(or, where the cluster has none, the local build folder), and the window to pull.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd

from triage.elastic.client import SearchClient, call
from triage.elastic.mapping import source_from_dict, test_from_doc
from triage.elastic.pull import Window
from triage.elastic.settings import EsSettings
from triage.errors import UsageError
from triage.ingest import registry
from triage.ingest.base import Head, SourceFile
from triage.ingest.loader import build_files, read_source
from triage.model import SourceInfo, SourceKind, TestResult

TESTS_PAGE = 5000


def fetch_build_doc(client: SearchClient, settings: EsSettings, build_id: str) -> dict[str, Any] | None:
    """The build's document from the builds pattern, or None (no such doc or index)."""
    if not settings.indices.builds:
        return None
    response = call(settings, settings.indices.builds, "reading the build's metadata", client.search,
                    index=settings.indices.builds, size=1, ignore_unavailable=True,
                    allow_no_indices=True, query={"term": {settings.fields["build"]: build_id}})
    hits = response["hits"]["hits"]
    return hits[0]["_source"] if hits else None


def fetch_tests(client: SearchClient, settings: EsSettings, build_id: str) -> list[TestResult]:
    """The build's test results, in report order (``test.seq``), paged to the end."""
    if not settings.indices.tests:
        return []
    tests: list[TestResult] = []
    after: list[Any] | None = None
    while True:
        extra = {"search_after": after} if after else {}
        response = call(settings, settings.indices.tests, "reading the build's test results",
                        client.search, index=settings.indices.tests, size=TESTS_PAGE,
                        ignore_unavailable=True, allow_no_indices=True,
                        query={"term": {settings.fields["build"]: build_id}},
                        sort=[{"test.seq": {"order": "asc", "unmapped_type": "long"}}],
                        **extra)
        hits = response["hits"]["hits"]
        tests.extend(test_from_doc(hit["_source"]) for hit in hits)
        if len(hits) < TESTS_PAGE:
            return tests
        after = hits[-1]["sort"]


def sources_from_doc(doc: dict[str, Any] | None) -> list[SourceInfo]:
    return [source_from_dict(s) for s in ((doc or {}).get("triage") or {}).get("sources") or []]


def read_local(folder: Path) -> tuple[dict[str, Any], list[TestResult], list[SourceInfo]]:
    """build.json and test reports of a local build folder; log files are not read."""
    metadata: dict[str, Any] = {}
    tests: list[TestResult] = []
    infos: list[SourceInfo] = []
    if not folder.is_dir():
        return metadata, tests, infos
    for path in build_files(folder):
        display = path.relative_to(folder).as_posix()
        try:
            ingestor = registry.detect(Head.of(SourceFile(path, display))).ingestor
        except OSError:
            continue
        if ingestor is None or ingestor.kind not in (SourceKind.TESTS, SourceKind.METADATA):
            continue
        result = read_source(path, display, ingestor=ingestor)
        infos.append(result.info)
        tests.extend(result.tests)
        if isinstance(result.document, dict):
            metadata.update(result.document)
    return metadata, tests, infos


def resolve_window(settings: EsSettings, build_id: str, metadata: dict[str, Any],
                   tests: list[TestResult]) -> Window:
    """build.json's started_at..finished_at (``window = "auto"`` or ``"build-json"``),
    else the test results' first start..last end (``"auto"`` or ``"tests"``), widened
    by ``margin_s`` on both sides. Raises UsageError when neither is known."""
    margin = pd.Timedelta(seconds=settings.margin_s)
    if settings.window in ("auto", "build-json"):
        start, end = _stamp(metadata.get("started_at")), _stamp(metadata.get("finished_at"))
        if start is not None and end is not None:
            return Window(start - margin, end + margin,
                          f"build.json started_at..finished_at ± {settings.margin_s:g} s")
        if settings.window == "build-json":
            raise UsageError(f"build {build_id!r}: its build.json has no started_at and "
                             "finished_at; set window = \"tests\" or \"auto\" in [elasticsearch]")
    starts = [t.started_at for t in tests if t.started_at is not None]
    if not starts:
        raise UsageError(f"build {build_id!r}: no time window: build.json lacks started_at/"
                         "finished_at and no test result has a start time")
    ends = [t.started_at + (t.duration_s or 0.0) for t in tests if t.started_at is not None]
    return Window(pd.Timestamp(min(starts), unit="s", tz="UTC") - margin,
                  pd.Timestamp(max(ends), unit="s", tz="UTC") + margin,
                  f"test results' first start..last end ± {settings.margin_s:g} s")


def _stamp(value: Any) -> pd.Timestamp | None:
    if not value:
        return None
    try:
        stamp = pd.Timestamp(str(value))
    except ValueError:
        return None
    return stamp.tz_localize("UTC") if stamp.tzinfo is None else stamp.tz_convert("UTC")

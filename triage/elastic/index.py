"""``triage es load``: index build folders into Elasticsearch.

Each build folder is read by the file source (``triage.ingest.loader``), then its
events go to ``<prefix>-logs-<layer>``, its test results to ``<prefix>-tests`` and
its build.json plus what each file held (format, skipped lines) to
``<prefix>-builds``. Document ids are derived from build, file and position, so
loading a build again overwrites it instead of doubling it.
"""
from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterator

from triage.elastic.client import SearchClient, call, connect, explain, fault_of, streaming_bulk
from triage.elastic.errors import EsBadResponse
from triage.elastic.mapping import event_docs, getter, source_dict, templates, test_doc
from triage.elastic.settings import EsSettings
from triage.ingest.loader import LoadedBuild, load_build
from triage.model import SourceKind

BULK_CHUNK = 2000
# progress(build id, documents sent so far for it, documents it has)
LoadProgress = Callable[[str, int, int], None]


@dataclass
class LoadSummary:
    """What ``load_builds`` indexed: documents per index, builds, seconds taken."""

    builds: list[str]
    documents: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0

    @property
    def total(self) -> int:
        return sum(self.documents.values())


def install_templates(client: SearchClient, settings: EsSettings) -> list[str]:
    """Create or update the index templates; returns their names."""
    for name, body in templates(settings).items():
        call(settings, name, "creating index template", client.indices.put_index_template,
             name=name, **body)
    return list(templates(settings))


def load_builds(settings: EsSettings, data_dir: Path, build_ids: list[str],
                progress: LoadProgress | None = None) -> LoadSummary:
    """Index the given builds of ``data_dir/builds``; refreshes before returning.

    Raises EsSourceError (unreachable, refused, rejected documents) naming the index.
    """
    started = time.perf_counter()
    client = connect(settings)
    install_templates(client, settings)
    summary = LoadSummary(builds=list(build_ids))
    names = settings.index_names()
    for build_id in build_ids:
        build = load_build(data_dir / "builds" / build_id, build_id, require_tests=False)
        actions = list(_actions(build, settings, names))
        _bulk(client, settings, actions, build_id, summary, progress)
    call(settings, ",".join(names.values()), "refreshing", client.indices.refresh,
         index=",".join(names.values()), ignore_unavailable=True, allow_no_indices=True)
    summary.seconds = time.perf_counter() - started
    return summary


def _actions(build: LoadedBuild, settings: EsSettings, names: dict[str, str]) -> Iterator[dict]:
    env = build.metadata.get("env")
    formats = {s.path: s.format or "" for s in build.sources if s.kind is SourceKind.EVENTS}
    build_id = build.build_id
    source_of, seq_of = getter(settings.fields["source"]), getter(settings.fields["seq"])
    for layer, doc in event_docs(build.events, settings, build=build_id, environment=env,
                                 formats=formats):
        yield {"_index": names[layer], "_id": f"{build_id}:{source_of(doc)}:{seq_of(doc)}",
               "_source": doc}
    for position, test in enumerate(build.tests):
        yield {"_index": names["tests"], "_id": f"{build_id}:{position}",
               "_source": test_doc(test, build=build_id, environment=env, seq=position)}
    yield {"_index": names["builds"], "_id": build_id, "_source": build_document(build)}


def build_document(build: LoadedBuild) -> dict[str, Any]:
    """The build's metadata document: build.json as read, and every file's SourceInfo."""
    meta = build.metadata
    doc: dict[str, Any] = {"labels": {"build": build.build_id},
                           "triage": {"build_json": meta,
                                      "sources": [source_dict(s) for s in build.sources]}}
    if meta.get("env"):
        doc["service"] = {"environment": meta["env"]}
    event = {}
    for key, name in (("started_at", "start"), ("finished_at", "end")):
        if meta.get(key):
            event[name] = str(meta[key])
    if event:
        doc["event"] = event
        doc["@timestamp"] = event.get("start") or event["end"]
    return doc


def _bulk(client: SearchClient, settings: EsSettings, actions: list[dict], build_id: str,
          summary: LoadSummary, progress: LoadProgress | None) -> None:
    sent = 0
    failures: list[str] = []
    stream = streaming_bulk(client, actions, chunk_size=BULK_CHUNK, raise_on_error=False,
                                    max_retries=settings.max_retries,
                                    initial_backoff=settings.retry_backoff_s)
    for ok, item in _translated(stream, settings):
        result = next(iter(item.values()))
        if ok:
            summary.documents[result["_index"]] = summary.documents.get(result["_index"], 0) + 1
        elif len(failures) < 3:
            failures.append(f"{result.get('_id')}: {result.get('error')}")
        sent += 1
        if progress and sent % BULK_CHUNK == 0:
            progress(build_id, sent, len(actions))
    if progress:
        progress(build_id, sent, len(actions))
    if failures:
        raise EsBadResponse(f"build {build_id}: documents were rejected, e.g. {'; '.join(failures)}",
                            host=settings.host_label, index=f"{settings.prefix}-*", product=settings.product,
                            hint="the index templates (`triage es load` installs them) and "
                            "the cluster's log")



def _translated(stream: Iterator, settings: EsSettings) -> Iterator:
    """The bulk stream, with a dropped or refused connection as an EsSourceError."""
    try:
        yield from stream
    except Exception as exc:  # noqa: BLE001 - narrowed right below: client exceptions only
        if fault_of(exc) is None:
            raise
        raise explain(exc, settings, f"{settings.prefix}-*", "bulk indexing") from None

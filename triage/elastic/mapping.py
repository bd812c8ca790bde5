"""Documents <-> triage records: index templates with ECS-style mappings, event
rows to documents (the loader) and documents back to event rows (the pull).

Field names come from ``EsSettings.fields`` (ECS defaults), so a cluster whose
shipper writes other names is read by changing the table, not the code.
"""
from __future__ import annotations

import math
from typing import Any, Callable, Iterable

import pandas as pd

from triage.elastic.settings import EsSettings
from triage.model import (
    EVENT_COLUMNS, Attachment, SkippedLine, SourceInfo, SourceKind, TestResult, TestStatus,
)

NS_PER_MS = 1_000_000

# Mapping per event column (the field name comes from the settings).
_KEYWORD = {"type": "keyword", "ignore_above": 8191}
COLUMN_TYPES: dict[str, dict[str, Any]] = {
    "ts": {"type": "date_nanos"},
    "service": {"type": "keyword"}, "environment": {"type": "keyword"},
    "level": {"type": "keyword"}, "request_id": {"type": "keyword"},
    "trace_id": {"type": "keyword"}, "span_id": {"type": "keyword"},
    "method": {"type": "keyword"}, "path": _KEYWORD,
    "status": {"type": "long"}, "latency_ms": {"type": "long"},
    "upstream_host": {"type": "keyword"}, "upstream_status": {"type": "long"},
    "upstream_latency_ms": {"type": "double"},
    # Proxies log "-" or "unknown" for a missing client: keep such documents.
    "client_ip": {"type": "ip", "ignore_malformed": True},
    "user_agent": _KEYWORD, "message": {"type": "text"}, "error": {"type": "keyword"},
    "attrs": {"type": "object", "enabled": False},
    "source": {"type": "keyword"}, "line": {"type": "long"}, "seq": {"type": "long"},
    "format": {"type": "keyword"}, "build": {"type": "keyword"},
}
# Test-result documents: the TestResult fields under ``test``, ECS ``error.*``.
TEST_PROPERTIES: dict[str, Any] = {
    "@timestamp": {"type": "date_nanos"},
    "labels": {"properties": {"build": {"type": "keyword"}}},
    "service": {"properties": {"environment": {"type": "keyword"}}},
    "event": {"properties": {"outcome": {"type": "keyword"}, "duration": {"type": "long"}}},
    "host": {"properties": {"name": {"type": "keyword"}}},
    "error": {"properties": {"message": {"type": "text"}, "type": {"type": "keyword"},
                             "stack_trace": {"type": "text", "index": False}}},
    "test": {"properties": {
        "name": _KEYWORD, "suite": _KEYWORD, "status": {"type": "keyword"},
        "attempts": {"type": "integer"}, "passed_on_retry": {"type": "boolean"},
        "attempt_statuses": {"type": "keyword"}, "file": _KEYWORD, "line": {"type": "integer"},
        "started_at": {"type": "double"}, "duration_s": {"type": "double"},
        "seq": {"type": "integer"}, "stdout": {"type": "text", "index": False},
        "stderr": {"type": "text", "index": False}, "properties": {"type": "flattened"},
        "attachments": {"type": "object", "enabled": False}}},
}
BUILD_PROPERTIES: dict[str, Any] = {
    "@timestamp": {"type": "date_nanos"},
    "labels": {"properties": {"build": {"type": "keyword"}}},
    "service": {"properties": {"environment": {"type": "keyword"}}},
    "event": {"properties": {"start": {"type": "date_nanos"}, "end": {"type": "date_nanos"}}},
    "triage": {"properties": {"build_json": {"type": "object", "enabled": False},
                              "sources": {"type": "object", "enabled": False}}},
}
ONE_NODE = {"number_of_shards": 1, "number_of_replicas": 0}


def templates(settings: EsSettings) -> dict[str, dict[str, Any]]:
    """Index template name -> body for the indices ``triage es load`` writes.

    One shard and no replicas: the loader targets a single node; a real cluster's
    own templates (matched by its own patterns) take over there.
    """
    prefix = settings.prefix
    logs = {"properties": nest({settings.fields[c]: t for c, t in COLUMN_TYPES.items()}),
            "dynamic": False}
    return {
        f"{prefix}-logs": _template(f"{prefix}-logs-*", logs),
        f"{prefix}-tests": _template(f"{prefix}-tests*", {"properties": _test_properties(settings),
                                                          "dynamic": False}),
        f"{prefix}-builds": _template(f"{prefix}-builds*", {"properties": BUILD_PROPERTIES,
                                                            "dynamic": False}),
    }


def _test_properties(settings: EsSettings) -> dict[str, Any]:
    """TEST_PROPERTIES for the engine: OpenSearch (2.7+) calls ``flattened`` ``flat_object``."""
    if settings.engine != "opensearch":
        return TEST_PROPERTIES
    test = dict(TEST_PROPERTIES["test"]["properties"], properties={"type": "flat_object"})
    return dict(TEST_PROPERTIES, test={**TEST_PROPERTIES["test"], "properties": test})


def _template(pattern: str, mappings: dict[str, Any]) -> dict[str, Any]:
    return {"index_patterns": [pattern], "priority": 200,
            "template": {"settings": ONE_NODE, "mappings": mappings},
            "_meta": {"created_by": "triage es load"}}


def nest(flat: dict[str, Any]) -> dict[str, Any]:
    """``{"a.b": x}`` -> ``{"a": {"properties": {"b": x}}}`` for a mapping."""
    root: dict[str, Any] = {}
    for path, value in flat.items():
        node = root
        *parents, leaf = path.split(".")
        for part in parents:
            node = node.setdefault(part, {"properties": {}})["properties"]
        node[leaf] = value
    return root


def put(doc: dict[str, Any], path: str, value: Any) -> None:
    """Set a dotted ``path`` in a nested document."""
    *parents, leaf = path.split(".")
    for part in parents:
        doc = doc.setdefault(part, {})
    doc[leaf] = value


def iso_ns(stamp: pd.Timestamp) -> str:
    """A UTC timestamp with all nine fraction digits (``date_nanos`` keeps them)."""
    return stamp.strftime("%Y-%m-%dT%H:%M:%S.") + f"{stamp.value % 1_000_000_000:09d}Z"


def _present(value: Any) -> bool:
    if value is None or value is pd.NA or value is pd.NaT:
        return False
    return not (isinstance(value, float) and math.isnan(value))


def event_docs(frame: pd.DataFrame, settings: EsSettings, *, build: str,
               environment: str | None, formats: dict[str, str]) -> Iterable[tuple[str, dict]]:
    """``(layer, document)`` for each row of an events frame, in row order.

    ``formats`` maps a source path to its format name (``event.dataset``); ``triage.seq``
    numbers events within their file so the pull can restore file order.
    """
    names = settings.fields
    seq: dict[str, int] = {}
    columns = [c for c in EVENT_COLUMNS if c not in ("ts", "layer", "latency_ms")]
    for row in frame.itertuples(index=False):
        doc: dict[str, Any] = {}
        values = row._asdict()
        if _present(values["ts"]):
            put(doc, names["ts"], iso_ns(values["ts"]))
        for column in columns:
            value = values[column]
            if column == "attrs":
                if isinstance(value, dict):
                    put(doc, names["attrs"], value)
            elif _present(value):
                put(doc, names[column], value.item() if hasattr(value, "item") else value)
        if _present(values["latency_ms"]):
            put(doc, names["latency_ms"], round(values["latency_ms"] * NS_PER_MS))
        source = str(values["source"])
        seq[source] = seq.get(source, -1) + 1
        put(doc, names["seq"], seq[source])
        put(doc, names["format"], formats.get(source, ""))
        put(doc, names["build"], build)
        if environment:
            put(doc, names["environment"], environment)
        yield str(values["layer"]), doc


def getter(path: str) -> Callable[[dict[str, Any]], Any]:
    """Reads a dotted field from a nested ``_source`` (or one written with dotted keys)."""
    parts = path.split(".")
    if len(parts) == 1:
        return lambda doc: doc.get(path)

    def get(doc: dict[str, Any]) -> Any:
        value: Any = doc
        for part in parts:
            if not isinstance(value, dict):
                return None
            value = value.get(part)
            if value is None:
                return doc.get(path)
        return value
    return get


def test_doc(test: TestResult, *, build: str, environment: str | None, seq: int) -> dict[str, Any]:
    """One test result as a document (ECS ``error.*``, the rest under ``test``)."""
    outcome = "failure" if test.failed else ("unknown" if test.status.value == "skipped" else "success")
    doc: dict[str, Any] = {
        "labels": {"build": build},
        "event": {"outcome": outcome},
        "test": {"name": test.name, "suite": test.suite, "status": test.status.value,
                 "attempts": test.attempts, "passed_on_retry": test.passed_on_retry,
                 "attempt_statuses": test.attempt_statuses, "file": test.file, "line": test.line,
                 "started_at": test.started_at, "duration_s": test.duration_s, "seq": seq,
                 "stdout": test.stdout, "stderr": test.stderr, "properties": test.properties,
                 "attachments": [vars(a) for a in test.attachments]},
        "error": {"message": test.message, "type": test.failure_type, "stack_trace": test.stack},
    }
    if test.started_at is not None:
        doc["@timestamp"] = iso_ns(pd.Timestamp(test.started_at, unit="s", tz="UTC"))
    if test.duration_s is not None:
        doc["event"]["duration"] = round(test.duration_s * 1e9)
    if test.runner:
        doc["host"] = {"name": test.runner}
    if environment:
        doc["service"] = {"environment": environment}
    return doc


def test_from_doc(doc: dict[str, Any]) -> TestResult:
    """The TestResult a ``test_doc`` document (or a compatible one) describes."""
    test = doc.get("test") or {}
    error = doc.get("error") or {}
    host = doc.get("host") or {}
    status = str(test.get("status") or ("failed" if doc.get("event", {}).get("outcome") == "failure"
                                        else "passed"))
    return TestResult(
        name=str(test.get("name") or ""), suite=str(test.get("suite") or ""),
        status=TestStatus(status), attempts=int(test.get("attempts") or 1),
        passed_on_retry=bool(test.get("passed_on_retry")), started_at=test.get("started_at"),
        duration_s=test.get("duration_s"), message=error.get("message") or "",
        failure_type=error.get("type") or "", stack=error.get("stack_trace") or "",
        stdout=test.get("stdout") or "", stderr=test.get("stderr") or "",
        attachments=[Attachment(**a) for a in test.get("attachments") or []],
        properties=dict(test.get("properties") or {}), runner=host.get("name"),
        file=test.get("file") or "", line=test.get("line"),
        attempt_statuses=list(test.get("attempt_statuses") or []),
    )


def source_dict(info: SourceInfo) -> dict[str, Any]:
    """A SourceInfo as stored in the build document (examples included)."""
    return info.to_dict() | {"examples": [{"line": ex.line, "reason": ex.reason}
                                          for ex in info.examples]}


def source_from_dict(data: dict[str, Any]) -> SourceInfo:
    kind = data.get("kind")
    return SourceInfo(
        path=data["path"], format=data.get("format"), kind=SourceKind(kind) if kind else None,
        layer=data.get("layer"), events=int(data.get("events") or 0),
        tests=int(data.get("tests") or 0), skipped_lines=int(data.get("skipped_lines") or 0),
        examples=[SkippedLine(line=ex.get("line"), reason=ex.get("reason", ""))
                  for ex in data.get("examples") or []],
        status=data.get("status") or "ok", reason=data.get("reason") or "")

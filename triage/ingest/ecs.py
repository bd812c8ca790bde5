"""Elastic Common Schema (ECS) JSON lines (CONTRACT §1, app logs).

ecs-logging libraries (Java, .NET, Node, Python, Go) and Elastic's own servers
write one JSON object per line with ``@timestamp``, ``log.level``, ``message``,
``service.name``, ``trace.id``/``transaction.id``/``span.id`` and ``http.*``,
``url.*``, ``error.*`` fields. Producers write the keys dotted-flat
(``"log.level": ..``), nested (``"log": {"level": ..}``) or mixed; all are read.
"""
from __future__ import annotations

from typing import Any

from triage.ingest.base import Head, JsonLineIngestor
from triage.ingest.jsonlines import (FieldMap, http_status, duration_ms, level_text, record_ts, scalar_text,
                                     short_code, small_value, split_message, stack_head,
                                     url_path)
from triage.model import Layer

FIELDS = FieldMap({
    "ts": ("@timestamp",),
    "level": ("log.level", "level"),
    "message": ("message",),
    "service": ("service.name",),
    "trace_id": ("trace.id",),
    "span_id": ("span.id", "transaction.id"),
    "transaction_id": ("transaction.id",),
    "request_id": ("http.request.id", "http.request.headers.x-request-id",
                   "http.request.headers.X-Request-Id", "labels.request_id",
                   "labels.x_request_id"),
    "method": ("http.request.method",),
    "path": ("url.path",),
    "url": ("url.original", "url.full"),
    "status": ("http.response.status_code",),
    "duration": ("event.duration",),
    "client_ip": ("client.ip", "client.address", "source.ip", "source.address"),
    "user_agent": ("user_agent.original", "http.request.headers.user-agent"),
    "destination": ("destination.address", "destination.domain"),
    "port": ("destination.port",),
    "domain": ("url.domain",),
    "error_code": ("error.type", "error.code", "error.id"),
    "error_message": ("error.message",),
    "stack": ("error.stack_trace", "error.stack"),
    "ecs_version": ("ecs.version",),
    # attrs
    "dataset": ("event.dataset", "data_stream.dataset"),
    "logger": ("log.logger",),
    "thread": ("process.thread.name",),
    "event_code": ("event.code",),
    "outcome": ("event.outcome",),
    "query": ("url.query",),
    "x-opaque-id": ("http.request.headers.x-opaque-id", "elasticsearch.http.request.x_opaque_id"),
    "x-test-name": ("http.request.headers.x-test-name", "labels.test_name"),
    "node": ("elasticsearch.node.name", "node.name", "host.name"),
})
_TEXT_COLUMNS = ("service", "trace_id", "span_id", "request_id", "client_ip", "user_agent")
_ATTR_COLUMNS = ("dataset", "logger", "thread", "transaction_id", "event_code", "outcome",
                 "query", "x-opaque-id", "x-test-name", "node")
# Columns whose presence next to @timestamp marks a record as ECS (as does
# "log.level", but not a bare "level").
_MARKERS = ("ecs_version", "service", "trace_id", "transaction_id", "dataset",
            "logger", "thread")


def convert_ecs(obj: dict[str, Any]) -> dict[str, Any]:
    """An event from one ECS document (flat, nested or mixed keys)."""
    found, names = FIELDS.pick(obj)
    event: dict[str, Any] = {"ts": record_ts(found.get("ts"))}
    level = level_text(found.get("level"))
    if level is not None:
        event["level"] = level
    for column in _TEXT_COLUMNS:
        if column in found:
            text = scalar_text(found[column])
            if text is not None:
                event[column] = text
    attrs: dict[str, Any] = {}
    _fill_http(event, found)
    _fill_error(event, found, attrs)
    for column in _ATTR_COLUMNS:
        value = found.get(column)
        if value is not None and not isinstance(value, (dict, list)):
            attrs[column] = small_value(value)
    if attrs:
        event["attrs"] = attrs
    return event


def _fill_http(event: dict[str, Any], found: dict[str, Any]) -> None:
    method = found.get("method")
    if isinstance(method, str) and method.isalpha():
        event["method"] = method.upper()
    path = found.get("path")
    path = path if isinstance(path, str) else url_path(found.get("url"))
    if path:
        event["path"] = path
    status = http_status(found.get("status"))
    if status is not None:
        event["status"] = status
    latency = duration_ms(found.get("duration"), 1e-6)
    if latency is not None:
        event["latency_ms"] = latency
    # destination.* (or url.domain) names the dependency an outgoing call went to.
    destination = scalar_text(found.get("destination"))
    if destination is not None:
        port = scalar_text(found.get("port"))
        event["upstream_host"] = f"{destination}:{port}" if port and ":" not in destination else destination
        if status is not None:
            event["upstream_status"] = status
        if latency is not None:
            event["upstream_latency_ms"] = latency
    else:
        domain = scalar_text(found.get("domain"))
        if domain is not None:
            event["upstream_host"] = domain


def _fill_error(event: dict[str, Any], found: dict[str, Any],
                attrs: dict[str, Any]) -> None:
    message, detail = split_message(found.get("message") or "")
    error_message = found.get("error_message")
    if isinstance(error_message, str):
        first, _ = split_message(error_message)
        if first and first not in message:
            message = f"{message}: {first}" if message else first
    code = short_code(found.get("error_code"))
    if code is not None:
        event["error"] = code
    stack = stack_head(found.get("stack"))
    if stack:
        attrs["stack"] = stack
    if detail:
        attrs["detail"] = detail
    event["message"] = message


def is_ecs(obj: dict[str, Any]) -> bool:
    """Whether a JSON object is an ECS record: ``@timestamp`` plus an ECS-only key."""
    if "@timestamp" not in obj:
        return False
    found, names = FIELDS.pick(obj)
    if names.get("level") == "log.level":
        return True
    return any(column in found for column in _MARKERS)


class EcsJsonIngestor(JsonLineIngestor):
    """ECS JSON lines from ecs-logging libraries, Elasticsearch, Kibana and friends."""

    name = "ecs-json"
    layer = Layer.APP
    description = "Elastic Common Schema JSON lines (@timestamp, log.level, trace.id, ...)"

    def sniff(self, head: Head) -> float:
        """0.95 (0.9 without ecs.version) when most head objects carry ECS keys."""
        objects = head.json_objects
        if not objects or len(objects) / max(len(head.lines), 1) < 0.6:
            return 0.0
        matching = [obj for obj in objects if is_ecs(obj)]
        if len(matching) / len(objects) < 0.6:
            return 0.0
        versioned = any("ecs_version" in FIELDS.pick(obj)[0] for obj in matching)
        return 0.95 if versioned else 0.9

    def convert(self, obj: dict[str, Any]) -> dict[str, Any] | None:
        """One event per object; an empty object is not a record (None)."""
        return convert_ecs(obj) if obj else None

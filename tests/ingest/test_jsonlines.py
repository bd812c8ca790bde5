"""Generic JSON lines and the shared record helpers (triage.ingest.jsonlines)."""
from __future__ import annotations

from pathlib import Path
from typing import Any

import orjson
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from triage.ingest import registry
from triage.ingest.base import Head, SourceFile
from triage.ingest.jsonlines import (FieldMap, JsonLinesIngestor, duration_ms, iso_ts, record_ts,
                                     url_path)
from triage.ingest.loader import read_source
from triage.ingest.timeparse import parse_iso
from tests.ingest.helpers import assert_well_typed, iso, write

JSONL = JsonLinesIngestor()

# The formats this brief owns, and the fixture folders that hold them.
APP_FORMATS = {"ecs-json", "otel-json", "logfmt", "json-lines", "text", "cri", "docker-json",
               "fluent-bit-record"}
APP_FOLDERS = {"ecs-json": {"ecs-json"}, "otel-logs": {"otel-json"}, "logfmt": {"logfmt"},
               "text-logs": {"text"},
               "k8s-container-logs": {"cri", "docker-json", "fluent-bit-record"}}


def test_app_formats_claim_their_fixtures_and_no_others(real: Path) -> None:
    for path in sorted(p for p in real.rglob("*") if p.is_file() and p.name != "PROVENANCE.md"):
        head = Head.of(SourceFile(path, path.name))
        folder = path.relative_to(real).parts[0]
        if folder in APP_FOLDERS:
            detected = registry.detect(head).ingestor
            assert detected is not None and detected.name in APP_FOLDERS[folder], path.name
            continue
        for name in APP_FORMATS:
            score = registry.get(name).sniff(head)
            # generic formats may show interest, but never enough to beat a specific one
            limit = 0.3 if name in ("json-lines", "text") else 0.0
            assert score <= limit, (name, path.name, score)


def test_generic_objects(tmp_path: Path) -> None:
    lines = [
        {"time": 1714644000123, "level": 50, "msg": "request failed", "pid": 7,
         "req": {"id": "req-7", "method": "post", "url": "/api/cart?x=1",
                 "headers": {"x-test-name": "checkout loads"}},
         "res": {"statusCode": 502}, "responseTime": 31, "err": {"type": "FetchError",
                                                                  "message": "socket hang up",
                                                                  "stack": "FetchError: socket hang up\n    at a (b.js:1:2)"}},
        {"timestamp": "2024-05-02T10:00:01.5+02:00", "severity": "WARNING", "message": "slow\nsecond line",
         "traceparent": "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01", "duration": "1.5s",
         "service": "cart"},
        {"ts": 1714644002.25, "event": "structlog style", "request_id": 12345, "latency_ms": 2},
        {"instance": "tcpaccesslog", "sentBytes": 424, "level": "info"},
    ]
    content = "".join(orjson.dumps(obj).decode() + "\n" for obj in lines) + "[1, 2]\n{}\n"
    result = read_source(write(tmp_path, "app.ndjson", content))
    assert result.info.format == "json-lines"
    assert result.info.events == 4
    assert result.info.skipped_lines == 2
    assert [ex.line for ex in result.info.examples] == [5, 6]
    pino, structured, structlog, summary = result.events
    assert iso(pino) == "2024-05-02T10:00:00.123Z"
    assert (pino["level"], pino["request_id"], pino["method"], pino["path"]) == ("error", "req-7", "POST", "/api/cart")
    assert (pino["status"], pino["latency_ms"], pino["error"]) == (502, 31.0, "FetchError")
    assert pino["message"] == "request failed: socket hang up"
    assert pino["attrs"]["x-test-name"] == "checkout loads"
    assert pino["attrs"]["stack"].startswith("FetchError: socket hang up\n    at a (b.js:1:2)")
    assert iso(structured) == "2024-05-02T08:00:01.500Z"
    assert structured["message"] == "slow" and structured["attrs"]["detail"] == "second line"
    assert structured["trace_id"] == "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"
    assert (structured["latency_ms"], structured["service"]) == (1500.0, "cart")
    assert iso(structlog) == "2024-05-02T10:00:02.250Z"
    assert (structlog["message"], structlog["request_id"], structlog["latency_ms"]) == ("structlog style", "12345", 2.0)
    assert summary["message"] == "instance=tcpaccesslog sentBytes=424"
    assert summary["ts"] is None and summary["level"] == "info"


def test_sniff_is_low_and_leaves_otlp_alone() -> None:
    lines = ['{"a": 1}', '{"b": 2}']
    assert JSONL.sniff(Head(path="x", text="\n".join(lines), lines=lines)) == 0.3
    otlp = ['{"resourceLogs": []}']
    assert JSONL.sniff(Head(path="x", text=otlp[0], lines=otlp)) == 0.0
    mostly_text = ['{"a": 1}', "text", "more text"]
    assert JSONL.sniff(Head(path="x", text="\n".join(mostly_text), lines=mostly_text)) == 0.0


@pytest.mark.parametrize("value, unit, expected", [
    ("8ms", None, 8.0), ("1.5s", None, 1500.0), ("3m0s", None, 180000.0), ("250us", None, 0.25),
    (0.007, None, 7.0), (12, None, 12.0), (1234567890, None, 1234.56789), ("12", 1.0, 12.0),
    (1500000000, 1e-6, 1500.0), ("nope", None, None), (-1, None, None), (True, None, None),
    (float("inf"), 1.0, None), ("", None, None),
])
def test_duration_ms(value: Any, unit: float | None, expected: float | None) -> None:
    result = duration_ms(value, unit)
    assert result == (pytest.approx(expected) if expected is not None else None)


@pytest.mark.parametrize("value", [
    "2024-03-01T10:00:59.123Z", "2022-04-20T18:46:21.484+02:00", "2015-10-18 18:04:08,987",
    "2020-08-19T21:06:24.33754077Z", "2024-03-01T10:00:59", "2024-03-01T10:00:59+0530",
    "2024-13-01T10:00:59Z", "2024-03-01T10:00:59 UTC", "2024-03-01T10:00:59.5-0700",
    "2024-03-01T10:00:59.x",
])
def test_iso_fast_path_agrees_with_timeparse(value: str) -> None:
    assert iso_ts(value) == parse_iso(value)


def test_record_ts_shapes() -> None:
    assert iso({"ts": record_ts(1714644000)}) == "2024-05-02T10:00:00.000Z"
    assert iso({"ts": record_ts("1714644000123456789")}) == "2024-05-02T10:00:00.123Z"
    assert iso({"ts": record_ts("2022/12/10 21:54:44")}) == "2022-12-10T21:54:44.000Z"
    assert iso({"ts": record_ts("10/Oct/2000:13:55:36 -0700")}) == "2000-10-10T20:55:36.000Z"
    assert record_ts(True) is None and record_ts("soon") is None


def test_url_path() -> None:
    assert url_path("https://h:8443/v1/charge?x=1") == "/v1/charge"
    assert url_path("https://h") == "/"
    assert url_path("/a/b?c") == "/a/b"
    assert url_path(5) is None


def test_field_map_prefers_rank_over_order_and_walks_nesting() -> None:
    fields = FieldMap({"id": ("http.request.id", "request_id")})
    assert fields.pick({"request_id": "b", "http": {"request": {"id": "a"}}}) == (
        {"id": "a"}, {"id": "http.request.id"})
    assert fields.pick({"http.request.id": "-", "request_id": "b"}) == ({"id": "b"}, {"id": "request_id"})
    assert fields.pick({"http": {"request.id": "c"}}) == ({"id": "c"}, {"id": "http.request.id"})


_JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=30),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=10), children, max_size=4),
    max_leaves=20)
_KEYS = st.sampled_from(["time", "ts", "@timestamp", "level", "msg", "message", "status", "req", "res",
                         "duration", "latency", "err", "error", "request_id", "trace_id", "method",
                         "path", "url", "service", "headers", "stack", "upstream_status", "x"])


@settings(max_examples=300, deadline=None)
@given(st.dictionaries(_KEYS, _JSON, max_size=8))
def test_convert_never_raises_and_is_well_typed(obj: dict[str, Any]) -> None:
    assert_well_typed(JSONL.convert(obj))


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=200))
def test_parse_line_only_raises_value_error_on_free_text(line: str) -> None:
    try:
        assert_well_typed(JSONL.parse_line(line))
    except ValueError:
        pass  # LineIngestor.parse turns this into a skipped line

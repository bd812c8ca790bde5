"""OpenTelemetry OTLP/JSON log records (triage.ingest.otel)."""
from __future__ import annotations

from pathlib import Path
from typing import Any

import orjson
from hypothesis import given, settings
from hypothesis import strategies as st

from triage.ingest.base import Head, SourceFile
from triage.ingest.loader import events_frame, read_source
from triage.ingest.otel import OtelJsonIngestor, any_value, convert_record, element_lines
from tests.ingest.helpers import assert_well_typed, iso, write

OTEL = OtelJsonIngestor()


def test_canonical_logs_example(real: Path) -> None:
    result = read_source(real / "otel-logs" / "otlp-proto-example-logs.json")
    assert (result.info.format, result.info.events, result.info.skipped_lines) == ("otel-json", 1, 0)
    event = result.events[0]
    assert iso(event) == "2018-12-13T14:51:00.300Z"
    assert event["level"] == "Information"
    assert event["service"] == "my.service"
    assert event["trace_id"] == "5B8EFFF798038103D269B633813FC60C"
    assert event["span_id"] == "EEE19B7EC3C1B174"
    assert event["message"] == "Example log record"
    assert event["line"] == 29  # the record's "{" under "logRecords": [
    assert event["attrs"] == {
        "scope": "my.library", "string.attribute": "some string", "boolean.attribute": True,
        "int.attribute": 10, "double.attribute": 637.704, "array.attribute": ["many", "values"],
        "map.attribute": {"some.map.key": "some value"}}
    frame = events_frame(result.events)
    assert frame["trace_id"][0] == "5b8efff798038103d269b633813fc60c"
    assert frame["level"][0] == "info"


def test_event_record_with_kvlist_body(real: Path) -> None:
    result = read_source(real / "otel-logs" / "otlp-proto-example-events.json")
    assert (result.info.events, result.info.skipped_lines) == (1, 0)
    event = result.events[0]
    assert iso(event) == "2018-12-13T14:51:00.300Z"
    # severityText "test severity text" is no level: severityNumber 9 is INFO
    assert event["level"] == "info"
    assert "trace_id" not in event
    assert event["message"] == ("browser.page_view type=0 "
                                "url=https://www.guidgenerator.com/online-guid-generator.aspx "
                                "referrer=https://wwww.google.com title=Free Online GUID Generator")
    assert event["attrs"] == {"event_name": "browser.page_view", "scope": "my.library",
                              "event.attribute": "some event attribute"}
    assert event["line"] == 29


def _doc(records: list[dict[str, Any]], service: str) -> dict[str, Any]:
    return {"resourceLogs": [{
        "resource": {"attributes": [{"key": "service.name", "value": {"stringValue": service}}]},
        "scopeLogs": [{"scope": {"name": "io.opentelemetry.checkout"}, "logRecords": records}]}]}


FAILED_PAY = {
    "timeUnixNano": "1714644000123000000", "observedTimeUnixNano": "1714644000124000000",
    "severityNumber": 17, "severityText": "ERROR",
    "traceId": "0af7651916cd43dd8448eb211c80319c", "spanId": "b7ad6b7169203331",
    "body": {"stringValue": "payment declined by upstream"},
    "attributes": [
        {"key": "http.request.method", "value": {"stringValue": "POST"}},
        {"key": "url.path", "value": {"stringValue": "/api/pay"}},
        {"key": "http.response.status_code", "value": {"intValue": "502"}},
        {"key": "http.request.header.x-request-id",
         "value": {"arrayValue": {"values": [{"stringValue": "7f3c9a1e-0b2d-4c5e-9f8a-1b2c3d4e5f60"}]}}},
        {"key": "exception.type", "value": {"stringValue": "UpstreamError"}},
        {"key": "exception.message", "value": {"stringValue": "502 Bad Gateway"}},
    ]}


def test_one_document_per_line(tmp_path: Path) -> None:
    ok = {"timeUnixNano": "0", "observedTimeUnixNano": "1714644001000000000", "severityNumber": 9,
          "body": {"stringValue": "ok"}, "attributes": [{"key": "request.id", "value": {"stringValue": "abc"}}]}
    content = (orjson.dumps(_doc([FAILED_PAY], "checkout")).decode() + "\n"
               + orjson.dumps(_doc([ok, ok], "cart")).decode() + "\n"
               + "{not json\n" + '{"resourceSpans": []}\n')
    result = read_source(write(tmp_path, "otlp.jsonl", content))
    assert result.info.format == "otel-json"
    assert (result.info.events, result.info.skipped_lines) == (3, 2)
    assert [ex.line for ex in result.info.examples] == [3, 4]
    assert "no resourceLogs" in result.info.examples[1].reason
    failed, first_ok, second_ok = result.events
    assert iso(failed) == "2024-05-02T10:00:00.123Z"
    assert (failed["service"], failed["level"], failed["line"]) == ("checkout", "ERROR", 1)
    assert (failed["method"], failed["path"], failed["status"]) == ("POST", "/api/pay", 502)
    assert failed["request_id"] == "7f3c9a1e-0b2d-4c5e-9f8a-1b2c3d4e5f60"
    assert failed["error"] == "UpstreamError"
    assert failed["message"] == "payment declined by upstream: 502 Bad Gateway"
    assert failed["attrs"] == {"scope": "io.opentelemetry.checkout"}
    # timeUnixNano "0" means unset: observedTimeUnixNano stands in
    assert iso(first_ok) == "2024-05-02T10:00:01.000Z"
    assert (first_ok["service"], first_ok["request_id"], first_ok["level"]) == ("cart", "abc", "info")
    assert first_ok["line"] == second_ok["line"] == 2


def test_pretty_document_lines_for_many_records(tmp_path: Path) -> None:
    records = [dict(FAILED_PAY, body={"stringValue": f"record {i} with {{braces}} and \"quotes\""})
               for i in range(3)]
    text = orjson.dumps(_doc(records, "checkout"), option=orjson.OPT_INDENT_2).decode()
    events = read_source(write(tmp_path, "pretty.json", text)).events
    starts = [number for number, line in enumerate(text.split("\n"), 1) if line == "            {"]
    assert [e["line"] for e in events] == starts
    assert [e["message"].split(":")[0] for e in events] == [f'record {i} with {{braces}} and "quotes"' for i in range(3)]


def test_a_broken_pretty_document_is_unreadable(tmp_path: Path) -> None:
    text = orjson.dumps(_doc([FAILED_PAY], "x"), option=orjson.OPT_INDENT_2).decode()[:-40]
    result = read_source(write(tmp_path, "cut.json", text), ingestor=OTEL)
    assert result.info.status == "error"
    assert "not an OTLP/JSON document" in result.info.reason


def test_sniff(real: Path) -> None:
    for path in sorted((real / "otel-logs").iterdir()):
        assert OTEL.sniff(Head.of(SourceFile(path, path.name))) == 1.0
    cut = '{\n  "resourceLogs": [\n    {'
    assert OTEL.sniff(Head(path="x", text=cut, lines=cut.split("\n"))) == 0.9
    spans = '{"resourceSpans": []}'
    assert OTEL.sniff(Head(path="x", text=spans, lines=[spans])) == 0.0


def test_any_value_and_element_lines() -> None:
    assert any_value({"kvlistValue": {"values": [{"key": "a", "value": {"intValue": "7"}},
                                                 {"key": "b", "value": {"arrayValue": {}}}]}}) == {"a": 7, "b": []}
    assert any_value({"bytesValue": "AQI="}) == "AQI="
    assert any_value({"doubleValue": "x"}) is None
    assert element_lines('[\n {"a": "[{"},\n {"b": 1}\n]', None) == [2, 3]
    assert element_lines('{"logRecords": [{}, {"x": [{}]}]}', {'"logRecords"'}) == [1, 1]


_ANY = st.recursive(
    st.fixed_dictionaries({"stringValue": st.text(max_size=10)})
    | st.fixed_dictionaries({"intValue": st.one_of(st.integers(), st.text(max_size=5))})
    | st.fixed_dictionaries({"doubleValue": st.one_of(st.floats(), st.text(max_size=5))})
    | st.fixed_dictionaries({"boolValue": st.booleans()}) | st.none() | st.text(max_size=5),
    lambda inner: st.fixed_dictionaries({"arrayValue": st.fixed_dictionaries({"values": st.lists(inner, max_size=3)})})
    | st.fixed_dictionaries({"kvlistValue": st.fixed_dictionaries({"values": st.lists(
        st.fixed_dictionaries({"key": st.text(max_size=8), "value": inner}), max_size=3)})}),
    max_leaves=10)
_ATTR_KEYS = st.sampled_from(["http.request.method", "url.path", "url.full", "http.response.status_code",
                              "request.id", "exception.type", "exception.message", "exception.stacktrace",
                              "duration_ms", "client.address", "x"])


@settings(max_examples=300, deadline=None)
@given(st.fixed_dictionaries({}, optional={
    "timeUnixNano": st.one_of(st.integers(), st.text(max_size=20), st.none()),
    "observedTimeUnixNano": st.one_of(st.integers(min_value=0, max_value=2**64), st.text(max_size=20)),
    "severityNumber": st.one_of(st.integers(), st.text(max_size=3)),
    "severityText": st.one_of(st.text(max_size=10), st.integers()),
    "traceId": st.one_of(st.text(max_size=32), st.integers()), "spanId": st.text(max_size=16),
    "eventName": st.one_of(st.text(max_size=10), st.integers()),
    "body": _ANY,
    "attributes": st.lists(st.fixed_dictionaries({"key": _ATTR_KEYS, "value": _ANY}), max_size=6),
}))
def test_convert_record_never_raises_and_is_well_typed(record: dict[str, Any]) -> None:
    assert_well_typed(convert_record(record, "svc", None))

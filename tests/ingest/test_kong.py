"""Kong file-log / http-log ingestor."""
from __future__ import annotations

import copy
import gzip
from pathlib import Path
from typing import Any

import orjson
import pandas as pd
import pytest
from hypothesis import event, given, settings
from hypothesis import strategies as st

from triage.ingest import registry
from triage.ingest.base import Head, ParseContext, SourceFile, UnreadableSource
from triage.ingest.kong import KongJsonIngestor, _convert_general, convert_record
from triage.ingest.kong_rows import record_row_reader
from triage.ingest.loader import read_source
from triage.ingest.rows import INDEX, row_of
from triage.ingest.timeparse import to_iso
from triage.model import EVENT_COLUMNS
from tests.conftest import SAMPLE_DATA
from tests.ingest.test_rows import (assert_same_reading, assert_truncated_gzip_reads_the_same,
                                    read_both_ways)

PRETTY = "kong/kong-docs-file-log-serializer-sample.json"
NDJSON = "kong/kong-docs-file-log-serializer-sample.ndjson"


@pytest.mark.parametrize("name", [PRETTY, NDJSON])
def test_real_sample_in_both_shapes(real: Path, name: str) -> None:
    result = read_source(real / name)
    assert (result.info.format, result.info.layer) == ("kong-json", "gateway")
    assert (result.info.events, result.info.skipped_lines) == (1, 0)
    event = result.events[0]
    assert event["line"] == 1
    assert to_iso(event["ts"]) == "2021-02-25T05:57:48.342Z"  # started_at 1614232668342
    assert (event["method"], event["path"], event["status"]) == ("GET", "/log", 200)
    assert (event["latency_ms"], event["upstream_latency_ms"]) == (515.0, 457.0)
    assert event["upstream_host"] == "18.211.130.98:80"
    assert event["client_ip"] == "192.168.144.1"
    assert event["user_agent"] == "HTTPie/2.4.0"
    assert event["request_id"] is None  # Kong 2.2: no request.id, no x-request-id
    assert event["error"] is None
    assert event["message"] == "GET /log 200"
    attrs = event["attrs"]
    assert attrs["kong_service"] == "httpbin.org"
    assert attrs["consumer"] == "foo"
    assert attrs["upstream_uri"] == "/anything"
    assert attrs["kong_latency_ms"] == 58.0
    assert attrs["x-kong-upstream-latency"] == "457"
    assert attrs["access-control-allow-origin"] == "*"
    assert "answered_by" not in attrs


def test_sniffer_claims_no_other_real_sample(real: Path) -> None:
    for path in sorted(p for p in real.rglob("*") if p.is_file() and p.suffix != ".md"):
        detected = registry.detect(Head.of(SourceFile(path, path.name))).ingestor
        if path.parent.name != "kong":
            assert detected is None or detected.name != "kong-json", path


# -- own samples -----------------------------------------------------------------------

def kong_record(status: int = 200, tries: bool = True, **response_headers: str) -> dict[str, Any]:
    record: dict[str, Any] = {
        "started_at": 1795169201250,
        "client_ip": "10.20.0.15",
        "request": {"method": "POST", "uri": "/api/cart/checkout",
                    "url": "https://api.shop.example/api/cart/checkout", "id": "kong-7a1b",
                    "headers": {"x-request-id": "9f1c2d3e-4f5a-6978-8796-a5b4c3d2e1f0",
                                "traceparent": "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
                                "x-test-name": "pays with saved card",
                                "user-agent": "Mozilla/5.0 triage-test/pays-with-saved-card"}},
        "response": {"status": status, "headers": dict(response_headers)},
        "latencies": {"request": 4, "kong": 4, "proxy": -1},
        "tries": [],
        "service": {"name": "checkout", "host": "checkout.shop.svc"},
        "route": {"name": "cart"},
        "upstream_uri": "/cart/checkout",
    }
    if tries:
        record["tries"] = [{"ip": "10.0.4.5", "port": 8080, "balancer_latency": 0}]
        record["latencies"] = {"request": 40, "kong": 2, "proxy": 38}
    return record


def parse_records(tmp_path: Path, records: list[dict[str, Any]]) -> list[dict[str, Any]]:
    path = tmp_path / "kong.log"
    path.write_bytes(b"\n".join(orjson.dumps(r) for r in records) + b"\n")
    result = read_source(path)
    assert result.info.format == "kong-json"
    return result.events


def test_401_invalid_audience_is_kongs_own_answer(tmp_path: Path) -> None:
    record = kong_record(401, tries=False, **{
        "www-authenticate": 'Bearer error="invalid_token", error_description="invalid audience"',
        "x-kong-response-latency": "4"})
    (event,) = parse_records(tmp_path, [record])
    assert event["status"] == 401
    assert event["error"] == "invalid_token"
    assert event["message"] == "POST /api/cart/checkout 401 invalid_token: invalid audience"
    assert event["attrs"]["answered_by"] == "kong"
    assert event["attrs"]["www-authenticate"].startswith('Bearer error="invalid_token"')
    assert event["upstream_host"] is None and event["upstream_latency_ms"] is None
    # The client's X-Request-ID joins the layers; Kong's own id is kept aside.
    assert event["request_id"] == "9f1c2d3e-4f5a-6978-8796-a5b4c3d2e1f0"
    assert event["attrs"]["kong_request_id"] == "kong-7a1b"
    assert event["trace_id"] == "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"
    assert event["attrs"]["request_x-test-name"] == "pays with saved card"
    assert to_iso(event["ts"]) == "2026-11-20T10:06:41.250Z"


def test_cache_hit_headers(tmp_path: Path) -> None:
    record = kong_record(200, **{"x-cache-status": "HIT", "age": "1800",
                                 "x-kong-upstream-latency": "1", "x-kong-proxy-latency": "0"})
    (event,) = parse_records(tmp_path, [record])
    assert event["attrs"]["cache_status"] == "HIT"
    assert event["attrs"]["x-cache-status"] == "HIT"
    assert event["attrs"]["age"] == "1800"
    assert event["upstream_host"] == "10.0.4.5:8080"
    assert (event["latency_ms"], event["upstream_latency_ms"]) == (40.0, 38.0)
    assert event["message"] == "POST /api/cart/checkout 200"


def test_rate_limit_timeout_and_request_id_fallbacks(tmp_path: Path) -> None:
    limited = kong_record(429, tries=False, **{"x-ratelimit-remaining-minute": "0",
                                               "x-ratelimit-limit-minute": "60"})
    timeout = kong_record(504, **{"x-kong-response-latency": "60001"})
    kong_id = copy.deepcopy(kong_record())
    del kong_id["request"]["headers"]["x-request-id"]
    del kong_id["request"]["headers"]["traceparent"]
    kong_id["trace_id"] = {"w3c": "4bf92f3577b34da6a3ce929d0e0e4736"}
    events = parse_records(tmp_path, [limited, timeout, kong_id])
    assert events[0]["error"] == "rate_limited"
    assert events[0]["message"] == (
        "POST /api/cart/checkout 429 API rate limit exceeded (x-ratelimit-remaining-minute: 0)")
    assert events[0]["attrs"]["x-ratelimit-limit-minute"] == "60"
    assert events[1]["error"] == "upstream_timeout"
    assert events[1]["upstream_host"] == "10.0.4.5:8080"
    assert events[1]["message"] == "POST /api/cart/checkout 504 upstream timed out"
    assert events[2]["request_id"] == "kong-7a1b"
    assert events[2]["trace_id"] == "4bf92f3577b34da6a3ce929d0e0e4736"


def test_broken_json_line_is_skipped_with_its_number(tmp_path: Path) -> None:
    path = tmp_path / "kong.log"
    good = orjson.dumps(kong_record())
    path.write_bytes(good + b"\n" + good[:90] + b"\n" + good + b"\n")
    result = read_source(path)
    assert result.info.format == "kong-json"
    assert (result.info.events, result.info.skipped_lines) == (2, 1)
    assert result.info.examples[0].line == 2
    assert "invalid JSON" in result.info.examples[0].reason


def test_broken_first_line_does_not_make_the_file_a_document(tmp_path: Path) -> None:
    path = tmp_path / "kong.log"
    good = orjson.dumps(kong_record())
    path.write_bytes(good[:90] + b"\n" + good + b"\n")
    result = read_source(path)
    assert result.info.format == "kong-json"
    assert (result.info.events, result.info.skipped_lines) == (1, 1)
    assert result.info.examples[0].line == 1
    assert result.events[0]["line"] == 2


def test_pretty_printed_array_and_concatenated_objects(tmp_path: Path) -> None:
    pretty = orjson.dumps(kong_record(), option=orjson.OPT_INDENT_2).decode()
    array = tmp_path / "array.json"
    array.write_text("[" + pretty + ",\n" + pretty + "]\n")
    assert [e["line"] for e in read_source(array).events] == [1, 1]
    several = tmp_path / "several.json"
    several.write_text(pretty + "\n" + pretty + "\n" + '{"not": "kong"}\n')
    result = read_source(several)
    assert result.info.format == "kong-json"
    first_lines = pretty.count("\n") + 1
    assert [e["line"] for e in result.events] == [1, first_lines + 1]
    assert result.info.skipped_lines == 1
    assert result.info.examples[0].line == 2 * first_lines + 1


# -- properties ------------------------------------------------------------------------

VALUES = st.none() | st.integers() | st.text(max_size=15) | st.floats(allow_nan=False) \
    | st.lists(st.text(max_size=5), max_size=2)
TYPES: dict[str, tuple[type, ...]] = {
    "ts": (float,), "status": (int,), "upstream_status": (int,), "latency_ms": (float,),
    "upstream_latency_ms": (float,), "attrs": (dict,),
}


@settings(deadline=None, max_examples=300, database=None)
@given(st.fixed_dictionaries({
    "request": st.dictionaries(st.sampled_from(["method", "uri", "id", "headers"]),
                               VALUES | st.dictionaries(st.text(max_size=12), VALUES, max_size=3)),
    "response": st.dictionaries(st.sampled_from(["status", "headers"]),
                                VALUES | st.dictionaries(st.sampled_from(
                                    ["www-authenticate", "x-cache-status", "age"]), VALUES)),
}, optional={"latencies": st.dictionaries(st.sampled_from(["request", "proxy", "kong"]), VALUES)
             | VALUES,
             "tries": st.lists(st.dictionaries(st.sampled_from(["ip", "port", "code"]), VALUES),
                               max_size=2) | VALUES,
             "started_at": VALUES, "client_ip": VALUES, "trace_id": VALUES,
             "service": VALUES | st.dictionaries(st.sampled_from(["name", "host"]), VALUES)}))
def test_convert_never_raises(obj: dict[str, Any]) -> None:
    event = KongJsonIngestor().convert(obj)
    if event is None:
        return
    assert set(event) <= set(EVENT_COLUMNS)
    for key, value in event.items():
        if value is not None:
            assert isinstance(value, TYPES.get(key, (str,))), (key, value)


# -- the fast path gives what the general code gives ------------------------------------

def outcome(convert: Any, record: dict[str, Any]) -> Any:
    """The event (keys in order) or the exception a converter ends with."""
    try:
        event = convert(record)
    except Exception as exc:  # noqa: BLE001 - the exception itself is compared
        return type(exc).__name__, str(exc)
    return event if event is None else (list(event), event)


HEADER_NAMES = st.sampled_from([
    "x-request-id", "X-Request-ID", "traceparent", "user-agent", "User-Agent", "x-forwarded-for",
    "x-kong-request-id", "kong-request-id", "x-b3-traceid", "www-authenticate", "x-cache",
    "x-cache-status", "X-Cache-Status", "age", "x-kong-upstream-latency", "x-kong-response-latency",
    "x-kong-upstream-status", "x-ratelimit-remaining-minute", "ratelimit-remaining", "via", "123"])
HEADER_VALUES = st.text(max_size=8) | st.sampled_from(["", "-", "0", "HIT", "4"]) | st.none() \
    | st.integers() | st.lists(st.text(max_size=4) | st.integers(), max_size=2)


@settings(deadline=None, max_examples=400, database=None)
@given(status=st.sampled_from([200, 401, 429, 502, 504]) | VALUES, tries=st.booleans(),
       request_headers=st.dictionaries(HEADER_NAMES, HEADER_VALUES, max_size=4),
       response_headers=st.dictionaries(HEADER_NAMES, HEADER_VALUES, max_size=4),
       fields=st.dictionaries(st.sampled_from(["latencies", "tries", "started_at", "client_ip",
                                               "upstream_status", "trace_id", "consumer", "route"]),
                              VALUES | st.dictionaries(st.sampled_from(
                                  ["request", "proxy", "kong", "name", "id", "username"]), VALUES),
                              max_size=2))
def test_fast_path_matches_the_general_conversion(status: Any, tries: bool,
                                                  request_headers: dict[str, Any],
                                                  response_headers: dict[str, Any],
                                                  fields: dict[str, Any]) -> None:
    record = kong_record(tries=tries)
    record["response"]["status"] = status
    record["request"]["headers"].update(request_headers)
    record["response"]["headers"].update(response_headers)
    record.update(fields)
    assert outcome(convert_record, record) == outcome(_convert_general, record)


def test_plain_and_unusual_headers_give_the_same_event() -> None:
    plain = kong_record(200, **{"x-kong-upstream-latency": "3", "via": "kong/3.4.2"})
    shouting = copy.deepcopy(plain)
    shouting["request"]["headers"] = {key.title(): value for key, value in
                                      plain["request"]["headers"].items()}
    repeated = copy.deepcopy(plain)
    repeated["response"]["headers"]["via"] = ["kong/3.4.2", "1.1 envoy"]
    for record in (plain, shouting, repeated):
        assert outcome(convert_record, record) == outcome(_convert_general, record)
    event = convert_record(shouting)
    assert event is not None
    assert event["request_id"] == "9f1c2d3e-4f5a-6978-8796-a5b4c3d2e1f0"
    assert event["attrs"]["request_x-test-name"] == "pays with saved card"


def test_raw_lines_bom_bad_bytes_blank_and_crlf_lines(tmp_path: Path) -> None:
    good = orjson.dumps(kong_record())
    bad_utf8 = good.replace(b"pays with saved card", b"pays with \xff card")
    path = tmp_path / "kong.log"
    path.write_bytes(b"\xef\xbb\xbf" + good + b"\r\n\n   \n" + bad_utf8 + b"\n" + good[:40] + b"\n"
                     + good)  # no newline at the end
    result = read_source(path)
    assert (result.info.format, result.info.events, result.info.skipped_lines) == (
        "kong-json", 3, 1)
    assert [e["line"] for e in result.events] == [1, 4, 6]
    assert result.events[1]["attrs"]["request_x-test-name"] == "pays with \ufffd card"
    assert result.info.examples[0].line == 5
    assert "invalid JSON" in result.info.examples[0].reason


def test_truncated_gzip_keeps_the_lines_before_the_damage(tmp_path: Path) -> None:
    lines = b"".join(orjson.dumps(kong_record()) + b"\n" for _ in range(200))
    packed = gzip.compress(lines)
    path = tmp_path / "kong.log.gz"
    path.write_bytes(packed[: len(packed) - 20])
    source = SourceFile(path, "kong.log.gz")
    expected: list[int] = []
    with pytest.raises(UnreadableSource) as slow:
        for lineno, _text in source.lines():
            expected.append(lineno)
    got: list[int] = []
    with pytest.raises(UnreadableSource) as fast:
        for event in KongJsonIngestor().parse(source, ParseContext("kong.log.gz")):
            got.append(event["line"])
    assert got == expected and len(got) > 100
    assert (fast.value.status, str(fast.value)) == (slow.value.status, str(slow.value))


# -- the rows path (parse_rows) reads exactly what the dict path reads -----------------

def fast_rows(path: Path) -> list[Any]:
    """The fast reader's answer for each line of ``path``: a row, or None (declined)."""
    reader = record_row_reader()
    return [reader(text, line) for line, text in SourceFile(path, path.name).lines()]


def expected_row(text: str, line: int) -> Any:
    """The row the dict path gives for one line (``parse_line``, then ``row_of``)."""
    event = KongJsonIngestor().parse_line(text)
    assert event is not None
    event["line"] = line
    return row_of(event, line)


def assert_same_row(row: Any, want: Any) -> None:
    """Equal, value for value of the same type, attrs key for key in the same order."""
    assert row == want
    assert [type(value) for value in row] == [type(value) for value in want]
    attrs, wanted = row[INDEX["attrs"]], want[INDEX["attrs"]]
    assert [(key, type(value)) for key, value in attrs.items()] == \
        [(key, type(value)) for key, value in wanted.items()]


def test_rows_path_reads_the_real_samples_the_same(real: Path) -> None:
    for name in (PRETTY, NDJSON):
        assert assert_same_reading(real / name, name) == 1
    (row,) = fast_rows(real / NDJSON)  # the one-line sample is taken by the fast reader
    assert_same_row(row, expected_row((real / NDJSON).read_text().strip(), 1))
    assert row[:INDEX["message"] + 1] == (
        1614232668.342, None, None, None, None, None, None, "GET", "/log", 200, 515.0,
        "18.211.130.98:80", None, 457.0, "192.168.144.1", "HTTPie/2.4.0", "GET /log 200")
    assert list(row[INDEX["attrs"]]) == [
        "x-kong-proxy-latency", "x-kong-upstream-latency", "access-control-allow-origin",
        "kong_service", "route", "consumer", "upstream_uri", "url", "kong_latency_ms"]


def test_rows_path_reads_the_sample_data_the_same() -> None:
    files = sorted(SAMPLE_DATA.glob("builds/*/logs/gateway/kong.log*"))
    assert len(files) >= 10
    assert sum(assert_same_reading(path, f"gateway/{path.name}") for path in files) > 2000
    plain = SAMPLE_DATA / "builds" / "1184" / "logs" / "gateway" / "kong.log"
    rows = fast_rows(plain)
    assert rows and all(row is not None for row in rows)  # no 401/429 there: all fast


def awkward_records() -> list[Any]:
    """One line per case the converter handles, in order; see AWKWARD_DECLINED."""
    def record(**changes: Any) -> dict[str, Any]:
        base = kong_record(200, **{"x-kong-upstream-latency": "3", "x-kong-proxy-latency": "1",
                                   "x-request-id": "resp-id", "via": "kong/3.4.2"})
        for path, value in changes.items():
            target = base
            *parents, key = path.split("__")
            for parent in parents:
                target = target[parent]
            if value is DELETE:
                del target[key]
            else:
                target[key] = value
        return base

    headers = kong_record()["request"]["headers"]
    return [
        record(),                                                                    # 1
        kong_record(200, **{"x-cache-status": "HIT", "age": "60", "x-cache": "MISS"}),  # 2
        kong_record(401, tries=False, **{"www-authenticate": 'Bearer error="invalid_token"',
                                         "x-kong-response-latency": "1"}),              # 3
        kong_record(429, tries=False, **{"ratelimit-remaining": "0"}),                  # 4
        kong_record(504, **{"x-kong-response-latency": "60001"}),                       # 5
        kong_record(204, tries=False, **{"x-kong-response-latency": "0"}),              # 6
        record(tries=[{"ip": "10.0.0.1", "port": 80, "code": 502},
                      {"ip": "fd00::7", "port": 8080}]),                                # 7
        record(tries=[{"ip": "10.0.0.1", "port": 80}, {"ip": "10.0.0.2", "port": 80,
                                                         "code": 502}]),                # 8
        record(tries=[{"ip": "-", "port": 80}]),                                        # 9
        record(tries=[], upstream_status=503),                                          # 10
        record(response__headers__x_kong_upstream_status="502"),                        # 11
        record(request__headers={"user-agent": "-", "x-b3-traceid": "463AC35C9F6413AD"},
               trace_id={"b3": "ignored"}),                                             # 12
        record(request__headers={"x-amzn-trace-id": "Root=1-5759e988-bd862e3fe1be46a994272793"},
               request__id=None),                                                       # 13
        record(request__headers={}, trace_id={"w3c": "", "b3": "80f198ee56343ba864fe8b2a57d3eff7"},
               request__id="KONG-ID-1"),                                                # 14
        record(request__headers={"x-request-id": "-", "traceparent": "-"}, trace_id="abc"),  # 15
        record(request__headers={                                                      # 16
            "x-correlation-id": "9F1C2D3E-4F5A-6978-8796-A5B4C3D2E1F0",
            "traceparent": "00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01"}),
        record(request__headers={"x-request-id": "00000000000000000000000000000000"}),   # 17
        record(request__headers={"X-Request-ID": "upper-case-name"}),                    # 18
        record(request__headers={**headers, "accept": ["a", "b"]}),                      # 19
        record(started_at="2026-11-20T10:06:41.250Z"),                                   # 20
        record(started_at=1795169201.25),                                                # 21
        record(started_at=DELETE),                                                       # 22
        record(latencies=DELETE),                                                        # 23
        record(latencies={"request": 1.5, "kong": None, "proxy": "7"}),                  # 24
        record(latencies={"request": 12, "kong": 0, "proxy": -1}),                       # 25
        record(response__status="200"),                                                  # 26
        record(service=None, route={"id": "r-1"}, consumer={"username": "", "id": "c-9"}),  # 27
        record(service={"host": "checkout.svc"}, route="not-an-object"),                 # 28
        record(request__method="", request__uri="-", request__url="", upstream_uri=""),  # 29
        record(client_ip=None, request__headers__traceparent=7),                         # 30
        record(request=DELETE),                                                          # 31
        record(response__headers__via=None),                                             # 32
        record(started_at=4102444800000, request__headers={
            "x-kong-request-id": "00000000-0000-0000-0000-000000000000"}),              # 33
        record(response__headers__x_kong_upstream_status="0"),                          # 34
    ]


class _Delete:
    pass


DELETE = _Delete()
# Lines of the awkward file the fast reader leaves to the dict path (all others it reads).
AWKWARD_DECLINED = {3, 4, 5, 8, 9, 18, 19, 20, 22, 23, 24, 26, 28, 30, 31, 32}


def write_awkward_file(tmp_path: Path) -> Path:
    lines = [orjson.dumps(r).decode().replace("x_kong_upstream_status", "x-kong-upstream-status")
             for r in awkward_records()]
    lines += ["", "   ", "[1, 2]", "{}", "not json at all", lines[0][:70], '"a string"',
              lines[0].replace('"kong-7a1b"', '"k\\u00f6ng"'), "\r"]
    path = tmp_path / "gateway" / "kong.log"
    path.parent.mkdir()
    path.write_bytes(("\r\n".join(lines) + "\n").encode("utf-8") + b'{"request":\xff}\n')
    return path


def test_rows_path_reads_every_variant_the_same(tmp_path: Path) -> None:
    path = write_awkward_file(tmp_path)
    assert assert_same_reading(path, "gateway/kong.log") == 34
    rows = fast_rows(path)
    assert {line for line, row in enumerate(rows[:34], 1) if row is None} == AWKWARD_DECLINED
    # blank, blank, an array, {}, not JSON, a cut line, a string; an escape; blank, bad UTF-8
    assert rows[34:] == [None] * 7 + [rows[41]] + [None, None] and rows[41] is not None
    texts = [text for _, text in SourceFile(path, path.name).lines()]
    for line, row in enumerate(rows, 1):
        if row is not None:
            assert_same_row(row, expected_row(texts[line - 1], line))
    by_rows, _, rows_ctx, *_ = read_both_ways(path, "gateway/kong.log")
    assert rows_ctx.skipped == 7
    frame = by_rows.set_index("line")
    assert frame.loc[7, "upstream_host"] == "[fd00::7]:8080"
    assert frame.loc[7, "attrs"]["tries"] == 2 and "tries" not in frame.loc[1, "attrs"]
    assert frame.loc[16, "request_id"] == "9f1c2d3e4f5a69788796a5b4c3d2e1f0"
    assert frame.loc[16, "trace_id"] == "4bf92f3577b34da6a3ce929d0e0e4736"
    assert frame.loc[12, "trace_id"] == "0000000000000000463ac35c9f6413ad"
    assert frame.loc[13, "trace_id"] == "5759e988bd862e3fe1be46a994272793"
    assert frame.loc[14, "request_id"] == "KONG-ID-1"
    assert pd.isna(frame.loc[15, "request_id"]) and pd.isna(frame.loc[15, "trace_id"])
    assert pd.isna(frame.loc[17, "request_id"])
    assert frame.loc[3, "message"] == "POST /api/cart/checkout 401 invalid_token"
    assert frame.loc[10, "upstream_status"] == 503 and frame.loc[11, "upstream_status"] == 502
    assert pd.isna(frame.loc[25, "upstream_latency_ms"]) and frame.loc[25, "latency_ms"] == 12.0
    assert frame.loc[6, "attrs"]["answered_by"] == "kong"
    assert frame.loc[42, "attrs"]["kong_request_id"] == "k\u00f6ng"
    assert pd.isna(frame.loc[34, "upstream_status"])  # "0" is no status
    assert pd.isna(frame.loc[33, "ts"]) and pd.isna(frame.loc[33, "request_id"])  # 2100; zeros
    assert frame.loc[29, "message"] == "- - 200"


def test_rows_path_keeps_the_rows_before_a_truncated_gzip(tmp_path: Path) -> None:
    lines = [orjson.dumps(kong_record(200 + n % 3)).decode() for n in range(3000)]
    assert_truncated_gzip_reads_the_same(tmp_path / "kong.log.gz", lines)


def test_read_source_as_frame_takes_the_rows_path(tmp_path: Path) -> None:
    path = tmp_path / "kong.log"
    path.write_bytes(b"".join(orjson.dumps(kong_record()) + b"\n" for _ in range(5)) + b"{oops\n")
    source = SourceFile(path, "kong.log")
    assert KongJsonIngestor().parse_rows(source, ParseContext("kong.log")) is not None
    result = read_source(path, "gateway/kong.log", as_frame=True)
    assert (result.info.events, result.info.skipped_lines) == (5, 1)
    assert result.frame["line"].tolist() == [1, 2, 3, 4, 5]
    assert set(result.frame["request_id"]) == {"9f1c2d3e4f5a69788796a5b4c3d2e1f0"}


ID_VALUES = st.sampled_from([
    "f826214ba6d57201e8bc762ed17e9d90", "9c2bbfb0-2d77-41be-b210-8074be1f1099",
    "9C2BBFB0-2D77-41BE-B210-8074BE1F1099", "00000000-0000-0000-0000-000000000000",
    "463ac35c9f6413ad", "-", "", "req-abc",
    "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
    "00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01",
    " 9c2bbfb0-2d77-41be-b210-8074be1f1099",
    "0-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-011", "f826214ba6d57201e8bc762ed17e9d9g"])
ROW_HEADER_NAMES = st.sampled_from([
    "x-request-id", "x-kong-request-id", "kong-request-id", "x-correlation-id", "traceparent",
    "x-b3-traceid", "x-amzn-trace-id", "uber-trace-id", "user-agent", "x-test-name", "origin",
    "x-forwarded-for", "x-cache-status", "x-cache", "age", "www-authenticate",
    "x-kong-upstream-latency", "x-kong-response-latency", "x-kong-proxy-latency",
    "x-kong-upstream-status", "retry-after", "ratelimit-remaining", "via", "X-Request-Id"])
NUMBERS = st.integers(-5, 10**15) | st.floats(-1e3, 1e15, allow_nan=False) | st.none()
SCALARS = st.none() | st.booleans() | st.integers(-3, 600) | st.text(max_size=6) | ID_VALUES
TEXTS = ID_VALUES | st.text(max_size=6) | st.sampled_from(["", "-", "0", "HIT", "4"])
# Where a record may be spoiled (by a value of any type) after it is drawn in Kong's shape.
ODD_PLACES = st.sampled_from([
    "status", "request.headers.x-request-id", "request.headers.traceparent", "response.headers.via",
    "response.headers.age", "tries", "latencies", "latencies.proxy", "started_at", "service",
    "route",
    "consumer", "request", "request.headers", "response.headers"])


def spoil(record: dict[str, Any], place: str, value: Any) -> None:
    *parents, key = place.split(".")
    target = record
    for parent in parents:
        target = target[parent] if isinstance(target.get(parent), dict) else {}
    target[key] = value


@settings(deadline=None, max_examples=1000, database=None)
@given(status=st.sampled_from([200, 201, 304, 401, 404, 429, 500, 502, 504]),
       request_headers=st.dictionaries(ROW_HEADER_NAMES, TEXTS, max_size=4),
       response_headers=st.dictionaries(ROW_HEADER_NAMES, TEXTS, max_size=4),
       tries=st.lists(st.fixed_dictionaries({
           "ip": st.sampled_from(["10.0.0.1", "fd00::1", "10.0.0.2", "", "-"]),
           "port": st.integers(0, 65535)}, optional={"code": st.none() | st.integers(500, 504)}),
           max_size=3) | st.none(),
       latencies=st.fixed_dictionaries({}, optional={"request": NUMBERS, "kong": NUMBERS,
                                                     "proxy": NUMBERS}),
       started_at=st.integers(10**12, 5 * 10**12) | st.floats(1e9, 5e9) | st.integers(-5, 10**19)
       | st.sampled_from([10**11, 10**11 + 1, 10**14, 10**14 + 1, 4102444799999, 4102444800000]),
       ids=st.tuples(ID_VALUES, ID_VALUES),
       fields=st.fixed_dictionaries({}, optional={
           "client_ip": SCALARS, "upstream_uri": SCALARS, "upstream_status": SCALARS,
           "trace_id": SCALARS
           | st.dictionaries(st.sampled_from(["w3c", "b3"]), ID_VALUES | SCALARS),
           "service": st.none()
           | st.fixed_dictionaries({}, optional={"name": SCALARS, "host": SCALARS}),
           "route": st.none()
           | st.fixed_dictionaries({}, optional={"name": SCALARS, "id": SCALARS}),
           "consumer": st.none() | st.fixed_dictionaries({}, optional={"username": SCALARS,
                                                                         "id": SCALARS})}),
       request=st.fixed_dictionaries({}, optional={"method": SCALARS, "uri": SCALARS,
                                                   "url": SCALARS, "id": ID_VALUES | SCALARS}),
       odd=st.dictionaries(ODD_PLACES,
                           SCALARS | NUMBERS | st.lists(st.text(max_size=3), max_size=2),
                           max_size=2))
def test_fast_row_is_the_dict_paths_row_or_declines(
        status: Any, request_headers: dict[str, Any], response_headers: dict[str, Any],
        tries: Any, latencies: Any, started_at: Any, ids: tuple[str, str], fields: dict[str, Any],
        request: dict[str, Any], odd: dict[str, Any]) -> None:
    record = kong_record()
    record["request"]["headers"].update({"x-request-id": ids[0], "traceparent": ids[1]})
    record["request"].update(request)
    record["request"]["headers"].update(request_headers)
    record["response"] = {"status": status, "headers": response_headers}
    record.update(latencies=latencies, tries=tries, started_at=started_at, **fields)
    for place, value in odd.items():
        spoil(record, place, value)
    text = orjson.dumps(record).decode()
    row = record_row_reader()(text, 7)
    event("read by the fast reader" if row is not None else "declined")
    if row is None:
        return
    assert_same_row(row, expected_row(text, 7))

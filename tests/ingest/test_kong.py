"""Kong file-log / http-log ingestor."""
from __future__ import annotations

import copy
import gzip
from pathlib import Path
from typing import Any

import orjson
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from triage.ingest import registry
from triage.ingest.base import Head, ParseContext, SourceFile, UnreadableSource
from triage.ingest.kong import KongJsonIngestor, _convert_general, convert_record
from triage.ingest.loader import read_source
from triage.ingest.timeparse import to_iso
from triage.model import EVENT_COLUMNS

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

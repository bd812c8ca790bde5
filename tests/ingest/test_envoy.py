"""Envoy text and JSON access-log ingestors."""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import orjson
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from triage.ingest.envoy import EnvoyJsonIngestor, EnvoyTextIngestor
from triage.ingest.loader import read_source
from triage.ingest.timeparse import to_iso
from tests.ingest.helpers import assert_well_typed

DEFAULT = "envoy/filebeat-envoy-default-format.log"
TCP_FLAGS = "envoy/filebeat-envoy-default-format-tcp-flags.log"
SIDECAR = "envoy/datadog-envoy-istio-sidecar-access.log"
FAILURES = "envoy/integrations-istio-envoy-text-access-failures.log"
ISTIO_JSON = "envoy/integrations-istio-envoy-json-access.log"
DOCKER = "envoy/filebeat-envoy-ambassador-docker-json.log"
OWN_FORMATS = ("envoy-text", "envoy-json")


def events_by_line(path: Path) -> dict[int, dict[str, Any]]:
    return {event["line"]: event for event in read_source(path).events}


@pytest.mark.parametrize("name, fmt, events", [
    (DEFAULT, "envoy-text", 4), (TCP_FLAGS, "envoy-text", 2), (SIDECAR, "envoy-text", 4),
    (FAILURES, "envoy-text", 8), (ISTIO_JSON, "envoy-json", 3), (DOCKER, "envoy-json", 1),
])
def test_real_samples_are_detected_and_fully_read(real: Path, name: str, fmt: str,
                                                  events: int) -> None:
    result = read_source(real / name)
    assert (result.info.format, result.info.layer) == (fmt, "ingress")
    assert result.info.events == events
    assert result.info.skipped_lines == 0


def test_default_format_matches_filebeats_own_parse(real: Path) -> None:
    raw = (real / DEFAULT).read_bytes()
    starts = [0] + [i + 1 for i, byte in enumerate(raw) if byte == 0x0A]
    expected = json.loads((real / (DEFAULT + "-expected.json")).read_text())
    events = events_by_line(real / DEFAULT)
    for doc in expected:
        event = events[starts.index(doc["log.offset"]) + 1]
        assert to_iso(event["ts"]) == doc["@timestamp"]
        assert event["latency_ms"] == doc["event.duration"] / 1e6
        if "envoyproxy.upstream_service_time" in doc:
            assert event["upstream_latency_ms"] == doc["envoyproxy.upstream_service_time"] / 1e6
        assert event.get("request_id") == (
            None if doc["envoyproxy.request_id"] == "-" else doc["envoyproxy.request_id"])
        assert event.get("status") == doc.get("http.response.status_code", 0)
        assert event.get("path") == doc.get("url.path")
        assert event.get("client_ip") == doc.get("source.address")
        if "destination.address" in doc:
            assert event["upstream_host"] == (
                f"{doc['destination.address']}:{doc['destination.port']}")
        flags = doc.get("envoyproxy.response_flags")
        assert event["error"] == (",".join(flags) if flags else None)


def test_tcp_line_with_connect_failure_flags(real: Path) -> None:
    tcp = events_by_line(real / TCP_FLAGS)[1]
    assert (tcp["method"], tcp["path"], tcp["status"]) == (None, None, 0)
    assert tcp["error"] == "UF,URX"
    assert tcp["upstream_host"] == "127.0.0.1:9200"
    assert tcp["attrs"]["proxy_type"] == "tcp"
    assert tcp["message"] == "TCP 127.0.0.1:9200 0 UF,URX"
    assert to_iso(tcp["ts"]) == "2019-04-06T06:20:05.972Z"


def test_istio_sidecars_share_the_request_id(real: Path) -> None:
    events = events_by_line(real / SIDECAR)
    client, server = events[1], events[2]
    assert client["request_id"] == server["request_id"] == "d209e46f-9ed5-9b61-bbdd-43e22662702a"
    assert client["attrs"]["upstream_cluster"] == "outbound|8000||httpbin.default.svc.cluster.local"
    assert server["attrs"]["upstream_cluster"] == "inbound|8000|http|httpbin.default.svc.cluster.local"
    assert (client["status"], client["latency_ms"], client["upstream_latency_ms"]) == (418, 11.0, 10.0)
    assert client["upstream_host"] == "172.30.146.73:80"
    assert client["client_ip"] == "172.30.146.82"  # downstream remote address, port dropped
    assert server["attrs"]["requested_server_name"] == (
        "outbound_.8000_._.httpbin.default.svc.cluster.local")
    admin = events[3]
    assert admin["upstream_latency_ms"] is None and admin["upstream_host"] is None
    assert admin["client_ip"] == "64.145.79.247"
    app = events[4]
    assert app["level"] == "warning"
    assert to_iso(app["ts"]) == "2021-03-12T15:31:30.492Z"
    assert app["attrs"]["logger"] == "runtime"
    assert app["attrs"]["source_location"] == "source/common/runtime/runtime_features.cc:31"
    assert app["message"].startswith("Unable to use runtime singleton for feature")


def test_istio_failure_modes(real: Path) -> None:
    events = events_by_line(real / FAILURES)
    uh = events[1]
    assert (uh["status"], uh["error"]) == (503, "UH")
    assert uh["attrs"]["response_code_details"] == "no_healthy_upstream"
    assert uh["attrs"]["route_name"] == "default"
    assert uh["message"] == "GET /status/418 503 UH no_healthy_upstream"
    assert uh["request_id"] == "5735b2d0-4949-9384-b082-9d4c368eb9dc"
    assert events[2]["message"] == "GET /status/418 418"  # via_upstream is no news
    assert events[3]["error"] == "NR" and events[3]["client_ip"] == "10.124.2.1"
    codec = events[5]
    assert (codec["method"], codec["path"], codec["status"], codec["error"]) == (
        None, None, 400, "DPE")
    assert "proxy_type" not in codec["attrs"]  # an HTTP/1.1 codec error, not TCP
    uf = events[7]
    assert uf["error"] == "UF" and uf["upstream_host"] == "10.124.2.14:9080"
    assert uf["attrs"]["response_code_details"].startswith("upstream_reset_before_response")
    dc = events[8]
    assert (dc["status"], dc["error"], dc["latency_ms"]) == (0, "DC", 746.0)
    assert to_iso(dc["ts"]) == "2022-09-01T13:08:55.358Z"


def test_istio_json_records(real: Path) -> None:
    events = events_by_line(real / ISTIO_JSON)
    first = events[1]
    assert to_iso(first["ts"]) == "2022-09-08T12:51:05.656Z"
    assert (first["method"], first["path"], first["status"]) == ("GET", "/reviews/0", 200)
    assert (first["latency_ms"], first["upstream_latency_ms"]) == (15.0, 14.0)
    assert first["request_id"] == "9fcc7101-13bd-9753-98d6-820806088d9d"
    assert first["upstream_host"] == "10.124.1.5:9080"
    assert first["client_ip"] == "10.124.0.13"
    assert first["attrs"]["upstream_cluster"] == "inbound|9080||"
    assert first["attrs"]["authority"] == "reviews:9080"
    assert first["error"] is None
    assert events[2]["client_ip"] == "2a02:cf40::4e36"
    codec = events[3]
    assert (codec["status"], codec["error"], codec["request_id"]) == (400, "DPE", None)
    assert codec["message"] == "- - 400 DPE http1.codec_error"


def test_docker_wrapped_ambassador_line(real: Path) -> None:
    event = read_source(real / DOCKER).events[0]
    assert to_iso(event["ts"]) == "2019-02-12T18:37:42.921Z"
    assert event["request_id"] == "c62ec130-6dee-4f3b-a52b-4f0d1312d89d"
    assert (event["status"], event["latency_ms"], event["upstream_latency_ms"]) == (200, 217.0, 216.0)
    assert event["upstream_host"] == "52.87.35.92:80"
    assert event["service"] == "ambassador"
    assert event["attrs"]["k8s_pod"] == "ambassador-76c58d9df4-jwhsg"


# -- own samples -----------------------------------------------------------------------

def test_upstream_timeout_egress_line() -> None:
    line = ('[2026-11-20T10:00:02.120Z] "GET /v2/search?q=boots HTTP/1.1" 504 UT '
            'response_timeout - "-" 0 24 3001 - "-" "search-api/1.4" '
            '"2f7c1e4a-9b1d-4c55-8e0a-6d3b2a1f0e9c" "search-backend.vendor.example" '
            '"203.0.113.10:443" outbound|443||search-backend.vendor.example 10.0.7.4:51234 '
            '203.0.113.10:443 10.0.7.4:40112 search-backend.vendor.example -')
    event = EnvoyTextIngestor().parse_line(line)
    assert event is not None
    assert (event["status"], event["error"], event["latency_ms"]) == (504, "UT", 3001.0)
    assert event["upstream_latency_ms"] is None
    assert event["message"] == "GET /v2/search?q=boots 504 UT response_timeout"
    assert event["attrs"]["upstream_cluster"] == "outbound|443||search-backend.vendor.example"
    assert event["attrs"]["requested_server_name"] == "search-backend.vendor.example"


def test_json_keys_in_other_spellings(tmp_path: Path) -> None:
    records = [
        {"START_TIME": "2026-11-20T10:00:01.250Z", "METHOD": "POST", "X-ENVOY-ORIGINAL-PATH":
         "/api/cart", "RESPONSE_CODE": "503", "RESPONSE_FLAGS": "UF,URX", "DURATION": "12",
         "UPSTREAM_HOST": "10.0.0.7:8080", "X-REQUEST-ID": "9f1c2d3e-4f5a-6978-8796-a5b4c3d2e1f0",
         "BYTES_SENT": 91, "UPSTREAM_CLUSTER": "checkout"},
        {"startTime": "2026-11-20T10:00:02Z", "method": "GET", "path": "/", "responseCode": 200,
         "responseFlags": "-", "duration": 3, "upstreamServiceTime": "2",
         "traceparent": "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
         "downstreamRemoteAddress": "10.20.0.15:55012"},
        {"not": "envoy"},
    ]
    path = tmp_path / "gateway.log"
    path.write_bytes(b"\n".join(orjson.dumps(r) for r in records) + b"\n")
    result = read_source(path)
    assert result.info.format == "envoy-json"
    assert result.info.events == 2
    assert result.info.skipped_lines == 1 and result.info.examples[0].line == 3
    upper, camel = result.events
    assert (upper["status"], upper["error"], upper["path"]) == (503, "UF,URX", "/api/cart")
    assert upper["request_id"] == "9f1c2d3e-4f5a-6978-8796-a5b4c3d2e1f0"
    assert upper["attrs"]["upstream_cluster"] == "checkout"
    assert to_iso(upper["ts"]) == "2026-11-20T10:00:01.250Z"
    assert camel["trace_id"] == "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"
    assert (camel["client_ip"], camel["upstream_latency_ms"], camel["error"]) == (
        "10.20.0.15", 2.0, None)


# -- properties ------------------------------------------------------------------------

SEEDS = [
    '[2026-11-20T10:00:02.120Z] "GET /a HTTP/1.1" 504 UT response_timeout - "-" 0 24 3001 - '
    '"-" "ua" "id" "host" "1.2.3.4:443" c 1.1.1.1:1 2.2.2.2:2 3.3.3.3:3 sni route',
    '[2026-11-20T10:00:02.120Z] "- - -" 0 UF 0 0 0 - "-" "-" "-" "-" "1.2.3.4:80"',
    "[2026-11-20 10:00:02.120][7][info][main] [source/server/server.cc:1] starting",
]


@settings(deadline=None, max_examples=300, database=None)
@given(st.one_of(
    st.text(max_size=300),
    st.tuples(st.sampled_from(SEEDS), st.integers(0, 200), st.integers(0, 30),
              st.text(max_size=30)).map(lambda t: t[0][: t[1]] + t[3] + t[0][t[1] + t[2]:])))
def test_text_parse_line_never_raises(text: str) -> None:
    assert_well_typed(EnvoyTextIngestor().parse_line(text))


JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner,
                                                                 max_size=3), max_leaves=8)
ENVOY_KEYS = st.sampled_from(["start_time", "response_code", "response_flags", "upstream_host",
                              "duration", "method", "path", "request_id", "x_forwarded_for",
                              "message", "log", "kubernetes", "bytes_sent", "upstream_cluster"])


@settings(deadline=None, max_examples=300, database=None)
@given(st.dictionaries(ENVOY_KEYS, JSON_VALUES, max_size=10))
def test_json_convert_never_raises(obj: dict[str, Any]) -> None:
    event = EnvoyJsonIngestor().convert(obj)
    if event is not None:
        event.pop("attrs", None)  # values kept as written
        assert_well_typed(event)

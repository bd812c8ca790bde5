"""Traefik JSON and CLF access-log ingestors."""
from __future__ import annotations

from pathlib import Path
from typing import Any

import orjson
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from triage.ingest.loader import read_source
from triage.ingest.timeparse import to_iso
from triage.ingest.traefik import TraefikClfIngestor, TraefikJsonIngestor
from tests.ingest.helpers import assert_well_typed

JSON_LOG = "traefik/integrations-traefik-json-access.log"
CLF_LOG = "traefik/filebeat-traefik-clf-test.log"
OWN_FORMATS = ("traefik-json", "traefik-clf")


def events_by_line(path: Path) -> dict[int, dict[str, Any]]:
    return {event["line"]: event for event in read_source(path).events}


@pytest.mark.parametrize("name, fmt, events", [(JSON_LOG, "traefik-json", 7),
                                               (CLF_LOG, "traefik-clf", 2)])
def test_real_samples_are_detected_and_fully_read(real: Path, name: str, fmt: str,
                                                  events: int) -> None:
    result = read_source(real / name)
    assert (result.info.format, result.info.layer) == (fmt, "ingress")
    assert result.info.events == events
    assert result.info.skipped_lines == 0


def test_json_v1_records(real: Path) -> None:
    events = events_by_line(real / JSON_LOG)
    not_found = events[1]  # v1: FrontendName "backend not found"
    assert to_iso(not_found["ts"]) == "2021-03-16T18:56:54.735Z"
    assert (not_found["status"], not_found["error"]) == (404, "no_route")
    assert not_found["upstream_host"] is None
    assert not_found["latency_ms"] == 0.04  # Duration 40356 ns
    assert not_found["user_agent"] == "curl/7.67.0"
    backend = events[2]
    assert backend["upstream_host"] == "10.10.10.10:80"  # BackendAddr
    assert (backend["upstream_status"], backend["upstream_latency_ms"]) == (200, 2.155)
    assert backend["attrs"]["frontend"] == "Host-backend-docker-docker-localhost-2"
    assert backend["client_ip"] == "10.10.10.20"


def test_json_v2_records(real: Path) -> None:
    events = events_by_line(real / JSON_LOG)
    ping = events[3]
    assert ping["attrs"]["router"] == "ping@internal"
    assert ping["attrs"]["entry_point"] == "ping"
    crd = events[4]  # no StartUTC: StartLocal is used
    assert to_iso(crd["ts"]) == "2024-02-02T17:07:08.048Z"
    assert crd["upstream_host"] == "10.10.10.40:1234"  # ServiceAddr
    assert crd["attrs"]["traefik_service"] == "service-foo-0120101010101@kubernetescrd"
    assert (crd["status"], crd["upstream_status"], crd["error"]) == (404, 404, None)
    cached = events[5]
    assert cached["attrs"]["downstream_x-tiles-s3-cache"] == "miss"
    assert cached["attrs"]["request_origin"] == "https://foo.acme.com/"
    assert cached["latency_ms"] == 46.382
    spaced = events[6]  # '": "' spacing
    assert spaced["client_ip"] == "175.16.199.10"
    assert spaced["upstream_host"] == "10.1.25.243:80"
    assert to_iso(spaced["ts"]) == "2024-02-09T11:53:32.609Z"
    assert spaced["path"] == "/api/v1/study/140410210038/card/comment"
    no_router = events[7]
    assert (no_router["client_ip"], no_router["error"]) == ("::1", "no_route")
    assert no_router["upstream_status"] is None


def test_clf_lines(real: Path) -> None:
    events = events_by_line(real / CLF_LOG)
    first = events[1]
    assert to_iso(first["ts"]) == "2017-10-02T20:22:07.000Z"
    assert (first["status"], first["latency_ms"], first["client_ip"]) == (304, 2.0, "192.168.33.1")
    assert first["attrs"]["router"] == "Host-host-1"
    assert first["attrs"]["request_count"] == 262
    assert first["upstream_host"] == "172.19.0.3:5601"
    # The upstream sample's second line has an unbalanced quote; what is sound is kept.
    broken = events[2]
    assert (broken["status"], broken["latency_ms"], broken["client_ip"]) == (304, 3.0, "85.181.35.98")
    assert broken["attrs"]["malformed_trailer"] == '"Host-host1 "http://172.19.0.3:5601"'
    assert "router" not in broken["attrs"]


# -- own samples -----------------------------------------------------------------------

def record(**fields: Any) -> dict[str, Any]:
    base = {"StartUTC": "2026-11-20T10:00:01.25Z", "RequestMethod": "GET",
            "RequestPath": "/api/search?q=boots", "DownstreamStatus": 200, "OriginStatus": 200,
            "Duration": 12_000_000, "OriginDuration": 11_000_000, "ClientHost": "10.20.0.15",
            "RouterName": "search@kubernetescrd", "ServiceName": "search@kubernetescrd",
            "ServiceAddr": "10.0.5.7:8080", "level": "info"}
    base.update(fields)
    return base


def test_gateway_timeout_and_kept_headers(tmp_path: Path) -> None:
    lines = [
        record(**{"request_X-Request-Id": "9f1c2d3e-4f5a-6978-8796-a5b4c3d2e1f0",
                  "request_Traceparent": "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
                  "request_X-Test-Name": "shows results for boots",
                  "downstream_X-Cache-Status": "HIT", "downstream_Age": "1800"}),
        record(DownstreamStatus=504, OriginStatus=0, OriginDuration=30_000_000_000,
               Duration=30_001_000_000, RetryAttempts=2),
    ]
    path = tmp_path / "traefik.log"
    path.write_bytes(b"\n".join(orjson.dumps(line) for line in lines) + b"\n")
    result = read_source(path)
    assert result.info.format == "traefik-json"
    ok, timeout = result.events
    assert ok["request_id"] == "9f1c2d3e-4f5a-6978-8796-a5b4c3d2e1f0"
    assert ok["trace_id"] == "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"
    assert ok["attrs"]["cache_status"] == "HIT"
    assert ok["attrs"]["downstream_age"] == "1800"
    assert ok["attrs"]["request_x-test-name"] == "shows results for boots"
    assert to_iso(ok["ts"]) == "2026-11-20T10:00:01.250Z"
    assert (timeout["status"], timeout["upstream_status"]) == (504, None)
    assert timeout["error"] == "origin_no_response"
    assert timeout["latency_ms"] == 30001.0 and timeout["upstream_latency_ms"] is None
    assert timeout["attrs"]["retry_attempts"] == 2
    assert timeout["message"] == "GET /api/search?q=boots 504 (no response from the origin)"


# -- properties ------------------------------------------------------------------------

CLF_SEED = ('10.0.0.1 - - [20/Nov/2026:10:00:01 +0000] "GET /a HTTP/1.1" 200 5 "-" "ua" 7 '
            '"router@docker" "http://10.0.0.2:80" 3ms')


@settings(deadline=None, max_examples=300, database=None)
@given(st.one_of(st.text(max_size=300), st.tuples(
    st.integers(0, len(CLF_SEED)), st.integers(0, 30), st.text(max_size=30)).map(
        lambda t: CLF_SEED[: t[0]] + t[2] + CLF_SEED[t[0] + t[1]:])))
def test_clf_parse_line_never_raises(text: str) -> None:
    assert_well_typed(TraefikClfIngestor().parse_line(text))


@settings(deadline=None, max_examples=300, database=None)
@given(st.dictionaries(
    st.sampled_from(["StartUTC", "RequestMethod", "RequestPath", "DownstreamStatus",
                     "OriginStatus", "Duration", "OriginDuration", "ClientHost", "ServiceURL",
                     "request_X-Request-Id", "RetryAttempts", "RouterName"]),
    st.none() | st.integers() | st.text(max_size=20) | st.floats(allow_nan=False)
    | st.dictionaries(st.sampled_from(["Host", "Scheme"]), st.text(max_size=10)), max_size=8))
def test_json_convert_never_raises(obj: dict[str, Any]) -> None:
    assert_well_typed(TraefikJsonIngestor().convert(obj))

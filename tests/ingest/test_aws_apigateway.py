"""AWS API Gateway JSON access-log ingestor."""
from __future__ import annotations

from pathlib import Path
from typing import Any

import orjson
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from triage.ingest.aws_apigateway import ApiGatewayJsonIngestor
from triage.ingest.base import Head
from triage.ingest.loader import read_source
from triage.ingest.timeparse import to_iso
from tests.ingest.helpers import assert_well_typed

REST = "aws-apigateway/integrations-apigateway-rest-access.log"
HTTP_AND_REST = "aws-apigateway/integrations-apigateway-http-and-rest-access.log"
WEBSOCKET = "aws-apigateway/integrations-apigateway-websocket-access.log"


def events_by_line(path: Path) -> dict[int, dict[str, Any]]:
    return {event["line"]: event for event in read_source(path).events}


@pytest.mark.parametrize("name, events", [(REST, 5), (HTTP_AND_REST, 2), (WEBSOCKET, 4)])
def test_real_samples_are_detected_and_fully_read(real: Path, name: str, events: int) -> None:
    result = read_source(real / name)
    assert (result.info.format, result.info.layer) == ("aws-apigateway-json", "gateway")
    assert (result.info.events, result.info.skipped_lines) == (events, 0)


def test_rest_records(real: Path) -> None:
    events = events_by_line(real / REST)
    first = events[1]
    assert first["request_id"] == "48752d0f-c99d-4cfa-a5a7-f3c6834d19e5"
    assert to_iso(first["ts"]) == "2023-06-10T15:36:28.000Z"
    assert (first["method"], first["path"], first["status"]) == ("GET", "/pets", 200)
    assert first["client_ip"] == "1.128.0.0"
    assert first["message"] == "GET /pets 200"
    assert first["attrs"]["responseLength"] == "184"
    assert "caller" not in first["attrs"]  # "-" placeholders are dropped
    staged = events[4]  # '": "' spacing on lines 2-3, stage/apiId on 4-5
    assert staged["path"] == "/pets/{petId}"
    assert staged["attrs"]["stage"] == "prod"
    assert staged["attrs"]["domainName"] == "asad15n3p0.execute-api.us-east-1.amazonaws.com"
    assert to_iso(events[2]["ts"]) == "2023-07-19T16:15:46.000Z"


def test_http_api_route_key_and_short_request_id(real: Path) -> None:
    event = events_by_line(real / HTTP_AND_REST)[1]
    assert event["request_id"] == "GQIVriFLIAMEMsA="
    assert (event["method"], event["path"], event["status"]) == ("GET", "/", 200)
    assert event["attrs"]["routeKey"] == "GET /"
    assert to_iso(event["ts"]) == "2023-06-09T12:54:08.000Z"


def test_websocket_records(real: Path) -> None:
    events = events_by_line(real / WEBSOCKET)
    redacted = events[1]
    assert redacted["request_id"] is None  # "REDACTED" is a placeholder, not an id
    assert (redacted["method"], redacted["status"]) == (None, 500)
    assert redacted["message"] == "CONNECT $connect 500"
    assert "connectionId" not in redacted["attrs"]
    assert events[2]["message"] == "- - 403"
    assert events[2]["request_id"] == "177a5660-9b20-4614-b620-51dd4d56fb4c"
    assert events[3]["attrs"]["connectionId"] == "Iq8gj1UmIAMCKpA="
    assert events[3]["request_id"] == "Iq9gwFDNoAMFo1A="
    assert to_iso(events[4]["ts"]) == "2023-07-26T12:20:44.000Z"


# -- own samples -----------------------------------------------------------------------

def test_integration_timeout_and_authorizer_error(tmp_path: Path) -> None:
    records = [
        {"requestId": "c6af9ac6-7b61-11e6-9a41-93e8deadbeef", "ip": "10.20.0.15",
         "requestTimeEpoch": 1795169201250, "httpMethod": "GET", "resourcePath": "/search",
         "path": "/prod/search", "status": "504", "protocol": "HTTP/1.1",
         "responseLatency": "29012", "integrationStatus": "-", "integrationLatency": "29000",
         "integrationErrorMessage": "Endpoint request timed out",
         "error": {"message": "Endpoint request timed out", "responseType": "INTEGRATION_TIMEOUT"},
         "xrayTraceId": "Root=1-5e1b4151-5ac6c58f5b5dbd6a7b5e7f1c;Parent=3f7a1c2b;Sampled=1"},
        {"requestId": "d1e2f3a4-0000-4000-8000-000000000001", "ip": "10.20.0.15",
         "requestTime": "20/Nov/2026:10:06:42 +0000", "routeKey": "POST /api/cart",
         "status": "403", "authorizerError": "User is not authorized", "integrationStatus": "-"},
    ]
    path = tmp_path / "apigw.log"
    path.write_bytes(b"\n".join(orjson.dumps(r) for r in records))
    result = read_source(path)
    assert result.info.format == "aws-apigateway-json"
    timeout, denied = result.events
    assert to_iso(timeout["ts"]) == "2026-11-20T10:06:41.250Z"
    assert timeout["path"] == "/prod/search"
    assert (timeout["status"], timeout["upstream_status"]) == (504, None)
    assert (timeout["latency_ms"], timeout["upstream_latency_ms"]) == (29012.0, 29000.0)
    assert timeout["error"] == "INTEGRATION_TIMEOUT"
    assert timeout["message"] == "GET /prod/search 504 Endpoint request timed out"
    assert timeout["trace_id"].startswith("Root=1-5e1b4151-")
    assert (denied["method"], denied["path"]) == ("POST", "/api/cart")
    assert denied["error"] == "authorizer_error"
    assert denied["message"] == "POST /api/cart 403 User is not authorized"


def test_app_json_with_a_request_id_is_not_claimed() -> None:
    head = Head(path="app.log", text="", lines=[
        '{"@timestamp": "2026-11-20T10:00:00Z", "level": "info", "requestId": "a", '
        '"httpMethod": "GET", "status": 200, "ip": "1.2.3.4"}'])
    assert ApiGatewayJsonIngestor().sniff(head) == 0.0


# -- properties ------------------------------------------------------------------------

VALUES = st.none() | st.integers() | st.text(max_size=25) | st.floats(allow_nan=False) \
    | st.dictionaries(st.sampled_from(["message", "responseType", "latency", "status"]),
                      st.text(max_size=8) | st.integers(), max_size=2)


@settings(deadline=None, max_examples=300, database=None)
@given(st.dictionaries(st.sampled_from([
    "requestId", "ip", "requestTime", "requestTimeEpoch", "httpMethod", "routeKey", "path",
    "resourcePath", "status", "responseLatency", "integrationStatus", "integrationLatency",
    "error", "errorMessage", "authorizerError", "xrayTraceId", "eventType", "userAgent",
    "integration"]), VALUES, max_size=12))
def test_convert_never_raises(obj: dict[str, Any]) -> None:
    event = ApiGatewayJsonIngestor().convert(obj)
    assert_well_typed(event)

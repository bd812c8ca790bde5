"""ECS JSON lines (triage.ingest.ecs)."""
from __future__ import annotations

from pathlib import Path
from typing import Any

import orjson
from hypothesis import given, settings
from hypothesis import strategies as st

from triage.ingest.base import Head, SourceFile
from triage.ingest.ecs import EcsJsonIngestor, is_ecs
from triage.ingest.loader import events_frame, read_source
from tests.ingest.helpers import assert_well_typed, iso, write

ECS = EcsJsonIngestor()


def test_spring_petclinic_transaction_and_trace_ids(real: Path) -> None:
    result = read_source(real / "ecs-json" / "ecs-logging-java-spring-petclinic.ndjson")
    assert (result.info.format, result.info.events, result.info.skipped_lines) == ("ecs-json", 3, 0)
    started, _, request = result.events
    assert iso(started) == "2019-08-06T12:09:12.375Z"
    assert (started["level"], started["service"]) == ("INFO", "spring-petclinic")
    assert started["message"] == "Tomcat started on port(s): 8080 (http) with context path ''"
    assert started["attrs"] == {"logger": "org.springframework.boot.web.embedded.tomcat.TomcatWebServer",
                                "thread": "restartedMain"}
    assert iso(request) == "2019-08-06T14:08:40.199Z"
    assert request["level"] == "DEBUG"
    assert request["trace_id"] == "2869b25b5469590610fea49ac04af7da"
    assert request["span_id"] == "28b7fb8d5aba51f1"
    assert request["attrs"]["transaction_id"] == "28b7fb8d5aba51f1"
    assert request["message"] == "init find form"
    assert request["line"] == 3


def test_elasticsearch_dotted_keys(real: Path) -> None:
    result = read_source(real / "ecs-json" / "filebeat-elasticsearch-8-ecs-dotted.log")
    assert (result.info.format, result.info.events, result.info.skipped_lines) == ("ecs-json", 1, 0)
    event = result.events[0]
    assert iso(event) == "2020-04-14T14:05:58.019Z"
    assert (event["level"], event["service"]) == ("INFO", "ES_ECS")
    assert event["message"] == "adding template [.management-beats] for index patterns [.management-beats]"
    assert event["attrs"]["node"] == "CBR-MBP.local"


def test_elasticsearch_deprecation_with_traceparent_id(real: Path) -> None:
    result = read_source(real / "ecs-json" / "filebeat-elasticsearch-8-ecs-server-and-deprecation.log")
    assert (result.info.events, result.info.skipped_lines) == (2, 0)
    server, deprecation = result.events
    assert server["attrs"]["dataset"] == "elasticsearch.server"
    assert "trace_id" not in server
    assert iso(deprecation) == "2022-01-27T11:48:45.809Z"
    assert deprecation["level"] == "CRITICAL"
    assert deprecation["trace_id"] == "0af7651916cd43dd8448eb211c80319c"
    assert deprecation["attrs"]["x-opaque-id"] == "v7app"
    assert deprecation["attrs"]["event_code"] == "create_index_with_types"
    assert deprecation["message"].startswith("[types removal] Using include_type_name")


def test_kibana_nested_http_fields_and_multiline_message(real: Path) -> None:
    result = read_source(real / "ecs-json" / "filebeat-kibana-8.3-ecs.log")
    assert (result.info.events, result.info.skipped_lines) == (4, 0)
    events = result.events
    assert {e["trace_id"] for e in events} == {"0f59c7a01606546871443db5ea8ee81a"}
    assert [e["span_id"] for e in events] == ["bc7bc9d23d6710b8", "35084baec283deb4",
                                              "109794cfe74be5ee", "35084baec283deb4"]
    pit = events[0]
    assert iso(pit) == "2022-04-20T16:46:21.484Z"  # +02:00 in the file
    assert (pit["method"], pit["path"], pit["status"]) == ("POST", "/.kibana_task_manager_8.3.0_001/_pit", 200)
    assert pit["message"] == "200 - 201.0B"
    assert pit["attrs"]["detail"] == "POST /.kibana_task_manager_8.3.0_001/_pit?keep_alive=10m"
    assert pit["attrs"]["query"] == "keep_alive=10m"
    assert pit["user_agent"].startswith("elastic-transport-js/8.0.2")
    # "unknownId" is kept as written; the loader's normaliser drops it
    assert pit["request_id"] == "unknownId"
    assert events_frame(result.events)["request_id"].isna().all()
    search = events[2]  # the ~7 KB line
    assert search["path"] == "/_search"
    assert search["attrs"]["detail"].startswith('POST /_search\n{"sort":')
    assert len(search["attrs"]["detail"]) <= 2000
    assert events[3]["message"] == ("[.kibana_task_manager] UPDATE_TARGET_MAPPINGS -> "
                                    "UPDATE_TARGET_MAPPINGS_WAIT_FOR_TASK. took: 8ms.")


def test_request_id_and_dependency_error(tmp_path: Path) -> None:
    records = [
        {"@timestamp": "2024-05-02T10:00:00.100Z", "log.level": "error", "message": "call to payments failed",
         "ecs.version": "1.6.0", "service.name": "checkout", "trace.id": "0af7651916cd43dd8448eb211c80319c",
         "transaction.id": "b7ad6b7169203331",
         "http": {"request": {"id": "7f3c9a1e-0b2d-4c5e-9f8a-1b2c3d4e5f60", "method": "post"},
                  "response": {"status_code": 503}},
         "url": {"original": "https://payments.internal:8443/v1/charge?x=1", "domain": "payments.internal"},
         "destination": {"address": "payments.internal", "port": 8443},
         "event": {"duration": 1500000000, "dataset": "checkout.log"},
         "error": {"type": "io.grpc.StatusRuntimeException", "message": "UNAVAILABLE: upstream connect error",
                   "stack_trace": "io.grpc.StatusRuntimeException: UNAVAILABLE\n" +
                                  "".join(f"\tat a.B.m{i}(B.java:{i})\n" for i in range(40))}},
        {"@timestamp": "2024-05-02T10:00:00.200Z", "log.level": "info", "message": "GET /api/cart",
         "ecs.version": "1.6.0", "service.name": "checkout", "http.request.id": "req-2", "url.path": "/api/cart",
         "http.response.status_code": 200, "client.ip": "10.0.0.7", "user_agent.original": "curl/8",
         "url.domain": "shop.example"},
    ]
    content = "".join(orjson.dumps(r).decode() + "\n" for r in records) + "not json\n"
    result = read_source(write(tmp_path, "checkout.ndjson", content))
    assert result.info.format == "ecs-json"
    assert (result.info.events, result.info.skipped_lines) == (2, 1)
    assert result.info.examples[0].line == 3
    failed, ok = result.events
    assert failed["request_id"] == "7f3c9a1e-0b2d-4c5e-9f8a-1b2c3d4e5f60"
    assert (failed["method"], failed["path"], failed["status"]) == ("POST", "/v1/charge", 503)
    assert (failed["upstream_host"], failed["upstream_status"]) == ("payments.internal:8443", 503)
    assert failed["latency_ms"] == failed["upstream_latency_ms"] == 1500.0
    assert failed["error"] == "io.grpc.StatusRuntimeException"
    assert failed["message"] == "call to payments failed: UNAVAILABLE: upstream connect error"
    assert failed["span_id"] == "b7ad6b7169203331"
    stack = failed["attrs"]["stack"].split("\n")
    assert len(stack) == 20 and stack[0] == "io.grpc.StatusRuntimeException: UNAVAILABLE"
    assert failed["attrs"]["dataset"] == "checkout.log"
    assert (ok["request_id"], ok["client_ip"], ok["user_agent"]) == ("req-2", "10.0.0.7", "curl/8")
    assert ok["upstream_host"] == "shop.example" and "upstream_status" not in ok


def test_sniff_needs_ecs_keys_next_to_timestamp(real: Path) -> None:
    for path in sorted((real / "ecs-json").iterdir()):
        assert ECS.sniff(Head.of(SourceFile(path, path.name))) >= 0.9
    assert not is_ecs({"@timestamp": "2024-05-02T10:00:00Z", "level": "info", "message": "logstash"})
    assert is_ecs({"@timestamp": "2024-05-02T10:00:00Z", "log": {"level": "info"}})
    assert not is_ecs({"log.level": "info"})


_VALUES = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False),
                    st.text(max_size=20), st.lists(st.text(max_size=5), max_size=3),
                    st.dictionaries(st.sampled_from(["id", "type", "message", "x"]), st.text(max_size=5),
                                    max_size=3))
_KEYS = st.sampled_from(["@timestamp", "log.level", "message", "service.name", "trace.id", "span.id",
                         "transaction.id", "http.request.id", "http.request.method", "url.path",
                         "url.original", "http.response.status_code", "event.duration", "error.type",
                         "error.message", "error.stack_trace", "client.ip", "destination.address",
                         "destination.port", "url.domain", "http", "error", "event", "log"])


@settings(max_examples=300, deadline=None)
@given(st.dictionaries(_KEYS, _VALUES, max_size=10))
def test_convert_never_raises_and_is_well_typed(obj: dict[str, Any]) -> None:
    assert_well_typed(ECS.convert(obj))

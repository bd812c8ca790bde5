"""ECS JSON lines (triage.ingest.ecs)."""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import orjson
from hypothesis import given, settings
from hypothesis import strategies as st

from triage.ingest.base import LINE_ERRORS, Head, SourceFile
from triage.ingest.ecs import FIELDS, EcsJsonIngestor, is_ecs, row_reader
from triage.ingest.loader import events_frame, read_source
from triage.ingest.rows import INDEX, Row, row_of
from triage.model import EVENT_COLUMNS
from tests.conftest import SAMPLE_DATA
from tests.ingest.helpers import assert_well_typed, iso, write
from tests.ingest.test_rows import assert_same_reading, assert_truncated_gzip_reads_the_same, files_of

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


# --- the rows path (EcsJsonIngestor.parse_rows / row_reader) ---------------------------------

JAVA_LINE = ('{"@timestamp":"2026-11-21T09:00:00.040Z", "log.level": "INFO", "message":"Completed '
             'POST /api/cart/checkout with status 200 in 5 ms", "ecs.version":"1.2.0",'
             '"service.name":"checkout-api","service.version":"2.14.0","event.dataset":"checkout-api.log",'
             '"process.thread.name":"http-nio-8080-exec-1","log.logger":"com.shop.web.RequestLoggingFilter",'
             '"trace.id":"0D54746935F7A56F8533F6A09D33B296","transaction.id":"28dfea8e4d4817be",'
             '"http.request.id":"76E84BD5-4049-50ff-ee00-42381ef7ea15","http.request.method":"post",'
             '"url.path":"/api/cart/checkout","http.response.status_code":200,"event.duration":5000000}')
NODE_LINE = ('{"log.level":"error","@timestamp":"2026-11-21T09:00:11.861Z","process":{"pid":1},'
             '"host":{"hostname":"web-bff-6b7d9c8f5-q2x7k"},"ecs":{"version":"8.10.0"},'
             '"service":{"name":"web-bff","version":"4.9.1"},"event":{"dataset":"web-bff.log",'
             '"duration":52000000},"trace":{"id":"2d9b1fe6dce839043a7cbc7191bcb0e8"},'
             '"transaction":{"id":"f07e0c2c0ed808df"},"http":{"version":"1.1","request":{'
             '"id":"fb853d67dd66a58e7a3f2aafb1a60269","method":"POST"},"response":{"status_code":500}},'
             '"url":{"path":"/api/session/refresh","domain":"api.canary.shop.example"},'
             '"client":{"address":"192.0.2.29","ip":"192.0.2.29"},"message":"request completed"}')


def _with(line: str, **changes: Any) -> str:
    """``line`` with top-level keys changed (None: removed), as one JSON line."""
    obj = orjson.loads(line)
    for key, value in changes.items():
        key = key.replace("__", ".").replace("_AT_", "@")
        if value is None:
            obj.pop(key, None)
        else:
            obj[key] = value
    return orjson.dumps(obj).decode()


def _both_ways(text: str, line: int = 7) -> tuple[Row | None, Row | None]:
    """(the fast row or None, the row of parse_line or None when it skips the line)."""
    fast = row_reader()(text, line)
    try:
        event = ECS.parse_line(text)
    except LINE_ERRORS:
        event = None
    return fast, (None if event is None else row_of(event, line))


def _same_row(text: str) -> bool:
    """Whether the fast path read ``text``; fails when it read it differently."""
    fast, slow = _both_ways(text)
    if fast is None:
        return False
    assert fast == slow, text
    attrs = fast[INDEX["attrs"]]
    assert list(attrs or ()) == list(slow[INDEX["attrs"]] or ())  # same order in reports too
    return True


def test_the_usual_java_and_node_lines_take_the_fast_path() -> None:
    assert _same_row(JAVA_LINE) and _same_row(NODE_LINE)
    row = dict(zip(EVENT_COLUMNS, row_reader()(JAVA_LINE, 3)))
    assert row == {
        "ts": 1795251600.04, "layer": None, "service": "checkout-api", "level": "INFO",
        "request_id": "76e84bd5404950ffee0042381ef7ea15",
        "trace_id": "0d54746935f7a56f8533f6a09d33b296", "span_id": "28dfea8e4d4817be",
        "method": "POST", "path": "/api/cart/checkout", "status": 200, "latency_ms": 5.0,
        "upstream_host": None, "upstream_status": None, "upstream_latency_ms": None,
        "client_ip": None, "user_agent": None,
        "message": "Completed POST /api/cart/checkout with status 200 in 5 ms", "error": None,
        "attrs": {"dataset": "checkout-api.log", "logger": "com.shop.web.RequestLoggingFilter",
                  "thread": "http-nio-8080-exec-1", "transaction_id": "28dfea8e4d4817be"},
        "source": None, "line": 3}
    node = dict(zip(EVENT_COLUMNS, row_reader()(NODE_LINE, 4)))
    assert (node["service"], node["status"], node["latency_ms"]) == ("web-bff", 500, 52.0)
    assert (node["client_ip"], node["upstream_host"]) == ("192.0.2.29", "api.canary.shop.example")
    assert node["attrs"] == {"dataset": "web-bff.log", "transaction_id": "f07e0c2c0ed808df"}


# Lines the fast path reads (each must come out exactly as convert_ecs has it).
READ_FAST = [
    _with(JAVA_LINE, message="first line\r\n  second\n third\n"),
    _with(JAVA_LINE, message="ends in a carriage return\r"),
    _with(JAVA_LINE, message="-"), _with(JAVA_LINE, message=""), _with(JAVA_LINE, message=None),
    _with(JAVA_LINE, log__level="-", level="warn"), _with(JAVA_LINE, log__level="", level="-"),
    _with(JAVA_LINE, log__level=None),
    _with(JAVA_LINE, http__request__method="GET2"), _with(JAVA_LINE, http__request__method="-"),
    _with(JAVA_LINE, http__response__status_code=99), _with(JAVA_LINE, http__response__status_code=1000),
    _with(JAVA_LINE, http__response__status_code=-2**63),
    _with(JAVA_LINE, event__duration=-1), _with(JAVA_LINE, event__duration=0),
    _with(JAVA_LINE, event__duration=2**63 - 1),
    _with(JAVA_LINE, http__request__id="null"), _with(JAVA_LINE, http__request__id="req-42"),
    _with(JAVA_LINE, http__request__id="-"), _with(JAVA_LINE, trace__id="unknownId"),
    _with(JAVA_LINE, http__request__id="0" * 32, trace__id="0" * 32),
    _with(JAVA_LINE, http__request__id="g" * 32, trace__id="b7ad6b7169203331"),  # padded to 32
    _with(JAVA_LINE, trace__id="00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"),
    _with(JAVA_LINE, transaction__id="", span__id="abc"), _with(JAVA_LINE, span__id="-"),
    _with(JAVA_LINE, span__id="b7ad6b7169203331"),  # span.id outranks transaction.id
    _with(JAVA_LINE, event__dataset="d" * 400, log__logger="l" * 400, process__thread__name="t" * 400,
          transaction__id="x" * 400, event__code="c" * 400, event__outcome="o" * 400,
          url__query="q" * 400, node__name="n" * 400, message="m" * 400),
    _with(JAVA_LINE, service__name="-", event__dataset=""), _with(JAVA_LINE, url__path="-"),
    _with(JAVA_LINE, event__dataset="-", data_stream__dataset="ds", event__code="c1",
          event__outcome="failure", url__query="a=1", node__name="n1", host__name="h1"),
    _with(JAVA_LINE, event__dataset=None, data_stream__dataset="ds", message="a\nb"),
    _with(JAVA_LINE, elasticsearch__node__name="-", node__name="", host__name="h2"),
    _with(JAVA_LINE, client__ip="-", client__address="", source__ip="", source__address="10.1.1.1"),
    _with(JAVA_LINE, client__ip="10.0.0.1", source__ip="10.0.0.2", user_agent__original="curl/8"),
    _with(JAVA_LINE, url__domain="api.example", log__logger="x" * 400),
    _with(JAVA_LINE, service__environment="prod", event__kind="event", process__pid=12,
          host__hostname=None, http__version="1.1", user__id=None),
    _with(NODE_LINE, http={"request.id": "ab" * 16, "response": {"status_code": 201}}),
    _with(NODE_LINE, http={"request": {"method": "get"}}, log={"logger": "l", "level": "x"},
          log__level=None),
    _with(NODE_LINE, **{"http.request": {"id": "cd" * 16}}, http=None, url={"path": "/p"}),
    _with(NODE_LINE, client={"address": "192.0.2.30"}, source={"ip": "192.0.2.31"}),
    _with(NODE_LINE, process={"thread": {"name": "main"}, "pid": 7}, service={"node": {"name": "n"}}),
    '{"@timestamp":"2026-11-21T09:00:00.000Z"}',
    '  {"@timestamp":"2026-11-21T09:00:00.999Z","message":"padded","ecs.version":"8"}  ',
]

# Lines the fast path leaves to convert_ecs (which may read or skip them).
DECLINED = [
    _with(JAVA_LINE, error__type="java.io.IOException"), _with(JAVA_LINE, error={"message": "x"}),
    _with(JAVA_LINE, labels__request_id="abc"), _with(JAVA_LINE, url__original="http://h/p?q"),
    _with(JAVA_LINE, destination__address="db"), _with(JAVA_LINE, custom__field="x"),
    _with(JAVA_LINE, service={"name": "nested-too"}),  # the same name twice: document order wins
    _with(NODE_LINE, service__name="flat-too"),
    _with(NODE_LINE, http={"request": {"id": "a"}, "request.id": "b"}),
    _with(NODE_LINE, **{"http.request": {"id": "cd" * 16}}),
    _with(JAVA_LINE, service__name=None, service=None, message=12),
    _with(JAVA_LINE, trace__id=123), _with(JAVA_LINE, http__response__status_code="200"),
    _with(JAVA_LINE, http__response__status_code=200.0), _with(JAVA_LINE, event__duration=1.5),
    _with(JAVA_LINE, event__duration=True), _with(JAVA_LINE, log__level=30),
    JAVA_LINE.replace('"event.duration":5000000', '"event.duration":123456789012345678901234567890'),
    JAVA_LINE.replace('"ecs.version":"1.2.0"', '"ecs.version":1e999'),
    JAVA_LINE.replace('"ecs.version":"1.2.0"', '"ecs.version":' + "9" * 400),
    JAVA_LINE.replace('"service.version":"2.14.0"', '"service.version":null,"zz":1e999'),
    JAVA_LINE.replace('"message":"', '"message":"\\ud800'),
    _with(JAVA_LINE, service__version=["a"]), _with(NODE_LINE, process={"pid": 1, "title": "x"}),
    _with(JAVA_LINE, _AT_timestamp="2026-11-21T09:00:00.04Z"),
    _with(JAVA_LINE, _AT_timestamp="2026-11-21T09:00:00.040+02:00"),
    _with(JAVA_LINE, _AT_timestamp="2026-11-21T09:00:00.040z"),
    _with(JAVA_LINE, _AT_timestamp="2026-11-21 09:00:00.040Z"),
    _with(JAVA_LINE, _AT_timestamp="2026-13-41T09:00:00.040Z"),
    _with(JAVA_LINE, _AT_timestamp="1969-12-31T23:59:59.999Z"),
    _with(JAVA_LINE, _AT_timestamp="2026-11-21T09:00:00.0a0Z"),
    _with(JAVA_LINE, _AT_timestamp="2026-11-21T09:00:00.٠٤٠Z"),
    _with(JAVA_LINE, _AT_timestamp="-"), _with(JAVA_LINE, _AT_timestamp=1732179600),
    _with(JAVA_LINE, _AT_timestamp=None),
    "{}", "[]", '"text"', "not json", '{"@timestamp":"2026-11-21T09:00:00.040Z",}', "\ufeff{}",
]


def test_fast_lines_read_exactly_as_convert_ecs() -> None:
    assert [_same_row(text) for text in READ_FAST] == [True] * len(READ_FAST)


def test_unusual_lines_are_left_to_convert_ecs() -> None:
    assert [row_reader()(text, 1) for text in DECLINED] == [None] * len(DECLINED)


def test_own_awkward_file_reads_the_same_both_ways(tmp_path: Path) -> None:
    lines = READ_FAST + DECLINED + ["", "   ", JAVA_LINE, NODE_LINE]
    (tmp_path / "app").mkdir()
    path = write(tmp_path, "app/checkout-api.log", "\n".join(lines) + "\n")
    # 10 declined lines are no event at all: 4 hold numbers or escapes orjson
    # rejects, 6 are no JSON object; the two blank lines are not counted.
    assert assert_same_reading(path, "app/checkout-api.log") == len(lines) - 10 - 2
    result = read_source(path, "app/checkout-api.log", as_frame=True)
    assert (result.info.events, result.info.skipped_lines) == (len(lines) - 12, 10)
    assert result.frame["service"].tolist()[:2] == ["checkout-api", "checkout-api"]
    assert result.frame["line"].tolist()[-2:] == [len(lines) - 1, len(lines)]


def test_a_truncated_gzip_keeps_the_same_rows_both_ways(tmp_path: Path) -> None:
    lines = [_with(JAVA_LINE if n % 3 else NODE_LINE, url__query=f"n={n}") for n in range(30_000)]
    assert_truncated_gzip_reads_the_same(tmp_path / "ecs.log.gz", lines)


def test_real_samples_read_the_same_both_ways(real: Path) -> None:
    fast = {}
    for path in sorted((real / "ecs-json").iterdir()):
        if path.suffix != ".md":
            assert_same_reading(path, f"app/{path.name}")
            fast[path.name] = sum(_same_row(text) for text in path.read_text().splitlines())
    # Elasticsearch and Kibana write fields the fast path leaves to convert_ecs.
    assert fast == {"ecs-logging-java-spring-petclinic.ndjson": 3,
                    "filebeat-elasticsearch-8-ecs-dotted.log": 0,
                    "filebeat-elasticsearch-8-ecs-server-and-deprecation.log": 0,
                    "filebeat-kibana-8.3-ecs.log": 0}


def test_sample_data_reads_the_same_both_ways() -> None:
    paths = files_of(["ecs-json"], SAMPLE_DATA / "builds")
    assert len(paths) >= 10
    events = sum(assert_same_reading(path, f"app/{path.name}") for path in paths)
    assert events > 1000


_ROW_KEYS = st.sampled_from(sorted(set(FIELDS.index) | {
    "service.version", "process.pid", "host.hostname", "http.version", "event.kind", "custom",
    "log", "http", "http.request", "service", "event", "url", "client", "process", "trace"}))
_LEAF = st.one_of(
    st.sampled_from(["", "-", "GET", "post", "x y", "a\nb", "c\r", "null", "2026-11-21T09:00:00.040Z",
                     "2026-11-21T09:00:59.999Z", "0af7651916cd43dd8448eb211c80319c",
                     "9C2BBFB0-2D77-41BE-B210-8074BE1F1099", "10.0.0.1"]),
    st.none(), st.booleans(), st.integers(-2**64, 2**64), st.sampled_from([0, 200, 503, 10**6]),
    st.floats(allow_nan=False, allow_infinity=False), st.text(max_size=8))
_NESTED = st.recursive(_LEAF, lambda inner: st.dictionaries(
    st.sampled_from(["id", "name", "level", "method", "status_code", "request", "response",
                     "request.id", "path", "address", "ip", "dataset", "duration", "version", "x"]),
    inner, max_size=4), max_leaves=8)


@settings(max_examples=500, deadline=None)
@given(st.dictionaries(_ROW_KEYS, _NESTED, max_size=12), st.booleans(), st.booleans())
def test_a_fast_row_is_the_row_of_parse_line(obj: dict[str, Any], with_ts: bool,
                                             ascii_only: bool) -> None:
    if with_ts:
        obj = {"@timestamp": "2026-11-21T09:00:00.040Z", **obj}
    text = json.dumps(obj, ensure_ascii=ascii_only)  # big ints and \u escapes too
    fast, slow = _both_ways(text)
    assert fast is None or (fast == slow and list(fast[INDEX["attrs"]] or ()) ==
                            list(slow[INDEX["attrs"]] or ()))


_USUAL_KEYS = ["log.level", "level", "message", "service.name", "trace.id", "span.id",
               "transaction.id", "http.request.id", "http.request.method", "url.path",
               "http.response.status_code", "event.duration", "client.ip", "client.address",
               "source.ip", "source.address", "user_agent.original", "url.domain", "event.dataset",
               "data_stream.dataset", "log.logger", "process.thread.name", "event.code",
               "event.outcome", "url.query", "elasticsearch.node.name", "node.name", "host.name",
               "ecs.version", "service.version", "process.pid", "host.hostname", "http.version"]
_USUAL_VALUES = st.one_of(
    st.sampled_from(["", "-", "GET", "post", "a\nb", "c\r", "null", "10.0.0.1", "x" * 301,
                     "0af7651916cd43dd8448eb211c80319c", "9C2BBFB0-2D77-41BE-B210-8074BE1F1099"]),
    st.text(max_size=6), st.integers(-2**63, 2**63 - 1), st.sampled_from([0, 200, 503, 10**6]))


@st.composite
def _usual_records(draw) -> dict[str, Any]:
    """Records of the names the fast path reads, some nested at a random dot."""
    record: dict[str, Any] = {"@timestamp": draw(st.sampled_from(
        ["2026-11-21T09:00:00.040Z", "2026-11-21T23:59:59.999Z", "2026-11-21T09:00:00.04Z"]))}
    for key in draw(st.lists(st.sampled_from(_USUAL_KEYS), unique=True, max_size=14)):
        value = draw(_USUAL_VALUES)
        parts = key.split(".")
        cut = draw(st.integers(1, len(parts)))
        outer, inner = ".".join(parts[:cut]), ".".join(parts[cut:])
        if not inner:
            record[outer] = value
        elif isinstance(record.get(outer, {}), dict):
            record.setdefault(outer, {})[inner] = value
    return record


@settings(max_examples=500, deadline=None)
@given(_usual_records())
def test_a_fast_row_of_a_usual_record_is_the_row_of_parse_line(record: dict[str, Any]) -> None:
    fast, slow = _both_ways(json.dumps(record))
    assert fast is None or (fast == slow and list(fast[INDEX["attrs"]] or ()) ==
                            list(slow[INDEX["attrs"]] or ()))

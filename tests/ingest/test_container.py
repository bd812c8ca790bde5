"""Container log wrappers: CRI, Docker json-file, Fluent Bit records (triage.ingest.container)."""
from __future__ import annotations

from pathlib import Path

import orjson
from hypothesis import given, settings
from hypothesis import strategies as st

from triage.ingest.base import Head, SourceFile
from triage.ingest.container import (CriIngestor, DockerJsonIngestor, FluentBitRecordIngestor,
                                     PayloadParser, choose_inner)
from triage.ingest.loader import read_source
from tests.ingest.helpers import assert_well_typed, iso, write

JAVA_TOP = "org.apache.hadoop.ipc.RemoteException(org.apache.hadoop.security..SecretManager$Invalid):  " \
           "(HDFS_DELEGATION_  273964959 for weeb) can't be found in cache"


def _assert_java_trace(events: list[dict]) -> None:
    """The Hadoop trace split one frame per CRI line becomes two events, not 19."""
    assert len(events) == 2
    first, second = events
    assert first["message"] == "hdfsExists: invokeMethod((Lorg/apache/hadoop/fs/Path;)Z) error:"
    assert iso(first) == "2020-08-19T21:06:24.337Z"
    assert first["ts"] == 1597871184.337499838 or abs(first["ts"] - 1597871184.3374998) < 1e-6
    assert "stack" not in first["attrs"]
    assert second["message"] == JAVA_TOP
    assert second["error"] == "org.apache.hadoop.ipc.RemoteException"
    stack = second["attrs"]["stack"].split("\n")
    assert len(stack) == 17
    assert stack[0] == "\tat org.apache.hadoop.ipc.Client.call(Client.java:1475)"
    assert stack[-1] == "\tat org.apache.hadoop.fs.FileSystem.exists(FileSystem.java:1424)"
    assert first["attrs"]["stream"] == second["attrs"]["stream"] == "stderr"


def test_cri_java_stacktrace(real: Path) -> None:
    result = read_source(real / "k8s-container-logs" / "cri-containerd-java-stacktrace.log")
    assert (result.info.format, result.info.events, result.info.skipped_lines) == ("cri", 2, 0)
    _assert_java_trace(result.events)
    assert [e["line"] for e in result.events] == [1, 2]


def test_fluent_bit_record_holding_cri_lines(real: Path) -> None:
    result = read_source(real / "k8s-container-logs" / "fluent-bit-record-with-cri-multiline-java-stacktrace.json")
    assert (result.info.format, result.info.events, result.info.skipped_lines) == ("fluent-bit-record", 2, 0)
    _assert_java_trace(result.events)
    for event in result.events:
        assert event["service"] == "tb1"  # kubernetes.container_name
        assert event["line"] == 2  # the record's "{" in the JSON array
        assert event["attrs"]["pod"] == "rrrr-bert-completion-tb1-6786c9c8-wj25m"
        assert event["attrs"]["namespace"] == "k8s-fgg"


def test_docker_json_istio_mixer_payload(real: Path) -> None:
    result = read_source(real / "k8s-container-logs" / "docker-json-istio-mixer-tcpaccesslog.log")
    assert (result.info.format, result.info.events, result.info.skipped_lines) == ("docker-json", 1, 0)
    event = result.events[0]
    # the payload's own time wins over the wrapper's (2018-09-21T02:56:06.978Z)
    assert iso(event) == "2018-09-21T02:56:05.979Z"
    assert event["level"] == "info"
    assert event["message"].startswith("instance=tcpaccesslog.logentry.istio-system connectionDuration=0s")
    assert event["attrs"] == {"stream": "stdout"}


def test_docker_json_nested_stringified_json(real: Path) -> None:
    result = read_source(real / "k8s-container-logs" / "docker-json-nested-stringified-json.log")
    assert (result.info.format, result.info.events, result.info.skipped_lines) == ("docker-json", 1, 0)
    event = result.events[0]
    assert iso(event) == "2019-04-01T17:58:33.598Z"  # no time in the payload: the wrapper's
    assert event["message"] == 'quoted "text with embedded quoted \\"text\\""'


CRI_PARTIAL = "\n".join([
    '2024-05-02T10:00:00.100000000Z stdout P {"@timestamp":"2024-05-02T10:00:00.090Z","log.level":"ERROR",'
    '"message":"charge fail',
    "2024-05-02T10:00:00.100000001Z stderr F plain stderr line in between",
    '2024-05-02T10:00:00.100000002Z stdout P ed","service.name":"checkout","http.request.id":"9f1c2a",'
    '"ecs.version":"1.6.0"}',
    "2024-05-02T10:00:00.100000003Z stdout F ",
    '2024-05-02T10:00:01.000000000Z stdout F {"@timestamp":"2024-05-02T10:00:01.000Z","log.level":"INFO",'
    '"message":"ok","service.name":"checkout","ecs.version":"1.6.0"}',
    "garbage line",
    "2024-05-02T10:00:02.000000000Z stdout P left open at the end",
]) + "\n"


def test_cri_partial_lines_join_per_stream(tmp_path: Path) -> None:
    folder = tmp_path / "var" / "log" / "pods" / "shop_checkout-7d9_1234" / "api"
    folder.mkdir(parents=True)
    result = read_source(write(folder, "0.log", CRI_PARTIAL), display="pods/shop_checkout-7d9_1234/api/0.log")
    assert result.info.format == "cri"
    assert (result.info.events, result.info.skipped_lines) == (4, 1)
    assert result.info.examples[0].line == 6
    plain, charge, ok, left = result.events
    assert (plain["message"], plain["line"], plain["service"]) == ("plain stderr line in between", 2, "api")
    assert plain["attrs"] == {"namespace": "shop", "pod": "checkout-7d9", "stream": "stderr"}
    # P + P + F of stdout became one ECS payload, parsed as ECS
    assert (charge["message"], charge["line"], charge["level"]) == ("charge failed", 1, "ERROR")
    assert (charge["service"], charge["request_id"]) == ("checkout", "9f1c2a")
    assert iso(charge) == "2024-05-02T10:00:00.090Z"
    assert (ok["message"], ok["line"]) == ("ok", 5)
    assert (left["message"], left["line"], iso(left)) == ("left open at the end", 7, "2024-05-02T10:00:02.000Z")


def test_cri_klog_payload_takes_the_wrappers_year(tmp_path: Path) -> None:
    content = ("2021-03-04T05:06:07.5Z stderr F E0304 05:06:07.400000       1 reflector.go:138] watch failed\n"
               "2021-03-04T05:06:08.5Z stderr F I0304 05:06:08.400000       1 main.go:1] ok request_id=r1\n")
    events = read_source(write(tmp_path, "c.log", content)).events
    assert [iso(e) for e in events] == ["2021-03-04T05:06:07.500Z", "2021-03-04T05:06:08.500Z"]
    assert all("year_guessed" not in e["attrs"] for e in events)
    assert (events[0]["level"], events[1]["request_id"]) == ("error", "r1")


def test_docker_partial_records_and_bad_lines(tmp_path: Path) -> None:
    lines = [{"log": 'time="2024-05-02T10:00:00Z" level=error msg="boom ', "stream": "stderr",
              "time": "2024-05-02T10:00:00.5Z"},
             {"log": 'part two" request_id=r-1\n', "stream": "stderr", "time": "2024-05-02T10:00:00.6Z"},
             {"log": "level=info msg=hello\n", "stream": "stdout", "time": "2024-05-02T10:00:01Z"}]
    content = "".join(orjson.dumps(obj).decode() + "\n" for obj in lines) + "nope\n" + '{"x": 1}\n'
    result = read_source(write(tmp_path, "docker.log", content))
    assert result.info.format == "docker-json"
    assert (result.info.events, result.info.skipped_lines) == (2, 2)
    assert [ex.line for ex in result.info.examples] == [4, 5]
    boom, hello = result.events
    assert (boom["message"], boom["request_id"], boom["level"], boom["line"]) == ("boom part two", "r-1", "error", 1)
    assert iso(boom) == "2024-05-02T10:00:00.000Z"
    assert (hello["message"], hello["ts"] is not None, hello["attrs"]) == ("hello", True, {"stream": "stdout"})


def test_fluent_bit_records_one_per_line(tmp_path: Path) -> None:
    records = [
        {"date": 1714644000.5, "log": 'level=info msg="hello" request_id=r-9', "stream": "stdout",
         "kubernetes": {"pod_name": "cart-1", "namespace_name": "shop", "container_name": "cart",
                        "labels": {"app": "cart"}}},
        {"date": 1714644001.5, "log": "level=error msg=bad\n  at frame", "stream": "stdout",
         "kubernetes": {"pod_name": "cart-1", "namespace_name": "shop", "labels": {"app": "cart-app"}}},
    ]
    content = "".join(orjson.dumps(obj).decode() + "\n" for obj in records)
    result = read_source(write(tmp_path, "fluent.ndjson", content))
    assert (result.info.format, result.info.events, result.info.skipped_lines) == ("fluent-bit-record", 2, 0)
    hello, bad = result.events
    assert iso(hello) == "2024-05-02T10:00:00.500Z"
    assert (hello["request_id"], hello["service"], hello["line"]) == ("r-9", "cart", 1)
    assert (bad["service"], bad["level"], bad["attrs"]["stack"]) == ("cart-app", "error", "  at frame")


def test_sniffers(real: Path) -> None:
    folder = real / "k8s-container-logs"
    heads = {path.name: Head.of(SourceFile(path, path.name)) for path in folder.iterdir()}
    cri, docker, fluent = CriIngestor(), DockerJsonIngestor(), FluentBitRecordIngestor()
    assert cri.sniff(heads["cri-containerd-java-stacktrace.log"]) == 0.95
    assert docker.sniff(heads["docker-json-istio-mixer-tcpaccesslog.log"]) == 0.95
    assert fluent.sniff(heads["fluent-bit-record-with-cri-multiline-java-stacktrace.json"]) == 0.97
    assert docker.sniff(heads["fluent-bit-record-with-cri-multiline-java-stacktrace.json"]) == 0.0
    # the Envoy/Ambassador filebeat record has "message", not "log": not ours
    ambassador = real / "envoy" / "filebeat-envoy-ambassador-docker-json.log"
    head = Head.of(SourceFile(ambassador, ambassador.name))
    assert docker.sniff(head) == fluent.sniff(head) == cri.sniff(head) == 0.0


def test_choose_inner() -> None:
    assert choose_inner(["\tat x", "hdfsExists: error:"], "x") is None
    assert choose_inner(["level=info msg=a", "level=warn msg=b"], "x").name == "logfmt"
    assert choose_inner(['{"@timestamp":"2024-05-02T10:00:00Z","log.level":"info"}'], "x").name == "ecs-json"
    assert choose_inner([], "x") is None


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(st.text(max_size=80), st.sampled_from(["stdout", "stderr", None])), max_size=30))
def test_payload_parser_never_raises(payloads: list[tuple[str, str | None]]) -> None:
    parser = PayloadParser("x.log")
    events = []
    for index, (payload, stream) in enumerate(payloads, 1):
        events.extend(parser.feed(payload, 1714644000.0, index, stream, {"service": "svc"}))
    events.extend(parser.finish())
    for event in events:
        assert_well_typed(event)
        assert event["ts"] is not None and event["service"]
    assert len(events) <= len(payloads)


def test_service_from_kubelet_container_file_name(tmp_path: Path) -> None:
    name = "cart-7d9f_shop_api-" + "a" * 64 + ".log"
    content = "2024-05-02T10:00:00Z stdout F started\n"
    event = read_source(write(tmp_path, name, content), display=f"containers/{name}").events[0]
    assert event["service"] == "api"
    assert event["attrs"] == {"pod": "cart-7d9f", "namespace": "shop", "stream": "stdout"}

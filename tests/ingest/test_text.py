"""Plain text logs that start with a timestamp (triage.ingest.text)."""
from __future__ import annotations

import calendar
import time
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from triage.ingest import text as text_module
from triage.ingest.base import Head
from triage.ingest.loader import read_source
from triage.ingest.text import Joiner, TextLogIngestor, YearFixer, parse_stamped, plain_event
from tests.ingest.helpers import assert_well_typed, iso, write

TEXT = TextLogIngestor()


# --- real samples -----------------------------------------------------------

def test_elasticsearch_log4j_bracketed(real: Path) -> None:
    result = read_source(real / "text-logs" / "filebeat-elasticsearch-6.2.4-log4j.log")
    assert result.info.format == "text"
    assert (result.info.events, result.info.skipped_lines) == (33, 0)
    first = result.events[0]
    assert iso(first) == "2018-05-17T08:19:35.939Z"
    assert first["level"] == "INFO"
    assert first["message"] == "initializing ..."
    assert first["attrs"] == {"logger": "o.e.n.Node", "node": ""}
    second = result.events[1]
    assert second["attrs"]["node"] == "vWNJsZ3"
    assert second["message"].startswith("using [1] data paths, mounts [[/ (/dev/disk1s1)]]")
    assert [e["line"] for e in result.events] == list(range(1, 34))
    # a logger name that overflows its padded column
    health = next(e for e in result.events if "Cluster health" in e["message"])
    assert health["attrs"]["logger"] == "o.e.c.r.a.AllocationService"
    assert iso(result.events[-1]) == "2018-05-17T08:20:19.467Z"


def test_hadoop_log4j_thread_and_logger(real: Path) -> None:
    result = read_source(real / "text-logs" / "loghub-hadoop-mapreduce-log4j.log")
    assert (result.info.format, result.info.events, result.info.skipped_lines) == ("text", 80, 0)
    first = result.events[0]
    assert iso(first) == "2015-10-18T18:04:08.987Z"
    assert first["attrs"] == {
        "thread": "RMCommunicator Allocator",
        "logger": "org.apache.hadoop.mapreduce.v2.app.rm.RMContainerRequestor"}
    assert first["message"].startswith("getResources() for application_1445144423722_0020: ask=4")
    errors = [e for e in result.events if e["level"] == "ERROR"]
    assert [e["line"] for e in errors] == [29]
    assert iso(errors[0]) == "2015-10-18T18:04:11.034Z"
    assert errors[0]["message"] == ("Container complete event for unknown container id "
                                    "container_1445144423722_0020_01_000012")


def test_openstack_file_prefix_request_ids_and_wsgi_fragment(real: Path) -> None:
    result = read_source(real / "text-logs" / "loghub-openstack-nova-python-reqid.log")
    assert (result.info.format, result.info.events, result.info.skipped_lines) == ("text", 120, 0)
    first = result.events[0]
    assert iso(first) == "2017-05-16T00:00:00.008Z"
    assert first["level"] == "INFO"
    assert first["service"] == "nova-api"
    assert first["request_id"] == "req-38101a0b-2096-447d-96ea-a692162415ae"
    assert (first["method"], first["status"], first["client_ip"]) == ("GET", 200, "10.11.10.1")
    assert first["path"] == "/v2/54fadb412c4e40cdbaed9335e4c35a9e/servers/detail"
    assert first["latency_ms"] == pytest.approx(247.7829)
    assert first["message"] == ('10.11.10.1 "GET /v2/54fadb412c4e40cdbaed9335e4c35a9e/servers/detail '
                                'HTTP/1.1" status: 200 len: 1893 time: 0.2477829')
    assert first["attrs"] == {"file": "nova-api.log.1.2017-05-16_13:53:08", "pid": 25746,
                              "logger": "nova.osapi_compute.wsgi.server"}
    # one request id spans several nova-compute lines
    spawn = [e for e in result.events if e.get("request_id") == "req-3ea4052c-895d-4b64-9e2d-04d64c4d94ab"]
    assert len(spawn) >= 3 and {e["service"] for e in spawn} == {"nova-compute"}
    assert spawn[0]["message"] == "[instance: b9000564-fe1a-409b-b8cc-1e88b294cd1d] VM Started (Lifecycle Event)"
    warning = next(e for e in result.events if e["level"] == "WARNING")
    assert warning["line"] == 57
    assert warning["request_id"] == "req-addc1839-2ed5-4778-b57e-5854eb7b8b09"


def test_text_sniff_on_real_text_logs(real: Path) -> None:
    from triage.ingest.base import SourceFile
    for path in sorted((real / "text-logs").iterdir()):
        score = TEXT.sniff(Head.of(SourceFile(path, path.name)))
        assert 0.2 <= score <= 0.3, path.name


# --- own samples ------------------------------------------------------------

PYTHON_TRACEBACK = """\
2024-05-02 10:00:00,123 INFO app.server: started on :8080
2024-05-02 10:00:01,500 ERROR app.checkout: payment failed request_id=7f3c9a1e-0b2d-4c5e-9f8a-1b2c3d4e5f60
Traceback (most recent call last):
  File "/srv/app/checkout.py", line 42, in pay
    resp = client.charge(order)
  File "/srv/app/client.py", line 10, in charge
    raise UpstreamError("502 from payments")
app.errors.UpstreamError: 502 from payments

2024-05-02 10:00:02,000 WARNING app.checkout: retrying
"""


def test_python_traceback_joins_the_event_before(tmp_path: Path) -> None:
    result = read_source(write(tmp_path, "app.log", PYTHON_TRACEBACK))
    assert (result.info.format, result.info.events, result.info.skipped_lines) == ("text", 3, 0)
    failed = result.events[1]
    assert failed["line"] == 2
    assert failed["level"] == "ERROR"
    assert failed["message"] == "payment failed request_id=7f3c9a1e-0b2d-4c5e-9f8a-1b2c3d4e5f60"
    assert failed["request_id"] == "7f3c9a1e-0b2d-4c5e-9f8a-1b2c3d4e5f60"
    assert failed["error"] == "app.errors.UpstreamError"
    assert failed["attrs"]["logger"] == "app.checkout"
    stack = failed["attrs"]["stack"].split("\n")
    assert stack[0] == "Traceback (most recent call last):"
    assert stack[-1] == "app.errors.UpstreamError: 502 from payments"
    assert len(stack) == 6
    assert result.events[2]["line"] == 10 and result.events[2]["level"] == "WARNING"


def test_continuation_before_any_event_is_skipped_with_reason(tmp_path: Path) -> None:
    content = "\tat com.example.Foo.bar(Foo.java:1)\n2024-05-02T10:00:00Z INFO ok\n"
    result = read_source(write(tmp_path, "app.log", content), ingestor=TEXT)
    assert result.info.events == 1
    assert result.info.skipped_lines == 1
    assert result.info.examples[0].line == 1
    assert "continuation line before any timestamped line" in result.info.examples[0].reason


def test_java_stack_is_capped(tmp_path: Path) -> None:
    frames = "".join(f"\tat com.example.F.m{i}(F.java:{i})\n" for i in range(200))
    content = "2024-05-02T10:00:00.000Z ERROR boom\njava.lang.IllegalStateException: bad\n" + frames
    events = read_source(write(tmp_path, "java.log", content), ingestor=TEXT).events
    assert len(events) == 1
    stack = events[0]["attrs"]["stack"].split("\n")
    assert len(stack) == text_module.MAX_STACK_LINES + 1
    assert stack[-1] == "... (151 more lines)"
    assert events[0]["error"] == "java.lang.IllegalStateException"


def test_spring_sleuth_and_boot3_correlation_ids() -> None:
    sleuth = TEXT.parse_line(
        "2024-05-02 10:00:00.123  INFO [checkout,5f1d7e3a9b2c4d6e8f0a1b2c3d4e5f60,8f0a1b2c3d4e5f60,true] "
        "4242 --- [nio-8080-exec-1] c.e.checkout.CartController              : GET /api/cart -> 401")
    assert sleuth is not None
    assert (sleuth["trace_id"], sleuth["span_id"]) == ("5f1d7e3a9b2c4d6e8f0a1b2c3d4e5f60", "8f0a1b2c3d4e5f60")
    assert sleuth["message"] == "GET /api/cart -> 401"
    assert sleuth["attrs"] == {"pid": 4242, "thread": "nio-8080-exec-1",
                               "logger": "c.e.checkout.CartController"}
    boot3 = TEXT.parse_line(
        "2024-05-02T10:00:01.000Z  WARN 4242 --- [checkout] [nio-8080-exec-2] "
        "[0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331] c.e.checkout.CartController : slow")
    assert boot3 is not None
    assert (boot3["trace_id"], boot3["span_id"], boot3["message"]) == (
        "0af7651916cd43dd8448eb211c80319c", "b7ad6b7169203331", "slow")


@pytest.mark.parametrize("line, expected", [
    ("2024-05-02T10:00:00.456+02:00 ERROR boom traceparent=00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01",
     {"trace_id": "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01", "span_id": "b7ad6b7169203331"}),
    ("2024-05-02 10:00:00 - api - ERROR - upstream said x-request-id: 9f1c2a7b-1111-2222-3333-444455556666",
     {"request_id": "9f1c2a7b-1111-2222-3333-444455556666", "level": "ERROR",
      "message": "upstream said x-request-id: 9f1c2a7b-1111-2222-3333-444455556666"}),
    ("2024/05/02 10:00:00 GET failed trace_id=0af7651916cd43dd8448eb211c80319c",
     {"trace_id": "0af7651916cd43dd8448eb211c80319c", "message": "GET failed trace_id=0af7651916cd43dd8448eb211c80319c"}),
])
def test_ids_found_by_pattern(line: str, expected: dict[str, Any]) -> None:
    event = TEXT.parse_line(line)
    assert event is not None
    assert {key: event.get(key) for key in expected} == expected


def test_iso_zone_and_comma_fraction() -> None:
    assert iso(TEXT.parse_line("2024-05-02T10:00:00.456+02:00 ERROR boom")) == "2024-05-02T08:00:00.456Z"
    assert iso(TEXT.parse_line("2015-10-18 18:04:08,987 INFO x")) == "2015-10-18T18:04:08.987Z"
    assert TEXT.parse_line("2024-13-02 10:00:00 INFO not a date") is None
    assert TEXT.parse_line("just words") is None


def _fixed_now(monkeypatch: pytest.MonkeyPatch, iso_now: str) -> None:
    now = calendar.timegm(time.strptime(iso_now, "%Y-%m-%dT%H:%M:%S"))
    monkeypatch.setattr(text_module.time, "time", lambda: float(now))


def test_syslog_year_comes_from_other_lines(tmp_path: Path) -> None:
    content = ("Dec 10 12:01:46 web1 app[19312]: ERROR upstream timed out request_id=abc123def\n"
               "2019-12-11T08:00:00Z INFO dated line\n"
               "Dec 12 09:00:00 web1 app[19312]: later\n")
    result = read_source(write(tmp_path, "mixed.log", content), ingestor=TEXT)
    events = result.events
    assert [iso(e) for e in events] == ["2019-12-10T12:01:46.000Z", "2019-12-11T08:00:00.000Z",
                                        "2019-12-12T09:00:00.000Z"]
    assert events[0]["attrs"] == {"year_guessed": True, "host": "web1", "program": "app", "pid": 19312}
    assert events[0]["request_id"] == "abc123def"
    assert events[0]["level"] == "ERROR"
    assert [e["line"] for e in events] == [1, 2, 3]


def test_syslog_year_guess_without_dated_lines(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _fixed_now(monkeypatch, "2026-01-05T00:00:00")
    content = "Dec 31 23:59:58 web1 app[1]: before midnight\nJan  1 00:00:01 web1 app[1]: after\n"
    events = read_source(write(tmp_path, "sys.log", content), ingestor=TEXT).events
    # December lies ahead of "now" in 2026, so it was last year's
    assert [iso(e) for e in events] == ["2025-12-31T23:59:58.000Z", "2026-01-01T00:00:01.000Z"]
    assert all(e["attrs"]["year_guessed"] for e in events)


def test_klog_in_text_and_plain_event_prefix() -> None:
    event = parse_stamped("W0102 03:04:05.678901   7 controller.go:12] slow sync")
    assert event is not None
    assert event.pop("_md") == (1, 2, 3 * 3600 + 4 * 60 + 5.678901)
    assert event["level"] == "warn"
    assert event["attrs"] == {"year_guessed": True, "thread": "7", "source_file": "controller.go:12"}
    plain = plain_event("redis: 2022/12/10 21:54:44 pubsub.go:159: redis: discarding bad PubSub connection")
    assert iso(plain) == "2022-12-10T21:54:44.000Z"
    assert plain["attrs"] == {"prefix": "redis"}
    assert plain_event("no stamp here") == {"ts": None, "message": "no stamp here"}


def test_year_fixer_holds_until_a_dated_event() -> None:
    fixer = YearFixer()
    yearless = parse_stamped("Mar  3 01:02:03 host prog: x")
    assert yearless is not None
    assert fixer.feed(yearless) == []
    assert fixer.feed({"ts": None, "message": "no ts"}) == []
    released = fixer.feed({"ts": 1_000_000_000.0})  # 2001-09-09
    assert [iso(e) for e in released] == ["2001-03-03T01:02:03.000Z", None, "2001-09-09T01:46:40.000Z"]
    assert fixer.finish() == []


def test_joiner_python_traceback_end_and_java_markers() -> None:
    joiner = Joiner()
    assert not joiner.continues("  File x")  # nothing open yet
    joiner.push({"message": "boom"})
    for line in ("Traceback (most recent call last):", '  File "a.py", line 1'):
        assert joiner.continues(line)
        joiner.add(line)
    assert joiner.continues("KeyError: 'x'")
    assert joiner.continues("Caused by: java.io.IOException: x")
    assert joiner.continues("\t... 12 more")
    assert not joiner.continues("Started server")


# --- properties -------------------------------------------------------------

@settings(max_examples=300, deadline=None)
@given(st.text(max_size=300))
def test_parse_line_never_raises_on_free_text(line: str) -> None:
    assert_well_typed(TEXT.parse_line(line))


@settings(max_examples=300, deadline=None)
@given(st.sampled_from(["2024-05-02T10:00:00Z ", "2015-10-18 18:04:08,987 ", "[2018-05-17T08:19:35,939]",
                        "Dec 10 12:01:46 ", "E1219 01:18:53.299220 1 f.go:1] ",
                        "nova-api.log.1 2017-05-16 00:00:00.008 "]),
       st.text(max_size=200))
def test_parse_line_after_a_real_stamp_is_well_typed(stamp: str, rest: str) -> None:
    event = TEXT.parse_line(stamp + rest)
    assert_well_typed(event)
    if event is not None:
        assert event["ts"] is not None
        assert "_md" not in event


def test_sniff_needs_most_lines_stamped() -> None:
    lines = ["2024-05-02T10:00:00Z INFO a", "2024-05-02T10:00:01Z INFO b", "\tat x", "plain"]
    assert TEXT.sniff(Head(path="x", text="\n".join(lines), lines=lines)) == round(0.2 + 0.1 * 2 / 3, 3)
    lines = ["plain", "words", "2024-05-02T10:00:00Z INFO a"]
    assert TEXT.sniff(Head(path="x", text="\n".join(lines), lines=lines)) == 0.0


def test_uvicorn_access_fragment_with_client_port() -> None:
    event = TEXT.parse_line('2026-11-20 14:01:47,791 INFO [uvicorn.access] request_id=2ff5e90b-5cd2-493d-943e-'
                            'd57170367687 10.244.0.31:54549 - "GET /api/orders?customer=95227 HTTP/1.1" 200')
    assert event is not None
    assert (event["method"], event["path"], event["status"]) == ("GET", "/api/orders", 200)
    assert (event["client_ip"], event["request_id"]) == ("10.244.0.31", "2ff5e90b-5cd2-493d-943e-d57170367687")

"""HAProxy httplog ingestor."""
from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from triage.ingest.haproxy import HaproxyHttpIngestor
from triage.ingest.loader import read_source
from triage.ingest.nginx import YEAR_INFERRED
from triage.ingest.timeparse import to_iso
from tests.ingest.helpers import assert_well_typed

HTTPLOG = "haproxy/filebeat-haproxy-httplog.log"
NOSRV = "haproxy/filebeat-haproxy-httplog-nosrv-503.log"


def events_by_line(path: Path) -> dict[int, dict[str, Any]]:
    return {event["line"]: event for event in read_source(path).events}


@pytest.mark.parametrize("name, events", [(HTTPLOG, 10), (NOSRV, 3)])
def test_real_samples_are_detected_and_fully_read(real: Path, name: str, events: int) -> None:
    result = read_source(real / name)
    assert (result.info.format, result.info.layer) == ("haproxy-http", "ingress")
    assert (result.info.events, result.info.skipped_lines) == (events, 0)


def test_httplog_fields(real: Path) -> None:
    events = events_by_line(real / HTTPLOG)
    first = events[1]
    assert to_iso(first["ts"]) == "2018-07-30T09:03:52.726Z"  # accept date, not syslog's
    assert first["client_ip"] == "1.2.3.4"
    assert (first["method"], first["status"]) == ("GET", 304)
    assert first["path"] == "/component---src-pages-index-js-4b15624544f97cf0bb8f.js"
    assert (first["latency_ms"], first["upstream_latency_ms"]) == (2.0, 0.0)
    assert first["upstream_host"] == "docs"
    assert first["attrs"]["backend"] == "docs_microservice"
    assert first["attrs"]["frontend"] == "incoming~"
    assert first["attrs"]["captured_request_headers"] == ["docs.example.internal", "", ""]
    assert "captured_response_headers" not in first["attrs"]  # {|||}: nothing captured
    assert first["error"] is None
    proxied = events[2]  # '-:22222' client behind the PROXY protocol, host before timers
    assert proxied["client_ip"] is None
    assert proxied["attrs"]["extra"] == "site.domain.com"
    assert (proxied["method"], proxied["path"]) == ("OPTIONS", "/api/v2/app/")
    slow = events[7]
    assert (slow["latency_ms"], slow["upstream_latency_ms"]) == (2606.0, 15.0)
    assert to_iso(slow["ts"]) == "2021-06-22T12:02:55.202Z"
    assert events[6]["status"] == 403 and events[6]["upstream_host"] == "node16"


def test_nosrv_503(real: Path) -> None:
    events = events_by_line(real / NOSRV)
    for line in (1, 2, 3):
        event = events[line]
        assert (event["status"], event["error"], event["upstream_host"]) == (503, "SC--", None)
        assert event["upstream_latency_ms"] is None  # Tr = -1
        assert event["latency_ms"] == 0.0
        assert event["attrs"]["server"] == "<NOSRV>"
    assert events[1]["message"] == "GET / 503 SC-- http-webservices/<NOSRV>"
    assert to_iso(events[1]["ts"]) == "2018-12-10T12:01:46.395Z"
    assert events[2]["attrs"]["captured_request_headers"] == ["localhost:8888", "", ""]
    assert events[3]["path"] == "/foo"


# -- own samples -----------------------------------------------------------------------

def test_server_timeout_captured_request_id_and_admin_lines(tmp_path: Path) -> None:
    lines = [
        "Nov 20 10:00:00 lb1 haproxy[812]: Server shop/api2 is DOWN, reason: Layer4 timeout, "
        "check duration: 2001ms. 1 active and 0 backup servers left.",
        "Nov 20 10:00:31 lb1 haproxy[812]: 10.20.0.15:51514 [20/Nov/2026:10:00:01.120] "
        "www-https~ shop/api1 0/0/1/-1/30001 504 194 - - sH-- 3/3/1/1/1 0/0 "
        "{shop.example|9f1c2d3e-4f5a-6978-8796-a5b4c3d2e1f0} \"GET /api/search?q=boots HTTP/1.1\"",
        "Nov 20 10:00:32 lb1 haproxy[812]: backend shop has no server available!",
        "Nov 20 10:00:33 lb1 sshd[90]: Accepted publickey for ops",
    ]
    path = tmp_path / "haproxy.log"
    path.write_text("\n".join(lines) + "\n")
    result = read_source(path)
    assert result.info.format == "haproxy-http"
    assert (result.info.events, result.info.skipped_lines) == (3, 1)
    assert result.info.examples[0].line == 4
    events = {event["line"]: event for event in result.events}
    timeout = events[2]
    assert (timeout["status"], timeout["error"]) == (504, "sH--")
    assert (timeout["latency_ms"], timeout["upstream_latency_ms"]) == (30001.0, None)
    assert timeout["request_id"] == "9f1c2d3e-4f5a-6978-8796-a5b4c3d2e1f0"
    assert timeout["attrs"]["retries"] == 1
    down = events[1]
    assert (down["level"], down["error"]) == ("error", "server_down")
    # The syslog date has no year: it comes from the httplog line's accept date.
    assert to_iso(down["ts"]) == "2026-11-20T10:00:00.000Z"
    assert down["attrs"]["year"] == YEAR_INFERRED
    assert events[3]["error"] == "no_server_available"


# -- properties ------------------------------------------------------------------------

SEED = ('Nov 20 10:00:31 lb1 haproxy[812]: 10.0.0.1:5151 [20/Nov/2026:10:00:01.120] fe be/s1 '
        '0/0/1/2/3 200 19 - - ---- 3/3/1/1/0 0/0 {a|b} {c} "GET / HTTP/1.1"')


@settings(deadline=None, max_examples=300, database=None)
@given(st.one_of(st.text(max_size=300), st.tuples(
    st.integers(0, len(SEED)), st.integers(0, 30), st.text(max_size=30)).map(
        lambda t: SEED[: t[0]] + t[2] + SEED[t[0] + t[1]:])))
def test_parse_line_never_raises(text: str) -> None:
    event = HaproxyHttpIngestor().parse_line(text)
    assert_well_typed(event)

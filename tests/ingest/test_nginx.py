"""nginx combined and ingress-nginx upstreaminfo ingestors."""
from __future__ import annotations

import gzip
import json
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from triage.ingest import registry
from triage.ingest import base as base_module
from triage.ingest.base import Head, SourceFile, UnreadableSource, decode
from triage.ingest.loader import read_source
from triage.ingest.base import line_blocks, raw_lines
from triage.ingest.nginx import (_UPSTREAMINFO_PLAIN, YEAR_ASSUMED, YEAR_INFERRED,
                                 IngressNginxIngestor, NginxCombinedIngestor,
                                 _general_upstreaminfo, parse_upstreaminfo, seconds_to_ms)
from triage.ingest.timeparse import to_iso
from triage.model import EVENT_COLUMNS

INGRESS = "ingress-nginx/filebeat-ingress-controller-test.log"
VARIANTS = "ingress-nginx/datadog-ingress-nginx-format-variants.log"
FILEBEAT_NGINX = "nginx/filebeat-nginx-access-test.log"
INTEGRATIONS_NGINX = "nginx/integrations-nginx-combined-access.log"
OWN_FOLDERS = ("nginx", "ingress-nginx")
OWN_FORMATS = ("nginx-combined", "ingress-nginx")


def by_line(path: Path) -> tuple[Any, dict[int, dict[str, Any]]]:
    result = read_source(path)
    return result, {event["line"]: event for event in result.events}


def write(tmp_path: Path, name: str, lines: list[str]) -> Path:
    path = tmp_path / name
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


# -- real samples ------------------------------------------------------------------

@pytest.mark.parametrize("name, fmt, events", [
    (INGRESS, "ingress-nginx", 29),
    (VARIANTS, "ingress-nginx", 11),
    (FILEBEAT_NGINX, "nginx-combined", 7),
    (INTEGRATIONS_NGINX, "nginx-combined", 14),
])
def test_real_samples_are_detected_and_fully_read(real: Path, name: str, fmt: str,
                                                  events: int) -> None:
    result = read_source(real / name)
    assert result.info.format == fmt
    assert result.info.layer == "ingress"
    assert result.info.events == events
    assert result.info.skipped_lines == 0


def test_ingress_fields_match_filebeats_own_parse(real: Path) -> None:
    raw = (real / INGRESS).read_bytes()
    starts = [0] + [i + 1 for i, byte in enumerate(raw) if byte == 0x0A]
    expected = json.loads((real / (INGRESS + "-expected.json")).read_text())
    _, events = by_line(real / INGRESS)
    assert len(expected) == 7
    for doc in expected:
        event = events[starts.index(doc["log.offset"]) + 1]
        prefix = "nginx.ingress_controller."
        assert to_iso(event["ts"]) == doc["@timestamp"]
        assert event["request_id"] == doc[prefix + "http.request.id"]
        assert event["method"] == doc["http.request.method"]
        assert event["path"] == doc["url.original"]
        assert event["status"] == doc["http.response.status_code"]
        assert event["client_ip"] == doc["source.ip"]
        assert event["latency_ms"] == pytest.approx(doc[prefix + "http.request.time"] * 1000)
        if prefix + "upstream.ip" in doc:
            assert event["upstream_host"] == (
                f"{doc[prefix + 'upstream.ip']}:{doc[prefix + 'upstream.port']}")
            assert event["upstream_status"] == doc[prefix + "upstream.response.status_code"]
            assert event["upstream_latency_ms"] == pytest.approx(
                doc[prefix + "upstream.response.time"] * 1000)
        else:
            assert event.get("upstream_host") is None
            assert event.get("upstream_status") is None


def test_ingress_retried_upstreams_keep_the_last_try(real: Path) -> None:
    _, events = by_line(real / INGRESS)
    retried = events[23]  # 172.17.0.6:8080, 172.17.0.7:8080  61, 100  0.100, 0.004  200, 203
    assert retried["upstream_host"] == "172.17.0.7:8080"
    assert retried["upstream_status"] == 203
    assert retried["upstream_latency_ms"] == 104.0
    assert retried["attrs"]["upstream_addrs"] == ["172.17.0.6:8080", "172.17.0.7:8080"]
    assert retried["attrs"]["upstream_statuses"] == ["200", "203"]
    assert retried["attrs"]["upstream_times_ms"] == [100.0, 4.0]
    # The second try never answered ("200, -"): the first one's host and status stand.
    partial = events[29]
    assert partial["upstream_host"] == "172.17.0.6:8080"
    assert partial["upstream_status"] == 200
    assert partial["upstream_latency_ms"] == 100.0


def test_ingress_ipv6_unix_socket_and_400_lines(real: Path) -> None:
    _, events = by_line(real / INGRESS)
    assert events[25]["client_ip"] == "2a02:cf40::"
    assert events[25]["attrs"]["user"] == "remote_monitoring_user"
    assert events[25]["upstream_host"] == "[2a02:cf40::]:9200"
    assert events[26]["status"] == 502 and events[26]["upstream_status"] == 502
    assert events[26]["upstream_host"] == "[2a02:cf40::4e36]:5000"
    # A deliberately malformed IPv6 upstream is kept as written, not rejected.
    assert events[27]["upstream_host"] == "[2a02:cf40::::::::4e36]:500000000"
    assert events[28]["upstream_host"] == "unix:/var/run/php-fpm.sock"
    bad = events[5]
    assert (bad["method"], bad["status"], bad["latency_ms"]) == ("PATCHp", 400, 0.0)
    assert bad["request_id"] == "4c7d2079340e68353c7d0dfff00b904b"
    assert "upstream_host" not in bad and "upstream_name" not in bad.get("attrs", {})


def test_ingress_format_variants_and_controller_lines(real: Path) -> None:
    _, events = by_line(real / VARIANTS)
    old = events[1]  # $remote_addr - [$the_real_ip] - $remote_user
    assert old["client_ip"] == "172.17.0.1"
    assert to_iso(old["ts"]) == "2018-12-07T18:31:33.000Z"
    assert old["latency_ms"] == 11.0 and old["upstream_latency_ms"] == 12.0
    assert old["request_id"] == "abcdefg12345abcdef"
    assert old["attrs"]["upstream_name"] == "proxyname-8080"
    assert events[6]["request_id"] is None  # no $req_id in that version
    assert events[9]["attrs"]["upstream_statuses"] == ["200", "-", "-"]
    assert events[9]["upstream_status"] == 200
    assert events[10]["attrs"]["alternative_upstream_name"] == "alt-proxyname-8080"
    no_upstream = events[11]
    assert no_upstream["status"] == 503 and no_upstream.get("upstream_host") is None
    assert no_upstream.get("upstream_status") is None

    error = events[3]
    assert error["level"] == "error"
    assert to_iso(error["ts"]) == "2017-09-26T14:36:50.000Z"
    assert error["client_ip"] == "217.92.148.44"
    assert (error["method"], error["path"]) == ("HEAD", "http://174.138.82.103:80/sql/sql-admin/")
    assert error["error"] == "not_found"
    assert error["message"].startswith('"/usr/share/nginx/html/sql/sql-admin/index.html" is not')
    assert error["attrs"]["host"] == "174.138.82.103"
    assert events[4]["level"] == "info"
    assert events[4]["message"] == "client 172.17.0.27 closed keepalive connection"

    klog = events[5]
    assert klog["level"] == "info"
    assert klog["message"] == "Initial sync, sleeping for 1 second."
    assert klog["attrs"]["logger"] == "controller.go:202"
    # klog has no year: it takes the year of the line before it (2017).
    assert to_iso(klog["ts"]) == "2017-12-21T13:00:58.488Z"
    assert klog["attrs"]["year"] == YEAR_INFERRED


def test_combined_forwarded_chains_and_empty_request(real: Path) -> None:
    _, events = by_line(real / FILEBEAT_NGINX)
    first = events[1]
    assert first["client_ip"] == "10.0.0.2"
    assert first["attrs"]["forwarded_for"] == ["10.0.0.2", "10.0.0.1", "127.0.0.1"]
    assert to_iso(first["ts"]) == "2016-12-07T10:05:07.000Z"
    assert (first["method"], first["path"], first["status"]) == ("GET", "/ocelot", 200)
    assert first["user_agent"].endswith("Firefox/49.0")
    assert first["message"] == "GET /ocelot 200"
    assert events[2]["client_ip"] == "172.17.0.1" and "extra" not in events[2]["attrs"]
    assert events[5]["client_ip"] == "10.5.102.222"  # quoted list before remote_addr
    assert events[5]["path"] == "/assets/xxxx?q=100"
    assert events[6]["client_ip"] == "2a03:0000:10ff:f00f:0000:0000:0:8000"
    empty = events[7]
    assert (empty["method"], empty["path"], empty["status"]) == (None, None, 400)
    assert empty["message"] == '"" 400'
    assert to_iso(empty["ts"]) == "2018-04-12T07:48:40.000Z"


def test_combined_offsets_referer_and_vhost_prefix(real: Path) -> None:
    _, events = by_line(real / INTEGRATIONS_NGINX)
    assert to_iso(events[1]["ts"]) == "2016-10-25T12:49:33.000Z"  # +0200
    assert events[2]["attrs"]["referer"] == "http://localhost:8080/"
    assert events[10]["status"] == 304 and events[10]["attrs"]["bytes_sent"] == 0
    vhost = events[13]
    assert vhost["attrs"]["host"] == "lessons.example.com"
    assert vhost["client_ip"] == "192.168.0.1"
    assert vhost["status"] == 206
    assert to_iso(vhost["ts"]) == "2020-06-09T19:10:39.000Z"  # -0700


def test_sniffers_claim_no_other_real_sample(real: Path) -> None:
    for path in sorted(p for p in real.rglob("*") if p.is_file() and p.suffix != ".md"):
        head = Head.of(SourceFile(path, path.name))
        detected = registry.detect(head).ingestor
        mine = path.parent.name in OWN_FOLDERS and not path.name.endswith("-expected.json")
        if not mine:
            assert detected is None or detected.name not in OWN_FORMATS, path
    expected = real / (INGRESS + "-expected.json")
    head = Head.of(SourceFile(expected, expected.name))
    assert IngressNginxIngestor().sniff(head) == 0.0
    assert NginxCombinedIngestor().sniff(head) == 0.0


# -- own samples ---------------------------------------------------------------------

UPSTREAMINFO = ('10.20.0.15 - - [20/Nov/2026:10:00:01 +0000] "{request}" {status} 160 "-" '
                '"Mozilla/5.0 triage-test/shows-results-for-boots" 512 {rt} [shop-search-api-80] '
                '[] {addr} 0 {ut} {us} 9f1c2d3e4f5a69788796a5b4c3d2e1f0')


def test_retry_list_with_failed_first_try(tmp_path: Path) -> None:
    line = UPSTREAMINFO.format(
        request="GET /api/search?q=boots HTTP/1.1", status=200, rt="0.350",
        addr="10.0.5.7:8080, 10.0.5.8:8080, 10.0.5.9:8080", ut="0.001, 0.300, 0.040",
        us="502, 504, 200")
    result = read_source(write(tmp_path, "ingress.log", [line]))
    event = result.events[0]
    assert result.info.format == "ingress-nginx"
    assert event["upstream_host"] == "10.0.5.9:8080"
    assert event["upstream_status"] == 200
    assert event["upstream_latency_ms"] == 341.0
    assert event["latency_ms"] == 350.0
    assert event["attrs"]["upstream_statuses"] == ["502", "504", "200"]
    assert event["message"] == "GET /api/search?q=boots 200 (upstream tries: 502, 504, 200)"
    assert event["request_id"] == "9f1c2d3e4f5a69788796a5b4c3d2e1f0"


def test_504_upstream_timeout_access_and_error_lines(tmp_path: Path) -> None:
    access = UPSTREAMINFO.format(
        request="GET /api/search?q=boots HTTP/1.1", status=504, rt="60.001",
        addr="10.0.5.7:8080", ut="60.000", us="504")
    error = ('2026/11/20 10:00:01 [error] 31#31: *8812 upstream timed out (110: Operation '
             'timed out) while reading response header from upstream, client: 10.20.0.15, '
             'server: shop.example, request: "GET /api/search?q=boots HTTP/1.1", upstream: '
             '"http://10.0.5.7:8080/api/search?q=boots", host: "shop.example"')
    result = read_source(write(tmp_path, "ingress.log", [access, error]))
    assert result.info.skipped_lines == 0
    first, second = result.events
    assert (first["status"], first["upstream_status"]) == (504, 504)
    assert first["latency_ms"] == 60001.0 and first["upstream_latency_ms"] == 60000.0
    assert second["error"] == "upstream_timeout"
    assert second["level"] == "error"
    assert second["upstream_host"] == "10.0.5.7:8080"
    assert (second["method"], second["path"]) == ("GET", "/api/search?q=boots")
    assert second["message"].startswith("upstream timed out (110: Operation timed out)")
    assert to_iso(second["ts"]) == "2026-11-20T10:00:01.000Z"
    assert second["attrs"]["connection"] == 8812


def test_klog_before_any_dated_line_waits_for_one(tmp_path: Path) -> None:
    access = UPSTREAMINFO.format(request="GET / HTTP/1.1", status=200, rt="0.002",
                                 addr="10.0.5.7:8080", ut="0.002", us="200")
    lines = ["I0105 09:00:00.000001       7 main.go:104] SSL fake certificate created",
             "W1231 23:59:59.500000       7 store.go:80] dropping an old event",
             access.replace("20/Nov/2026:10:00:01", "01/Jan/2027:00:00:05")]
    result = read_source(write(tmp_path, "controller.log", lines))
    events = {event["line"]: event for event in result.events}
    assert to_iso(events[1]["ts"]) == "2027-01-05T09:00:00.000Z"
    # December beside a January reference belongs to the year before.
    assert to_iso(events[2]["ts"]) == "2026-12-31T23:59:59.500Z"
    assert events[2]["level"] == "warning"
    assert events[1]["attrs"]["year"] == YEAR_INFERRED


def test_klog_alone_gets_the_current_year_and_says_so() -> None:
    event = IngressNginxIngestor().parse_line(
        "E0301 12:00:00.250000       7 queue.go:130] requeuing ingress/shop, err: x")
    assert event is not None
    assert event["level"] == "error"
    year = datetime.now(timezone.utc).year
    assert to_iso(event["ts"]) == f"{year}-03-01T12:00:00.250Z"
    assert event["attrs"]["year"] == YEAR_ASSUMED


def test_truncated_line_is_skipped_with_its_number(tmp_path: Path) -> None:
    good = UPSTREAMINFO.format(request="GET / HTTP/1.1", status=200, rt="0.002",
                               addr="10.0.5.7:8080", ut="0.002", us="200")
    lines = [good, good[:70], "", good]
    result = read_source(write(tmp_path, "ingress.log", lines))
    assert result.info.format == "ingress-nginx"
    assert result.info.events == 2
    assert result.info.skipped_lines == 1
    assert result.info.examples[0].line == 2
    assert "not a valid ingress-nginx line" in result.info.examples[0].reason
    assert [event["line"] for event in result.events] == [1, 4]


def test_combined_with_appended_request_id(tmp_path: Path) -> None:
    line = ('10.0.0.9 - alice [20/Nov/2026:10:00:01 +0100] "POST /api/cart HTTP/2.0" 401 12 '
            '"https://shop.example/cart" "curl/8.4.0" "-" "0af7651916cd43dd8448eb211c80319c"')
    event = NginxCombinedIngestor().parse_line(line)
    assert event is not None
    assert event["request_id"] == "0af7651916cd43dd8448eb211c80319c"
    assert event["attrs"]["user"] == "alice"
    assert to_iso(event["ts"]) == "2026-11-20T09:00:01.000Z"
    assert event["message"] == "POST /api/cart 401"


def test_seconds_to_ms_is_exact() -> None:
    assert seconds_to_ms("0.057") == 57.0
    assert seconds_to_ms("60.001") == 60001.0
    assert seconds_to_ms("1.5") == 1500.0
    assert seconds_to_ms("-") is None
    assert seconds_to_ms("abc") is None


# -- properties ----------------------------------------------------------------------

SEEDS = [
    UPSTREAMINFO.format(request="GET /a HTTP/1.1", status=200, rt="0.010",
                        addr="10.0.0.1:80, 10.0.0.2:80", ut="0.004, 0.005", us="502, 200"),
    '10.0.0.9 - - [20/Nov/2026:10:00:01 +0100] "GET / HTTP/1.1" 200 5 "-" "ua" "x"',
    "2026/11/20 10:00:01 [warn] 1#1: *2 upstream server temporarily disabled, client: 1.2.3.4",
    "I1120 10:00:01.000001       7 controller.go:1] hello",
]


def mutated(seeds: list[str]) -> st.SearchStrategy[str]:
    """Real-looking lines with a random slice replaced by random text."""
    return st.tuples(st.sampled_from(seeds), st.integers(0, 300), st.integers(0, 40),
                     st.text(max_size=40)).map(
        lambda t: t[0][: t[1]] + t[3] + t[0][t[1] + t[2]:])


TYPES: dict[str, tuple[type, ...]] = {
    "ts": (float,), "status": (int,), "upstream_status": (int,), "latency_ms": (float,),
    "upstream_latency_ms": (float,), "attrs": (dict,), "line": (int,),
}


def check_event(event: dict[str, Any] | None) -> None:
    if event is None:
        return
    assert set(event) <= set(EVENT_COLUMNS)
    for key, value in event.items():
        if value is not None:
            assert isinstance(value, TYPES.get(key, (str,))), (key, value)


@settings(deadline=None, max_examples=300, database=None)
@given(st.one_of(st.text(max_size=300), mutated(SEEDS)))
def test_parse_line_never_raises(text: str) -> None:
    check_event(IngressNginxIngestor().parse_line(text))
    check_event(NginxCombinedIngestor().parse_line(text))


# -- fast paths give what the general code gives --------------------------------------

PLAIN = UPSTREAMINFO.format(request="GET /api/search?q=boots HTTP/2.0", status=200, rt="0.008",
                            addr="10.244.0.31:8000", ut="0.006", us="200")
TOKENS = st.sampled_from([" : ", ", ", " ", "  ", "-", "[", "]", "[x] ", '"', "\t", "0", "200",
                          "10.0.0.1:80", "HTTP/1.1", "é"])


def outcome(parse: Any, text: str) -> Any:
    """The event (keys in order) or the exception a parser ends with."""
    try:
        event = parse(text)
    except Exception as exc:  # noqa: BLE001 - the exception itself is compared
        return type(exc).__name__, str(exc)
    return event if event is None else (list(event), event)


@settings(deadline=None, max_examples=500, database=None)
@given(st.one_of(mutated([PLAIN, *SEEDS]),
                 st.tuples(st.sampled_from([PLAIN, SEEDS[0]]), st.integers(0, 250), st.integers(0, 3),
                           TOKENS).map(lambda t: t[0][: t[1]] + t[3] + t[0][t[1] + t[2]:])))
def test_plain_upstreaminfo_matches_the_general_parse(text: str) -> None:
    assert outcome(parse_upstreaminfo, text) == outcome(_general_upstreaminfo, text)


def test_plain_path_takes_the_usual_line_and_leaves_the_rest() -> None:
    assert _UPSTREAMINFO_PLAIN.match(PLAIN) is not None
    for other in (SEEDS[0], PLAIN.replace("10.20.0.15 -", "10.20.0.15 - [10.0.0.1] -"),
                  PLAIN.replace(" [] ", " "), PLAIN.replace("0.006", "0.003 : 0.003")):
        assert " : " in other or _UPSTREAMINFO_PLAIN.match(other) is None, other
        assert outcome(parse_upstreaminfo, other) == outcome(_general_upstreaminfo, other)
    event = parse_upstreaminfo(PLAIN)
    assert event is not None
    assert (event["upstream_host"], event["upstream_status"], event["upstream_latency_ms"]) == (
        "10.244.0.31:8000", 200, 6.0)
    assert event["attrs"] == {"bytes_sent": 160, "upstream_name": "shop-search-api-80"}


def collect(lines: Any) -> tuple[list[Any], tuple[str, str] | None]:
    """Everything an iterable gives, and the error it ends with."""
    got: list[Any] = []
    try:
        for item in lines:
            got.append(item)
    except UnreadableSource as exc:
        return got, (exc.status, str(exc))
    return got, None


LINE_BYTES = st.lists(st.sampled_from([b"a", b"\n", b"\r", b" ", b"\xef\xbb\xbf", b"\xff\xfe",
                                       b"\xc3\xa9", b"\xc3", b"\x80", b"\t", b"x=1"]), max_size=60)


@settings(deadline=None, max_examples=300, database=None)
@given(parts=LINE_BYTES, block=st.sampled_from([1, 2, 3, 7, 64]), packed=st.booleans(),
       cut=st.integers(0, 30))
def test_line_blocks_and_raw_lines_read_what_source_lines_reads(
        tmp_path_factory: pytest.TempPathFactory, parts: list[bytes], block: int, packed: bool,
        cut: int) -> None:
    data = b"".join(parts)
    if packed:  # gzip, sometimes cut short
        data = gzip.compress(data)
        data = data[: len(data) - cut] if cut < len(data) else data
    path = tmp_path_factory.mktemp("blocks") / "x.log"
    path.write_bytes(data)
    source = SourceFile(path, "x.log")
    expected, error = collect(text for _, text in source.lines())
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(base_module, "BLOCK_BYTES", block)
        blocks, block_error = collect(line for chunk in line_blocks(source) for line in chunk)
    raw, raw_error = collect(raw_lines(source))
    assert (blocks, block_error) == (expected, error)
    assert ([line if isinstance(line, str) else decode(line).rstrip("\r\n") for line in raw],
            raw_error) == (expected, error)


def test_block_reading_keeps_line_numbers_and_skips(tmp_path: Path,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(base_module, "BLOCK_BYTES", 100)
    lines = [PLAIN, "", "not an access line", "\ufeff" + PLAIN, PLAIN + "\r"] * 3
    path = write(tmp_path, "ingress-nginx.log", lines)
    result = read_source(path)
    assert (result.info.events, result.info.skipped_lines) == (9, 3)
    assert [e["line"] for e in result.events] == [1, 4, 5, 6, 9, 10, 11, 14, 15]
    assert [example.line for example in result.info.examples] == [3, 8, 13]

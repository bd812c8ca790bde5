"""logfmt lines with klog and plain lines mixed in (triage.ingest.logfmt)."""
from __future__ import annotations

import gzip
from pathlib import Path
from unittest.mock import patch

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from triage.ingest import logfmt_rows, registry
from triage.ingest.base import Head, ParseContext, SourceFile
from triage.ingest.loader import read_source
from triage.ingest.logfmt import (FIELDS, LogfmtIngestor, _parse_mixed, _pick, _plain_pairs,
                                  _shape, _split_tokens, split_pairs)
from triage.ingest.logfmt import convert_pairs
from triage.ingest.rows import BLOCK_ROWS, INDEX, row_of
from triage.ingest.text import Joiner, YearFixer
from tests.conftest import SAMPLE_DATA
from tests.ingest.helpers import assert_well_typed, iso, write
from tests.ingest.test_rows import (assert_same_reading, assert_truncated_gzip_reads_the_same,
                                    read_both_ways)

LOGFMT = LogfmtIngestor()


def test_argocd_logrus_klog_and_plain_lines(real: Path) -> None:
    result = read_source(real / "logfmt" / "datadog-argocd-logrus-logfmt-and-klog.log")
    assert (result.info.format, result.info.events, result.info.skipped_lines) == ("logfmt", 7, 0)
    events = result.events
    assert [e["line"] for e in events] == [1, 2, 3, 4, 5, 6, 7]
    klog = events[0]
    # klog has no year: it takes the year of the file's dated lines (2022)
    assert iso(klog) == "2022-12-19T01:18:53.299Z"
    assert klog["level"] == "error"
    assert klog["attrs"] == {"year_guessed": True, "thread": "1", "source_file": "reflector.go:138"}
    assert klog["message"].startswith("pkg/mod/k8s.io/client-go@v0.24.2/tools/cache/reflector.go:167: "
                                      "Failed to watch *v1.ConfigMap")
    trace = events[1]  # client-go Trace[...] line: a plain event without a time
    assert trace["ts"] is None
    assert trace["message"].startswith('Trace[79767753]: ---"Objects listed" error:Get')
    redis = events[2]  # Go stdlib log with a "redis: " prefix
    assert iso(redis) == "2022-12-10T21:54:44.000Z"
    assert redis["attrs"] == {"prefix": "redis"}
    assert redis["message"].startswith("pubsub.go:159: redis: discarding bad PubSub connection")
    alloc = events[3]
    assert (iso(alloc), alloc["level"]) == ("2022-12-16T22:27:42.000Z", "info")
    assert alloc["message"] == "Alloc=10469 TotalAlloc=9306163 Sys=29009 NumGC=4180 Goroutines=18"
    grpc = events[4]
    assert grpc["message"] == "finished unary call with code OK"
    assert grpc["latency_ms"] == pytest.approx(0.03)
    assert grpc["attrs"]["grpc.method"] == "Check"
    assert grpc["attrs"]["grpc.service"] == "grpc.health.v1.Health"
    assert grpc["attrs"]["span.kind"] == "server"
    assert iso(events[6]) == "2023-01-11T15:08:28.000Z"
    assert events[6]["message"] == "Enabled application namespace patterns: default"


def test_heroku_router_and_l2met_share_request_id(real: Path) -> None:
    result = read_source(real / "logfmt" / "heroku-router-and-nginx-l2met-correlated.logfmt")
    assert (result.info.format, result.info.events, result.info.skipped_lines) == ("logfmt", 2, 0)
    nginx, router = result.events
    assert nginx["request_id"] == router["request_id"] == "e2c79e86b3260b9c703756ec93f8a66d"
    assert nginx["ts"] is None and router["ts"] is None
    assert nginx["latency_ms"] == pytest.approx(7.0)  # measure.nginx.service=0.007 (seconds)
    assert (router["method"], router["path"], router["status"]) == ("GET", "/", 200)
    assert router["latency_ms"] == 8.0  # service=8ms
    assert router["client_ip"] == "67.180.77.184"
    assert router["level"] == "info"
    assert router["message"] == "GET / 200"
    assert router["attrs"] == {"host": "salty-earth-7125.herokuapp.com", "dyno": "web.1",
                               "connect": "1ms", "bytes": "21"}


def test_sniff_claims_logfmt_but_not_xml_or_dotenv(real: Path) -> None:
    for path in sorted((real / "logfmt").iterdir()):
        assert 0.4 <= LOGFMT.sniff(Head.of(SourceFile(path, path.name))) <= 0.5
    for folder in ("junit", "k8s-manifests", "feature-flags", "nginx", "haproxy"):
        for path in sorted((real / folder).iterdir()):
            assert LOGFMT.sniff(Head.of(SourceFile(path, path.name))) == 0.0, path.name
    dotenv = ["API_URL=https://x", "TIMEOUT_MS=1000", "FLAG=true"]
    assert LOGFMT.sniff(Head(path=".env", text="\n".join(dotenv), lines=dotenv)) == 0.0


def test_heroku_error_continuation_and_units(tmp_path: Path) -> None:
    content = ('at=error code=H12 desc="Request timeout" method=GET path="/checkout?x=1" '
               'host=shop.example request_id=8601b555-6a83-4c12-8269-97c8e32cdb22 fwd="10.1.2.3" '
               'dyno=web.1 connect=0ms service=30000ms status=503 bytes=0\n'
               "  indented continuation\n"
               'ts=2024-05-02T10:00:00Z lvl=warn msg="slow \\"query\\"" duration=1.5s '
               "trace_id=0af7651916cd43dd8448eb211c80319c service=cart\n")
    result = read_source(write(tmp_path, "router.log", content), ingestor=LOGFMT)
    assert (result.info.events, result.info.skipped_lines) == (2, 0)
    error, slow = result.events
    assert (error["error"], error["message"], error["status"]) == ("H12", "Request timeout", 503)
    assert error["path"] == "/checkout"
    assert error["latency_ms"] == 30000.0
    assert error["attrs"]["stack"] == "  indented continuation"
    assert iso(slow) == "2024-05-02T10:00:00.000Z"
    assert slow["message"] == 'slow "query"'
    assert (slow["level"], slow["latency_ms"], slow["service"]) == ("warn", 1500.0, "cart")
    assert slow["trace_id"] == "0af7651916cd43dd8448eb211c80319c"
    assert slow["line"] == 3


def test_split_pairs_rules() -> None:
    assert split_pairs('a=1 b="x y" c') == ({"a": "1", "b": "x y"}, ["c"])
    assert split_pairs("a= b=2") == ({"a": "", "b": "2"}, [])
    assert split_pairs("just some words") is None
    assert split_pairs("one two three k=v") is None  # more bare words than pairs
    assert split_pairs('<testcase name="x" time="1"/>') is None
    assert split_pairs('k="unterminated') is None
    assert split_pairs('path=/a?b=c') == ({"path": "/a?b=c"}, [])


def test_line_without_timestamp_is_still_an_event() -> None:
    event = LOGFMT.parse_line("level=info msg=hello request_id=r1")
    assert event is not None
    assert (event["ts"], event["message"], event["request_id"]) == (None, "hello", "r1")


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=300))
def test_parse_line_never_raises_on_free_text(line: str) -> None:
    assert_well_typed(LOGFMT.parse_line(line))


_KEYS = st.sampled_from(["time", "ts", "level", "msg", "status", "duration", "service", "path",
                         "method", "request_id", "err", "at", "code", "latency", "measure#x.service"])
_VALUES = st.one_of(st.text(max_size=20), st.integers().map(str),
                    st.floats(allow_nan=True).map(str), st.sampled_from(["8ms", "1.5s", "3m0s", "-"]))


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(_KEYS, _VALUES), max_size=8))
def test_parse_line_on_generated_pairs_is_well_typed(pairs: list[tuple[str, str]]) -> None:
    line = " ".join(f'{k}="{v.replace(chr(92), "").replace(chr(34), "")}"' for k, v in pairs)
    assert_well_typed(LOGFMT.parse_line(line))


# -- fast paths give what the general code gives --------------------------------------

_PIECES = st.sampled_from(['a', 'k', '=', '"', ' ', '\t', '\\', '<', '-', '1', 'é', '\u00a0', '\n',
                           'msg="x y"', 'level=info', 'a="b"c=d', 'k=', '="v"', 'q=a=b', 'w'])


@settings(max_examples=500, deadline=None, database=None)
@given(st.lists(_PIECES, max_size=30).map("".join))
def test_str_splitting_agrees_with_the_token_regex(text: str) -> None:
    general = _split_tokens(text)
    fast = split_pairs(text)
    assert fast == general
    if fast is not None:
        assert list(fast[0]) == list(general[0])  # same key order
    plain = _plain_pairs(text) if "\\" not in text and "<" not in text and "=" in text else None
    assert plain is None or (plain, []) == general


@settings(max_examples=300, deadline=None, database=None)
@given(st.dictionaries(st.sampled_from(["time", "ts", "level", "lvl", "msg", "message", "status",
                                        "path", "url", "uri", "url.path", "http.method", "method",
                                        "request_id", "req_id", "error", "err", "error.type",
                                        "duration", "latency_ms", "q", "at"]),
                       st.sampled_from(["", "-", "x", "200", "/a?b", "GET", "3ms"]), max_size=8))
def test_shape_plan_picks_what_fields_picks(pairs: dict[str, str]) -> None:
    assert _pick(pairs, _shape(pairs)) == FIELDS.pick(pairs)


MIXED_LINES = st.sampled_from([
    'time=2026-11-21T09:00:00.037Z level=debug msg="search executed" request_id=r1 q=boots',
    'at=error code=H12 desc="Request timeout" method=GET path="/" service=30001ms status=503',
    'measure#router.service=0.007 source=web.1', "I1219 01:18:53.299220       1 file.go:138] boom",
    "Dec 19 01:18:53 host app[1]: plain syslog line", "    at com.example.Foo.bar(Foo.java:10)",
    "Traceback (most recent call last):", '  File "x.py", line 1, in <module>',
    "ValueError: boom", "just words", "", "   "])


@settings(max_examples=200, deadline=None, database=None)
@given(st.lists(MIXED_LINES, max_size=12))
def test_parse_matches_the_general_loop_on_mixed_lines(tmp_path_factory: pytest.TempPathFactory,
                                                       lines: list[str]) -> None:
    path = tmp_path_factory.mktemp("logfmt") / "app.log"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    source = SourceFile(path, "app.log")
    fast = list(LOGFMT.parse(source, ParseContext("app.log")))
    general = list(_parse_mixed(source.lines(), Joiner(), YearFixer()))
    assert fast == general


# -- the rows path (triage.ingest.logfmt_rows) reads what parse reads ----------------

def _rows_and_events(path: Path) -> tuple[list[tuple], list[tuple]]:
    """(rows of parse_rows, rows of parse's events), for one file read both ways."""
    source = SourceFile(path, path.name)
    rows = [row for block in LOGFMT.parse_rows(source, ParseContext(path.name)) for row in block]
    events = [row_of(event, event["line"]) for event in LOGFMT.parse(source, ParseContext(path.name))]
    return rows, events


def test_rows_path_reads_the_real_logfmt_samples_the_same(real: Path) -> None:
    for path in sorted((real / "logfmt").iterdir()):
        if path.name != "README.md":
            assert assert_same_reading(path, f"logfmt/{path.name}") >= 2
            rows, events = _rows_and_events(path)
            assert rows == events


def test_rows_path_reads_the_sample_data_logfmt_files_the_same() -> None:
    files = [path for path in sorted((SAMPLE_DATA / "builds").rglob("*.log"))
             if registry.detect(Head.of(SourceFile(path, path.name))).ingestor is LOGFMT_REGISTERED]
    assert len(files) >= 15
    assert sum(assert_same_reading(path, path.relative_to(SAMPLE_DATA).as_posix())
               for path in files) > 1000


LOGFMT_REGISTERED = registry.ingestors()["logfmt"]
USUAL = ('time=2026-11-21T09:00:0{s}.{ms:03d}Z level=info msg="request completed" service=cart-api '
         'request_id={rid} trace_id=0af7651916cd43dd8448eb211c80319c method=GET path="/api/cart?x={n}" '
         'status=200 duration={n}ms')
# Lines of a learnt shape that the fast path must leave to convert_pairs, and the
# lines convert_pairs reads in other ways.
DECLINED = [
    'time=2026-11-21T09:00:01.000Z level=info msg="request completed" service=cart-api request_id= '
    'trace_id=0af7651916cd43dd8448eb211c80319c method=GET path="/x" status=200 duration=1ms',
    'time=2026-11-21T09:00:01.000Z level=- msg="request completed" service=cart-api request_id=r1 '
    'trace_id=0af7651916cd43dd8448eb211c80319c method=GET path="/x" status=200 duration=1ms',
    'time=2026-11-21T09:00:01.000Z level=info msg="-" service=cart-api request_id=r1 '
    'trace_id=0af7651916cd43dd8448eb211c80319c method=GET path="/x" status=200 duration=1ms',
    'time=2026-11-21T09:00:01.000Z level=info msg="request completed" service=cart-api request_id=r1 '
    'trace_id=0af7651916cd43dd8448eb211c80319c method=GET path="/x" status=200 duration=1ms ',
    'time=2026-11-21T09:00:01.000Z  level=info msg="request completed" service=cart-api request_id=r1 '
    'trace_id=0af7651916cd43dd8448eb211c80319c method=GET path="/x" status=200 duration=1ms',
    'time=2026-11-21T09:00:01.000Z\tlevel=info msg="request completed" service=cart-api request_id=r1 '
    'trace_id=0af7651916cd43dd8448eb211c80319c method=GET path="/x" status=200 duration=1ms',
    'time=2026-11-21T09:00:01.000Z level=info msg="request \\"completed\\"" service=cart-api '
    'request_id=r1 trace_id=0af7651916cd43dd8448eb211c80319c method=GET path="/x" status=200 duration=1ms',
    'time=2026-11-21T09:00:01.000Z level=info msg="a <b> tag" service=cart-api request_id=r1 '
    'trace_id=0af7651916cd43dd8448eb211c80319c method=GET path="/x" status=200 duration=1ms',
    'time=2026-11-21T09:00:01.000Z level=info msg="request completed" service=café request_id=r1 '
    'trace_id=0af7651916cd43dd8448eb211c80319c method=GET path="/x" status=200 duration=1ms',
    'time=2026-11-21T09:00:01.000Z level=info msg="request completed" service=a\u00a0b request_id=r1 '
    'trace_id=0af7651916cd43dd8448eb211c80319c method=GET path="/x" status=200 duration=1ms',
    'time=2026-11-21T09:00:01.000Z level=info msg="request completed" service=cart-api request_id=r1 '
    'trace_id=0af7651916cd43dd8448eb211c80319c method=GET path="/x" status=200 duration=1ms q=' + "x" * 301,
    'time=2026-11-21T09:00:01.000Z level=info msg="done" level=warn request_id=r1 twice=1',
    'time=2026-11-21T09:00:01.000Z level=info msg="with bare words" request_id=r1 extra',
    'at=info method=GET path="/" host=shop.example request_id=8601b555-6a83-4c12-8269-97c8e32cdb22 '
    'fwd="10.1.2.3" dyno=web.1 connect=1ms service=8ms status=200 bytes=21',
    'at=error code=H12 desc="Request timeout" method=GET path="/checkout" service=30000ms status=503',
    'measure#nginx.service=0.007 request_id=e2c79e86b3260b9c703756ec93f8a66d',
    'time=2026-11-21T09:00:02.000Z level=error msg="upstream failed" error="deadline exceeded" '
    'error_code=UPSTREAM_TIMEOUT request_id=r2',
    'time=2026-11-21T09:00:02.000Z level=info method=POST path=/api/pay status=201 request_id=r3',
    'time=2026-11-21T09:00:02.000Z level=info msg=x trace.id=abc',
]
# Lines the fast path reads once their shape is learnt: every conversion it does.
LEARNT = [
    'time=2026-11-21T09:00:03Z level=info msg="no fraction" request_id=req-abc',
    'time=2026-11-21T09:00:03.123456789Z level=info msg="nanoseconds" request_id=req-abd',
    'time=2026-11-21T09:00:03.5+02:00 level=info msg="offset" request_id=req-abe',
    'time=2026-11-21T09:00:03.5z level=info msg="lower z" request_id=req-abf',
    'time=1700000000 level=info msg="epoch" request_id=req-abg',
    'time=2026-13-45T09:00:03.5Z level=info msg="no such day" request_id=req-abh',
    'time=2026-11-21X09:00:03.5Z level=info msg="odd separator" request_id=req-abi',
    'time=2026-11-21T09:00:03.1234567891Z level=info msg="ten digits" request_id=req-abj',
    'time=2026-11-21T09:00:03.Z level=info msg="a dot, no digits" request_id=req-abk',
    'time=2026-11-21T09:00:03x level=info msg="a letter after the seconds" request_id=req-abl',
    'ts=2026-11-21T09:00:04.250Z lvl=WARN message="slow" service=8ms latency_ms=12 '
    'request_id=9C2BBFB0-2D77-41BE-B210-8074BE1F1099 trace_id=00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01',
    'ts=2026-11-21T09:00:04.251Z lvl=WARN message="slow" service=0s latency_ms=x '
    'request_id=00000000000000000000000000000000 trace_id=Root=1-5759e988-bd862e3fe1be46a994272793',
    'ts=2026-11-21T09:00:04.252Z lvl=WARN message="slow" service=8ms latency_ms=12 '
    'request_id=abcdef0123456789ab trace_id=00000000000000000000000000000000',
    'time=2026-11-21T09:00:04.253Z level=info msg="quoted ids" request_id="9C2BBFB0-2D77-41BE-B210-8074BE1F1099" '
    'trace_id="0af7651916cd43dd8448eb211c80319c"',
    'time=2026-11-21T09:00:05.000Z level=info msg="http" method=get path="https://h.example/a/b?c=1" '
    'status=20x request_time=0.25 upstream=10.0.0.2:80 fwd=10.1.2.3 user_agent="curl/8 (x)" span_id=b7ad6b7169203331',
    'time=2026-11-21T09:00:05.001Z level=info msg="http" method=G3T path="?" '
    'status=099 request_time=1.5s upstream=10.0.0.2:80 fwd=10.1.2.3 user_agent="curl/8 (x)" span_id=b7ad6b7169203331',
    'time=2026-11-21T09:00:06.000Z level=info msg="many attrs" ' + " ".join(f"k{i}=v{i}" for i in range(25)),
    'time=2026-11-21T09:00:06.001Z level=info msg="long attr" q=' + "y" * 300 + ' empty= dash=-',
]
# Lines of a shape learnt above that the fast path must still decline.
LATE_DECLINED = ['time=2026-11-21T09:00:06.001Z level=info msg="long attr" q=' + "y" * 301 + ' empty= dash=-',
                 'time=2026-11-21T09:00:03Z level=info msg="no fraction" request_id=-']


def _awkward_lines() -> list[str]:
    ids = ["f826214ba6d57201e8bc762ed17e9d90", "9c2bbfb0-2d77-41be-b210-8074be1f1099", "req-7"]
    usual = [USUAL.format(s=n % 10, ms=n % 1000, rid=ids[n % 3], n=n) for n in range(30)]
    return (usual[:10] + DECLINED + usual[10:20] + [line for line in LEARNT for _ in range(2)]
            + LATE_DECLINED + usual[20:])


def test_rows_path_reads_every_variant_the_same_and_declines_what_it_must(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = write(tmp_path, "app.log", "\n".join(_awkward_lines()) + "\n")
    monkeypatch.setattr(logfmt_rows, "LEARN_AFTER", 1)  # a small file: learn shapes at once
    monkeypatch.setattr(logfmt_rows, "LINES_PER_SHAPE", 0)
    general: list[int] = []
    monkeypatch.setattr(logfmt_rows, "row_of", lambda event, line: general.append(line) or row_of(event, line))
    rows, events = _rows_and_events(path)
    assert rows == events and len(rows) == 30 + len(DECLINED) + 2 * len(LEARNT) + len(LATE_DECLINED)
    # Only the declined lines and the first line of each shape (which teaches it) go
    # the general way: the usual line from line 2 on, and every learnt variant after
    # its shape's first line (times, ids, units, caps of every kind) come out fast.
    learnt = 11 + len(DECLINED) + 10
    shapes_first = [learnt + 2 * LEARNT.index(line) for line in
                    (LEARNT[0], LEARNT[10], LEARNT[13], LEARNT[14], LEARNT[16], LEARNT[17])]
    late = learnt + 2 * len(LEARNT)
    assert general == [1, *range(11, 11 + len(DECLINED)), *shapes_first, late, late + 1]
    assert_same_reading(path, "app/app.log")


def test_shapes_are_learnt_where_the_compiling_pays(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    compiled: list[int] = []
    compile_shapes = logfmt_rows._compile
    monkeypatch.setattr(logfmt_rows, "_compile", lambda specs: compiled.append(len(specs)) or compile_shapes(specs))
    shapes = [f'time=2026-11-21T09:00:01.000Z level=info msg="shape {n}" k{n}={{i}}' for n in range(40)]
    many = write(tmp_path, "many.log", "\n".join(shape.format(i=i) for i in range(3) for shape in shapes) + "\n")
    rows, events = _rows_and_events(many)  # 40 key sets, 3 lines each: only one is worth it
    assert rows == events and compiled == [1]
    compiled.clear()
    few = write(tmp_path, "few.log", "\n".join(shapes[i % 4].format(i=i) for i in range(5000)) + "\n")
    general: list[int] = []
    monkeypatch.setattr(logfmt_rows, "row_of", lambda event, line: general.append(line) or row_of(event, line))
    rows, events = _rows_and_events(few)
    # Line n has shape (n - 1) % 4. Shape 0 is learnt at its 3rd line (9); then one
    # more from line 1024, 2048 and 3072 on: the first general line there (1026 of
    # shape 1, 2048 of shape 3, 3075 of shape 2).
    assert compiled == [1, 2, 3, 4]
    assert len(general) == 3 + len(range(2, 1027, 4)) + len(range(4, 2049, 4)) + len(range(3, 3076, 4))
    assert max(general) == 3075
    assert rows == [row_of(event, event["line"]) for event in LOGFMT.parse(SourceFile(few, "few.log"),
                                                                           ParseContext("few.log"))]


def test_rows_path_hands_over_to_the_mixed_reader_with_parse_state(tmp_path: Path) -> None:
    lines = [USUAL.format(s=1, ms=n, rid="f826214ba6d57201e8bc762ed17e9d90", n=n) for n in range(5)]
    lines += ["panic: runtime error", "  goroutine 1 [running]:", "", "\tmain.main()",
              "I1121 09:00:02.000001       7 store.go:100] klog takes the year of the line before",
              *lines[:2], "plain words", 'ts=x level=info msg="after" request_id=r9']
    path = write(tmp_path, "app.log", "\n".join(lines) + "\n")
    rows, events = _rows_and_events(path)
    assert rows == events and len(rows) == 11
    assert rows[4][INDEX["attrs"]] == {"duration": "4ms"}  # held open, nothing to join
    assert rows[5][INDEX["message"]] == "panic: runtime error"
    assert rows[5][INDEX["attrs"]]["stack"] == "  goroutine 1 [running]:\n\tmain.main()"
    assert iso({"ts": rows[6][INDEX["ts"]]}) == "2026-11-21T09:00:02.000Z"
    assert [row[INDEX["line"]] for row in rows] == [1, 2, 3, 4, 5, 6, 10, 11, 12, 13, 14]


def test_rows_path_hands_over_the_newest_time_before_an_undated_line(tmp_path: Path) -> None:
    lines = ['time=2022-12-10T21:54:44Z level=info msg="dated" request_id=r1',
             'level=info msg="not dated" request_id=r2',
             "I1219 01:18:53.299220       1 file.go:138] klog takes 2022 from line 1"]
    path = write(tmp_path, "app.log", "\n".join(lines) + "\n")
    rows, events = _rows_and_events(path)
    assert rows == events
    assert iso({"ts": rows[2][INDEX["ts"]]}) == "2022-12-19T01:18:53.299Z"
    assert_same_reading(path, "app/app.log")


def test_rows_path_holds_the_newest_row_across_blocks(tmp_path: Path) -> None:
    count = BLOCK_ROWS + 5
    lines = [USUAL.format(s=n % 10, ms=n % 1000, rid="f826214ba6d57201e8bc762ed17e9d90", n=n)
             for n in range(count)]
    path = write(tmp_path, "app.log", "\n".join(lines[:BLOCK_ROWS + 1]) + "\n  continues the line before\n"
                 + "I1121 09:00:02.000001       7 store.go:100] klog\n" + "\n".join(lines[BLOCK_ROWS + 1:]) + "\n")
    blocks = list(LOGFMT.parse_rows(SourceFile(path, path.name), ParseContext(path.name)))
    assert len(blocks[0]) == BLOCK_ROWS
    rows = [row for block in blocks for row in block]
    assert rows == [row_of(event, event["line"]) for event in LOGFMT.parse(SourceFile(path, path.name),
                                                                           ParseContext(path.name))]
    assert rows[BLOCK_ROWS][INDEX["attrs"]]["stack"] == "  continues the line before"
    assert rows[BLOCK_ROWS][INDEX["line"]] == BLOCK_ROWS + 1


def test_a_truncated_gzip_keeps_the_same_rows_both_ways(tmp_path: Path) -> None:
    lines = [USUAL.format(s=n % 10, ms=n % 1000, rid="f826214ba6d57201e8bc762ed17e9d90", n=n)
             for n in range(80_000)]
    assert_truncated_gzip_reads_the_same(tmp_path / "pure.log.gz", lines)
    assert_truncated_gzip_reads_the_same(tmp_path / "small.log.gz", lines, keep=1 / 50)
    mixed = gzip.compress(("\n".join(lines[:30_000] + ["plain words"] + lines[30_000:]) + "\n").encode())
    path = tmp_path / "mixed.log.gz"
    path.write_bytes(mixed[: len(mixed) * 2 // 3])
    assert_same_reading(path)


_READ_KEYS = ["time", "ts", "level", "lvl", "service", "request_id", "trace_id", "span_id", "method",
              "path", "url", "status", "duration", "latency_ms", "request_time", "upstream", "fwd",
              "user_agent", "q", "hits"]
_REFUSED_KEYS = ["at", "code", "error", "err", "error_code", "measure#x.service", "dd.trace_id", "trace"]
_USUAL_VALUES = st.sampled_from([
    "2026-11-21T09:00:00.013Z", "2026-11-21T09:00:00Z", "2026-11-21T09:00:00.5z",
    "2026-11-21T09:00:00.123456789Z", "2026-11-21T09:00:00.1234567891Z", "2026-11-21 09:00:00.5Z",
    "2026-11-21T09:00:00,5Z", "2026-11-21T09:00:00.5+02:00", "2026-11-21T09:00:00.Z",
    "2026-11-21X09:00:00.5Z", "2026-02-30T09:00:00.5Z", "2026/11/21T09:00:00.5Z", "1700000000",
    "2026-11-21", "info", "ERROR", "GET", "get", "G3T", "/api/x?q=1", "https://h/a/b?c", "?", "200",
    "099", "20x", "3ms", "1.5s", "0.25", "120", "3m0s", "nan", "inf", "-1", "search-api", "8ms", "0s",
    "1x", "f826214ba6d57201e8bc762ed17e9d90", "9C2BBFB0-2D77-41BE-B210-8074BE1F1099", "req-abc",
    "null", "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01", "x" * 300, "a=b",
    "00000000000000000000000000000000", "Root=1-5759e988-bd862e3fe1be46a994272793", "--"])
_AWKWARD_VALUES = st.one_of(
    st.sampled_from(["", "-", "a b", "é", "a\u00a0b", "a\tb", "<", "\u2028", "a\rb", "x" * 301]),
    st.text(alphabet='ab-=<\\" é\u00a0\t.:/0', max_size=6))
_SHAPE_VALUES = st.one_of(_USUAL_VALUES, _USUAL_VALUES, _USUAL_VALUES, _AWKWARD_VALUES)
_SPECS = st.tuples(st.sampled_from(["msg", "message", "desc"]), st.booleans()).flatmap(
    lambda message: st.lists(st.tuples(st.sampled_from(_READ_KEYS + _READ_KEYS + _REFUSED_KEYS),
                                       st.booleans()),
                             max_size=7, unique_by=lambda token: token[0]).flatmap(
        lambda tokens: st.permutations([message] + tokens)))


def _line_of(spec: list[tuple[str, bool]], values: list[str]) -> str:
    return " ".join(f'{key}="{value}"' if quoted else f"{key}={value}"
                    for (key, quoted), value in zip(spec, values))


@settings(max_examples=400, deadline=None, database=None)
@given(_SPECS, st.data())
def test_fast_rows_equal_the_general_rows_or_decline(spec: list[tuple[str, bool]], data) -> None:
    texts = [_line_of(spec, [data.draw(_SHAPE_VALUES) for _ in spec]) for _ in range(3)]
    shapes = logfmt_rows._Shapes()
    with patch.object(logfmt_rows, "LEARN_AFTER", 1):
        for text in texts:
            found = split_pairs(text)
            if found is not None and not found[1]:
                shapes.learn(text, found[0], row_of(convert_pairs(*found), 7))
    for text in texts:
        match = shapes.match(text)
        if match is not None:
            event = LOGFMT.parse_line(text)
            event["line"] = 7
            assert shapes.builders[match.lastindex](match, 7) == row_of(event, 7)


_FILE_LINES = st.sampled_from([*LEARNT, *DECLINED[:4], *DECLINED[12:16],
                               'time=2022-12-10T21:54:44Z level=info msg="old" request_id=r6',
                               'level=info msg="no time" request_id=r5',
                               USUAL.format(s=1, ms=5, rid="req-1", n=1),
                               USUAL.format(s=2, ms=7, rid="9c2bbfb0-2d77-41be-b210-8074be1f1099", n=2),
                               "I1219 01:18:53.299220       1 file.go:138] boom", "    at Foo.bar(Foo.java:10)",
                               "Dec 19 01:18:53 host app[1]: syslog", "ValueError: boom", "just words", "", " "])


@settings(max_examples=150, deadline=None, database=None)
@given(st.lists(_FILE_LINES, max_size=14))
def test_rows_path_reads_generated_files_as_parse_does(tmp_path_factory: pytest.TempPathFactory,
                                                       lines: list[str]) -> None:
    path = tmp_path_factory.mktemp("logfmt") / "app.log"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    rows, events = _rows_and_events(path)
    assert rows == events


def test_a_value_the_converter_cannot_read_costs_its_line_nothing_more(tmp_path: Path,
                                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    """A stamp whose fraction has a superscript digit (isdigit() takes it, int() does
    not) once made the whole file an internal error; now the stamp is no time, and
    a line the converter still fails on is kept as a plain event, by both paths."""
    path = write(tmp_path, "svc.log",
                 'time=2026-11-21T09:00:00.0\u00b23Z level=info msg="odd stamp" service=x\n'
                 'time=2026-11-21T09:00:01.000Z level=info msg="boom" service=x\n'
                 'time=2026-11-21T09:00:02.000Z level=info msg="fine" service=x\n')
    result = read_source(path, "app/svc.log")
    assert result.info.status == "ok" and result.info.events == 3
    assert result.events[0]["ts"] is None and result.events[0]["message"] == "odd stamp"
    real_convert = convert_pairs

    def failing(pairs, bare):
        if pairs.get("msg") == "boom":
            raise ValueError("a converter bug")
        return real_convert(pairs, bare)

    monkeypatch.setattr("triage.ingest.logfmt.convert_pairs", failing)
    for frame in read_both_ways(path, "app/svc.log")[:2]:
        assert frame["message"].tolist()[1] == 'time=2026-11-21T09:00:01.000Z level=info msg="boom" service=x'
        assert frame["line"].tolist() == [1, 2, 3]
    assert_same_reading(path, "app/svc.log")

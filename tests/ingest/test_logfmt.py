"""logfmt lines with klog and plain lines mixed in (triage.ingest.logfmt)."""
from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from triage.ingest.base import Head, ParseContext, SourceFile
from triage.ingest.loader import read_source
from triage.ingest.logfmt import (FIELDS, LogfmtIngestor, _parse_mixed, _pick, _plain_pairs,
                                  _shape, _split_tokens, split_pairs)
from triage.ingest.text import Joiner, YearFixer
from tests.ingest.helpers import assert_well_typed, iso, write

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

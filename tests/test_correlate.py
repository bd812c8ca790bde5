"""Correlator: id normalisation across layers, clock skew, and the three link methods."""
from pathlib import Path

import pytest

from triage.correlate import correlate
from triage.ingest.loader import LoadedBuild, events_frame
from triage.model import SourceInfo, TestResult, TestStatus

T0 = 1_763_632_800.0  # 2025-11-20T10:00:00Z
RUNNER = "10.20.0.15"


def _build(events, tests, metadata=None):
    sources = sorted({e["source"] for e in events})
    layers = {e["source"]: e["layer"] for e in events}
    return LoadedBuild(
        build_id="t", path=Path("."), metadata=metadata or {}, tests=tests,
        events=events_frame(events),
        sources=[SourceInfo(path=s, format="x", layer=layers[s]) for s in sources],
        manifests={}, warnings=[])


def _request(rid, start, *, skew=0.0, status=200, client=RUNNER, ua="Mozilla/5.0", app_rid=None,
             trace=None):
    """One request through ingress (end time), gateway (start) and app (middle)."""
    return [
        {"source": "ingress.log", "layer": "ingress", "ts": start + 0.120, "request_id": rid,
         "status": status, "client_ip": client, "user_agent": ua, "method": "GET", "path": "/api/x",
         "message": f"GET /api/x {status}", "line": 1},
        {"source": "kong.log", "layer": "gateway", "ts": start + 0.005, "request_id": rid,
         "trace_id": trace, "status": status, "client_ip": "10.0.0.2", "message": f"GET /api/x {status}",
         "line": 1},
        {"source": "app.log", "layer": "app", "ts": start + 0.050 + skew,
         "request_id": app_rid or rid, "trace_id": trace, "level": "info", "message": "handled", "line": 1},
    ]


def _test(name, start, duration=3.0, **kw):
    return TestResult(name=name, suite="s", status=kw.pop("status", TestStatus.FAILED),
                      started_at=start, duration_s=duration, **kw)


def test_skewed_app_clock_is_estimated_and_corrected():
    events = []
    for i in range(40):
        rid = f"{i:08x}-aaaa-bbbb-cccc-{i:012x}"
        events += _request(rid, T0 + i * 5, skew=4.2, client="10.9.9.9")
    build = _build(events, [_test("t", T0)])
    result = correlate(build)
    app = result.offsets["app.log"]
    assert app.offset_s == pytest.approx(4.2 + 0.05 - 0.12, abs=0.05)  # vs ingress end times
    assert app.confidence > 0.8
    assert result.offsets["kong.log"].offset_s == 0.0  # 115 ms of latency is not skew
    corrected = result.events[result.events["source"] == "app.log"]["ts"].iloc[0]
    ingress = result.events[result.events["source"] == "ingress.log"]["ts"].iloc[0]
    assert abs((corrected - ingress).total_seconds()) < 0.2


def test_id_spellings_join_layers_and_ids_in_output_link():
    rid = "9f1c0000-aaaa-bbbb-cccc-ddddeeeeffff"
    events = _request(rid, T0 + 1, status=401, app_rid=rid.replace("-", "").upper())
    events += _request("11111111-2222-3333-4444-555555555555", T0 + 1.5)
    test = _test("pays", T0, message=f"expected 200, got 401 (x-request-id: {rid})")
    result = correlate(_build(events, [test]))
    failure = result.failures[0]
    assert [(l.method, l.request_key) for l in failure.links] == [
        ("id-in-output", "9f1c0000aaaabbbbccccddddeeeeffff")]
    logged = failure.timeline[failure.timeline["layer"] != "test"]
    assert sorted(logged["layer"].astype(str)) == ["app", "gateway", "ingress"]


def test_trace_id_bridges_a_layer_that_logs_only_the_trace():
    rid, trace = "aaaaaaaa-0000-0000-0000-000000000001", "0af7651916cd43dd8448eb211c80319c"
    events = _request(rid, T0, trace=trace)
    events.append({"source": "worker.log", "layer": "app", "ts": T0 + 0.3, "trace_id": trace,
                   "level": "error", "message": "job failed", "line": 7})
    result = correlate(_build(events, [_test("t", T0, message=f"see {rid}")]))
    timeline = result.failures[0].timeline
    assert "job failed" in set(timeline["message"])


def test_test_tag_in_user_agent_links_without_ids():
    events = _request("bbbbbbbb-0000-0000-0000-000000000002", T0 + 1,
                      ua="Mozilla/5.0 HeadlessChrome triage-test/shows-results-for-boots")
    events += _request("cccccccc-0000-0000-0000-000000000003", T0 + 1.2)
    result = correlate(_build(events, [_test("shows results for boots", T0)]))
    links = result.failures[0].links
    assert [(l.method, l.request_key) for l in links] == [
        ("test-tag", "bbbbbbbb000000000000000000000002")]


def test_time_window_and_runner_ip_when_nothing_else():
    inside = _request("dddddddd-0000-0000-0000-000000000004", T0 + 1)
    other_client = _request("eeeeeeee-0000-0000-0000-000000000005", T0 + 1, client="203.0.113.9")
    outside = _request("ffffffff-0000-0000-0000-000000000006", T0 + 60)
    build = _build(inside + other_client + outside, [_test("uploads", T0)], {"runner_ip": RUNNER})
    links = correlate(build).failures[0].links
    assert [(l.method, l.request_key) for l in links] == [
        ("time-window", "dddddddd000000000000000000000004")]
    assert links[0].confidence == pytest.approx(0.6)


def test_concurrent_tests_lower_window_confidence_and_missing_evidence_is_stated():
    events = _request("dddddddd-0000-0000-0000-000000000004", T0 + 1)
    tests = [_test("a", T0), _test("b", T0 + 0.5, status=TestStatus.PASSED)]
    build = _build(events, tests, {"runner_ip": RUNNER})
    assert correlate(build).failures[0].links[0].confidence == pytest.approx(0.3)
    lonely = _build(events, [_test("c", T0 + 500)], {"runner_ip": RUNNER})
    missing = correlate(lonely).failures[0].missing
    assert any("no request from the runner (10.20.0.15)" in m for m in missing)


def test_runner_ip_inferred_from_strong_links():
    rid = "12345678-0000-0000-0000-000000000007"
    events = _request(rid, T0 + 1) + _request("87654321-0000-0000-0000-000000000008", T0 + 101)
    tests = [_test("a", T0, message=f"id {rid}"), _test("b", T0 + 100)]
    result = correlate(_build(events, tests))
    assert result.runner_ip == RUNNER and result.runner_ip_origin == "inferred"
    assert result.failures[1].links[0].method == "time-window"


def test_tag_must_be_the_whole_slug_and_header_tags_count():
    events = _request("bbbbbbbb-0000-0000-0000-000000000009", T0 + 1, ua="Mozilla/5.0 triage-test/login-sso")
    events[1]["attrs"] = {"request_x-test-name": "login"}  # the gateway logged the header
    events += _request("cccccccc-0000-0000-0000-00000000000a", T0 + 2, ua="Mozilla/5.0 triage-test/login")
    links = correlate(_build(events, [_test("login", T0)])).failures[0].links
    assert sorted(l.request_key for l in links) == ["bbbbbbbb000000000000000000000009",
                                                    "cccccccc00000000000000000000000a"]
    only_sso = _request("dddddddd-0000-0000-0000-00000000000b", T0 + 1, ua="x triage-test/login-sso")
    assert correlate(_build(only_sso, [_test("login", T0)])).failures[0].links == []


def test_evidence_from_a_row_with_missing_values_has_none_not_nan():
    import numpy as np
    import pandas as pd

    from triage.classify.engine import to_evidence

    evidence = to_evidence({"layer": "app", "source": "x.log", "line": 3, "level": np.nan,
                            "message": np.nan, "status": pd.NA, "ts": pd.NaT, "request_id": np.nan})
    assert (evidence.level, evidence.message, evidence.status, evidence.ts, evidence.request_id) == \
        (None, "", None, None, None)

"""The correlator against a slow reference written plainly here.

The correlator works on integer codes (ids read as hex numbers, groups as labels
spread over the id graph, clock offsets on arrays indexed by key code). This file
recomputes the same answers with dicts, sets and loops over every event:
union-find for the groups, a dict of first-seen times per source for the clock
offsets, a scan of every event for each link method and each timeline. The two
must agree exactly on sample build 1234, on a generated failure window, and on
events made to stress the id graph (chains of ids, ids that share their first 16
digits, 16- and 32-digit ids, ids that are not hex at all).
"""
from __future__ import annotations

import math
import random
import re
import statistics
from collections import Counter
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import triage
import triage.correlate as correlator
from triage.correlate import CONTEXT_LEVELS, correlate
from triage.correlate.clock import MIN_OFFSET_S, MIN_SHARED, ClockOffset, epoch_seconds
from triage.correlate.groups import group_requests, smallest_connected
from triage.correlate.hexids import find_words, hex_words, rank_words, spell_words
from triage.correlate.links import TAG_HEADERS, concurrency_of, slug
from triage.ingest.ids import ids_in_text
from triage.ingest.loader import LoadedBuild, events_frame
from triage.model import SourceInfo, TestResult, TestStatus

SAMPLE_DATA = Path(__file__).resolve().parents[1] / "sample_data"
LAYER_ORDER = {"ingress": 0, "gateway": 1, "app": 2, "dependency": 3}


def _present(value) -> bool:
    return not (value is None or (not isinstance(value, str) and pd.isna(value)))


def reference_keys(events: pd.DataFrame) -> list[str | None]:
    """Union-find over the ids; the smaller root wins, so a root is its group's smallest id."""
    parent: dict[str, str] = {}

    def find(x: str) -> str:
        while parent[x] != x:
            x = parent[x]
        return x

    for request_id, trace_id in zip(events["request_id"], events["trace_id"]):
        ids = [v for v in (request_id, trace_id) if _present(v)]
        for v in ids:
            parent.setdefault(v, v)
        if len(ids) == 2:
            a, b = find(ids[0]), find(ids[1])
            parent[max(a, b)] = min(a, b)
    return [find(r) if _present(r) else find(t) if _present(t) else None
            for r, t in zip(events["request_id"], events["trace_id"])]


def reference_offsets(events: pd.DataFrame, keys: list, layer_of: dict[str, str]) -> dict[str, ClockOffset]:
    first: dict[str, dict[str, float]] = {}
    for source, key, t in zip(events["source"], keys, epoch_seconds(events["ts"])):
        if key is not None and _present(source) and not math.isnan(t):
            seen = first.setdefault(str(source), {})
            seen[key] = min(seen.get(key, t), t)
    in_order = dict.fromkeys(str(s) for s in events["source"] if _present(s))
    offsets = {s: ClockOffset(s, 0.0, 0.0, 0, None, 0.0) for s in in_order}
    if not first:
        return offsets

    def rank(s: str):
        coarse = sum(t % 1.0 == 0 for t in first[s].values()) / len(first[s]) > 0.5
        return coarse, LAYER_ORDER.get(layer_of.get(s, ""), 9), -len(first[s]), s

    reference = min(first, key=rank)
    aligned = dict(first[reference])
    offsets[reference] = ClockOffset(reference, 0.0, 1.0, len(aligned), None, 0.0)
    pending = sorted(set(first) - {reference})
    while pending:
        best = max(pending, key=lambda s: (len(first[s].keys() & aligned.keys()), -pending.index(s)))
        diffs = [first[best][k] - aligned[k] for k in first[best] if k in aligned]
        if not diffs:
            break
        median = statistics.median(diffs)
        spread = statistics.median(abs(d - median) for d in diffs)
        count = len(diffs)
        applied = median if (abs(median) >= MIN_OFFSET_S and count >= MIN_SHARED
                             and abs(median) > 3 * spread) else 0.0
        confidence = round(count / (count + 5) * (1.0 / (1.0 + spread)), 3)
        offsets[best] = ClockOffset(best, applied, confidence, count, reference, median)
        for k, t in first[best].items():
            aligned.setdefault(k, t - applied)
        pending.remove(best)
    return offsets


def _tag_of(attrs) -> str | None:
    if isinstance(attrs, dict):
        for header in TAG_HEADERS:
            if attrs.get(header) or attrs.get("request_" + header):
                return str(attrs.get(header) or attrs.get("request_" + header))
    return None


def reference_links(build: LoadedBuild, events: pd.DataFrame, keys: list) -> tuple[list, str | None]:
    """(method, key, confidence, reason) per failed test, and the runner IP."""
    key_of_id = {v: k for r, t, k in zip(events["request_id"], events["trace_id"], keys)
                 for v in (r, t) if _present(v)}
    rows = list(zip(keys, events["user_agent"], events["attrs"], events["client_ip"], events["ts"]))
    failed = [t for t in build.tests if t.failed]
    strong = []
    for test in failed:
        links = {}
        for found in sorted(ids_in_text(test.text())):
            if found in key_of_id and key_of_id[found] not in links:
                links[key_of_id[found]] = ("id-in-output", key_of_id[found], 0.95, f"id {found} printed by the test")
        tags = {test.name.lower(), slug(test.name), f"{test.suite}::{test.name}".lower()}
        whole = re.compile(r"(?:triage-test/|test=)" + re.escape(slug(test.name)) + r"(?![^\W_]|-)")
        tagged = {key for key, agent, attrs, _, _ in rows if key is not None and (
            (_tag_of(attrs) or "").lower() in tags
            or (slug(test.name) and _present(agent) and whole.search(str(agent).lower())))}
        for key in sorted(tagged - set(links)):
            links[key] = ("test-tag", key, 0.85, f"tagged with test '{test.name}'")
        strong.append(list(links.values()))
    runner = build.metadata.get("runner_ip")
    if not runner:
        linked = {link[1] for links in strong for link in links}
        ips = Counter(ip for key, _, _, ip, ts in rows if key in linked and _present(ip) and _present(ts))
        runner = ips.most_common(1)[0][0] if ips else None
    taken = {link[1] for links in strong for link in links}
    result = []
    for test, links in zip(failed, strong):
        if not links and runner and test.started_at is not None:
            start = pd.Timestamp(test.started_at - 2.0, unit="s", tz="UTC")
            end = pd.Timestamp(test.started_at + (test.duration_s or 0.0) + 2.0, unit="s", tz="UTC")
            near = {key for key, _, _, ip, ts in rows
                    if key is not None and ip == runner and _present(ts) and start <= ts <= end}
            confidence = round(0.6 / max(1, concurrency_of(test, build.tests)), 3)
            links = [("time-window", key, confidence, f"from runner {runner} during the test")
                     for key in sorted(near - taken)]
        result.append(links)
    return result, runner


def reference_timeline(events: pd.DataFrame, keys: list, test: TestResult, links: list) -> list[tuple]:
    """(source, line, message, link method) of each timeline row, in timeline order."""
    method = {link[1]: link[0] for link in links}
    rows = [(r.ts, r.layer, r.line, r.source, r.message, "self") for r in correlator.test_events(test).itertuples()]
    rows += [(r.ts, r.layer, r.line, r.source, r.message, method[key])
             for r, key in zip(events.itertuples(), keys) if key in method]
    if test.started_at is not None:
        start = pd.Timestamp(test.started_at - 2.0, unit="s", tz="UTC")
        end = pd.Timestamp(test.started_at + (test.duration_s or 0.0) + 2.0, unit="s", tz="UTC")
        rows += [(r.ts, r.layer, r.line, r.source, r.message, "time-window-context")
                 for r, key in zip(events.itertuples(), keys)
                 if key is None and r.level in CONTEXT_LEVELS and _present(r.ts) and start <= r.ts <= end]
    assert len(rows) <= 400, "the reference leaves out the timeline cap"

    def order(row):  # missing values first, as the timeline sorts
        ts, layer, line = row[:3]
        return (_present(ts), ts if _present(ts) else 0, _present(layer), str(layer) if _present(layer) else "",
                _present(line), int(line) if _present(line) else 0)

    return [(str(r[3]), int(r[2]) if _present(r[2]) else None, r[4], r[5]) for r in sorted(rows, key=order)]


def assert_matches_reference(build: LoadedBuild) -> None:
    result = correlate(build)
    keys = reference_keys(build.events)
    assert [None if pd.isna(k) else k for k in result.events["key"]] == keys
    layer_of = {s.path: s.layer or "" for s in build.sources}
    assert result.offsets == reference_offsets(build.events, keys, layer_of)
    links, runner = reference_links(build, result.events, keys)
    assert result.runner_ip == runner
    assert [[(l.method, l.request_key, l.confidence, l.detail) for l in f.links] for f in result.failures] == links
    for failure, expected in zip(result.failures, links):
        timeline = failure.timeline
        assert list(zip(timeline["source"].astype(str), [None if pd.isna(v) else int(v) for v in timeline["line"]],
                        timeline["message"], timeline["link_method"])) == \
            reference_timeline(result.events, keys, failure.test, expected)


def test_sample_build_1234_matches_the_reference():
    build = triage.load_build("1234", SAMPLE_DATA)
    assert sum(t.failed for t in build.tests) == 4
    assert_matches_reference(build)


def test_generated_window_matches_the_reference(tmp_path):
    from triage.synth.window import generate_window

    generate_window(tmp_path, events=10_000, seed=11)
    build = triage.load_build("bench", tmp_path)
    result = correlate(build)
    assert [len(f.links) for f in result.failures] == [6, 6, 13, 6]  # ids, tags, window, ids
    assert_matches_reference(build)


def _hex(rnd: random.Random, digits: int) -> str:
    return "".join(rnd.choice("0123456789abcdef") for _ in range(digits))


def stress_build(seed: int, *, foreign_ids: bool) -> LoadedBuild:
    """400 requests through ingress, gateway and a skewed app; trace ids shared at
    random join them in chains and stars; ids share their first 16 digits, some
    are 16 digits long, some events lack ids; tags, a runner and id-less errors.
    ``foreign_ids`` makes some ids not hex (the general path)."""
    rnd = random.Random(seed)
    t0 = 1_763_632_800.0
    head = _hex(rnd, 16)
    kinds = [lambda: _hex(rnd, 32)] * 6 + [lambda: head + _hex(rnd, 16), lambda: _hex(rnd, 16)]
    if foreign_ids:
        kinds += [lambda: f"order-{rnd.randrange(10**6)}", lambda: f"GQ{_hex(rnd, 8)}FL="]
    request_ids = [head, head + "0" * 16] + [rnd.choice(kinds)() for _ in range(398)]
    traces = [_hex(rnd, 32) for _ in range(300)]
    events, line = [], 0

    def log(source, layer, ts, **fields):
        nonlocal line
        line += 1
        events.append({"source": source, "layer": layer, "line": line, "ts": ts, "message": f"event {line}",
                       "attrs": {"k": "v"}, **fields})

    for i, request_id in enumerate(request_ids):
        start = t0 + i * 0.5 + rnd.random() / 10
        trace = rnd.choice(traces)
        agent = "x triage-test/checkout" if 40 <= i < 44 else "x triage-test/checkout-sso" if i == 45 else "Mozilla/5.0"
        log("ingress.log", "ingress", start + 0.1, request_id=request_id, status=rnd.choice([200, 200, 500]),
            client_ip="10.20.0.15" if i % 3 else "10.0.0.9", user_agent=agent)
        log("kong.log", "gateway", start + 0.005, request_id=request_id, trace_id=trace, client_ip="10.0.0.2",
            attrs={"request_x-test-name": "Search"} if 120 <= i < 123 else {"k": "v"})
        log("app.log", "app", start + 7.25 + rnd.random() / 20, request_id=None if i % 4 == 0 else request_id,
            trace_id=trace if i % 2 else None, level=rnd.choice(["info", "warn", "error"]))
        if i % 20 == 0:
            log("app.log", "app", start + 7.3, level="error", message="TLS handshake failed")
    named = [r for r in request_ids if r.startswith(head)][:2] + [request_ids[200], traces[7]]
    tests = [TestResult(name="checkout", suite="s", status=TestStatus.FAILED, started_at=t0 + 19, duration_s=3.0),
             TestResult(name="search", suite="s", status=TestStatus.FAILED, started_at=t0 + 60, duration_s=2.0),
             TestResult(name="pays", suite="s", status=TestStatus.FAILED, started_at=t0 + 100, duration_s=1.0,
                        message="got 500 for " + ", ".join(named) + " and " + "0" * 31 + "1"),
             TestResult(name="uploads", suite="s", status=TestStatus.FAILED, started_at=t0 + 150, duration_s=2.0),
             TestResult(name="lists", suite="s", status=TestStatus.PASSED, started_at=t0 + 149, duration_s=2.0)]
    return LoadedBuild(build_id="stress", path=Path("."), metadata={}, tests=tests, events=events_frame(events),
                       sources=[SourceInfo(path=s, format="x", layer=layer)
                                for s, layer in [("ingress.log", "ingress"), ("kong.log", "gateway"),
                                                 ("app.log", "app")]],
                       manifests={}, warnings=[])


@pytest.mark.parametrize("seed", [1, 2, 3])
@pytest.mark.parametrize("foreign_ids", [False, True])
def test_stress_events_match_the_reference(seed, foreign_ids):
    build = stress_build(seed, foreign_ids=foreign_ids)
    assert (hex_words(build.events["request_id"].to_numpy(dtype=object)) is None) == foreign_ids
    result = correlate(build)
    assert result.offsets["app.log"].offset_s == pytest.approx(7.25 - 0.1, abs=0.05)
    assert result.runner_ip_origin == "inferred"
    assert {link.method for f in result.failures for link in f.links} == {
        "id-in-output", "test-tag", "time-window"}
    assert_matches_reference(build)


def test_group_lookup_by_id_finds_every_spelling_and_nothing_else():
    build = stress_build(4, foreign_ids=False)
    groups = group_requests(build.events)
    keys = dict(zip(build.events["request_id"], reference_keys(build.events)))
    keys.update(zip(build.events["trace_id"], reference_keys(build.events)))
    keys = {k: v for k, v in keys.items() if _present(k)}
    assert groups.keys_of(list(keys) + ["0" * 32, "f" * 16, "not-an-id", "ABCDEF0123456789"]) == keys
    assert groups.keys_of(["0" * 32]) == {}


def test_hex_words_read_only_lower_case_hex_of_16_or_32_digits():
    good = np.array(["0123456789abcdef", "0123456789abcdef" * 2, None, np.nan, "f" * 32], dtype=object)
    words, present = hex_words(good)
    assert present.tolist() == [True, True, False, False, True]
    assert [hex(int(x)) for x in words[:, 1]] == ["0x123456789abcdef", "0x1", "0x123456789abcdef"]
    for bad in ["0123456789ABCDEF", "0123456789abcde", "0123456789abcdef0", "0" * 31 + "g", "w" * 16, "0" * 15 + "`",
                "0123456789abcdef" * 2 + "\x00", "0123456789abcdef\x00", "0" * 30 + "é", "None", b"0" * 16, 7]:
        assert hex_words(np.array(["a" * 32, bad], dtype=object)) is None, repr(bad)
    for code in range(1, 256):  # every character, at every position of a word
        spelled = "0" * (code % 32) + chr(code) + "0" * (31 - code % 32)
        accepted = hex_words(np.array([spelled], dtype=object)) is not None
        assert accepted == (chr(code) in "0123456789abcdef"), code


def test_hex_words_rank_exactly_as_the_strings_sort():
    rnd = random.Random(5)
    head = _hex(rnd, 16)
    ids = [head, head + "0" * 16, head + "0" * 15 + "1", _hex(rnd, 16), "0" * 16, "f" * 32]
    ids += [head[:-1] + "0" + _hex(rnd, 16), head + _hex(rnd, 16)] + [_hex(rnd, rnd.choice([16, 32])) for _ in range(300)]
    values = np.array([rnd.choice(ids) for _ in range(2000)], dtype=object)
    ranks, sorted_words = rank_words(hex_words(values)[0])
    distinct = sorted(set(values))
    assert ranks.tolist() == [distinct.index(v) for v in values]
    assert spell_words(sorted_words).tolist() == distinct
    assert find_words(sorted_words, distinct + ["0" * 32]) == {v: i for i, v in enumerate(distinct)}


def test_smallest_connected_matches_union_find_on_chains_and_random_graphs():
    rnd = random.Random(9)
    for count, edges in [(2000, 1500), (2000, 4000), (500, 0)]:
        left = np.array([rnd.randrange(count) for _ in range(edges)], dtype=np.int64)
        right = np.array([rnd.randrange(count) for _ in range(edges)], dtype=np.int64)
        chain = rnd.sample(range(count), 400)  # one long path in random order of labels
        left, right = np.concatenate([left, chain[:-1]]), np.concatenate([right, chain[1:]])
        parent = list(range(count))

        def find(x: int) -> int:
            while parent[x] != x:
                x = parent[x]
            return x

        for a, b in zip(left.tolist(), right.tolist()):
            ra, rb = find(a), find(b)
            parent[max(ra, rb)] = min(ra, rb)
        assert smallest_connected(count, left, right).tolist() == [find(x) for x in range(count)]

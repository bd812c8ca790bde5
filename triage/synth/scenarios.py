"""Builds 1230 (staging, all green) and 1234 (canary, four failures), plus the
scaffolding every build shares: build.json, file layout, truth keys.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from triage.synth import envs, formats
from triage.synth.reports import playwright_json
from triage.synth.runner import Case, run
from triage.synth.shop_suite import FAULTS, Faults, shop_specs
from triage.synth.traffic import World, background, emit, unrelated_errors
from triage.synth.world import CHROME_UA, Rand, iso_s, to_ms
from triage.synth.writer import Sink

INGRESS_FILE = "logs/ingress/ingress-nginx.log"
KONG_FILE = "logs/gateway/kong.log"
ENVOY_FILE = "logs/gateway/istio-ingressgateway.log"
RELEASE_COMMIT = "3f9c2e17a4d85b60c1e9f2a7d3b48e6c0a15f972"
RELEASE_TAG = "2026.47.2-3f9c2e1"
RUNNER_IP = "10.20.0.15"
SHOP_SERVICES = ("web-bff", "auth-service", "checkout-api", "cart-api", "search-api", "catalog-api")


@dataclass
class Built:
    """What a build generator hands back: its files, truth and a description."""

    build: str
    sink: Sink
    truth: dict[str, str]
    summary: str
    notes: list[str] = field(default_factory=list)
    links: dict[str, str] = field(default_factory=dict)  # truth key -> how a test finds its requests


def new_world(build: str, env: str = "canary", **kw: Any) -> World:
    """A world seeded by the build id alone, so builds never disturb each other."""
    return World(build=build, rnd=Rand(f"triage-synth/{build}"), domain=f"{env}.shop.example",
                 runner_ip=kw.pop("runner_ip", RUNNER_IP), **kw)


def build_json(build: str, env: str, start: int, end: int, *, runner: str, runner_ip: str = RUNNER_IP,
               commit: str = RELEASE_COMMIT, tag: str = RELEASE_TAG, flags: dict[str, Any] | None = None,
               browser: str = "chromium 130.0.6723.31", **extra: Any) -> str:
    """``build.json`` with every key CONTRACT §1 lists (baseline 1230 for canaries)."""
    doc: dict[str, Any] = {
        "build": build, "env": env, "commit": commit,
        "image": f"{envs.REGISTRY}/release:{tag}",
        "started_at": iso_s(start), "finished_at": iso_s(end),
        "runner": runner, "runner_ip": runner_ip, "browser": browser, "region": "eu-west-1",
        "flags": flags if flags is not None else envs.FLAGS[env if env in envs.FLAGS else "canary"],
        "trigger": "deploy", "pipeline": "release-validation",
    }
    if env != "staging":
        doc["baseline"] = "1230"
    doc.update(extra)
    return json.dumps(doc, indent=2, sort_keys=True) + "\n"


def truth_key(case: Case) -> str:
    return f"{case.spec.suite}::{case.spec.title}"


def failing_truth(cases: list[Case], key=truth_key) -> dict[str, str]:
    """Ground truth for every test that failed at least once (flaky ones too)."""
    return {key(c): c.spec.category or "unknown"
            for c in cases if any(a.failure is not None for a in c.attempts)}


def link_methods(cases: list[Case], key=truth_key) -> dict[str, str]:
    """How triage can tie each failing test to its requests (CONTRACT's three methods)."""
    found = {}
    for case in cases:
        if not any(a.failure is not None for a in case.attempts):
            continue
        spec = case.spec
        if not any(a.requests for a in case.attempts):
            method = "none: no request of this test reached a logged layer"
        elif spec.ids in ("send", "print"):
            method = "request id in the test output"
        elif spec.tagged:
            method = "test tag (x-test-name header, User-Agent triage-test/<slug>)"
        else:
            method = "time window + runner IP only"
        found[key(case)] = method
    return found


def add_env(sink: Sink, env: str, tag: str = RELEASE_TAG, overrides: dict[str, str] | None = None) -> None:
    for name, text in envs.manifests(env, tag, overrides).items():
        sink.document(f"env/{env}/{name}", text)


def truncated_lines(world: World, at: int) -> None:
    """The two malformed lines of build 1234: a cut ingress line and a cut Kong line.

    Both requests really happened (the other layers log them normally); only
    one layer's line about each was cut short, as a crash mid-write leaves it.
    """
    pool = ("198.51.100.23", "203.0.113.61")
    cut = world.request(at, "GET", "/api/products/17", client_ip=pool[0],
                        ua="Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36", host=world.domain)
    world.requests.remove(cut)
    text = formats.ingress_nginx(cut, world.gateway)
    world.extra.append((INGRESS_FILE, cut.end, text[: text.index('" 200 ') - 4],
                        "malformed | ingress line cut mid-request"))
    world.extra.append((KONG_FILE, cut.gw_end, formats.kong(cut), ""))
    broken = world.request(at + 41_000, "GET", "/api/cart", client_ip=pool[1], ua=CHROME_UA,
                           host=world.domain)
    world.requests.remove(broken)
    world.extra.append((INGRESS_FILE, broken.end, formats.ingress_nginx(broken, world.gateway), ""))
    line = formats.kong(broken)
    world.extra.append((KONG_FILE, broken.gw_end, line[: int(len(line) * 0.62)],
                        "malformed | kong JSON line cut"))


def shop_build(build: str, env: str, started: str, faults: tuple[str, ...],
               runner_ip: str = RUNNER_IP) -> tuple[World, Sink, list[Case], int, int]:
    """Run the 12-test Playwright suite against ``env`` with ``faults`` live."""
    start = to_ms(started)
    world = new_world(build, env, services=SHOP_SERVICES, runner_ip=runner_ip,
                      skew_ms={"checkout-api": 4200} if build == "1234" else {})
    tests_start = start + 52_000
    retries = 1 if env == "canary" else 0
    cases, tests_end = run(world, shop_specs(Faults(faults)), tests_start, retries=retries, ua=CHROME_UA)
    rate = 2.4 if env == "canary" else 0.8
    background(world, tests_start - 150_000, tests_end + 120_000, rate)
    unrelated_errors(world, tests_start - 60_000, tests_end + 40_000)
    sink = Sink()
    sink.document("reports/playwright-report.json",
                  playwright_json(cases, start=tests_start, end=tests_end, retries=retries,
                                  base_url=f"https://{world.domain}"))
    return world, sink, cases, start, tests_end + 25_000


def build_1230() -> Built:
    """Staging baseline: the 12-test suite, all green. Returns the build's files and truth."""
    world, sink, cases, start, end = shop_build("1230", "staging", "2026-11-20T08:02:31Z", (),
                                                runner_ip="10.20.0.12")
    emit(world, sink, INGRESS_FILE, KONG_FILE)
    sink.gzip(INGRESS_FILE, KONG_FILE, "logs/app/catalog-api.log")
    sink.document("build.json", build_json("1230", "staging", start, end, runner="gha-runner-staging-02",
                                           runner_ip="10.20.0.12"))
    add_env(sink, "staging")
    return Built("1230", sink, failing_truth(cases), links=link_methods(cases), summary=
                 "staging baseline: the same 12 Playwright tests as 1234, all pass.")


def build_1234() -> Built:
    """Canary with four live faults, a skewed checkout-api clock and two cut lines."""
    world, sink, cases, start, end = shop_build("1234", "canary", "2026-11-20T10:00:07Z", FAULTS)
    truncated_lines(world, start + 71_000)
    emit(world, sink, INGRESS_FILE, KONG_FILE)
    sink.gzip(INGRESS_FILE, KONG_FILE, "logs/app/catalog-api.log")
    sink.document("build.json", build_json("1234", "canary", start, end, runner="gha-runner-canary-07"))
    add_env(sink, "canary")
    add_env(sink, "staging")
    notes = ["logs/app/checkout-api.log is written by a pod whose clock runs 4.2 s fast.",
             "cart-api (logfmt) logs request ids without dashes (32 hex).",
             "Kong's file-log has custom_fields_by_lua `error`; a 401 from the JWT plugin has no "
             "upstream try and latencies.proxy = -1, as Kong writes it."]
    return Built("1234", sink, failing_truth(cases), links=link_methods(cases), summary=
                 "canary: 12 Playwright tests, 3 failed + 1 flaky (auth, dependency, config, "
                 "flaky-timing); 2 malformed lines.", notes=notes)


"""The benchmark failure window: N log events over one hour, streamed to disk.

``generate_window`` writes ``OUT/builds/bench/``: build.json, a Playwright
report of 50 tests (the four failures of build 1234 among them, with the same
evidence) and exactly N log lines over four sources, about 30% ingress-nginx,
30% Kong, 25% ECS JSON and 15% logfmt. Background requests are generated in
time order and pass through small per-file reorder heaps (each log is written
in the order its tool writes it: at request end), then written in large chunks.
"""
from __future__ import annotations

import heapq
import json
import time
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Callable

from triage.synth import formats
from triage.synth.reports import playwright_json
from triage.synth.runner import Case, Failure, Session, Spec, run
from triage.synth.scenarios import RUNNER_IP
from triage.synth.shop_suite import FAULTS, Faults, shop_specs
from triage.synth.traffic import SEARCH_TERMS, Client, World, clients
from triage.synth.world import CHROME_UA, SERVICES, AppEvent, Rand, Request, iso_s, to_ms

WINDOW_MS = 3_600_000
START = to_ms("2026-11-21T09:00:00Z")
SLACK_MS = 10_000          # reorder horizon: no request outlives this
CHUNK = 8192
FILES = {"ingress": "logs/ingress/ingress-nginx.log", "gateway": "logs/gateway/kong.log",
         "ecs": "logs/app/ecs-services.log", "logfmt": "logs/app/logfmt-services.log"}
ECS_SERVICES = ("checkout-api", "catalog-api", "web-bff")
ECS_PATHS = {"checkout-api": ("/api/checkout/summary", "/api/cart/checkout"),
             "catalog-api": ("/api/products/{n}", "/api/products/{n}/price"),
             "web-bff": ("/api/profile", "/api/session/refresh")}
MIN_EVENTS = 10_000


@dataclass
class WindowStats:
    root: Path
    events: int
    seconds: float
    per_file: dict[str, int]
    truth: dict[str, str]


class _Out:
    """One log file behind a reorder heap; lines leave once the watermark passes them."""

    def __init__(self, path: Path):
        path.parent.mkdir(parents=True, exist_ok=True)
        self.fh: IO[str] = open(path, "w", encoding="utf-8", newline="\n")
        self.heap: list[tuple[int, int, str]] = []
        self.buffer: list[str] = []
        self.count = 0
        self.seq = 0

    def push(self, key: int, line: str) -> None:
        self.seq += 1
        heapq.heappush(self.heap, (key, self.seq, line))

    def flush(self, watermark: int) -> None:
        heap, buffer = self.heap, self.buffer
        while heap and heap[0][0] <= watermark:
            buffer.append(heapq.heappop(heap)[2])
        if len(buffer) >= CHUNK:
            self._drain()

    def _drain(self) -> None:
        if self.buffer:
            self.fh.write("\n".join(self.buffer) + "\n")
            self.count += len(self.buffer)
            self.buffer.clear()

    def close(self) -> None:
        self.flush(1 << 62)
        self._drain()
        self.fh.close()


def _bench_specs() -> list[Spec]:
    """The 12 shop tests plus 38 passing ones: 50 in all."""
    specs = shop_specs(Faults(FAULTS))
    for n in range(38):
        kind = n % 3
        path = (f"catalog-{n // 10}.spec.ts", "catalog")
        title = f"browses category {n} and opens product {100 + n}"
        calls = (("GET", f"/api/products?category=c{n}"), ("GET", f"/api/products/{100 + n}"))
        specs.append(Spec(path, title, 8 + n, _calls(calls), ids="print" if kind == 0 else "none",
                          tagged=kind == 1))
    return specs


def _calls(calls: tuple[tuple[str, str], ...]) -> Callable[[Session, int], Failure | None]:
    def script(s: Session, retry: int) -> Failure | None:
        s.page("/")
        for method, path in calls:
            s.call(method, path, host=s.world.domain)
        return None
    return script


def _test_traffic(rnd_seed: int) -> tuple[World, list[Case], int, int]:
    world = World(build="bench", rnd=Rand(f"bench-tests/{rnd_seed}"), domain="canary.shop.example",
                  runner_ip=RUNNER_IP, services=("web-bff", "auth-service", "checkout-api", "cart-api",
                                                 "search-api", "catalog-api"))
    t0 = START + 20 * 60_000
    cases, t1 = run(world, _bench_specs(), t0, retries=1, ua=CHROME_UA)
    return world, cases, t0, t1


def _special_lines(world: World, outs: dict[str, _Out]) -> dict[str, int]:
    counts = dict.fromkeys(FILES, 0)
    for req in world.requests:
        outs["ingress"].push(req.end, formats.ingress_nginx(req, "kong"))
        counts["ingress"] += 1
        if req.service or req.short_circuit:
            outs["gateway"].push(req.gw_end, formats.kong(req))
            counts["gateway"] += 1
    for ev in world.events:
        flavour = SERVICES[ev.service].flavour
        family = "logfmt" if flavour == "logfmt" else "ecs"
        text = formats.APP_RENDERERS[flavour](ev, ev.ms, ev.service == world.dashless)
        outs[family].push(ev.ms, text)
        counts[family] += 1
    return counts


def _quotas(events: int, special: dict[str, int]) -> dict[str, int]:
    ingress = round(events * 0.30)
    requests = ingress - special["ingress"]
    gateway = special["gateway"] + requests
    ecs = round(events * 0.25) - special["ecs"]
    logfmt = events - ingress - gateway - ecs - special["ecs"] - special["logfmt"]
    quotas = {"requests": requests, "ecs": ecs, "logfmt": logfmt}
    if min(quotas.values()) <= 0:
        raise ValueError(f"--events {events} is too small for the 50-test window; use at least {MIN_EVENTS}")
    return quotas


class _Select:
    """Knuth's selection sampling: exactly ``k`` of the next ``n`` draws say yes."""

    def __init__(self, rnd: Rand, k: int, n: int):
        self.rnd, self.k, self.n = rnd, k, n

    def __call__(self) -> bool:
        yes = self.n > 0 and self.rnd.random() * self.n < self.k
        self.n -= 1
        if yes:
            self.k -= 1
        return yes


def _background(rnd: Rand, outs: dict[str, _Out], quotas: dict[str, int]) -> None:
    requests = quotas["requests"]
    n_logfmt = min(requests * 3 // 10, quotas["logfmt"])
    n_ecs = requests - n_logfmt
    if n_ecs > quotas["ecs"]:
        raise ValueError("--events too small for the ECS share")
    is_search = _Select(rnd, n_logfmt, requests)
    ecs_extra = _Select(rnd, quotas["ecs"] - n_ecs, n_ecs)
    logfmt_extra = _Select(rnd, quotas["logfmt"] - n_logfmt, n_logfmt)
    ecs_many = (quotas["ecs"] - n_ecs) // max(n_ecs, 1)
    fmt_many = (quotas["logfmt"] - n_logfmt) // max(n_logfmt, 1)
    ecs_extra.k -= ecs_many * n_ecs
    logfmt_extra.k -= fmt_many * n_logfmt
    pool = clients(rnd, 200)
    mean_gap = WINDOW_MS / requests
    t = float(START)
    ingress, gateway, ecs, logfmt = outs["ingress"], outs["gateway"], outs["ecs"], outs["logfmt"]
    render_logfmt = formats.logfmt
    for _ in range(requests):
        t += rnd.expovariate(1.0 / mean_gap)
        ms = int(t)
        client = pool[rnd.randrange(len(pool))]
        search = is_search()
        req = _bg_request(rnd, ms, client, search)
        ingress.push(req.end, formats.ingress_nginx(req, "kong"))
        gateway.push(req.gw_end, formats.kong(req))
        fields = {"status": req.status, "duration_ms": req.app_ms}
        if search:
            extra = fmt_many + logfmt_extra()
            for k in range(extra):
                ev = AppEvent(req.app_start + k, "search-api", "debug", "search executed", {"extra": {
                    "q": SEARCH_TERMS[k % len(SEARCH_TERMS)], "hits": 17 + k}}, req)
                logfmt.push(ev.ms, render_logfmt(ev, ev.ms))
            ev = AppEvent(req.app_end, "search-api", "info", "request completed", fields, req)
            logfmt.push(ev.ms, render_logfmt(ev, ev.ms))
        else:
            _ecs_lines(req, ecs, fields, ecs_many + ecs_extra())
        watermark = ms - SLACK_MS
        ingress.flush(watermark)
        gateway.flush(watermark)
        ecs.flush(watermark)
        logfmt.flush(watermark)


def _bg_request(rnd: Rand, ms: int, client: Client, search: bool) -> Request:
    if search:
        path = f"/api/search?q={SEARCH_TERMS[rnd.randrange(len(SEARCH_TERMS))].replace(' ', '+')}"
        service = "search-api"
    else:
        service = ECS_SERVICES[rnd.randrange(3)]
        path = ECS_PATHS[service][rnd.randrange(2)].replace("{n}", str(rnd.randrange(1, 400)))
    method = "POST" if path.endswith(("/checkout", "/refresh")) else "GET"
    status = 200 if rnd.random() > 0.004 else 500
    app_ms = 3 + int(rnd.random() ** 2.2 * 180)
    return Request(start=ms, method=method, path=path, status=status, client_ip=client.ip,
                   user_agent=client.ua,
                   rid=rnd.uuid() if client.sends_ids else f"{rnd.getrandbits(128):032x}",
                   trace_id=f"{rnd.getrandbits(128):032x}", span_id=f"{rnd.getrandbits(64):016x}",
                   app_span=f"{rnd.getrandbits(64):016x}", service=service, host="api.canary.shop.example",
                   app_ms=app_ms, gateway_ms=1 + (ms & 3), bytes_sent=90 + (ms * 7) % 4000,
                   request_length=320 + (ms * 13) % 600)


def _ecs_lines(req: Request, out: _Out, fields: dict, extra: int) -> None:
    service = req.service or "checkout-api"
    render = formats.APP_RENDERERS[SERVICES[service].flavour]
    for k in range(extra):
        ev = AppEvent(req.app_start + k, service, "DEBUG", f"cache lookup key=req:{k} hit=true", {
            "thread": "http-nio-8080-exec-3", "logger": "com.shop.cache.Lookup"}, req)
        out.push(ev.ms, render(ev, ev.ms, False))
    message = (f"Completed {req.method} {req.bare_path} with status {req.status} in {req.app_ms} ms"
               if service != "web-bff" else "request completed")
    level = "ERROR" if req.status >= 500 else "INFO"
    ev = AppEvent(req.app_end, service, level, message, {**fields, "thread": "http-nio-8080-exec-1",
                                                         "logger": "com.shop.web.RequestLoggingFilter"}, req)
    out.push(ev.ms, render(ev, ev.ms, False))


def generate_window(out: Path, *, events: int, seed: int) -> WindowStats:
    """Write ``out/builds/bench/`` with exactly ``events`` log lines. Raises ValueError if too few."""
    began = time.perf_counter()
    root = Path(out) / "builds" / "bench"
    world, cases, t0, t1 = _test_traffic(seed)
    outs = {name: _Out(root / rel) for name, rel in FILES.items()}
    try:
        quotas = _quotas(events, _special_lines(world, outs))
        _background(Rand(f"bench/{seed}"), outs, quotas)
    finally:
        for o in outs.values():
            o.close()
    (root / "reports").mkdir(parents=True, exist_ok=True)
    (root / "reports" / "playwright-report.json").write_text(
        playwright_json(cases, start=t0, end=t1, retries=1, base_url="https://canary.shop.example"),
        encoding="utf-8")
    meta = {"build": "bench", "env": "canary", "commit": "3f9c2e17a4d85b60c1e9f2a7d3b48e6c0a15f972",
            "started_at": iso_s(START), "finished_at": iso_s(START + WINDOW_MS), "runner": "bench",
            "runner_ip": RUNNER_IP, "browser": "chromium 130.0.6723.31", "region": "eu-west-1",
            "flags": {}, "image": "registry.shop.example/shop/release:2026.47.2-3f9c2e1",
            "seed": seed, "events": events}
    (root / "build.json").write_text(json.dumps(meta, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    per_file = {FILES[name]: o.count for name, o in outs.items()}
    truth = {f"{c.spec.suite}::{c.spec.title}": c.spec.category or "unknown"
             for c in cases if any(a.failure for a in c.attempts)}
    return WindowStats(root, sum(per_file.values()), time.perf_counter() - began, per_file, truth)

"""Builds 1180-1229: three weeks of release-validation history before the scenario builds.

Every build runs the same two suites against the canary: the storefront's
Playwright suite (13 tests, one retry, JSON reporter, archived gzipped) and the
API suite (10 pytest tests, no retries, JUnit XML). What fails, where and why is
planned here, so the generator knows the truth ``triage flaky`` must recover:

- flaky tests that fail alone: two UI timing flakes that pass on retry (with the
  same failure signature, never failing together) and an API sort race that
  fails and passes on the same commit;
- flaky tests that share a cause: the search vendor timing out (two UI tests
  and one API test fail in the same builds; the egress sidecar shows the 504s)
  and checkout-api's database pool running dry (three tests, Hikari errors);
- a broken test: the promo API test fails on every run from 1214 on, after a
  commit that changed the promo code;
- a one-off regression: a display-name validation bug in 1198 (and its rerun
  1199), fixed by the next commit (1200);
- two outage builds (1193 gateway refusing connections, 1221 DNS) where most
  tests fail at once.

A red build is rerun once on the same commit (``trigger: rerun``), as people
do; nightly builds (``trigger: schedule``) also keep the commit. Logs are only
written where a shared cause needs them as evidence, and only the lines about
the failing requests.
"""
from __future__ import annotations

import gzip
import json
from dataclasses import dataclass, field, replace
from typing import Any, Callable

from triage.synth import envs, reports
from triage.synth.runner import Case, Failure, Session, Spec, run
from triage.synth.scenarios import INGRESS_FILE, KONG_FILE, SHOP_SERVICES, Built, new_world
from triage.synth.shop_suite import (
    API_UA, DIM, UNDIM, Faults, _expect_timeout, _shows_results_for_boots, shop_specs,
)
from triage.synth.traffic import World, emit
from triage.synth.world import CHROME_UA, Rand, iso_s, to_ms
from triage.synth.writer import Sink

FIRST_BUILD, LAST_BUILD = 1180, 1229
HISTORY_START = "2026-10-30T06:10:00Z"
SPACING_MS = 10 * 3600 * 1000
UI_REPORT = "reports/playwright-report.json.gz"
API_REPORT = "reports/api-junit.xml"
RUNNERS = ("gha-runner-canary-03", "gha-runner-canary-05", "gha-runner-canary-07")
HIKARI = "HikariPool-1 - Connection is not available, request timed out after 30000ms."
SCHEDULED = {1183, 1190, 1197, 1204, 1211, 1218, 1225}   # nightly: same commit, no new change
MUST_PUSH = {1198, 1200, 1214}

ORDINARY_PATHS = (
    "services/catalog-api/src/main/java/com/shop/catalog/PriceService.java",
    "services/search-api/internal/ranking/boost.go",
    "web/src/components/Header.tsx",
    "web/src/components/Footer.tsx",
    "infra/helm/shop/values-canary.yaml",
    "docs/runbooks/canary.md",
    "services/auth-service/jwks/cache.go",
    "e2e/playwright.config.ts",
    "web/src/i18n/de.json",
    ".github/workflows/release-validation.yml",
    "services/catalog-api/src/main/resources/application.yaml",
    "web/package-lock.json",
)
REGRESSION_PATHS = ("web/src/pages/profile/DisplayNameForm.tsx", "services/web-bff/src/routes/profile.ts")
FIX_PATHS = ("web/src/pages/profile/DisplayNameForm.tsx", "e2e/tests/profile.spec.ts")
BROKEN_PATHS = ("services/checkout-api/src/main/java/com/shop/checkout/PromoService.java",
                "services/checkout-api/src/main/java/com/shop/checkout/SaleCalendar.java")

UI, API = "ui", "api"
CART = "cart.spec.ts › cart::cart badge updates after add"
SUGGEST = "search.spec.ts › search::suggests as you type"
BOOTS = "search.spec.ts › search::shows results for boots"
FILTERS = "search.spec.ts › search::filters results by size"
SUMMARY_UI = "checkout.spec.ts › checkout::shows order summary"
DISPLAY_NAME = "profile.spec.ts › profile::updates display name"
SORT = "tests.api.test_orders::test_order_list_is_sorted_by_date"
SEARCH_API = "tests.api.test_search::test_search_returns_hits"
PLACE_ORDER = "tests.api.test_checkout::test_place_order"
SUMMARY_API = "tests.api.test_checkout::test_checkout_summary_totals"
PROMO = "tests.api.test_promo::test_promo_code_applies_to_sale_items"


@dataclass(frozen=True)
class Cause:
    """One reason for failures: which tests it hits in which builds, and how.

    ``modes`` maps a test to one letter per build in ``builds``: ``F`` fails every
    attempt, ``R`` fails the first attempt and passes the retry.
    """

    name: str
    category: str
    description: str
    builds: tuple[int, ...]
    modes: dict[str, str]
    flaky: bool = True
    upstream: str | None = None


CAUSES: tuple[Cause, ...] = (
    Cause("cart-badge-race", "flaky-timing", "the cart badge hydrates late; the click times out",
          (1181, 1186, 1190, 1197, 1204, 1212, 1219, 1220, 1225), {CART: "RRRRRRRRR"}),
    Cause("suggestion-list-race", "flaky-timing", "the suggestion list re-renders under the click",
          (1183, 1188, 1195, 1202, 1208, 1216, 1223, 1228), {SUGGEST: "RRRRRRRR"}),
    Cause("order-sort-race", "flaky-timing", "two test orders get the same created_at second; "
          "the test assumes a strict order", (1185, 1196, 1207, 1218, 1227), {SORT: "FFFFF"}),
    Cause("search-vendor-timeouts", "dependency", "search-backend.vendor.example times out (504 UT at "
          "the egress sidecar); every test that searches fails in the same builds",
          (1184, 1192, 1201, 1210, 1220, 1226),
          {BOOTS: "FFRFRF", FILTERS: "FRFFFR", SEARCH_API: "FFFFFF"},
          upstream="search-backend.vendor.example"),
    Cause("checkout-db-pool", "traffic", "checkout-api's HikariCP pool runs dry during the nightly "
          "order export; every checkout read or write fails for a minute",
          (1187, 1194, 1205, 1215, 1224),
          {SUMMARY_UI: "RFFRF", PLACE_ORDER: "FFFFF", SUMMARY_API: "FFFFF"}, upstream="checkout-api"),
    Cause("display-name-validation", "regression", "commit of 1198 rejects display names with "
          "spaces; the next commit (1200) fixes it", (1198, 1199), {DISPLAY_NAME: "FF"}, flaky=False),
    Cause("promo-sale-items", "regression", "commit of 1214 stops applying promo codes to sale "
          "items; nothing fixes it", tuple(range(1214, LAST_BUILD + 1)),
          {PROMO: "F" * (LAST_BUILD - 1213)}, flaky=False),
)
OUTAGES = {
    1193: "the canary's ingress refuses connections from the runner mid-run (node drained)",
    1221: "cluster DNS fails: api.canary.shop.example does not resolve",
}
OUTAGE_SPARED = {1193: 4, 1221: 0}  # tests that ran (and passed) before the outage began


@dataclass
class HistoryBuild(Built):
    """A history build; ``facts`` is what the generator decided for it."""

    facts: dict[str, Any] = field(default_factory=dict)


# ---------------------------------------------------------------- failures, as the runners report them

def _timing(locator: str) -> Callable[[Session], Failure]:
    def fail(s: Session) -> Failure:
        s.wait(5000)
        return Failure("TimeoutError: locator.click: Timeout 5000ms exceeded.\nCall log:\n"
                       f"  {DIM}- waiting for {locator}{UNDIM}\n", error_type="TimeoutError",
                       line=22, column=50, code=f"    await page.{locator}.click();")
    return fail


def _vendor_timeout(s: Session, query: str) -> Any:
    """GET /api/search through to a search vendor that does not answer in time."""
    world = s.world
    req = s.call("GET", f"/api/search?{query}", status=504, app_ms=3004, plain=True)
    call_at = req.app_start + 2
    world.dependency(req, call_at, "search-api", "GET", f"/v2/search?{query}",
                     "search-backend.vendor.example", 504, 3000, flags="UT", details="response_timeout")
    world.app(req, call_at + 3001, "search-api", "error", "upstream request failed",
              extra={"upstream": "search-backend.vendor.example:443", "error": "context deadline exceeded",
                     "duration": "3001ms"})
    world.app(req, req.app_end, "search-api", "error", "request completed", status=504,
              duration_ms=req.app_ms)
    return req


def _filters_vendor(s: Session) -> Failure:
    s.page("/search?q=boots")
    _vendor_timeout(s, "q=boots&size=44")
    s.wait(5000)
    return Failure("Error: Timed out 5000ms waiting for expect(locator).toBeVisible()\n\n"
                   "Locator: locator('[data-test=size-facet]')\nExpected: visible\n"
                   "Received: <element(s) not found>\n", line=19, column=61,
                   code="    await expect(page.locator('[data-test=size-facet]')).toBeVisible();")


def _search_api_vendor(s: Session) -> Failure:
    req = _vendor_timeout(s, "q=wool+socks")
    return Failure(f"AssertionError: GET /api/search?q=wool+socks returned 504, expected 200: "
                   '{"error":"upstream request timeout","upstream":"search-backend.vendor.example"}\n'
                   f"assert 504 == 200 (x-request-id: {req.rid})",
                   stack="tests/api/test_search.py:21: in test_search_returns_hits\n"
                         "    assert res.status_code == 200, res.text\nE   AssertionError")


def _pool_exhausted(s: Session, method: str, path: str) -> Any:
    """A checkout-api call that waits 30 s for a database connection and gets none."""
    world = s.world
    req = s.call(method, path, status=500, app_ms=30_000 + world.rnd.randint(2, 9), plain=True)
    thread = f"http-nio-8080-exec-{world.rnd.randint(1, 12)}"
    world.app(req, req.app_start + 30_000, "checkout-api", "ERROR", HIKARI, thread=thread,
              logger="com.zaxxer.hikari.pool.HikariPool",
              **{"error.type": "java.sql.SQLTransientConnectionException", "error.message": HIKARI})
    world.app(req, req.app_end, "checkout-api", "INFO",
              f"Completed {method} {path} with status 500 in {req.app_ms} ms", thread=thread,
              logger="com.shop.checkout.web.RequestLoggingFilter", status=500, duration_ms=req.app_ms)
    return req


def _summary_ui_pool(s: Session) -> Failure:
    s.page("/checkout")
    _pool_exhausted(s, "GET", "/api/checkout/summary")
    return Failure(_expect_timeout("toHaveText", "locator('[data-test=order-total]')", "€ 42.50",
                                   "Something went wrong (500)"), line=40, column=55,
                   code="    await expect(page.locator('[data-test=order-total]')).toHaveText('€ 42.50');")


def _api_pool(method: str, path: str, expected: int, test: str, line: int) -> Callable[[Session], Failure]:
    def fail(s: Session) -> Failure:
        req = _pool_exhausted(s, method, path)
        return Failure(f"AssertionError: {method} {path} returned 500, expected {expected}: "
                       f'{{"error":"{HIKARI}"}}\nassert 500 == {expected} (x-request-id: {req.rid})',
                       stack=f"tests/api/test_checkout.py:{line}: in {test}\n"
                             "    assert res.status_code == expected, res.text\nE   AssertionError")
    return fail


def _sort_race(s: Session) -> Failure:
    s.call("GET", "/api/orders?customer=40112&sort=-created_at")
    rnd = s.world.rnd
    first = rnd.randint(88000, 88999)
    stamp = iso_s(s.now - rnd.randint(5_000, 9_000))
    return Failure(f"AssertionError: orders not sorted newest first: order {first} before order "
                   f"{first + 1}, both created {stamp}\nassert [{first}, {first + 1}] == [{first + 1}, {first}]",
                   stack="tests/api/test_orders.py:54: in test_order_list_is_sorted_by_date\n"
                         "    assert ids == sorted(ids, reverse=True)\nE   AssertionError")


def _display_name(s: Session) -> Failure:
    s.page("/account/profile")
    s.call("PATCH", "/api/profile", status=422)
    s.wait(5000)
    return Failure(_expect_timeout("toHaveText", "locator('[data-test=toast]')", "Saved",
                                   "display_name: must not contain spaces"), line=38, column=47,
                   code="    await expect(page.locator('[data-test=toast]')).toHaveText('Saved');")


def _promo(s: Session) -> Failure:
    s.call("POST", "/api/checkout/promo", status=200)
    return Failure("AssertionError: promo SALE10 not applied to sale item sku=77: discount 0.00, "
                   "expected 2.50\nassert Decimal('0.00') == Decimal('2.50')",
                   stack="tests/api/test_promo.py:33: in test_promo_code_applies_to_sale_items\n"
                         "    assert body['discount'] == Decimal('2.50')\nE   AssertionError")


FAILURES: dict[str, Callable[[Session], Failure]] = {
    CART: _timing("locator('[data-test=cart-badge]')"),
    SUGGEST: _timing("locator('[data-test=suggestion]').first()"),
    BOOTS: lambda s: _shows_results_for_boots(s, Faults(("dependency",))),
    FILTERS: _filters_vendor,
    SEARCH_API: _search_api_vendor,
    SUMMARY_UI: _summary_ui_pool,
    PLACE_ORDER: _api_pool("POST", "/api/checkout/orders", 201, "test_place_order", 18),
    SUMMARY_API: _api_pool("GET", "/api/checkout/summary", 200, "test_checkout_summary_totals", 31),
    SORT: _sort_race,
    DISPLAY_NAME: _display_name,
    PROMO: _promo,
}


def _outage_failure(build: int, kind: str, s: Session) -> Failure:
    host = s.world.api_host
    if build == 1221:
        if kind == UI:
            return Failure(f"Error: page.goto: net::ERR_NAME_NOT_RESOLVED at https://{s.world.domain}/\n"
                           "Call log:\n  - navigating to \"https://canary.shop.example/\", waiting until \"load\"\n",
                           line=8, column=16, code="    await page.goto('/');")
        return Failure(f"requests.exceptions.ConnectionError: HTTPSConnectionPool(host='{host}', port=443): "
                       f"Max retries exceeded (Caused by NameResolutionError(\"Failed to resolve '{host}' "
                       "([Errno -2] Name or service not known)\"))", error_type="ConnectionError")
    if kind == UI:
        return Failure(f"Error: page.goto: net::ERR_CONNECTION_REFUSED at https://{s.world.domain}/\n"
                       "Call log:\n  - navigating to \"https://canary.shop.example/\", waiting until \"load\"\n",
                       line=8, column=16, code="    await page.goto('/');")
    return Failure(f"requests.exceptions.ConnectionError: HTTPSConnectionPool(host='{host}', port=443): "
                   "Max retries exceeded (Caused by NewConnectionError('<urllib3.connection.HTTPSConnection>: "
                   "Failed to establish a new connection: [Errno 111] Connection refused'))",
                   error_type="ConnectionError")


# ---------------------------------------------------------------- the two suites

def _api_ok(*calls: tuple[str, str, int]) -> Callable[[Session, int], Failure | None]:
    """A passing API test: each call gets the status the test expects, and is printed."""
    def script(s: Session, retry: int) -> Failure | None:
        for method, path, status in calls:
            req = s.call(method, path, status=status)
            s.log(f"{method} https://{s.world.api_host}{path} -> {req.status} (x-request-id: {req.rid})")
        return None
    return script


def _filters_ok(s: Session, retry: int) -> Failure | None:
    s.page("/search?q=boots")
    s.call("GET", "/api/search?q=boots&size=44")
    return None


def ui_specs() -> list[Spec]:
    """The storefront's Playwright suite: the 12 tests of build 1234 plus the size filter."""
    specs = shop_specs(Faults(()))
    at = next(i for i, spec in enumerate(specs) if spec.title == "suggests as you type")
    specs.insert(at + 1, Spec(("search.spec.ts", "search"), "filters results by size", 40, _filters_ok,
                              tagged=True))
    return specs


def api_specs() -> list[Spec]:
    """The API suite (pytest, one module per area)."""
    ua = "python-requests/2.32.3"
    orders, checkout = ("tests.api.test_orders",), ("tests.api.test_checkout",)
    search, promo, cart = ("tests.api.test_search",), ("tests.api.test_promo",), ("tests.api.test_cart",)
    rows = [
        (orders, "test_order_list_is_sorted_by_date", (("GET", "/api/orders?customer=40112&sort=-created_at", 200),)),
        (orders, "test_order_history_paginates", (("GET", "/api/orders?customer=40112&page=2", 200),)),
        (checkout, "test_place_order", (("POST", "/api/checkout/orders", 201),)),
        (checkout, "test_checkout_summary_totals", (("GET", "/api/checkout/summary", 200),)),
        (checkout, "test_payment_methods_listed", (("GET", "/api/checkout/payment-methods", 200),)),
        (search, "test_search_returns_hits", (("GET", "/api/search?q=wool+socks", 200),)),
        (search, "test_search_empty_query", (("GET", "/api/search?q=", 200),)),
        (promo, "test_promo_code_applies_to_sale_items", (("POST", "/api/checkout/promo", 200),)),
        (promo, "test_expired_promo_rejected", (("POST", "/api/checkout/promo", 422),)),
        (cart, "test_add_item", (("POST", "/api/cart/items", 201),)),
    ]
    return [Spec(path, title, 10 + 12 * i, _api_ok(*calls), ids="send", ua=ua)
            for i, (path, title, calls) in enumerate(rows)]


def spec_key(spec: Spec) -> str:
    """``<suite>::<title>``, the key truth files use."""
    return f"{spec.suite}::{spec.title}"


def planned_modes(build: int) -> dict[str, str]:
    """Test key -> ``F`` or ``R`` for every planned failure in ``build``."""
    modes: dict[str, str] = {}
    for cause in CAUSES:
        if build in cause.builds:
            at = cause.builds.index(build)
            for key, letters in cause.modes.items():
                modes[key] = letters[at]
    return modes


def _planned(spec: Spec, mode: str | None, outage: tuple[int, str] | None) -> Spec:
    """``spec`` with its script following the plan for one build."""
    base, key = spec.script, spec_key(spec)

    def script(s: Session, retry: int) -> Failure | None:
        if outage is not None:
            return _outage_failure(outage[0], outage[1], s)
        if mode == "F" or (mode == "R" and retry == 0):
            if key in (CART, SUGGEST):
                base(s, retry)  # the requests succeed; the click loses the race
            return FAILURES[key](s)
        return base(s, retry)
    return replace(spec, script=script)


# ---------------------------------------------------------------- builds

@dataclass
class Commit:
    sha: str
    tag: str
    paths: tuple[str, ...]


def _trigger(build: int, previous_red: bool, previous_rerun: bool) -> str:
    if build in MUST_PUSH or build == FIRST_BUILD:
        return "push"
    if previous_red and not previous_rerun:
        return "rerun"
    return "schedule" if build in SCHEDULED else "push"


def _new_commit(rnd: Rand, build: int) -> Commit:
    paths = {1198: REGRESSION_PATHS, 1200: FIX_PATHS, 1214: BROKEN_PATHS}.get(build)
    if paths is None:
        paths = tuple(sorted(rnd.sample(ORDINARY_PATHS, rnd.randint(1, 3))))
    sha = rnd.hex(40)
    return Commit(sha, f"2026.{44 + (build - FIRST_BUILD) // 17}.{build % 17}-{sha[:7]}", paths)


def build_history() -> list[HistoryBuild]:
    """Simulate builds 1180-1229 in order (nothing is written yet)."""
    rnd = Rand("triage-synth/history")
    base = to_ms(HISTORY_START)
    built: list[HistoryBuild] = []
    commit: Commit | None = None
    red = rerun = False
    for number in range(FIRST_BUILD, LAST_BUILD + 1):
        trigger = _trigger(number, red, rerun)
        if trigger == "push" or commit is None:
            commit = _new_commit(rnd, number)
        start = base + (number - FIRST_BUILD) * SPACING_MS + rnd.randint(0, 40 * 60_000)
        runner = RUNNERS[rnd.randrange(len(RUNNERS))]
        build = history_build(number, start, commit, trigger, runner)
        built.append(build)
        red, rerun = bool(build.facts["failed"]), trigger == "rerun"
    return built


def _run_suites(number: int, world: World, start: int) -> tuple[list[Case], list[Case], int, int]:
    modes = planned_modes(number)
    spared = OUTAGE_SPARED.get(number)
    ui, api = ui_specs(), api_specs()
    planned = []
    for i, spec in enumerate(ui + api):
        outage = (number, UI if i < len(ui) else API) if spared is not None and i >= spared else None
        planned.append(_planned(spec, modes.get(spec_key(spec)), outage))
    ui_cases, ui_end = run(world, planned[:len(ui)], start, retries=1, ua=CHROME_UA)
    api_start = ui_end + 4_000
    api_cases, api_end = run(world, planned[len(ui):], api_start, retries=0, ua=API_UA)
    return ui_cases, api_cases, ui_end, api_end


def history_build(number: int, start: int, commit: Commit, trigger: str, runner: str) -> HistoryBuild:
    """One history build: both reports, build.json, and logs of its failing requests."""
    build = str(number)
    world = new_world(build, "canary", services=SHOP_SERVICES)
    tests_start = start + 41_000
    ui_cases, api_cases, ui_end, api_end = _run_suites(number, world, tests_start)
    sink = Sink()
    report = reports.playwright_json(ui_cases, start=tests_start, end=ui_end, retries=1,
                                     base_url=f"https://{world.domain}")
    sink.document(UI_REPORT, gzip.compress(report.encode("utf-8"), compresslevel=9, mtime=0))
    sink.document(API_REPORT, reports.pytest_junit(api_cases, hostname=runner, start=ui_end + 4_000))
    _failing_request_logs(world, sink)
    end = api_end + 15_000
    sink.document("build.json", _build_json(build, start, end, commit, trigger, runner))
    cases = ui_cases + api_cases
    failed = sorted(spec_key(c.spec) for c in cases if c.attempts[-1].failure is not None)
    retried = sorted(spec_key(c.spec) for c in cases if c.outcome == "flaky")
    facts = {"commit": commit.sha, "trigger": trigger, "changed_paths": list(commit.paths),
             "started_at": iso_s(start), "failed": failed, "passed_on_retry": retried,
             "outage": number in OUTAGES, "tests": len(cases)}
    causes = [c.name for c in CAUSES if number in c.builds] + (["outage"] if number in OUTAGES else [])
    return HistoryBuild(build, sink, {}, summary=", ".join(causes) or "green", facts=facts)


def _failing_request_logs(world: World, sink: Sink) -> None:
    """Ingress, gateway, app and egress lines of the requests that got a 5xx, nothing else."""
    failing = [req for req in world.requests if req.status >= 500]
    if not failing:
        return
    ids = {id(req) for req in failing}
    world.requests = failing
    world.events = [ev for ev in world.events if id(ev.request) in ids]
    world.deps = [call for call in world.deps if id(call.request) in ids]
    world.extra = []
    emit(world, sink, INGRESS_FILE, KONG_FILE)


def _build_json(build: str, start: int, end: int, commit: Commit, trigger: str, runner: str) -> str:
    doc = {"build": build, "env": "canary", "commit": commit.sha,
           "image": f"{envs.REGISTRY}/release:{commit.tag}", "started_at": iso_s(start),
           "finished_at": iso_s(end), "runner": runner, "runner_ip": "10.20.0.15",
           "browser": "chromium 130.0.6723.31", "region": "eu-west-1", "flags": envs.FLAGS["canary"],
           "trigger": trigger, "pipeline": "release-validation", "changed_paths": list(commit.paths)}
    return json.dumps(doc, indent=2, sort_keys=True) + "\n"


# ---------------------------------------------------------------- truth and README

def history_truth(builds: list[HistoryBuild]) -> dict[str, Any]:
    """What ``triage flaky`` must find in this history (and in the whole sample data dir)."""
    facts = {b.build: b.facts for b in builds}
    flaky = {key: {"category": c.category, "cause": c.name} for c in CAUSES if c.flaky for key in c.modes}
    clusters = [{"cause": c.name, "category": c.category, "tests": sorted(c.modes),
                 "builds": [str(n) for n in c.builds], "upstream": c.upstream, "description": c.description}
                for c in CAUSES if c.flaky]
    broken, regressions = {}, {}
    for cause in (c for c in CAUSES if not c.flaky):
        first, last = str(cause.builds[0]), str(cause.builds[-1])
        for key in cause.modes:
            entry = {"since": first, "commit": facts[first]["commit"],
                     "changed_paths": facts[first]["changed_paths"], "description": cause.description}
            if cause.builds[-1] == LAST_BUILD:
                broken[key] = entry
            else:
                fixed = str(cause.builds[-1] + 1)
                regressions[key] = {**entry, "builds": [str(n) for n in cause.builds], "fixed_in": fixed,
                                    "fix_commit": facts[fixed]["commit"],
                                    "fix_changed_paths": facts[fixed]["changed_paths"]}
    return {"schema": "triage.history-truth/v1", "builds": [b.build for b in builds],
            "flaky": flaky, "clusters": clusters, "broken": broken, "regressions": regressions,
            "outages": {str(n): why for n, why in OUTAGES.items()}}


def readme_section(builds: list[HistoryBuild]) -> list[str]:
    """The sample README's part about the history builds."""
    lines = ["", "## History: builds 1180-1229", "",
             "Three weeks of release-validation runs before the scenario builds, for `triage flaky`.",
             "Each holds `build.json` (commit, trigger, changed_paths), the Playwright suite's JSON",
             f"report (`{UI_REPORT}`, 13 tests, one retry) and the API suite's pytest JUnit",
             f"(`{API_REPORT}`, 10 tests). Builds whose failures share a cause also hold the log",
             "lines of the failing requests (`logs/`). `history-truth.json` lists the flaky tests,",
             "their clusters and categories, the broken test, the fixed regression and the outages.",
             "", "| build | started | trigger | commit | failed | passed on retry | planned |",
             "|---|---|---|---|---:|---:|---|"]
    for b in builds:
        f = b.facts
        lines.append(f"| {b.build} | {f['started_at']} | {f['trigger']} | {f['commit'][:7]} | "
                     f"{len(f['failed'])} | {len(f['passed_on_retry'])} | {b.summary} |")
    return lines

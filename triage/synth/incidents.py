"""Builds 1235-1240: one canary incident each, in a different report dialect.

1235 cache (Surefire), 1236 data (pytest, Envoy gateway, Python text log),
1237 traffic (jest-junit), 1238 network (Playwright JSON), 1239 regression
(gotestsum, Envoy gateway, CRI-wrapped checkout-api), 1240 unknown (Cypress
mocha-junit, no runner traffic in any log).
"""
from __future__ import annotations

from typing import Any, Callable

from triage.synth import reports
from triage.synth.runner import Case, Failure, Session, Spec, run
from triage.synth.scenarios import (
    ENVOY_FILE, INGRESS_FILE, KONG_FILE, Built, add_env, build_json, failing_truth, link_methods, new_world,
)
from triage.synth.shop_suite import API_UA
from triage.synth.traffic import World, background, emit, unrelated_errors
from triage.synth.world import CHROME_UA, iso_ms, klog_time, nginx_error_time, to_ms
from triage.synth.writer import Sink

NEW_COMMIT = "a81d44b0e6f2c3957d1b8a4e2f60c9d7b3e5a118"
NEW_TAG = "2026.47.3-a81d44b"
MOCHA_SUITE = "storefront smoke"  # 1240's Cypress suite (mocha-junit-reporter)
HIKARI = "HikariPool-1 - Connection is not available, request timed out after 30000ms."


def _ok(*calls: tuple[str, str]) -> Callable[[Session, int], Failure | None]:
    """A passing test that makes ``calls`` (method, path) in order."""
    def script(s: Session, retry: int) -> Failure | None:
        for method, path in calls:
            s.call(method, path)
        s.wait(s.world.rnd.randint(50, 400))
        return None
    return script


def _api_build(build: str, started: str, specs: list[Spec], *, ua: str, gateway: str = "kong",
               services: tuple[str, ...], retries: int = 0, **world_kw: Any
               ) -> tuple[World, list[Case], int, int, int]:
    start = to_ms(started)
    world = new_world(build, gateway=gateway, services=services, **world_kw)
    tests_start = start + 38_000
    cases, tests_end = run(world, specs, tests_start, retries=retries, ua=ua)
    background(world, tests_start - 120_000, tests_end + 90_000, 1.8)
    unrelated_errors(world, tests_start - 40_000, tests_end + 30_000)
    return world, cases, start, tests_start, tests_end


def _finish(build: str, world: World, sink: Sink, start: int, end: int, *, runner: str,
            gz_app: tuple[str, ...] = (), **meta: Any) -> None:
    gateway_file = KONG_FILE if world.gateway == "kong" else ENVOY_FILE
    emit(world, sink, INGRESS_FILE, gateway_file)
    sink.gzip(INGRESS_FILE, gateway_file, *(f"logs/app/{name}.log" for name in gz_app))
    sink.document("build.json", build_json(build, "canary", start, end, runner=runner, **meta))


# ---------------------------------------------------------------- 1235 cache

def _price_reflects_update(s: Session, retry: int) -> Failure | None:
    world, title = s.world, s.spec.title
    put = s.call("PUT", "/api/admin/products/42/price", status=200, app_ms=46)
    world.app(put, put.app_start + 21, "catalog-api", "INFO", "price updated sku=42 old=24.99 new=19.99",
              mark=f"{title} | catalog-api price updated", thread="http-nio-8080-exec-3",
              logger="com.shop.catalog.PriceService")
    world.app(put, put.app_start + 39, "catalog-api", "WARN",
              "cache purge skipped for key price:42: purge queue disabled",
              mark=f"{title} | catalog-api cache purge skipped", thread="http-nio-8080-exec-3",
              logger="com.shop.catalog.cache.PurgePublisher")
    get = s.call("GET", "/api/products/42/price", short_circuit=True, gateway_ms=2,
                 resp_headers={"x-cache-status": "Hit", "age": "1800", "x-cache-key": world.rnd.hex(32)},
                 marks={"ingress": f"{title} | ingress GET price 200",
                        "gateway": f"{title} | gateway cache Hit age 1800"})
    s.log(_rest_assured_dump(put, world.api_host, '{\n    "price": 19.99\n}', "")
          + '{\n    "sku": "42",\n    "price": 19.99,\n    "currency": "EUR"\n}\n')
    s.log(_rest_assured_dump(get, world.api_host, "<none>", "X-Cache-Status: Hit\nAge: 1800\n")
          + '{\n    "sku": "42",\n    "price": 24.99,\n    "currency": "EUR"\n}\n')
    return Failure("expected:<19.99> but was:<24.99>", error_type="java.lang.AssertionError",
                   stack="java.lang.AssertionError: expected:<19.99> but was:<24.99>\n"
                         "\tat org.junit.Assert.fail(Assert.java:89)\n"
                         "\tat org.junit.Assert.failNotEquals(Assert.java:835)\n"
                         "\tat org.junit.Assert.assertEquals(Assert.java:120)\n"
                         "\tat com.shop.it.PriceApiIT.priceReflectsUpdate(PriceApiIT.java:64)\n")


def _rest_assured_dump(req: Any, host: str, body: str, response: str) -> str:
    """REST-assured's ``log().all()`` request dump followed by the response."""
    return (f"Request method:\t{req.method}\nRequest URI:\thttps://{host}{req.path}\nProxy:\t\t\t<none>\n"
            "Request params:\t<none>\nQuery params:\t<none>\nForm params:\t<none>\nPath params:\t<none>\n"
            f"Headers:\t\tX-Request-ID={req.rid}\n\t\t\t\tAccept=application/json\nCookies:\t\t<none>\n"
            f"Multiparts:\t\t<none>\nBody:\t\t\t{body}\nHTTP/1.1 200 OK\nContent-Type: application/json\n"
            f"{response}X-Request-ID: {req.rid}\n\n")


def _cached_price_reads(world: World, start: int, end: int) -> None:
    """Users reading prices through Kong's proxy-cache: mostly hits, some misses."""
    rnd = world.rnd
    t = start
    while t < end:
        t += rnd.randint(2_000, 9_000)
        hit = rnd.random() < 0.8
        headers = {"x-cache-status": "Hit" if hit else "Miss", "x-cache-key": rnd.hex(32)}
        if hit:
            headers["age"] = str(rnd.randint(5, 1790))
        world.request(t, "GET", f"/api/products/{rnd.randint(1, 400)}/price",
                      client_ip=f"198.51.100.{rnd.randint(2, 254)}", ua=CHROME_UA.replace("Headless", ""),
                      short_circuit=hit, resp_headers=headers)


def build_1235(build: str = "1235") -> Built:
    """Cache: a price read served stale from Kong's proxy cache (Surefire report)."""
    ua = "Apache-HttpClient/4.5.14 (Java/21.0.5)"
    price, catalog = ("com.shop.it.PriceApiIT",), ("com.shop.it.CatalogApiIT",)
    specs = [
        Spec(price, "getsPriceForSku", 30, _ok(("GET", "/api/products/17/price")), ids="send"),
        Spec(price, "priceReflectsUpdate", 52, _price_reflects_update, ids="send", category="cache"),
        Spec(price, "returns404ForUnknownSku", 71, _ok(("GET", "/api/products/999999/price")), ids="send"),
        Spec(catalog, "listsProductsInCategory", 24, _ok(("GET", "/api/products?category=boots")),
             ids="send"),
        Spec(catalog, "productHasImages", 41, _ok(("GET", "/api/products/42")), ids="send"),
    ]
    world, cases, start, t0, t1 = _api_build(
        build, "2026-11-20T12:01:44Z", specs, ua=ua,
        services=("catalog-api", "checkout-api", "cart-api", "auth-service"))
    _cached_price_reads(world, t0 - 60_000, t1 + 40_000)
    sink = Sink()
    for classname in ("com.shop.it.PriceApiIT", "com.shop.it.CatalogApiIT"):
        sink.document(f"target/failsafe-reports/TEST-{classname}.xml",
                      reports.surefire(classname, [c for c in cases if c.spec.path[0] == classname]))
    _finish(build, world, sink, start, t1 + 20_000, runner="jenkins-agent-it-03", browser="none (API tests)",
            gz_app=("catalog-api",))
    return _built(build, sink, cases,
                  "canary, cache: Failsafe/Surefire XML; a price read served from Kong's proxy cache "
                 "(x-cache-status Hit, age 1800) after an update whose purge was skipped.")


def _junit_key(case: Case) -> str:
    """``classname::name`` as a JUnit ingestor reads it (mocha-junit-reporter swaps them)."""
    if case.spec.path[0] == MOCHA_SUITE:
        return f"{case.spec.title}::{case.spec.path[0]} {case.spec.title}"
    return f"{case.spec.path[0]}::{case.spec.title}"


def _built(build: str, sink: Sink, cases: list[Case], summary: str) -> Built:
    return Built(build, sink, failing_truth(cases, key=_junit_key), summary=summary,
                 links=link_methods(cases, _junit_key))


# ---------------------------------------------------------------- 1236 data

TRACEBACK = """Traceback (most recent call last):
  File "/app/orders/api/history.py", line 57, in list_history
    items = [serialize_order(order) for order in orders]
             ^^^^^^^^^^^^^^^^^^^^^^
  File "/app/orders/serializers.py", line 112, in serialize_order
    "shipping_name": row.legacy_blob.decode("utf-8"),
                     ^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^
UnicodeDecodeError: 'utf-8' codec can't decode byte 0xe9 in position 14: invalid continuation byte"""


def _legacy_orders(s: Session, retry: int) -> Failure | None:
    world, title = s.world, s.spec.title
    req = s.call("GET", "/api/orders?customer=40112&include_legacy=true", status=500, app_ms=61,
                 marks={"ingress": f"{title} | ingress 500", "gateway": f"{title} | gateway 500 orders-api"})
    world.app(req, req.app_end - 2, "orders-api", "ERROR",
              "Failed to serialize order 88123 (schema_version=1, migrated=false)",
              mark=f"{title} | orders-api serialize error + traceback", logger="orders.api.history",
              exc_text=TRACEBACK)
    s.log(f"GET https://{world.api_host}{req.path} -> 500 (x-request-id: {req.rid})")
    body = ("def test_order_history_lists_legacy_orders(api):\n"
            "        resp = api.get(\"/api/orders\", "
            "params={\"customer\": 40112, \"include_legacy\": \"true\"})\n"
            ">       assert resp.status_code == 200\n"
            "E       AssertionError: assert 500 == 200\n"
            "E        +  where 500 = <Response [500]>.status_code\n\n"
            "tests/api/test_orders.py:41: AssertionError")
    return Failure("AssertionError: assert 500 == 200\n +  where 500 = <Response [500]>.status_code",
                   stack=body, error_type="AssertionError")


def _printing_ok(*calls: tuple[str, str]) -> Callable[[Session, int], Failure | None]:
    def script(s: Session, retry: int) -> Failure | None:
        for method, path in calls:
            req = s.call(method, path)
            s.log(f"{method} https://{s.world.api_host}{path} -> {req.status} (x-request-id: {req.rid})")
        return None
    return script


def build_1236(build: str = "1236") -> Built:
    """Data: orders-api cannot decode a legacy order (pytest report, Istio gateway)."""
    orders, cart = ("tests.api.test_orders",), ("tests.api.test_cart",)
    specs = [
        Spec(orders, "test_order_history_lists_recent_orders", 18,
             _printing_ok(("GET", "/api/orders?customer=40112")), ids="send"),
        Spec(orders, "test_order_history_lists_legacy_orders", 37, _legacy_orders, ids="send",
             category="data"),
        Spec(orders, "test_order_detail_has_line_items", 52,
             _printing_ok(("GET", "/api/orders/90311")), ids="send"),
        Spec(cart, "test_add_item", 11, _printing_ok(("POST", "/api/cart/items")), ids="send"),
        Spec(cart, "test_cart_total", 25, _printing_ok(("GET", "/api/cart")), ids="send"),
    ]
    world, cases, start, t0, t1 = _api_build(
        build, "2026-11-20T14:03:05Z", specs, ua="python-requests/2.32.3", gateway="envoy",
        services=("orders-api", "cart-api", "catalog-api", "checkout-api"))
    _orders_chatter(world, t0 - 70_000, t1 + 45_000)
    sink = Sink()
    sink.document("reports/junit.xml", reports.pytest_junit(cases, hostname="ci-runner-pytest-04", start=t0))
    _finish(build, world, sink, start, t1 + 20_000, runner="ci-runner-pytest-04", browser="none (API tests)",
            gz_app=("catalog-api",))
    return _built(build, sink, cases,
                  "canary, data: pytest JUnit; orders-api (Python text log) fails to decode a legacy "
                 "order (traceback); gateway is Istio (Envoy JSON).")


def _orders_chatter(world: World, start: int, end: int) -> None:
    t = start
    while t < end:
        t += world.rnd.randint(20_000, 45_000)
        world.app(None, t, "orders-api", "INFO", f"legacy order backfill: {world.rnd.randint(1200, 1300)} "
                  "orders pending (schema_version=1)", logger="orders.jobs.backfill")


# ---------------------------------------------------------------- 1237 traffic

def _bulk_add(s: Session, retry: int) -> Failure | None:
    world, title, rnd = s.world, s.spec.title, s.world.rnd
    t0 = s.now
    limit = {"x-ratelimit-limit-minute": "25", "x-ratelimit-remaining-minute": "0", "ratelimit-limit": "25",
             "ratelimit-remaining": "0", "ratelimit-reset": "37", "retry-after": "37"}
    latest = t0
    for i in range(40):
        s.now = t0 + i * rnd.randint(1, 3)
        if i >= 25:
            req = s.call("POST", "/api/cart/bulk", status=429, short_circuit=True, resp_headers=limit,
                         gateway_error="API rate limit exceeded",
                         marks={"gateway": f"{title} | gateway 429 rate limit"} if i == 25 else {})
        elif i < 10:
            req = s.call("POST", "/api/cart/bulk", status=201, app_ms=rnd.randint(30_400, 33_800))
        else:
            req = s.call("POST", "/api/cart/bulk", status=503, app_ms=30_000 + rnd.randint(2, 9), plain=True,
                         marks={"gateway": f"{title} | gateway 503"} if i == 10 else {})
            world.app(req, req.app_start + 30_000, "checkout-api", "ERROR", HIKARI,
                      mark=f"{title} | checkout-api HikariPool timeout", thread=f"http-nio-8080-exec-{i}",
                      logger="com.zaxxer.hikari.pool.HikariPool",
                      **{"error.type": "java.sql.SQLTransientConnectionException", "error.message": HIKARI})
            world.app(req, req.app_end, "checkout-api", "INFO",
                      f"Completed POST /api/cart/bulk with status 503 in {req.app_ms} ms",
                      thread=f"http-nio-8080-exec-{i}", logger="com.shop.checkout.web.RequestLoggingFilter",
                      status=503, duration_ms=req.app_ms)
        latest = max(latest, req.end)
    s.now = latest + 40
    axios = "/builds/shop/api-tests/node_modules/axios/dist/node/axios.cjs"
    stack = ("AxiosError: Request failed with status code 503\n"
             f"    at settle ({axios}:2019:12)\n"
             f"    at IncomingMessage.handleStreamEnd ({axios}:3135:11)\n"
             f"    at Axios.request ({axios}:4287:41)\n"
             "    at Object.<anonymous> (/builds/shop/api-tests/tests/cart.load.test.ts:38:7)")
    return Failure("Request failed with status code 503", stack=stack, error_type="AxiosError")


def build_1237(build: str = "1237") -> Built:
    """Traffic: Kong rate limits and a Hikari pool that runs dry (jest-junit report)."""
    describe = ("cart api",)
    specs = [
        Spec(describe, "adds a single item", 12, _ok(("POST", "/api/cart/items"), ("GET", "/api/cart")),
             tagged=True),
        Spec(describe, "bulk add to cart under load", 27, _bulk_add, tagged=True, category="traffic"),
        Spec(describe, "returns an empty cart for new sessions", 45, _ok(("GET", "/api/cart")), tagged=True),
        Spec(describe, "removes items", 58,
             _ok(("POST", "/api/cart/items"), ("DELETE", "/api/cart/items/311")), tagged=True),
    ]
    world, cases, start, t0, t1 = _api_build(
        build, "2026-11-20T16:00:52Z", specs, ua="axios/1.7.7",
        services=("checkout-api", "cart-api", "catalog-api", "search-api"))
    sink = Sink()
    sink.document("reports/jest-junit.xml", reports.jest_junit("tests/cart.load.test.ts", cases, start=t0))
    _finish(build, world, sink, start, t1 + 20_000, runner="ci-runner-node-11", browser="none (API tests)",
            gz_app=("checkout-api",))
    return _built(build, sink, cases,
                  "canary, traffic: jest-junit; 40 concurrent bulk adds: Kong rate-limits 15 (429), "
                 "checkout-api's Hikari pool times out 15 (503).")


# ---------------------------------------------------------------- 1238 network

def _opens_checkout(s: Session, retry: int) -> Failure | None:
    world, title = s.world, s.spec.title
    at = s.now + 120
    handshake = (f"{nginx_error_time(at)} [error] 31#31: *{48213 + retry * 977} SSL_do_handshake() failed "
                 "(SSL: error:0A000086:SSL routines::certificate verify failed) while SSL handshaking to "
                 f"upstream, client: {world.runner_ip}, server: {world.domain}, request: \"GET /checkout "
                 f"HTTP/2.0\", upstream: \"https://10.244.5.12:8443/checkout\", host: \"{world.domain}\"")
    world.extra.append((INGRESS_FILE, at, handshake, f"{title} | ingress SSL_do_handshake failed"))
    s.wait(160)
    url = f"https://{world.domain}/checkout"
    return Failure(f"Error: page.goto: net::ERR_CERT_DATE_INVALID at {url}\nCall log:\n"
                   f"  - navigating to \"{url}\", waiting until \"load\"\n", line=8, column=16,
                   code="    await page.goto('/checkout');")


def _cert_warnings(world: World, start: int, end: int) -> None:
    """The controller's own klog lines: the canary TLS secret has expired."""
    t = start
    n = 0
    while t < end:
        text = (f"W{klog_time(t, 311 + n)}       7 controller.go:1372] Unexpected error validating SSL "
                f"certificate \"shop/canary-shop-tls\" for server \"{world.domain}\": x509: certificate has "
                f"expired or is not yet valid: current time {iso_ms(t)[:19]}Z is after 2026-11-20T17:00:00Z")
        mark = "network | ingress-nginx certificate expired" if n == 0 else ""
        world.extra.append((INGRESS_FILE, t, text, mark))
        t += 120_000
        n += 1


def build_1238(build: str = "1238") -> Built:
    """Network: the canary certificate expired (Playwright JSON, controller error lines)."""
    specs = [
        Spec(("checkout.spec.ts", "checkout over https"), "opens checkout over https", 6, _opens_checkout,
             category="network"),
        Spec(("checkout.spec.ts", "checkout"), "shows order summary", 34,
             _ok(("GET", "/api/cart"), ("GET", "/api/checkout/summary")), ids="print", ua=API_UA),
        Spec(("checkout.spec.ts", "checkout"), "applies promo code", 47,
             _ok(("GET", "/api/checkout/summary"), ("POST", "/api/checkout/promo")), ids="print", ua=API_UA),
        Spec(("catalog.spec.ts", "catalog api"), "lists featured products", 9,
             _ok(("GET", "/api/products?category=featured")), ids="print", ua=API_UA),
        Spec(("catalog.spec.ts", "catalog api"), "returns a price", 21,
             _ok(("GET", "/api/products/42/price")), ids="print", ua=API_UA),
    ]
    start = to_ms("2026-11-20T18:02:19Z")
    world = new_world(build, services=("checkout-api", "catalog-api", "cart-api", "web-bff"))
    t0 = start + 47_000
    cases, t1 = run(world, specs, t0, retries=1, ua=CHROME_UA)
    background(world, t0 - 120_000, t1 + 90_000, 1.8)
    unrelated_errors(world, t0 - 50_000, t1 + 30_000)
    _cert_warnings(world, t0 - 85_000, t1 + 60_000)
    sink = Sink()
    sink.document("reports/playwright-report.json",
                  reports.playwright_json(cases, start=t0, end=t1, retries=1,
                                          base_url=f"https://{world.domain}"))
    _finish(build, world, sink, start, t1 + 20_000, runner="gha-runner-canary-07")
    links = {key: "time window + runner IP (ingress-nginx error lines name the client; no access line)"
             for key in link_methods(cases)}
    return Built(build, sink, failing_truth(cases), links=links, summary=
                 "canary, network: Playwright JSON; the canary host's certificate expired "
                 "(ERR_CERT_DATE_INVALID); ingress-nginx logs the handshake and certificate errors.")


# ---------------------------------------------------------------- 1239 regression

NPE_STACK = ('java.lang.NullPointerException: Cannot invoke "Promo.discount()" because "promo" is null\n'
             "\tat com.shop.checkout.PromoService.apply(PromoService.java:88)\n"
             "\tat com.shop.checkout.OrderService.price(OrderService.java:131)\n"
             "\tat com.shop.checkout.OrderService.create(OrderService.java:74)\n"
             "\tat com.shop.checkout.web.OrderController.create(OrderController.java:52)\n"
             "\tat java.base/jdk.internal.reflect.DirectMethodHandleAccessor.invoke("
             "DirectMethodHandleAccessor.java:103)\n"
             "\tat org.springframework.web.method.support.InvocableHandlerMethod.doInvoke("
             "InvocableHandlerMethod.java:255)")


def _go_test(calls: tuple[tuple[str, str, int], ...], fail: bool = False
             ) -> Callable[[Session, int], Failure | None]:
    """A ``go test`` function: logs each call with ``t.Logf``, fails on the last if ``fail``."""
    def script(s: Session, retry: int) -> Failure | None:
        name = s.spec.title
        out = [f"=== RUN   {name}\n"]
        req = None
        for n, (method, path, status) in enumerate(calls):
            req = s.call(method, path, status=status, plain=status >= 500,
                         marks={"ingress": f"{name} | ingress 500", "gateway": f"{name} | gateway 500"}
                         if status >= 500 else {})
            out.append(f"    checkout_test.go:{66 + 5 * n}: {method} {path} x-request-id={req.rid} "
                       f"status={req.status}\n")
        seconds = (s.now - s.requests[0].start) / 1000 if s.requests else 0.01
        if not fail or req is None:
            s.stdout.extend(out + [f"--- PASS: {name} ({seconds:.2f}s)\n"])
            return None
        _npe(s.world, req, name)
        out.append("    checkout_test.go:74: expected 201, got 500\n")
        out.append(f"--- FAIL: {name} ({seconds:.2f}s)\n")
        s.stdout.extend(out)
        return Failure("Failed", stack="".join(out))
    return script


def _npe(world: World, req: Any, name: str) -> None:
    message = ('Servlet.service() for servlet [dispatcherServlet] in context with path [] threw exception '
               '[Request processing failed: java.lang.NullPointerException: Cannot invoke "Promo.discount()" '
               'because "promo" is null] with root cause')
    world.app(req, req.app_end - 1, "checkout-api", "ERROR", message,
              mark=f"{name} | checkout-api NullPointerException", thread="http-nio-8080-exec-5",
              logger="org.apache.catalina.core.ContainerBase.[Tomcat].[localhost].[/].[dispatcherServlet]",
              **{"error.type": "java.lang.NullPointerException",
                 "error.message": 'Cannot invoke "Promo.discount()" because "promo" is null',
                 "error.stack_trace": NPE_STACK})
    world.app(req, req.app_end, "checkout-api", "INFO",
              f"Completed {req.method} {req.bare_path} with status 500 in {req.app_ms} ms",
              thread="http-nio-8080-exec-5", logger="com.shop.checkout.web.RequestLoggingFilter",
              status=500, duration_ms=req.app_ms)


def build_1239(build: str = "1239") -> Built:
    """Regression: a new commit's NullPointerException (gotestsum, CRI-wrapped ECS log)."""
    pkg = ("github.com/shop/e2e/checkout",)
    create = (("GET", "/api/cart", 200), ("POST", "/api/checkout/orders", 201))
    promo = (("GET", "/api/cart", 200), ("POST", "/api/checkout/orders?promo=WINTER10", 500))
    specs = [
        Spec(pkg, "TestCheckoutCreatesOrder", 20, _go_test(create), ids="send"),
        Spec(pkg, "TestCheckoutAppliesPromo", 61, _go_test(promo, fail=True), ids="send",
             category="regression"),
        Spec(pkg, "TestCheckoutRejectsEmptyCart", 88, _go_test((("POST", "/api/checkout/orders", 409),)),
             ids="send"),
        Spec(pkg, "TestCartTotals", 104, _go_test((("GET", "/api/cart", 200),)), ids="send"),
    ]
    world, cases, start, t0, t1 = _api_build(
        build, "2026-11-20T20:01:36Z", specs, ua="Go-http-client/1.1", gateway="envoy",
        cri=("checkout-api",), versions={"checkout-api": "2.15.0"},
        services=("checkout-api", "cart-api", "catalog-api", "search-api"))
    sink = Sink()
    sink.document("reports/junit.xml", reports.gotestsum(pkg[0], cases, start=t0))
    _finish(build, world, sink, start, t1 + 20_000, runner="ci-runner-go-02", browser="none (API tests)",
            commit=NEW_COMMIT, tag=NEW_TAG, gz_app=("catalog-api",),
            changed_paths=["services/checkout-api/src/main/java/com/shop/checkout/PromoService.java",
                           "services/checkout-api/src/main/java/com/shop/checkout/OrderService.java",
                           "services/checkout-api/src/test/java/com/shop/checkout/PromoServiceTest.java"])
    add_env(sink, "canary", overrides={"checkout-api": NEW_TAG})
    return _built(build, sink, cases,
                  "canary, regression: gotestsum JUnit; new commit and checkout-api image; "
                 "NullPointerException in PromoService (CRI-wrapped ECS log); Istio gateway.")


# ---------------------------------------------------------------- 1240 unknown

def _cypress(fail: bool) -> Callable[[Session, int], Failure | None]:
    def script(s: Session, retry: int) -> Failure | None:
        s.wait(s.world.rnd.randint(900, 2600))  # served by the CDN edge: nothing reaches our logs
        if not fail:
            return None
        return Failure("expected title 'Shop' but got ''", error_type="AssertionError",
                       stack="AssertionError: expected title 'Shop' but got ''\n"
                             "    at Context.eval (webpack://shop-e2e/./cypress/e2e/smoke.cy.ts:14:31)")
    return script


def build_1240(build: str = "1240") -> Built:
    """Unknown: a Cypress failure with no related log line at all."""
    suite = MOCHA_SUITE
    specs = [Spec((suite,), "shows the shop title", 12, _cypress(True), category="unknown"),
             Spec((suite,), "lists featured products", 19, _cypress(False)),
             Spec((suite,), "opens a product page", 27, _cypress(False)),
             Spec((suite,), "adds to cart from product page", 36, _cypress(False))]
    world, cases, start, t0, t1 = _api_build(build, "2026-11-20T22:04:10Z", specs, ua=CHROME_UA,
                                             services=("catalog-api", "cart-api", "checkout-api", "web-bff"))
    sink = Sink()
    sink.document("cypress/results/junit-smoke.xml",
                  reports.mocha_junit(suite, "cypress/e2e/smoke.cy.ts", cases, start=t0))
    _finish(build, world, sink, start, t1 + 20_000, runner="gha-runner-canary-07", browser="electron 130",
            gz_app=("catalog-api",))
    return _built(build, sink, cases,
                  "canary, unknown: Cypress mocha-junit-reporter; the failing test's traffic never reached "
                 "the logged path, so no log line relates to it.")


BUILDS = (build_1235, build_1236, build_1237, build_1238, build_1239, build_1240)

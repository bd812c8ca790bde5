"""The storefront's Playwright smoke suite (12 tests) and what each test does.

The same suite runs on staging (build 1230, all green) and on canary (build
1234) where four faults are switched on: a token for the wrong audience
(auth), a search vendor that times out (dependency), a CORS allowlist without
the canary origin (config) and a cart badge that hydrates late (flaky-timing).
"""
from __future__ import annotations

from dataclasses import dataclass

from triage.synth.runner import Failure, Session, Spec

API_UA = "Playwright/1.48.2 (x64; ubuntu 22.04) node/20.18 CI/1"
DIM, UNDIM, RED, GREEN, RESET = "\x1b[2m", "\x1b[22m", "\x1b[31m", "\x1b[32m", "\x1b[39m"
FAULTS = ("auth", "dependency", "config", "flaky-timing")


@dataclass
class Faults:
    """Which of the canary's problems are live in this world."""

    active: tuple[str, ...] = ()

    def __contains__(self, name: str) -> bool:
        return name in self.active


def _expect_timeout(matcher: str, locator: str, expected: str, received: str) -> str:
    return (f"Error: Timed out 5000ms waiting for {DIM}expect({UNDIM}{RED}locator{RESET}{DIM})."
            f"{UNDIM}{matcher}{DIM}({UNDIM}{GREEN}expected{RESET}{DIM}){UNDIM}\n\n"
            f"Locator: {locator}\nExpected string: {GREEN}\"{expected}\"{RESET}\n"
            f"Received string: {RED}\"{received}\"{RESET}\nCall log:\n"
            f"  {DIM}- expect.{matcher} with timeout 5000ms{UNDIM}\n"
            f"  {DIM}- waiting for {locator}{UNDIM}\n")


def shop_specs(faults: Faults) -> list[Spec]:
    """The 12 tests in file order; ``faults`` decides which ones break."""
    return [
        Spec(("checkout.spec.ts", "checkout"), "pays with saved card", 18,
             lambda s, r: _pays_with_saved_card(s, faults), ids="print", category="auth", ua=API_UA),
        Spec(("checkout.spec.ts", "checkout"), "shows order summary", 34,
             _shows_order_summary, ids="print", ua=API_UA),
        Spec(("checkout.spec.ts", "checkout"), "applies promo code", 47,
             _applies_promo_code, ids="print", ua=API_UA),
        Spec(("search.spec.ts", "search"), "shows results for boots", 9,
             lambda s, r: _shows_results_for_boots(s, faults), tagged=True, category="dependency"),
        Spec(("search.spec.ts", "search"), "suggests as you type", 24, _suggests_as_you_type, tagged=True),
        Spec(("profile.spec.ts", "profile"), "uploads an avatar", 12,
             lambda s, r: _uploads_an_avatar(s, faults), category="config"),
        Spec(("profile.spec.ts", "profile"), "updates display name", 31, _updates_display_name),
        Spec(("cart.spec.ts", "cart"), "cart badge updates after add", 15,
             lambda s, r: _cart_badge(s, r, faults), ids="print", category="flaky-timing"),
        Spec(("cart.spec.ts", "cart"), "removes an item", 29, _removes_an_item, ids="print"),
        Spec(("cart.spec.ts", "cart"), "persists cart across reload", 41, _persists_cart, ids="print"),
        Spec(("home.spec.ts", "home"), "renders hero and nav", 6, _renders_hero, tagged=True),
        Spec(("home.spec.ts", "home"), "product page shows price", 17, _product_price, tagged=True),
    ]


# ---------------------------------------------------------------- checkout (API tests)

def _pays_with_saved_card(s: Session, faults: Faults) -> Failure | None:
    s.call("GET", "/api/cart")
    s.call("GET", "/api/checkout/summary")
    if "auth" not in faults:
        s.checkout()
        return None
    title = s.spec.title
    req = s.checkout(audience="shop-staging", marks={
        "ingress": f"{title} | ingress 401", "gateway": f"{title} | gateway 401 www-authenticate",
        "auth": f"{title} | auth-service JWT audience"})
    return Failure(f"Error: expected status 200, got 401 (x-request-id: {req.rid})", line=27, column=11,
                   code="      throw new Error(`expected status 200, got ${res.status()} "
                        "(x-request-id: ${id})`);")


def _shows_order_summary(s: Session, retry: int) -> Failure | None:
    s.call("GET", "/api/cart")
    s.call("GET", "/api/checkout/summary")
    return None


def _applies_promo_code(s: Session, retry: int) -> Failure | None:
    s.call("GET", "/api/checkout/summary")
    s.call("POST", "/api/checkout/promo", status=200)
    s.call("GET", "/api/checkout/summary")
    return None


# ---------------------------------------------------------------- search (browser, tagged)

def _browser(s: Session, page: str) -> dict[str, object]:
    s.page(page)
    return {"host": s.world.domain, "referer": f"https://{s.world.domain}{page}"}


def _shows_results_for_boots(s: Session, faults: Faults) -> Failure | None:
    kw = _browser(s, "/search?q=boots")
    s.call("GET", "/api/search/suggest?q=boo", **kw)
    if "dependency" not in faults:
        s.call("GET", "/api/search?q=boots", **kw)
        return None
    world, title = s.world, s.spec.title
    req = s.call("GET", "/api/search?q=boots", status=504, app_ms=3004, plain=True, marks={
        "ingress": f"{title} | ingress 504", "gateway": f"{title} | gateway 504 search-api"}, **kw)
    call_at = req.app_start + 2
    world.dependency(req, call_at, "search-api", "GET", "/v2/search?q=boots", "search-backend.vendor.example",
                     504, 3000, flags="UT", details="response_timeout",
                     mark=f"{title} | egress UT 504 search-backend")
    world.app(req, call_at + 3001, "search-api", "error", "upstream request failed",
              mark=f"{title} | search-api upstream request failed",
              extra={"upstream": "search-backend.vendor.example:443", "error": "context deadline exceeded",
                     "duration": "3001ms"})
    world.app(req, req.app_end, "search-api", "error", "request completed", status=504,
              duration_ms=req.app_ms)
    s.wait(2300)
    return Failure(_expect_timeout("toContainText", "locator('[data-test=search-summary]')",
                                   'results for "boots"', "Search is temporarily unavailable (504)"),
                   line=16, column=53,
                   code="    await expect(page.locator('[data-test=search-summary]'))"
                        ".toContainText('results for \"boots\"');")


def _suggests_as_you_type(s: Session, retry: int) -> Failure | None:
    kw = _browser(s, "/search")
    for prefix in ("s", "sn", "sne"):
        s.call("GET", f"/api/search/suggest?q={prefix}", gap=(90, 160), **kw)
    return None


# ---------------------------------------------------------------- profile (browser, no ids, no tags)

def _uploads_an_avatar(s: Session, faults: Faults) -> Failure | None:
    world, title = s.world, s.spec.title
    kw = _browser(s, "/account/profile")
    s.call("GET", "/api/profile", **kw)
    origin = f"https://{world.domain}"
    preflight = {"origin": origin, "access-control-request-method": "PUT",
                 "access-control-request-headers": "content-type,x-csrf-token"}
    if "config" not in faults:
        s.call("OPTIONS", "/api/profile/avatar", status=204, host=world.api_host, req_headers=preflight,
               resp_headers={"access-control-allow-origin": origin}, referer=kw["referer"])
        s.call("PUT", "/api/profile/avatar", status=200, host=world.api_host, app_ms=180,
               req_headers={"origin": origin, "content-type": "image/png"}, referer=kw["referer"])
        return None
    req = s.call("OPTIONS", "/api/profile/avatar", status=403, host=world.api_host, req_headers=preflight,
                 referer=kw["referer"], marks={"ingress": f"{title} | ingress OPTIONS 403",
                                               "gateway": f"{title} | gateway OPTIONS 403"})
    world.app(req, req.app_start + 1, "web-bff", "warn",
              f"CORS origin {origin} rejected: not in CORS_ALLOWED_ORIGINS",
              mark=f"{title} | web-bff CORS rejected",
              extra={"labels": {"cors_origin": origin, "route": "/api/profile/avatar"}})
    url = f"https://{world.api_host}/api/profile/avatar"
    s.log(f"[console.error] Access to fetch at '{url}' from origin '{origin}' has been blocked by CORS "
          "policy: No 'Access-Control-Allow-Origin' header is present on the requested resource.")
    s.log(f"[console.error] Failed to load resource: net::ERR_FAILED {url}")
    s.wait(4700)
    return Failure(_expect_timeout("toHaveText", "locator('[data-test=toast]')", "Avatar updated",
                                   "Upload failed: TypeError: Failed to fetch"), line=25, column=42,
                   code="    await expect(page.locator('[data-test=toast]')).toHaveText('Avatar updated');")


def _updates_display_name(s: Session, retry: int) -> Failure | None:
    kw = _browser(s, "/account/profile")
    s.call("GET", "/api/profile", **kw)
    s.call("PATCH", "/api/profile", status=200, **kw)
    return None


# ---------------------------------------------------------------- cart (browser, ids printed)

def _cart_badge(s: Session, retry: int, faults: Faults) -> Failure | None:
    failing = "flaky-timing" in faults and retry == 0
    kw: dict[str, object] = _browser(s, "/cart")
    if failing:
        kw["marks"] = {"ingress": f"{s.spec.title} | first attempt's API calls, all 2xx, normal latency"}
    s.call("GET", "/api/cart", **kw)
    s.call("POST", "/api/cart/items", **kw)
    s.call("GET", "/api/cart", **kw)
    if not failing:
        return None
    s.wait(5000)
    return Failure("TimeoutError: locator.click: Timeout 5000ms exceeded.\nCall log:\n"
                   f"  {DIM}- waiting for locator('[data-test=cart-badge]'){UNDIM}\n",
                   error_type="TimeoutError", line=22, column=50,
                   code="    await page.locator('[data-test=cart-badge]').click();")


def _removes_an_item(s: Session, retry: int) -> Failure | None:
    kw = _browser(s, "/cart")
    s.call("GET", "/api/cart", **kw)
    s.call("DELETE", f"/api/cart/items/{s.world.rnd.randint(100, 999)}", **kw)
    s.call("GET", "/api/cart", **kw)
    return None


def _persists_cart(s: Session, retry: int) -> Failure | None:
    kw = _browser(s, "/cart")
    s.call("GET", "/api/cart", **kw)
    _browser(s, "/cart")
    s.call("GET", "/api/cart", **kw)
    return None


# ---------------------------------------------------------------- home (browser, tagged)

def _renders_hero(s: Session, retry: int) -> Failure | None:
    kw = _browser(s, "/")
    s.call("GET", "/api/products?category=featured", **kw)
    return None


def _product_price(s: Session, retry: int) -> Failure | None:
    kw = _browser(s, "/product/42")
    s.call("GET", "/api/products/42", **kw)
    s.call("GET", "/api/products/42/price", **kw)
    return None

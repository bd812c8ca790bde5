"""A build's simulated traffic: requests, the lines apps write about them, noise.

``World`` collects everything one build's logs will hold; ``background`` adds
the canary's own users, mirrored traffic, health checks and scanners; ``emit``
renders it all into per-file lines for a ``Sink``.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from triage.synth import formats
from triage.synth.writer import Sink
from triage.synth.world import (
    HEALTH_UA, MIRROR_UA, SERVICES, USER_UAS, AppEvent, DepCall, Rand, Request, route,
)

THIRD_PARTIES = {
    "checkout-api": ("POST", "/v1/payment_intents", "payments.vendor.example", "198.51.100.210"),
    "search-api": ("GET", "/v2/search", "search-backend.vendor.example", "203.0.113.40"),
    "catalog-api": ("GET", "/v1/recommendations", "recs.vendor.example", "203.0.113.77"),
}
SEARCH_TERMS = ("boots", "sneakers", "rain jacket", "wool socks", "backpack", "sandals", "scarf",
                "gloves", "trail shoes", "beanie")
DEFAULT_STATUS = {"POST": 201, "DELETE": 204}
DEPENDENCY_FILE = "logs/dependency/egress-envoy.log"


@dataclass
class World:
    """Everything one build's logs will show, before rendering."""

    build: str
    rnd: Rand
    domain: str                    # the storefront host, e.g. canary.shop.example
    runner_ip: str
    gateway: str = "kong"          # kong | envoy
    skew_ms: dict[str, int] = field(default_factory=dict)   # service -> clock error
    dashless: str = "cart-api"     # the service that logs request ids without dashes
    cri: tuple[str, ...] = ()      # services whose log is CRI-wrapped
    versions: dict[str, str] = field(default_factory=dict)  # service -> deployed version
    services: tuple[str, ...] = tuple(SERVICES)
    requests: list[Request] = field(default_factory=list)
    events: list[AppEvent] = field(default_factory=list)
    deps: list[DepCall] = field(default_factory=list)
    extra: list[tuple[str, int, str, str]] = field(default_factory=list)  # file, ms, text, mark

    @property
    def api_host(self) -> str:
        return "api." + self.domain

    # ------------------------------------------------------------ requests
    def request(self, start: int, method: str, path: str, *, client_ip: str, ua: str,
                rid: str | None = None, status: int | None = None, app_ms: int | None = None,
                host: str | None = None, service: str | None = "", plain: bool = False,
                **extra: Any) -> Request:
        """Add one request. ``service=""`` routes by path; ``plain`` skips app lines."""
        rnd = self.rnd
        svc = route(path) if service == "" else service
        status = status or (DEFAULT_STATUS.get(method, 200) if svc else 200)
        extra.setdefault("gateway_ms", rnd.between(1, 4))
        req = Request(
            start=start, method=method, path=path, status=status, client_ip=client_ip,
            user_agent=ua, rid=rid or rnd.hex(32), trace_id=rnd.hex(32), span_id=rnd.hex(16),
            app_span=rnd.hex(16), service=svc, host=host or (self.api_host if svc else self.domain),
            request_length=rnd.between(320, 900), **extra)
        if not req.bytes_sent:
            req.bytes_sent = _body_size(rnd, req)
        deps = [] if plain or req.short_circuit or not svc else self._plan_dependencies(req)
        if app_ms is None:
            app_ms = rnd.between(3, 40) + sum(d.duration for d in deps)
            if not svc:
                app_ms = rnd.between(1, 12)
        req.app_ms = app_ms
        self.requests.append(req)
        if svc and not plain and not req.short_circuit and svc in self.services:
            self._access_lines(req)
        return req

    def app(self, req: Request | None, ms: int, service: str, level: str, message: str,
            mark: str = "", **fields: Any) -> AppEvent:
        """An application line (tied to ``req`` when given) at ``ms``."""
        event = AppEvent(ms=ms, service=service, level=level, message=message, fields=fields,
                         request=req, mark=mark)
        self.events.append(event)
        return event

    def dependency(self, req: Request | None, ms: int, service: str, method: str, path: str,
                   authority: str, status: int, duration: int, *, ip: str = "203.0.113.40",
                   flags: str = "-", details: str = "via_upstream", mark: str = "") -> DepCall:
        """A call from ``service`` to a third party (seen by its egress sidecar) at ``ms``."""
        call = DepCall(ms=ms, service=service, method=method, path=path, authority=authority,
                       status=status, duration=duration, flags=flags, details=details,
                       upstream_ip=ip, request=req, mark=mark)
        self.deps.append(call)
        return call

    def _plan_dependencies(self, req: Request) -> list[DepCall]:
        third = THIRD_PARTIES.get(req.service or "")
        if third is None:
            return []
        bare = req.bare_path
        if req.service == "checkout-api" and not bare.endswith(("/checkout", "/orders")):
            return []
        if req.service == "search-api" and "/suggest" in bare:
            return []
        if req.service == "catalog-api" and self.rnd.random() > 0.25:
            return []
        method, path, authority, ip = third
        if req.service == "search-api":
            path += "?" + req.path.partition("?")[2]
        duration = self.rnd.between(30, 260)
        return [self.dependency(req, req.app_start + 2, req.service or "", method, path, authority,
                                200, duration, ip=ip)]

    def _access_lines(self, req: Request) -> None:
        svc = SERVICES[req.service or ""]
        end = req.app_end
        fields = {"status": req.status, "duration_ms": req.app_ms}
        if svc.flavour == "ecs-java":
            self.app(req, end, svc.name, "INFO",
                     f"Completed {req.method} {req.bare_path} with status {req.status} in {req.app_ms} ms",
                     thread=f"http-nio-8080-exec-{self.rnd.randint(1, 12)}",
                     logger=f"com.shop.{svc.name.split('-')[0]}.web.RequestLoggingFilter", **fields)
        elif svc.flavour == "ecs-node":
            level = "error" if req.status >= 500 else ("warn" if req.status >= 400 else "info")
            self.app(req, end, svc.name, level, "request completed", **fields)
        elif svc.flavour == "logfmt":
            level = "error" if req.status >= 500 else "info"
            self.app(req, end, svc.name, level, "request completed", **fields)
        elif svc.flavour == "pytext":
            self.app(req, end, svc.name, "INFO",
                     f'10.244.0.31:{self.rnd.randint(32768, 60999)} - "{req.method} {req.path} HTTP/1.1" '
                     f"{req.status}", logger="uvicorn.access")
        self._chatter(req)

    def _chatter(self, req: Request) -> None:
        """Ordinary INFO/DEBUG lines apps write mid-request."""
        rnd, svc, at = self.rnd, req.service, req.app_start + 1
        if svc == "catalog-api" and "/price" not in req.path and rnd.random() < 0.4:
            sku = req.bare_path.rsplit("/", 1)[-1]
            cache = "hit" if rnd.random() < 0.9 else "miss"
            self.app(req, at, svc, "DEBUG", f"price lookup sku={sku} cache={cache}",
                     thread="http-nio-8080-exec-4", logger="com.shop.catalog.PriceService")
        elif svc == "cart-api" and req.method != "GET":
            self.app(req, at, svc, "info", "cart updated", extra={"items": rnd.randint(1, 6)})
        elif svc == "search-api" and "/suggest" not in req.path:
            term = req.path.partition("q=")[2] or "boots"
            self.app(req, at, svc, "debug", "search executed",
                     extra={"q": term.replace("+", " "), "hits": rnd.randint(3, 240)})
        elif svc == "checkout-api" and req.bare_path.endswith(("/checkout", "/orders")):
            self.app(req, req.app_end - 1, svc, "INFO", f"Order {rnd.randint(880000, 889999)} placed",
                     thread="http-nio-8080-exec-7", logger="com.shop.checkout.OrderService")


def _body_size(rnd: Rand, req: Request) -> int:
    if req.status in (204, 304):
        return 0
    if not req.service and not req.short_circuit:
        return rnd.between(4200, 61000)
    if req.status >= 400:
        return rnd.between(60, 180)
    return rnd.between(90, 4800)


# ---------------------------------------------------------------- background

@dataclass(frozen=True)
class Client:
    ip: str
    ua: str
    sends_ids: bool


def clients(rnd: Rand, count: int = 36) -> list[Client]:
    """The canary's real users (documentation address ranges) and the traffic mirror."""
    found = []
    for i in range(count):
        net = ("198.51.100", "203.0.113", "192.0.2")[i % 3]
        ua = USER_UAS[rnd.randrange(len(USER_UAS))]
        found.append(Client(f"{net}.{rnd.randint(2, 254)}", ua, ua.startswith("ShopApp")))
    found.append(Client("10.40.3.7", MIRROR_UA, True))
    return found


def _user_call(world: World, ms: int, client: Client) -> Request:
    rnd = world.rnd
    roll = rnd.random()
    kw: dict[str, Any] = {"client_ip": client.ip, "ua": client.ua,
                          "rid": rnd.uuid() if client.sends_ids else None}
    if not client.sends_ids and roll < 0.22:
        page = rnd.choice(("/", "/search?q=" + rnd.choice(SEARCH_TERMS).replace(" ", "+"),
                           f"/product/{rnd.randint(1, 400)}", "/cart", "/checkout", "/account/profile"))
        return world.request(ms, "GET", page, service=None, **kw)
    pick = rnd.random()
    if pick < 0.28:
        sku = rnd.randint(1, 400)
        status = 404 if rnd.random() < 0.02 else 200
        return world.request(ms, "GET", f"/api/products/{sku}", status=status, **kw)
    if pick < 0.43:
        term = rnd.choice(SEARCH_TERMS).replace(" ", "+")
        path = f"/api/search?q={term}" if rnd.random() < 0.7 else f"/api/search/suggest?q={term[:3]}"
        return world.request(ms, "GET", path, **kw)
    if pick < 0.60:
        return world.request(ms, "GET", "/api/cart", **kw)
    if pick < 0.70:
        return world.request(ms, "POST", "/api/cart/items", **kw)
    if pick < 0.78:
        return world.request(ms, "GET", "/api/checkout/summary", **kw)
    if pick < 0.83:
        return checkout_request(world, ms, **kw)
    if pick < 0.90:
        return world.request(ms, "GET", f"/api/orders?customer={rnd.randint(10000, 99999)}", **kw)
    if pick < 0.96:
        return world.request(ms, "GET", "/api/profile", **kw)
    return world.request(ms, "POST", "/api/session/refresh", status=200, **kw)


def checkout_request(world: World, ms: int, *, audience: str | None = None, **kw: Any) -> Request:
    """POST /api/cart/checkout: Kong's JWT plugin asks auth-service first.

    With a token for another ``audience`` than the environment's, auth-service
    refuses it and Kong answers 401 itself (no upstream try).
    """
    expected = "shop-" + world.domain.split(".")[0]
    aud = audience or expected
    if aud != expected:
        kw.update(status=401, short_circuit=True, gateway_ms=world.rnd.randint(9, 16), resp_headers={
            "www-authenticate": 'Bearer error="invalid_token", '
                                'error_description="The access token audience is invalid"'})
    req = world.request(ms, "POST", "/api/cart/checkout", status=kw.pop("status", 200), **kw)
    if "auth-service" not in world.services:
        return req
    sub = f"user-{world.rnd.randint(1000, 9999)}"
    if aud == expected:
        world.app(req, req.gw_start + 1, "auth-service", "debug", "token validated",
                  logger="jwt", origin="jwt/validate.go:61", extra={"token.aud": aud, "token.sub": sub})
    else:
        world.app(req, req.gw_start + 3, "auth-service", "warn",
                  f"JWT validation failed: audience '{aud}' not allowed (expected '{expected}')",
                  mark=req.marks.get("auth", ""), logger="jwt", origin="jwt/validate.go:88",
                  extra={"token.aud": aud, "token.sub": "e2e-runner", "event.outcome": "failure"})
    return req


def background(world: World, start: int, end: int, rate_per_s: float) -> None:
    """Real canary users, mirrored traffic and LB health checks over [start, end)."""
    rnd = world.rnd
    pool = clients(rnd)
    t = start
    while True:
        t += int(rnd.expovariate(rate_per_s) * 1000) + 1
        if t >= end:
            break
        if rnd.random() < 0.06:
            world.request(t, "GET", "/healthz", client_ip=f"10.0.{rnd.randint(1, 3)}.{rnd.randint(10, 200)}",
                          ua=HEALTH_UA, service=None, host=world.domain)
            continue
        _user_call(world, t, pool[rnd.randrange(len(pool))])
    health = start + 15_000
    while health < end:
        _noise(world, health)
        health += rnd.randint(25_000, 70_000)


def _noise(world: World, ms: int) -> None:
    """Request-less INFO/WARN lines: pool stats, caches, key refreshes."""
    rnd = world.rnd
    choice = rnd.randrange(6)
    active = rnd.randint(0, 4)
    if choice == 0 and "checkout-api" in world.services:
        world.app(None, ms, "checkout-api", "DEBUG",
                  f"HikariPool-1 - Pool stats (total=10, active={active}, idle={10 - active}, waiting=0)",
                  thread="HikariPool-1 housekeeper", logger="com.zaxxer.hikari.pool.HikariPool")
    elif choice == 1 and "catalog-api" in world.services:
        world.app(None, ms, "catalog-api", "INFO",
                  f"Cache stats: hits={rnd.randint(900, 4000)} misses={rnd.randint(20, 200)} evictions=0",
                  thread="cache-stats-1", logger="com.shop.catalog.cache.CacheMetrics")
    elif choice == 2 and "auth-service" in world.services:
        world.app(None, ms, "auth-service", "info", "JWKS refreshed", logger="jwks",
                  origin="jwks/cache.go:44", extra={"keys": 3})
        world.dependency(None, ms - 38, "auth-service", "GET", "/.well-known/jwks.json",
                         "login.idp-vendor.example", 200, 37, ip="192.0.2.80")
    elif choice == 3 and "search-api" in world.services:
        world.app(None, ms, "search-api", "warn", "slow query",
                  extra={"took": f"{rnd.randint(600, 950)}ms", "index": "products-v7"})
    elif choice == 4 and "cart-api" in world.services:
        world.app(None, ms, "cart-api", "info", "redis pool stats",
                  extra={"hits": rnd.randint(500, 3000), "misses": rnd.randint(0, 40), "timeouts": 0})
    elif "web-bff" in world.services:
        world.app(None, ms, "web-bff", "info", "session store ping ok", extra={"labels": {"latency_ms": 2}})


def unrelated_errors(world: World, start: int, end: int) -> None:
    """A few real errors on requests no test made: they must never become evidence."""
    rnd = world.rnd
    span = end - start
    users = clients(rnd, 6)
    req = world.request(start + span // 7, "GET", "/api/products/311", client_ip=users[0].ip, ua=users[0].ua)
    if "catalog-api" in world.services:
        world.app(req, req.app_start + 3, "catalog-api", "ERROR",
                  "Failed to load recommendations for sku=311", thread="http-nio-8080-exec-9",
                  logger="com.shop.catalog.RecommendationClient",
                  **{"error.type": "java.net.SocketTimeoutException", "error.message": "Read timed out",
                     "error.stack_trace": "java.net.SocketTimeoutException: Read timed out\n\tat "
                     "java.base/sun.nio.ch.NioSocketImpl.timedRead(NioSocketImpl.java:278)\n\tat "
                     "com.shop.catalog.RecommendationClient.fetch(RecommendationClient.java:57)"})
    req = world.request(start + span // 2, "POST", "/api/cart/items", client_ip="10.40.3.7", ua=MIRROR_UA,
                        rid=rnd.uuid(), status=500)
    if "cart-api" in world.services:
        world.app(req, req.app_end - 1, "cart-api", "error", "failed to persist cart",
                  extra={"error": "redis: connection pool timeout", "attempt": 3})
    req = checkout_request(world, start + (span * 4) // 5, client_ip=users[2].ip, ua=users[2].ua, status=402)
    if "checkout-api" in world.services:
        world.app(req, req.app_end - 2, "checkout-api", "WARN",
                  f"Payment declined for order {rnd.randint(880000, 889999)}: card_declined",
                  thread="http-nio-8080-exec-2", logger="com.shop.checkout.PaymentService")
    world.request(start + span // 3, "GET", "/wp-login.php", client_ip="45.148.10.91",
                  ua="Mozilla/5.0 zgrab/0.x", service=None, status=404, host=world.domain)


# ---------------------------------------------------------------- rendering

def app_file(service: str) -> str:
    return f"logs/app/{service}.log"


def emit(world: World, sink: Sink, ingress: str, gateway: str) -> None:
    """Render every request, app line and dependency call into ``sink``'s files."""
    port = 40000
    for req in world.requests:
        port = 40000 + (port - 39999) % 20000
        sink.add(ingress, req.end, formats.ingress_nginx(req, world.gateway), req.marks.get("ingress", ""))
        if req.service or (req.short_circuit and req.host == world.api_host):
            line = formats.kong(req) if world.gateway == "kong" else formats.envoy_gateway_json(req, port)
            sink.add(gateway, req.gw_end, line, req.marks.get("gateway", ""))
    for ev in world.events:
        if ev.service not in world.services:
            continue
        ms = ev.ms + world.skew_ms.get(ev.service, 0)
        if ev.service in world.versions:
            ev.fields["version"] = world.versions[ev.service]
        text = formats.APP_RENDERERS[SERVICES[ev.service].flavour](ev, ms, ev.service == world.dashless)
        if ev.service in world.cri:
            text = formats.cri(text, ms, world.rnd.randint(0, 999_999))
        sink.add(app_file(ev.service), ms, text, ev.mark)
    for call in world.deps:
        port = 40000 + (port - 39999) % 20000
        sink.add(DEPENDENCY_FILE, call.ms + call.duration, formats.envoy_egress_text(call, port), call.mark)
    for path, ms, text, mark in world.extra:
        sink.add(path, ms, text, mark)

"""The sample shop the generator simulates: ids, clocks, services and requests.

Everything here is deterministic: randomness comes from a seeded ``Rand`` and
times are integer milliseconds since the epoch (UTC), so the same seed always
yields the same bytes.
"""
from __future__ import annotations

import calendar
import random
import re
import time
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
SLUG_RE = re.compile(r"[^a-z0-9]+")


class Rand(random.Random):
    """A seeded ``random.Random`` with id helpers (never ``uuid4``: ids must repeat)."""

    def hex(self, digits: int) -> str:
        """``digits`` random lowercase hex characters (never all zeros)."""
        return f"{self.getrandbits(4 * digits) | 1:0{digits}x}"

    def uuid(self) -> str:
        """A version-4-shaped UUID with dashes, drawn from this generator."""
        h = self.hex(32)
        variant = "89ab"[int(h[16], 16) & 3]
        return f"{h[:8]}-{h[8:12]}-4{h[13:16]}-{variant}{h[17:20]}-{h[20:]}"

    def between(self, low: int, high: int) -> int:
        """An int in [low, high], skewed towards low (like service latencies)."""
        span = high - low
        return low + int(span * self.random() ** 2.2)


def slug(title: str) -> str:
    """The test-tag slug: lower case, non-alphanumerics collapsed to '-'."""
    return SLUG_RE.sub("-", title.lower()).strip("-")


# ---------------------------------------------------------------- clocks

@lru_cache(maxsize=8192)
def _civil(second: int) -> tuple[int, int, int, int, int, int]:
    t = time.gmtime(second)
    return t.tm_year, t.tm_mon, t.tm_mday, t.tm_hour, t.tm_min, t.tm_sec


@lru_cache(maxsize=8192)
def _iso_second(second: int) -> str:
    y, mo, d, h, mi, s = _civil(second)
    return f"{y:04d}-{mo:02d}-{d:02d}T{h:02d}:{mi:02d}:{s:02d}"


def iso_ms(ms: int) -> str:
    """``2026-11-20T10:00:01.250Z``."""
    second, frac = divmod(ms, 1000)
    return f"{_iso_second(second)}.{frac:03d}Z"


def iso_s(ms: int) -> str:
    """``2026-11-20T10:00:01Z`` (second precision, as build.json has it)."""
    return _iso_second(ms // 1000) + "Z"


def iso_ns(ms: int, sub_ns: int) -> str:
    """RFC 3339 with nanoseconds, as CRI container lines have it."""
    second, frac = divmod(ms, 1000)
    return f"{_iso_second(second)}.{frac * 1_000_000 + sub_ns:09d}Z"


@lru_cache(maxsize=8192)
def clf(second: int) -> str:
    """nginx ``$time_local`` in UTC: ``20/Nov/2026:10:00:01 +0000``."""
    y, mo, d, h, mi, s = _civil(second)
    return f"{d:02d}/{MONTHS[mo - 1]}/{y:04d}:{h:02d}:{mi:02d}:{s:02d} +0000"


def nginx_error_time(ms: int) -> str:
    """nginx error-log time: ``2026/11/20 10:00:01``."""
    y, mo, d, h, mi, s = _civil(ms // 1000)
    return f"{y:04d}/{mo:02d}/{d:02d} {h:02d}:{mi:02d}:{s:02d}"


def klog_time(ms: int, sub_us: int = 0) -> str:
    """klog header time (no year): ``1120 10:00:01.250123``."""
    y, mo, d, h, mi, s = _civil(ms // 1000)
    return f"{mo:02d}{d:02d} {h:02d}:{mi:02d}:{s:02d}.{(ms % 1000) * 1000 + sub_us:06d}"


def python_time(ms: int) -> str:
    """Python logging ``asctime``: ``2026-11-20 10:00:01,250``."""
    return f"{_iso_second(ms // 1000).replace('T', ' ')},{ms % 1000:03d}"


def http_date(ms: int) -> str:
    """RFC 7231 date header: ``Fri, 20 Nov 2026 10:00:01 GMT``."""
    return _http_date(ms // 1000)


@lru_cache(maxsize=8192)
def _http_date(second: int) -> str:
    t = time.gmtime(second)
    day = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")[t.tm_wday]
    return (f"{day}, {t.tm_mday:02d} {MONTHS[t.tm_mon - 1]} {t.tm_year} "
            f"{t.tm_hour:02d}:{t.tm_min:02d}:{t.tm_sec:02d} GMT")


def to_ms(iso: str) -> int:
    """``2026-11-20T10:00:07Z`` (no fraction) -> epoch milliseconds."""
    return calendar.timegm(time.strptime(iso, "%Y-%m-%dT%H:%M:%SZ")) * 1000


# ---------------------------------------------------------------- the shop

@dataclass(frozen=True)
class Service:
    """One application service behind the gateway."""

    name: str
    flavour: str          # log format: ecs-java, ecs-node, ecs-go, logfmt, pytext
    pod_ip: str
    version: str
    user_agent: str       # what it sends to third parties

    @property
    def host(self) -> str:
        return f"{self.name}.shop.svc.cluster.local"


SERVICES: dict[str, Service] = {s.name: s for s in (
    Service("web-bff", "ecs-node", "10.244.2.31", "4.9.1", "node-fetch/3.3.2"),
    Service("auth-service", "ecs-go", "10.244.1.18", "1.22.0", "Go-http-client/2.0"),
    Service("checkout-api", "ecs-java", "10.244.3.44", "2.14.0", "Apache-HttpClient/5.3.1 (Java/21.0.5)"),
    Service("cart-api", "logfmt", "10.244.2.57", "3.2.4", "Go-http-client/1.1"),
    Service("search-api", "logfmt", "10.244.1.73", "1.8.2", "search-api/1.8.2"),
    Service("catalog-api", "ecs-java", "10.244.3.12", "5.0.3", "Apache-HttpClient/5.3.1 (Java/21.0.5)"),
    Service("orders-api", "pytext", "10.244.4.26", "0.31.0", "python-httpx/0.27.2"),
)}

# Longest prefix first: which service the gateway routes a path to.
ROUTES: tuple[tuple[str, str], ...] = (
    ("/api/cart/checkout", "checkout-api"),
    ("/api/cart/bulk", "checkout-api"),
    ("/api/cart", "cart-api"),
    ("/api/checkout", "checkout-api"),
    ("/api/search", "search-api"),
    ("/api/products", "catalog-api"),
    ("/api/admin/products", "catalog-api"),
    ("/api/orders", "orders-api"),
    ("/api/profile", "web-bff"),
    ("/api/session", "web-bff"),
)

KONG_POD = "10.244.0.31:8000"
ISTIO_GW_POD = "10.244.0.40:8080"
STOREFRONT_POD = "10.244.5.12:8080"
INGRESS_POD_IP = "10.244.0.9"
EGRESS_SIDECAR_IP = {name: svc.pod_ip for name, svc in SERVICES.items()}

CHROME_UA = ("Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) "
             "HeadlessChrome/130.0.6723.31 Safari/537.36")
USER_UAS = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/130.0.0.0 Safari/537.36",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) "
    "Version/18.1 Safari/605.1.15",
    "Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like "
    "Gecko) Version/18.1 Mobile/15E148 Safari/604.1",
    "Mozilla/5.0 (X11; Ubuntu; Linux x86_64; rv:132.0) Gecko/20100101 Firefox/132.0",
    "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/130.0.6723.102 Mobile Safari/537.36",
    "ShopApp/7.3.0 (iOS 18.1; iPhone15,3)",
)
MIRROR_UA = "shop-traffic-mirror/1.3 (+canary shadow)"
HEALTH_UA = "ELB-HealthChecker/2.0"


def route(path: str) -> str | None:
    """The service that serves ``path`` (None: storefront pages, unknown paths)."""
    bare = path.split("?", 1)[0]
    for prefix, service in ROUTES:
        if bare == prefix or bare.startswith(prefix + "/") or bare.startswith(prefix + "?"):
            return service
    return None


# ---------------------------------------------------------------- requests

@dataclass(slots=True)
class AppEvent:
    """One line an application (or the runner's log) writes."""

    ms: int
    service: str
    level: str
    message: str
    fields: dict[str, Any] = field(default_factory=dict)
    request: "Request | None" = None
    mark: str = ""


@dataclass(slots=True)
class DepCall:
    """A call from a service to a third party, seen by its egress sidecar."""

    ms: int
    service: str
    method: str
    path: str
    authority: str
    status: int
    duration: int
    flags: str = "-"
    details: str = "via_upstream"
    upstream_ip: str = "203.0.113.40"
    request: "Request | None" = None
    mark: str = ""


@dataclass(slots=True)
class Request:
    """One HTTP request from a client through ingress (and gateway) to a service.

    ``start`` is when the client sent it; every layer's times derive from it.
    """

    start: int
    method: str
    path: str
    status: int
    client_ip: str
    user_agent: str
    rid: str                      # X-Request-ID as sent, or ingress's 32-hex $req_id
    trace_id: str
    span_id: str                  # the ingress span (traceparent parent id)
    app_span: str                 # the application's transaction id
    service: str | None           # the app behind the gateway; None for storefront pages
    host: str
    app_ms: int = 5
    gateway_ms: int = 1
    short_circuit: bool = False   # the gateway answered itself (auth, rate limit, cache)
    referer: str = "-"
    test_name: str | None = None  # x-test-name header
    req_headers: dict[str, str] = field(default_factory=dict)
    resp_headers: dict[str, str] = field(default_factory=dict)
    bytes_sent: int = 0
    request_length: int = 0
    gateway_error: str | None = None
    marks: dict[str, str] = field(default_factory=dict)  # source kind -> evidence label

    @property
    def gw_start(self) -> int:
        return self.start + 2

    @property
    def app_start(self) -> int:
        return self.gw_start + self.gateway_ms

    @property
    def app_end(self) -> int:
        return self.app_start + (0 if self.short_circuit else self.app_ms)

    @property
    def gw_end(self) -> int:
        return self.app_end + 1

    @property
    def end(self) -> int:
        """When ingress-nginx finished (and logged) the request."""
        return self.gw_end + 1 if self.service or self.short_circuit else self.start + 1 + self.app_ms

    @property
    def bare_path(self) -> str:
        return self.path.split("?", 1)[0]

    @property
    def traceparent(self) -> str:
        return f"00-{self.trace_id}-{self.span_id}-01"

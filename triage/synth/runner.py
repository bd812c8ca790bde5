"""The test runner side: tests, their attempts and the requests they make.

A test is a ``Spec`` whose ``script`` drives a ``Session`` (the runner's HTTP
client and clock for one attempt) and returns ``None`` (passed) or a
``Failure``. ``run`` executes specs one after another (one worker) with
retries, the way the suites in the sample builds are configured.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable

from triage.synth.traffic import World, checkout_request
from triage.synth.world import Request, slug


@dataclass
class Failure:
    """How one attempt failed, in the runner's own words."""

    message: str
    stack: str = ""
    kind: str = "failed"          # failed | timedOut
    error_type: str = "Error"
    wait_ms: int = 0              # time spent waiting (e.g. an expect timeout) before failing
    line: int = 0
    column: int = 0
    code: str = ""                # the source line the runner shows in its snippet


@dataclass
class Attempt:
    start: int
    duration: int
    status: str                   # passed | failed | timedOut
    retry: int
    failure: Failure | None = None
    stdout: list[str] = field(default_factory=list)
    requests: list[Request] = field(default_factory=list)


@dataclass
class Spec:
    """One test: where it lives, how it identifies its requests, what it does."""

    path: tuple[str, ...]         # Playwright: (file, describe); JUnit: (classname,)
    title: str
    line: int
    script: Callable[["Session", int], Failure | None]
    ids: str = "none"             # none | send | print (send X-Request-ID and print it)
    tagged: bool = False          # x-test-name header + UA suffix
    category: str | None = None   # ground truth when it fails
    ua: str | None = None

    @property
    def suite(self) -> str:
        return " › ".join(self.path)


@dataclass
class Case:
    spec: Spec
    attempts: list[Attempt]

    @property
    def outcome(self) -> str:
        """Playwright's test status: expected | unexpected | flaky."""
        last = self.attempts[-1].status
        if last == "passed":
            return "flaky" if len(self.attempts) > 1 else "expected"
        return "unexpected"


class Session:
    """The runner's client for one attempt: sends requests from the runner IP."""

    def __init__(self, world: World, spec: Spec, start: int, ua: str):
        self.world = world
        self.spec = spec
        self.now = start
        tag = f" triage-test/{slug(spec.title)}" if spec.tagged else ""
        self.ua = ua + tag
        self.stdout: list[str] = []
        self.requests: list[Request] = []

    def call(self, method: str, path: str, *, gap: tuple[int, int] = (30, 220), **kw: Any) -> Request:
        """One API request through ingress and the gateway; advances the clock."""
        world, spec = self.world, self.spec
        rid = world.rnd.uuid() if spec.ids in ("send", "print") else None
        req = world.request(self.now, method, path, client_ip=world.runner_ip, ua=self.ua, rid=rid,
                            test_name=spec.title if spec.tagged else None, **kw)
        self.requests.append(req)
        if spec.ids == "print":
            self.stdout.append(f"{method} {req.bare_path} {req.status} x-request-id={req.rid}\n")
        self.now = req.end + world.rnd.randint(*gap)
        return req

    def checkout(self, **kw: Any) -> Request:
        """POST /api/cart/checkout, which Kong validates with auth-service first."""
        world, spec = self.world, self.spec
        rid = world.rnd.uuid() if spec.ids in ("send", "print") else None
        req = checkout_request(world, self.now, client_ip=world.runner_ip, ua=self.ua, rid=rid,
                               test_name=spec.title if spec.tagged else None, **kw)
        self.requests.append(req)
        if spec.ids == "print" and req.status < 400:
            self.stdout.append(f"POST {req.bare_path} {req.status} x-request-id={req.rid}\n")
        self.now = req.end + world.rnd.randint(30, 220)
        return req

    def page(self, path: str) -> Request:
        """A page navigation: the document comes from the storefront, not the gateway."""
        world = self.world
        req = world.request(self.now, "GET", path, client_ip=world.runner_ip, ua=self.ua,
                            service=None, host=world.domain, referer="-")
        self.requests.append(req)
        self.now = req.end + world.rnd.randint(350, 1200)  # render and hydrate
        return req

    def wait(self, ms: int) -> None:
        self.now += ms

    def log(self, text: str) -> None:
        self.stdout.append(text if text.endswith("\n") else text + "\n")


def run(world: World, specs: list[Spec], start: int, *, retries: int, ua: str,
        gap: tuple[int, int] = (120, 400)) -> tuple[list[Case], int]:
    """Run ``specs`` in order (one worker), retrying failures; returns cases and end time."""
    cases = []
    t = start
    for spec in specs:
        attempts: list[Attempt] = []
        for retry in range(retries + 1):
            session = Session(world, spec, t + world.rnd.randint(40, 120), spec.ua or ua)
            failure = spec.script(session, retry)
            if failure is not None:
                session.wait(failure.wait_ms)
            end = session.now + world.rnd.randint(20, 90)
            status = "passed" if failure is None else failure.kind
            attempts.append(Attempt(start=t, duration=end - t, status=status, retry=retry,
                                    failure=failure, stdout=session.stdout, requests=session.requests))
            t = end + world.rnd.randint(*gap)
            if failure is None:
                break
        cases.append(Case(spec, attempts))
    return cases, t

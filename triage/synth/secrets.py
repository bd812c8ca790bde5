"""A build full of secrets, to prove that none reaches a report.

``write_secret_build`` plants hundreds of secrets of every kind (seeded, so the
same call writes the same bytes) into the logs of several formats, a JUnit
report's failure messages, output and attachment names, ``build.json``,
Kubernetes manifests and ``.env`` files, and returns each planted secret with
the ``[REDACTED:kind]`` label the redactor must show instead.
"""
from __future__ import annotations

import base64
import dataclasses
import json
import random
import string
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable
from xml.sax.saxutils import escape, quoteattr

ALNUM = string.ascii_letters + string.digits
URLSAFE = ALNUM + "-_"


@dataclass(frozen=True)
class Planted:
    """One secret: its kind, the label that must replace it, where it was put."""

    kind: str
    label: str        # what ``[REDACTED:label]`` shows
    secret: str       # the value; no part of it may reach a report
    text: str         # the text it was planted in (a log message, header, line)
    where: str = ""   # file:line or file it was written to


def _token(rng: random.Random, size: int, alphabet: str = ALNUM) -> str:
    return "".join(rng.choice(alphabet) for _ in range(size))


def _jwt(rng: random.Random) -> str:
    def part(obj: dict) -> str:
        return base64.urlsafe_b64encode(json.dumps(obj).encode()).decode().rstrip("=")
    return ".".join((part({"alg": "RS256", "kid": _token(rng, 8)}),
                     part({"sub": _token(rng, 12), "aud": "shop-canary", "exp": rng.randrange(10**9, 2 * 10**9)}),
                     _token(rng, 43, URLSAFE)))


def _pem(rng: random.Random) -> str:
    body = "\n".join(_token(rng, 64, ALNUM + "+/") for _ in range(4))
    kind = rng.choice(("RSA PRIVATE KEY", "PRIVATE KEY", "EC PRIVATE KEY", "OPENSSH PRIVATE KEY"))
    return f"-----BEGIN {kind}-----\n{body}\n-----END {kind}-----"


# kind -> (label, make(rng) -> (secret, text that carries it))
Maker = Callable[[random.Random], tuple[str, str]]


def _kinds() -> dict[str, tuple[str, Maker]]:
    def with_secret(label: str, secret: Callable[[random.Random], str], *templates: str):
        def make(rng: random.Random) -> tuple[str, str]:
            value = secret(rng)
            return value, rng.choice(templates).format(s=value, u=_token(rng, 6).lower())
        return label, make

    def basic(rng: random.Random) -> str:
        return base64.b64encode(f"{_token(rng, 6)}:{_token(rng, 14)}".encode()).decode()

    return {
        "authorization-bearer": with_secret("authorization", lambda r: _token(r, 40, URLSAFE),
                                            "Authorization: Bearer {s}",
                                            "upstream rejected request (authorization: Bearer {s})"),
        "authorization-basic": with_secret("authorization", basic, "Authorization: Basic {s}",
                                           "retrying with authorization=Basic {s}"),
        "cookie": with_secret("cookie", lambda r: _token(r, 32), "Cookie: session={s}; theme=dark",
                              "request cookie: sid={s}"),
        "set-cookie": with_secret("cookie", lambda r: _token(r, 32),
                                  "Set-Cookie: sid={s}; Path=/; HttpOnly; Secure",
                                  "response set-cookie: refresh={s}; SameSite=Lax"),
        "x-api-key": with_secret("secret", lambda r: _token(r, 36), "X-Api-Key: {s}",
                                 "vendor call failed with x-api-key={s}"),
        "bearer-token": with_secret("bearer", lambda r: _token(r, 48, URLSAFE),
                                    "calling payments with bearer {s}", "token Bearer {s} expired"),
        "jwt": with_secret("jwt", _jwt, "JWT validation failed for {s}", "id_token {s} has wrong audience"),
        "aws-access-key": with_secret("aws-key", lambda r: "AKIA" + _token(r, 16, string.ascii_uppercase + string.digits),
                                      "S3 upload as {s} denied", "using credentials {s} from env"),
        "aws-secret-key": with_secret("secret", lambda r: _token(r, 40, ALNUM + "/+"),
                                      "aws_secret_access_key={s}", "AWS_SECRET_ACCESS_KEY: {s}"),
        "gcp-api-key": with_secret("google-api-key", lambda r: "AIza" + _token(r, 35, URLSAFE),
                                   "maps request with key {s} failed", "GET /geocode?address=x&k={s}"),
        "github-token": with_secret("github-token", lambda r: r.choice(("ghp_", "gho_", "ghs_")) + _token(r, 36),
                                    "clone failed with token {s}", "GITHUB token {s} rejected"),
        "github-fine-grained": with_secret("github-token", lambda r: "github_pat_" + _token(r, 22) + "_" + _token(r, 59),
                                           "clone failed with {s}", "using pat {s}"),
        "slack-token": with_secret("slack-token", lambda r: "xoxb-" + _token(r, 12, string.digits) + "-" + _token(r, 24),
                                   "slack notify with {s} failed", "posting as {s}"),
        "slack-webhook": with_secret("slack-webhook", lambda r: f"T{_token(r, 8).upper()}/B{_token(r, 8).upper()}/{_token(r, 24)}",
                                     "webhook https://hooks.slack.com/services/{s} returned 404",),
        "stripe-key": with_secret("stripe-key", lambda r: r.choice(("sk_live_", "rk_live_", "sk_test_")) + _token(r, 24),
                                  "stripe charge with {s} failed", "STRIPE key {s} invalid"),
        "url-password": with_secret("password", lambda r: _token(r, 16),
                                    "connect to postgres://shop:{s}@db.internal:5432/shop failed",
                                    "redis error at redis://default:{s}@cache:6379/0"),
        "query-password": with_secret("secret", lambda r: _token(r, 16),
                                      "GET /login?user={u}&password={s}&next=%2F", "POST /reset?token={s}"),
        "private-key": with_secret("private-key", _pem, "loaded key:\n{s}", "{s}"),
        "env-var": with_secret("secret", lambda r: _token(r, 24),
                               "DB_PASSWORD={s}", "PAYMENTS_API_KEY={s}", "SESSION_SECRET={s}",
                               "GITHUB_TOKEN={s}", "SIGNING_KEY={s}"),
    }


KINDS = _kinds()


def plant(per_kind: int = 200, seed: int = 7) -> list[Planted]:
    """``per_kind`` secrets of every kind in their texts, the same for the same seed."""
    rng = random.Random(seed)
    found = []
    for kind, (label, make) in KINDS.items():
        for _ in range(per_kind):
            secret, text = make(rng)
            found.append(Planted(kind, label, secret, text))
    rng.shuffle(found)
    return found


def needles(planted: Planted) -> list[str]:
    """The parts of a secret that must never be shown: the value, or each line of a key."""
    if planted.kind == "private-key":
        return [line for line in planted.secret.splitlines() if "-----" not in line]
    return [planted.secret]


# ------------------------------------------------------------------ the build folder

T0 = 1795168800  # 2026-11-20T10:00:00Z
FAILING_TESTS = 40


def _iso(seconds: float) -> str:
    whole = int(seconds)
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(whole)) + f".{int((seconds - whole) * 1000):03d}Z"


def _clf(seconds: float) -> str:
    return time.strftime("%d/%b/%Y:%H:%M:%S +0000", time.gmtime(int(seconds)))


def _one_line(text: str) -> str:
    return text.replace("\n", "\\n")


# One renderer per log format: (request id, time, planted text, status) -> one line.
def _ingress_nginx(rid: str, ts: float, text: str, status: int) -> str:
    path = "/api/login?" + text.split("?", 1)[1].split(" ")[0] if "?" in text else "/api/checkout"
    return (f'10.20.0.15 - - [{_clf(ts)}] "GET {path} HTTP/1.1" {status} 120 "-" "canary-smoke/1.0" '
            f'310 0.012 [shop-api-80] [] 10.1.0.7:8080 120 0.011 {status} {rid}')


def _kong(rid: str, ts: float, text: str, status: int) -> str:
    name, _, value = text.partition(": ")
    headers = {"x-request-id": rid, "host": "shop.example"}
    if value and " " not in name:
        headers[name.lower()] = value
    return json.dumps({"request": {"method": "GET", "uri": "/api/checkout", "headers": headers,
                                   "querystring": {}, "size": 310},
                       "response": {"status": status, "size": 120, "headers": {"x-request-id": rid}},
                       "latencies": {"request": 12, "kong": 1, "proxy": 11}, "client_ip": "10.20.0.15",
                       "started_at": int(ts * 1000), "upstream_uri": "/api/checkout"}, sort_keys=True)


def _ecs(rid: str, ts: float, text: str, status: int) -> str:
    return json.dumps({"@timestamp": _iso(ts), "log.level": "error", "message": text,
                       "service.name": "checkout-api", "http.request.id": rid,
                       "http.response.status_code": status, "ecs.version": "8.11.0"})


def _json_lines(rid: str, ts: float, text: str, status: int) -> str:
    return json.dumps({"ts": _iso(ts), "level": "error", "msg": text, "request_id": rid, "status": status})


def _logfmt(rid: str, ts: float, text: str, status: int) -> str:
    return f'time={_iso(ts)} level=error msg={json.dumps(_one_line(text))} request_id={rid} status={status}'


def _text(rid: str, ts: float, text: str, status: int) -> str:
    stamp = _iso(ts).replace("T", " ").replace("Z", "")
    return f"{stamp} ERROR [payments] request_id={rid} {text}"


def _cri(rid: str, ts: float, text: str, status: int) -> str:
    return f"{_iso(ts)} stderr F " + _json_lines(rid, ts, text, status)


LOG_FORMATS: dict[str, tuple[str, Callable[[str, float, str, int], str]]] = {
    "ingress-nginx": ("logs/ingress/ingress-nginx.log", _ingress_nginx),
    "kong-json": ("logs/gateway/kong.log", _kong),
    "ecs-json": ("logs/app/checkout-api.log", _ecs),
    "json-lines": ("logs/app/cart-api.log", _json_lines),
    "logfmt": ("logs/app/auth-service.log", _logfmt),
    "text": ("logs/app/payments.log", _text),
    "cri": ("logs/app/containers/web-bff.log", _cri),
}


def _junit(tests: list[tuple[str, str, str, list[str]]]) -> str:
    cases = []
    for name, message, stdout, attachments in tests:
        out = stdout + "".join(f"\n[[ATTACHMENT|{a}]]" for a in attachments)
        cases.append(f'  <testcase classname="secrets.spec.ts" name={quoteattr(name)} time="1.5">\n'
                     f'    <failure message={quoteattr(message)} type="Error">{escape(message)}</failure>\n'
                     f'    <system-out>{escape(out)}</system-out>\n  </testcase>')
    return ('<?xml version="1.0" encoding="UTF-8"?>\n<testsuites>\n'
            f'<testsuite name="secrets" tests="{len(tests)}" failures="{len(tests)}" hostname="gha-runner-7">\n'
            + "\n".join(cases) + "\n</testsuite>\n</testsuites>\n")


def write_secret_build(root: Path, build_id: str = "9001", per_kind: int = 200, seed: int = 7) -> list[Planted]:
    """Write ``<root>/builds/<build_id>/`` with every planted secret placed somewhere.

    Raises ValueError when ``per_kind`` is too small to fill every place.
    Each of ``FAILING_TESTS`` failed tests names a request id in its output; that
    request's lines in every log format carry secrets, so they reach the report's
    evidence. The rest go into background lines, malformed lines (shown as skip
    examples), test names, messages, output and attachment names, ``build.json``,
    manifests and ``.env`` files. Returns every secret with where it went.
    """
    rng = random.Random(seed)
    pool = plant(per_kind, seed)
    needed = FAILING_TESTS * (3 * len(LOG_FORMATS) + 5) + 3 * len(LOG_FORMATS) + 20
    if len(pool) < needed:
        raise ValueError(f"per_kind={per_kind} plants {len(pool)} secrets; this build needs {needed}")
    folder = root / "builds" / build_id
    logs: dict[str, list[str]] = {path: [] for path, _ in LOG_FORMATS.values()}
    placed: list[Planted] = []

    def take(where: str) -> Planted:
        item = pool.pop()
        placed.append(dataclasses.replace(item, where=where))
        return item

    tests = []
    for index in range(FAILING_TESTS):
        rid = _token(rng, 32, "0123456789abcdef")
        ts = T0 + 10 * index
        for fmt, (path, render) in LOG_FORMATS.items():
            for offset in range(3):
                item = take(path)
                text = item.text if fmt != "ingress-nginx" else f"GET /api/login?password={item.secret}"
                logs[path].append(render(rid, ts + offset * 0.01, text, 401))
        name = f"checkout {index} " + (take("junit name").text.split("\n")[0] if index % 4 == 0 else "pays")
        message = f"expected status 200, got 401 (x-request-id: {rid}) " + take("junit message").text
        stdout = "\n".join(take("junit stdout").text for _ in range(3))
        attachments = [f"screenshots/{_token(rng, 8)}-{take('junit attachment').secret}.png"]
        tests.append((name, message, stdout, attachments))
    for path in logs:  # malformed lines: their start is shown as a skip example
        for _ in range(3):
            logs[path].append("%%broken%% " + _one_line(take(path).text))
    background = list(LOG_FORMATS.values())
    while len(pool) > 3 * per_kind // 4:
        path, render = background[len(pool) % len(background)]
        item = take(path)
        logs[path].append(render(_token(rng, 32, "0123456789abcdef"), T0 + rng.random() * 400,
                                 _one_line(item.text) if path.endswith(".log") else item.text, 200))
    _write(folder / "reports" / "junit.xml", _junit(tests))
    for path, lines in logs.items():
        _write(folder / path, "\n".join(lines) + "\n")
    _write_metadata(folder, build_id, take)
    _write_manifests(folder, take, lambda: bool(pool))
    return placed


def _write_metadata(folder: Path, build_id: str, take: Callable[[str], Planted]) -> None:
    """``build.json`` with secrets in free text and under secret-named keys."""
    metadata = {"build": build_id, "env": "canary", "runner": "gha-runner-7", "runner_ip": "10.20.0.15",
                "trigger_url": take("build.json").text, "notes": [take("build.json").text for _ in range(5)],
                "deploy_env": {f"{take('build.json').text.partition('=')[0]}": "see below"}}
    for _ in range(10):
        item = take("build.json")
        metadata["deploy_env"][f"{item.kind.upper().replace('-', '_')}_{len(metadata['deploy_env'])}_TOKEN"] = item.secret
    _write(folder / "build.json", json.dumps(metadata, indent=2, sort_keys=True) + "\n")


def _write_manifests(folder: Path, take: Callable[[str], Planted], left: Callable[[], bool]) -> None:
    """The rest of the secrets as env entries of a Deployment and lines of a .env file."""
    env_entries, dotenv_lines = [], []
    while left():
        to_yaml = len(env_entries) <= len(dotenv_lines)
        item = take("env/canary/deployment.yaml" if to_yaml else "env/canary/app.env")
        name = item.text.partition("=")[0] if item.kind == "env-var" else f"{item.kind.upper().replace('-', '_')}_SECRET"
        if to_yaml:
            env_entries.append(f"            - name: {name}\n              value: {json.dumps(item.secret)}")
        else:
            dotenv_lines.append(f"{name}={json.dumps(_one_line(item.secret))}")
    _write(folder / "env" / "canary" / "deployment.yaml",
           "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: checkout\n  namespace: shop\n"
           "spec:\n  template:\n    spec:\n      containers:\n        - name: api\n"
           "          image: registry.shop.example/checkout:2026.47\n          env:\n"
           + "\n".join(env_entries) + "\n")
    _write(folder / "env" / "canary" / "app.env", "\n".join(dotenv_lines) + "\n")


def _write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")

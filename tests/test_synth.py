"""The seeded sample-data generator (triage.synth) and the benchmark window.

The committed ``sample_data/`` must be exactly what the generator writes; the
evidence lines the README names must hold what each failure story says; the
window must hold exactly N lines that the loader detects as the intended formats.
"""
from __future__ import annotations

import gzip
import json
import re
from pathlib import Path

import orjson
import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.conftest import SAMPLE_DATA
from triage.ingest import registry
from triage.ingest.ids import ID_IN_TEXT
from triage.synth import build_all, generate_window, write_sample_data
from triage.synth.__main__ import main
from triage.synth.formats import logfmt_value
from triage.synth.world import slug

BUILDS = ("1230", "1234", "1235", "1236", "1237", "1238", "1239", "1240")
RUNNER = "10.20.0.15"


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory):
    """The builds simulated once and written to a temporary data dir."""
    out = tmp_path_factory.mktemp("sample")
    built = build_all()
    files = write_sample_data(out, built)
    return out, {b.build: b for b in built}, files


def _text(path: Path) -> str:
    raw = path.read_bytes()
    return (gzip.decompress(raw) if raw[:2] == b"\x1f\x8b" else raw).decode("utf-8")


def _line(root: Path, where: str) -> str:
    rel, _, number = where.rpartition(":")
    return _text(root / rel).split("\n")[int(number) - 1]


def _marked(generated, build: str, label: str) -> list[str]:
    out, built, _ = generated
    return [_line(out / "builds" / build, where) for where in built[build].sink.marks[label]]


def _json_marked(generated, build: str, label: str) -> list[dict]:
    return [orjson.loads(line) for line in _marked(generated, build, label)]


def _missing(*modules: str) -> list[str]:
    registry.ingestors()
    return [spec for spec in registry.MISSING_BUILTINS if spec.split(":")[0] in modules]


# ---------------------------------------------------------------- reproducibility

def test_regenerating_gives_the_committed_sample_data_byte_for_byte(generated):
    out, _, files = generated
    assert SAMPLE_DATA.is_dir(), "sample_data/ is missing: run python -m triage.synth sample_data"
    produced = {p.relative_to(out).as_posix() for p in files}
    committed = {p.relative_to(SAMPLE_DATA).as_posix() for p in SAMPLE_DATA.rglob("*") if p.is_file()}
    assert produced == committed
    for rel in sorted(produced):
        assert (out / rel).read_bytes() == (SAMPLE_DATA / rel).read_bytes(), f"{rel} differs: regenerate"


def test_a_second_run_in_the_same_process_is_identical(generated, tmp_path):
    out, _, files = generated
    again = write_sample_data(tmp_path, build_all())
    assert [p.relative_to(tmp_path) for p in again] == [p.relative_to(out) for p in files]
    assert all(a.read_bytes() == b.read_bytes() for a, b in zip(again, files))


def test_sizes_and_gzip(generated):
    out, _, files = generated
    assert sum(p.stat().st_size for p in files) < 3_000_000
    for build in BUILDS:
        logs = list((out / "builds" / build / "logs").rglob("*"))
        assert any(p.name.endswith(".gz") for p in logs), build
        for gz in (p for p in logs if p.suffix == ".gz"):
            assert gzip.decompress(gz.read_bytes()).endswith(b"\n")


# ---------------------------------------------------------------- metadata and truth

def test_truth_lists_every_failing_test_with_its_category(generated):
    out, _, _ = generated
    truth = json.loads((out / "truth.json").read_text(encoding="utf-8"))
    assert truth == {
        "1234": {"checkout.spec.ts › checkout::pays with saved card": "auth",
                 "search.spec.ts › search::shows results for boots": "dependency",
                 "profile.spec.ts › profile::uploads an avatar": "config",
                 "cart.spec.ts › cart::cart badge updates after add": "flaky-timing"},
        "1235": {"com.shop.it.PriceApiIT::priceReflectsUpdate": "cache"},
        "1236": {"tests.api.test_orders::test_order_history_lists_legacy_orders": "data"},
        "1237": {"cart api::bulk add to cart under load": "traffic"},
        "1238": {"checkout.spec.ts › checkout over https::opens checkout over https": "network"},
        "1239": {"github.com/shop/e2e/checkout::TestCheckoutAppliesPromo": "regression"},
        "1240": {"shows the shop title::storefront smoke shows the shop title": "unknown"},
    }


def test_build_json_has_every_contract_key(generated):
    out, _, _ = generated
    docs = {b: json.loads((out / "builds" / b / "build.json").read_text()) for b in BUILDS}
    for build, doc in docs.items():
        assert doc["build"] == build
        assert {"env", "commit", "image", "started_at", "finished_at", "runner", "runner_ip", "browser",
                "region", "flags"} <= doc.keys()
        assert doc.get("baseline") == (None if build == "1230" else "1230")
    assert docs["1230"]["env"] == "staging" and docs["1234"]["env"] == "canary"
    assert docs["1234"]["runner_ip"] == RUNNER and docs["1234"]["started_at"] == "2026-11-20T10:00:07Z"
    assert docs["1234"]["commit"] == docs["1230"]["commit"] != docs["1239"]["commit"]
    assert docs["1239"]["image"].endswith(":2026.47.3-a81d44b") and docs["1239"]["changed_paths"]
    starts = [docs[b]["started_at"] for b in BUILDS]
    assert starts == sorted(starts)


def test_envs_differ_in_the_cors_allowlist(generated):
    out, _, _ = generated
    canary = (out / "builds/1234/env/canary/deployments.yaml").read_text()
    staging = (out / "builds/1234/env/staging/deployments.yaml").read_text()
    assert "value: https://shop.example,https://www.shop.example" in canary
    assert "value: https://staging.shop.example" in staging
    assert "https://canary.shop.example" not in re.search(r"CORS_ALLOWED_ORIGINS\n.*", canary).group(0)


# ---------------------------------------------------------------- build 1234's stories

def _report(out: Path, build: str) -> dict:
    return json.loads((out / "builds" / build / "reports/playwright-report.json").read_text(encoding="utf-8"))


def _results(report: dict, title: str) -> list[dict]:
    for top in report["suites"]:
        for suite in top["suites"]:
            for spec in suite["specs"]:
                if spec["title"] == title:
                    return spec["tests"][0]["results"]
    raise KeyError(title)


def test_1234_report_has_three_failures_and_one_flaky(generated):
    out, _, _ = generated
    report = _report(out, "1234")
    assert report["stats"] | {"startTime": None, "duration": None} == {
        "startTime": None, "duration": None, "expected": 8, "skipped": 0, "unexpected": 3, "flaky": 1}
    assert [r["status"] for r in _results(report, "cart badge updates after add")] == ["failed", "passed"]
    assert [r["status"] for r in _results(report, "pays with saved card")] == ["failed", "failed"]


def test_1234_auth_evidence_carries_the_id_printed_by_the_test(generated):
    out, _, _ = generated
    results = _results(_report(out, "1234"), "pays with saved card")
    ids = [re.search(r"x-request-id: (\S+)\)", r["error"]["message"]).group(1) for r in results]
    kong = _json_marked(generated, "1234", "pays with saved card | gateway 401 www-authenticate")
    assert [k["request"]["headers"]["x-request-id"] for k in kong] == ids
    assert all(k["response"]["status"] == 401 and k["latencies"]["proxy"] == -1 and k["tries"] == [] for k in kong)
    assert kong[0]["response"]["headers"]["www-authenticate"] == (
        'Bearer error="invalid_token", error_description="The access token audience is invalid"')
    auth = _json_marked(generated, "1234", "pays with saved card | auth-service JWT audience")
    assert [a["http.request.id"] for a in auth] == ids
    assert auth[0]["message"] == ("JWT validation failed: audience 'shop-staging' not allowed "
                                  "(expected 'shop-canary')")
    ingress = _marked(generated, "1234", "pays with saved card | ingress 401")
    assert [line.rsplit(" ", 1)[1] for line in ingress] == ids
    assert all(line.startswith(RUNNER + " ") and '"POST /api/cart/checkout HTTP/1.1" 401 ' in line
               for line in ingress)


def test_1234_dependency_evidence_is_linked_by_test_tag_only(generated):
    out, _, _ = generated
    results = _results(_report(out, "1234"), "shows results for boots")
    assert all(not ID_IN_TEXT.search(json.dumps(r["stdout"]) + r["error"]["message"]) for r in results)
    kong = _json_marked(generated, "1234", "shows results for boots | gateway 504 search-api")
    assert all(k["request"]["headers"]["x-test-name"] == "shows results for boots" for k in kong)
    assert all(k["response"]["status"] == 504 and k["service"]["name"] == "search-api" for k in kong)
    ingress = _marked(generated, "1234", "shows results for boots | ingress 504")
    assert all('triage-test/shows-results-for-boots" ' in line and " 504 " in line for line in ingress)
    egress = _marked(generated, "1234", "shows results for boots | egress UT 504 search-backend")
    assert all('" 504 UT response_timeout ' in line and '"search-backend.vendor.example"' in line
               for line in egress)
    app = _marked(generated, "1234", "shows results for boots | search-api upstream request failed")
    assert app[0].split(" ", 1)[1].startswith('level=error msg="upstream request failed" service=search-api')
    assert ('upstream=search-backend.vendor.example:443 error="context deadline exceeded" duration=3001ms'
            in app[0])
    rids = [k["request"]["headers"]["x-request-id"] for k in kong]
    assert [re.search(r"request_id=(\w+)", line).group(1) for line in app] == rids


def test_1234_config_failure_has_no_ids_and_no_tags(generated):
    out, _, _ = generated
    results = _results(_report(out, "1234"), "uploads an avatar")
    stdout = "".join(item["text"] for item in results[0]["stdout"])
    assert "has been blocked by CORS policy: No 'Access-Control-Allow-Origin' header is present" in stdout
    assert not ID_IN_TEXT.search(stdout)
    kong = _json_marked(generated, "1234", "uploads an avatar | gateway OPTIONS 403")
    assert all("x-test-name" not in k["request"]["headers"] and k["client_ip"] == RUNNER for k in kong)
    assert all(k["request"]["method"] == "OPTIONS" and k["response"]["status"] == 403 for k in kong)
    bff = _json_marked(generated, "1234", "uploads an avatar | web-bff CORS rejected")
    assert bff[0]["message"] == "CORS origin https://canary.shop.example rejected: not in CORS_ALLOWED_ORIGINS"
    assert [b["http"]["request"]["id"] for b in bff] == [k["request"]["headers"]["x-request-id"] for k in kong]
    ingress = _marked(generated, "1234", "uploads an avatar | ingress OPTIONS 403")
    assert all(re.fullmatch(r".* [0-9a-f]{32}", line) and "triage-test" not in line for line in ingress)


def test_1234_flaky_attempt_saw_only_healthy_requests_and_cart_api_drops_dashes(generated):
    out, _, _ = generated
    first = _results(_report(out, "1234"), "cart badge updates after add")[0]
    printed = re.findall(r"x-request-id=(\S+)", "".join(item["text"] for item in first["stdout"]))
    assert len(printed) == 3 and all(len(rid) == 36 for rid in printed)
    ingress = _marked(generated, "1234",
                      "cart badge updates after add | first attempt's API calls, all 2xx, normal latency")
    assert [line.rsplit(" ", 1)[1] for line in ingress] == printed
    assert all(re.search(r'" 20[01] ', line) for line in ingress)
    cart = (out / "builds/1234/logs/app/cart-api.log").read_text()
    for rid in printed:
        assert f"request_id={rid.replace('-', '')} " in cart and rid not in cart


def test_1234_checkout_api_clock_runs_4_2_seconds_fast(generated):
    out, _, _ = generated
    kong = {}
    for line in _text(out / "builds/1234/logs/gateway/kong.log.gz").splitlines():
        if line.endswith("}"):
            obj = orjson.loads(line)
            kong[obj["request"]["headers"]["x-request-id"]] = obj
    offsets = []
    for line in (out / "builds/1234/logs/app/checkout-api.log").read_text().splitlines():
        obj = orjson.loads(line)
        k = kong.get(obj.get("http.request.id"))
        if k and "http.response.status_code" in obj:
            stamp = re.match(r"(.*)T(\d\d):(\d\d):(\d\d)\.(\d{3})Z", obj["@timestamp"]).groups()
            ms = ((int(stamp[1]) * 60 + int(stamp[2])) * 60 + int(stamp[3])) * 1000 + int(stamp[4])
            start = k["started_at"] % 86_400_000
            offsets.append(ms - start - k["latencies"]["request"])
    assert len(offsets) > 20
    assert all(4195 <= off <= 4200 for off in offsets)


def test_1234_has_exactly_two_malformed_lines(generated):
    kong = _marked(generated, "1234", "malformed | kong JSON line cut")
    with pytest.raises(orjson.JSONDecodeError):
        orjson.loads(kong[0])
    ingress = _marked(generated, "1234", "malformed | ingress line cut mid-request")
    assert ingress[0].count('"') == 1 and ingress[0].startswith("198.51.100.23 - - [20/Nov/2026:")
    malformed = [k for b in generated[1].values() for k in b.sink.marks if k.startswith("malformed")]
    assert len(malformed) == 2


def test_background_traffic_surrounds_the_tests(generated):
    out, _, _ = generated
    for build in BUILDS:
        lines = _text(out / "builds" / build / "logs/ingress/ingress-nginx.log.gz").splitlines()
        access = [line for line in lines if " - - [" in line]
        clients = {line.split(" ", 1)[0] for line in access}
        assert len(clients) > 20 and "10.40.3.7" in clients
        runner = "10.20.0.12" if build == "1230" else RUNNER
        assert not access[0].startswith(runner) and not access[-1].startswith(runner)
        assert (runner in clients) == (build != "1240")


def test_1240_has_no_runner_traffic_and_1238_only_controller_errors(generated):
    out, _, _ = generated
    for path in (out / "builds/1240/logs").rglob("*.*"):
        assert RUNNER not in _text(path), path
    lines = _marked(generated, "1238", "opens checkout over https | ingress SSL_do_handshake failed")
    assert len(lines) == 2 and all(f"client: {RUNNER}," in line for line in lines)
    assert "SSL_do_handshake() failed (SSL: error:0A000086:SSL routines::certificate verify failed)" in lines[0]


def test_junit_builds_evidence(generated):
    cache = _json_marked(generated, "1235", "priceReflectsUpdate | gateway cache Hit age 1800")
    headers = cache[0]["response"]["headers"]
    assert (headers["x-cache-status"], headers["age"], cache[0]["tries"]) == ("Hit", "1800", [])
    purge = _marked(generated, "1235", "priceReflectsUpdate | catalog-api cache purge skipped")
    assert "cache purge skipped for key price:42: purge queue disabled" in purge[0]
    data = generated[0] / "builds/1236/logs/app/orders-api.log"
    label = "test_order_history_lists_legacy_orders | orders-api serialize error + traceback"
    where = generated[1]["1236"].sink.marks[label]
    start = int(where[0].rsplit(":", 1)[1])
    block = data.read_text().splitlines()[start - 1:start + 8]
    assert "ERROR [orders.api.history] request_id=" in block[0]
    assert block[1] == "Traceback (most recent call last):"
    assert block[-1].startswith("UnicodeDecodeError: 'utf-8' codec can't decode byte 0xe9 in position 14")
    hikari = _marked(generated, "1237", "bulk add to cart under load | checkout-api HikariPool timeout")
    assert len(hikari) == 15
    limited = orjson.loads(_marked(generated, "1237", "bulk add to cart under load | gateway 429 rate limit")[0])
    assert limited["response"]["headers"]["x-ratelimit-remaining-minute"] == "0"
    assert limited["request"]["headers"]["x-test-name"] == "bulk add to cart under load"
    npe = _marked(generated, "1239", "TestCheckoutAppliesPromo | checkout-api NullPointerException")[0]
    stamp, stream, tag, payload = npe.split(" ", 3)
    assert stream == "stdout" and tag == "F" and re.fullmatch(r"[\d-]+T[\d:]+\.\d{9}Z", stamp)
    doc = orjson.loads(payload)
    assert doc["error.type"] == "java.lang.NullPointerException" and doc["service.version"] == "2.15.0"
    assert "at com.shop.checkout.PromoService.apply(PromoService.java:88)" in doc["error.stack_trace"]


# ---------------------------------------------------------------- detection by the loader

EXPECTED_FORMATS = {
    "build.json": "build-json", "logs/ingress/ingress-nginx.log.gz": "ingress-nginx",
    "logs/gateway/kong.log.gz": "kong-json", "logs/gateway/istio-ingressgateway.log.gz": "envoy-json",
    "logs/dependency/egress-envoy.log": "envoy-text", "logs/app/cart-api.log": "logfmt",
    "logs/app/search-api.log": "logfmt", "logs/app/orders-api.log": "text",
    "reports/playwright-report.json": "playwright-json", "deployments.yaml": "k8s-yaml",
    "runner.env": "dotenv", "flags.json": "feature-flags",
}


def test_every_sample_file_is_detected_as_its_format(generated):
    missing = _missing(*{f"triage.ingest.{m}" for m in ("nginx", "kong", "envoy", "ecs", "logfmt", "text",
                                                        "container", "junit", "playwright")})
    if missing:
        pytest.skip(f"ingestors not written yet: {missing}")
    from triage.ingest.loader import read_source
    out, _, _ = generated
    skipped = {}
    for build in BUILDS:
        root = out / "builds" / build
        for path in sorted(p for p in root.rglob("*") if p.is_file()):
            rel = path.relative_to(root).as_posix()
            info = read_source(path, rel).info
            expected = next((fmt for suffix, fmt in EXPECTED_FORMATS.items() if rel.endswith(suffix)), None)
            if rel.endswith(".xml"):
                expected = "junit-xml"
            elif expected is None:
                expected = "cri" if (build, rel) == ("1239", "logs/app/checkout-api.log") else "ecs-json"
            assert (info.format, info.status) == (expected, "ok"), (build, rel, info.reason)
            if info.skipped_lines:
                skipped[(build, rel)] = [e.line for e in info.examples]
    marks = generated[1]["1234"].sink.marks
    assert marks["malformed | kong JSON line cut"] == ["logs/gateway/kong.log.gz:428"]
    assert marks["malformed | ingress line cut mid-request"] == ["logs/ingress/ingress-nginx.log.gz:443"]
    assert skipped == {("1234", "logs/gateway/kong.log.gz"): [428],
                       ("1234", "logs/ingress/ingress-nginx.log.gz"): [443]}


# ---------------------------------------------------------------- the benchmark window

def test_window_writes_exactly_n_events_over_four_sources(tmp_path):
    stats = generate_window(tmp_path, events=20_000, seed=7)
    root = tmp_path / "builds" / "bench"
    counts = {rel: len((root / rel).read_text().splitlines()) for rel in stats.per_file}
    assert counts == stats.per_file and sum(counts.values()) == 20_000 == stats.events
    shares = {rel.rsplit("/", 1)[1]: n / 20_000 for rel, n in counts.items()}
    assert abs(shares["ingress-nginx.log"] - 0.30) < 0.005 and abs(shares["kong.log"] - 0.30) < 0.01
    assert abs(shares["ecs-services.log"] - 0.25) < 0.005 and abs(shares["logfmt-services.log"] - 0.15) < 0.01
    report = json.loads((root / "reports/playwright-report.json").read_text(encoding="utf-8"))
    assert sum(report["stats"][k] for k in ("expected", "unexpected", "flaky")) == 50
    assert (report["stats"]["unexpected"], report["stats"]["flaky"]) == (3, 1)
    assert set(stats.truth.values()) == {"auth", "dependency", "config", "flaky-timing"}
    ingress = (root / "logs/ingress/ingress-nginx.log").read_text().splitlines()
    assert ingress[0].split("[", 1)[1].startswith("21/Nov/2026:09:00:") and "21/Nov/2026:09:5" in ingress[-1]


def test_window_is_reproducible_per_seed(tmp_path):
    generate_window(tmp_path / "a", events=12_000, seed=3)
    generate_window(tmp_path / "b", events=12_000, seed=3)
    generate_window(tmp_path / "c", events=12_000, seed=4)
    rel = "builds/bench/logs/gateway/kong.log"
    assert (tmp_path / "a" / rel).read_bytes() == (tmp_path / "b" / rel).read_bytes()
    assert (tmp_path / "a" / rel).read_bytes() != (tmp_path / "c" / rel).read_bytes()


def test_window_files_are_detected_as_the_intended_formats(tmp_path):
    missing = _missing("triage.ingest.nginx", "triage.ingest.kong", "triage.ingest.ecs", "triage.ingest.logfmt",
                       "triage.ingest.playwright")
    if missing:
        pytest.skip(f"ingestors not written yet: {missing}")
    from triage.ingest.loader import read_source
    generate_window(tmp_path, events=10_000, seed=7)
    root = tmp_path / "builds" / "bench"
    expected = {"logs/ingress/ingress-nginx.log": ("ingress-nginx", 3000),
                "logs/gateway/kong.log": ("kong-json", None), "logs/app/ecs-services.log": ("ecs-json", 2500),
                "logs/app/logfmt-services.log": ("logfmt", None),
                "reports/playwright-report.json": ("playwright-json", None), "build.json": ("build-json", None)}
    for rel, (fmt, events) in expected.items():
        info = read_source(root / rel, rel).info
        assert (info.format, info.status, info.skipped_lines) == (fmt, "ok", 0), rel
        if events:
            assert info.events == events


def test_window_refuses_too_few_events(tmp_path):
    with pytest.raises(ValueError, match="too small"):
        generate_window(tmp_path, events=500, seed=7)


def test_cli(tmp_path, capsys):
    assert main(["window", str(tmp_path), "--events", "10000", "--seed", "1"]) == 0
    assert "wrote 10000 events" in capsys.readouterr().out
    with pytest.raises(SystemExit) as exc:
        main(["window", str(tmp_path), "--events", "10"])
    assert exc.value.code == 2


# ---------------------------------------------------------------- small helpers

@given(st.text(max_size=60))
def test_logfmt_values_never_leak_separators(value):
    token = logfmt_value(value)
    assert "\n" not in token and "\r" not in token
    if token.startswith('"'):
        assert json.loads(token) == value
    else:
        assert token and not re.search(r'[\s="\\]', token)


@given(st.text(max_size=80))
def test_slugs_are_lowercase_words_joined_by_dashes(title):
    value = slug(title)
    assert re.fullmatch(r"([a-z0-9]+(-[a-z0-9]+)*)?", value)
    assert slug("Cart badge updates after add!") == "cart-badge-updates-after-add"

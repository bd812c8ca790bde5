"""``triage diff-env`` on sample_data and on our own manifests: ranking, build ids,
expected drift, unknown kinds, secrets, bad input and the CLI's formats."""
from __future__ import annotations

import json
import shutil
from pathlib import Path

import jsonschema
import pytest
from typer.testing import CliRunner

from tests.conftest import REPO, SAMPLE_DATA
from triage.cli import app
from triage.drift import DriftKind, EnvironmentNotFound, ManifestError, diff_environments
from triage.drift.diff import renamed
from triage.errors import UnknownBuildError

SCHEMA = json.loads((REPO / "triage" / "report" / "schema" / "envdiff.v1.json").read_text())
CORS_PATH = "spec.template.spec.containers[web-bff].env.CORS_ALLOWED_ORIGINS"
runner = CliRunner()


def _cli(*args: str):
    return runner.invoke(app, list(args), catch_exceptions=False)


def _by_path(result) -> dict[tuple[str, str], object]:
    return {(d.object, d.path): d for d in result.differences}


def test_build_1234_ranks_the_cors_allowlist_first_and_harmless_drift_below():
    result = diff_environments("1234", data_dir=SAMPLE_DATA)
    assert (result.a, result.b) == ("builds/1234/env/staging", "builds/1234/env/canary")
    first = result.differences[0]
    assert (first.object, first.path, first.kind, first.score) == (
        "Deployment/shop/web-bff", CORS_PATH, DriftKind.INGRESS_RULE, 0.95)
    assert (first.a, first.b) == ("https://staging.shop.example", "https://shop.example,https://www.shop.example")
    assert all(d.score < first.score for d in result.differences[1:])
    found = _by_path(result)
    replicas = found[("Deployment/shop/web-bff", "spec.replicas")]
    label = found[("Ingress/shop/shop", "metadata.labels.shop.example/track")]
    assert (replicas.kind, replicas.a, replicas.b, replicas.score) == (DriftKind.REPLICAS, "2", "1", 0.2)
    assert (label.kind, label.a, label.b, label.score) == (DriftKind.OTHER, "stable", "canary", 0.1)
    defaults = [d for d in result.differences if d.kind is DriftKind.SERVER_DEFAULT]
    assert [(d.path, d.a, d.b) for d in defaults] == [
        ("spec.revisionHistoryLimit", None, "10"),
        ("spec.template.spec.containers[web-bff].terminationMessagePolicy", None, "File")]
    assert result.differences[-2:] == defaults  # lowest of all


def test_differences_that_follow_the_environment_name_rank_low():
    found = _by_path(diff_environments("1234", data_dir=SAMPLE_DATA))
    audience = found[("Deployment/shop/auth-service",
                      "spec.template.spec.containers[auth-service].env.JWT_AUDIENCE")]
    assert (audience.a, audience.b, audience.score) == ("shop-staging", "shop-canary", 0.27)
    assert "differs only by the environment name (staging -> canary)" in audience.reason
    assert renamed("https://api.STAGING.x", "https://api.CANARY.x", "staging", "canary")
    assert not renamed("https://staging.shop.example", "https://shop.example", "staging", "canary")


def test_two_build_ids_compare_their_envs_and_build_json():
    found = _by_path(diff_environments("1230", "1239", data_dir=SAMPLE_DATA))
    image = found[("Deployment/shop/checkout-api", "spec.template.spec.containers[checkout-api].image")]
    assert image.kind is DriftKind.IMAGE and image.score == 0.85
    assert image.b == "registry.shop.example/shop/checkout-api:2026.47.3-a81d44b"
    commit = found[("build.json", "commit")]
    assert (commit.kind, commit.a[:8], commit.b[:8]) == (DriftKind.IMAGE, "3f9c2e17", "a81d44b0")
    browser = found[("build.json", "browser")]
    assert browser.kind is DriftKind.RUNTIME_VERSION and browser.b == "none (API tests)"
    assert ("build.json", "started_at") not in found and ("build.json", "runner") not in found


def test_a_build_without_env_folder_compares_build_json_only():
    result = diff_environments("1235", data_dir=SAMPLE_DATA)
    assert result.a == "builds/1230/env/staging" and result.b == "builds/1235"
    assert "build 1235 has no env/canary/ folder; only its build.json is compared" in result.warnings
    assert {d.object for d in result.differences if d.b is not None} == {"build.json", "flags"}
    flag = next(d for d in result.differences if d.object == "flags")
    assert (flag.path, flag.a, flag.b, flag.b_file) == (
        "cart-badge-animation", "false", "true", "builds/1235/build.json (flags)")


def test_flags_in_build_json_and_a_flags_file_are_one_set():
    """Build 1234 carries its flags in build.json and in env/canary/flags.json:
    each changed flag is one difference, not one per file."""
    result = diff_environments("1234", data_dir=SAMPLE_DATA)
    flags = [d for d in result.differences if "cart-badge-animation" in d.path]
    assert [(d.object, d.path, d.kind, d.a, d.b) for d in flags] == [
        ("flags", "cart-badge-animation", DriftKind.FLAG, "false", "true")]


def test_a_flag_that_build_json_and_the_flags_file_disagree_on_is_a_warning(tmp_path):
    env = tmp_path / "canary"
    env.mkdir()
    (env / "build.json").write_text(json.dumps({"build": "9", "env": "canary", "flags": {"promo": True}}))
    (env / "flags.json").write_text(json.dumps({"promo": False, "dark-mode": True}))
    staging = tmp_path / "staging"
    staging.mkdir()
    (staging / "flags.json").write_text(json.dumps({"promo": False, "dark-mode": True}))
    result = diff_environments(str(staging), str(env))
    assert [w for w in result.warnings if "differ between" in w] == [
        f"{env}: flag(s) promo differ between build.json (flags) and flags.json; flags.json is compared"]
    assert [d.path for d in result.differences if d.object == "flags"] == []


def _data_dir(tmp_path: Path, builds: dict[str, dict]) -> Path:
    for build, meta in builds.items():
        folder = tmp_path / "builds" / build
        folder.mkdir(parents=True)
        (folder / "build.json").write_text(json.dumps(meta))
    return tmp_path


def test_missing_baseline_is_a_clear_error_naming_the_builds(tmp_path):
    data = _data_dir(tmp_path, {"7": {"build": "7", "env": "canary", "baseline": "5"}, "6": {"build": "6"}})
    with pytest.raises(EnvironmentNotFound, match=r"names baseline '5', which is not under .*builds: 6, 7\)"):
        diff_environments("7", data_dir=data)
    result = _cli("diff-env", "7", "--data-dir", str(data))
    assert result.exit_code == 2 and "builds: 6, 7" in result.stderr
    with pytest.raises(UnknownBuildError, match="available builds: 6, 7"):
        diff_environments("8", data_dir=data)
    with pytest.raises(EnvironmentNotFound, match=r"neither a folder, a file nor a build id .*builds: 6, 7"):
        diff_environments("8", "7", data_dir=data)


def test_a_build_without_baseline_compares_its_two_env_folders(tmp_path):
    data = _data_dir(tmp_path, {"3": {"build": "3", "env": "prod"}})
    for env, timeout in (("prod", "1000"), ("qa", "5000")):
        folder = data / "builds" / "3" / "env" / env
        folder.mkdir(parents=True)
        (folder / "app.env").write_text(f"UPSTREAM_TIMEOUT_MS={timeout}\n")
    result = diff_environments("3", data_dir=data)
    assert (result.a, result.b) == ("builds/3/env/qa", "builds/3/env/prod")
    [diff] = result.differences
    assert (diff.object, diff.path, diff.kind, diff.a, diff.b, diff.score) == (
        "app.env", "UPSTREAM_TIMEOUT_MS", DriftKind.TIMEOUT, "5000", "1000", 0.9)


DEPLOYMENT = """\
apiVersion: apps/v1
kind: Deployment
metadata: {{name: checkout, namespace: default}}
spec:
  replicas: {replicas}
  template:
    spec:
      containers:
      - name: api
        image: shop/checkout:{tag}
        env:
        - {{name: UPSTREAM_TIMEOUT_MS, value: "{timeout}"}}
        - {{name: DB_PASSWORD, value: "{password}"}}
        - name: API_SIGNING
          valueFrom: {{secretKeyRef: {{name: {secret}, key: signing}}}}
---
apiVersion: v1
kind: Secret
metadata: {{name: creds, namespace: default}}
stringData: {{token: "{token}"}}
---
apiVersion: v1
kind: ConfigMap
metadata: {{name: app, namespace: default}}
data: {{OAUTH_CALLBACK_URL: "https://{host}/callback", STRIPE_API_KEY: "{stripe}"}}
---
apiVersion: argoproj.io/v1alpha1
kind: Rollout
metadata: {{name: checkout, namespace: default}}
spec: {{analysis: {{successfulRunHistoryLimit: {history}}}, progressTimeout: {timeout}}}
"""
SECRETS_A = {"password": "hunter2-staging", "token": "tok-a-9f8e7d", "stripe": "sk_live_AAAAAAAAAAAAAAAAAAAA",
             "secret": "signing-a"}
SECRETS_B = {"password": "hunter2-canary", "token": "tok-b-1a2b3c", "stripe": "sk_live_BBBBBBBBBBBBBBBBBBBB",
             "secret": "signing-b"}


def _envs(tmp_path: Path) -> tuple[Path, Path]:
    a, b = tmp_path / "env" / "staging", tmp_path / "env" / "canary"
    a.mkdir(parents=True)
    b.mkdir(parents=True)
    (a / "app.yaml").write_text(DEPLOYMENT.format(replicas=2, tag="1.0", timeout=5000, host="staging.x",
                                                  history=5, **SECRETS_A))
    (b / "app.yaml").write_text(DEPLOYMENT.format(replicas=1, tag="1.1", timeout=1000, host="login.other",
                                                  history=3, **SECRETS_B))
    (a / "runner.env").write_text("API_TOKEN=abc-secret-one\nBASE_URL=https://staging.x\n")
    (b / "runner.env").write_text("API_TOKEN=abc-secret-two\nBASE_URL=https://canary.x\n")
    return a, b


def test_our_manifests_rank_timeouts_and_callbacks_above_replicas(tmp_path):
    a, b = _envs(tmp_path)
    result = diff_environments(str(a), str(b))
    top = [(d.object, d.path, d.kind.value, d.score) for d in result.differences[:3]]
    assert top == [
        ("ConfigMap/default/app", "data.OAUTH_CALLBACK_URL", "env-var", 0.9),
        ("Deployment/default/checkout", "spec.template.spec.containers[api].env.UPSTREAM_TIMEOUT_MS", "timeout", 0.9),
        ("Rollout/default/checkout", "spec.progressTimeout", "timeout", 0.9)]
    found = _by_path(result)
    assert found[("Rollout/default/checkout", "spec.analysis.successfulRunHistoryLimit")].kind is DriftKind.OTHER
    assert found[("Deployment/default/checkout", "spec.replicas")].score == 0.2
    base_url = found[("runner.env", "BASE_URL")]
    assert base_url.kind is DriftKind.DEPENDENCY_ENDPOINT and base_url.score == 0.26


@pytest.mark.parametrize("fmt", ["json", "markdown", "terminal"])
def test_secret_values_never_appear_only_that_they_changed(tmp_path, fmt):
    a, b = _envs(tmp_path)
    out = _cli("diff-env", str(a), str(b), "--format", fmt, "--show-defaults")
    assert out.exit_code == 0, out.output
    for value in [*SECRETS_A.values(), *SECRETS_B.values(), "abc-secret-one", "abc-secret-two"]:
        if not value.startswith("signing"):
            assert value not in out.stdout
    result = diff_environments(str(a), str(b))
    secrets = {(d.object, d.path): (d.a, d.b, d.reason) for d in result.differences if d.kind is DriftKind.SECRET_REF}
    hidden = ("[REDACTED:secret]", "[REDACTED:secret]", "secret value changed (values are never shown)")
    assert secrets == {
        ("Deployment/default/checkout", "spec.template.spec.containers[api].env.DB_PASSWORD"): hidden,
        ("Secret/default/creds", "stringData.token"): hidden,
        ("ConfigMap/default/app", "data.STRIPE_API_KEY"): hidden,
        ("runner.env", "API_TOKEN"): hidden,
        ("Deployment/default/checkout",
         "spec.template.spec.containers[api].env.API_SIGNING.valueFrom.secretKeyRef.name"):
            ("signing-a", "signing-b", "secret reference changed"),
    }


def test_unchanged_secrets_are_no_difference(tmp_path):
    a, b = _envs(tmp_path)
    (b / "app.yaml").write_text((a / "app.yaml").read_text())
    result = diff_environments(str(a), str(b))
    assert {d.object for d in result.differences} == {"runner.env"}


def test_expected_drift_file_marks_and_sorts_last(tmp_path):
    a, b = _envs(tmp_path)
    (tmp_path / "env" / ".triage-expected-drift.yaml").write_text(
        "expected:\n"
        "  - object: Deployment/*/checkout\n"
        "    path: spec.replicas\n"
        "    reason: canary runs one replica\n"
        "  - kind: timeout\n"
        "    path: '*UPSTREAM_TIMEOUT_MS'\n"
        "    b: '1000'\n"
        "    reason: canary tries the shorter timeout on purpose\n")
    result = diff_environments(str(a), str(b))
    assert result.expected_files == [str(tmp_path / "env" / ".triage-expected-drift.yaml")]
    expected = [d for d in result.differences if d.expected]
    assert [(d.path, d.reason) for d in expected] == [
        ("spec.template.spec.containers[api].env.UPSTREAM_TIMEOUT_MS",
         "expected: canary tries the shorter timeout on purpose (.triage-expected-drift.yaml:5)"),
        ("spec.replicas", "expected: canary runs one replica (.triage-expected-drift.yaml:2)")]
    assert result.differences[-2:] == expected
    doc = json.loads(_cli("diff-env", str(a), str(b), "--format", "json").stdout)
    jsonschema.validate(doc, SCHEMA)
    assert doc["summary"]["expected"] == 2


def test_bad_expected_drift_file_names_file_and_line(tmp_path):
    a, b = _envs(tmp_path)
    bad = tmp_path / "drift.yaml"
    bad.write_text("expected:\n  - path: spec.replicas\n    kind: replica\n    why: typo\n")
    with pytest.raises(ManifestError) as info:
        diff_environments(str(a), str(b), expected_files=[bad])
    message = str(info.value)
    assert f"{bad}:4: unknown field 'why'" in message
    assert f"{bad}:2: unknown kind 'replica'" in message and f"{bad}:2: every entry needs a reason" in message


def test_invalid_yaml_and_json_give_file_line_and_the_parser_message(tmp_path):
    a, b = _envs(tmp_path)
    (b / "broken.yaml").write_text("apiVersion: v1\nkind: ConfigMap\ndata:\n  a: [1, 2\n  b: 3\n")
    with pytest.raises(ManifestError) as info:
        diff_environments(str(a), str(b))
    assert info.value.file == "broken.yaml" and info.value.line == 5
    assert "invalid YAML: while parsing a flow sequence expected ',' or ']', but got ':' (column 4)" in str(info.value)
    (b / "broken.yaml").unlink()
    (b / "flags.json").write_text('{\n  "new-checkout": true,\n  "promo": tru\n}\n')
    out = _cli("diff-env", str(a), str(b))
    assert out.exit_code == 2
    assert "flags.json:3: invalid JSON: Expecting value (column 12)" in out.stderr


def test_files_that_are_not_manifests_are_named_not_dropped(tmp_path):
    a, b = _envs(tmp_path)
    (b / "notes.txt").write_text("deployed by hand\n")
    (b / "empty.env").write_text("")
    result = diff_environments(str(a), str(b))
    assert any(w.startswith("notes.txt: not an environment manifest") for w in result.warnings)
    assert "empty.env: empty file, nothing to compare" in result.warnings


def test_generic_yaml_and_objects_without_namespace(tmp_path):
    a, b = tmp_path / "a", tmp_path / "b"
    a.mkdir()
    b.mkdir()
    (a / "values.yaml").write_text("search:\n  timeoutSeconds: 3\n  backend: https://search-a.example\n")
    (b / "values.yaml").write_text("search:\n  timeoutSeconds: 1\n  backend: https://search-b.example\n")
    (a / "svc.yaml").write_text("apiVersion: v1\nkind: Service\nmetadata: {name: web}\nspec:\n  ports: [{port: 80}]\n")
    (b / "svc.yaml").write_text("apiVersion: v1\nkind: Service\nmetadata: {name: web, namespace: shop}\n"
                                "spec:\n  clusterIP: 10.0.0.7\n  ports: [{port: 80, targetPort: 80, protocol: TCP}]\n")
    result = diff_environments(str(a), str(b))
    assert [(d.object, d.path, d.kind.value) for d in result.differences] == [
        ("values.yaml", "search.timeoutSeconds", "timeout"),
        ("values.yaml", "search.backend", "dependency-endpoint"),
        ("Service/shop/web", "spec.clusterIP", "server-default"),
        ("Service/shop/web", "spec.ports[80].protocol", "server-default"),
        ("Service/shop/web", "spec.ports[80].targetPort", "server-default")]


def test_cli_json_matches_contract_and_schema():
    out = _cli("diff-env", "1234", "--data-dir", str(SAMPLE_DATA), "--format", "json")
    assert out.exit_code == 0, out.output
    doc = json.loads(out.stdout)
    jsonschema.validate(doc, SCHEMA)
    assert doc["schema"] == "triage.envdiff/v1"
    assert (doc["a"], doc["b"]) == ("builds/1234/env/staging", "builds/1234/env/canary")
    assert doc["differences"][0] == {
        "object": "Deployment/shop/web-bff", "path": CORS_PATH, "kind": "ingress-rule",
        "a": "https://staging.shop.example", "b": "https://shop.example,https://www.shop.example",
        "score": 0.95, "expected": False, "reason": "CORS / allowed origins", "change": "changed",
        "a_file": "deployments.yaml", "b_file": "deployments.yaml"}
    scores = [d["score"] for d in doc["differences"]]
    assert scores == sorted(scores, reverse=True)


def test_cli_markdown_terminal_output_file_and_fail_above(tmp_path):
    md = _cli("diff-env", "1234", "--data-dir", str(SAMPLE_DATA), "--format", "markdown").stdout
    assert md.startswith("## Environment drift: `builds/1234/env/staging` → `builds/1234/env/canary`\n")
    assert f"| 1 | 0.95 | ingress-rule | `Deployment/shop/web-bff` | `{CORS_PATH}` |" in md
    assert "2 field(s) the API server filled in by itself (`server-default`) are not shown." in md
    term = runner.invoke(app, ["diff-env", "1234", "--data-dir", str(SAMPLE_DATA)], env={"COLUMNS": "160"}).stdout
    assert "│ 1  │ 0.95  │ ingress-rule " in term and "CORS / allowed origins" in term and "--show-defaults lists them" in term
    target = tmp_path / "drift.json"
    out = _cli("diff-env", "1234", "--data-dir", str(SAMPLE_DATA), "-f", "json", "-o", str(target),
               "--fail-above", "0.9")
    assert out.exit_code == 1 and json.loads(target.read_text())["differences"][0]["score"] == 0.95
    assert _cli("diff-env", "1234", "--data-dir", str(SAMPLE_DATA), "--fail-above", "0.96").exit_code == 0


def test_sample_build_copy_with_expected_cors_drift_no_longer_fails_ci(tmp_path):
    data = tmp_path / "data"
    for build in ("1230", "1234"):
        shutil.copytree(SAMPLE_DATA / "builds" / build / "env", data / "builds" / build / "env")
        shutil.copy(SAMPLE_DATA / "builds" / build / "build.json", data / "builds" / build / "build.json")
    (data / "builds" / "1234" / ".triage-expected-drift.yaml").write_text(
        "expected:\n  - path: '*CORS_ALLOWED_ORIGINS'\n    reason: canary serves the public origins\n")
    result = diff_environments("1234", data_dir=data)
    assert result.differences[0].path != CORS_PATH and result.differences[-1].path == CORS_PATH
    assert _cli("diff-env", "1234", "--data-dir", str(data), "--fail-above", "0.9").exit_code == 0

"""``triage capture``: build.json from options, CI variables, git and real health checks."""
from __future__ import annotations

import json
import subprocess
import threading
from datetime import datetime, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from typer.testing import CliRunner

from triage.cli import app
from triage.drift.capture import CaptureOptions, capture
from triage.errors import UsageError
from triage.ingest.loader import read_source

NOW = datetime(2026, 11, 20, 10, 0, 7, tzinfo=timezone.utc)
GITHUB = {"GITHUB_SHA": "3f9c2e17a4d85b60c1e9f2a7d3b48e6c0a15f972", "GITHUB_RUN_ID": "1234",
          "GITHUB_RUN_ATTEMPT": "2", "GITHUB_EVENT_NAME": "push", "RUNNER_NAME": "gha-runner-canary-07",
          "GITHUB_REPOSITORY": "shop/storefront", "AWS_REGION": "eu-west-1"}
runner = CliRunner()


def _git(repo: Path, *args: str) -> None:
    subprocess.run(["git", "-C", str(repo), "-c", "user.name=t", "-c", "user.email=t@example.com", *args],
                   check=True, capture_output=True)


@pytest.fixture()
def repo(tmp_path: Path) -> Path:
    root = tmp_path / "repo"
    root.mkdir()
    _git(root, "init", "-q")
    (root / "a.txt").write_text("1\n")
    _git(root, "add", ".")
    _git(root, "commit", "-qm", "one")
    (root / "services").mkdir()
    (root / "services" / "promo.py").write_text("x = 1\n")
    (root / "a.txt").write_text("2\n")
    _git(root, "add", ".")
    _git(root, "commit", "-qm", "two")
    return root


def test_github_actions_variables_and_options(repo):
    options = CaptureOptions(env="canary", baseline="1230", image="registry.shop.example/shop/release:2026.47.2",
                             image_digest="sha256:" + "ab" * 32, deployed_at="2026-11-20T09:58:00+00:00",
                             browser="chromium 130.0.6723.31", driver="playwright 1.48.2", repo=repo)
    doc = capture(options, GITHUB, now=NOW).document
    assert doc["commit"] == GITHUB["GITHUB_SHA"] and doc["build"] == "1234"
    assert doc["trigger"] == "rerun"  # second attempt of the run
    assert (doc["runner"], doc["region"], doc["env"], doc["baseline"]) == (
        "gha-runner-canary-07", "eu-west-1", "canary", "1230")
    assert doc["deployed_at"] == "2026-11-20T09:58:00Z" and doc["captured_at"] == "2026-11-20T10:00:07Z"
    assert doc["ci_url"] == "https://github.com/shop/storefront/actions/runs/1234"
    assert doc["changed_paths"] == ["a.txt", "services/promo.py"]
    assert doc["captured_from"]["commit"] == "GITHUB_SHA" and doc["captured_from"]["image"] == "option"
    assert doc["captured_from"]["trigger"] == "GITHUB_RUN_ATTEMPT"


def test_gitlab_variables_and_git_fallbacks(repo):
    head = subprocess.run(["git", "-C", str(repo), "rev-parse", "HEAD"], capture_output=True, text=True).stdout.strip()
    doc = capture(CaptureOptions(repo=repo), {"CI_PIPELINE_ID": "88", "CI_PIPELINE_SOURCE": "merge_request_event",
                                              "CI_ENVIRONMENT_NAME": "staging"}, now=NOW).document
    assert (doc["build"], doc["trigger"], doc["env"]) == ("88", "merge_request_event", "staging")
    assert doc["commit"] == head and doc["captured_from"]["commit"] == "git rev-parse HEAD"
    since = capture(CaptureOptions(repo=repo, changed_since="HEAD"), {}, now=NOW).document
    assert since["changed_paths"] == []


def test_outside_a_repository_and_a_bad_base_are_notes_not_errors(tmp_path, repo):
    outside = capture(CaptureOptions(repo=tmp_path), {}, now=NOW)
    assert "changed_paths" not in outside.document and "commit" not in outside.document
    bad = capture(CaptureOptions(repo=repo, changed_since="no-such-ref"), {}, now=NOW)
    assert "changed_paths" not in bad.document
    assert bad.notes[0].startswith("changed_paths not recorded: git diff --name-only no-such-ref HEAD: ")


def test_flags_config_and_secret_names(tmp_path):
    flags = tmp_path / "flags.json"
    flags.write_text('{"flags": {"new-checkout": {"state": "ENABLED", "variants": {"on": true, "off": false}, '
                     '"defaultVariant": "on"}}}')
    options = CaptureOptions(flags_file=flags, flags={"promo": False},
                             config={"UPSTREAM_TIMEOUT_MS": "1000", "DB_PASSWORD": "hunter2",
                                     "PAYMENTS_URL": "https://user:pw@payments.example"},
                             config_env=["CORS_ALLOWED_ORIGINS", "NOT_SET"], repo=tmp_path)
    result = capture(options, {"CORS_ALLOWED_ORIGINS": "https://canary.shop.example"}, now=NOW)
    doc = result.document
    assert doc["flags"] == {"new-checkout": True, "promo": False}
    assert doc["config"] == {"CORS_ALLOWED_ORIGINS": "https://canary.shop.example", "DB_PASSWORD": "[REDACTED:secret]",
                             "PAYMENTS_URL": "https://user:[REDACTED:password]@payments.example",
                             "UPSTREAM_TIMEOUT_MS": "1000"}
    assert "hunter2" not in json.dumps(doc)
    assert result.notes == ["--config-env NOT_SET: not set in the environment; not recorded",
                            "config DB_PASSWORD: its name says it is a secret; recorded as [REDACTED:secret]"]


def test_bad_time_and_bad_flags_file_are_usage_errors(tmp_path):
    with pytest.raises(UsageError, match="--deployed-at 'yesterday' is not an ISO 8601 time"):
        capture(CaptureOptions(deployed_at="yesterday", repo=tmp_path), {}, now=NOW)
    notes = tmp_path / "notes.txt"
    notes.write_text("hello\n")
    with pytest.raises(UsageError, match="notes.txt: not a feature-flag file"):
        capture(CaptureOptions(flags_file=notes, repo=tmp_path), {}, now=NOW)


class _Health(BaseHTTPRequestHandler):
    def do_GET(self) -> None:  # noqa: N802 (http.server's naming)
        self.send_response(200 if self.path == "/healthz" else 503)
        self.end_headers()

    def log_message(self, *args) -> None:
        pass


def test_dependency_health_is_checked_against_a_real_server(tmp_path):
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Health)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    base = f"http://127.0.0.1:{server.server_address[1]}"
    try:
        deps = {"payments": f"{base}/healthz", "search": f"{base}/down", "gone": "http://127.0.0.1:9/"}
        doc = capture(CaptureOptions(dependencies=deps, check_dependencies=True, timeout_s=2, repo=tmp_path),
                      {}, now=NOW).document
    finally:
        server.shutdown()
    health = doc["dependencies"]
    assert (health["payments"]["status"], health["payments"]["ok"]) == (200, True)
    assert (health["search"]["status"], health["search"]["ok"]) == (503, False)
    assert health["gone"]["ok"] is False and "refused" in health["gone"]["error"].lower()
    assert all(entry["latency_ms"] >= 0 for entry in health.values())


def test_cli_writes_a_build_json_triage_reads_back(tmp_path, monkeypatch):
    for key, value in GITHUB.items():
        monkeypatch.setenv(key, value)
    monkeypatch.chdir(tmp_path)
    target = tmp_path / "builds" / "1250" / "build.json"
    out = runner.invoke(app, ["capture", "--env", "canary", "--baseline", "1230", "--flag", "promo=true",
                              "--flag", "variant=\"b\"", "--config", "SEARCH_TIMEOUT=3s", "--output", str(target)])
    assert out.exit_code == 0, out.output
    read = read_source(target, "build.json")
    assert read.info.format == "build-json"
    assert read.document["flags"] == {"promo": True, "variant": "b"}
    assert read.document["config"] == {"SEARCH_TIMEOUT": "3s"} and read.document["commit"] == GITHUB["GITHUB_SHA"]
    again = runner.invoke(app, ["capture", "--region", "us-east-1", "--output", str(target), "--update"])
    assert again.exit_code == 0
    kept = json.loads(target.read_text())
    assert kept["region"] == "us-east-1" and kept["baseline"] == "1230"
    bad = runner.invoke(app, ["capture", "--config", "NOEQUALS"])
    assert bad.exit_code == 2 and "expected KEY=VALUE" in bad.output

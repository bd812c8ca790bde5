"""``triage capture``: record the release context as ``build.json`` (CONTRACT §1).

Values come from options first, then from the CI's environment variables
(GitHub Actions, GitLab CI, Jenkins, CircleCI, Buildkite, Azure Pipelines,
Bitbucket), then from git; ``captured_from`` says where each came from, so a
later comparison can tell a recorded fact from a guess.
"""
from __future__ import annotations

import json
import os
import socket
import subprocess
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Mapping

from triage.drift.normalize import secret_name
from triage.errors import UsageError
from triage.ingest.loader import read_source
from triage.redact import redact

# key -> environment variables that hold it, first found wins.
CI_VARIABLES: dict[str, tuple[str, ...]] = {
    "commit": ("GITHUB_SHA", "CI_COMMIT_SHA", "GIT_COMMIT", "CIRCLE_SHA1", "BUILDKITE_COMMIT",
               "BUILD_SOURCEVERSION", "BITBUCKET_COMMIT"),
    "build": ("GITHUB_RUN_ID", "CI_PIPELINE_ID", "BUILD_NUMBER", "CIRCLE_BUILD_NUM", "BUILDKITE_BUILD_NUMBER",
              "BUILD_BUILDID", "BITBUCKET_BUILD_NUMBER"),
    "run_attempt": ("GITHUB_RUN_ATTEMPT",),
    "trigger": ("GITHUB_EVENT_NAME", "CI_PIPELINE_SOURCE", "BUILDKITE_SOURCE", "BUILD_REASON"),
    "runner": ("RUNNER_NAME", "CI_RUNNER_DESCRIPTION", "NODE_NAME", "BUILDKITE_AGENT_NAME", "AGENT_NAME"),
    "env": ("TRIAGE_ENV", "CI_ENVIRONMENT_NAME"),
    "region": ("AWS_REGION", "AWS_DEFAULT_REGION", "GOOGLE_CLOUD_REGION", "CLOUDSDK_COMPUTE_REGION"),
    "ci_url": ("CI_PIPELINE_URL", "BUILD_URL", "BUILDKITE_BUILD_URL", "CIRCLE_BUILD_URL"),
}


@dataclass
class CaptureOptions:
    """What ``triage capture`` was told; None means "look in the CI environment"."""

    build: str | None = None
    env: str | None = None
    baseline: str | None = None
    commit: str | None = None
    image: str | None = None
    image_digest: str | None = None
    deployed_at: str | None = None
    started_at: str | None = None
    flags_file: Path | None = None
    flags: dict[str, Any] = field(default_factory=dict)
    browser: str | None = None
    driver: str | None = None
    region: str | None = None
    zone: str | None = None
    runner: str | None = None
    trigger: str | None = None
    config: dict[str, str] = field(default_factory=dict)
    config_env: list[str] = field(default_factory=list)
    dependencies: dict[str, str] = field(default_factory=dict)
    check_dependencies: bool = False
    timeout_s: float = 5.0
    changed_since: str | None = None
    repo: Path | None = None


@dataclass
class Captured:
    document: dict[str, Any]
    notes: list[str]


def capture(options: CaptureOptions, environ: Mapping[str, str] | None = None,
            now: datetime | None = None) -> Captured:
    """The build.json document for ``options`` and ``environ`` (default: os.environ).

    Raises UsageError for a time that is not ISO 8601 or an unreadable flags file.
    Secret-named config values are stored as ``[REDACTED:secret]``.
    """
    environ = os.environ if environ is None else environ
    doc: dict[str, Any] = {}
    origin: dict[str, str] = {}
    notes: list[str] = []
    given = {"build": options.build, "env": options.env, "baseline": options.baseline,
             "commit": options.commit, "image": options.image, "image_digest": options.image_digest,
             "browser": options.browser, "driver": options.driver, "region": options.region,
             "zone": options.zone, "runner": options.runner, "trigger": options.trigger}
    for key, value in given.items():
        if value:
            doc[key], origin[key] = value, "option"
    for key, names in CI_VARIABLES.items():
        if key in doc:
            continue
        for name in names:
            if environ.get(name):
                doc[key], origin[key] = environ[name], name
                break
    _github_url(doc, origin, environ)
    attempt = environ.get("GITHUB_RUN_ATTEMPT")
    if attempt and attempt != "1" and origin.get("trigger") != "option":
        doc["trigger"], origin["trigger"] = "rerun", "GITHUB_RUN_ATTEMPT"
    repo = options.repo or Path.cwd()
    if "commit" not in doc:
        head = _git(repo, "rev-parse", "HEAD")
        if head.ok:
            doc["commit"], origin["commit"] = head.out.strip(), "git rev-parse HEAD"
    if "runner" not in doc:
        doc["runner"], origin["runner"] = socket.gethostname(), "hostname"
    for key, value in (("deployed_at", options.deployed_at), ("started_at", options.started_at)):
        if value:
            doc[key], origin[key] = iso_time(value, key), "option"
    flags = _flags(options, origin)
    if flags:
        doc["flags"] = flags
    config = _config(options, environ, notes)
    if config:
        doc["config"], origin["config"] = config, "option"
    if options.dependencies:
        doc["dependencies"] = dependency_health(options.dependencies, options.check_dependencies,
                                                options.timeout_s)
        origin["dependencies"] = "checked" if options.check_dependencies else "option"
    changed = changed_paths(repo, options.changed_since, environ)
    if isinstance(changed, list):
        doc["changed_paths"], origin["changed_paths"] = changed, "git diff --name-only"
    elif changed:
        notes.append(changed)
    doc["captured_at"] = (now or datetime.now(timezone.utc)).strftime("%Y-%m-%dT%H:%M:%SZ")
    doc["captured_from"] = origin
    return Captured(doc, notes)


def _github_url(doc: dict[str, Any], origin: dict[str, str], environ: Mapping[str, str]) -> None:
    if "ci_url" in doc or not environ.get("GITHUB_RUN_ID") or not environ.get("GITHUB_REPOSITORY"):
        return
    server = environ.get("GITHUB_SERVER_URL", "https://github.com")
    doc["ci_url"] = f"{server}/{environ['GITHUB_REPOSITORY']}/actions/runs/{environ['GITHUB_RUN_ID']}"
    origin["ci_url"] = "GITHUB_SERVER_URL/GITHUB_REPOSITORY/GITHUB_RUN_ID"


def iso_time(value: str, what: str) -> str:
    """``value`` as ISO 8601 UTC (``...Z``). Raises UsageError if it is not a time."""
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise UsageError(f"--{what.replace('_', '-')} {value!r} is not an ISO 8601 time "
                         f"(e.g. 2026-11-20T10:00:07Z)") from None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=timezone.utc)
    return parsed.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def _flags(options: CaptureOptions, origin: dict[str, str]) -> dict[str, Any]:
    flags: dict[str, Any] = {}
    if options.flags_file is not None:
        result = read_source(options.flags_file)
        if result.info.format != "feature-flags" or result.info.status != "ok":
            raise UsageError(f"not a feature-flag file ({result.info.reason or result.info.format}); "
                             f"flat JSON, flagd, LaunchDarkly and Unleash files are read",
                             file=str(options.flags_file))
        flags.update(result.document)
        origin["flags"] = str(options.flags_file)
    if options.flags:
        flags.update(options.flags)
        origin["flags"] = f"{origin['flags']} + option" if "flags" in origin else "option"
    return dict(sorted(flags.items()))


def _config(options: CaptureOptions, environ: Mapping[str, str], notes: list[str]) -> dict[str, str]:
    config = dict(options.config)
    for name in options.config_env:
        if name in environ:
            config[name] = environ[name]
        else:
            notes.append(f"--config-env {name}: not set in the environment; not recorded")
    for key in list(config):
        if secret_name(key):
            config[key] = "[REDACTED:secret]"
            notes.append(f"config {key}: its name says it is a secret; recorded as [REDACTED:secret]")
        else:
            config[key] = redact(str(config[key]))
    return dict(sorted(config.items()))


def dependency_health(endpoints: dict[str, str], check: bool, timeout_s: float) -> dict[str, dict[str, Any]]:
    """Each dependency's URL and, with ``check``, one GET's status and latency (or its error)."""
    health: dict[str, dict[str, Any]] = {}
    for name, url in sorted(endpoints.items()):
        entry: dict[str, Any] = {"url": redact(url)}
        if check:
            started = time.perf_counter()
            try:
                with urllib.request.urlopen(urllib.request.Request(url, method="GET"), timeout=timeout_s) as resp:
                    entry["status"] = resp.status
            except urllib.error.HTTPError as exc:
                entry["status"] = exc.code
            except (urllib.error.URLError, OSError, ValueError) as exc:
                entry["error"] = redact(str(getattr(exc, "reason", exc)))
            entry["latency_ms"] = round((time.perf_counter() - started) * 1000, 1)
            entry["ok"] = 200 <= entry.get("status", 0) < 400
        health[name] = entry
    return health


@dataclass
class _GitResult:
    ok: bool
    out: str


def _git(repo: Path, *args: str) -> _GitResult:
    try:
        done = subprocess.run(["git", "-C", str(repo), *args], capture_output=True, text=True, timeout=30)
    except (OSError, subprocess.TimeoutExpired) as exc:
        return _GitResult(False, str(exc))
    return _GitResult(done.returncode == 0, done.stdout if done.returncode == 0 else done.stderr.strip())


def changed_paths(repo: Path, since: str | None, environ: Mapping[str, str]) -> list[str] | str | None:
    """Files the commit changed (``git diff --name-only``), or a note saying why not, or
    None outside a git repository.

    The base is ``since``; else a pull request's base branch (GITHUB_BASE_REF,
    CI_MERGE_REQUEST_DIFF_BASE_SHA); else the previous commit.
    """
    if not _git(repo, "rev-parse", "--is-inside-work-tree").ok:
        return None
    if since:
        spec = [since, "HEAD"]
    elif environ.get("GITHUB_BASE_REF"):
        spec = [f"origin/{environ['GITHUB_BASE_REF']}...HEAD"]
    elif environ.get("CI_MERGE_REQUEST_DIFF_BASE_SHA"):
        spec = [environ["CI_MERGE_REQUEST_DIFF_BASE_SHA"], "HEAD"]
    else:
        spec = ["HEAD~1", "HEAD"]
    result = _git(repo, "diff", "--name-only", *spec)
    if not result.ok:
        return f"changed_paths not recorded: git diff --name-only {' '.join(spec)}: {result.out}"
    return [line for line in result.out.splitlines() if line]


def write(document: dict[str, Any], path: Path | None, update: bool = False) -> str:
    """The document as build.json text; with ``path`` also written there (merged into
    the existing file's keys with ``update``)."""
    if path is not None and update and path.is_file():
        try:
            existing = json.loads(path.read_text(encoding="utf-8"))
        except json.JSONDecodeError as exc:
            raise UsageError(f"cannot update: invalid JSON: {exc.msg}", file=str(path), line=exc.lineno) from None
        document = {**existing, **document}
    text = json.dumps(document, indent=2, sort_keys=True, ensure_ascii=False) + "\n"
    if path is not None:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return text

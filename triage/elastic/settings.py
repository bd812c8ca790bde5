"""Where triage finds Elasticsearch and how it reads it: ``[elasticsearch]`` in
triage.toml, overridden by ``TRIAGE_ES_*`` environment variables.

Credentials are read from environment variables only (``TRIAGE_ES_API_KEY``, or
``TRIAGE_ES_USERNAME`` + ``TRIAGE_ES_PASSWORD``; the table may name other variables
with ``api_key_env`` / ``username_env`` / ``password_env``), so they never sit in a
file that gets shared, and ``EsSettings`` keeps them out of its ``repr``.
"""
from __future__ import annotations

import os
from urllib.parse import urlsplit, urlunsplit
from dataclasses import dataclass, field, fields
from typing import Any

from triage.config import config_path, read_section
from triage.errors import ConfigError

DEFAULT_URL = "http://127.0.0.1:9200"
# Which server speaks at ``hosts``: each needs its own client (OpenSearch does not send
# the product header the official Elasticsearch client checks, and the APIs differ).
ENGINES = ("elasticsearch", "opensearch")
DEFAULT_PREFIX = "triage"
LOG_LAYERS = ("ingress", "gateway", "app", "dependency")
WINDOW_MODES = ("auto", "build-json", "tests")

# Event column -> document field. Elastic Common Schema names where ECS has one;
# ``upstream.*``, ``log.file.line`` and ``triage.*`` are triage's own (ECS has no
# upstream hop, no line number of a shipped file, and no bag for parser extras).
DEFAULT_FIELDS: dict[str, str] = {
    "ts": "@timestamp",
    "service": "service.name",
    "environment": "service.environment",
    "level": "log.level",
    "request_id": "http.request.id",
    "trace_id": "trace.id",
    "span_id": "span.id",
    "method": "http.request.method",
    "path": "url.original",
    "status": "http.response.status_code",
    "latency_ms": "event.duration",  # ECS: nanoseconds; converted on the way in and out
    "upstream_host": "upstream.address",
    "upstream_status": "upstream.status_code",
    "upstream_latency_ms": "upstream.latency_ms",
    "client_ip": "client.ip",
    "user_agent": "user_agent.original",
    "message": "message",
    "error": "error.type",
    "attrs": "triage.attrs",
    "source": "log.file.path",
    "line": "log.file.line",
    "seq": "triage.seq",
    "format": "event.dataset",
    "build": "labels.build",
}


@dataclass
class IndexPatterns:
    """Index pattern per layer; an empty pattern means "this layer is not in ES"."""

    ingress: str
    gateway: str
    app: str
    dependency: str
    tests: str
    builds: str

    @classmethod
    def for_prefix(cls, prefix: str) -> "IndexPatterns":
        return cls(**{layer: f"{prefix}-logs-{layer}*" for layer in LOG_LAYERS},
                   tests=f"{prefix}-tests*", builds=f"{prefix}-builds*")

    def log_layers(self) -> dict[str, str]:
        """Layer -> pattern for the layers that have one."""
        return {layer: getattr(self, layer) for layer in LOG_LAYERS if getattr(self, layer)}


@dataclass
class EsSettings:
    """Everything the Elasticsearch source needs. Secrets are excluded from repr."""

    hosts: list[str]
    engine: str = "elasticsearch"
    api_key: str | None = field(default=None, repr=False)
    username: str | None = None
    password: str | None = field(default=None, repr=False)
    ca_certs: str | None = None
    verify_certs: bool = True
    request_timeout: float = 30.0
    max_retries: int = 3
    retry_backoff_s: float = 0.5
    page_size: int = 5000
    max_slices: int = 4
    max_workers: int = 0  # processes reading slices; 0: one per core
    docs_per_slice: int = 20_000
    pit_keep_alive: str = "2m"
    prefix: str = DEFAULT_PREFIX
    indices: IndexPatterns = field(default_factory=lambda: IndexPatterns.for_prefix(DEFAULT_PREFIX))
    fields: dict[str, str] = field(default_factory=lambda: dict(DEFAULT_FIELDS))
    environment: str | None = None
    services: list[str] = field(default_factory=list)
    window: str = "auto"
    margin_s: float = 300.0
    origin: dict[str, str] = field(default_factory=dict)

    @property
    def safe_hosts(self) -> list[str]:
        """The hosts with any ``user:password@`` taken out, for messages and reports."""
        return [_without_userinfo(host) for host in self.hosts]

    @property
    def host_label(self) -> str:
        return ", ".join(self.safe_hosts)

    @property
    def product(self) -> str:
        """The server's name for messages: Elasticsearch or OpenSearch."""
        return "OpenSearch" if self.engine == "opensearch" else "Elasticsearch"

    @property
    def node_script(self) -> str:
        """The repo's script that runs a local node of this engine."""
        return "scripts/opensearch.sh" if self.engine == "opensearch" else "scripts/elasticsearch.sh"

    def index_names(self) -> dict[str, str]:
        """The concrete indices ``triage es load`` writes: ``<prefix>-logs-<layer>`` etc."""
        names = {layer: f"{self.prefix}-logs-{layer}" for layer in LOG_LAYERS}
        return names | {"tests": f"{self.prefix}-tests", "builds": f"{self.prefix}-builds"}


def _without_userinfo(url: str) -> str:
    parts = urlsplit(url)
    if "@" not in parts.netloc:
        return url
    return urlunsplit(parts._replace(netloc=parts.netloc.rsplit("@", 1)[1]))


_NUMBERS = {"request_timeout": float, "max_retries": int, "retry_backoff_s": float,
            "page_size": int, "max_slices": int, "max_workers": int, "docs_per_slice": int, "margin_s": float}


def resolve_es(overrides: dict[str, Any] | None = None, env: dict[str, str] | None = None) -> EsSettings:
    """Settings from ``overrides`` (e.g. tests, notebooks), then the environment,
    then ``[elasticsearch]`` in triage.toml, then defaults.

    Raises ConfigError for a bad value, a secret written into the file, or a
    ``window`` mode other than auto / build-json / tests.
    """
    env = dict(os.environ if env is None else env)
    path = config_path()
    table = read_section(path, "elasticsearch")
    where = str(path) if path else "defaults"
    _refuse_secrets(table, where)
    values: dict[str, Any] = {}
    origin: dict[str, str] = {}
    for key in ("hosts", "engine", "ca_certs", "verify_certs", "pit_keep_alive", "prefix", "environment",
                "services", "window", *_NUMBERS):
        if key in table:
            values[key], origin[key] = table[key], where
    _apply_env(values, origin, env)
    _apply_credentials(values, table, env)
    values.update(overrides or {})
    origin.update({key: "argument" for key in overrides or {}})
    return _build(values, table, origin, where)


def _refuse_secrets(table: dict[str, Any], where: str) -> None:
    for key in table:
        if key in ("api_key", "password"):
            raise ConfigError(f"[elasticsearch] {key} must not be written in the config file; "
                              f"set TRIAGE_ES_{key.upper()} (or name a variable with {key}_env)",
                              file=where)


def _apply_env(values: dict[str, Any], origin: dict[str, str], env: dict[str, str]) -> None:
    if env.get("TRIAGE_ES_HOSTS"):
        values["hosts"], origin["hosts"] = env["TRIAGE_ES_HOSTS"].split(","), "TRIAGE_ES_HOSTS"
    elif env.get("TRIAGE_ES_URL"):
        values["hosts"], origin["hosts"] = [env["TRIAGE_ES_URL"]], "TRIAGE_ES_URL"
    simple = {"TRIAGE_ES_CA_CERTS": "ca_certs", "TRIAGE_ES_VERIFY_CERTS": "verify_certs",
              "TRIAGE_ES_INDEX_PREFIX": "prefix", "TRIAGE_ES_ENVIRONMENT": "environment",
              "TRIAGE_ES_TIMEOUT": "request_timeout", "TRIAGE_ES_MAX_RETRIES": "max_retries",
              "TRIAGE_ES_ENGINE": "engine"}
    for variable, key in simple.items():
        if env.get(variable):
            values[key], origin[key] = env[variable], variable


def _apply_credentials(values: dict[str, Any], table: dict[str, Any], env: dict[str, str]) -> None:
    for key in ("api_key", "username", "password"):
        variable = str(table.get(f"{key}_env") or f"TRIAGE_ES_{key.upper()}")
        if env.get(variable):
            values[key] = env[variable]


def _build(values: dict[str, Any], table: dict[str, Any], origin: dict[str, str],
           where: str) -> EsSettings:
    try:
        for key, kind in _NUMBERS.items():
            if key in values:
                values[key] = kind(values[key])
    except (TypeError, ValueError) as exc:
        raise ConfigError(f"[elasticsearch] {key} must be a number: {exc}", file=where) from None
    if "verify_certs" in values:
        values["verify_certs"] = _boolean(values["verify_certs"], where)
    hosts = values.get("hosts", [DEFAULT_URL])
    values["hosts"] = [str(h).strip().rstrip("/") for h in
                       ([hosts] if isinstance(hosts, str) else hosts) if str(h).strip()]
    if not values["hosts"]:
        raise ConfigError("[elasticsearch] hosts is empty; give at least one URL", file=where)
    values["engine"] = str(values.get("engine") or ENGINES[0]).strip().lower()
    if values["engine"] not in ENGINES:
        raise ConfigError(f"[elasticsearch] engine must be one of {', '.join(ENGINES)}, "
                          f"got {values['engine']!r} (from {origin.get('engine', where)})",
                          file=where)
    if values.get("window", "auto") not in WINDOW_MODES:
        raise ConfigError(f"[elasticsearch] window must be one of {', '.join(WINDOW_MODES)}, "
                          f"got {values['window']!r}", file=where)
    if isinstance(values.get("services"), str):
        values["services"] = [values["services"]]
    prefix = str(values.get("prefix") or DEFAULT_PREFIX)
    values["prefix"] = prefix
    values["indices"] = _indices(prefix, table.get("indices", {}), where)
    values["fields"] = _fields(table.get("fields", {}), where)
    known = {f.name for f in fields(EsSettings)}
    return EsSettings(**{k: v for k, v in values.items() if k in known}, origin=origin)


def _boolean(value: Any, where: str) -> bool:
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in ("1", "true", "yes", "on"):
        return True
    if text in ("0", "false", "no", "off"):
        return False
    raise ConfigError(f"verify_certs must be true or false, got {value!r}", file=where)


def _indices(prefix: str, table: Any, where: str) -> IndexPatterns:
    if not isinstance(table, dict):
        raise ConfigError("[elasticsearch.indices] must be a table", file=where)
    patterns = IndexPatterns.for_prefix(prefix)
    for key, value in table.items():
        if not hasattr(patterns, key):
            raise ConfigError(f"[elasticsearch.indices] {key!r} is not a layer; use "
                              f"{', '.join(f.name for f in fields(IndexPatterns))}", file=where)
        setattr(patterns, key, str(value))
    used = [p for p in patterns.log_layers().values()]
    if len(used) != len(set(used)):
        raise ConfigError("[elasticsearch.indices] two layers share one pattern; each layer "
                          "needs its own indices so every event gets one layer", file=where)
    return patterns


def _fields(table: Any, where: str) -> dict[str, str]:
    if not isinstance(table, dict):
        raise ConfigError("[elasticsearch.fields] must be a table", file=where)
    unknown = sorted(set(table) - set(DEFAULT_FIELDS))
    if unknown:
        raise ConfigError(f"[elasticsearch.fields] unknown column(s) {', '.join(unknown)}; "
                          f"known: {', '.join(DEFAULT_FIELDS)}", file=where)
    return DEFAULT_FIELDS | {key: str(value) for key, value in table.items()}

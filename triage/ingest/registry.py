"""The one registry of formats, and detection by content.

Built-in ingestors are listed here as ``module:Class``; third-party packages add
theirs through the ``triage.ingestors`` entry-point group (an entry point names
an ``Ingestor`` subclass). Both are loaded on first use.
"""
from __future__ import annotations

import importlib
from dataclasses import dataclass
from importlib.metadata import entry_points

from triage.ingest.base import Head, Ingestor
from triage.redact import redact

BUILTIN: tuple[str, ...] = (
    # build metadata and environment manifests
    "triage.ingest.build_json:BuildJsonIngestor",
    "triage.ingest.manifests:KubernetesYamlIngestor",
    "triage.ingest.manifests:DotenvIngestor",
    "triage.ingest.manifests:FeatureFlagsIngestor",
    # test reports
    "triage.ingest.junit:JUnitXmlIngestor",
    "triage.ingest.playwright:PlaywrightJsonIngestor",
    "triage.ingest.mochawesome:MochawesomeJsonIngestor",
    "triage.ingest.pytest_json:PytestJsonReportIngestor",
    # ingress, proxies and gateways
    "triage.ingest.nginx:IngressNginxIngestor",
    "triage.ingest.nginx:NginxCombinedIngestor",
    "triage.ingest.envoy:EnvoyTextIngestor",
    "triage.ingest.envoy:EnvoyJsonIngestor",
    "triage.ingest.traefik:TraefikJsonIngestor",
    "triage.ingest.traefik:TraefikClfIngestor",
    "triage.ingest.kong:KongJsonIngestor",
    "triage.ingest.aws_apigateway:ApiGatewayJsonIngestor",
    "triage.ingest.haproxy:HaproxyHttpIngestor",
    # application logs
    "triage.ingest.ecs:EcsJsonIngestor",
    "triage.ingest.otel:OtelJsonIngestor",
    "triage.ingest.logfmt:LogfmtIngestor",
    "triage.ingest.jsonlines:JsonLinesIngestor",
    "triage.ingest.text:TextLogIngestor",
    "triage.ingest.container:CriIngestor",
    "triage.ingest.container:DockerJsonIngestor",
    "triage.ingest.container:FluentBitRecordIngestor",
)

ENTRY_POINT_GROUP = "triage.ingestors"

_loaded: dict[str, Ingestor] | None = None
MISSING_BUILTINS: list[str] = []  # built-ins whose module is absent; a test keeps it empty


def _load(spec: str) -> type[Ingestor]:
    module_name, _, class_name = spec.partition(":")
    module = importlib.import_module(module_name)
    return getattr(module, class_name)


def ingestors() -> dict[str, Ingestor]:
    """Every known ingestor by format name, built-ins first."""
    global _loaded
    if _loaded is None:
        found: dict[str, Ingestor] = {}
        for spec in BUILTIN:
            try:
                cls = _load(spec)
            except ModuleNotFoundError as exc:
                if exc.name != spec.partition(":")[0]:
                    raise
                MISSING_BUILTINS.append(spec)
                continue
            found[cls.name] = cls()
        for entry in entry_points(group=ENTRY_POINT_GROUP):
            cls = entry.load()
            found.setdefault(cls.name, cls())
        _loaded = found
    return _loaded


def get(name: str) -> Ingestor:
    """The ingestor for a format name; KeyError lists the known names."""
    known = ingestors()
    if name not in known:
        raise KeyError(f"unknown format {name!r}; known formats: {', '.join(sorted(known))}")
    return known[name]


@dataclass
class Detection:
    ingestor: Ingestor | None
    score: float
    reason: str = ""


BINARY_SAMPLE_CHARS = 8192
_TEXT_CONTROLS = frozenset("\t\n\r\x0c\x1b")


def looks_binary(text: str) -> bool:
    """Whether a decoded head is mostly not text: over 30% NUL, other control
    characters or undecodable bytes. A log with a few stray NULs (a crash mid-write,
    copytruncate's zero fill) is still read, its bad lines skipped and counted."""
    sample = text[:BINARY_SAMPLE_CHARS]
    odd = sum(1 for ch in sample if (ch < " " and ch not in _TEXT_CONTROLS) or ch in "\x7f\ufffd")
    return odd > 0.3 * len(sample)


def detect(head: Head) -> Detection:
    """Pick the format whose sniffer is surest; ties go to the earlier entry."""
    if not head.lines:
        return Detection(None, 0.0, "file is empty")
    if looks_binary(head.text):
        return Detection(None, 0.0, "file looks binary (NUL, control or non-UTF-8 bytes), "
                                    "not a text log or report")
    best: Ingestor | None = None
    best_score = 0.0
    for ingestor in ingestors().values():
        try:
            score = ingestor.sniff(head)
        except Exception:  # noqa: BLE001 - a sniffer bug must not stop detection
            score = 0.0
        if score > best_score:
            best, best_score = ingestor, score
    if best is None and isinstance(head.document, list):
        return Detection(None, 0.0, "a JSON array of documents (e.g. a shipper's parsed output), "
                                    "not a log, report or manifest format triage reads")
    if best is None:
        preview = redact(head.lines[0][:4096])[:80]
        return Detection(None, 0.0, f"no known format matches its first lines (starts {preview!r})")
    return Detection(best, best_score)

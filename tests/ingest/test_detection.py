"""Every real third-party sample is recognised as its format, by content, and no
sniffer claims another format's file; what triage does not read says why."""
from __future__ import annotations

from pathlib import Path


from triage.ingest.base import Head, SourceFile
from triage.ingest.loader import read_source
from triage.ingest import registry

# folder -> the formats its files may be detected as
EXPECTED = {
    "aws-apigateway": {"aws-apigateway-json"},
    "ecs-json": {"ecs-json"},
    "envoy": {"envoy-text", "envoy-json"},
    "feature-flags": {"feature-flags"},
    "haproxy": {"haproxy-http"},
    "ingress-nginx": {"ingress-nginx"},
    "junit": {"junit-xml"},
    "k8s-container-logs": {"cri", "docker-json", "fluent-bit-record"},
    "k8s-manifests": {"k8s-yaml"},
    "kong": {"kong-json"},
    "logfmt": {"logfmt"},
    "mochawesome-json": {"mochawesome-json"},
    "nginx": {"nginx-combined"},
    "otel-logs": {"otel-json"},
    "playwright-json": {"playwright-json"},
    "pytest-json-report": {"pytest-json-report"},
    "text-logs": {"text"},
    "traefik": {"traefik-json", "traefik-clf"},
}
# Filebeat's own parse results, kept beside the logs as expected outputs.
NOT_LOGS = {"filebeat-envoy-default-format.log-expected.json",
            "filebeat-ingress-controller-test.log-expected.json"}


def _samples(real: Path) -> list[Path]:
    return sorted(p for p in real.rglob("*") if p.is_file() and p.suffix != ".md")


def test_every_folder_is_covered(real: Path):
    assert {p.parent.name for p in _samples(real)} == set(EXPECTED)


def test_every_real_sample_is_read_as_its_format(real: Path):
    wrong = []
    for path in _samples(real):
        result = read_source(path, path.name)
        if path.name in NOT_LOGS:
            if not (result.info.status == "unsupported" and "JSON array" in result.info.reason):
                wrong.append((path.name, result.info.format, result.info.reason))
        elif result.info.format not in EXPECTED[path.parent.name] or result.info.status != "ok":
            wrong.append((path.name, result.info.format, result.info.status, result.info.reason))
        elif result.info.skipped_lines:
            wrong.append((path.name, "skipped", result.info.examples))
    assert wrong == []


def test_no_sniffer_scores_above_the_winner_on_another_format(real: Path):
    """The right ingestor wins with a margin, so detection does not hinge on order."""
    for path in _samples(real):
        if path.name in NOT_LOGS:
            continue
        head = Head.of(SourceFile(path, path.name))
        scores = sorted(((ing.sniff(head), name) for name, ing in registry.ingestors().items()), reverse=True)
        (best, best_name), (second, second_name) = scores[0], scores[1]
        assert best_name in EXPECTED[path.parent.name], path
        assert best > second or second_name in EXPECTED[path.parent.name], (path, scores[:3])

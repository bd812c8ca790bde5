"""Fixtures for tests against the real Elasticsearch node.

``TRIAGE_ES_URL`` names the node (``.ci/run`` starts one with
``scripts/elasticsearch.sh`` and exports it). Without a reachable node these tests
skip with the reason, except under ``CI=true``, where they fail: CI must have it.
Each session loads sample_data under its own index prefix and deletes it after.
"""
from __future__ import annotations

import os
import uuid
from pathlib import Path
from urllib.parse import urlsplit

import pytest

REPO = Path(__file__).resolve().parents[2]
SAMPLE = REPO / "sample_data"


def _unavailable(reason: str) -> None:
    message = (f"{reason}. Start a node with `scripts/elasticsearch.sh start` and export "
               f"TRIAGE_ES_URL=<the URL it prints>")
    if os.environ.get("CI") == "true":
        pytest.fail(message + " (CI=true: the Elasticsearch tests must run)")
    pytest.skip(message)


@pytest.fixture(scope="session")
def es_url() -> str:
    url = os.environ.get("TRIAGE_ES_URL")
    if not url:
        _unavailable("TRIAGE_ES_URL is not set")
    from elasticsearch import Elasticsearch

    client = Elasticsearch(url, request_timeout=10)
    if not client.ping():
        _unavailable(f"no Elasticsearch answers at {url}")
    return url.rstrip("/")


@pytest.fixture(scope="session")
def es_port(es_url) -> int:
    return urlsplit(es_url).port or 9200


@pytest.fixture(scope="session")
def es_settings(es_url):
    """Settings for this session's indices: prefix ``triage-test-<random>``."""
    from triage.elastic.settings import resolve_es

    return resolve_es({"hosts": [es_url], "prefix": f"triage-test-{uuid.uuid4().hex[:8]}",
                       "retry_backoff_s": 0.05}, env={})


@pytest.fixture(scope="session")
def loaded(es_settings):
    """Every sample build indexed once per session; the indices go away afterwards."""
    from triage import api
    from triage.elastic.client import connect
    from triage.elastic.index import load_builds

    summary = load_builds(es_settings, SAMPLE, api.list_builds(SAMPLE))
    yield summary
    client = connect(es_settings)
    client.indices.delete(index=",".join(es_settings.index_names().values()),
                          ignore_unavailable=True, allow_no_indices=True)
    for name in (f"{es_settings.prefix}-logs", f"{es_settings.prefix}-tests",
                 f"{es_settings.prefix}-builds"):
        client.indices.delete_index_template(name=name)


def es_env(settings, **extra: str) -> dict[str, str]:
    """Environment for the CLI to read ``settings``' node and prefix."""
    return {"TRIAGE_ES_URL": settings.hosts[0], "TRIAGE_ES_INDEX_PREFIX": settings.prefix, **extra}

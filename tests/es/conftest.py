"""Fixtures for tests against the real nodes: every test here runs once per engine.

``TRIAGE_ES_URL`` names the Elasticsearch node and ``TRIAGE_OS_URL`` the OpenSearch one
(``.ci/run`` starts both with ``scripts/elasticsearch.sh`` / ``scripts/opensearch.sh`` and
exports them); test ids end in ``[elasticsearch]`` or ``[opensearch]``. Without a
reachable node an engine's tests skip with the reason, except under ``CI=true``, where
they fail: CI must have both. Each session loads sample_data under its own index prefix
per engine and deletes it after.
"""
from __future__ import annotations

import os
import uuid
from pathlib import Path
from urllib.parse import urlsplit

import pytest

REPO = Path(__file__).resolve().parents[2]
SAMPLE = REPO / "sample_data"
# engine -> (variable naming its node, the script that starts one)
NODES = {"elasticsearch": ("TRIAGE_ES_URL", "scripts/elasticsearch.sh"),
         "opensearch": ("TRIAGE_OS_URL", "scripts/opensearch.sh")}


def _unavailable(engine: str, reason: str) -> None:
    variable, script = NODES[engine]
    message = (f"{reason}. Start a node with `{script} start` and export "
               f"{variable}=<the URL it prints>")
    if os.environ.get("CI") == "true":
        pytest.fail(message + f" (CI=true: the {engine} tests must run)")
    pytest.skip(message)


@pytest.fixture(scope="session", params=list(NODES))
def engine(request) -> str:
    """The engine this test runs against: elasticsearch, then opensearch."""
    return request.param


@pytest.fixture(scope="session")
def es_url(engine) -> str:
    variable = NODES[engine][0]
    url = os.environ.get(variable)
    if not url:
        _unavailable(engine, f"{variable} is not set")
    from triage.elastic.client import connect
    from triage.elastic.settings import resolve_es

    client = connect(resolve_es({"hosts": [url], "engine": engine, "request_timeout": 10}, env={}))
    if not client.ping():
        _unavailable(engine, f"no {engine} node answers at {url}")
    return url.rstrip("/")


@pytest.fixture(scope="session")
def es_port(es_url) -> int:
    return urlsplit(es_url).port or 9200


@pytest.fixture(scope="session")
def es_settings(es_url, engine):
    """Settings for this session's indices: prefix ``triage-test-<random>``."""
    from triage.elastic.settings import resolve_es

    return resolve_es({"hosts": [es_url], "engine": engine, "retry_backoff_s": 0.05,
                       "prefix": f"triage-test-{uuid.uuid4().hex[:8]}"}, env={})


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
    """Environment for the CLI to read ``settings``' node, engine and prefix."""
    return {"TRIAGE_ES_URL": settings.hosts[0], "TRIAGE_ES_ENGINE": settings.engine,
            "TRIAGE_ES_INDEX_PREFIX": settings.prefix, **extra}

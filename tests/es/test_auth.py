"""Credentials against a second real node with security on (HTTP basic auth; no TLS).
API keys are only tried wrong: creating one needs the ``.security`` index, whose
mapping uses an analysis-common filter the test distribution lacks. ``scripts/elasticsearch.sh`` starts it on the main node's port + 1
with ``TRIAGE_ES_SECURITY=1`` and a random password, and stops it afterwards."""
from __future__ import annotations

import os
import secrets
import subprocess
from dataclasses import replace

import pytest
from typer.testing import CliRunner

from triage.cli import app
from triage.elastic.client import connect
from triage.elastic.errors import EsAuthError
from triage.elastic.index import load_builds
from triage.elastic.source import load_build_es

from .conftest import REPO, SAMPLE

SCRIPT = REPO / "scripts" / "elasticsearch.sh"
runner = CliRunner()
OPENSEARCH_SKIP = ("the OpenSearch node cannot have security on: the opensearch-security plugin "
                   "2.19.6.0 is not on Maven Central (scripts/README-opensearch.md); "
                   "authentication is tested against Elasticsearch only")


@pytest.fixture(scope="module")
def secure(es_port, es_settings):
    """``(settings with the superuser's credentials, password)`` for a secured node
    holding build 1234."""
    if es_settings.engine == "opensearch":
        pytest.skip(OPENSEARCH_SKIP)
    password = secrets.token_urlsafe(12)
    env = os.environ | {"TRIAGE_ES_PORT": str(es_port + 1), "TRIAGE_ES_SECURITY": "1",
                        "TRIAGE_ES_SECURE_PASSWORD": password, "TRIAGE_ES_CLEAN": "1"}
    subprocess.run([SCRIPT, "stop"], env=env, capture_output=True, timeout=120)
    started = subprocess.run([SCRIPT, "start"], env=env, capture_output=True, text=True, timeout=600)
    if started.returncode != 0:
        message = f"the secured node did not start:\n{started.stderr[-3000:]}"
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)
    settings = replace(es_settings, hosts=[started.stdout.strip()], username="triage",
                       password=password)
    load_builds(settings, SAMPLE, ["1234"])
    yield settings, password
    subprocess.run([SCRIPT, "stop"], env=env, capture_output=True, timeout=120)


def test_basic_auth_reads_the_secured_node(secure):
    settings, _ = secure
    assert len(load_build_es("1234", settings).events) == 2464


@pytest.mark.parametrize("who", ["wrong password", "no credentials", "bad api key"])
def test_wrong_credentials_name_the_host_index_and_variables(secure, who):
    settings, password = secure
    bad = {"wrong password": replace(settings, password=password + "x"),
           "no credentials": replace(settings, username=None, password=None),
           "bad api key": replace(settings, username=None, password=None,
                                  api_key="bm90OmFrZXk=")}[who]
    with pytest.raises(EsAuthError) as caught:
        load_build_es("1234", bad)
    message = str(caught.value)
    assert message.startswith(f"Elasticsearch at {settings.hosts[0]}, index "
                              f"{settings.prefix}-builds*: reading the build's metadata was "
                              f"refused with HTTP 401")
    assert "Check: TRIAGE_ES_API_KEY or TRIAGE_ES_USERNAME/TRIAGE_ES_PASSWORD" in message
    assert password not in message


def test_a_user_without_read_access_is_403(secure):
    settings, password = secure
    with pytest.raises(EsAuthError) as caught:
        load_build_es("1234", replace(settings, username="triage-noaccess"))
    assert "refused with HTTP 403 (user 'triage-noaccess')" in str(caught.value)
    assert "that the role may read this index" in str(caught.value)


def test_cli_wrong_password_exits_3_without_the_secret(secure):
    settings, password = secure
    env = {"TRIAGE_ES_URL": settings.hosts[0], "TRIAGE_ES_INDEX_PREFIX": settings.prefix,
           "TRIAGE_ES_USERNAME": "triage", "TRIAGE_ES_PASSWORD": "not-" + password}
    result = runner.invoke(app, ["run", "--build", "1234", "--source", "es"], env=env)
    assert result.exit_code == 3
    assert "refused with HTTP 401 (user 'triage')" in result.stderr
    assert password not in result.stderr + result.stdout
    env["TRIAGE_ES_PASSWORD"] = password
    good = runner.invoke(app, ["run", "--build", "1234", "--source", "es", "--format", "json"],
                         env=env)
    assert good.exit_code == 0, good.output
    assert password not in good.stdout

"""[elasticsearch] in triage.toml and TRIAGE_ES_* overrides (no node needed)."""
from __future__ import annotations

import pytest

from triage.elastic.settings import DEFAULT_FIELDS, IndexPatterns, resolve_es
from triage.errors import ConfigError


@pytest.fixture
def config(tmp_path, monkeypatch):
    """Write a triage.toml and point TRIAGE_CONFIG at it."""
    path = tmp_path / "triage.toml"

    def write(text: str):
        path.write_text(text)
        monkeypatch.setenv("TRIAGE_CONFIG", str(path))
        return path
    return write


def test_defaults_without_a_config(monkeypatch, tmp_path):
    monkeypatch.delenv("TRIAGE_CONFIG", raising=False)
    monkeypatch.chdir(tmp_path)
    settings = resolve_es(env={})
    assert settings.hosts == ["http://127.0.0.1:9200"]
    assert settings.indices == IndexPatterns("triage-logs-ingress*", "triage-logs-gateway*",
                                             "triage-logs-app*", "triage-logs-dependency*",
                                             "triage-tests*", "triage-builds*")
    assert settings.fields["request_id"] == "http.request.id"
    assert settings.fields["ts"] == "@timestamp" and settings.fields["trace_id"] == "trace.id"
    assert (settings.window, settings.margin_s, settings.api_key) == ("auto", 300.0, None)


def test_file_then_environment_then_arguments(config):
    config('[elasticsearch]\nhosts = ["https://es-a:9200", "https://es-b:9200"]\n'
           'prefix = "shop"\nmargin_s = 60\nenvironment = "canary"\nservices = ["kong"]\n'
           'verify_certs = false\n'
           '[elasticsearch.indices]\napp = "logs-app-*"\n'
           '[elasticsearch.fields]\nrequest_id = "labels.request_id"\n')
    settings = resolve_es(env={})
    assert settings.hosts == ["https://es-a:9200", "https://es-b:9200"]
    assert settings.indices.app == "logs-app-*" and settings.indices.gateway == "shop-logs-gateway*"
    assert settings.fields == DEFAULT_FIELDS | {"request_id": "labels.request_id"}
    assert (settings.margin_s, settings.environment, settings.services) == (60.0, "canary", ["kong"])
    assert settings.verify_certs is False
    env = {"TRIAGE_ES_URL": "http://127.0.0.1:9201/", "TRIAGE_ES_VERIFY_CERTS": "true",
           "TRIAGE_ES_CA_CERTS": "/etc/ca.pem", "TRIAGE_ES_INDEX_PREFIX": "ci"}
    settings = resolve_es(env=env)
    assert settings.hosts == ["http://127.0.0.1:9201"]
    assert (settings.verify_certs, settings.ca_certs) == (True, "/etc/ca.pem")
    assert settings.indices.gateway == "ci-logs-gateway*" and settings.indices.app == "logs-app-*"
    assert settings.origin["hosts"] == "TRIAGE_ES_URL"
    hosts = resolve_es(env=env | {"TRIAGE_ES_HOSTS": "http://a:1,http://b:2"}).hosts
    assert hosts == ["http://a:1", "http://b:2"]
    assert resolve_es({"margin_s": 5.0}, env=env).margin_s == 5.0


def test_credentials_come_from_the_environment_and_stay_out_of_repr(config):
    config('[elasticsearch]\napi_key_env = "MY_ES_KEY"\n')
    settings = resolve_es(env={"MY_ES_KEY": "c2VjcmV0LWtleQ==", "TRIAGE_ES_USERNAME": "elastic",
                               "TRIAGE_ES_PASSWORD": "hunter2"})
    assert settings.api_key == "c2VjcmV0LWtleQ==" and settings.password == "hunter2"
    shown = repr(settings)
    assert "c2VjcmV0LWtleQ==" not in shown and "hunter2" not in shown
    assert "elastic" in shown


@pytest.mark.parametrize("text, says", [
    ('api_key = "abc"', "must not be written in the config file; set TRIAGE_ES_API_KEY"),
    ('password = "abc"', "must not be written in the config file; set TRIAGE_ES_PASSWORD"),
    ('window = "yesterday"', "window must be one of auto, build-json, tests"),
    ('page_size = "many"', "page_size must be a number"),
    ('hosts = []', "hosts is empty"),
    ('verify_certs = "maybe"', "verify_certs must be true or false"),
    ('[elasticsearch.indices]\nlogs = "x"', "'logs' is not a layer"),
    ('[elasticsearch.indices]\napp = "logs-*"\ngateway = "logs-*"', "two layers share one pattern"),
    ('[elasticsearch.fields]\nrequest = "x"', "unknown column(s) request"),
])
def test_bad_config_names_the_file_and_the_fix(config, text, says):
    path = config(f"[elasticsearch]\n{text}\n")
    with pytest.raises(ConfigError) as caught:
        resolve_es(env={})
    assert says in str(caught.value)
    assert str(caught.value).startswith(f"{path}: ")


def test_engine_from_file_then_environment(config):
    config('[elasticsearch]\nengine = "OpenSearch"\n')
    settings = resolve_es(env={})
    assert (settings.engine, settings.product, settings.node_script) == (
        "opensearch", "OpenSearch", "scripts/opensearch.sh")
    overridden = resolve_es(env={"TRIAGE_ES_ENGINE": "elasticsearch"})
    assert (overridden.engine, overridden.product, overridden.origin["engine"]) == (
        "elasticsearch", "Elasticsearch", "TRIAGE_ES_ENGINE")


def test_unknown_engine_is_refused_naming_where_it_came_from(config):
    path = config('[elasticsearch]\nhosts = "http://127.0.0.1:9210"\n')
    with pytest.raises(ConfigError) as caught:
        resolve_es(env={"TRIAGE_ES_ENGINE": "solr"})
    assert str(caught.value).startswith(f"{path}: [elasticsearch] engine must be one of "
                                        "elasticsearch, opensearch, got 'solr' (from TRIAGE_ES_ENGINE)")

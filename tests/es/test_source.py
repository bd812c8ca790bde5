"""The Elasticsearch source against the real nodes (Elasticsearch and OpenSearch): load,
pull, same report as files."""
from __future__ import annotations

import json
from collections import Counter

import pandas as pd
import pytest
from typer.testing import CliRunner

from triage import api
from triage.cli import app
from triage.elastic.client import connect
from triage.elastic.pull import pull_events
from triage.elastic.source import load_build_es
from triage.elastic.window import resolve_window

from .conftest import SAMPLE, es_env

runner = CliRunner()
BUILDS = api.list_builds(SAMPLE)


def _json(args: list[str], env: dict[str, str]) -> dict:
    result = runner.invoke(app, ["run", "--data-dir", str(SAMPLE), "--format", "json", *args],
                           env=env, catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def _nulls_as_none(frame: pd.DataFrame) -> pd.DataFrame:
    """The file source leaves None or NaN for a missing id depending on its chunking;
    both mean "absent", so compare values with one spelling of null."""
    return frame.astype(object).where(frame.notna(), None)


def test_loader_indexes_every_event_test_and_build(loaded, es_settings):
    per_layer: Counter = Counter()
    tests = 0
    for build in BUILDS:
        files = api.load_build(build, SAMPLE)
        per_layer.update(files.events["layer"].astype(str).tolist())
        tests += len(files.tests)
    names = es_settings.index_names()
    assert loaded.documents == {names[layer]: n for layer, n in per_layer.items()} | {
        names["tests"]: tests, names["builds"]: len(BUILDS)}
    assert sum(per_layer.values()) == 10_754


def test_loading_a_build_again_replaces_its_documents(loaded, es_settings):
    from triage.elastic.index import load_builds

    client = connect(es_settings)
    index = es_settings.index_names()["ingress"]
    before = client.count(index=index)["count"]
    again = load_builds(es_settings, SAMPLE, ["1234"])
    assert again.documents[index] == 836
    assert client.count(index=index)["count"] == before == loaded.documents[index]


def test_templates_give_ecs_types_and_one_shard_no_replicas(loaded, es_settings):
    client = connect(es_settings)
    index = es_settings.index_names()["app"]
    settings = client.indices.get_settings(index=index)[index]["settings"]["index"]
    assert (settings["number_of_shards"], settings["number_of_replicas"]) == ("1", "0")
    props = client.indices.get_mapping(index=index)[index]["mappings"]["properties"]
    assert props["@timestamp"]["type"] == "date_nanos"
    assert props["http"]["properties"]["request"]["properties"]["id"]["type"] == "keyword"
    assert props["http"]["properties"]["response"]["properties"]["status_code"]["type"] == "long"
    assert props["trace"]["properties"]["id"]["type"] == "keyword"
    assert props["client"]["properties"]["ip"] == {"type": "ip", "ignore_malformed": True}
    assert props["triage"]["properties"]["attrs"] == {"type": "object", "enabled": False}


@pytest.mark.parametrize("build", BUILDS)
def test_es_report_equals_the_file_report(loaded, es_settings, build):
    files = _json(["--build", build], {})
    es = _json(["--build", build, "--source", "es"], es_env(es_settings))
    block = es["build"].pop("elasticsearch")
    for report in (files, es):
        for source in report["sources"]:
            source.pop("path")
    assert es == files
    events = sum(s["events"] for s in files["sources"])
    assert block["expected"] == block["received"] == events
    assert (events > 0) == (SAMPLE / "builds" / build / "logs").is_dir()  # most history builds have no logs
    assert block["window"]["origin"].startswith("build.json")


def test_sliced_pull_gives_exactly_the_file_frame(loaded, es_settings):
    from dataclasses import replace

    sliced = replace(es_settings, page_size=100, docs_per_slice=150, max_slices=4)
    seen: list[tuple[int, int]] = []
    build = load_build_es("1234", sliced, progress=lambda got, want: seen.append((got, want)))
    files = api.load_build("1234", SAMPLE)
    pd.testing.assert_frame_equal(_nulls_as_none(build.events), _nulls_as_none(files.events))
    typed = [c for c, d in files.events.dtypes.items() if str(d) not in ("object", "str")
             and not isinstance(d, pd.StringDtype)]  # text columns' dtype is pandas' guess
    assert build.events[typed].dtypes.to_dict() == files.events[typed].dtypes.to_dict()
    assert "ts" in typed and "status" in typed and "source" in typed
    layers = {i["layer"]: i for i in build.metadata["elasticsearch"]["indices"]}
    assert {k: v["slices"] for k, v in layers.items()} == {
        "ingress": 4, "gateway": 4, "app": 4, "dependency": 1}
    assert seen[-1] == (2464, 2464)
    assert [got for got, _ in seen] == sorted(got for got, _ in seen)


def test_environment_and_service_filters(loaded, es_settings):
    from dataclasses import replace

    files = api.load_build("1234", SAMPLE)
    window = resolve_window(es_settings, "1234", files.metadata, files.tests)
    kong = pull_events(replace(es_settings, services=["kong"], environment="canary"), window)
    assert len(kong.events) == int((files.events["service"] == "kong").sum()) == 623
    assert set(kong.events["service"].astype(str)) == {"kong"}
    staging = pull_events(replace(es_settings, environment="staging"), window)
    assert staging.expected == staging.received == 0


def test_window_from_test_results_plus_margin(loaded, es_settings):
    from dataclasses import replace

    files = api.load_build("1234", SAMPLE)
    window = resolve_window(replace(es_settings, window="tests", margin_s=10), "1234",
                            files.metadata, files.tests)
    first = min(t.started_at for t in files.tests)
    last = max(t.started_at + t.duration_s for t in files.tests)
    assert window.start == pd.Timestamp(first - 10, unit="s", tz="UTC")
    assert window.end == pd.Timestamp(last + 10, unit="s", tz="UTC")
    pulled = pull_events(replace(es_settings, window="tests", margin_s=10), window)
    inside = files.events[(files.events["ts"] >= window.start) & (files.events["ts"] <= window.end)]
    assert pulled.received == len(inside) < len(files.events)


def test_cli_es_load_and_status(es_settings):
    env = es_env(es_settings, TRIAGE_ES_INDEX_PREFIX=es_settings.prefix + "-cli")
    try:
        result = runner.invoke(app, ["es", "load", "--build", "1236", "--data-dir", str(SAMPLE)],
                               env=env, catch_exceptions=False)
        assert result.exit_code == 0, result.output
        # 975 log events, 5 test results, 1 build document
        assert "loaded 1 build(s), 981 documents into" in " ".join(result.stdout.split())
        assert "triage run --build 1236 --source es" in result.stdout
        status = runner.invoke(app, ["es", "status"], env=env, catch_exceptions=False)
        assert status.exit_code == 0, status.output
        assert {"elasticsearch": "Elasticsearch 9.", "opensearch": "OpenSearch 2."}[
            es_settings.engine] in status.stdout
        assert f"{es_settings.prefix}-cli-tests*" in status.stdout
        report = _json(["--build", "1236", "--source", "es"], env)
        assert report["build"]["elasticsearch"]["received"] == 975
    finally:
        client = connect(es_settings)
        client.indices.delete(index=f"{es_settings.prefix}-cli-logs-app,{es_settings.prefix}-cli-"
                              "logs-ingress,{0}-cli-logs-gateway,{0}-cli-logs-dependency,{0}-cli-"
                              "tests,{0}-cli-builds".format(es_settings.prefix),
                              ignore_unavailable=True)
        for kind in ("logs", "tests", "builds"):
            client.indices.delete_index_template(name=f"{es_settings.prefix}-cli-{kind}")


def test_es_load_needs_build_or_all():
    result = runner.invoke(app, ["es", "load"])
    assert result.exit_code == 2
    assert "--build ID" in result.output


def test_unknown_build_on_es_says_how_to_load_it(loaded, es_settings, tmp_path):
    result = runner.invoke(app, ["run", "--build", "9999", "--source", "es", "--data-dir",
                                 str(tmp_path)], env=es_env(es_settings))
    assert result.exit_code == 2
    assert f"no test results in {es_settings.prefix}-tests*" in result.stderr
    assert "triage es load --build 9999" in result.stderr


def test_credentials_in_the_url_reach_neither_report_nor_message(loaded, es_settings, es_port):
    url = f"http://elastic:hunter2-secret@127.0.0.1:{es_port}"
    report = _json(["--build", "1234", "--source", "es"], es_env(es_settings, TRIAGE_ES_URL=url))
    assert report["build"]["elasticsearch"]["hosts"] == [f"http://127.0.0.1:{es_port}"]
    closed = runner.invoke(app, ["run", "--build", "1234", "--source", "es"], env=es_env(
        es_settings, TRIAGE_ES_URL="http://elastic:hunter2-secret@127.0.0.1:1",
        TRIAGE_ES_MAX_RETRIES="0"))
    assert closed.exit_code == 3
    assert f"{es_settings.product} at http://127.0.0.1:1," in closed.stderr
    assert "hunter2" not in closed.stderr + closed.stdout

"""Build metadata and environment manifests on the real samples."""
from pathlib import Path

from triage.ingest.loader import read_source


def test_flagd_json_and_yaml_give_the_same_default_values(real):
    folder = real / "feature-flags"
    as_json = read_source(folder / "flagd-example-flags.flagd.json")
    as_yaml = read_source(folder / "flagd-example-flags.flagd.yaml")
    assert as_json.info.format == as_yaml.info.format == "feature-flags"
    assert as_json.document == as_yaml.document
    assert as_json.document["myBoolFlag"] is True and as_json.document["myStringFlag"] == "val1"


def test_launchdarkly_and_unleash_flag_files(real):
    folder = real / "feature-flags"
    assert read_source(folder / "launchdarkly-file-datasource-all-properties.json").document == {
        "flag1": "on", "flag2": "value2"}
    unleash = read_source(folder / "unleash-spec-16-strategy-variants.json")
    assert unleash.info.format == "feature-flags" and unleash.document
    assert all(isinstance(v, bool) for v in unleash.document.values())


def test_kubernetes_objects_from_yaml_and_kubectl_json(real):
    folder = real / "k8s-manifests"
    live = read_source(folder / "argocd-nginx-deployment-live.yaml")
    assert live.info.format == "k8s-yaml"
    assert [(o["kind"], o["metadata"]["name"]) for o in live.document] == [("Deployment", "nginx-deployment")]
    guestbook = read_source(folder / "argocd-guestbook-deployment-live.json")
    assert guestbook.info.format == "k8s-yaml" and guestbook.document[0]["kind"] == "Deployment"
    assert read_source(folder / "k8s-website-nginx-deployment.yaml").document[0]["spec"]["replicas"] == 3


def test_filebeat_expected_output_is_unsupported_with_reason(real):
    info = read_source(real / "envoy" / "filebeat-envoy-default-format.log-expected.json").info
    assert info.status == "unsupported" and "JSON array of documents" in info.reason


def test_dotenv_and_build_json(tmp_path: Path):
    env = tmp_path / "canary.env"
    env.write_text("# comment\nUPSTREAM_TIMEOUT_MS=1000\nexport API_BASE='https://api.x'\nbad line\n")
    result = read_source(env, "env/canary/app.env")
    assert result.info.format == "dotenv"
    assert result.document == {"UPSTREAM_TIMEOUT_MS": "1000", "API_BASE": "https://api.x"}
    assert result.info.skipped_lines == 1 and result.info.examples[0].line == 4
    meta = tmp_path / "build.json"
    meta.write_text('{"build": 1234, "env": "canary", "baseline": 1230, "runner_ip": "10.0.0.1"}')
    parsed = read_source(meta, "build.json")
    assert parsed.info.format == "build-json" and parsed.document["build"] == "1234"
    assert parsed.document["baseline"] == "1230" and parsed.document["runner_ip"] == "10.0.0.1"


def test_yaml_alias_bomb_is_refused(tmp_path: Path):
    bomb = tmp_path / "bomb.yaml"
    lines = ["apiVersion: v1", "kind: ConfigMap", 'a: &a ["x","x","x","x","x","x","x","x","x"]']
    for i in range(1, 15):
        prev = "a" if i == 1 else f"a{i - 1}"
        lines.append(f"a{i}: &a{i} [*{prev},*{prev},*{prev},*{prev},*{prev},*{prev},*{prev},*{prev},*{prev}]")
    bomb.write_text("\n".join(lines) + "\n")
    info = read_source(bomb, "bomb.yaml").info
    assert info.status == "error" and "aliases" in info.reason

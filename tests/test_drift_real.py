"""diff-env on the real third-party samples: Argo CD desired/live pairs, the
Kubernetes docs Deployment, and every feature-flag format (read in place)."""
from __future__ import annotations

from pathlib import Path

import pytest

from triage.drift import DriftKind, diff_environments

SERVER_DEFAULT = DriftKind.SERVER_DEFAULT
POD = "spec.template.spec"
POD_DEFAULTS = {f"{POD}.dnsPolicy", f"{POD}.restartPolicy", f"{POD}.schedulerName", f"{POD}.securityContext",
                f"{POD}.terminationGracePeriodSeconds", "spec.progressDeadlineSeconds"}


def _pair(real: Path, name: str, ext: str):
    folder = real / "k8s-manifests"
    return diff_environments(str(folder / f"argocd-{name}-desired.{ext}"), str(folder / f"argocd-{name}-live.{ext}"))


def _real_changes(result):
    return [(d.path, d.kind, d.change.value) for d in result.differences if d.kind is not SERVER_DEFAULT]


def test_manual_kubectl_apply_ranks_added_container_and_removed_port_above_defaults(real):
    result = _pair(real, "deployment-manual-kubectl-apply", "yaml")
    assert {d.object for d in result.differences} == {"Deployment/default/manual-apply-test-deployment"}
    assert _real_changes(result) == [
        (f"{POD}.containers[idle]", DriftKind.CONTAINER, "added"),
        (f"{POD}.containers[main-container].ports[40]", DriftKind.PORT, "removed")]
    assert [d.kind for d in result.differences[:2]] == [DriftKind.CONTAINER, DriftKind.PORT]
    defaults = {d.path for d in result.differences[2:]}
    assert all(d.kind is SERVER_DEFAULT and d.score == 0.02 for d in result.differences[2:])
    assert POD_DEFAULTS | {f"{POD}.containers[main-container].imagePullPolicy",  # Always: tag is latest
                           f"{POD}.containers[main-container].ports[80].protocol", "spec.strategy",
                           f"{POD}.containers[main-container].terminationMessagePath"} <= defaults
    added = result.differences[0]
    assert added.a is None and '"image":"spurin/idle:latest"' in added.b


def test_guestbook_live_json_shows_the_env_var_added_by_hand(real):
    result = _pair(real, "guestbook-deployment", "json")
    assert _real_changes(result) == [
        (f"{POD}.containers[guestbook-ui].env.VAR2", DriftKind.ENV_VAR, "added")]
    var2 = result.differences[0]
    assert var2.b == '{"valueFrom":{"fieldRef":{"apiVersion":"v1","fieldPath":"metadata.name"}}}'
    paths = {d.path for d in result.differences}
    # last-applied-configuration, revision, status, uid, selfLink: noise, not even listed
    assert not any(p.startswith(("status", "metadata")) for p in paths)
    assert f"{POD}.containers[guestbook-ui].imagePullPolicy" in paths  # IfNotPresent for a tagged image


def test_nginx_live_differs_from_its_manifest_only_by_server_defaults(real):
    result = _pair(real, "nginx-deployment", "yaml")
    assert _real_changes(result) == []
    assert len(result.differences) == 15
    probe = {d.path: d.b for d in result.differences if "livenessProbe" in d.path}
    assert probe == {f"{POD}.containers[nginx].livenessProbe.{k}": v for k, v in
                     (("failureThreshold", "3"), ("successThreshold", "1"), ("timeoutSeconds", "1"))}


def test_docs_deployment_without_namespace_matches_the_live_object(real):
    folder = real / "k8s-manifests"
    result = diff_environments(str(folder / "k8s-website-nginx-deployment.yaml"),
                               str(folder / "argocd-nginx-deployment-live.yaml"))
    first = result.differences[0]
    assert (first.object, first.path, first.a, first.b) == (
        "Deployment/default/nginx-deployment", f"{POD}.containers[nginx].image", "nginx:1.14.2", "nginx:1.23.1")
    replicas = next(d for d in result.differences if d.path == "spec.replicas")
    assert (replicas.a, replicas.b, replicas.kind) == ("3", "2", DriftKind.REPLICAS)
    assert result.differences.index(replicas) < result.differences.index(
        next(d for d in result.differences if d.kind is SERVER_DEFAULT))


def test_flagd_json_and_yaml_hold_the_same_flags(real):
    folder = real / "feature-flags"
    result = diff_environments(str(folder / "flagd-example-flags.flagd.json"),
                               str(folder / "flagd-example-flags.flagd.yaml"))
    assert result.differences == [] and result.warnings == []


def test_unleash_and_launchdarkly_flags_compare_by_name(real):
    folder = real / "feature-flags"
    unleash = diff_environments(str(folder / "unleash-spec-09-strategy-constraints.json"),
                                str(folder / "unleash-spec-16-strategy-variants.json"))
    assert {d.kind for d in unleash.differences} == {DriftKind.FLAG}
    assert len(unleash.differences) == 17
    removed = next(d for d in unleash.differences if d.path == "Feature.constraints.simple")
    assert (removed.a, removed.b, removed.change.value) == ("true", None, "removed")
    launchdarkly = diff_environments(str(folder / "launchdarkly-file-datasource-all-properties.json"),
                                     str(folder / "flagd-example-flags.flagd.json"))
    got = {d.path: (d.a, d.b) for d in launchdarkly.differences}
    assert got["flag1"] == ("on", None) and got["flag2"] == ("value2", None)
    assert got["myStringFlag"] == (None, "val1") and got["myObjectFlag"] == (None, '{"key":"val"}')


@pytest.mark.parametrize("folder", ["k8s-manifests", "feature-flags"])
def test_a_real_folder_against_itself_has_no_difference(real, folder):
    result = diff_environments(str(real / folder), str(real / folder))
    assert result.differences == []

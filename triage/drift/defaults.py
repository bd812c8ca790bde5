"""Fields the Kubernetes API server fills in by itself.

A field present on one side only whose value is what the server would have
filled in (``dnsPolicy: ClusterFirst``, ``terminationMessagePath``, a port's
``protocol: TCP``, ...) is a ``server-default`` difference: a live object
compared with its manifest, not a change anyone made.
"""
from __future__ import annotations

from typing import Any

ANY = object()  # any value: assigned by the server (a Service's clusterIP)

_PROBES = ("livenessProbe", "readinessProbe", "startupProbe")


def _pull_policy(value: Any, parent: dict[str, Any]) -> bool:
    image = str(parent.get("image", ""))
    tag = image.rsplit("/", 1)[-1]
    latest = "@" not in image and (":" not in tag or tag.endswith(":latest"))
    return value == ("Always" if latest else "IfNotPresent")


def _target_port(value: Any, parent: dict[str, Any]) -> bool:
    return str(value) == str(parent.get("port"))


# (path suffix with list keys as [*], default value or a check, object kinds or None for any)
DEFAULTS: tuple[tuple[str, Any, frozenset[str] | None], ...] = (
    ("dnsPolicy", "ClusterFirst", None),
    ("restartPolicy", "Always", None),
    ("schedulerName", "default-scheduler", None),
    ("terminationGracePeriodSeconds", 30, None),
    ("serviceAccountName", "default", None),
    ("serviceAccount", "default", None),
    ("enableServiceLinks", True, None),
    ("terminationMessagePath", "/dev/termination-log", None),
    ("terminationMessagePolicy", "File", None),
    ("imagePullPolicy", _pull_policy, None),
    ("ports[*].protocol", "TCP", None),
    ("httpGet.scheme", "HTTP", None),
    *((f"{probe}.{field}", value, None) for probe in _PROBES
      for field, value in (("failureThreshold", 3), ("successThreshold", 1), ("timeoutSeconds", 1),
                           ("periodSeconds", 10))),
    ("spec.replicas", 1, frozenset({"Deployment", "StatefulSet", "ReplicaSet"})),
    ("spec.progressDeadlineSeconds", 600, frozenset({"Deployment"})),
    ("spec.revisionHistoryLimit", 10, frozenset({"Deployment", "StatefulSet", "DaemonSet"})),
    ("spec.strategy.type", "RollingUpdate", frozenset({"Deployment"})),
    ("spec.strategy.rollingUpdate.maxSurge", "25%", frozenset({"Deployment"})),
    ("spec.strategy.rollingUpdate.maxUnavailable", "25%", frozenset({"Deployment"})),
    ("spec.podManagementPolicy", "OrderedReady", frozenset({"StatefulSet"})),
    ("spec.updateStrategy.type", "RollingUpdate", frozenset({"StatefulSet", "DaemonSet"})),
    ("spec.updateStrategy.rollingUpdate.partition", 0, frozenset({"StatefulSet"})),
    ("spec.updateStrategy.rollingUpdate.maxUnavailable", 1, frozenset({"DaemonSet"})),
    ("spec.updateStrategy.rollingUpdate.maxSurge", 0, frozenset({"DaemonSet"})),
    ("spec.backoffLimit", 6, frozenset({"Job"})),
    ("spec.completionMode", "NonIndexed", frozenset({"Job"})),
    ("spec.suspend", False, frozenset({"Job", "CronJob"})),
    ("spec.clusterIP", ANY, frozenset({"Service"})),
    ("spec.clusterIPs", ANY, frozenset({"Service"})),
    ("spec.ipFamilies", ANY, frozenset({"Service"})),
    ("spec.ipFamilyPolicy", "SingleStack", frozenset({"Service"})),
    ("spec.sessionAffinity", "None", frozenset({"Service"})),
    ("spec.type", "ClusterIP", frozenset({"Service"})),
    ("spec.internalTrafficPolicy", "Cluster", frozenset({"Service"})),
    ("ports[*].targetPort", _target_port, frozenset({"Service"})),
)


def pattern_of(keys: tuple[str, ...]) -> str:
    """``spec.containers[api].ports[80].protocol`` as ``spec.containers[*].ports[*].protocol``."""
    out = ""
    for key in keys:
        out += "[*]" if key.startswith("[") else (("." if out else "") + key)
    return out


def is_server_default(kind: str, keys: tuple[str, ...], value: Any, parent: dict[str, Any] | None) -> bool:
    """True when ``value`` at ``keys`` of a ``kind`` object is what the server fills in.

    Empty mappings and lists count (``securityContext: {}``, ``resources: {}``);
    a mapping counts when every field in it does.
    """
    if value is None or value == {} or value == []:
        return True
    if isinstance(value, dict):
        return all(is_server_default(kind, keys + (str(k),), v, value) for k, v in value.items())
    pattern = pattern_of(keys)
    for suffix, default, kinds in DEFAULTS:
        if kinds is not None and kind not in kinds:
            continue
        if pattern != suffix and not pattern.endswith("." + suffix):
            continue
        if default is ANY:
            return True
        if callable(default):
            return bool(default(value, parent or {}))
        return value == default or (not isinstance(value, bool) and str(value) == str(default))
    return False


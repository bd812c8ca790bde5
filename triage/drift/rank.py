"""What each difference is about (CONTRACT §5 kinds) and how likely it changes behaviour.

Scores, highest first: CORS/allowed origins 0.95; auth settings (audience,
issuer, callback URLs) and timeouts 0.9; images, dependency endpoints 0.85;
feature flags, retries, commits 0.8; containers 0.75; runtime versions and
secrets 0.65-0.7; ports, plain env vars 0.6; resource limits 0.5; labels 0.1;
fields the API server fills in 0.02.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from triage.drift.compare import RawChange
from triage.drift.defaults import is_server_default
from triage.drift.model import Change, DriftKind as K
from triage.drift.normalize import Masked
from triage.drift.sources import Document


@dataclass(frozen=True)
class Verdict:
    kind: K
    score: float
    reason: str


CORS = re.compile(r"(?i)cors|allow(ed)?[_.-]?origin|trusted[_.-]?origin|allowed[_.-]?hosts|allow[_.-]?list|white[_.-]?list")
AUTH = re.compile(r"(?i)audience|(^|[_.-])aud$|issuer|callback|redirect[_.-]?ur[il]|jwks|oauth|oidc|"
                  r"client[_.-]?id|(^|[_.-])scopes?$|auth")
TIMEOUT = re.compile(r"(?i)time[_.-]?out|deadline")
RETRY = re.compile(r"(?i)retr(y|ies)|backoff|max[_.-]?attempts")
RUNTIME = re.compile(r"(?i)(^|[_.-])version$|_version|runtime|java[_.-]?opts|java_tool_options|node[_.-]?options|"
                     r"^browser|driver|playwright|selenium|^python$|^node$|^java$")
ENDPOINT = re.compile(r"(?i)(^|[_.-])(url|uri|host|hostname|addr|address|endpoint|dsn|brokers?|servers?|base)$")
URL_VALUE = re.compile(r"^[a-z][a-z0-9+.-]*://|^[\w.-]+\.[a-z]{2,}(:\d+)?(/|$)|^[\w.-]+:\d{2,5}$")
_WORKLOAD_LISTS = ("containers", "initContainers", "ephemeralContainers")
_PROBES = ("livenessProbe", "readinessProbe", "startupProbe")
_INGRESS_KINDS = frozenset({"Ingress", "IngressRoute", "HTTPRoute", "GRPCRoute", "VirtualService", "Gateway",
                            "NetworkPolicy", "AuthorizationPolicy"})
_SECRET_REFS = frozenset({"secretKeyRef", "secretRef", "secretName", "imagePullSecrets"})


def classify(doc: Document, raw: RawChange) -> Verdict:
    """The kind, score and reason of one raw change within ``doc``."""
    keys = raw.keys
    if doc.type == "flags" or (doc.type == "build" and keys[:1] == ("flags",)):
        return Verdict(K.FLAG, 0.8, "feature flag")
    if isinstance(raw.a, Masked) or isinstance(raw.b, Masked):
        return Verdict(K.SECRET_REF, 0.7, "secret value changed (values are never shown)")
    if _SECRET_REFS.intersection(keys) or (doc.object_kind == "Secret" and not keys):
        return Verdict(K.SECRET_REF, 0.65, "secret reference changed")
    if doc.type == "k8s":
        if not keys:
            return _whole_object(doc.object_kind)
        one_side = raw.b if raw.change is Change.ADDED else raw.a
        if raw.change is not Change.CHANGED and is_server_default(doc.object_kind, keys, one_side, raw.parent):
            return Verdict(K.SERVER_DEFAULT, 0.02, "filled in by the API server")
        verdict = _kubernetes(doc, keys)
        if verdict is not None:
            return verdict
    if doc.type == "build":
        verdict = _build_key(keys[0])
        if verdict is not None:
            return verdict
    name = variable_name(doc, keys)
    return by_name(name, raw, variable=_is_variable(doc, keys))


def variable_name(doc: Document, keys: tuple[str, ...]) -> str:
    """The name a change is known by: the env var, .env key, ConfigMap key or last field."""
    if doc.type in ("dotenv", "build") and keys:
        return keys[0]
    if "env" in keys and keys.index("env") + 1 < len(keys):
        return keys[keys.index("env") + 1]
    if doc.object_kind == "ConfigMap" and len(keys) >= 2 and keys[0] == "data":
        return keys[1]
    return keys[-1] if keys else doc.key


def _is_variable(doc: Document, keys: tuple[str, ...]) -> bool:
    return doc.type == "dotenv" or "env" in keys or (doc.object_kind == "ConfigMap" and keys[:1] == ("data",))


def by_name(name: str, raw: RawChange, variable: bool) -> Verdict:
    """Classify by what a setting is called (and, for endpoints, what it holds)."""
    if CORS.search(name):
        return Verdict(K.INGRESS_RULE, 0.95, "CORS / allowed origins")
    if AUTH.search(name):
        return Verdict(K.ENV_VAR if variable else K.OTHER, 0.9, "auth setting (audience, issuer, callback)")
    if TIMEOUT.search(name):
        return Verdict(K.TIMEOUT, 0.9, "timeout")
    if RETRY.search(name):
        return Verdict(K.TIMEOUT, 0.8, "retry setting")
    if RUNTIME.search(name):
        return Verdict(K.RUNTIME_VERSION, 0.7, "runtime or browser version")
    values = [v for v in (raw.a, raw.b) if isinstance(v, str)]
    if ENDPOINT.search(name) or (values and all(URL_VALUE.search(v) for v in values)):
        return Verdict(K.DEPENDENCY_ENDPOINT, 0.85, "endpoint")
    if variable:
        return Verdict(K.ENV_VAR, 0.6, "environment variable")
    return Verdict(K.OTHER, 0.4, "")


def _kubernetes(doc: Document, keys: tuple[str, ...]) -> Verdict | None:
    last = keys[-1]
    if last == "image":
        return Verdict(K.IMAGE, 0.85, "image")
    if len(keys) >= 2 and keys[-2] in _WORKLOAD_LISTS:
        return Verdict(K.CONTAINER, 0.75, "container")
    if "ports" in keys:
        return Verdict(K.PORT, 0.6, "port")
    if "resources" in keys:
        return Verdict(K.RESOURCE_LIMIT, 0.5, "resource limit") if "limits" in keys else \
            Verdict(K.RESOURCE_LIMIT, 0.35, "resource request")
    if last in ("replicas", "minReplicas", "maxReplicas") or doc.object_kind == "HorizontalPodAutoscaler":
        return Verdict(K.REPLICAS, 0.2, "replica count")
    if "labels" in keys or "matchLabels" in keys:
        return Verdict(K.OTHER, 0.1, "label")
    if "annotations" in keys:
        name = keys[keys.index("annotations") + 1] if keys.index("annotations") + 1 < len(keys) else ""
        if CORS.search(name):
            return Verdict(K.INGRESS_RULE, 0.9, "CORS annotation")
        if TIMEOUT.search(name) or RETRY.search(name):
            return Verdict(K.TIMEOUT, 0.85, "timeout annotation")
        return Verdict(K.INGRESS_RULE if doc.object_kind in _INGRESS_KINDS else K.OTHER, 0.3, "annotation")
    if _PROBES[0] in keys or _PROBES[1] in keys or _PROBES[2] in keys:
        return Verdict(K.TIMEOUT, 0.6, "probe timeout") if last == "timeoutSeconds" else \
            Verdict(K.OTHER, 0.45, "health probe")
    if "env" in keys or (doc.object_kind == "ConfigMap" and keys[0] == "data"):
        return None
    if doc.object_kind in _INGRESS_KINDS:
        if TIMEOUT.search(last) or RETRY.search(last):
            return Verdict(K.TIMEOUT, 0.85, "route timeout")
        return Verdict(K.INGRESS_RULE, 0.7, "routing rule")
    if doc.object_kind == "Service" and "selector" in keys:
        return Verdict(K.OTHER, 0.55, "service selector")
    return None


def _whole_object(kind: str) -> Verdict:
    if kind in _INGRESS_KINDS:
        return Verdict(K.INGRESS_RULE, 0.7, f"{kind} on one side only")
    if kind == "Service":
        return Verdict(K.DEPENDENCY_ENDPOINT, 0.6, "Service on one side only")
    return Verdict(K.OTHER, 0.6, f"{kind} on one side only")


def _build_key(key: str) -> Verdict | None:
    if key in ("image", "image_digest", "images"):
        return Verdict(K.IMAGE, 0.85, "image")
    if key == "commit":
        return Verdict(K.IMAGE, 0.8, "different commit")
    if key in ("region", "zone", "availability_zone"):
        return Verdict(K.OTHER, 0.55, "region / zone")
    if key in ("dependencies", "dependency_health"):
        return Verdict(K.DEPENDENCY_ENDPOINT, 0.7, "dependency health")
    return None


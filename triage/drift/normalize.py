"""Turn manifests into comparable trees.

Kubernetes objects lose what the API server and kubectl write by themselves
(``managedFields``, ``status``, ``resourceVersion``, ...); lists whose items
have an identity (containers by name, env by name, ports by number) become
mappings so that reordering is no difference; secret values become ``Masked``
digests that compare equal or not but never print.
"""
from __future__ import annotations

import hashlib
import hmac
import os
import re
from dataclasses import dataclass
from typing import Any

# Per process: digests only ever compare two values read in this run.
_DIGEST_KEY = os.urandom(16)

NOISE_METADATA = frozenset({"managedFields", "resourceVersion", "uid", "generation", "creationTimestamp",
                            "selfLink", "deletionTimestamp", "deletionGracePeriodSeconds"})
NOISE_ANNOTATIONS = frozenset({"kubectl.kubernetes.io/last-applied-configuration",
                               "deployment.kubernetes.io/revision", "argocd.argoproj.io/tracking-id"})
# Lists of named things: item identity -> the list becomes a mapping "[identity]" -> item.
NAMED_LISTS = frozenset({"containers", "initContainers", "ephemeralContainers", "volumes",
                         "imagePullSecrets", "hostAliases", "topologySpreadConstraints"})
_SECRET_WORDS = frozenset({"secret", "secrets", "token", "tokens", "password", "passwords", "passwd",
                           "pwd", "key", "apikey", "credential", "credentials", "private", "privatekey",
                           "passphrase"})
_WORDS = re.compile(r"[A-Z]?[a-z0-9]+|[A-Z]+(?![a-z])")


@dataclass(frozen=True)
class Masked:
    """A secret value: equal to another Masked of the same value, never shown."""

    digest: str

    @classmethod
    def of(cls, value: Any) -> "Masked":
        raw = str(value).encode("utf-8", "replace")
        return cls(hmac.new(_DIGEST_KEY, raw, hashlib.sha256).hexdigest())

    def __str__(self) -> str:
        return "[REDACTED:secret]"


def secret_name(name: str) -> bool:
    """True when a variable or key name says it holds a secret (``DB_PASSWORD``, ``apiKey``)."""
    words = {w.lower() for w in _WORDS.findall(name)}
    return bool(words & _SECRET_WORDS) or name.lower() in _SECRET_WORDS


def object_key(obj: dict[str, Any]) -> tuple[str, str | None, str]:
    """(kind, namespace or None, name) of a Kubernetes object."""
    meta = obj.get("metadata") if isinstance(obj.get("metadata"), dict) else {}
    name = meta.get("name") or meta.get("generateName") or "(unnamed)"
    namespace = meta.get("namespace")
    return str(obj.get("kind")), (str(namespace) if namespace else None), str(name)


def kubernetes_object(obj: dict[str, Any]) -> dict[str, Any]:
    """A Kubernetes object without server noise, with keyed lists and masked secrets.

    In: one object as parsed. Out: a new tree (the input is not changed); the
    kind, name and namespace are left out because they make up the object's key.
    """
    kind = str(obj.get("kind"))
    tree = {k: v for k, v in obj.items() if k not in ("status", "kind")}
    meta = dict(tree.get("metadata") or {})
    for key in ("name", "namespace", *NOISE_METADATA):
        meta.pop(key, None)
    annotations = {k: v for k, v in (meta.get("annotations") or {}).items() if k not in NOISE_ANNOTATIONS}
    if annotations:
        meta["annotations"] = annotations
    else:
        meta.pop("annotations", None)
    tree["metadata"] = meta
    if not meta:
        tree.pop("metadata")
    if kind == "Secret":
        for field in ("data", "stringData"):
            if isinstance(tree.get(field), dict):
                tree[field] = {k: Masked.of(v) for k, v in tree[field].items()}
    elif kind == "ConfigMap" and isinstance(tree.get("data"), dict):
        tree["data"] = flat_values(tree["data"])
    return _keyed(tree, ())


def flat_values(values: dict[str, Any]) -> dict[str, Any]:
    """KEY -> value mappings (.env, ConfigMap data) with secret-named values masked."""
    return {k: (Masked.of(v) if secret_name(str(k)) and v not in (None, "") else v) for k, v in values.items()}


def generic_document(doc: Any, parents: tuple[str, ...] = ()) -> Any:
    """Any parsed YAML/JSON: named lists keyed, secret-named scalars masked."""
    if isinstance(doc, dict):
        out = {}
        for key, value in doc.items():
            reference = parents and parents[-1].lower().endswith("ref")
            if (not isinstance(value, (dict, list)) and value not in (None, "") and not reference
                    and str(key) not in ("key", "keys", "name") and secret_name(str(key))):
                out[key] = Masked.of(value)
            else:
                out[key] = generic_document(value, parents + (str(key),))
        return out
    if isinstance(doc, list):
        keyed = _by_name(doc)
        return {k: generic_document(v, parents) for k, v in keyed.items()} if keyed else \
            [generic_document(v, parents) for v in doc]
    return doc


def _keyed(node: Any, path: tuple[str, ...]) -> Any:
    if isinstance(node, dict):
        out: dict[str, Any] = {}
        for key, value in node.items():
            if key == "creationTimestamp" and value is None:
                continue  # pod templates carry a null one
            out[key] = _keyed_list(str(key), value, path) if isinstance(value, list) else _keyed(value, path + (str(key),))
        return out
    if isinstance(node, list):
        return [_keyed(v, path) for v in node]
    return node


def _keyed_list(key: str, items: list[Any], path: tuple[str, ...]) -> Any:
    here = path + (key,)
    if key == "env" and all(isinstance(i, dict) and "name" in i for i in items):
        return {str(i["name"]): _env_value(i) for i in items}
    if key == "ports" and all(isinstance(i, dict) for i in items):
        keyed = {f"[{_port_id(i)}]": _keyed(i, here) for i in items}
        if len(keyed) == len(items):
            return keyed
    if key == "envFrom" and all(isinstance(i, dict) for i in items):
        keyed = {f"[{_env_from_id(i)}]": _keyed(i, here) for i in items}
        if len(keyed) == len(items):
            return keyed
    if key == "paths" and all(isinstance(i, dict) and "path" in i for i in items):
        keyed = {f"[{i['path']}]": _keyed(i, here) for i in items}
        if len(keyed) == len(items):
            return keyed
    if key in NAMED_LISTS or key == "volumeMounts":
        named = _by_name(items, "mountPath" if key == "volumeMounts" else "name")
        if named is not None:
            return {k: _keyed(v, here) for k, v in named.items()}
    if key in ("rules", "tls") and all(isinstance(i, dict) for i in items):
        return {f"[{n}]": _keyed(i, here) for n, i in enumerate(items)}
    return [_keyed(v, here) for v in items]


def _by_name(items: list[Any], field: str = "name") -> dict[str, Any] | None:
    if not items or not all(isinstance(i, dict) and field in i for i in items):
        return None
    keyed = {f"[{i[field]}]": i for i in items}
    return keyed if len(keyed) == len(items) else None


def _env_value(item: dict[str, Any]) -> Any:
    rest = {k: v for k, v in item.items() if k != "name"}
    if set(rest) <= {"value"}:
        value = rest.get("value", "")
        return Masked.of(value) if secret_name(str(item["name"])) and value not in (None, "") else value
    return _keyed(rest, ())


def _port_id(port: dict[str, Any]) -> str:
    number = port.get("containerPort", port.get("port", port.get("name", "?")))
    protocol = port.get("protocol", "TCP")
    return f"{number}" if protocol == "TCP" else f"{number}/{protocol}"


def _env_from_id(item: dict[str, Any]) -> str:
    for ref in ("configMapRef", "secretRef"):
        if isinstance(item.get(ref), dict):
            return f"{ref}:{item[ref].get('name')}"
    return str(sorted(item))

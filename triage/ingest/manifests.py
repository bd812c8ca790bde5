"""Environment manifests in ``env/<environment>/`` (CONTRACT §1).

Recognised and read here into plain data; comparing two environments is the
job of the environment-diff step, which reads what these return.
"""
from __future__ import annotations

import re
from typing import Any

import orjson
import yaml

from triage.ingest.base import Head, Ingestor, ParseContext, SourceFile, UnreadableSource
from triage.model import SourceKind

_ENV_LINE = re.compile(r"^\s*(?:export\s+)?([A-Za-z_][A-Za-z0-9_.-]*)\s*=(.*)$")
_K8S_HEAD = re.compile(r"^(apiVersion|kind):\s*\S", re.MULTILINE)


class _SafeLoader(yaml.SafeLoader):
    """SafeLoader that refuses alias-heavy documents (billion-laughs)."""

    max_aliases = 100

    def compose_node(self, parent, index):  # type: ignore[override]
        if isinstance(self.peek_event(), yaml.AliasEvent):
            self.max_aliases -= 1
            if self.max_aliases < 0:
                raise yaml.YAMLError("too many YAML aliases")
        return super().compose_node(parent, index)


def load_yaml_documents(text: str) -> list[Any]:
    """All documents of a (multi-document) YAML text, loaded safely.

    Raises ``yaml.YAMLError`` for invalid YAML, too many aliases, or nesting
    deeper than Python's recursion limit (``[[[[...`` 10,000 deep).
    """
    try:
        return [doc for doc in yaml.load_all(text, Loader=_SafeLoader) if doc is not None]
    except RecursionError:
        raise yaml.YAMLError("YAML nested too deeply to read") from None


class KubernetesYamlIngestor(Ingestor):
    name = "k8s-yaml"
    kind = SourceKind.MANIFEST
    description = "Kubernetes objects (YAML, one or many documents, or kubectl -o json)"

    def sniff(self, head: Head) -> float:
        doc = head.document
        if isinstance(doc, dict):
            return 0.95 if {"apiVersion", "kind"} <= doc.keys() else 0.0
        return 0.9 if len(_K8S_HEAD.findall(head.text[:4096])) >= 2 else 0.0

    def parse(self, source: SourceFile, ctx: ParseContext) -> list[dict[str, Any]]:
        text = source.read_text()
        try:
            docs = load_yaml_documents(text)
        except yaml.YAMLError as exc:
            raise UnreadableSource("error", f"invalid YAML: {exc}") from None
        objects: list[dict[str, Any]] = []
        for doc in docs:
            if isinstance(doc, dict) and doc.get("kind") == "List":
                objects.extend(item for item in doc.get("items") or [] if isinstance(item, dict))
            elif isinstance(doc, dict) and "kind" in doc:
                objects.append(doc)
            else:
                ctx.skip(None, "YAML document is not a Kubernetes object (no kind)")
        return objects


class DotenvIngestor(Ingestor):
    name = "dotenv"
    kind = SourceKind.MANIFEST
    description = ".env / KEY=VALUE files"

    def sniff(self, head: Head) -> float:
        lines = [line for line in head.lines if not line.lstrip().startswith("#")]
        if not lines:
            return 0.0
        keys = [m.group(1) for m in map(_ENV_LINE.match, lines) if m]
        ratio = len(keys) / len(lines)
        looks_env = head.path.endswith(".env") or "/.env" in head.path or head.path.startswith(".env")
        shouty = sum(1 for key in keys if key.isupper()) / max(1, len(keys))
        if (looks_env and ratio >= 0.6) or (ratio >= 0.9 and shouty >= 0.9):
            return 0.6
        return 0.0

    def parse(self, source: SourceFile, ctx: ParseContext) -> dict[str, str]:
        values: dict[str, str] = {}
        for lineno, line in source.lines():
            if not line.strip() or line.lstrip().startswith("#"):
                continue
            match = _ENV_LINE.match(line)
            if not match:
                ctx.skip(lineno, "not a KEY=VALUE line")
                continue
            value = match.group(2).strip()
            if len(value) >= 2 and value[0] == value[-1] and value[0] in "\"'":
                value = value[1:-1]
            values[match.group(1)] = value
        return values


class FeatureFlagsIngestor(Ingestor):
    name = "feature-flags"
    kind = SourceKind.MANIFEST
    description = ("feature flags: flat {flag: value} JSON, OpenFeature flagd (JSON or YAML), "
                   "LaunchDarkly file data source, Unleash client features")

    def sniff(self, head: Head) -> float:
        doc = head.document
        if doc is None and _FLAGD_YAML.search(head.text[:8192]):
            return 0.9  # flagd YAML: a top-level 'flags:' with flagd keys below
        if not isinstance(doc, dict):
            return 0.0
        if _flavour(doc) is not None:
            return 0.95
        if "flag" in head.path.lower() and doc and all(
                isinstance(v, (bool, int, float, str)) for v in doc.values()):
            return 0.7
        return 0.0

    def parse(self, source: SourceFile, ctx: ParseContext) -> dict[str, Any]:
        text = source.read_text()
        try:
            doc = orjson.loads(text)
        except orjson.JSONDecodeError:
            try:
                docs = load_yaml_documents(text)
            except yaml.YAMLError as exc:
                raise UnreadableSource("error", f"neither JSON nor YAML: {exc}") from None
            doc = docs[0] if docs else {}
        if not isinstance(doc, dict):
            raise UnreadableSource("error", "a flag file holds one object")
        flavour = _flavour(doc)
        if flavour == "flagd":
            return {name: flag_value(flag) for name, flag in doc["flags"].items()}
        if flavour == "launchdarkly":
            flags, fixed = doc.get("flags"), doc.get("flagValues")
            values = {key: _launchdarkly_value(flag)
                      for key, flag in (flags.items() if isinstance(flags, dict) else ())}
            if isinstance(fixed, dict):
                values.update(fixed)
            return values
        if flavour == "unleash":
            features = doc.get("features") or doc["state"]["features"]
            return {f["name"]: bool(f.get("enabled")) for f in features
                    if isinstance(f, dict) and isinstance(f.get("name"), str)}
        return doc


_FLAGD_YAML = re.compile(r"^flags:\s*$(?:\n[ \t].*)*?\n[ \t]+(state|defaultVariant|variants):", re.MULTILINE)


def _flavour(doc: dict[str, Any]) -> str | None:
    flags = doc.get("flags")
    if isinstance(flags, dict) and flags and all(
            isinstance(v, dict) and ("variants" in v or "state" in v) for v in flags.values()):
        return "flagd"
    if "flagValues" in doc or (isinstance(flags, dict) and flags and all(
            isinstance(v, dict) and ("variations" in v or "on" in v) for v in flags.values())):
        return "launchdarkly"
    state = doc.get("features")
    if state is None and isinstance(doc.get("state"), dict):  # client-specification files
        state = doc["state"].get("features")
    if isinstance(state, list) and state and all(isinstance(f, dict) and "name" in f and "enabled" in f
                                                  for f in state):
        return "unleash"
    return None


def _launchdarkly_value(flag: Any) -> Any:
    """What a LaunchDarkly flag serves to a user no rule matches."""
    if not isinstance(flag, dict):
        return flag
    variations = flag.get("variations")
    fallthrough = flag.get("fallthrough")
    index = ((fallthrough.get("variation") if isinstance(fallthrough, dict) else None)
             if flag.get("on", True) else flag.get("offVariation"))
    if isinstance(variations, list) and isinstance(index, int) and 0 <= index < len(variations):
        return variations[index]
    return None


def flag_value(flag: Any) -> Any:
    """The value a flagd flag serves by default (its default variant), or None if disabled."""
    if not isinstance(flag, dict):
        return flag
    if flag.get("state", "ENABLED") == "DISABLED":
        return None
    variants, default = flag.get("variants"), flag.get("defaultVariant")
    if not isinstance(variants, dict) or not isinstance(default, (str, int, float, bool)):
        return None
    return variants.get(default)

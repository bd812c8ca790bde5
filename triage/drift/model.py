"""Typed records of an environment comparison (CONTRACT §5)."""
from __future__ import annotations

import enum
from dataclasses import dataclass, field
from typing import Any

from triage.errors import UsageError

SCHEMA_ID = "triage.envdiff/v1"


class DriftKind(str, enum.Enum):
    """What a difference is about, exactly as CONTRACT §5 spells the kinds."""

    IMAGE = "image"
    RUNTIME_VERSION = "runtime-version"
    ENV_VAR = "env-var"
    SECRET_REF = "secret-ref"
    FLAG = "flag"
    RESOURCE_LIMIT = "resource-limit"
    INGRESS_RULE = "ingress-rule"
    DEPENDENCY_ENDPOINT = "dependency-endpoint"
    TIMEOUT = "timeout"
    REPLICAS = "replicas"
    CONTAINER = "container"
    PORT = "port"
    SERVER_DEFAULT = "server-default"
    OTHER = "other"


class Change(str, enum.Enum):
    ADDED = "added"      # only in B
    REMOVED = "removed"  # only in A
    CHANGED = "changed"  # in both, different


@dataclass
class Difference:
    """One difference between environment A and environment B.

    ``a``/``b`` are the values as text (None where that side lacks the field);
    secret values never appear here, only a ``[REDACTED:secret]`` marker.
    ``score`` (0..1) is how likely the difference is to change behaviour.
    """

    object: str
    path: str
    kind: DriftKind
    a: str | None
    b: str | None
    score: float
    expected: bool = False
    reason: str = ""
    change: Change = Change.CHANGED
    a_file: str | None = None
    b_file: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {"object": self.object, "path": self.path, "kind": self.kind.value,
                "a": self.a, "b": self.b, "score": self.score, "expected": self.expected,
                "reason": self.reason, "change": self.change.value,
                "a_file": self.a_file, "b_file": self.b_file}


@dataclass
class EnvDiff:
    """Every difference between two environments, most important first."""

    a: str
    b: str
    differences: list[Difference]
    warnings: list[str] = field(default_factory=list)
    expected_files: list[str] = field(default_factory=list)

    @property
    def unexpected(self) -> list[Difference]:
        return [d for d in self.differences if not d.expected]

    def to_dict(self) -> dict[str, Any]:
        return {"schema": SCHEMA_ID, "a": self.a, "b": self.b,
                "differences": [d.to_dict() for d in self.differences],
                "summary": summary(self.differences),
                "expected_files": self.expected_files, "warnings": self.warnings}


def summary(differences: list[Difference]) -> dict[str, Any]:
    by_kind: dict[str, int] = {}
    for diff in differences:
        by_kind[diff.kind.value] = by_kind.get(diff.kind.value, 0) + 1
    return {"differences": len(differences),
            "expected": sum(1 for d in differences if d.expected),
            "by_kind": dict(sorted(by_kind.items()))}


class ManifestError(UsageError):
    """A manifest that cannot be parsed (invalid YAML or JSON): names file and line."""


class EnvironmentNotFound(UsageError):
    """A folder, file or build id that names no environment."""

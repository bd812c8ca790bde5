"""Walk two normalised trees and list where they differ."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from triage.drift.model import Change

MISSING = object()


@dataclass
class RawChange:
    """One place where two trees differ, before it is classified.

    ``keys`` is the path (list identities kept as ``[name]``); ``parent`` the
    mapping holding the value on the side that has it (for default checks).
    """

    keys: tuple[str, ...]
    a: Any
    b: Any
    change: Change
    parent: dict[str, Any] | None = None


def render_path(keys: tuple[str, ...]) -> str:
    """``("spec", "containers", "[api]", "env", "X")`` -> ``spec.containers[api].env.X``."""
    out = ""
    for key in keys:
        out += key if key.startswith("[") else (("." if out else "") + key)
    return out


def same(a: Any, b: Any) -> bool:
    """Equal, where YAML's ``1`` and ``"1"`` count as the same scalar."""
    if a == b:
        return True
    scalars = (str, int, float)
    if isinstance(a, scalars) and isinstance(b, scalars) and not isinstance(a, bool) and not isinstance(b, bool):
        return str(a) == str(b)
    return False


def diff_trees(a: Any, b: Any, keys: tuple[str, ...] = (),
               parents: tuple[Any, Any] = (None, None)) -> list[RawChange]:
    """Every difference between ``a`` and ``b``; a subtree on one side only is one change.

    Mappings are compared key by key (order does not matter); lists and scalars
    as whole values.
    """
    if a is MISSING:
        return [RawChange(keys, None, b, Change.ADDED, parents[1])]
    if b is MISSING:
        return [RawChange(keys, a, None, Change.REMOVED, parents[0])]
    if isinstance(a, dict) and isinstance(b, dict):
        found: list[RawChange] = []
        for key in list(a) + [k for k in b if k not in a]:
            found.extend(diff_trees(a.get(key, MISSING), b.get(key, MISSING), keys + (str(key),), (a, b)))
        return found
    if same(a, b):
        return []
    return [RawChange(keys, a, b, Change.CHANGED, parents[1] if isinstance(parents[1], dict) else None)]

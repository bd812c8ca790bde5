"""A typed decode of a JSON line into the values ``FieldMap.pick`` would pick.

``FieldMap.pick`` needs the line as a dict: one Python object per key and value,
most of them never looked at. ``FieldPicker`` instead decodes a line with
msgspec into Structs generated from the field map, so only the declared keys are
read, in C, typed. It covers flat dotted keys (``"log.level"``), nested objects
(``"log": {"level": ..}``) and mixes (``"http.request": {"id": ..}``), and gives
each *handled* name's value, or ``UNSET``.

It declines a line (None) whenever its answer could differ from ``pick`` or
from ``orjson.loads`` in ``JsonLineIngestor.parse_line``:

- a key it does not know (``forbid_unknown_fields``; an unknown key could hold a
  number orjson rejects, ``1e999``, that msgspec would skip unread), which
  includes every *rare* name: a field-map name the caller does not handle;
- a value of a type other than declared (null, a number for a string ...);
- one name written twice (flat and nested): ``pick`` keeps the first in document
  order, which the decode does not see;
- invalid JSON, or anything but an object.

*Ignored* keys (known ECS keys the caller never reads, ``service.version``) are
accepted as scalars and dropped; integers beyond signed 64 bits are declined there too,
since orjson reads those as floats or rejects them.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Annotated, Any, Iterable, Sequence, Union

import msgspec
from msgspec import UNSET

from triage.ingest.jsonlines import FieldMap

# An int orjson surely reads as an int (beyond 64 bits it reads a float, or fails).
Int64 = Annotated[int, msgspec.Meta(ge=-2**63, le=2**63 - 1)]
IGNORED_SCALAR = Union[str, Int64, float, bool, None]


@dataclass
class _Node:
    """The Struct for the object at one path, where its handled values go
    (``leaves``: attribute, slot) and its nested objects that hold some
    (``children``: attribute, node); objects holding only ignored keys are
    decoded, to check them, and not looked at."""

    struct: type
    leaves: list[tuple[str, int]]
    children: list[tuple[str, "_Node"]]


class FieldPicker:
    """Per-line typed picker for the names of a ``FieldMap``.

    In: the field map, ``handled`` {key: msgspec type} in slot order (field-map
    names, and keys of no use to the caller that are only placed: msgspec finds
    a key at once when it comes where it is declared, and scans the declared
    fields otherwise, three times slower on a flat line; so slot order is the
    usual flat line's key order), ``ignored`` dotted keys accepted and dropped,
    and ``order``: the usual order of the other keys and objects.
    ``picker(text)`` gives a sequence whose first ``len(handled)`` items are the
    handled keys' values in slot order (``UNSET`` when absent), or None when the
    line is declined (see the module docstring).
    Raises: ``ValueError`` at construction for a key that would be both a value
    and an object.
    """

    def __init__(self, fields: FieldMap, handled: dict[str, Any], ignored: Iterable[str],
                 order: Sequence[str] = ()) -> None:
        self.slots = {name: slot for slot, name in enumerate(handled)}
        self._types = dict(handled)
        # Rare names are simply not declared: forbid_unknown_fields declines them.
        self._ignored = set(ignored) - set(handled)
        keys = set(handled) | self._ignored
        clash = keys & {".".join(key.split(".")[:cut]) for key in keys
                        for cut in range(1, key.count(".") + 1)}
        if clash:
            raise ValueError(f"keys that are both a value and an object: {sorted(clash)}")
        self._keys = [tuple(key.split(".")) for key in sorted(keys)]
        self._order: dict[str, int] = {}
        for rank, key in enumerate(order):
            self._order.setdefault(key, rank)
        root = self._node(())
        width = len(handled)
        self._nested = slice(width, width + len(root.children))
        self._flat = (UNSET,) * len(root.children)
        self._merge = _merge_function(root, width)
        self._decode = msgspec.json.Decoder(root.struct).decode
        self._astuple = msgspec.structs.astuple

    def __call__(self, text: str) -> Any:
        try:
            values = self._astuple(self._decode(text))
        except (msgspec.DecodeError, UnicodeEncodeError):
            return None
        nested = values[self._nested]
        if nested == self._flat:  # all flat: the usual ecs-logging-java line
            return values
        return self._merge(values, nested)

    def _rank(self, key: str) -> float:
        """Where ``key`` (a value, or an object: its first key) usually comes."""
        rank = self._order.get(key)
        if rank is None:
            below = [rank for name, rank in self._order.items() if name.startswith(key + ".")]
            rank = min(below, default=math.inf)
        return rank

    def _node(self, path: tuple[str, ...]) -> _Node:
        """The Struct (and where its values go) for the object at ``path``."""
        depth = len(path)
        tails = sorted({parts[depth:cut] for parts in self._keys
                        if len(parts) > depth and parts[:depth] == path
                        for cut in range(depth + 1, len(parts) + 1)})
        leaves, children, others = [], [], []
        for tail in tails:
            key = ".".join(path + tail)
            json_name = ".".join(tail)
            if key in self._types:
                leaves.append((json_name, self._types[key], self.slots[key]))
            elif key in self._ignored:
                others.append((json_name, IGNORED_SCALAR))
            else:
                child = self._node(path + tail)
                if child.leaves or child.children:
                    children.append((json_name, child))
                else:
                    others.append((json_name, child.struct))
        prefix = ".".join(path) + "." if path else ""
        rank = lambda field: self._rank(prefix + field[0])  # noqa: E731
        leaves.sort(key=(lambda leaf: leaf[2]) if depth == 0 else rank)
        declared = ([(name, kind, ("leaf", slot)) for name, kind, slot in leaves]
                    + sorted(((name, child.struct, ("child", child)) for name, child in children), key=rank)
                    + sorted(((name, kind, None) for name, kind in others), key=rank))
        struct = msgspec.defstruct(
            "Fields_" + ("_".join(path) or "root"),
            [(f"f{position}", kind, msgspec.field(default=UNSET, name=name))
             for position, (name, kind, _) in enumerate(declared)],
            forbid_unknown_fields=True, gc=False)
        return _Node(struct,
                     [(f"f{position}", use[1]) for position, (_, _, use) in enumerate(declared)
                      if use is not None and use[0] == "leaf"],
                     [(f"f{position}", use[1]) for position, (_, _, use) in enumerate(declared)
                      if use is not None and use[0] == "child"])


def _merge_function(root: _Node, width: int):
    """``merge(values, nodes) -> tuple | None``: the root's handled values (its
    first ``width`` fields) with those of its nested objects (``nodes``, as
    ``root.children``) put in their slots; None when a slot
    is filled twice (the same name flat and nested: ``pick`` would keep the
    first in document order, which the decode does not see).

    Written out as straight-line code: a generic walk over field tables costs
    several times more per line, and a line may hold a dozen nested objects.
    """
    lines = ["def merge(values, nodes):", f"    merged = list(values[:{width}])"]

    def emit(node: _Node, var: str, indent: str) -> None:
        for attribute, slot in node.leaves:
            lines.extend([f"{indent}value = {var}.{attribute}",
                          f"{indent}if value is not UNSET:",
                          f"{indent}    if merged[{slot}] is not UNSET:",
                          f"{indent}        return None",
                          f"{indent}    merged[{slot}] = value"])
        for attribute, child in node.children:
            child_var = f"node{len(indent) // 4}"
            lines.extend([f"{indent}{child_var} = {var}.{attribute}",
                          f"{indent}if {child_var} is not UNSET:"])
            emit(child, child_var, indent + "    ")

    for position, (_, child) in enumerate(root.children):
        lines.extend([f"    node1 = nodes[{position}]", "    if node1 is not UNSET:"])
        emit(child, "node1", "        ")
    lines.append("    return tuple(merged)")
    names: dict[str, Any] = {"UNSET": UNSET}
    exec("\n".join(lines), names)  # noqa: S102 - source built above from attribute names and ints
    return names["merge"]

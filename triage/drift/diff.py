"""Compare two environments: match objects, walk them, classify and rank."""
from __future__ import annotations

from typing import Any

import orjson

from triage.drift import expected as expected_drift
from triage.drift.compare import MISSING, RawChange, diff_trees, render_path
from triage.drift.model import Difference, DriftKind, EnvDiff
from triage.drift.normalize import Masked, flat_values, generic_document, kubernetes_object
from triage.drift.rank import classify
from triage.drift.sources import Document, Environment
from triage.redact import redact

MAX_VALUE_CHARS = 240
# Differences that only follow the environments' names (staging.shop -> canary.shop)
# are usually intended: they keep this share of their score.
RENAMED_SHARE = 0.3
_NO_RENAME_DAMPING = frozenset({DriftKind.SERVER_DEFAULT, DriftKind.FLAG})


def compare(a: Environment, b: Environment,
            expected: list[expected_drift.ExpectedDrift] | None = None) -> EnvDiff:
    """Every difference between ``a`` and ``b``, unexpected ones first, each group by score.

    In: two loaded environments and the expected-drift entries to apply.
    Out: an ``EnvDiff`` whose values have secrets masked and text redacted.
    """
    differences: list[Difference] = []
    for doc_a, doc_b in match_documents(a, b):
        differences.extend(_document_differences(doc_a, doc_b, a.name, b.name))
    expected_drift.apply(differences, expected or [])
    differences.sort(key=lambda d: (d.expected, -d.score, d.object, d.path))
    return EnvDiff(a=a.label, b=b.label, differences=differences, warnings=a.warnings + b.warnings)


def match_documents(a: Environment, b: Environment) -> list[tuple[Document | None, Document | None]]:
    """Pairs of documents with the same key; a Kubernetes object without a namespace
    also pairs with the one object of its kind and name that has one."""
    pairs: list[tuple[Document | None, Document | None]] = []
    left = dict(a.documents)
    right = dict(b.documents)
    for key in list(left):
        if key in right:
            pairs.append((left.pop(key), right.pop(key)))
    for side, other, flip in ((left, right, False), (right, left, True)):
        for key, doc in list(side.items()):
            if doc.type != "k8s" or doc.namespace is not None or key not in side:
                continue
            twins = [k for k, d in other.items() if d.type == "k8s" and d.object_kind == doc.object_kind
                     and k.endswith("/" + key.split("/", 1)[1])]
            if len(twins) == 1:
                twin = other.pop(twins[0])
                side.pop(key)
                pairs.append((twin, doc) if flip else (doc, twin))
    pairs += [(doc, None) for doc in left.values()] + [(None, doc) for doc in right.values()]
    return pairs


def _tree(doc: Document | None) -> Any:
    if doc is None:
        return MISSING
    if doc.type == "k8s":
        return kubernetes_object(doc.content)
    if doc.type in ("dotenv", "flags"):
        return flat_values(doc.content) if doc.type == "dotenv" else dict(doc.content)
    return generic_document(doc.content)


def _document_differences(doc_a: Document | None, doc_b: Document | None,
                          name_a: str | None, name_b: str | None) -> list[Difference]:
    doc = doc_b or doc_a
    assert doc is not None
    tree_a, tree_b = _tree(doc_a), _tree(doc_b)
    if doc.type in ("dotenv", "flags", "build"):  # a whole file on one side: each of its keys
        tree_a = {} if tree_a is MISSING else tree_a
        tree_b = {} if tree_b is MISSING else tree_b
    label = doc_b.key if doc_b is not None and doc_b.type == "k8s" and doc_b.namespace else \
        (doc_a.key if doc_a is not None else doc.key)
    found = []
    for raw in diff_trees(tree_a, tree_b):
        verdict = classify(doc, raw)
        a_text, b_text = value_text(raw.a), value_text(raw.b)
        score, reason = verdict.score, verdict.reason
        if verdict.kind not in _NO_RENAME_DAMPING and renamed(a_text, b_text, name_a, name_b):
            score *= RENAMED_SHARE
            reason = f"{reason}; differs only by the environment name ({name_a} -> {name_b})".lstrip("; ")
        found.append(Difference(
            object=label, path=render_path(raw.keys), kind=verdict.kind, a=a_text, b=b_text,
            score=round(score, 2), reason=reason, change=raw.change,
            a_file=doc_a.file if doc_a else None, b_file=doc_b.file if doc_b else None))
    return found


def renamed(a: str | None, b: str | None, name_a: str | None, name_b: str | None) -> bool:
    """True when ``b`` is ``a`` with environment A's name replaced by B's."""
    if not (a and b and name_a and name_b) or name_a == name_b:
        return False
    for old, new in ((name_a, name_b), (name_a.upper(), name_b.upper()), (name_a.title(), name_b.title())):
        if old in a and a.replace(old, new) == b:
            return True
    return False


def value_text(value: Any) -> str | None:
    """A value as the report shows it: scalars as text, structures as compact JSON,
    secrets as ``[REDACTED:secret]``, everything through the redactor."""
    if value is None:
        return None
    if isinstance(value, Masked):
        return str(value)
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (str, int, float)):
        text = str(value)
    else:
        text = orjson.dumps(value, default=str, option=orjson.OPT_SORT_KEYS | orjson.OPT_NON_STR_KEYS
                           | orjson.OPT_PASSTHROUGH_DATACLASS).decode()
    if len(text) > MAX_VALUE_CHARS:
        text = text[: MAX_VALUE_CHARS - 1] + "…"
    return redact(text)


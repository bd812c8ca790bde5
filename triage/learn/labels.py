"""Confirmed labels: what a person said a failure really was.

A plain file store, ``<data-dir>/labels/labels.jsonl``, one JSON object per
line: build, suite, test, category, note, who, when, plus the failure's
signature and features at the time (so ``triage learn`` need not re-read the
build, and look-alike failures can be matched). A later label for the same
build and test replaces an earlier one; lines are only ever appended.
"""
from __future__ import annotations

import getpass
import json
import os
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from triage.errors import UsageError
from triage.learn.features import FEATURE_VERSION, similarity
from triage.model import Category

LABELS_FILE = Path("labels") / "labels.jsonl"
REQUIRED = ("build", "suite", "test", "category")
CATEGORY_CHOICES = tuple(c.value for c in Category)


class LabelError(UsageError):
    """A label that names an unknown build, test or category (the message lists the choices)."""


@dataclass
class ConfirmedLabel:
    build: str
    suite: str
    test: str
    category: str
    note: str = ""
    who: str = ""
    when: str = ""
    signature: str = ""
    feature_version: int = FEATURE_VERSION
    features: dict[str, Any] = field(default_factory=dict)

    @property
    def key(self) -> tuple[str, str, str]:
        return (self.build, self.suite, self.test)


def labels_path(data_dir: Path) -> Path:
    return Path(data_dir) / LABELS_FILE


def check_category(category: str) -> Category:
    """The Category for ``category``; raises LabelError listing the valid ones."""
    try:
        return Category(category)
    except ValueError:
        raise LabelError(f"unknown category {category!r}; choose one of: {', '.join(CATEGORY_CHOICES)}") from None


def current_user() -> str:
    return os.environ.get("TRIAGE_USER") or _login()


def _login() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "unknown"


def now_iso() -> str:
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def append_label(data_dir: Path, label: ConfirmedLabel) -> Path:
    """Append ``label`` as one line to the store; returns the file."""
    path = labels_path(data_dir)
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "a", encoding="utf-8") as fh:
        fh.write(json.dumps(asdict(label), sort_keys=True, ensure_ascii=False) + "\n")
    return path


def read_labels(data_dir: Path) -> tuple[list[ConfirmedLabel], list[str]]:
    """The confirmed labels (the latest per build and test) and ``file:line: reason``
    for every line that could not be used (nothing is dropped silently)."""
    path = labels_path(data_dir)
    if not path.is_file():
        return [], []
    latest: dict[tuple[str, str, str], ConfirmedLabel] = {}
    problems: list[str] = []
    with open(path, encoding="utf-8", errors="replace") as fh:
        for number, line in enumerate(fh, 1):
            if not line.strip():
                continue
            try:
                label = _parse(json.loads(line))
            except (ValueError, TypeError) as exc:
                problems.append(f"{path}:{number}: label skipped: {exc}")
                continue
            latest[label.key] = label
    return list(latest.values()), problems


def _parse(doc: Any) -> ConfirmedLabel:
    if not isinstance(doc, dict):
        raise ValueError("expected a JSON object")
    missing = [name for name in REQUIRED if not isinstance(doc.get(name), str) or not doc.get(name)]
    if missing:
        raise ValueError(f"missing {', '.join(missing)}")
    if doc["category"] not in CATEGORY_CHOICES:
        raise ValueError(f"unknown category {doc['category']!r}")
    known = {name: doc[name] for name in ConfirmedLabel.__dataclass_fields__ if name in doc}
    if not isinstance(known.get("features", {}), dict):
        raise ValueError("features must be an object")
    return ConfirmedLabel(**known)


# ---------------------------------------------------------------- look-alikes

def look_alikes(features: dict[str, Any], labels: list[ConfirmedLabel],
                threshold: float) -> list[tuple[ConfirmedLabel, float]]:
    """Labels whose failure is at least ``threshold`` similar, most similar first."""
    found = [(label, similarity(features, label.features)) for label in labels
             if label.features and label.feature_version == FEATURE_VERSION]
    return sorted(((l, s) for l, s in found if s >= threshold), key=lambda item: (-item[1], item[0].key))

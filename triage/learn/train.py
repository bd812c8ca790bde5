"""Training data and training: generated incident builds plus confirmed labels.

Generated examples come from ``triage.synth.training`` (seeded builds written to
a temporary folder, then read, correlated and classified by the same pipeline
as ``triage run``), so the repository can always regenerate a model. Confirmed
labels join with ``CONFIRMED_WEIGHT``; a stable hash of each label's key holds
``HELD_OUT_SHARE`` of them out, together with generated builds from another
seed, as the held-out set every model is scored on.
"""
from __future__ import annotations

import hashlib
import json
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from sklearn.metrics import accuracy_score, log_loss

from triage.learn.labels import ConfirmedLabel
from triage.learn.model import FailureClassifier

CONFIRMED_WEIGHT = 3.0
HELD_OUT_SHARE = 0.2
HELD_OUT_SEED_OFFSET = 1000


@dataclass
class Example:
    """One labelled failure: its features, its true category and where it came from."""

    features: dict[str, Any]
    category: str
    origin: str          # generated | confirmed
    key: str             # build::suite::test
    rules_category: str = ""  # what rules alone said (for benchmarks)
    weight: float = 1.0


def generated_examples(count: int, seed: int, mix: dict[str, float] | None = None) -> list[Example]:
    """Examples from ``count`` builds generated with ``seed`` and ``mix``, labelled by the generator."""
    from triage.synth.training import generate_training_builds

    with tempfile.TemporaryDirectory(prefix="triage-train-") as folder:
        builds = generate_training_builds(Path(folder), count, seed, mix)
        return _examples_from(Path(folder), builds)


def _examples_from(data_dir: Path, builds: list) -> list[Example]:
    from triage.api import analyze, load_build
    from triage.baseline import compare_builds
    from triage.classify.rules import load_rules
    from triage.config import resolve
    from triage.learn.assess import Learned

    rules = load_rules(resolve().rules)
    baseline = load_build("1230", data_dir)
    examples = []
    for generated in builds:
        build = load_build(generated.build, data_dir)
        report = analyze(build, rules, baseline=compare_builds(build, baseline), learned=Learned())
        for failure in report.failures:
            key = f"{failure.test.suite}::{failure.test.name}"
            if key in generated.truth:
                examples.append(Example(failure.learned.features, generated.truth[key], "generated",
                                        f"{generated.build}::{key}", failure.category.value))
    return examples


def confirmed_examples(labels: list[ConfirmedLabel]) -> tuple[list[Example], list[Example]]:
    """Confirmed labels as (training, held-out) examples, split by a stable hash of their key."""
    train, held_out = [], []
    for label in labels:
        if not label.features:
            continue
        key = "::".join(label.key)
        example = Example(label.features, label.category, "confirmed", key, weight=CONFIRMED_WEIGHT)
        share = int(hashlib.sha256(key.encode("utf-8")).hexdigest()[:8], 16) / 0xFFFFFFFF
        (held_out if share < HELD_OUT_SHARE else train).append(example)
    return train, held_out


def data_hash(examples: list[Example]) -> str:
    """SHA-256 over the examples' features, categories and weights, in order."""
    digest = hashlib.sha256()
    for example in examples:
        digest.update(json.dumps([example.features, example.category, example.weight],
                                 sort_keys=True, default=str).encode("utf-8"))
    return digest.hexdigest()


def fit(examples: list[Example], seed: int = 0) -> FailureClassifier:
    """A classifier fitted on ``examples`` (weights honoured). Raises ValueError with one category."""
    return FailureClassifier(random_state=seed).fit(
        [e.features for e in examples], [e.category for e in examples], [e.weight for e in examples])


def score(classifier: FailureClassifier, examples: list[Example]) -> dict[str, float]:
    """Accuracy and log loss on ``examples`` (categories the model never saw count as wrong)."""
    if not examples:
        return {"accuracy": 0.0, "log_loss": float("inf"), "examples": 0}
    truth = [e.category for e in examples]
    probabilities = classifier.predict_proba([e.features for e in examples])
    predicted = classifier.classes_[np.argmax(probabilities, axis=1)]
    labels = sorted(set(classifier.classes_) | set(truth))
    wide = np.zeros((len(examples), len(labels)))
    for column, category in enumerate(classifier.classes_):
        wide[:, labels.index(category)] = probabilities[:, column]
    wide = np.clip(wide, 1e-6, 1.0)
    wide /= wide.sum(axis=1, keepdims=True)
    return {"accuracy": round(float(accuracy_score(truth, predicted)), 4),
            "log_loss": round(float(log_loss(truth, wide, labels=labels)), 4),
            "examples": len(examples)}


def better(candidate: dict[str, float], current: dict[str, float]) -> bool:
    """Higher held-out accuracy wins; at equal accuracy, lower log loss."""
    if candidate["accuracy"] != current["accuracy"]:
        return candidate["accuracy"] > current["accuracy"]
    return candidate["log_loss"] < current["log_loss"]

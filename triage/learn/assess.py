"""What the learned side says about one failure, as ``Opinion``s for the combiner.

Two voices: the trained model (a probability per category, scaled by
``MODEL_WEIGHT`` so it supports rules rather than overruling strong ones) and
confirmed labels on look-alike failures (a person's word on a near-identical
failure outweighs a heuristic: a match votes with ``LABEL_FLOOR`` at the
similarity threshold rising to ``LABEL_CONFIDENCE`` for an identical failure).
The model abstains on a failure unlike every one it was trained on
(``FAMILIAR``) rather than guess. ``LearnedView`` is what the report shows.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from triage.classify.combine import Opinion
from triage.learn.labels import ConfirmedLabel, look_alikes, read_labels
from triage.learn.store import StoredModel, load_model, model_path
from triage.model import Category

MODEL_WEIGHT = 0.7
FAMILIAR = 0.7  # below this similarity to every training failure the model abstains
MIN_MODEL_PROBABILITY = 0.05
LOOK_ALIKE_THRESHOLD = 0.9
LABEL_CONFIDENCE = 0.995   # an identical failure
LABEL_FLOOR = 0.9          # a look-alike just at the threshold
MAX_LOOK_ALIKES = 3
TOP_FEATURES = 5


@dataclass
class LearnedView:
    """The model's and the confirmed labels' say on one failure (report field ``model``)."""

    version: int | None = None
    predicted: str | None = None
    familiarity: float | None = None
    model_hash: str = ""
    probabilities: dict[str, float] = field(default_factory=dict)
    top_features: list[tuple[str, float]] = field(default_factory=list)
    confirmed: list[dict[str, Any]] = field(default_factory=list)
    features: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {
            "version": self.version, "hash": self.model_hash[:12], "predicted": self.predicted,
            "familiarity": self.familiarity,
            "probabilities": self.probabilities,
            "top_features": [{"feature": name, "weight": weight} for name, weight in self.top_features],
            "confirmed_look_alikes": self.confirmed,
        }

    def summary(self, category: str) -> str:
        """One sentence on why the learned side backs ``category``."""
        for match in self.confirmed:
            if match["category"] == category:
                note = f" ({match['note']})" if match.get("note") else ""
                return (f"Confirmed as {category} by {match['who'] or 'a person'} on a look-alike failure: "
                        f"{match['suite']} › {match['test']} in build {match['build']} "
                        f"(similarity {match['similarity']:.2f}){note}.")
        if category in self.probabilities and self.version is not None:
            drivers = ", ".join(name for name, _ in self.top_features) or "no single feature"
            return (f"Learned model v{self.version} gives {category} probability "
                    f"{self.probabilities[category]:.2f}, driven by {drivers}.")
        return ""


@dataclass
class Learned:
    """A trained model (or none) and the confirmed labels, ready to assess failures."""

    model: StoredModel | None = None
    labels: list[ConfirmedLabel] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    @classmethod
    def from_data_dir(cls, data_dir: Path) -> "Learned":
        """The model file and label store in ``data_dir`` (either may be absent).

        Raises ModelError for a model file that exists but cannot be used.
        """
        path = model_path(data_dir)
        model = load_model(path) if path.exists() else None
        labels, problems = read_labels(data_dir)
        return cls(model, labels, problems)

    def assess(self, features: dict[str, Any]) -> tuple[list[Opinion], LearnedView]:
        """Opinions for the combiner and the view the report shows."""
        view = LearnedView(features=features)
        opinions: list[Opinion] = []
        if self.model is not None:
            opinions += self._model_opinions(features, view)
        for label, score in look_alikes(features, self.labels, LOOK_ALIKE_THRESHOLD)[:MAX_LOOK_ALIKES]:
            view.confirmed.append({"build": label.build, "suite": label.suite, "test": label.test,
                                   "category": label.category, "similarity": round(score, 3),
                                   "who": label.who, "when": label.when, "note": label.note})
            span = (score - LOOK_ALIKE_THRESHOLD) / (1.0 - LOOK_ALIKE_THRESHOLD)
            opinions.append(Opinion(Category(label.category), LABEL_FLOOR + (LABEL_CONFIDENCE - LABEL_FLOOR) * span,
                                    f"confirmed:{label.build}"))
        return opinions, view

    def _model_opinions(self, features: dict[str, Any], view: LearnedView) -> list[Opinion]:
        classifier = self.model.classifier
        view.version = self.model.info.model_version
        view.model_hash = self.model.info.model_hash
        view.familiarity = round(classifier.familiarity(features), 3)
        if view.familiarity < FAMILIAR:
            return []
        probabilities = classifier.predict_proba([features])[0]
        ranked = sorted(zip(classifier.classes_, probabilities), key=lambda item: (-item[1], item[0]))
        view.predicted = str(ranked[0][0])
        view.probabilities = {str(c): round(float(p), 3) for c, p in ranked if p >= MIN_MODEL_PROBABILITY}
        view.top_features = classifier.top_features(features, str(ranked[0][0]), TOP_FEATURES)
        return [Opinion(Category(str(c)), float(p) * MODEL_WEIGHT, "model")
                for c, p in ranked if p >= MIN_MODEL_PROBABILITY]

"""The learned classifier: feature dicts -> a probability per category.

A scikit-learn estimator (parameters only in ``__init__``, ``fit`` returns
self, learned state in ``trailing_underscore_`` attributes). Inside, one
``Pipeline``: ``DictVectorizer`` over the numeric features beside TF-IDF over
the normalised messages, then a multinomial logistic regression whose
probabilities are calibrated with Platt scaling on stratified folds
(``CalibratedClassifierCV``; skipped when some category has too few examples).
Everything is deterministic: no shuffling, a fixed solver, ``random_state``.
"""
from __future__ import annotations

from typing import Any

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.calibration import CalibratedClassifierCV
from sklearn.feature_extraction import DictVectorizer
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import FeatureUnion, Pipeline
from sklearn.preprocessing import FunctionTransformer
from sklearn.utils.validation import check_is_fitted

import hashlib
import json

from triage.learn.features import numeric_part, similarity, text_part

TOKEN_PATTERN = r"(?u)<[A-Z]+>|[A-Za-z_][A-Za-z0-9_.-]+"


def _numeric(rows: list[dict[str, Any]]) -> list[dict[str, float]]:
    return [numeric_part(row) for row in rows]


def _texts(rows: list[dict[str, Any]]) -> list[str]:
    return [text_part(row) for row in rows]


class FailureClassifier(ClassifierMixin, BaseEstimator):
    """Categories from failure feature dicts (``triage.learn.features.extract``).

    ``C``: inverse regularisation of the logistic regression; ``calibration_folds``:
    folds for Platt scaling; ``random_state``: seed for anything random.
    """

    def __init__(self, C: float = 4.0, calibration_folds: int = 3, random_state: int = 0):
        self.C = C
        self.calibration_folds = calibration_folds
        self.random_state = random_state

    def _features(self) -> FeatureUnion:
        return FeatureUnion([
            ("facts", Pipeline([("select", FunctionTransformer(_numeric)),
                                ("vectorize", DictVectorizer(sort=True))])),
            ("tokens", Pipeline([("select", FunctionTransformer(_texts)),
                                 ("tfidf", TfidfVectorizer(token_pattern=TOKEN_PATTERN, lowercase=False,
                                                           ngram_range=(1, 2), min_df=1, sublinear_tf=True))])),
        ])

    def fit(self, X: list[dict[str, Any]], y: list[str], sample_weight: list[float] | None = None
            ) -> "FailureClassifier":
        """Fit on feature dicts ``X`` and labels ``y``; returns self.

        Raises ValueError with fewer than two distinct labels.
        """
        labels = np.asarray(y, dtype=object)
        classes, counts = np.unique(labels, return_counts=True)
        if len(classes) < 2:
            raise ValueError(f"need examples of at least two categories to learn, got {list(classes)}")
        linear = LogisticRegression(C=self.C, max_iter=2000, random_state=self.random_state)
        folds = min(self.calibration_folds, int(counts.min()))
        model = CalibratedClassifierCV(linear, method="sigmoid", cv=folds, ensemble=False) if folds >= 2 else linear
        self.pipeline_ = Pipeline([("features", self._features()), ("model", model)])
        weights = None if sample_weight is None else np.asarray(sample_weight, dtype=float)
        self.pipeline_.fit(list(X), labels, model__sample_weight=weights)
        self.classes_ = self.pipeline_.classes_
        self.calibrated_ = folds >= 2
        unique = {json.dumps(row, sort_keys=True, default=str): row for row in X}
        self.reference_ = [unique[key] for key in sorted(unique)]
        return self

    def familiarity(self, row: dict[str, Any]) -> float:
        """How close ``row`` is to the nearest training failure (cosine, 0..1): a model
        has nothing to say about failures unlike anything it was trained on."""
        check_is_fitted(self, "reference_")
        return max((similarity(row, seen) for seen in self.reference_), default=0.0)

    def predict_proba(self, X: list[dict[str, Any]]) -> np.ndarray:
        """Rows of probabilities, columns in ``classes_`` order."""
        check_is_fitted(self, "pipeline_")
        return self.pipeline_.predict_proba(list(X))

    def predict(self, X: list[dict[str, Any]]) -> np.ndarray:
        return self.classes_[np.argmax(self.predict_proba(X), axis=1)]

    def _linear(self) -> LogisticRegression:
        model = self.pipeline_.named_steps["model"]
        return model.calibrated_classifiers_[0].estimator if self.calibrated_ else model

    def top_features(self, row: dict[str, Any], category: str, k: int = 5) -> list[tuple[str, float]]:
        """The ``k`` features that pushed ``row`` most towards ``category`` (weight x value),
        strongest first; TF-IDF features are named ``token=...``."""
        check_is_fitted(self, "pipeline_")
        linear = self._linear()
        vector = self.pipeline_.named_steps["features"].transform([row]).tocsr()
        names = self.feature_names()
        position = list(linear.classes_).index(category)
        coef = linear.coef_[position] if linear.coef_.shape[0] > 1 else (
            linear.coef_[0] if position == 1 else -linear.coef_[0])
        contributions = [(names[j], float(coef[j] * value)) for j, value in zip(vector.indices, vector.data)]
        ranked = sorted((c for c in contributions if c[1] > 0), key=lambda c: (-c[1], c[0]))
        return [(name, round(weight, 3)) for name, weight in ranked[:k]]

    def fingerprint(self) -> str:
        """SHA-256 over what was learned (feature names, IDF weights, coefficients,
        calibration): equal for equal models, whatever the process or machine."""
        check_is_fitted(self, "pipeline_")
        digest = hashlib.sha256()
        digest.update(json.dumps([list(map(str, self.classes_)), self.feature_names()]).encode("utf-8"))
        union = self.pipeline_.named_steps["features"]
        arrays = [union.transformer_list[1][1].named_steps["tfidf"].idf_]
        linear = self._linear()
        arrays += [linear.coef_, linear.intercept_]
        if self.calibrated_:
            for calibrator in self.pipeline_.named_steps["model"].calibrated_classifiers_[0].calibrators:
                arrays += [np.asarray([calibrator.a_, calibrator.b_])]
        for array in arrays:
            digest.update(np.ascontiguousarray(array, dtype=np.float64).tobytes())
        return digest.hexdigest()

    def feature_names(self) -> list[str]:
        union = self.pipeline_.named_steps["features"]
        facts = union.transformer_list[0][1].named_steps["vectorize"].get_feature_names_out()
        tokens = union.transformer_list[1][1].named_steps["tfidf"].get_feature_names_out()
        return [*facts, *(f"token={t}" for t in tokens)]

"""Learning from confirmed labels: features, the classifier, its file, labels, training.

``features`` (a correlated failure -> a feature dict), ``model`` (the
scikit-learn estimator), ``store`` (the model file), ``labels`` (the confirmed
label store), ``train`` (generated + confirmed examples, scoring), ``assess``
(the learned opinions the combiner weighs), ``learn`` (what ``triage learn`` does).
"""
from __future__ import annotations

from triage.learn.assess import Learned, LearnedView
from triage.learn.labels import ConfirmedLabel, LabelError
from triage.learn.store import ModelError

__all__ = ["ConfirmedLabel", "LabelError", "Learned", "LearnedView", "ModelError"]

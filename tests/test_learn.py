"""triage.learn: features of known failures, the estimator, the model file, determinism."""
from __future__ import annotations

import numpy as np
import pytest
from sklearn.base import clone
from sklearn.exceptions import NotFittedError

from triage.api import analyze, compare_with_baseline, load_build
from triage.learn import Learned, ModelError
from triage.learn.features import TEXT_KEY
from triage.learn.model import FailureClassifier
from triage.learn.store import load_model, payload_hash, new_info, save_model
from triage.learn.train import data_hash, fit, generated_examples, score


@pytest.fixture(scope="module")
def sample_features():
    build = load_build("1234")
    report = analyze(build, baseline=compare_with_baseline(build), learned=Learned())
    return {f.test.name: f.learned.features for f in report.failures}


@pytest.fixture(scope="module")
def examples():
    return generated_examples(8, seed=3)


def test_features_of_the_auth_failure(sample_features):
    auth = sample_features["pays with saved card"]
    assert auth["rule=auth.jwt-audience"] == 0.93
    assert auth["rule_category=auth"] == 0.93
    assert auth["status=gateway:401"] == 1.0 and auth["status=ingress:401"] == 1.0
    assert auth["link=id-in-output"] == 1.0
    assert auth["passed_on_retry"] == 0.0 and auth["retried"] == 1.0
    assert auth["baseline=new-template"] == 1.0 and auth["drift_present"] == 0.0
    assert "JWT validation failed: audience <*> not allowed (expected <*>)" in auth[TEXT_KEY].splitlines()


def test_features_of_dependency_config_and_flaky_failures(sample_features):
    dependency = sample_features["shows results for boots"]
    assert dependency["upstream=search-backend.vendor.example"] == 1.0
    assert dependency["layer_error=dependency"] == 1.0
    assert dependency["status=dependency:504"] == 1.0
    # the slowest linked request (3004 ms) against the test's 5000 ms expect timeout
    assert dependency["latency_over_timeout"] == pytest.approx(3010 / 5000, abs=0.01)
    config = sample_features["uploads an avatar"]
    assert config["drift_present"] == 1.0 and config["drift=ingress-rule"] == 1.0
    assert config["link=time-window"] == 1.0 and config["status=app:403"] == 1.0
    flaky = sample_features["cart badge updates after add"]
    assert flaky["passed_on_retry"] == 1.0
    assert flaky["failure_type=TimeoutError"] == 1.0
    assert not any(key.startswith("layer_error=") for key in flaky)
    assert flaky[TEXT_KEY] == "TimeoutError: locator.click: Timeout <*> exceeded."


def test_estimator_follows_scikit_learn_conventions(examples):
    model = FailureClassifier(C=2.0, random_state=5)
    assert model.get_params() == {"C": 2.0, "calibration_folds": 3, "random_state": 5}
    assert clone(model).get_params() == model.get_params()
    with pytest.raises(NotFittedError):
        model.predict_proba([examples[0].features])
    X, y = [e.features for e in examples], [e.category for e in examples]
    assert model.fit(X, y) is model
    assert list(model.classes_) == sorted(set(y))
    probabilities = model.predict_proba(X)
    assert probabilities.shape == (len(X), len(set(y)))
    assert np.allclose(probabilities.sum(axis=1), 1.0)
    assert list(model.predict(X)) == y
    with pytest.raises(ValueError, match="at least two categories"):
        FailureClassifier().fit(X[:1], y[:1])


def test_same_seed_gives_the_same_data_model_and_predictions(examples):
    again = generated_examples(8, seed=3)
    assert data_hash(again) == data_hash(examples)
    first, second = fit(examples, seed=0), fit(again, seed=0)
    assert payload_hash(first) == payload_hash(second)
    X = [e.features for e in examples]
    assert np.array_equal(first.predict_proba(X), second.predict_proba(X))
    other = generated_examples(8, seed=4)
    assert data_hash(other) != data_hash(examples)


def test_top_features_name_what_drove_the_prediction(examples, sample_features):
    model = fit(examples)
    drivers = dict(model.top_features(sample_features["shows results for boots"], "dependency", k=10))
    assert drivers and all(weight > 0 for weight in drivers.values())
    assert any(name.startswith(("rule=dependency", "rule_category=dependency", "layer_error=dependency",
                                "status=dependency", "upstream=search-backend"))
               for name in drivers)


def test_model_file_round_trip_and_scores(tmp_path, examples):
    model = fit(examples)
    path = save_model(tmp_path / "m.model", model, new_info(3, data_hash(examples), len(examples), 0,
                                                              score(model, examples), 0))
    stored = load_model(path)
    assert stored.info.model_version == 3
    assert stored.info.model_hash == payload_hash(model)
    assert stored.info.scores["accuracy"] == 1.0
    X = [e.features for e in examples]
    assert np.array_equal(stored.classifier.predict_proba(X), model.predict_proba(X))


@pytest.mark.parametrize("damage, message", [
    (lambda data: b"not a model at all\n", "not a triage model file"),
    (lambda data: data[: len(data) - 40], "damaged or truncated"),
    (lambda data: data.replace(b'"feature_version": 1', b'"feature_version": 99'), "feature version 99"),
    (lambda data: data.replace(b'"format": "triage-model/1"', b'"format": "triage-model/0"'), "file format"),
])
def test_a_corrupt_or_incompatible_model_file_is_a_clear_error(tmp_path, examples, damage, message):
    path = save_model(tmp_path / "m.model", fit(examples), new_info(1, "x", 1, 0, {}, 0))
    path.write_bytes(damage(path.read_bytes()))
    with pytest.raises(ModelError, match=message) as caught:
        load_model(path)
    assert "triage learn" in str(caught.value) and str(path) in str(caught.value)
    assert caught.value.exit_code == 2


def test_the_model_abstains_on_a_failure_unlike_its_training_data(examples):
    from triage.learn.assess import FAMILIAR, Learned as Assessor
    from triage.learn.store import StoredModel

    known = [e for e in examples if e.category != "unknown"]
    model = fit(known)
    build = load_build("1240")
    no_logs = analyze(build, learned=Learned()).failures[0].learned.features
    assert no_logs["no_linked_logs"] == 1.0
    opinions, view = Assessor(StoredModel(model, new_info(2, "", 0, 0, {}, 0))).assess(no_logs)
    assert model.familiarity(no_logs) < FAMILIAR
    assert opinions == [] and view.probabilities == {} and view.version == 2
    familiar = known[0].features
    opinions, view = Assessor(StoredModel(model, new_info(2, "", 0, 0, {}, 0))).assess(familiar)
    assert view.familiarity == 1.0 and view.predicted == known[0].category
    assert opinions[0].category.value == known[0].category and opinions[0].source == "model"


TINY = """
from triage.learn.model import FailureClassifier
rows = [{"rule=auth.rejected": 0.7, "status=gateway:401": 1.0, "text": "JWT validation failed"},
        {"rule=auth.rejected": 0.7, "status=gateway:403": 1.0, "text": "token expired"},
        {"rule=dependency.gateway-5xx": 0.6, "status=gateway:504": 1.0, "text": "upstream timed out"},
        {"rule=dependency.gateway-5xx": 0.6, "status=gateway:502": 1.0, "text": "connection refused"}]
print(FailureClassifier(calibration_folds=2).fit(rows, ["auth", "auth", "dependency", "dependency"]).fingerprint())
"""


def test_the_model_hash_is_the_same_in_another_process():
    import os
    import subprocess
    import sys

    hashes = {subprocess.run([sys.executable, "-c", TINY], capture_output=True, text=True, check=True,
                             env={**os.environ, "PYTHONHASHSEED": seed}).stdout.strip()
              for seed in ("1", "2")}
    assert len(hashes) == 1 and len(hashes.pop()) == 64

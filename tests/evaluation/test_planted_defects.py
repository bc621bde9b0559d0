"""Planted defects the evaluation must catch: a model using a sensitive column, an overconfident model."""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd
import pytest
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.calibration import CalibratedClassifierCV
from sklearn.datasets import make_classification
from sklearn.frozen import FrozenEstimator

from automl.evaluation import EvaluationConfig, evaluate
from automl.models import TabularModel

FAST = EvaluationConfig(
    n_bootstrap=20, importance_repeats=1, noise_levels=(0.1,), importance_max_rows=300, latency_repeats=1, latency_rows=100
)


def _sensitive_data(n: int, seed: int) -> tuple[pd.DataFrame, pd.Series]:
    rng = np.random.default_rng(seed)
    X = pd.DataFrame({"x1": rng.normal(size=n), "x2": rng.normal(size=n), "group": rng.choice(["a", "b"], size=n)})
    logit = 1.5 * X["x1"] + 2.5 * (X["group"] == "a") - 1.2
    y = pd.Series(np.where(rng.random(n) < 1 / (1 + np.exp(-logit)), "yes", "no"), name="label")
    return X, y


def test_invariance_fails_for_a_model_using_the_sensitive_column_and_passes_when_it_is_ignored() -> None:
    X, y = _sensitive_data(800, 0)
    X_test, y_test = _sensitive_data(500, 1)
    uses = TabularModel("logistic_regression", {"max_iter": 300}, task="binary", scale=True, categorical="onehot").fit(X, y)
    ignores = TabularModel("logistic_regression", {"max_iter": 300}, task="binary", scale=True, categorical="onehot").fit(
        X[["x1", "x2"]], y
    )

    flagged = evaluate(uses, X_test, y_test, invariant=["group"], config=FAST)["invariance"]
    clean = evaluate(ignores, X_test, y_test, invariant=["group"], config=FAST)["invariance"]

    assert flagged.status == "fail"
    assert flagged.columns[0].changed_rate > 0.1 and flagged.columns[0].mean_abs_change > 0.1
    assert clean.status == "pass"
    assert clean.columns[0].changed_rate == 0.0 and clean.columns[0].mean_abs_change == 0.0


class Sharpened(ClassifierMixin, BaseEstimator):
    """Overconfident on purpose: probabilities raised to ``power`` and renormalised (same arg-max)."""

    def __init__(self, base: object = None, power: float = 4.0) -> None:
        self.base = base
        self.power = power

    def fit(self, X: object, y: object) -> Sharpened:
        self.classes_ = np.asarray(self.base.classes_)  # type: ignore[attr-defined]
        return self

    def predict_proba(self, X: object) -> np.ndarray:
        p = np.asarray(self.base.predict_proba(X)) ** self.power  # type: ignore[attr-defined]
        return p / p.sum(axis=1, keepdims=True)

    def predict(self, X: object) -> np.ndarray:
        return self.classes_[self.predict_proba(X).argmax(axis=1)]


def _noisy_binary() -> tuple[pd.DataFrame, np.ndarray]:
    X, y = make_classification(n_samples=3000, n_features=6, n_informative=3, flip_y=0.15, class_sep=0.8, random_state=3)
    return pd.DataFrame(X, columns=[f"f{i}" for i in range(6)]), y


def test_an_overconfident_model_has_a_higher_ece_than_the_same_model_recalibrated() -> None:
    X, y = _noisy_binary()
    fit, calib, test = slice(0, 1000), slice(1000, 2000), slice(2000, 3000)
    base = TabularModel("logistic_regression", {"max_iter": 300}, task="binary", scale=True).fit(X[fit], y[fit])
    sharp = Sharpened(base).fit(X[fit], y[fit])

    report = evaluate(sharp, X[test], y[test], config=FAST)
    calibration = report["calibration"]
    assert calibration.status == "fail"
    # the report's own (out-of-fold) recalibration repairs it...
    assert calibration.recalibration is not None and calibration.recalibration.improved
    assert calibration.recalibration.ece < calibration.ece / 2
    # ...and so does recalibrating the same model independently on separate data
    recalibrated = CalibratedClassifierCV(FrozenEstimator(sharp), method="isotonic").fit(X[calib], y[calib])
    fixed = evaluate(recalibrated, X[test], y[test], task="binary", config=FAST)["calibration"]
    assert fixed.ece < calibration.ece / 2
    assert evaluate(base, X[test], y[test], config=FAST)["calibration"].ece < calibration.ece


@pytest.mark.parametrize("method", ["isotonic", "sigmoid"])
def test_recalibration_methods_are_reported(method: str) -> None:
    X, y = _noisy_binary()
    base = TabularModel("logistic_regression", {"max_iter": 300}, task="binary", scale=True).fit(X[:1000], y[:1000])
    config = dataclasses.replace(FAST, recalibration=method)
    effect = evaluate(Sharpened(base).fit(X, y), X[2000:], y[2000:], config=config)["calibration"].recalibration
    assert effect is not None and effect.method == method and effect.improved

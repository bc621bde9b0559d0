"""The promotion gate's statistics: planted improvements, equal models, and each blocking check.

The models here score with known formulas, so the truth is known: a planted
improvement is real, and two models built symmetrically from exchangeable noise
columns are exactly equally good in expectation. That is what lets these tests
measure the gate's error rates rather than trust them.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.base import BaseEstimator, ClassifierMixin

from automl._core import InputError
from automl.registry import GateConfig, compare

from .conftest import fit_model, make_table


class FormulaClassifier(ClassifierMixin, BaseEstimator):
    """P(yes) = sigmoid(sum of weight * column): a fitted classifier whose quality is known by construction."""

    def __init__(self, weights: dict[str, float] | None = None, classes: tuple[str, str] = ("no", "yes")) -> None:
        self.weights = weights
        self.classes = classes
        self.classes_ = np.asarray(classes)

    def fit(self, X: object = None, y: object = None) -> FormulaClassifier:
        return self

    def predict_proba(self, X: pd.DataFrame) -> np.ndarray:
        logit = sum(w * X[c].to_numpy(dtype=float) for c, w in (self.weights or {}).items())
        p = 1.0 / (1.0 + np.exp(-np.asarray(logit, dtype=float)))
        return np.column_stack([1 - p, p])

    def predict(self, X: pd.DataFrame) -> np.ndarray:
        return self.classes_[self.predict_proba(X).argmax(axis=1)]


def world(n: int, seed: int, beta: float = 0.3) -> tuple[pd.DataFrame, pd.Series]:
    """y ~ Bernoulli(sigmoid(x1 + beta * x2)); z1, z2 are noise columns independent of everything."""
    rng = np.random.default_rng(seed)
    X = pd.DataFrame({name: rng.normal(size=n) for name in ("x1", "x2", "z1", "z2")})
    p = 1.0 / (1.0 + np.exp(-(X["x1"] + beta * X["x2"])))
    return X, pd.Series(np.where(rng.random(n) < p, "yes", "no"), name="y")


CHAMPION = FormulaClassifier({"x1": 1.0})
IMPROVED = FormulaClassifier({"x1": 1.0, "x2": 0.3})  # the true model: a small but real improvement


def test_a_planted_small_improvement_is_promoted_with_enough_rows_and_held_with_few() -> None:
    X, y = world(20_000, seed=1)
    big = compare(CHAMPION, IMPROVED, X, y, GateConfig(n_bootstrap=500))
    assert big.verdict == "PROMOTE", big.reasons
    assert big.difference.ci_low is not None and big.difference.ci_low > 0
    small = compare(CHAMPION, IMPROVED, X.iloc[:300], y.iloc[:300], GateConfig(n_bootstrap=500))
    assert small.verdict == "HOLD", small.reasons
    assert small.rows_needed is not None and small.rows_needed > 300


def test_a_margin_larger_than_the_improvement_holds() -> None:
    X, y = world(20_000, seed=2)
    decision = compare(CHAMPION, IMPROVED, X, y, GateConfig(n_bootstrap=300, margin=0.05))
    assert decision.verdict == "HOLD" and decision.rows_needed is None  # more rows would not clear this margin


def test_identical_models_are_never_promoted() -> None:
    verdicts = set()
    for seed in range(200):
        X, y = world(400, seed=seed)
        verdicts.add(compare(IMPROVED, IMPROVED, X, y, GateConfig(n_bootstrap=100, seed=seed)).verdict)
    assert verdicts == {"HOLD"}


def test_false_promotions_between_equally_good_models_stay_below_one_minus_confidence(capsys: pytest.CaptureFixture[str]) -> None:
    """Two different models, equally good by construction (exchangeable noise columns), over 200 holdout draws."""
    champion = FormulaClassifier({"x1": 1.0, "z1": 0.7})
    challenger = FormulaClassifier({"x1": 1.0, "z2": 0.7})
    confidence = 0.95
    promoted = 0
    draws = 200
    for seed in range(draws):
        X, y = world(1000, seed=1000 + seed, beta=0.0)
        decision = compare(champion, challenger, X, y, GateConfig(n_bootstrap=200, confidence=confidence, seed=seed))
        promoted += decision.verdict == "PROMOTE"
    rate = promoted / draws
    with capsys.disabled():
        print(f"\nfalse-promotion rate between equally good models: {promoted}/{draws} = {rate:.3f} (limit {1 - confidence:.2f})")
    assert rate <= 1 - confidence


def test_a_significantly_worse_challenger_is_rejected() -> None:
    X, y = world(5000, seed=3)
    decision = compare(IMPROVED, FormulaClassifier({"x2": 1.0}), X, y, GateConfig(n_bootstrap=300))
    assert decision.verdict == "REJECT"
    assert "significantly worse" in decision.reasons[0]


def test_a_slice_that_regresses_rejects_even_when_the_average_improves() -> None:
    X, y = world(20_000, seed=4)
    X["region"] = np.where(X["z1"] > 0.8, "east", "west")
    east = (X["region"] == "east").to_numpy()
    # better everywhere on average, but useless in the east: a signal that only exists in the west
    X["x1_west"] = np.where(east, 0.0, X["x1"])
    X["x1_east_noise"] = np.where(east, X["z2"], 0.0)
    challenger = FormulaClassifier({"x1_west": 1.2, "x2": 0.3, "x1_east_noise": 1.0})
    decision = compare(CHAMPION, challenger, X, y, GateConfig(n_bootstrap=300, slices=("region",)))
    assert decision.verdict == "REJECT", decision.reasons
    assert any(c.name == "slice region=east" and c.status == "fail" for c in decision.checks)
    assert {s.label for s in decision.slices} == {"east", "west"}


def test_worse_calibration_blocks_or_rejects() -> None:
    X, y = world(20_000, seed=5)
    overconfident = FormulaClassifier({"x1": 3.0, "x2": 0.9})  # the same ranking as the true model, probabilities far too extreme
    decision = compare(CHAMPION, overconfident, X, y, GateConfig(n_bootstrap=300, max_ece_increase=0.02))
    calibration = next(c for c in decision.checks if c.name == "calibration")
    assert calibration.status == "fail" and decision.verdict == "REJECT"
    assert decision.challenger.ece is not None and decision.champion.ece is not None
    assert decision.challenger.ece > decision.champion.ece + 0.02


def test_an_invariance_failure_rejects() -> None:
    X, y = world(3000, seed=6)
    X["gender"] = np.where(X["z1"] > 0, "f", "m")
    X["gender_code"] = 0.0
    uses_gender = _GenderAware({"x1": 1.0, "x2": 0.3})
    decision = compare(CHAMPION, uses_gender, X, y, GateConfig(n_bootstrap=200, invariant=("gender",)))
    assert decision.verdict == "REJECT"
    assert any(c.name == "invariance gender" and c.status == "fail" for c in decision.checks)


class _GenderAware(FormulaClassifier):
    """The improved model plus a push from a sensitive column."""

    def predict_proba(self, X: pd.DataFrame) -> np.ndarray:
        shifted = X.assign(x1=X["x1"] + np.where(X["gender"] == "f", 1.5, -1.5))
        return super().predict_proba(shifted)


def test_real_fitted_models_on_the_same_rows_and_classes() -> None:
    frame = make_table(1200, seed=7)
    train, holdout = frame.iloc[:600], frame.iloc[600:]
    full, weak = fit_model(train), fit_model(train, columns=["e"])
    decision = compare(weak, full, holdout.drop(columns="y"), holdout["y"], GateConfig(n_bootstrap=300, slices=("group",)))
    assert decision.verdict == "PROMOTE", decision.reasons
    assert set(decision.champion.metrics) == {"roc_auc", "accuracy", "log_loss"}


def test_models_with_different_classes_cannot_be_compared() -> None:
    X, y = world(200, seed=8)
    other = FormulaClassifier({"x1": 1.0}, classes=("no", "maybe"))
    with pytest.raises(InputError, match=r"label|classes"):
        compare(CHAMPION, other, X, y)


def test_unknown_slice_columns_and_bad_settings_are_refused() -> None:
    X, y = world(200, seed=9)
    with pytest.raises(InputError, match="slice column\\(s\\) not in the holdout: nope"):
        compare(CHAMPION, IMPROVED, X, y, GateConfig(slices=("nope",)))
    with pytest.raises(InputError, match="confidence"):
        GateConfig(confidence=1.5)


def test_a_sharper_well_calibrated_challenger_is_not_blocked_by_calibration_noise() -> None:
    """Plain ECE is biased upward on few rows, more for spread-out probabilities: the gate corrects for it."""
    for seed in range(20):
        X, y = world(300, seed=200 + seed)  # on these rows plain ECE rises by 0.037 on average, 34 of 40 draws above 0.02
        constant = FormulaClassifier({"x1": 0.0})  # the base rate for every row: one bin, little bias
        decision = compare(constant, IMPROVED, X, y, GateConfig(n_bootstrap=200, seed=seed))
        calibration = next(c for c in decision.checks if c.name == "calibration")
        assert calibration.status == "pass", calibration.detail

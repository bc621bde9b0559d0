"""Every fit and prediction stays inside its deadline: AdaBoost rounds, forecast fits, chunked predictions."""

from __future__ import annotations

import time

import numpy as np
import pandas as pd
import pytest
from sklearn.datasets import make_classification
from sklearn.linear_model import LogisticRegression

from automl._core import Deadline, DeadlineExceeded
from automl.models import TabularModel, fit_budgeted, get_builder, model_size_bytes, predict_budgeted


def _noisy(n_rows: int, n_features: int = 10) -> tuple[np.ndarray, np.ndarray]:
    X, y = make_classification(n_samples=n_rows, n_features=n_features, n_informative=5, flip_y=0.2, random_state=0)
    return X, y


def test_adaboost_stops_between_rounds() -> None:
    """400 rounds of depth-5 trees on 20k rows take many seconds; the deadline stops it at the next round."""
    X, y = _noisy(20_000)
    estimator = get_builder("adaboost")("binary", {"n_estimators": 400, "max_depth": 5}, seed=0, n_jobs=1)
    started = time.perf_counter()
    with pytest.raises(DeadlineExceeded, match=r"AdaBoost stopped after \d+ of 400 rounds"):
        fit_budgeted(estimator, X, y, Deadline.after(0.5))
    assert time.perf_counter() - started < 3.0
    assert not hasattr(estimator, "_deadline")  # nothing of the deadline stays on the model


def test_adaboost_with_time_to_spare_is_the_plain_sklearn_fit() -> None:
    X, y = _noisy(500)
    budgeted = fit_budgeted(get_builder("adaboost")("binary", {"n_estimators": 20}, seed=0, n_jobs=1), X, y, Deadline.after(600))
    from sklearn.ensemble import AdaBoostClassifier
    from sklearn.tree import DecisionTreeClassifier

    plain = AdaBoostClassifier(
        estimator=DecisionTreeClassifier(max_depth=1, random_state=0), n_estimators=20, random_state=0
    ).fit(X, y)
    np.testing.assert_array_equal(budgeted.predict_proba(X), plain.predict_proba(X))


class _FrozenClock:
    """A clock that stands still: the deadline is 'remaining' seconds away during the whole fit."""

    def __init__(self, remaining: float) -> None:
        self.remaining = remaining

    def __call__(self) -> float:
        return 0.0


def test_a_fit_that_cannot_be_interrupted_is_refused_when_its_forecast_overruns() -> None:
    X, y = _noisy(40_000, 50)
    estimator = LogisticRegression(max_iter=500)
    deadline = Deadline(1e-3, _FrozenClock(1e-3))  # a millisecond left, whatever the fit does
    with pytest.raises(DeadlineExceeded, match=r"LogisticRegression fit skipped: it would take about .* s, 0.0 s are left"):
        fit_budgeted(estimator, X, y, deadline)
    assert not hasattr(estimator, "coef_"), "the full fit must not have started"
    fitted = fit_budgeted(LogisticRegression(max_iter=500), X, y, Deadline(600.0, _FrozenClock(600.0)))
    assert fitted.coef_.shape == (1, 50)


def test_forests_grow_from_a_single_tree() -> None:
    """The first chunk is one tree: a deadline shorter than a chunk of trees still stops the fit early."""
    from sklearn.ensemble import RandomForestClassifier

    X, y = _noisy(20_000)
    started = time.perf_counter()
    with pytest.raises(DeadlineExceeded):
        fit_budgeted(RandomForestClassifier(n_estimators=2_000, random_state=0), X, y, Deadline.after(0.3))
    assert time.perf_counter() - started < 3.0


def test_chunked_predictions_equal_one_shot_and_stop_at_the_deadline() -> None:
    X, y = _noisy(9_000)
    frame = pd.DataFrame(X, columns=[f"x{i}" for i in range(X.shape[1])])
    model = TabularModel("knn", {"n_neighbors": 15}, "binary", scale=True).fit(frame, y)
    one_shot = model.predict_proba(frame)
    np.testing.assert_array_equal(predict_budgeted(model.predict_proba, frame, Deadline.after(600)), one_shot)

    class _Step:
        now = 0.0

        def __call__(self) -> float:
            self.now += 1.0
            return self.now

    with pytest.raises(DeadlineExceeded, match="out-of-fold prediction"):
        predict_budgeted(model.predict_proba, frame, Deadline(2.5, _Step()), "out-of-fold prediction")


def test_model_size_is_the_pickled_size_without_copying() -> None:
    import pickle

    from sklearn.ensemble import RandomForestClassifier

    X, y = _noisy(2_000)
    forest = RandomForestClassifier(n_estimators=20, random_state=0).fit(X, y)
    assert abs(model_size_bytes(forest) - len(pickle.dumps(forest, protocol=5))) < 1_000


@pytest.mark.parametrize("deadline", [Deadline.unlimited(), Deadline.after(600)], ids=["unlimited", "limited"])
def test_a_forest_stops_at_the_trees_that_fit_its_memory_budget(monkeypatch, deadline) -> None:
    """A forest whose trees would exceed FOREST_MAX_BYTES ends with fewer trees, says so in its
    n_estimators, and is exactly the forest of that many trees (warm-start growth changes nothing else)."""
    from sklearn.ensemble import ExtraTreesClassifier

    from automl.models import _budget

    X, y = _noisy(3_000)
    one = fit_budgeted(ExtraTreesClassifier(n_estimators=1, random_state=0), X, y, Deadline.unlimited())
    per_tree = model_size_bytes(one)
    monkeypatch.setattr(_budget, "FOREST_MAX_BYTES", 30 * per_tree)
    limited = fit_budgeted(ExtraTreesClassifier(n_estimators=200, random_state=0), X, y, deadline)
    assert _budget.FOREST_MIN_TREES <= len(limited.estimators_) == limited.n_estimators <= 32
    assert model_size_bytes(limited) <= 1.2 * _budget.FOREST_MAX_BYTES
    plain = ExtraTreesClassifier(n_estimators=limited.n_estimators, random_state=0).fit(X, y)
    np.testing.assert_array_equal(limited.predict_proba(X), plain.predict_proba(X))
    small = fit_budgeted(ExtraTreesClassifier(n_estimators=20, random_state=0), X, y, deadline)
    assert len(small.estimators_) == 20, "a forest within the budget keeps every tree"

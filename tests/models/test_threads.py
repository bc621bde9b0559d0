"""A fitted model can be told to predict with more threads than it was fit with."""

from __future__ import annotations

import pickle

import numpy as np
import pandas as pd

from automl.models import TabularModel


def _frame(n: int = 300, seed: int = 0) -> tuple[pd.DataFrame, np.ndarray]:
    rng = np.random.default_rng(seed)
    X = pd.DataFrame({"a": rng.normal(size=n), "b": rng.normal(size=n), "c": rng.choice(["x", "y", "z"], size=n)})
    y = np.where(X["a"] + (X["c"] == "x") > 0.5, "yes", "no")
    return X, y


def test_use_threads_reaches_the_fitted_booster_and_survives_a_round_trip() -> None:
    X, y = _frame()
    model = TabularModel(task="binary", builder="xgboost", params={"n_estimators": 30}, n_jobs=1).fit(X, y)
    before = model.predict_proba(X)
    model.use_threads(-1)
    assert model.n_jobs == -1
    assert model.estimator_.model_.get_params()["n_jobs"] == -1
    np.testing.assert_array_equal(model.predict_proba(X), before)
    loaded = pickle.loads(pickle.dumps(model))
    assert loaded.estimator_.model_.get_params()["n_jobs"] == -1
    np.testing.assert_array_equal(loaded.predict_proba(X), before)


def test_use_threads_sets_n_jobs_of_sklearn_estimators_that_have_it() -> None:
    X, y = _frame()
    knn = TabularModel(task="binary", builder="knn", params={"n_neighbors": 5}, n_jobs=1).fit(X, y)
    assert knn.use_threads(2).estimator_.n_jobs == 2


def test_forests_keep_predicting_bit_for_bit_alike() -> None:
    """A forest's threads sum its trees in the order they finish: its n_jobs is left as it was fit."""
    X, y = _frame(n=2000)
    forest = TabularModel(task="binary", builder="random_forest", params={"n_estimators": 60, "min_samples_leaf": 7}, n_jobs=1)
    before = forest.fit(X, y).predict_proba(X)
    forest.use_threads(-1)
    assert forest.estimator_.n_jobs == 1
    for _ in range(5):
        np.testing.assert_array_equal(forest.predict_proba(X), before)

"""Ensemble members with identically fitted preprocessing transform a table once per predict call."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from automl.ensembles import WeightedAverageEnsemble
from automl.models import TabularModel, shared_preprocessing


def _table(n: int = 120, seed: int = 0) -> tuple[pd.DataFrame, np.ndarray]:
    rng = np.random.default_rng(seed)
    X = pd.DataFrame({"a": rng.normal(size=n), "b": rng.choice(["x", "y", "z"], size=n), "c": rng.normal(size=n)})
    X.loc[::7, "a"] = np.nan
    y = np.where(X["c"] + (X["b"] == "x") > 0.3, "yes", "no")
    return X, y


def test_equal_preprocessing_is_shared_and_nothing_else() -> None:
    X, y = _table()
    hgb = TabularModel("hist_gradient_boosting", {}, task="binary").fit(X, y)
    forest = TabularModel("random_forest", {"n_estimators": 10}, task="binary").fit(X, y)
    scaled = TabularModel("logistic_regression", {}, task="binary", scale=True, categorical="onehot").fit(X, y)
    other_rows = TabularModel("hist_gradient_boosting", {}, task="binary").fit(X.iloc[:100], y[:100])
    test = _table(40, seed=1)[0]
    with shared_preprocessing():
        first = hgb.transform_features(test)
        assert forest.transform_features(test) is first  # same needs, fitted on the same rows
        assert not first.flags.writeable  # a family that wrote into it would corrupt the others' input
        assert scaled.transform_features(test) is not first
        assert other_rows.transform_features(test) is not first
        assert hgb.transform_features(test.copy()) is not first  # another table, even if equal
    assert hgb.transform_features(test) is not first  # nothing outlives the block
    np.testing.assert_array_equal(hgb.transform_features(test), first)


@pytest.mark.parametrize("task", ["binary", "regression"])
def test_an_ensemble_transforms_once_per_preprocessing_and_predicts_the_same(task: str, monkeypatch: pytest.MonkeyPatch) -> None:
    X, labels = _table()
    y = labels if task == "binary" else X["c"].to_numpy() * 3
    linear = "logistic_regression" if task == "binary" else "ridge"
    members = [  # every family predicts from a read-only matrix here
        TabularModel(builder, params, task=task, scale=scale, categorical="onehot" if scale else "ordinal").fit(X, y)
        for builder, params, scale in [
            ("hist_gradient_boosting", {}, False),
            ("random_forest", {"n_estimators": 10}, False),
            ("extra_trees", {"n_estimators": 10}, False),
            ("adaboost", {"n_estimators": 10}, False),
            ("xgboost", {"n_estimators": 10}, False),
            ("knn", {}, True),
            ("mlp", {"max_epochs": 3}, True),
            (linear, {}, True),
        ]
    ]
    weights = np.arange(1.0, len(members) + 1) / np.arange(1.0, len(members) + 1).sum()
    ensemble = WeightedAverageEnsemble(members, weights, task).fit()
    test = _table(40, seed=1)[0]
    alone = [m.predict_proba(test) if task == "binary" else m.predict(test) for m in members]
    expected = sum(w * p for w, p in zip(weights, alone, strict=True))
    transforms: list[str] = []
    transform = TabularModel._transform

    def counted(model: TabularModel, X: object) -> np.ndarray:
        transforms.append(model.builder)
        return transform(model, X)

    monkeypatch.setattr(TabularModel, "_transform", counted)
    got = ensemble.predict_proba(test) if task == "binary" else ensemble.predict(test)
    assert transforms == ["hist_gradient_boosting", "knn"]  # the ordinal group and the scaled one-hot group
    np.testing.assert_allclose(got, expected, rtol=1e-12)

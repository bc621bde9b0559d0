"""Every ensemble round-trips through skops with ENSEMBLE_TRUSTED_TYPES."""

from __future__ import annotations

import importlib

import numpy as np
import pandas as pd
import pytest
import skops.io as sio
from sklearn.datasets import make_classification, make_regression
from sklearn.linear_model import LogisticRegression, Ridge
from sklearn.model_selection import cross_val_predict
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.tree import DecisionTreeClassifier, DecisionTreeRegressor

from automl.ensembles import (
    ENSEMBLE_TRUSTED_TYPES,
    BaggedModel,
    StackedEnsemble,
    WeightedAverageEnsemble,
    fit_stacking,
)
from automl.models import MODEL_TRUSTED_TYPES


def _classification() -> tuple[pd.DataFrame, np.ndarray, list]:
    X, y = make_classification(n_samples=150, n_features=5, n_informative=3, n_classes=3, random_state=0)
    X = pd.DataFrame(X, columns=list("abcde"))
    y = np.array(["x", "y", "z"])[y]
    members = [make_pipeline(StandardScaler(), LogisticRegression(max_iter=500)), DecisionTreeClassifier(max_depth=3)]
    return X, y, members


def _weighted() -> tuple[object, pd.DataFrame]:
    X, y, members = _classification()
    return WeightedAverageEnsemble([m.fit(X, y) for m in members], [0.6, 0.4], "multiclass").fit(), X


def _stacked() -> tuple[object, pd.DataFrame]:
    X, y, members = _classification()
    oof = [cross_val_predict(m, X, y, cv=3, method="predict_proba") for m in members]
    meta = fit_stacking(oof, y, task="multiclass", X=X, passthrough=True)
    return StackedEnsemble([m.fit(X, y) for m in members], meta, "multiclass", passthrough=True).fit(), X


def _stacked_regression() -> tuple[object, pd.DataFrame]:
    X, y = make_regression(n_samples=100, n_features=4, random_state=0)
    members = [Ridge(), DecisionTreeRegressor(max_depth=3)]
    meta = fit_stacking([cross_val_predict(m, X, y, cv=3) for m in members], y, task="regression")
    return StackedEnsemble([m.fit(X, y) for m in members], meta, "regression").fit(), pd.DataFrame(X)


def _bagged() -> tuple[object, pd.DataFrame]:
    X, y, members = _classification()
    return BaggedModel(members[0], n_estimators=3).fit(X, y), X


@pytest.mark.parametrize("build", [_weighted, _stacked, _stacked_regression, _bagged])
def test_skops_round_trip_gives_identical_predictions(build) -> None:
    model, X = build()
    data = sio.dumps(model)
    untrusted = set(sio.get_untrusted_types(data=data))
    assert f"{type(model).__module__}.{type(model).__name__}" in untrusted
    assert untrusted <= set(MODEL_TRUSTED_TYPES + ENSEMBLE_TRUSTED_TYPES)  # members' types come from models
    loaded = sio.loads(data, trusted=MODEL_TRUSTED_TYPES + ENSEMBLE_TRUSTED_TYPES)
    assert type(loaded) is type(model)
    np.testing.assert_array_equal(loaded.predict(X), model.predict(X))
    if hasattr(model, "predict_proba"):
        np.testing.assert_array_equal(loaded.predict_proba(X), model.predict_proba(X))


def test_trusted_type_names_point_at_the_ensemble_classes() -> None:
    classes = {WeightedAverageEnsemble, StackedEnsemble, BaggedModel}
    resolved = set()
    for name in ENSEMBLE_TRUSTED_TYPES:
        module, _, attr = name.rpartition(".")
        resolved.add(getattr(importlib.import_module(module), attr))
    assert resolved == classes

"""The shared conversions: ``as_frame`` (features) and ``sklearn_score`` (estimators' ``score``)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from automl._core import InputError
from automl.data import as_frame, sklearn_score
from automl.ensembles import StackedEnsemble, fit_stacking
from automl.models import TabularModel, XGBoostModel


def test_arrays_get_x_names_and_frames_get_string_names() -> None:
    assert list(as_frame(np.zeros((3, 2))).columns) == ["x0", "x1"]
    assert list(as_frame([[1, "a"]]).columns) == ["x0", "x1"]
    frame = pd.DataFrame({0: [1.0], "b": [2.0]})
    assert list(as_frame(frame).columns) == ["0", "b"]
    with pytest.raises(InputError, match=r"expected a 2-D table of features, got an array of shape \(3,\)"):
        as_frame(np.zeros(3))


def test_sklearn_score_is_accuracy_or_r2() -> None:
    assert sklearn_score("multiclass", ["a", "b", "c", "c"], ["a", "b", "c", "a"]) == 0.75
    assert sklearn_score("regression", [1.0, 2.0, 3.0], [1.0, 2.0, 3.0]) == 1.0
    assert sklearn_score("regression", [1.0, 2.0, 3.0], [2.0, 2.0, 2.0]) == 0.0
    assert sklearn_score("binary", [0, 1], [0, 0], sample_weight=[3, 1]) == 0.75


def test_estimators_name_array_columns_alike_at_fit_and_predict_time() -> None:
    rng = np.random.default_rng(0)
    X, y = rng.normal(size=(60, 3)), rng.normal(size=60)
    model = TabularModel("ridge", {}, task="regression", scale=True).fit(X, y)
    assert list(model.feature_names_in_) == ["x0", "x1", "x2"]
    assert model.score(X, y) == pytest.approx(sklearn_score("regression", y, model.predict(X)))
    members = [model, TabularModel("knn", {}, task="regression").fit(X, y)]
    meta = fit_stacking([m.predict(X) for m in members], y, task="regression", X=X, passthrough=True)
    assert [c for c in meta.feature_names_in_ if not c.startswith("__member")] == ["x0", "x1", "x2"]
    ensemble = StackedEnsemble(members, meta, "regression", passthrough=True).fit()
    assert ensemble.predict(X).shape == (60,)
    boosted = XGBoostModel(task="regression", params={"n_estimators": 5}).fit(X, y)
    assert boosted.score(X, y) == pytest.approx(sklearn_score("regression", y, boosted.predict(X)))

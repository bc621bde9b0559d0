"""Stacking on OOF predictions (automl/ensembles/_stacking.py)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.datasets import make_classification, make_regression
from sklearn.linear_model import LogisticRegression, Ridge
from sklearn.model_selection import cross_val_predict
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.tree import DecisionTreeClassifier, DecisionTreeRegressor

from automl._core import InputError
from automl.ensembles import StackedEnsemble, fit_stacking, select_diverse, stacking_oof_score
from automl.evaluation import get_metric


def _classification(n_classes: int) -> tuple[list, list[np.ndarray], pd.DataFrame, np.ndarray]:
    X, y = make_classification(n_samples=300, n_features=8, n_informative=5, n_classes=n_classes, random_state=0)
    X = pd.DataFrame(X, columns=[f"f{i}" for i in range(8)])
    y = np.array(["ant", "bee", "cat"])[y]  # string labels
    members = [
        make_pipeline(StandardScaler(), LogisticRegression(max_iter=500)),
        DecisionTreeClassifier(max_depth=4, random_state=0),
    ]
    oof = [cross_val_predict(m, X, y, cv=5, method="predict_proba") for m in members]
    return [m.fit(X, y) for m in members], oof, X, y


@pytest.mark.parametrize(("n_classes", "task", "metric"), [(2, "binary", "roc_auc"), (3, "multiclass", "log_loss")])
def test_stacking_classification_end_to_end(n_classes, task, metric) -> None:
    members, oof, X, y = _classification(n_classes)
    meta = fit_stacking(oof, y, task=task)
    n_meta_features = len(members) * (1 if task == "binary" else n_classes)
    assert meta.n_features_in_ == n_meta_features  # one redundant column dropped per binary member
    ens = StackedEnsemble(members, meta, task).fit()
    proba = ens.predict_proba(X)
    assert proba.shape == (len(y), n_classes)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0)
    assert ens.predict(X).shape == (len(y),)
    assert set(ens.predict(X)) <= set(ens.classes_)
    m = get_metric(metric, task)
    score = stacking_oof_score(oof, y, m, task, classes=ens.classes_, seed=0)
    singles = [m.score(y, p, ens.classes_) for p in oof]
    assert np.isfinite(score)
    worst = min(singles) if m.greater_is_better else max(singles)
    assert not m.better(worst, score)


def test_stacking_regression_end_to_end() -> None:
    X, y = make_regression(n_samples=300, n_features=6, noise=10.0, random_state=0)
    members = [Ridge(), DecisionTreeRegressor(max_depth=4, random_state=0)]
    oof = [cross_val_predict(m, X, y, cv=5) for m in members]
    members = [m.fit(X, y) for m in members]
    meta = fit_stacking(oof, y, task="regression")
    ens = StackedEnsemble(members, meta, "regression").fit()
    assert ens.predict(X).shape == (300,)
    assert not hasattr(ens, "predict_proba")
    rmse = get_metric("rmse", "regression")
    score = stacking_oof_score(oof, y, rmse, "regression")
    assert score < rmse.score(y, oof[1])  # beats the tree


def test_stacking_skips_rows_missing_in_any_member() -> None:
    _members, oof, _X, y = _classification(2)
    holdout = [p.copy() for p in oof]
    for p in holdout:
        p[:100] = np.nan
    meta = fit_stacking(holdout, y, task="binary")
    direct = fit_stacking([p[100:] for p in oof], y[100:], task="binary")
    np.testing.assert_allclose(meta.coef_, direct.coef_)
    assert np.isfinite(stacking_oof_score(holdout, y, get_metric("roc_auc", "binary"), "binary"))


def test_passthrough_uses_numeric_columns_of_x_only() -> None:
    members, oof, X, y = _classification(2)
    extra = X["f2"].where(X.index != 3)  # a NaN the meta-learner must impute
    X = X.assign(city=np.where(X["f0"] > 0, "Oslo", "Rome"), flag=X["f1"] > 0, extra=extra)
    meta = fit_stacking(oof, y, task="binary", X=X, passthrough=True)
    assert "city" not in list(meta.feature_names_in_)
    assert {"f0", "flag", "extra"} <= set(meta.feature_names_in_)
    features = [f"f{i}" for i in range(8)]
    members = [
        make_pipeline(_Select(features), m)
        for m in members  # members ignore the extra columns
    ]
    for m in members:
        m.fit(X, y)
    ens = StackedEnsemble(members, meta, "binary", passthrough=True).fit()
    assert ens.predict_proba(X.iloc[::-1]).shape == (300, 2)  # row order and index do not matter
    with pytest.raises(InputError, match="passthrough=False"):
        StackedEnsemble(members, meta, "binary").fit()
    with pytest.raises(InputError, match="needs X"):
        fit_stacking(oof, y, task="binary", passthrough=True)
    score = stacking_oof_score(oof, y, get_metric("roc_auc", "binary"), "binary", X=X, passthrough=True)
    assert 0.5 < score <= 1.0


def test_stacked_ensemble_rejects_a_meta_fitted_on_other_members() -> None:
    members, oof, _, y = _classification(2)
    meta = fit_stacking(oof[:1], y, task="binary")
    with pytest.raises(InputError, match="member columns"):
        StackedEnsemble(members, meta, "binary").fit()


def test_fit_stacking_rejects_a_task_that_does_not_match_the_arrays() -> None:
    _, oof, _, y = _classification(3)
    with pytest.raises(InputError, match="needs \\(n_rows, 2\\)"):
        fit_stacking(oof, y, task="binary")


def test_select_diverse_takes_one_per_family_first_then_fills_by_score() -> None:
    auc = get_metric("roc_auc", "binary")
    scores = [0.90, 0.89, float("nan"), 0.70, 0.88, 0.60]
    families = ["xgb", "xgb", "mlp", "linear", "xgb", "knn"]
    assert select_diverse(scores, families, 3, auc) == [0, 3, 5]
    assert select_diverse(scores, families, 4, auc) == [0, 3, 5, 1]
    assert select_diverse(scores, families, 10, auc) == [0, 3, 5, 1, 4]
    rmse = get_metric("rmse", "regression")
    assert select_diverse([3.0, 1.0, 2.0], ["a", "a", "b"], 2, rmse) == [1, 2]


class _Select:
    """Keep named columns (a stand-in for a model pipeline's own column selection)."""

    def __init__(self, columns: list[str]) -> None:
        self.columns = columns

    def fit(self, X: pd.DataFrame, y: object = None) -> _Select:
        return self

    def transform(self, X: pd.DataFrame) -> pd.DataFrame:
        return X[self.columns]

    def get_params(self, deep: bool = True) -> dict:
        return {"columns": self.columns}

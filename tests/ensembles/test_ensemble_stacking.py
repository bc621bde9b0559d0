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

from automl._core import Deadline, DeadlineExceeded, InputError
from automl.ensembles import (
    StackedEnsemble,
    cross_fitted_selection,
    fit_stacking,
    greedy_selection,
    select_diverse,
    stacking_oof,
    stacking_oof_score,
)
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


@pytest.mark.parametrize(("n_classes", "task"), [(2, "binary"), (3, "multiclass")])
def test_a_trees_meta_learner_with_the_features_blends_with_the_weighted_average(n_classes: int, task: str) -> None:
    members, oof, X, y = _classification(n_classes)
    meta = fit_stacking(oof, y, task=task, X=X, passthrough=True, learner="trees")
    weights = np.array([0.25, 0.75])
    blend = StackedEnsemble(members, meta, task, passthrough=True, weights=weights, meta_share=0.5).fit()
    alone = StackedEnsemble(members, meta, task, passthrough=True).fit()
    average = sum(w * m.predict_proba(X) for w, m in zip(weights, members, strict=True))
    np.testing.assert_allclose(blend.predict_proba(X), 0.5 * alone.predict_proba(X) + 0.5 * average)
    np.testing.assert_allclose(blend.predict_proba(X).sum(axis=1), 1.0)
    assert meta.named_steps["model"].n_jobs == 1  # forest predictions summed in one order: repeatable


def test_a_blend_share_or_weights_out_of_range_are_refused() -> None:
    members, oof, _, y = _classification(2)
    meta = fit_stacking(oof, y, task="binary")
    with pytest.raises(InputError, match="meta_share"):
        StackedEnsemble(members, meta, "binary", meta_share=0.0).fit()
    with pytest.raises(InputError, match="weights"):
        StackedEnsemble(members, meta, "binary", weights=[1.0, -1.0]).fit()
    with pytest.raises(InputError, match="stacking learner 'forest'"):
        fit_stacking(oof, y, task="binary", learner="forest")


def test_stacking_oof_predicts_every_usable_row_once_and_matches_its_score() -> None:
    _, oof, X, y = _classification(3)
    holdout = [p.copy() for p in oof]
    for p in holdout:
        p[:50] = np.nan  # rows no member predicted stay unpredicted
    out = stacking_oof(holdout, y, "multiclass", seed=1, X=X, passthrough=True, learner="trees")
    assert np.isnan(out[:50]).all() and np.isfinite(out[50:]).all()
    m = get_metric("log_loss", "multiclass")
    score = stacking_oof_score(holdout, y, m, "multiclass", seed=1, X=X, passthrough=True, learner="trees")
    assert score == pytest.approx(m.score(y[50:], out[50:], np.unique(y)))


def test_stacking_oof_stops_when_the_next_fold_would_overrun() -> None:
    _, oof, X, y = _classification(2)
    now = [0.0]

    def clock() -> float:
        now[0] += 1.0  # every look at the clock is one second: each fold takes a few
        return now[0]

    with pytest.raises(DeadlineExceeded, match="folds"):
        stacking_oof(oof, y, "binary", X=X, passthrough=True, learner="trees", deadline=Deadline(6.0, clock))


def test_cross_fitted_selection_scores_below_the_selection_on_the_rows_it_chose_on() -> None:
    """The selection's own score is measured where its weights were chosen; the cross-fitted one is not."""
    rng = np.random.default_rng(0)
    y = rng.normal(size=400)
    oof = [y + rng.normal(scale=s, size=400) for s in (0.8, 0.9, 1.0, 1.1)] + [rng.normal(size=400) for _ in range(8)]
    m = get_metric("rmse", "regression")
    own = greedy_selection(oof, y, m).score
    out = cross_fitted_selection(oof, y, m, seed=0)
    assert np.isfinite(out).all()
    assert m.better(own, m.score(y, out))
    np.testing.assert_array_equal(out, cross_fitted_selection(oof, y, m, seed=0))  # deterministic

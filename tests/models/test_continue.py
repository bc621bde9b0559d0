"""Stateful training really continues: the old part of the model is untouched and the model grows."""

from __future__ import annotations

import copy

import numpy as np
import pandas as pd
import pytest
from sklearn.datasets import make_classification, make_regression

from automl._core import InputError
from automl.models import CannotContinue, TabularModel
from automl.spaces import load_spaces

SPACES = load_spaces()


def _model(family: str, task: str, **params: object) -> TabularModel:
    space = SPACES[family]
    merged = {**space.fixed, **space.defaults, **params}
    return TabularModel(space.builder, merged, task, space.preprocessing.scale, space.preprocessing.categorical, random_state=0)


@pytest.fixture
def classification() -> tuple[pd.DataFrame, np.ndarray]:
    X, y = make_classification(n_samples=900, n_features=6, n_informative=4, random_state=0)
    return pd.DataFrame(X, columns=[f"f{i}" for i in range(6)]), y


def test_xgboost_keeps_its_rounds_and_adds_new_ones(classification: tuple[pd.DataFrame, np.ndarray]) -> None:
    X, y = classification
    champion = _model("xgboost", "binary", n_estimators=40).fit(X[:600], y[:600])
    updated = copy.deepcopy(champion)
    detail = updated.continue_fit(X[600:], y[600:], share=0.5)
    assert "20 boosting rounds added (40 -> 60)" in detail
    matrix = champion.transform_features(X)
    first_rounds = updated.estimator_.model_.predict_proba(matrix, iteration_range=(0, 40))
    np.testing.assert_allclose(first_rounds, champion.predict_proba(X), rtol=1e-6)
    assert not np.allclose(updated.predict_proba(X), champion.predict_proba(X))


def test_xgboost_continues_on_rows_missing_a_class(classification: tuple[pd.DataFrame, np.ndarray]) -> None:
    X, y = classification
    champion = _model("xgboost", "binary", n_estimators=20).fit(X, y)
    only_ones = y == 1
    updated = copy.deepcopy(champion)
    updated.continue_fit(X[only_ones][:100], y[only_ones][:100], share=0.1)
    assert updated.estimator_.n_rounds_ == 30 and list(updated.classes_) == [0, 1]


def test_xgboost_with_early_stopping_keeps_its_best_rounds_and_continues(classification: tuple[pd.DataFrame, np.ndarray]) -> None:
    """Early stopping (the family's default) cuts the booster after its best round; continuing adds
    rounds after those, and the first rounds' predictions stay the fitted model's."""
    X, y = classification
    champion = _model("xgboost", "binary", learning_rate=0.3).fit(X[:600], y[:600])
    rounds = champion.estimator_.n_rounds_
    assert 1 <= rounds < SPACES["xgboost"].fixed["n_estimators"]
    updated = copy.deepcopy(champion)
    detail = updated.continue_fit(X[600:], y[600:], share=0.5)
    assert updated.estimator_.n_rounds_ > rounds and f"({rounds} -> {updated.estimator_.n_rounds_})" in detail
    matrix = champion.transform_features(X)
    first_rounds = updated.estimator_.model_.predict_proba(matrix, iteration_range=(0, rounds))
    np.testing.assert_allclose(first_rounds, champion.predict_proba(X), rtol=1e-6)
    assert not np.allclose(updated.predict_proba(X), champion.predict_proba(X))


def test_hist_gradient_boosting_with_early_stopping_grows_on_new_rows(classification: tuple[pd.DataFrame, np.ndarray]) -> None:
    X, y = classification
    champion = _model("hist_gradient_boosting", "binary").fit(X[:600], y[:600])
    before = champion.estimator_.n_iter_
    updated = copy.deepcopy(champion)
    updated.continue_fit(X[600:], y[600:], share=0.5)
    assert updated.estimator_.n_iter_ > before + 1


def test_hist_gradient_boosting_grows_from_its_iterations(classification: tuple[pd.DataFrame, np.ndarray]) -> None:
    X, y = classification
    champion = _model("hist_gradient_boosting", "binary", max_iter=30, early_stopping=False).fit(X[:600], y[:600])
    updated = copy.deepcopy(champion)
    updated.continue_fit(X[600:], y[600:], share=0.5)
    assert updated.estimator_.n_iter_ == 45
    matrix = champion.transform_features(X)
    stages = list(updated.estimator_.staged_predict_proba(matrix))
    np.testing.assert_allclose(stages[29], champion.predict_proba(X))


def test_forests_keep_their_trees_and_add_trees_fitted_on_the_new_rows(classification: tuple[pd.DataFrame, np.ndarray]) -> None:
    X, y = classification
    for family in ("random_forest", "extra_trees"):
        champion = _model(family, "binary", n_estimators=20).fit(X[:600], y[:600])
        updated = copy.deepcopy(champion)
        updated.continue_fit(X[600:], y[600:], share=0.5)
        assert len(updated.estimator_.estimators_) == 30
        matrix = champion.transform_features(X)
        for old, new in zip(champion.estimator_.estimators_, updated.estimator_.estimators_[:20], strict=True):
            np.testing.assert_array_equal(old.predict_proba(matrix), new.predict_proba(matrix))


def test_mlp_fine_tunes_the_same_network(classification: tuple[pd.DataFrame, np.ndarray]) -> None:
    X, y = classification
    champion = _model("mlp", "binary", max_epochs=8).fit(X[:600], y[:600])
    updated = copy.deepcopy(champion)
    detail = updated.continue_fit(X[600:], y[600:], share=0.5)
    epochs = champion.estimator_.n_epochs_
    assert updated.estimator_.n_epochs_ > epochs and "fine-tuning epochs at 0.3x" in detail
    # a fresh fit would restart the curves; a continued network extends them
    assert updated.estimator_.loss_curve_[:epochs] == champion.estimator_.loss_curve_


def test_linear_and_knn_continue(classification: tuple[pd.DataFrame, np.ndarray]) -> None:
    X, y = classification
    logistic = _model("logistic_regression", "binary").fit(X[:600], y[:600])
    updated = copy.deepcopy(logistic)
    assert "current coefficients" in updated.continue_fit(X[600:], y[600:], share=0.5)
    assert not np.allclose(updated.estimator_.coef_, logistic.estimator_.coef_)
    knn = _model("knn", "binary").fit(X[:600], y[:600])
    grown = copy.deepcopy(knn)
    assert "(600 -> 900)" in grown.continue_fit(X[600:], y[600:], share=0.5)
    assert grown.estimator_.n_samples_fit_ == 900


def test_families_that_cannot_continue_say_why() -> None:
    X, y = make_regression(n_samples=200, n_features=4, random_state=0)
    frame = pd.DataFrame(X, columns=list("abcd"))
    ridge = _model("ridge", "regression").fit(frame, y)
    with pytest.raises(CannotContinue, match="closed form"):
        copy.deepcopy(ridge).continue_fit(frame, y, share=0.5)
    adaboost = _model("adaboost", "regression", n_estimators=5).fit(frame, y)
    with pytest.raises(CannotContinue, match="AdaBoost"):
        copy.deepcopy(adaboost).continue_fit(frame, y, share=0.5)


def test_forests_refuse_new_rows_without_every_class(classification: tuple[pd.DataFrame, np.ndarray]) -> None:
    X, y = classification
    forest = _model("random_forest", "binary", n_estimators=10).fit(X, y)
    with pytest.raises(CannotContinue, match="lack class"):
        copy.deepcopy(forest).continue_fit(X[y == 1], y[y == 1], share=0.1)
    with pytest.raises(InputError, match="never saw: 7"):
        copy.deepcopy(forest).continue_fit(X[:10], np.full(10, 7), share=0.1)

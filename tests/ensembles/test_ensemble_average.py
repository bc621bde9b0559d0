"""Weighted average of fitted members (automl/ensembles/_average.py)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.base import is_classifier, is_regressor
from sklearn.datasets import make_classification, make_regression
from sklearn.exceptions import NotFittedError
from sklearn.linear_model import LogisticRegression, Ridge
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.tree import DecisionTreeClassifier, DecisionTreeRegressor

from automl._core import InputError
from automl.ensembles import WeightedAverageEnsemble


@pytest.fixture(scope="module")
def classifiers() -> tuple[list, pd.DataFrame, np.ndarray]:
    X, y = make_classification(n_samples=200, n_features=6, n_informative=4, n_classes=3, random_state=0)
    X = pd.DataFrame(X, columns=[f"f{i}" for i in range(6)])
    members = [
        make_pipeline(StandardScaler(), LogisticRegression(max_iter=500)).fit(X, y),
        DecisionTreeClassifier(max_depth=4, random_state=0).fit(X, y),
        DecisionTreeClassifier(max_depth=2, random_state=0).fit(X, y),
    ]
    return members, X, y


def test_predict_proba_is_the_weighted_average_of_members(classifiers) -> None:
    members, X, _ = classifiers
    ens = WeightedAverageEnsemble(members, [3.0, 1.0, 0.0], "multiclass").fit()
    expected = 0.75 * members[0].predict_proba(X) + 0.25 * members[1].predict_proba(X)
    np.testing.assert_allclose(ens.predict_proba(X), expected)
    np.testing.assert_array_equal(ens.predict(X), ens.classes_[expected.argmax(axis=1)])
    np.testing.assert_array_equal(ens.classes_, members[0].classes_)
    assert is_classifier(ens)


def test_zero_weight_members_are_dropped(classifiers) -> None:
    members, _, _ = classifiers
    ens = WeightedAverageEnsemble(members, [0.0, 2.0, 0.0], "multiclass").fit()
    assert ens.estimators_ == [members[1]]
    assert ens.weights_.tolist() == [1.0]


def test_no_weights_means_the_plain_fold_average(classifiers) -> None:
    members, X, _ = classifiers
    ens = WeightedAverageEnsemble(members, None, "multiclass").fit()
    np.testing.assert_allclose(ens.predict_proba(X), np.mean([m.predict_proba(X) for m in members], axis=0))


def test_regression_predicts_the_weighted_mean() -> None:
    X, y = make_regression(n_samples=100, n_features=4, random_state=0)
    members = [Ridge().fit(X, y), DecisionTreeRegressor(max_depth=3, random_state=0).fit(X, y)]
    ens = WeightedAverageEnsemble(members, [1.0, 1.0], "regression").fit()
    np.testing.assert_allclose(ens.predict(X), (members[0].predict(X) + members[1].predict(X)) / 2)
    assert is_regressor(ens)
    assert not hasattr(ens, "predict_proba")


def test_predict_before_fit_raises(classifiers) -> None:
    members, X, _ = classifiers
    with pytest.raises(NotFittedError):
        WeightedAverageEnsemble(members, None, "multiclass").predict(X)


@pytest.mark.parametrize(
    ("weights", "task", "match"),
    [
        ([1.0, -1.0, 1.0], "multiclass", "non-negative"),
        ([0.0, 0.0, 0.0], "multiclass", "positive sum"),
        ([1.0], "multiclass", "3 finite"),
        (None, "binary", "expects 2 classes"),
        (None, "multi", "did you mean 'multiclass'"),
    ],
)
def test_bad_weights_or_task_are_rejected(classifiers, weights, task, match) -> None:
    members, _, _ = classifiers
    with pytest.raises(InputError, match=match):
        WeightedAverageEnsemble(members, weights, task).fit()


def test_unfitted_or_mismatched_members_are_rejected(classifiers) -> None:
    members, X, y = classifiers
    with pytest.raises(InputError, match=r"member 1 .* is not fitted"):
        WeightedAverageEnsemble([members[0], LogisticRegression()], None, "multiclass").fit()
    other = LogisticRegression(max_iter=500).fit(X, np.where(y == 2, 1, y) + 5)
    with pytest.raises(InputError, match="classes_"):
        WeightedAverageEnsemble([members[0], other], None, "multiclass").fit()

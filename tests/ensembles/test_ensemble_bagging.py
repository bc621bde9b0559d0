"""Bagging on DataFrames (automl/ensembles/_bagging.py)."""

from __future__ import annotations

import itertools

import numpy as np
import pandas as pd
import pytest
from sklearn.base import is_classifier
from sklearn.compose import ColumnTransformer
from sklearn.datasets import make_classification, make_regression
from sklearn.linear_model import LogisticRegression, Ridge
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler
from sklearn.tree import DecisionTreeClassifier

from automl._core import Deadline, DeadlineExceeded, InputError
from automl.ensembles import BaggedModel


def _frame() -> tuple[pd.DataFrame, np.ndarray]:
    X, y = make_classification(n_samples=200, n_features=4, n_informative=3, n_redundant=0, n_classes=3, random_state=0)
    frame = pd.DataFrame(X, columns=["a", "b", "c", "d"], index=np.arange(1000, 1200))
    frame["colour"] = np.where(X[:, 0] > 0, "red", "blue")
    return frame, y


def _by_name_pipeline() -> Pipeline:
    """Selects columns by name, which a numpy-converting bagger would break."""
    prepare = ColumnTransformer([("num", StandardScaler(), ["a", "b", "c", "d"]), ("cat", OneHotEncoder(), ["colour"])])
    return Pipeline([("prepare", prepare), ("model", LogisticRegression(max_iter=500))])


def test_bagged_pipeline_keeps_column_names_and_soft_votes() -> None:
    X, y = _frame()
    bag = BaggedModel(_by_name_pipeline(), n_estimators=4, random_state=0).fit(X, pd.Series(y, index=X.index))
    assert is_classifier(bag)
    proba = bag.predict_proba(X)
    assert proba.shape == (200, 3)
    np.testing.assert_allclose(proba, np.mean([m.predict_proba(X) for m in bag.estimators_], axis=0))
    assert bag.predict(X).shape == (200,)
    np.testing.assert_array_equal(bag.classes_, [0, 1, 2])


def test_every_bootstrap_sample_contains_every_class() -> None:
    X, y = _frame()
    y = np.where(np.arange(200) < 3, 3, y)  # a class with only three rows
    bag = BaggedModel(DecisionTreeClassifier(max_depth=2), n_estimators=10, max_samples=0.3).fit(X[["a", "b"]], y)
    for member in bag.estimators_:
        np.testing.assert_array_equal(member.classes_, [0, 1, 2, 3])


def test_members_get_different_seeds_and_the_bag_is_reproducible() -> None:
    X, y = _frame()
    bag = BaggedModel(DecisionTreeClassifier(max_features=1), n_estimators=3, random_state=7).fit(X[["a", "b"]], y)
    assert len({m.random_state for m in bag.estimators_}) == 3
    again = BaggedModel(DecisionTreeClassifier(max_features=1), n_estimators=3, random_state=7).fit(X[["a", "b"]], y)
    np.testing.assert_array_equal(bag.predict_proba(X[["a", "b"]]), again.predict_proba(X[["a", "b"]]))


def test_regression_averages_member_predictions() -> None:
    X, y = make_regression(n_samples=120, n_features=3, random_state=0)
    bag = BaggedModel(Ridge(), n_estimators=5, max_samples=0.5).fit(X, y)
    assert not hasattr(bag, "predict_proba")
    np.testing.assert_allclose(bag.predict(X), np.mean([m.predict(X) for m in bag.estimators_], axis=0))
    assert bag.predict(X).shape == (120,)


def test_expired_deadline_stops_before_the_first_member() -> None:
    X, y = _frame()
    with pytest.raises(DeadlineExceeded, match="BaggedModel member 1 of 3"):
        BaggedModel(_by_name_pipeline(), n_estimators=3).fit(X, y, deadline=Deadline(end=0.0, clock=lambda: 1.0))


def test_deadline_passing_mid_fit_stops_at_the_next_member() -> None:
    X, y = _frame()
    ticks = itertools.count()  # fake clock: one tick per question
    deadline = Deadline(end=1.5, clock=lambda: float(next(ticks)))  # 0, 1 pass; 2 is late
    with pytest.raises(DeadlineExceeded, match="member 3 of 5"):
        BaggedModel(DecisionTreeClassifier(), n_estimators=5).fit(X[["a"]], y, deadline=deadline)


@pytest.mark.parametrize(
    ("params", "match"),
    [
        ({"n_estimators": 0}, "n_estimators=0"),
        ({"max_samples": 1.5}, "max_samples=1.5"),
        ({"max_samples": 0}, "max_samples=0"),
    ],
)
def test_bad_parameters_are_rejected_in_fit(params, match) -> None:
    X, y = _frame()
    bag = BaggedModel(DecisionTreeClassifier(), **params)  # __init__ only stores
    with pytest.raises(InputError, match=match):
        bag.fit(X[["a"]], y)


def test_a_member_that_takes_a_deadline_stops_inside_its_own_fit() -> None:
    """Checked only between copies, one slow member (400 AdaBoost rounds on 20k rows) would run to its end."""
    import time

    import pandas as pd
    from sklearn.datasets import make_classification

    from automl._core import Deadline, DeadlineExceeded
    from automl.models import TabularModel

    X, y = make_classification(n_samples=20_000, n_features=10, n_informative=5, flip_y=0.2, random_state=0)
    member = TabularModel("adaboost", {"n_estimators": 400, "max_depth": 5}, "binary")
    started = time.perf_counter()
    with pytest.raises(DeadlineExceeded, match="AdaBoost stopped"):
        BaggedModel(member, n_estimators=3).fit(pd.DataFrame(X), y, deadline=Deadline.after(0.5))
    assert time.perf_counter() - started < 3.0

"""Tree ensembles from scikit-learn: random forest, extra trees, HistGradientBoosting, AdaBoost."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sklearn.ensemble import (
    AdaBoostClassifier,
    AdaBoostRegressor,
    ExtraTreesClassifier,
    ExtraTreesRegressor,
    HistGradientBoostingClassifier,
    HistGradientBoostingRegressor,
    RandomForestClassifier,
    RandomForestRegressor,
)
from sklearn.tree import DecisionTreeClassifier, DecisionTreeRegressor

from automl._core import Deadline, DeadlineExceeded
from automl.data import Task
from automl.models._builders import register_builder


def _pick(task: Task, classifier: type, regressor: type) -> type:
    return regressor if task == "regression" else classifier


@register_builder("random_forest")
def build_random_forest(task: Task, params: Mapping[str, Any], *, seed: int, n_jobs: int) -> Any:
    cls = _pick(task, RandomForestClassifier, RandomForestRegressor)
    return cls(**params, random_state=seed, n_jobs=n_jobs)


@register_builder("extra_trees")
def build_extra_trees(task: Task, params: Mapping[str, Any], *, seed: int, n_jobs: int) -> Any:
    cls = _pick(task, ExtraTreesClassifier, ExtraTreesRegressor)
    return cls(**params, random_state=seed, n_jobs=n_jobs)


@register_builder("hist_gradient_boosting")
def build_hist_gradient_boosting(task: Task, params: Mapping[str, Any], *, seed: int, n_jobs: int) -> Any:
    cls = _pick(task, HistGradientBoostingClassifier, HistGradientBoostingRegressor)
    return cls(**params, random_state=seed)


class _BoostingDeadline:
    """Checks a deadline before each boosting round: sklearn's AdaBoost has no callback, and a
    fit of hundreds of rounds on tens of thousands of rows takes tens of seconds in one call."""

    n_estimators: int  # set by the AdaBoost class this is mixed into

    def fit(self, X: Any, y: Any, sample_weight: Any = None, deadline: Deadline | None = None) -> Any:
        self._deadline = deadline
        try:
            # A mixin: super() is the AdaBoost class it is mixed into, which mypy cannot see.
            return super().fit(X, y, sample_weight)  # type: ignore[misc]
        finally:
            del self._deadline

    def _boost(self, iboost: int, X: Any, y: Any, sample_weight: Any, random_state: Any) -> Any:
        deadline = getattr(self, "_deadline", None)
        if deadline is not None and deadline.expired():
            raise DeadlineExceeded(f"AdaBoost stopped after {iboost} of {self.n_estimators} rounds: the time budget ran out")
        # As in fit: super() is the AdaBoost class this is mixed into.
        return super()._boost(iboost, X, y, sample_weight, random_state)  # type: ignore[misc]


class BudgetedAdaBoostClassifier(_BoostingDeadline, AdaBoostClassifier):  # type: ignore[misc]  # sklearn has no type hints
    """``AdaBoostClassifier`` whose ``fit`` takes a ``deadline``, checked between rounds."""


class BudgetedAdaBoostRegressor(_BoostingDeadline, AdaBoostRegressor):  # type: ignore[misc]  # sklearn has no type hints
    """``AdaBoostRegressor`` whose ``fit`` takes a ``deadline``, checked between rounds."""


@register_builder("adaboost")
def build_adaboost(task: Task, params: Mapping[str, Any], *, seed: int, n_jobs: int) -> Any:
    kwargs = dict(params)
    depth = kwargs.pop("max_depth", 1)
    tree = _pick(task, DecisionTreeClassifier, DecisionTreeRegressor)(max_depth=depth, random_state=seed)
    return _pick(task, BudgetedAdaBoostClassifier, BudgetedAdaBoostRegressor)(estimator=tree, **kwargs, random_state=seed)

"""Stateful training: continue a fitted family's estimator on new rows instead of starting over.

Each family continues through its library's own mechanism: XGBoost adds boosting
rounds to its booster, HistGradientBoosting and the forests grow with
``warm_start``, logistic regression and elastic net start their solver from the
current coefficients, k-NN appends the rows to its memory and the MLP fine-tunes
its weights with a lower learning rate. How much is added is sized by the share of
new rows (``share`` = new rows / rows already seen). Families without such a
mechanism raise :class:`CannotContinue`, so the caller can retrain from scratch and
say so in the lineage.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np
from sklearn.ensemble import (
    ExtraTreesClassifier,
    ExtraTreesRegressor,
    HistGradientBoostingClassifier,
    HistGradientBoostingRegressor,
    RandomForestClassifier,
    RandomForestRegressor,
)
from sklearn.linear_model import ElasticNet, LogisticRegression
from sklearn.neighbors import KNeighborsClassifier, KNeighborsRegressor

from automl._core import AutomlError, Deadline

Continuation = Callable[[Any, np.ndarray, np.ndarray, float, Deadline], str]

# Fine-tuning uses this share of the learning rate the network was trained with.
FINE_TUNE_LR_SHARE = 0.3
_MIN_ROUNDS, _MIN_TREES = 10, 10
_MIN_EPOCHS, _MAX_EPOCHS = 2, 10


class CannotContinue(AutomlError, TypeError):
    """The model cannot keep training from its current state; the message says why."""


def added_units(total: int, share: float, minimum: int) -> int:
    """Units (rounds, trees) to add for ``share`` new rows: proportional, at least ``minimum``, at most ``total``."""
    return int(min(max(math.ceil(total * share), minimum), max(total, minimum)))


def _boost_xgboost(estimator: Any, X: np.ndarray, y: np.ndarray, share: float, deadline: Deadline) -> str:
    before = estimator.n_rounds_
    rounds = added_units(before, share, _MIN_ROUNDS)
    estimator.continue_boosting(X, y, rounds, deadline)
    return f"{rounds} boosting rounds added ({before} -> {estimator.n_rounds_})"


def _warm_grow(
    estimator: Any, X: np.ndarray, y: np.ndarray, size_param: str, before: int, add: int, deadline: Deadline, **during: Any
) -> None:
    """Grow a ``warm_start`` ensemble from ``before`` to ``before + add`` units fitted on (X, y);
    ``during`` holds parameters set for this growth only (restored afterwards)."""
    saved = {name: estimator.get_params()[name] for name in during}
    estimator.set_params(warm_start=True, **during, **{size_param: before + add})
    try:
        estimator.fit(X, y)
    finally:
        estimator.set_params(warm_start=False, **saved)
    deadline.check("stateful update")


def _grow_hgb(estimator: Any, X: np.ndarray, y: np.ndarray, share: float, deadline: Deadline) -> str:
    before = int(estimator.n_iter_)
    # The added iterations are the update: early stopping (its validation history is the old rows')
    # would end them at once.
    _warm_grow(estimator, X, y, "max_iter", before, added_units(before, share, _MIN_ROUNDS), deadline, early_stopping=False)
    return f"{estimator.n_iter_ - before} boosting iterations added ({before} -> {estimator.n_iter_})"


def _grow_forest(estimator: Any, X: np.ndarray, y: np.ndarray, share: float, deadline: Deadline) -> str:
    before = len(estimator.estimators_)
    _warm_grow(estimator, X, y, "n_estimators", before, added_units(before, share, _MIN_TREES), deadline)
    return f"{len(estimator.estimators_) - before} trees fitted on the new rows added ({before} -> {len(estimator.estimators_)})"


def _warm_solver(estimator: Any, X: np.ndarray, y: np.ndarray, share: float, deadline: Deadline) -> str:
    estimator.set_params(warm_start=True)
    try:
        estimator.fit(X, y)
    finally:
        estimator.set_params(warm_start=False)
    deadline.check("stateful update")
    return "solver restarted from the current coefficients on the new rows"


def _append_neighbours(estimator: Any, X: np.ndarray, y: np.ndarray, share: float, deadline: Deadline) -> str:
    # sklearn keeps the training rows as _fit_X / _y (encoded class indices for classifiers): the model's memory
    memory, labels = estimator._fit_X, estimator._y
    if hasattr(estimator, "classes_"):
        labels = np.asarray(estimator.classes_)[labels]
    estimator.fit(np.vstack([memory, X]), np.concatenate([labels, y]))
    return f"{len(X)} rows appended to the neighbour memory ({len(memory)} -> {len(memory) + len(X)})"


def _fine_tune(estimator: Any, X: np.ndarray, y: np.ndarray, share: float, deadline: Deadline) -> str:
    epochs = int(min(max(round(estimator.n_epochs_ * 0.25), _MIN_EPOCHS), _MAX_EPOCHS))
    before = estimator.n_epochs_
    estimator.fine_tune(X, y, epochs=epochs, learning_rate=estimator.learning_rate * FINE_TUNE_LR_SHARE, deadline=deadline)
    return f"{epochs} fine-tuning epochs at {FINE_TUNE_LR_SHARE:g}x the learning rate ({before} -> {estimator.n_epochs_})"


_BY_CLASS_NAME: dict[str, Continuation] = {
    "XGBoostModel": _boost_xgboost,
    "MLPClassifier": _fine_tune,
    "MLPRegressor": _fine_tune,
}
_BY_CLASS: dict[type, Continuation] = {
    HistGradientBoostingClassifier: _grow_hgb,
    HistGradientBoostingRegressor: _grow_hgb,
    RandomForestClassifier: _grow_forest,
    RandomForestRegressor: _grow_forest,
    ExtraTreesClassifier: _grow_forest,
    ExtraTreesRegressor: _grow_forest,
    LogisticRegression: _warm_solver,
    ElasticNet: _warm_solver,
    KNeighborsClassifier: _append_neighbours,
    KNeighborsRegressor: _append_neighbours,
}
_WHY_NOT = {
    "Ridge": "ridge regression is solved in closed form: there is no state to continue from",
    "AdaBoostClassifier": "AdaBoost reweights its own training rows and cannot add rounds on new data",
    "AdaBoostRegressor": "AdaBoost reweights its own training rows and cannot add rounds on new data",
}


def continuation_for(estimator: Any) -> Continuation:
    """The continuation of ``estimator``'s family (MLP and XGBoost by name: torch is imported lazily)."""
    step = _BY_CLASS.get(type(estimator)) or _BY_CLASS_NAME.get(type(estimator).__name__)
    if step is None:
        name = type(estimator).__name__
        raise CannotContinue(_WHY_NOT.get(name, f"{name} has no way to continue training"))
    return step

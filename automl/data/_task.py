"""Task inference and target checks."""

from __future__ import annotations

from typing import Any, Literal

import numpy as np
import pandas as pd
from sklearn.metrics import accuracy_score, r2_score

from automl._core import InputError, quote

Task = Literal["binary", "multiclass", "regression"]
TASKS: tuple[Task, ...] = ("binary", "multiclass", "regression")

# An integer-valued target with at most this many distinct values is read as classes.
_MAX_INTEGER_CLASSES = 20


def infer_task(y: pd.Series) -> Task:
    """Guess the task from the target's values.

    Strings, booleans and categories are classes; numbers are classes only when
    they are integer-valued with few distinct values (PMLB-style coded labels),
    otherwise regression. ``--task`` overrides the guess.
    """
    values = y.dropna()
    n_unique = values.nunique()
    if n_unique <= 2 and n_unique > 0:
        return "binary"
    if not pd.api.types.is_numeric_dtype(values) or pd.api.types.is_bool_dtype(values):
        return "multiclass"
    as_float = values.to_numpy(dtype=float)
    integer_valued = bool(np.all(np.isfinite(as_float)) and np.all(np.mod(as_float, 1) == 0))
    if integer_valued and n_unique <= _MAX_INTEGER_CLASSES and n_unique < 0.5 * len(values):
        return "multiclass"
    return "regression"


def as_task(name: str) -> Task:
    """``name`` as a :data:`Task`; an error naming the choices otherwise."""
    for task in TASKS:
        if name == task:
            return task
    raise InputError(f"unknown task {quote(name)}; use auto, {', '.join(TASKS)}")


def check_target(y: pd.Series, task: Task, source: str) -> None:
    """Reject targets no model can learn from, naming the column and the bad value."""
    as_task(task)
    name = y.name
    missing = y.isna().to_numpy()
    if missing.any():
        first = int(np.flatnonzero(missing)[0])
        raise InputError(
            f"{source}: target {quote(name)} has {int(missing.sum())} missing (NaN) value(s), first at row {first}; "
            "drop or fill those rows"
        )
    if task == "regression":
        if not pd.api.types.is_numeric_dtype(y):
            raise InputError(f"{source}: target {quote(name)} is not numeric, so it cannot be a regression target")
        finite = np.isfinite(y.to_numpy(dtype=float))
        if not finite.all():
            first = int(np.flatnonzero(~finite)[0])
            raise InputError(f"{source}: target {quote(name)} has an infinite value at row {first}: {quote(y.iloc[first])}")
        return
    if pd.api.types.is_float_dtype(y) and not np.isfinite(y.to_numpy(dtype=float)).all():
        first = int(np.flatnonzero(~np.isfinite(y.to_numpy(dtype=float)))[0])
        raise InputError(f"{source}: target {quote(name)} has an infinite value at row {first}")
    n_classes = y.nunique()
    if n_classes < 2:
        raise InputError(
            f"{source}: target {quote(name)} has a single class ({quote(y.iloc[0])}); classification needs at least two"
        )
    if task == "binary" and n_classes > 2:
        raise InputError(f"{source}: target {quote(name)} has {n_classes} classes, so the task cannot be binary")


def sklearn_score(task: Task, y_true: Any, y_pred: Any, sample_weight: Any = None) -> float:
    """What an estimator's ``score`` returns by scikit-learn's convention: accuracy for
    classification, R^2 for regression (``cross_val_score`` and ``GridSearchCV`` rely on it).

    Example:
        >>> sklearn_score("binary", ["a", "b"], ["a", "a"])
        0.5
    """
    scorer = r2_score if task == "regression" else accuracy_score
    return float(scorer(y_true, y_pred, sample_weight=sample_weight))

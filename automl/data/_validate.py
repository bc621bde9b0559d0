"""Checks that tie the data to the resampling plan."""

from __future__ import annotations

import pandas as pd

from automl._core import InputError, quote
from automl.data._task import Task


def check_enough_rows(y: pd.Series, task: Task, n_folds: int, source: str) -> None:
    """Raise when ``n_folds``-fold CV cannot be run on ``y`` (per class for classification)."""
    if len(y) < n_folds:
        raise InputError(f"{source}: {len(y)} rows are too few for {n_folds}-fold cross-validation (need >= {n_folds})")
    if task == "regression":
        return
    counts = y.value_counts()
    rare = counts[counts < n_folds].sort_values(kind="stable")
    if not rare.empty:
        label, count = rare.index[0], int(rare.iloc[0])
        raise InputError(
            f"{source}: class {quote(label)} of target {quote(y.name)} has {count} row(s); stratified {n_folds}-fold CV "
            f"needs at least {n_folds} per class (add rows, drop the class, or lower --cv-folds)"
        )

"""How candidates are scored: k-fold CV on small data, one holdout split on large data."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from sklearn.model_selection import KFold, ShuffleSplit, StratifiedKFold, StratifiedShuffleSplit

from automl.data import Task, check_enough_rows

# From this many rows on, one 80/20 holdout split replaces k-fold CV: k fits of a
# large table would leave too few trials in a typical budget.
HOLDOUT_MIN_ROWS = 30_000
HOLDOUT_FRACTION = 0.2


@dataclass(frozen=True)
class Resampling:
    """Train/validation index pairs. ``kind`` is ``"cv"`` or ``"holdout"``."""

    kind: str
    splits: tuple[tuple[np.ndarray, np.ndarray], ...]
    n_rows: int

    @property
    def n_splits(self) -> int:
        return len(self.splits)

    @property
    def scored_rows(self) -> np.ndarray:
        """Rows that get an out-of-fold prediction (all rows for CV)."""
        return np.sort(np.concatenate([valid for _, valid in self.splits]))

    @property
    def train_fraction(self) -> float:
        """Share of rows a fold model is trained on (to estimate a full refit's cost)."""
        return float(np.mean([len(train) for train, _ in self.splits])) / self.n_rows

    def describe(self) -> str:
        return f"{self.n_splits}-fold CV" if self.kind == "cv" else f"holdout ({len(self.splits[0][1])} rows)"


def make_resampling(y: pd.Series, task: Task, *, n_folds: int, seed: int, source: str) -> Resampling:
    """Stratified for classification; holdout from ``HOLDOUT_MIN_ROWS`` rows on."""
    stratified = task != "regression"
    n = len(y)
    if n >= HOLDOUT_MIN_ROWS:
        splitter: object = (StratifiedShuffleSplit if stratified else ShuffleSplit)(
            n_splits=1, test_size=HOLDOUT_FRACTION, random_state=seed
        )
        kind = "holdout"
        check_enough_rows(y, task, 2, source)
    else:
        check_enough_rows(y, task, n_folds, source)
        splitter = (StratifiedKFold if stratified else KFold)(n_splits=n_folds, shuffle=True, random_state=seed)
        kind = "cv"
    labels = y.to_numpy()
    splits = tuple((train, valid) for train, valid in splitter.split(np.zeros(n), labels))  # type: ignore[attr-defined]
    return Resampling(kind=kind, splits=splits, n_rows=n)

"""How candidates are scored: k-fold CV, one holdout split on large data, forward-chaining splits in time.

The plan adapts to the table instead of refusing it, and says what it did (``notes``):
- folds by rows: 5 on small tables, 3 on mid-sized ones (each fold is a full fit), one
  holdout split from ``HOLDOUT_MIN_ROWS`` rows on; fewer folds when there are fewer rows;
  a longer time budget moves these thresholds up (:func:`row_scale`);
- by the rarest class: a class with a single row is trained on in every split and never
  validated (a model that never saw a class cannot be scored on it, and the final model
  must learn it); with classes smaller than the fold count, the count drops to the largest
  class so that every class keeps a row in every training part;
- by time (``order``, from ``--time-col``): validation rows always come after the rows
  trained on, so a score never rests on knowing the future.

The plan depends on the data and the study's settings only (the time budget it counts is
the one the study was created with, which the study records): every worker of a study must
compute the very same splits.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass

import numpy as np
import pandas as pd
from sklearn.model_selection import KFold, ShuffleSplit, StratifiedKFold, StratifiedShuffleSplit

from automl._core import InputError
from automl.data import Task

# From this many rows on, one 80/20 holdout split replaces k-fold CV: k fits of a
# large table would leave too few trials in a typical budget.
HOLDOUT_MIN_ROWS = 30_000
HOLDOUT_FRACTION = 0.2
DEFAULT_FOLDS = 5
# From this many rows on (below the holdout), 3 folds: each fold fits on two thirds of a
# table that is already large enough for a stable score, and a trial costs 3 fits, not 5.
FEWER_FOLDS_MIN_ROWS = 10_000
FEWER_FOLDS = 3
# The row thresholds above are sized for a search of this many seconds. A longer budget
# affords finer resampling on larger tables; see row_scale.
REFERENCE_BUDGET = 60.0


@dataclass(frozen=True)
class Resampling:
    """Train/validation index pairs. ``kind`` is ``"cv"``, ``"holdout"`` or ``"time"``; ``notes`` say
    how the plan was adapted to the data (shown with the leaderboard and on the model card)."""

    kind: str
    splits: tuple[tuple[np.ndarray, np.ndarray], ...]
    n_rows: int
    notes: tuple[str, ...] = ()

    @property
    def n_splits(self) -> int:
        return len(self.splits)

    @property
    def scored_rows(self) -> np.ndarray:
        """Rows that get an out-of-fold prediction (all rows for plain CV)."""
        return np.unique(np.concatenate([valid for _, valid in self.splits]))

    @property
    def train_fraction(self) -> float:
        """Share of rows a fold model is trained on (to estimate a full refit's cost)."""
        return float(np.mean([len(train) for train, _ in self.splits])) / self.n_rows

    def describe(self) -> str:
        if self.kind == "cv":
            text = f"{self.n_splits}-fold CV"
        elif self.kind == "holdout":
            text = f"holdout ({len(self.splits[0][1])} rows)"
        else:
            text = f"time-ordered, {self.n_splits} forward split{'s' if self.n_splits > 1 else ''}"
        return text + "".join(f"; {note}" for note in self.notes)


def row_scale(time_budget: float | None) -> float:
    """How much the row thresholds grow with the time budget: by its square root beyond ``REFERENCE_BUDGET``.

    A trial's cost grows with rows times folds. Growing the thresholds with the square root
    (not linearly) spends part of a longer budget on finer resampling (more rows validated,
    fold models trained on more rows, a steadier score to select and blend on) and part on
    more trials. Budgets up to the reference, and searches bounded by trials alone, keep the
    thresholds as they are.
    """
    return 1.0 if time_budget is None else max(1.0, math.sqrt(time_budget / REFERENCE_BUDGET))


def auto_folds(n_rows: int, time_budget: float | None = None) -> int:
    """The fold count for a table of ``n_rows`` when the user gave none."""
    return FEWER_FOLDS if n_rows >= FEWER_FOLDS_MIN_ROWS * row_scale(time_budget) else DEFAULT_FOLDS


def _holdout_wanted(n_rows: int, time_budget: float | None) -> bool:
    return n_rows >= HOLDOUT_MIN_ROWS * row_scale(time_budget)


def make_resampling(
    y: pd.Series,
    task: Task,
    *,
    n_folds: int | None,
    seed: int,
    source: str,
    order: np.ndarray | None = None,
    time_col: str | None = None,
    time_budget: float | None = None,
) -> Resampling:
    """The splits for ``y``: stratified for classification, adapted to rows and rare classes.

    ``n_folds=None`` picks the count from the rows and ``time_budget`` (:func:`auto_folds`;
    the budget also decides from how many rows a holdout replaces the folds). ``order`` (row
    positions from oldest to newest, see ``automl.data.time_order``) makes the splits
    forward in time; ``time_col`` names it in the notes.

    Raises:
        InputError: fewer than two rows, or no class with two rows to validate on.
    """
    n = len(y)
    if n < 2:
        raise InputError(f"{source}: {n} row(s); at least 2 are needed to train and validate a model")
    labels = y.to_numpy()
    notes: list[str] = []
    always_train = _single_row_classes(labels, task, notes) if task != "regression" else np.empty(0, dtype=int)
    rows = np.setdiff1d(np.arange(n), always_train)
    if len(rows) < 2:
        raise InputError(f"{source}: every class of target '{y.name}' has a single row; nothing is left to validate a model on")
    if order is not None:
        kind, parts = "time", _time_splits(order[np.isin(order, rows)], n_folds, n, time_budget, time_col, notes)
    elif _holdout_wanted(n, time_budget):
        kind, parts = "holdout", _holdout(rows, labels, task, seed)
    else:
        kind, parts = "cv", _folds(rows, labels, task, n_folds or auto_folds(n, time_budget), seed, notes)
    splits = tuple(
        (np.sort(np.concatenate([train, always_train])).astype(np.int64), np.sort(valid).astype(np.int64))
        for train, valid in parts
    )
    return Resampling(kind=kind, splits=splits, n_rows=n, notes=tuple(notes))


def _single_row_classes(labels: np.ndarray, task: Task, notes: list[str]) -> np.ndarray:
    """Rows of classes seen once: trained on in every split, never validated."""
    values, first, counts = np.unique(labels, return_index=True, return_counts=True)
    single = values[counts == 1]
    if len(single) == 0:
        return np.empty(0, dtype=int)
    shown = ", ".join(_label(v) for v in single[:3]) + (f" and {len(single) - 3} more" if len(single) > 3 else "")
    notes.append(f"class{'es' if len(single) > 1 else ''} {shown} with a single row: trained on in every split, never validated")
    return np.sort(first[counts == 1])


def _label(value: object) -> str:
    """A class label as a user wrote it (``9``, not ``np.int64(9)``)."""
    return repr(value.item() if isinstance(value, np.generic) else value)


def _folds(
    rows: np.ndarray, labels: np.ndarray, task: Task, wanted: int, seed: int, notes: list[str]
) -> list[tuple[np.ndarray, np.ndarray]]:
    k = min(wanted, len(rows))
    reason = f"only {len(rows)} rows to validate on" if k < wanted else ""
    if task != "regression":
        largest = int(np.unique(labels[rows], return_counts=True)[1].max())
        if largest < k:
            k, reason = largest, f"the largest class has {largest} rows"
        splitter: StratifiedKFold | KFold = StratifiedKFold(n_splits=k, shuffle=True, random_state=seed)
    else:
        splitter = KFold(n_splits=k, shuffle=True, random_state=seed)
    if reason:
        notes.append(f"{k} folds instead of {wanted}: {reason}")
    with warnings.catch_warnings():
        # A class with fewer rows than folds is validated in fewer folds; each of its rows still
        # lands in a different fold, so every training part keeps one. That is intended here.
        warnings.simplefilter("ignore", UserWarning)
        return [(rows[train], rows[valid]) for train, valid in splitter.split(np.zeros(len(rows)), labels[rows])]


def _holdout(rows: np.ndarray, labels: np.ndarray, task: Task, seed: int) -> list[tuple[np.ndarray, np.ndarray]]:
    kind = StratifiedShuffleSplit if task != "regression" else ShuffleSplit
    splitter = kind(n_splits=1, test_size=HOLDOUT_FRACTION, random_state=seed)
    return [(rows[train], rows[valid]) for train, valid in splitter.split(np.zeros(len(rows)), labels[rows])]


def _time_splits(
    ordered: np.ndarray, n_folds: int | None, n_rows: int, time_budget: float | None, time_col: str | None, notes: list[str]
) -> list[tuple[np.ndarray, np.ndarray]]:
    """Forward chaining: split ``i`` trains on everything before its block and validates on the block.

    Large tables get one split: the newest ``HOLDOUT_FRACTION`` of rows validated.
    """
    notes.append(f"validation rows always come after the rows trained on (by {time_col or 'the given order'})")
    m = len(ordered)
    if _holdout_wanted(n_rows, time_budget):
        cut = m - max(1, int(round(m * HOLDOUT_FRACTION)))
        return [(ordered[:cut], ordered[cut:])]
    k = min(n_folds or auto_folds(n_rows, time_budget), m - 1)
    block = m // (k + 1)
    starts = [m - (k - i) * block for i in range(k)]
    return [(ordered[:start], ordered[start : start + block] if i < k - 1 else ordered[start:]) for i, start in enumerate(starts)]

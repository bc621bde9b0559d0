"""Boosting rounds found by early stopping, reused when a configuration is refit on all rows.

Why: each fold model of a trial stops early on a validation part (10 %) of its own
training rows. A refit on all rows that stops early again trains on 90 % of them and
decides its length on one more such part: on a small table a few hundred rows, so a
noisy stop point. Boosting the folds' mean rounds, scaled up for the extra rows, on
every row is steadier (the refit of AutoGluon's ``refit_full`` works the same way).
Measured on one 60 s search each of 7 dev datasets with a boosting member (the best 8
trials, refit both ways, in the selection ensemble of their OOF predictions): better on 6,
equal on houses; e.g. ames_housing RMSE 21,332 -> 21,265, cpu_act 2.352 -> 2.311, credit_data
ROC AUC 0.8537 -> 0.8557 (benchmarks/RESULTS.md, stop 23).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
from sklearn.ensemble import HistGradientBoostingClassifier, HistGradientBoostingRegressor

from automl.models._xgboost import XGBoostModel

# All rows hold 1/(train share) more than a fold's fit part (5 folds: 1 / (0.8 x 0.9) = 1.39); more rows
# support more rounds, but not proportionally. x1.0 was worse than x1.15 on 5 of the 7 searches above.
REFIT_ROUNDS_SCALE = 1.15


def early_stopped_rounds(model: Any) -> int | None:
    """The rounds a fitted boosting model kept after stopping early; None when it did not stop early
    (no early stopping configured, or too few rows for a validation part)."""
    estimator = getattr(model, "estimator_", model)
    if isinstance(estimator, XGBoostModel):
        return getattr(estimator, "early_stopped_rounds_", None)
    if isinstance(estimator, HistGradientBoostingClassifier | HistGradientBoostingRegressor):
        return int(estimator.n_iter_) if estimator.early_stopping is True else None
    return None


def with_fixed_rounds(params: Mapping[str, Any], fold_rounds: Sequence[int]) -> dict[str, Any] | None:
    """``params`` changed to boost the folds' mean rounds x ``REFIT_ROUNDS_SCALE`` without early
    stopping (never more than the configured upper bound); None when ``params`` do not stop early.

    ``fold_rounds`` may come from a study file: only positive integers are used.
    """
    if not fold_rounds or not all(isinstance(r, int) and not isinstance(r, bool) and r > 0 for r in fold_rounds):
        return None
    rounds = max(1, int(round(float(np.mean(fold_rounds)) * REFIT_ROUNDS_SCALE)))
    fixed = dict(params)
    if fixed.get("early_stopping_rounds"):  # XGBoost: n_estimators is the upper bound
        del fixed["early_stopping_rounds"]
        fixed["n_estimators"] = min(rounds, int(fixed.get("n_estimators") or rounds))
    elif fixed.get("early_stopping") is True and "max_iter" in fixed:  # HistGradientBoosting
        fixed["early_stopping"] = False
        fixed["max_iter"] = min(rounds, int(fixed["max_iter"]))
    else:
        return None
    return fixed

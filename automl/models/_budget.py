"""Fit an estimator without running past the deadline.

Each family's native mechanism is used: a ``deadline`` fit argument when the
estimator takes one (XGBoost, the MLP), otherwise warm-start growth in chunks
for ensembles that support it (forests, HistGradientBoosting), checking the
deadline between chunks. Anything else is fitted in one go and checked after.
"""

from __future__ import annotations

import inspect
import math
from typing import Any

from automl._core import Deadline

_GROWTH_PARAMS = ("n_estimators", "max_iter")
_CHUNKS = 8


def fit_budgeted(estimator: Any, X: Any, y: Any, deadline: Deadline) -> Any:
    """Fit ``estimator`` on ``(X, y)``; raise :class:`DeadlineExceeded` once ``deadline`` passes."""
    deadline.check("fit")
    if "deadline" in inspect.signature(estimator.fit).parameters:
        return estimator.fit(X, y, deadline=deadline)
    growth = _growth_param(estimator)
    if growth is None or not deadline.is_limited:
        estimator.fit(X, y)
        deadline.check("fit")
        return estimator
    total = int(estimator.get_params()[growth])
    step = max(1, math.ceil(total / _CHUNKS))
    estimator.set_params(warm_start=True)
    try:
        for size in range(step, total + step, step):
            size = min(size, total)
            estimator.set_params(**{growth: size})
            estimator.fit(X, y)
            if getattr(estimator, "n_iter_", size) < size:  # early stopping ended boosting
                break
            deadline.check("fit")
    finally:
        estimator.set_params(warm_start=False, **{growth: total})
    return estimator


def _growth_param(estimator: Any) -> str | None:
    params = estimator.get_params(deep=False)
    if "warm_start" not in params:
        return None
    return next((name for name in _GROWTH_PARAMS if name in params), None)

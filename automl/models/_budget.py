"""Fit an estimator without running past the deadline.

Each family's native mechanism is used: a ``deadline`` fit argument when the
estimator takes one (XGBoost, the MLP), otherwise warm-start growth in chunks
for ensembles that support it (forests, HistGradientBoosting), checking the
deadline between chunks. Anything else is fitted in one go and checked after.
"""

from __future__ import annotations

import inspect
import time
from collections.abc import Callable
from typing import Any

from sklearn.ensemble import HistGradientBoostingClassifier, HistGradientBoostingRegressor

from automl._core import Deadline, DeadlineExceeded

# Chunks are sized from the measured time per tree/iteration to take about this long,
# so the deadline is checked often enough without paying warm-start overhead per unit.
_CHUNK_SECONDS = 0.5
EpochCallback = Callable[[int, float], None]
_FIRST_CHUNK_SHARE = 16


def fit_budgeted(estimator: Any, X: Any, y: Any, deadline: Deadline, epoch_callback: EpochCallback | None = None) -> Any:
    """Fit ``estimator`` on ``(X, y)``; raise :class:`DeadlineExceeded` once ``deadline`` passes.

    ``epoch_callback(epoch, val_loss)`` reaches estimators that train in epochs (the MLP);
    it may raise to stop training (pruning).
    """
    deadline.check("fit")
    accepted = inspect.signature(estimator.fit).parameters
    if "deadline" in accepted:
        extra = {"epoch_callback": epoch_callback} if epoch_callback is not None and "epoch_callback" in accepted else {}
        return estimator.fit(X, y, deadline=deadline, **extra)
    growth = _growth_param(estimator)
    if growth is None or not deadline.is_limited:
        estimator.fit(X, y)
        deadline.check("fit")
        return estimator
    total = int(estimator.get_params()[growth])
    size = max(1, total // _FIRST_CHUNK_SHARE)
    started = time.perf_counter()
    estimator.set_params(warm_start=True)
    try:
        while True:
            estimator.set_params(**{growth: size})
            estimator.fit(X, y)
            if size >= total or getattr(estimator, "n_iter_", size) < size:  # done, or early stopping ended boosting
                break
            deadline.check("fit")
            per_unit = (time.perf_counter() - started) / size
            if per_unit * (total - size) > deadline.remaining() and per_unit > deadline.remaining():
                raise DeadlineExceeded(f"fit stopped at {size}/{total} {growth}: the time budget would run out")
            size = min(total, size + max(1, int(_CHUNK_SECONDS / max(per_unit, 1e-9))))
    finally:
        estimator.set_params(warm_start=False, **{growth: total})
    return estimator


def _growth_param(estimator: Any) -> str | None:
    """The size parameter of a warm-startable ensemble (trees or boosting iterations).

    Only ensembles grow this way: in linear models ``max_iter`` is an optimiser
    limit, and cutting it short would only stop them before they converge.
    """
    params = estimator.get_params(deep=False)
    if "warm_start" not in params:
        return None
    if "n_estimators" in params:
        return "n_estimators"
    if isinstance(estimator, (HistGradientBoostingClassifier, HistGradientBoostingRegressor)):
        return "max_iter"
    return None

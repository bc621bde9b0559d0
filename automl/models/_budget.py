"""Fit and predict without running past the deadline.

Each family's native mechanism is used: a ``deadline`` fit argument when the estimator takes
one (XGBoost, the MLP, AdaBoost), otherwise warm-start growth in chunks for ensembles that
support it (forests, HistGradientBoosting), checking the deadline between chunks; the first
chunk is a single tree or iteration, so even it is small. Fits that cannot be interrupted at
all (linear models, k-NN) are *forecast*: a probe fit on a sixteenth of the rows is timed and the
full fit is refused (``DeadlineExceeded``) when its forecast does not fit in the time left.
Predictions are made in fixed-size row chunks with a deadline check between them (fixed, so
the results never depend on timing).
"""

from __future__ import annotations

import inspect
import logging
import pickle
import time
import warnings
from collections.abc import Callable
from typing import Any

import numpy as np
from sklearn.base import clone
from sklearn.ensemble import (
    ExtraTreesClassifier,
    ExtraTreesRegressor,
    HistGradientBoostingClassifier,
    HistGradientBoostingRegressor,
    RandomForestClassifier,
    RandomForestRegressor,
)

from automl._core import Deadline, DeadlineExceeded

log = logging.getLogger(__name__)

# Chunks are sized from the measured time per tree/iteration to take about this long,
# so the deadline is checked often enough without paying warm-start overhead per unit.
_CHUNK_SECONDS = 0.5
EpochCallback = Callable[[int, float], None]
# Forecasts: a probe fit on 1/_PROBE_SHARE of the rows, scaled up with a margin for fits
# that grow faster than linearly and for a machine that gets busier meanwhile.
_PROBE_SHARE = 16
_PROBE_MIN_ROWS = 1_000
_PROBE_FROM_ROWS = 4_000  # smaller fits take milliseconds: not worth a probe
_FORECAST_MARGIN = 1.5
PREDICT_CHUNK_ROWS = 1_024
# A forest holds every tree in memory at once, and a deep tree grows with the rows it is fit on:
# 277 unpruned extra trees on 27,000 rows came to 380 MB, three times the rest of a search.
# A forest stops at as many trees as fit in this many bytes, counted from its first tree
# (deterministic, as that tree is), and never below FOREST_MIN_TREES.
FOREST_MAX_BYTES = 128 * 2**20
FOREST_MIN_TREES = 16


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
    if not deadline.is_limited and not _is_forest(estimator):
        return estimator.fit(X, y)
    if growth is not None:
        return _fit_growing(estimator, X, y, deadline, growth)
    return _fit_forecast(estimator, X, y, deadline)


def _fit_growing(estimator: Any, X: Any, y: Any, deadline: Deadline, growth: str) -> Any:
    """Grow a warm-startable ensemble one chunk at a time, the first chunk a single unit.

    A forest ends at the trees that fit in ``FOREST_MAX_BYTES`` (its ``n_estimators`` says how
    many it has), forecast from its first tree."""
    total = int(estimator.get_params()[growth])
    size = 1
    started = time.perf_counter()
    estimator.set_params(warm_start=True)
    try:
        while True:
            estimator.set_params(**{growth: size})
            estimator.fit(X, y)
            if size == 1 and _is_forest(estimator):
                total = _trees_within(estimator, total)
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


def _fit_forecast(estimator: Any, X: Any, y: Any, deadline: Deadline) -> Any:
    """Fit in one go, after a timed probe on a subsample says the fit will end before ``deadline``."""
    n_rows = len(X)
    if n_rows >= _PROBE_FROM_ROWS:
        rows = _probe_rows(np.asarray(y), max(n_rows // _PROBE_SHARE, _PROBE_MIN_ROWS))
        started = time.perf_counter()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # convergence warnings of the throw-away probe
            clone(estimator).fit(_take(X, rows), _take(y, rows))
        forecast = _FORECAST_MARGIN * (time.perf_counter() - started) * n_rows / len(rows)
        if forecast > deadline.remaining():
            raise DeadlineExceeded(
                f"{type(estimator).__name__} fit skipped: it would take about {forecast:.1f} s, "
                f"{max(deadline.remaining(), 0):.1f} s are left"
            )
    estimator.fit(X, y)
    deadline.check("fit")
    return estimator


def _probe_rows(y: np.ndarray, n: int) -> np.ndarray:
    """Evenly spaced rows (deterministic), plus the first row of any class they would miss."""
    rows = np.linspace(0, len(y) - 1, num=max(n, 1)).astype(np.int64)
    if y.dtype.kind in "OUSb" or (y.dtype.kind in "iu" and len(np.unique(y[:10_000])) < 100):
        _, first = np.unique(y, return_index=True)
        rows = np.union1d(rows, first)
    return rows


def _take(data: Any, rows: np.ndarray) -> Any:
    return data.iloc[rows] if hasattr(data, "iloc") else np.asarray(data)[rows]


def predict_budgeted(predict: Callable[[Any], Any], X: Any, deadline: Deadline, what: str = "prediction") -> np.ndarray:
    """``predict(X)`` in chunks of ``PREDICT_CHUNK_ROWS`` rows, checking ``deadline`` before each.

    Chunk sizes are fixed (not timed) so that results are bit-for-bit the same on every run.
    """
    n_rows = len(X)
    if not deadline.is_limited or n_rows <= PREDICT_CHUNK_ROWS:
        deadline.check(what)
        return np.asarray(predict(X))
    parts = []
    for start in range(0, n_rows, PREDICT_CHUNK_ROWS):
        deadline.check(what)
        parts.append(np.asarray(predict(_take(X, np.arange(start, min(start + PREDICT_CHUNK_ROWS, n_rows))))))
    return np.concatenate(parts)


def model_size_bytes(model: Any) -> int:
    """The pickled size of ``model``, without copying its arrays (pickle protocol 5 keeps them
    out of band), so measuring a large forest takes milliseconds instead of a second."""
    buffers: list[pickle.PickleBuffer] = []
    head = pickle.dumps(model, protocol=5, buffer_callback=buffers.append)
    return len(head) + sum(buffer.raw().nbytes for buffer in buffers)


def _is_forest(estimator: Any) -> bool:
    return isinstance(estimator, (RandomForestClassifier, RandomForestRegressor, ExtraTreesClassifier, ExtraTreesRegressor))


def _trees_within(forest: Any, wanted: int) -> int:
    """How many trees like the forest's first fit in ``FOREST_MAX_BYTES`` (at most ``wanted``)."""
    tree = forest.estimators_[0].tree_
    # sklearn keeps a 64-byte node record and n_outputs x n_classes float64 values per node.
    per_tree = tree.node_count * (64 + 8 * int(np.prod(tree.value.shape[1:])))
    allowed = max(FOREST_MIN_TREES, FOREST_MAX_BYTES // max(per_tree, 1))
    if allowed < wanted:
        log.info(
            "forest limited to %d of %d trees: %.1f MB a tree, %d MB at most",
            allowed,
            wanted,
            per_tree / 2**20,
            FOREST_MAX_BYTES // 2**20,
        )
    return int(min(wanted, allowed))


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

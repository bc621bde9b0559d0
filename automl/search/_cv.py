"""Fit one candidate on every split, keeping fold scores and out-of-fold predictions."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from automl._core import Deadline, DeadlineExceeded
from automl.evaluation import Metric
from automl.models import early_stopped_rounds, model_size_bytes, predict_budgeted
from automl.search._resampling import Resampling

FoldCallback = Callable[[int, float], None]
# ``keep_models(fold_index, running_mean)``: whether the candidate's fold models are still worth keeping.
FoldFilter = Callable[[int, float], bool]
# A candidate's fold models are kept (for the final model, when a refit on all rows would overrun)
# only up to this size, all folds together (forecast from the first): deep forests on a mid-sized
# table weigh 30 MB or more per fold, and two trials at a time held a few hundred MB in flight.
# Without them the final model falls back to a refit on a subsample (see search._final).
KEEP_FOLD_MODELS_MAX_BYTES = 64_000_000


@dataclass(frozen=True)
class CVResult:
    """What one candidate did on the resampling plan."""

    fold_scores: tuple[float, ...]
    oof: np.ndarray  # (n_rows,) or (n_rows, n_classes); NaN on rows no fold scored
    fit_seconds: float
    predict_ms_per_1k: float
    model_bytes: int
    fold_models: tuple[Any, ...]  # empty past KEEP_FOLD_MODELS_MAX_BYTES, or once ``keep_models`` said no
    fold_rounds: tuple[int, ...] = ()  # boosting rounds each fold model kept after stopping early (empty: it did not)

    @property
    def mean(self) -> float:
        return float(np.mean(self.fold_scores))


def cross_validate(
    make_model: Callable[[], Any],
    X: pd.DataFrame,
    y: pd.Series,
    resampling: Resampling,
    metric: Metric,
    classes: np.ndarray | None,
    deadline: Deadline,
    on_fold: FoldCallback | None = None,
    on_epoch: FoldCallback | None = None,
    keep_models: FoldFilter | None = None,
) -> CVResult:
    """Score a fresh model per split; ``on_fold(i, running_mean)`` may raise to stop early.

    Fold models are kept (up to ``KEEP_FOLD_MODELS_MAX_BYTES``) while ``keep_models(i,
    running_mean)`` says so after each fold; once it says no, the ones kept so far are let
    go: a candidate that will not be used holds no memory while its last folds train.

    ``on_epoch(epoch, val_loss)`` follows the first fold's training of epoch-based families.
    Everything is bounded by ``deadline``: fits stop (or are refused) inside the family, the
    out-of-fold prediction runs in chunks, and a fold is not started when the previous one
    took longer than the time left.

    Raises:
        DeadlineExceeded: the deadline passed, or the next fold would not end before it.
    """
    width = 0 if classes is None else len(classes)
    oof = np.full((resampling.n_rows, width) if width else resampling.n_rows, np.nan)
    scores: list[float] = []
    models: list[Any] = []
    rounds: list[int | None] = []
    keeping = True
    fit_seconds, predict_seconds, predicted_rows, model_bytes = 0.0, 0.0, 0, 0
    labels = y.to_numpy()
    for i, (train, valid) in enumerate(resampling.splits):
        if i > 0 and (fit_seconds + predict_seconds) / i > deadline.remaining():
            raise DeadlineExceeded(f"cross-validation stopped before fold {i + 1}: a fold takes longer than the time left")
        model = make_model()
        started = time.perf_counter()
        model.fit(X.iloc[train], labels[train], deadline=deadline, epoch_callback=on_epoch if i == 0 else None)
        fit_seconds += time.perf_counter() - started
        rounds.append(early_stopped_rounds(model))
        started = time.perf_counter()
        pred = predict_budgeted(
            model.predict if width == 0 else model.predict_proba, X.iloc[valid], deadline, "out-of-fold prediction"
        )
        if width and classes is not None:  # width > 0 means classes is not None
            pred = align_classes(pred, model.classes_, classes)
        predict_seconds += time.perf_counter() - started
        predicted_rows += len(valid)
        oof[valid] = pred
        scores.append(metric.score(labels[valid], pred, classes))
        if i == 0:
            model_bytes = model_size_bytes(model)
        running = float(np.mean(scores))
        keeping = keeping and model_bytes * resampling.n_splits <= KEEP_FOLD_MODELS_MAX_BYTES
        keeping = keeping and (keep_models is None or keep_models(i, running))
        if keeping:
            models.append(model)
        else:
            models.clear()
        if on_fold is not None:
            on_fold(i, running)
    return CVResult(
        fold_scores=tuple(scores),
        oof=oof,
        fit_seconds=fit_seconds,
        predict_ms_per_1k=1e6 * predict_seconds / max(predicted_rows, 1),
        model_bytes=model_bytes,
        fold_models=tuple(models),
        fold_rounds=() if None in rounds else tuple(r for r in rounds if r is not None),
    )


def align_classes(proba: np.ndarray, model_classes: np.ndarray, classes: np.ndarray) -> np.ndarray:
    """``proba``'s columns placed under ``classes``; a class the fold model never saw gets 0.

    Splits forward in time can leave a class out of an early training part.
    """
    if len(model_classes) == len(classes) and np.array_equal(np.asarray(model_classes), classes):
        return proba
    aligned = np.zeros((len(proba), len(classes)))
    position = {label: i for i, label in enumerate(classes.tolist())}
    for j, label in enumerate(np.asarray(model_classes).tolist()):
        aligned[:, position[label]] = proba[:, j]
    return aligned

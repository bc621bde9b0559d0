"""Cross-validation of one candidate: which fold models it keeps."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from automl._core import Deadline
from automl.evaluation import get_metric
from automl.models import TabularModel, model_size_bytes
from automl.search import _cv
from automl.search._resampling import make_resampling


def _run(frame: pd.DataFrame, keep_models: _cv.FoldFilter | None = None) -> _cv.CVResult:
    X, y = frame.drop(columns="label"), frame["label"]
    resampling = make_resampling(y, "binary", n_folds=3, seed=0, source="test")
    return _cv.cross_validate(
        lambda: TabularModel("random_forest", {"n_estimators": 20}, "binary"),
        X,
        y,
        resampling,
        get_metric(None, "binary"),
        np.unique(y),
        Deadline.unlimited(),
        keep_models=keep_models,
    )


def test_fold_models_are_kept_when_small(binary_frame: pd.DataFrame) -> None:
    result = _run(binary_frame)
    assert len(result.fold_models) == len(result.fold_scores) >= 2
    assert result.model_bytes == model_size_bytes(result.fold_models[0])


def test_fold_models_too_large_to_keep_are_let_go(binary_frame: pd.DataFrame, monkeypatch: pytest.MonkeyPatch) -> None:
    """Above the cap (all folds together, forecast from the first) none are held: the OOF
    predictions and scores are the same, the final model falls back to a refit."""
    kept = _run(binary_frame)
    monkeypatch.setattr(_cv, "KEEP_FOLD_MODELS_MAX_BYTES", kept.model_bytes * len(kept.fold_scores) - 1)
    dropped = _run(binary_frame)
    assert dropped.fold_models == () and dropped.model_bytes == kept.model_bytes
    assert dropped.fold_scores == kept.fold_scores


def test_fold_models_are_let_go_once_keep_models_says_no(binary_frame: pd.DataFrame) -> None:
    """The filter sees each fold's index and running mean until its first "no"; from then on
    nothing is held (it is not asked again), and the scores do not change."""
    seen: list[tuple[int, float]] = []

    def no_after_first_fold(fold: int, running_mean: float) -> bool:
        seen.append((fold, running_mean))
        return fold != 1

    kept = _run(binary_frame)
    dropped = _run(binary_frame, no_after_first_fold)
    assert dropped.fold_models == () and dropped.fold_scores == kept.fold_scores
    assert [fold for fold, _ in seen] == [0, 1]
    assert seen[1][1] == pytest.approx(np.mean(kept.fold_scores[:2]))
    assert len(_run(binary_frame, lambda fold, mean: True).fold_models) == len(kept.fold_scores)

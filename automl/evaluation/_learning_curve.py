"""Learning curve: would more training data still help?

The model's configuration (an unfitted clone) is refit on growing, stratified
fractions of the training data and scored on the evaluation data. A curve that
is still rising at 100% says collecting data is worth it; a flat one says
effort is better spent on features or the model.

Ensembles built from already fitted members (an ``estimators`` parameter
holding fitted models, whose ``fit`` only checks them) are refit member by
member: each member's clone is refit and the ensemble is rebuilt around them
with its other parameters (weights, a fitted meta-learner) unchanged.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from sklearn.base import clone
from sklearn.exceptions import NotFittedError
from sklearn.model_selection import train_test_split
from sklearn.utils.validation import check_is_fitted

from automl.evaluation._context import EvalContext
from automl.evaluation._result import Check, Status, finite_or_none


@dataclass(frozen=True)
class LearningPoint:
    """A clone fitted on ``n_train`` rows: its score on the evaluation data and on those rows."""

    fraction: float
    n_train: int
    score: float | None
    train_score: float | None


@dataclass(frozen=True)
class LearningCurveResult:
    """``relative_gain_last_step``: the gain between the last two points, as a share of the
    model's skill over the zero-rule baseline; above ``min_gain`` means more data likely helps."""

    status: Status
    checks: tuple[Check, ...]
    metric: str
    points: tuple[LearningPoint, ...]
    gain_last_step: float | None
    relative_gain_last_step: float | None
    min_gain: float
    more_data_likely_helps: bool | None


def _is_fitted(obj: Any) -> bool:
    if not hasattr(obj, "fit"):
        return False
    try:
        check_is_fitted(obj)
    except (NotFittedError, TypeError):
        return False
    return True


def refit_clone(model: Any, X: pd.DataFrame, y: np.ndarray) -> Any:
    """``clone(model)`` fitted on ``(X, y)``; ensembles of fitted members are refit member by member."""
    params = model.get_params(deep=False) if hasattr(model, "get_params") else {}
    members = params.get("estimators")
    if isinstance(members, (list, tuple)) and members and all(_is_fitted(m) for m in members):
        kept = {k: v for k, v in params.items() if k != "estimators" and _is_fitted(v)}
        return clone(model).set_params(estimators=[refit_clone(m, X, y) for m in members], **kept).fit(X, y)
    return clone(model).fit(X, y)


def _subset(X: pd.DataFrame, y: np.ndarray, size: int, stratify: bool, seed: int) -> tuple[pd.DataFrame, np.ndarray]:
    if size >= len(y):
        return X, y
    try:
        rows, _ = train_test_split(np.arange(len(y)), train_size=size, stratify=y if stratify else None, random_state=seed)
    except ValueError:  # too few rows per class to stratify at this size
        rows, _ = train_test_split(np.arange(len(y)), train_size=size, random_state=seed)
    rows = np.sort(rows)
    return X.iloc[rows], y[rows]


def evaluate_learning_curve(ctx: EvalContext, X_train: pd.DataFrame, y_train: np.ndarray) -> LearningCurveResult:
    points: list[LearningPoint] = []
    minimum = 2 * len(ctx.classes) if ctx.classes is not None else 5
    for fraction in sorted(set(ctx.config.learning_curve_fractions)):
        size = max(int(round(fraction * len(y_train))), min(minimum, len(y_train)))
        X_part, y_part = _subset(X_train, y_train, size, ctx.is_classifier, ctx.seed)
        model = refit_clone(ctx.model, X_part, y_part)
        score = ctx.score(ctx.y, ctx.predict_scores(ctx.X, model))
        train_score = ctx.score(y_part, ctx.predict_scores(X_part, model))
        points.append(LearningPoint(float(fraction), len(y_part), finite_or_none(score), finite_or_none(train_score)))
    gain = relative = None
    helps: bool | None = None
    if len(points) >= 2 and points[-1].score is not None and points[-2].score is not None:
        gain = ctx.skill(points[-1].score, points[-2].score)
        relative = ctx.share_of_skill(gain, points[-1].score)
        helps = relative is not None and relative > ctx.config.learning_curve_min_gain
    return LearningCurveResult(
        status="pass",
        checks=(),
        metric=ctx.metric.name,
        points=tuple(points),
        gain_last_step=finite_or_none(gain),
        relative_gain_last_step=finite_or_none(relative),
        min_gain=ctx.config.learning_curve_min_gain,
        more_data_likely_helps=helps,
    )

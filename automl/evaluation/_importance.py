"""Interpretability: which columns does the model actually rely on, and how surely?

Permutation importance shuffles one column at a time on the evaluation data
and measures how much the metric gets worse. It works for any model (it only
calls ``predict``/``predict_proba``) and on the raw columns users know, not on
one-hot or encoded features. The spread over repeats says how much of a
ranking is noise; a model leaning on one unexpected column is a leakage hint.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from automl.evaluation._context import EvalContext
from automl.evaluation._result import Check, Status


@dataclass(frozen=True)
class FeatureImportance:
    """Metric loss when ``feature`` is shuffled (positive = the model needs it), per repeat."""

    feature: str
    mean: float
    std: float
    values: tuple[float, ...]


@dataclass(frozen=True)
class ImportanceResult:
    status: Status
    checks: tuple[Check, ...]
    metric: str
    n_rows: int
    n_repeats: int
    baseline_score: float
    features: tuple[FeatureImportance, ...]


def evaluate_importance(ctx: EvalContext) -> ImportanceResult:
    rng = ctx.rng("importance")
    n = len(ctx.y)
    rows = (
        np.sort(rng.choice(n, size=ctx.config.importance_max_rows, replace=False))
        if n > ctx.config.importance_max_rows
        else np.arange(n)
    )
    X = ctx.X.iloc[rows].reset_index(drop=True)
    y = ctx.y[rows]
    baseline = ctx.score(y, ctx.scores[rows])
    features: list[FeatureImportance] = []
    for column in ctx.X.columns:
        losses = []
        for _ in range(ctx.config.importance_repeats):
            shuffled = X.copy()
            shuffled[column] = X[column].iloc[rng.permutation(len(rows))].reset_index(drop=True)
            losses.append(ctx.skill(baseline, ctx.score(y, ctx.predict_scores(shuffled))))
        values = np.array(losses, dtype=float)
        finite = values[np.isfinite(values)]
        features.append(
            FeatureImportance(
                feature=str(column),
                mean=float(finite.mean()) if finite.size else float("nan"),
                std=float(finite.std()) if finite.size else float("nan"),
                values=tuple(float(v) for v in values),
            )
        )
    features.sort(key=lambda f: (-(f.mean if np.isfinite(f.mean) else -np.inf), f.feature))
    return ImportanceResult(
        status="pass",
        checks=(),
        metric=ctx.metric.name,
        n_rows=len(rows),
        n_repeats=ctx.config.importance_repeats,
        baseline_score=baseline,
        features=tuple(features),
    )

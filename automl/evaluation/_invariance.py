"""Invariance test: changing a column that must not matter must not change predictions.

For each ``--invariant`` column (typically a sensitive attribute), every row's
value is replaced by a different value observed in that column, everything
else fixed. A model that ignores the column changes nothing; one that uses it
(directly; proxies are not caught by this test) changes labels and scores.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from automl.evaluation._context import EvalContext
from automl.evaluation._perturbation import swap_to_other_values
from automl.evaluation._result import Check, Status, finite_or_none, status_of


@dataclass(frozen=True)
class InvarianceColumn:
    """Effect of swapping one column's values.

    ``changed_rate``: share of rows whose predicted label changed (regression: whose
    prediction moved by more than ``tolerance`` standard deviations of ``y``).
    ``mean_abs_change``: mean absolute change of the scores: total-variation distance
    between probability vectors (= change of P(positive) for binary), or of the
    prediction for regression; ``relative_mean_abs_change`` divides it by the
    standard deviation of ``y`` for regression (equal to it for classification).
    """

    column: str
    n_rows: int
    n_values: int
    changed_rate: float
    mean_abs_change: float
    relative_mean_abs_change: float
    max_abs_change: float
    passed: bool


@dataclass(frozen=True)
class InvarianceResult:
    status: Status
    checks: tuple[Check, ...]
    tolerance: float
    columns: tuple[InvarianceColumn, ...]


def score_change(ctx: EvalContext, before: np.ndarray, after: np.ndarray) -> np.ndarray:
    """Per-row absolute change: total-variation distance of probabilities, or |delta prediction|."""
    if ctx.classes is None:
        return np.asarray(np.abs(after - before))
    return np.asarray(0.5 * np.abs(after - before).sum(axis=1))


def evaluate_invariance(ctx: EvalContext, columns: tuple[str, ...]) -> InvarianceResult:
    scale = ctx.score_scale()
    tolerance = ctx.config.invariance_tolerance
    results: list[InvarianceColumn] = []
    checks: list[Check] = []
    for column in columns:
        swapped = ctx.X.copy()
        swapped[column] = swap_to_other_values(ctx.X[column], ctx.rng(f"invariance/{column}"))
        after = ctx.predict_scores(swapped)
        change = score_change(ctx, ctx.scores, after)
        changed = (change > tolerance * scale) if ctx.classes is None else (ctx.labels(after) != ctx.labels(ctx.scores))
        rate = float(np.mean(changed))
        mean_change = float(np.mean(change))
        rate_check = Check.compare(f"'{column}' changed-prediction rate", rate, "<=", ctx.thresholds.max_invariance_change_rate)
        score_check = Check.compare(
            f"'{column}' mean score change", mean_change / scale, "<=", ctx.thresholds.max_invariance_score_change
        )
        checks += [rate_check, score_check]
        results.append(
            InvarianceColumn(
                column=column,
                n_rows=len(ctx.y),
                n_values=int(ctx.X[column].nunique(dropna=True)),
                changed_rate=rate,
                mean_abs_change=mean_change,
                relative_mean_abs_change=mean_change / scale,
                max_abs_change=finite_or_none(float(np.max(change))) or 0.0,
                passed=rate_check.passed and score_check.passed,
            )
        )
    return InvarianceResult(status=status_of(checks), checks=tuple(checks), tolerance=tolerance, columns=tuple(results))

"""Directional expectation test: more of X must not mean less of the prediction (or the reverse).

Domain knowledge the data may not enforce: a higher debt should not lower a
default risk. Each ``col:+`` column is increased by ``directional_step``
times its spread (``robust_scale``) on every row; the score (P(positive class), or the
regression prediction) must not go down (``col:-``: must not go up). Rows
where it does are violations; the worst ones are listed as examples.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from automl.evaluation._config import Direction
from automl.evaluation._context import EvalContext
from automl.evaluation._perturbation import robust_scale
from automl.evaluation._result import Check, Status, status_of


@dataclass(frozen=True)
class DirectionalExample:
    """A violating row (position in the evaluation data) before and after the increase."""

    row: int
    value: float
    perturbed_value: float
    score: float
    perturbed_score: float


@dataclass(frozen=True)
class DirectionalColumn:
    column: str
    direction: Direction
    step: float
    score_name: str
    n_rows: int
    n_violations: int
    violation_rate: float
    examples: tuple[DirectionalExample, ...]
    passed: bool


@dataclass(frozen=True)
class DirectionalResult:
    status: Status
    checks: tuple[Check, ...]
    columns: tuple[DirectionalColumn, ...]


def directional_score(ctx: EvalContext, scores: np.ndarray) -> np.ndarray:
    """The one number per row the expectation is about: P(positive class) or the prediction."""
    return scores if ctx.classes is None else scores[:, ctx.positive_index]


def evaluate_directional(ctx: EvalContext, expectations: dict[str, Direction]) -> DirectionalResult:
    base = directional_score(ctx, ctx.scores)
    tolerance = 1e-6 * ctx.score_scale() + 1e-12
    score_name = "prediction" if ctx.classes is None else f"P({ctx.positive_class})"
    columns: list[DirectionalColumn] = []
    checks: list[Check] = []
    for column, direction in expectations.items():
        values = pd.to_numeric(ctx.X[column], errors="coerce").to_numpy(dtype=float)
        scale = robust_scale(values)
        step = ctx.config.directional_step * (scale if scale > 0 else 1.0)
        moved = ctx.X.copy()
        moved[column] = values + step
        after = directional_score(ctx, ctx.predict_scores(moved))
        valid = np.isfinite(values)
        delta = after - base
        violated = valid & ((delta < -tolerance) if direction == "+" else (delta > tolerance))
        n_valid = int(valid.sum())
        rate = float(violated.sum() / n_valid) if n_valid else 0.0
        worst = np.flatnonzero(violated)
        worst = worst[np.argsort(-np.abs(delta[worst]), kind="stable")][: ctx.config.max_examples]
        check = Check.compare(f"'{column}:{direction}' violation rate", rate, "<=", ctx.thresholds.max_directional_violation_rate)
        checks.append(check)
        columns.append(
            DirectionalColumn(
                column=column,
                direction=direction,
                step=step,
                score_name=score_name,
                n_rows=n_valid,
                n_violations=int(violated.sum()),
                violation_rate=rate,
                examples=tuple(
                    DirectionalExample(int(i), float(values[i]), float(values[i] + step), float(base[i]), float(after[i]))
                    for i in worst
                ),
                passed=check.passed,
            )
        )
    return DirectionalResult(status=status_of(checks), checks=tuple(checks), columns=tuple(columns))

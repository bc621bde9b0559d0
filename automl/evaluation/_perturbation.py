"""Perturbation test: how fast does the metric fall when the inputs get noisy?

Production inputs are rarely as clean as a test split. Gaussian noise is
added to every numeric column, scaled by that column's own spread (so a level
means the same for income and age), and categorical cells are
swapped for another observed value with probability = level. Each kind is a
separate curve so a fragile kind of feature is visible on its own.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd

from automl.evaluation._context import EvalContext
from automl.evaluation._result import Check, Status, finite_or_none, status_of

Kind = Literal["numeric_noise", "category_swap"]


@dataclass(frozen=True)
class PerturbationPoint:
    """The metric at one level; ``drop`` > 0 means worse than clean, in metric units.

    ``relative_drop`` is the drop as a share of the model's skill over the
    zero-rule baseline (1.0: all of it is gone).
    """

    level: float
    score: float | None
    drop: float | None
    relative_drop: float | None


@dataclass(frozen=True)
class PerturbationCurve:
    kind: Kind
    columns: tuple[str, ...]
    points: tuple[PerturbationPoint, ...]


@dataclass(frozen=True)
class PerturbationResult:
    status: Status
    checks: tuple[Check, ...]
    metric: str
    clean_score: float | None
    zero_rule_score: float | None
    curves: tuple[PerturbationCurve, ...]


def robust_scale(values: np.ndarray) -> float:
    """The spread of a column: IQR / 1.349 (the standard deviation for normal data), else the std.

    The standard deviation alone is dominated by outliers: for a heavy-tailed
    column (queue lengths, amounts) a "small" 0.1 std of noise would move the
    typical row far beyond its usual range. 0 when the column is constant or empty.
    """
    finite = values[np.isfinite(values)]
    if finite.size == 0:
        return 0.0
    q1, q3 = np.percentile(finite, [25, 75])
    iqr_scale = float(q3 - q1) / 1.349
    return iqr_scale if iqr_scale > 0 else float(np.std(finite))


def add_numeric_noise(X: pd.DataFrame, columns: tuple[str, ...], level: float, rng: np.random.Generator) -> pd.DataFrame:
    """``X`` with N(0, (level * robust_scale(column))^2) noise on each numeric column (missing stays missing)."""
    out = X.copy()
    for column in columns:
        values = pd.to_numeric(X[column], errors="coerce").to_numpy(dtype=float)
        scale = robust_scale(values)
        out[column] = values + rng.normal(0.0, level * scale, size=len(values)) if scale > 0 else values
    return out


def swap_to_other_values(values: pd.Series, rng: np.random.Generator, mask: np.ndarray | None = None) -> pd.Series:
    """Replace each (masked) cell by a *different* observed value, drawn uniformly among the others.

    Missing cells get any observed value. Columns with a single observed value
    come back unchanged.
    """
    observed = pd.unique(values.dropna())
    out = values.copy()
    k = len(observed)
    mask = np.ones(len(values), dtype=bool) if mask is None else mask
    if k < 2 or not mask.any():
        return out
    lookup = {v: i for i, v in enumerate(observed.tolist())}
    codes = np.array([lookup.get(v, -1) if not pd.isna(v) else -1 for v in values.tolist()])
    draw = rng.integers(0, k - 1, size=len(values))
    new = np.where(codes < 0, rng.integers(0, k, size=len(values)), draw + (draw >= codes))
    rows = np.flatnonzero(mask)
    replacement = pd.Series(np.asarray(observed, dtype=object)[new[rows]], index=values.index[rows])
    out = out.astype(object)
    out.iloc[rows] = replacement.to_numpy()
    try:  # keep the column's dtype so the model's preprocessing sees what it was trained on
        return out.astype(values.dtype)
    except (TypeError, ValueError):
        return out


def swap_categories(X: pd.DataFrame, columns: tuple[str, ...], level: float, rng: np.random.Generator) -> pd.DataFrame:
    """``X`` with each categorical cell swapped for another observed value with probability ``level``."""
    out = X.copy()
    for column in columns:
        mask = rng.random(len(X)) < min(level, 1.0)
        out[column] = swap_to_other_values(X[column], rng, mask)
    return out


def evaluate_perturbation(ctx: EvalContext) -> PerturbationResult:
    clean = ctx.score(ctx.y, ctx.scores)
    levels = sorted(set(ctx.config.noise_levels) | {ctx.thresholds.perturbation_level})
    curves: list[PerturbationCurve] = []
    checks: list[Check] = []
    kinds: list[tuple[Kind, tuple[str, ...]]] = [
        ("numeric_noise", ctx.schema.numeric),
        ("category_swap", ctx.schema.categorical),
    ]
    for kind, columns in kinds:
        if not columns:
            continue
        points = [PerturbationPoint(0.0, finite_or_none(clean), 0.0, 0.0)]
        for level in levels:
            rng = ctx.rng(f"perturbation/{kind}/{level}")
            perturb = add_numeric_noise if kind == "numeric_noise" else swap_categories
            value = ctx.score(ctx.y, ctx.predict_scores(perturb(ctx.X, columns, level, rng)))
            drop = -ctx.skill(value, clean)
            points.append(PerturbationPoint(level, finite_or_none(value), finite_or_none(drop), ctx.share_of_skill(drop, clean)))
            if level == ctx.thresholds.perturbation_level:
                checks.append(
                    Check.compare(
                        f"{kind} relative drop at level {level:g}",
                        points[-1].relative_drop,
                        "<=",
                        ctx.thresholds.max_relative_drop,
                    )
                )
        curves.append(PerturbationCurve(kind, columns, tuple(points)))
    return PerturbationResult(
        status=status_of(checks),
        checks=tuple(checks),
        metric=ctx.metric.name,
        clean_score=finite_or_none(clean),
        zero_rule_score=finite_or_none(ctx.zero_rule_score()),
        curves=tuple(curves),
    )

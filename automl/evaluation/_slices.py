"""Slice-based evaluation: a good average can hide a group the model fails.

Each ``--slices`` column is cut into slices (its values; quantile bins for
numeric columns with many values; missing values as their own slice), and the
metric is computed per slice with a bootstrap interval. A slice is flagged
when its whole interval is worse than the overall score, i.e. it is worse by
more than sampling noise explains. Small slices are listed but never flagged.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd

from automl.evaluation._bootstrap import Resamples, bootstrap
from automl.evaluation._context import EvalContext
from automl.evaluation._result import Check, Estimate, Status, finite_or_none, status_of

MISSING = "missing"
OTHER = "other"


@dataclass(frozen=True)
class SliceScore:
    column: str
    label: str
    n: int
    share: float
    score: Estimate
    flagged: bool


@dataclass(frozen=True)
class SliceColumn:
    column: str
    binning: Literal["values", "quantiles"]
    slices: tuple[SliceScore, ...]


@dataclass(frozen=True)
class SlicesResult:
    status: Status
    checks: tuple[Check, ...]
    metric: str
    overall: float | None
    min_slice_size: int
    columns: tuple[SliceColumn, ...]
    flagged: tuple[SliceScore, ...]


def slice_labels(values: pd.Series, n_bins: int, max_values: int) -> tuple[np.ndarray, list[str], Literal["values", "quantiles"]]:
    """A label per row and the labels' display order.

    Numeric columns with more than ``max_values`` distinct values are cut into
    ``n_bins`` quantile bins; other columns keep their values, pooling all but
    the ``max_values - 1`` most frequent into ``"other"``.
    """
    missing = values.isna().to_numpy()
    numeric = pd.api.types.is_numeric_dtype(values) and not pd.api.types.is_bool_dtype(values)
    if numeric and values.nunique(dropna=True) > max_values:
        binned = pd.qcut(values, q=n_bins, duplicates="drop")
        order = [str(c) for c in binned.cat.categories]
        labels = np.where(missing, MISSING, binned.astype(str).to_numpy(dtype=object))
        return labels.astype(object), order + ([MISSING] if missing.any() else []), "quantiles"
    text = pd.Series([MISSING if gap else str(v) for v, gap in zip(values.tolist(), missing, strict=True)], dtype=object)
    counts = text.value_counts(sort=False)
    ranked = sorted(counts.index, key=lambda label: (-int(counts[label]), label))
    if len(ranked) > max_values:
        keep = set(ranked[: max_values - 1])
        text = text.where(text.isin(keep), OTHER)
        ranked = [*ranked[: max_values - 1], OTHER]
    return text.to_numpy(dtype=object), ranked, "values"


def evaluate_slices(ctx: EvalContext, columns: tuple[str, ...]) -> SlicesResult:
    overall = ctx.score(ctx.y, ctx.scores)
    n = len(ctx.y)
    level = ctx.config.confidence_level
    min_size = ctx.thresholds.min_slice_size
    result_columns: list[SliceColumn] = []
    flagged: list[SliceScore] = []
    for column in columns:
        labels, order, binning = slice_labels(ctx.X[column], ctx.config.slice_bins, ctx.config.slice_max_values)
        slices: list[SliceScore] = []
        for label in order:
            rows = np.flatnonzero(labels == label)
            if rows.size == 0:
                continue
            y, scores = ctx.y[rows], ctx.scores[rows]
            resamples = Resamples.draw(rows.size, ctx.config.n_bootstrap, ctx.rng(f"slices/{column}/{label}"))
            estimate = bootstrap(ctx.metric, ctx.score, y, ctx.truth[rows], scores, resamples).estimate(level)
            worse = False
            if rows.size >= min_size and np.isfinite(overall):
                if ctx.metric.greater_is_better:
                    worse = estimate.ci_high is not None and estimate.ci_high < overall
                else:
                    worse = estimate.ci_low is not None and estimate.ci_low > overall
            item = SliceScore(column, label, int(rows.size), rows.size / n, estimate, bool(worse))
            slices.append(item)
            if worse:
                flagged.append(item)
        result_columns.append(SliceColumn(column, binning, tuple(slices)))
    flagged.sort(key=lambda s: ctx.skill(s.score.value or 0.0, overall))
    checks = (Check.compare("significantly worse slices", float(len(flagged)), "<=", float(ctx.thresholds.max_flagged_slices)),)
    return SlicesResult(
        status=status_of(checks),
        checks=checks,
        metric=ctx.metric.name,
        overall=finite_or_none(overall),
        min_slice_size=min_size,
        columns=tuple(result_columns),
        flagged=tuple(flagged),
    )

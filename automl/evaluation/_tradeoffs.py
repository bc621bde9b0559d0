"""Trade-offs: the errors at the chosen threshold, what they cost, and what the model costs to run.

A metric averages over error kinds; a business pays for them separately. The
confusion matrix shows which errors are made, the cost analysis (binary,
when costs per false positive/negative are given) finds the threshold that
minimises their total, and latency and size say what serving the model takes.

The cost-optimal threshold is chosen on the evaluation data, so its cost is
optimistic; validate it on fresh data before adopting it.
"""

from __future__ import annotations

import pickle
import time
from dataclasses import dataclass
from typing import Any

import numpy as np

from automl.evaluation._context import EvalContext
from automl.evaluation._result import Check, Status, status_of


@dataclass(frozen=True)
class ClassErrors:
    """One-vs-rest counts for one class at the decision rule."""

    label: str
    support: int
    tp: int
    fp: int
    fn: int


@dataclass(frozen=True)
class CostAnalysis:
    """Costs per row: ``cost_per_row`` at the cost-optimal ``threshold``, and at the chosen one.

    ``bayes_threshold`` = cost_fp / (cost_fp + cost_fn) is optimal when the
    probabilities are calibrated; far from ``threshold`` hints they are not.
    """

    cost_fp: float
    cost_fn: float
    threshold: float
    fp: int
    fn: int
    cost_per_row: float
    cost_per_row_at_chosen: float
    bayes_threshold: float
    curve: tuple[tuple[float, float], ...]


@dataclass(frozen=True)
class ResidualSummary:
    mean_error: float
    mae: float
    abs_error_p50: float
    abs_error_p90: float
    abs_error_p99: float
    max_abs_error: float


@dataclass(frozen=True)
class TradeoffsResult:
    """``confusion_matrix[i][j]``: rows of true class ``labels[i]`` predicted as ``labels[j]``.

    Binary: predicted positive when P(``positive_class``) >= ``threshold``;
    multiclass: the arg-max class.
    """

    status: Status
    checks: tuple[Check, ...]
    threshold: float | None
    positive_class: str | None
    labels: tuple[str, ...]
    confusion_matrix: tuple[tuple[int, ...], ...]
    per_class: tuple[ClassErrors, ...]
    cost: CostAnalysis | None
    residuals: ResidualSummary | None
    latency_ms_per_1000: float
    latency_rows: int
    model_bytes: int | None


def decide(ctx: EvalContext, scores: np.ndarray) -> np.ndarray:
    """Labels by the decision rule: threshold on P(positive) for binary, arg-max otherwise."""
    if ctx.classes is None or len(ctx.classes) != 2:
        return ctx.labels(scores)
    positive = ctx.positive_index
    return np.asarray(np.where(scores[:, positive] >= ctx.config.threshold, ctx.classes[positive], ctx.classes[1 - positive]))


def cost_analysis(p: np.ndarray, is_positive: np.ndarray, cost_fp: float, cost_fn: float, chosen: float) -> CostAnalysis:
    """Minimise cost_fp * FP + cost_fn * FN over thresholds at the observed probabilities.

    FP(t) = negatives with p >= t, FN(t) = positives with p < t; a threshold
    above every probability (predict no positives) is a candidate too. Ties in
    cost go to the lowest threshold.
    """
    n = len(p)
    negatives = np.sort(p[~is_positive])
    positives = np.sort(p[is_positive])

    def counts(t: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        fp = len(negatives) - np.searchsorted(negatives, t, side="left")
        fn = np.searchsorted(positives, t, side="left")
        return fp, fn

    candidates = np.unique(np.r_[p, np.nextafter(p.max(), np.inf)])
    fp, fn = counts(candidates)
    cost = (cost_fp * fp + cost_fn * fn) / n
    best = int(np.argmin(cost))
    grid = np.linspace(0.0, 1.0, 101)
    grid_fp, grid_fn = counts(grid)
    chosen_fp, chosen_fn = counts(np.array([chosen]))
    return CostAnalysis(
        cost_fp=cost_fp,
        cost_fn=cost_fn,
        threshold=float(candidates[best]),
        fp=int(fp[best]),
        fn=int(fn[best]),
        cost_per_row=float(cost[best]),
        cost_per_row_at_chosen=float((cost_fp * chosen_fp[0] + cost_fn * chosen_fn[0]) / n),
        bayes_threshold=cost_fp / (cost_fp + cost_fn) if cost_fp + cost_fn > 0 else 0.5,
        curve=tuple((float(t), float(c)) for t, c in zip(grid, (cost_fp * grid_fp + cost_fn * grid_fn) / n, strict=True)),
    )


def predict_latency_ms(ctx: EvalContext) -> float:
    """Median wall time of ``predict`` on ``latency_rows`` rows sampled from the data, in ms per 1,000 rows.

    The one number in the report that is not reproducible run to run.
    """
    rows = ctx.rng("tradeoffs/latency").integers(0, len(ctx.X), size=ctx.config.latency_rows)
    sample = ctx.X.iloc[rows].reset_index(drop=True)
    ctx.model.predict(sample)  # warm-up: first calls pay for lazy imports and caches
    timings = []
    for _ in range(ctx.config.latency_repeats):
        start = time.perf_counter()
        ctx.model.predict(sample)
        timings.append(time.perf_counter() - start)
    return float(np.median(timings) * 1000.0 * 1000.0 / ctx.config.latency_rows)


def model_size_bytes(model: Any) -> int | None:
    """Size of the pickled model: a proxy for memory and artifact size (``None`` if it cannot be pickled)."""
    try:
        return len(pickle.dumps(model, protocol=pickle.HIGHEST_PROTOCOL))
    except (pickle.PicklingError, TypeError, AttributeError):
        return None


def evaluate_tradeoffs(ctx: EvalContext, cost_fp: float | None = None, cost_fn: float | None = None) -> TradeoffsResult:
    labels: tuple[str, ...] = ()
    matrix: tuple[tuple[int, ...], ...] = ()
    per_class: tuple[ClassErrors, ...] = ()
    cost: CostAnalysis | None = None
    residuals: ResidualSummary | None = None
    binary = ctx.classes is not None and len(ctx.classes) == 2
    if ctx.classes is not None:
        predicted = decide(ctx, ctx.scores)
        labels = tuple(str(c) for c in ctx.classes)
        grid = np.array([[int(np.sum((ctx.y == t) & (predicted == p))) for p in ctx.classes] for t in ctx.classes])
        matrix = tuple(tuple(int(v) for v in row) for row in grid)
        per_class = tuple(
            ClassErrors(
                labels[j],
                int(grid[j].sum()),
                int(grid[j, j]),
                int(grid[:, j].sum() - grid[j, j]),
                int(grid[j].sum() - grid[j, j]),
            )
            for j in range(len(labels))
        )
        if binary and cost_fp is not None and cost_fn is not None:
            positive = ctx.positive_index
            cost = cost_analysis(ctx.scores[:, positive], ctx.y == ctx.classes[positive], cost_fp, cost_fn, ctx.config.threshold)
    else:
        error = ctx.scores - ctx.y.astype(float)
        absolute = np.abs(error)
        residuals = ResidualSummary(
            mean_error=float(error.mean()),
            mae=float(absolute.mean()),
            abs_error_p50=float(np.percentile(absolute, 50)),
            abs_error_p90=float(np.percentile(absolute, 90)),
            abs_error_p99=float(np.percentile(absolute, 99)),
            max_abs_error=float(absolute.max()),
        )
    latency = predict_latency_ms(ctx)
    size = model_size_bytes(ctx.model)
    checks: list[Check] = []
    if ctx.thresholds.max_latency_ms_per_1000 is not None:
        checks.append(Check.compare("predict latency (ms per 1,000 rows)", latency, "<=", ctx.thresholds.max_latency_ms_per_1000))
    if ctx.thresholds.max_model_bytes is not None:
        checks.append(
            Check.compare(
                "model size (bytes)", None if size is None else float(size), "<=", float(ctx.thresholds.max_model_bytes)
            )
        )
    return TradeoffsResult(
        status=status_of(checks),
        checks=tuple(checks),
        threshold=ctx.config.threshold if binary else None,
        positive_class=str(ctx.positive_class) if binary else None,
        labels=labels,
        confusion_matrix=matrix,
        per_class=per_class,
        cost=cost,
        residuals=residuals,
        latency_ms_per_1000=latency,
        latency_rows=ctx.config.latency_rows,
        model_bytes=size,
    )

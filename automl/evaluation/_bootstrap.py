"""Bootstrap percentile intervals, paired across the models compared.

One matrix of resample indices is drawn per data set and reused for every
model, so the interval of a *difference* between two models reflects only
how they differ on the same rows, not two independent draws.

A resample is the same as weighting each row by how often it was drawn, so the
table's metrics are recomputed for all resamples at once as weighted sums
(one matrix product instead of hundreds of sklearn calls, each of which costs
milliseconds of input validation). ``tests/evaluation`` checks these against
the metric table on every metric; metrics without a weighted form fall back
to scoring each resample.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from automl.evaluation._metrics import Metric
from automl.evaluation._result import Estimate, finite_or_none

ScoreFn = Callable[[np.ndarray, np.ndarray], float]
Weighted = Callable[[np.ndarray, np.ndarray, np.ndarray], np.ndarray]


def resample_indices(n: int, n_bootstrap: int, rng: np.random.Generator) -> np.ndarray:
    """``(n_bootstrap, n)`` row indices drawn with replacement."""
    return rng.integers(0, n, size=(n_bootstrap, n))


def resample_weights(indices: np.ndarray, n: int) -> np.ndarray:
    """``(n_bootstrap, n)``: how many times each row was drawn in each resample."""
    return np.stack([np.bincount(row, minlength=n) for row in indices]).astype(float)


def _ratio(num: np.ndarray, den: np.ndarray) -> np.ndarray:
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(den > 0, num / np.where(den > 0, den, 1.0), np.nan)


def _class_counts(codes: np.ndarray, proba: np.ndarray, W: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per resample and class: weighted true count, predicted count (arg-max) and true positives."""
    k = proba.shape[1]
    truth = np.eye(k)[codes]
    predicted = np.eye(k)[proba.argmax(axis=1)]
    return W @ truth, W @ predicted, W @ (truth * predicted)


def _accuracy(codes: np.ndarray, proba: np.ndarray, W: np.ndarray) -> np.ndarray:
    return _ratio(W @ (proba.argmax(axis=1) == codes).astype(float), W.sum(axis=1))


def _balanced_accuracy(codes: np.ndarray, proba: np.ndarray, W: np.ndarray) -> np.ndarray:
    true, _, tp = _class_counts(codes, proba, W)
    recall = _ratio(tp, true)  # NaN for classes absent from a resample: sklearn drops them
    with np.errstate(invalid="ignore"):
        return np.asarray(np.nanmean(np.where(true > 0, recall, np.nan), axis=1))


def _f1_per_class(codes: np.ndarray, proba: np.ndarray, W: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    true, predicted, tp = _class_counts(codes, proba, W)
    f1 = np.nan_to_num(_ratio(2 * tp, true + predicted), nan=0.0)  # sklearn's zero_division=0
    return f1, true, predicted


def _f1_macro(codes: np.ndarray, proba: np.ndarray, W: np.ndarray) -> np.ndarray:
    f1, true, predicted = _f1_per_class(codes, proba, W)
    used = (true > 0) | (predicted > 0)
    return _ratio((f1 * used).sum(axis=1), used.sum(axis=1).astype(float))


def _f1_binary(codes: np.ndarray, proba: np.ndarray, W: np.ndarray) -> np.ndarray:
    # the table's f1 takes the largest label present in y as positive
    f1, true, _ = _f1_per_class(codes, proba, W)
    positive = np.where(true[:, 1] > 0, 1, 0)
    return f1[np.arange(len(f1)), positive]


def _log_loss(codes: np.ndarray, proba: np.ndarray, W: np.ndarray) -> np.ndarray:
    eps = np.finfo(float).eps
    p_true = np.clip(np.clip(proba, 1e-15, 1.0)[np.arange(len(codes)), codes], eps, 1 - eps)
    return _ratio(W @ -np.log(p_true), W.sum(axis=1))


def _roc_auc(codes: np.ndarray, proba: np.ndarray, W: np.ndarray) -> np.ndarray:
    """Weighted Mann-Whitney statistic: P(score_pos > score_neg) + 0.5 P(tie), as the ROC area."""
    order = np.argsort(proba[:, 1], kind="stable")
    score = proba[order, 1]
    starts = np.flatnonzero(np.r_[True, score[1:] != score[:-1]])  # one group per distinct score
    positive = (codes[order] == 1).astype(float)
    weights = W[:, order]
    pos_w = np.add.reduceat(weights * positive, starts, axis=1)
    neg_w = np.add.reduceat(weights * (1.0 - positive), starts, axis=1)
    neg_below = np.cumsum(neg_w, axis=1) - neg_w
    wins = (pos_w * (neg_below + 0.5 * neg_w)).sum(axis=1)
    return _ratio(wins, pos_w.sum(axis=1) * neg_w.sum(axis=1))


def _mse(y: np.ndarray, pred: np.ndarray, W: np.ndarray) -> np.ndarray:
    return _ratio(W @ (pred - y) ** 2, W.sum(axis=1))


def _rmse(y: np.ndarray, pred: np.ndarray, W: np.ndarray) -> np.ndarray:
    return np.asarray(np.sqrt(_mse(y, pred, W)))


def _mae(y: np.ndarray, pred: np.ndarray, W: np.ndarray) -> np.ndarray:
    return _ratio(W @ np.abs(pred - y), W.sum(axis=1))


def _r2(y: np.ndarray, pred: np.ndarray, W: np.ndarray) -> np.ndarray:
    total = W.sum(axis=1)
    mean = _ratio(W @ y, total)
    residual = W @ (pred - y) ** 2
    spread = (W * (y[None, :] - mean[:, None]) ** 2).sum(axis=1)
    # sklearn's force_finite: a constant target scores 1 when predicted exactly, else 0
    return np.where(spread > 0, 1.0 - _ratio(residual, spread), np.where(residual == 0, 1.0, 0.0))


_WEIGHTED: dict[str, Weighted] = {
    "accuracy": _accuracy,
    "balanced_accuracy": _balanced_accuracy,
    "f1": _f1_binary,
    "f1_macro": _f1_macro,
    "log_loss": _log_loss,
    "roc_auc": _roc_auc,
    "rmse": _rmse,
    "mae": _mae,
    "r2": _r2,
}


def weighted_scores(metric: Metric, truth: np.ndarray, pred: np.ndarray, W: np.ndarray) -> np.ndarray | None:
    """The metric on every resample at once (``None`` when it has no weighted form).

    ``truth`` is the class code (index into the probability columns) for
    classification metrics and the value for regression metrics.
    """
    fn = _WEIGHTED.get(metric.name)
    if fn is None:
        return None
    if metric.needs == "value":
        return fn(np.asarray(truth, dtype=float), np.asarray(pred, dtype=float), W)
    return fn(np.asarray(truth, dtype=int), np.asarray(pred, dtype=float), W)


@dataclass(frozen=True)
class Bootstrapped:
    """A score on all rows and on each resample (NaN where a resample cannot be scored)."""

    value: float
    samples: np.ndarray

    def estimate(self, level: float) -> Estimate:
        low, high = percentile_interval(self.samples, level)
        return Estimate(finite_or_none(self.value), low, high)


@dataclass(frozen=True)
class Resamples:
    """The resamples of one set of rows, as indices and as weights."""

    indices: np.ndarray
    weights: np.ndarray

    @classmethod
    def draw(cls, n: int, n_bootstrap: int, rng: np.random.Generator) -> Resamples:
        indices = resample_indices(n, n_bootstrap, rng)
        return cls(indices, resample_weights(indices, n))


def bootstrap(
    metric: Metric, score: ScoreFn, y: np.ndarray, truth: np.ndarray, pred: np.ndarray, resamples: Resamples
) -> Bootstrapped:
    """Score ``pred`` on all rows (``score(y, pred)``) and on every resample.

    ``truth`` is ``y`` as class codes (classification) or values (regression),
    for the weighted form; ``score`` is used where there is none.
    """
    samples = weighted_scores(metric, truth, pred, resamples.weights)
    if samples is None:
        samples = np.array([score(y[i], pred[i]) for i in resamples.indices], dtype=float)
    return Bootstrapped(float(score(y, pred)), np.asarray(samples, dtype=float))


def percentile_interval(samples: np.ndarray, level: float) -> tuple[float | None, float | None]:
    samples = np.asarray(samples, dtype=float)
    samples = samples[np.isfinite(samples)]
    if samples.size == 0:
        return None, None
    alpha = (1.0 - level) / 2.0
    low, high = np.percentile(samples, [100 * alpha, 100 * (1 - alpha)])
    return float(low), float(high)


def paired_difference(a: Bootstrapped, b: Bootstrapped, level: float, greater_is_better: bool) -> Estimate:
    """How much better ``a`` scores than ``b`` (positive = ``a`` better), over the same resamples."""
    sign = 1.0 if greater_is_better else -1.0
    low, high = percentile_interval(sign * (a.samples - b.samples), level)
    return Estimate(finite_or_none(sign * (a.value - b.value)), low, high)

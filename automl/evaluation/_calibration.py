"""Calibration: when the model says 80%, is it right 80% of the time?

Decisions that use the probability itself (thresholds, expected costs,
abstaining) need it to be calibrated. Reported: the reliability diagram, the
expected calibration error (ECE) and the Brier score. Binary models are read
on P(positive class); multiclass models on their top-label confidence.

The optional recalibration is cross-validated on the evaluation data: a
calibrator (isotonic or sigmoid on the model's probabilities) is fitted on k-1
folds and applied to the held-out fold, so its reported effect is not
measured on rows it was fitted to.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import pandas as pd
from sklearn.isotonic import IsotonicRegression
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import StratifiedKFold

from automl.evaluation._config import Recalibration
from automl.evaluation._context import EvalContext
from automl.evaluation._result import Check, Status, finite_or_none, status_of


@dataclass(frozen=True)
class ReliabilityBin:
    """Rows whose predicted probability is in ``[lower, upper)`` (the last bin includes 1)."""

    lower: float
    upper: float
    count: int
    mean_predicted: float | None
    observed: float | None


@dataclass(frozen=True)
class RecalibrationEffect:
    """Out-of-fold recalibrated probabilities compared with the model's own."""

    method: Recalibration
    folds: int
    ece: float
    brier: float
    metric_before: float | None
    metric_after: float | None
    improved: bool
    bins: tuple[ReliabilityBin, ...]


@dataclass(frozen=True)
class CalibrationResult:
    status: Status
    checks: tuple[Check, ...]
    kind: Literal["positive_class", "top_label"]
    positive_class: str | None
    n_bins: int
    ece: float
    brier: float
    bins: tuple[ReliabilityBin, ...]
    recalibration: RecalibrationEffect | None
    note: str | None


def _bin_index(p: np.ndarray, n_bins: int) -> np.ndarray:
    edges = np.linspace(0.0, 1.0, n_bins + 1)
    return np.searchsorted(edges[1:-1], p, side="right")


def reliability(p: np.ndarray, outcome: np.ndarray, n_bins: int) -> tuple[float, tuple[ReliabilityBin, ...]]:
    """ECE = sum over bins of (count / n) * |observed frequency - mean predicted|, and the bins."""
    p = np.clip(np.asarray(p, dtype=float), 0.0, 1.0)
    outcome = np.asarray(outcome, dtype=float)
    index = _bin_index(p, n_bins)
    bins: list[ReliabilityBin] = []
    ece = 0.0
    for b in range(n_bins):
        rows = index == b
        count = int(rows.sum())
        mean_p = float(p[rows].mean()) if count else None
        observed = float(outcome[rows].mean()) if count else None
        if mean_p is not None and observed is not None:
            ece += count / len(p) * abs(observed - mean_p)
        bins.append(ReliabilityBin(b / n_bins, (b + 1) / n_bins, count, mean_p, observed))
    return float(ece), tuple(bins)


def debiased_ece(p: np.ndarray, outcome: np.ndarray, n_bins: int, weights: np.ndarray | None = None) -> np.ndarray:
    """Expected calibration error with its small-sample bias removed, per row of ``weights``.

    The plain ECE of a perfectly calibrated model is not 0: each bin's observed
    frequency is a sample mean, off by about ``sqrt(2/pi) * sqrt(p(1-p)/n_bin)`` on
    average. That bias is largest for models whose probabilities spread over many
    small bins, so comparing two models' plain ECE on a few hundred rows penalises the
    more discriminating one. Each bin's gap is reduced by that expected noise (floored
    at 0) before the row-weighted sum. ``weights`` are bootstrap draw counts
    ``(n_resamples, n)``; ``None`` scores the rows once.
    """
    p = np.clip(np.asarray(p, dtype=float), 0.0, 1.0)
    W = np.ones((1, len(p))) if weights is None else np.asarray(weights, dtype=float)
    member = np.eye(n_bins)[_bin_index(p, n_bins)]  # (n, n_bins): which bin each row falls in
    count = W @ member
    gap = np.abs(W @ (member * (np.asarray(outcome, dtype=float) - p)[:, None]))
    with np.errstate(divide="ignore", invalid="ignore"):
        mean_p = np.where(count > 0, (W @ (member * p[:, None])) / np.where(count > 0, count, 1.0), 0.0)
        noise = np.sqrt(2.0 / np.pi) * np.sqrt(mean_p * (1.0 - mean_p) / np.where(count > 0, count, 1.0))
    excess = np.clip(gap / np.where(count > 0, count, 1.0) - noise, 0.0, None) * count
    return np.asarray(excess.sum(axis=1) / W.sum(axis=1))


def brier_score(proba: np.ndarray, y: np.ndarray, classes: np.ndarray, positive: int) -> float:
    """Binary: mean (P(positive) - 1[y = positive])^2. Multiclass: mean of the squared error summed over classes."""
    onehot = (np.asarray(y)[:, None] == classes[None, :]).astype(float)
    if len(classes) == 2:
        return float(np.mean((proba[:, positive] - onehot[:, positive]) ** 2))
    return float(np.mean(((proba - onehot) ** 2).sum(axis=1)))


def _classes(ctx: EvalContext) -> np.ndarray:
    if ctx.classes is None:
        raise TypeError("calibration applies to classifiers only")
    return ctx.classes


def calibration_view(ctx: EvalContext, proba: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(probability, outcome) pairs the diagram is drawn from: P(positive) and whether the row is
    positive (binary), or the top-label confidence and whether that label is right (multiclass)."""
    classes = _classes(ctx)
    if len(classes) == 2:
        positive = ctx.positive_index
        return proba[:, positive], (ctx.y == classes[positive]).astype(float)
    return proba.max(axis=1), (ctx.labels(proba) == ctx.y).astype(float)


def _fit_calibrator(method: Recalibration, p: np.ndarray, target: np.ndarray) -> object:
    if np.unique(target).size < 2:
        return float(target.mean()) if target.size else 0.0
    if method == "isotonic":
        return IsotonicRegression(y_min=0.0, y_max=1.0, out_of_bounds="clip").fit(p, target)
    logit = np.log(np.clip(p, 1e-6, 1 - 1e-6) / np.clip(1 - p, 1e-6, 1 - 1e-6)).reshape(-1, 1)
    return LogisticRegression(C=1e4, max_iter=1000).fit(logit, target)


def _apply_calibrator(calibrator: Any, p: np.ndarray) -> np.ndarray:
    """``calibrator`` as ``_fit_calibrator`` made it: a constant, an isotonic or a sigmoid (logistic) fit."""
    if isinstance(calibrator, float):
        return np.full(len(p), calibrator)
    if isinstance(calibrator, IsotonicRegression):
        return np.asarray(calibrator.predict(p), dtype=float)
    logit = np.log(np.clip(p, 1e-6, 1 - 1e-6) / np.clip(1 - p, 1e-6, 1 - 1e-6)).reshape(-1, 1)
    return np.asarray(calibrator.predict_proba(logit)[:, 1], dtype=float)


def recalibrate_out_of_fold(
    proba: np.ndarray, y: np.ndarray, classes: np.ndarray, method: Recalibration, folds: int, seed: int
) -> np.ndarray:
    """Out-of-fold recalibrated probabilities: one calibrator per class (one-vs-rest), renormalised.

    Binary models calibrate P(second class) and take the complement, as sklearn's
    ``CalibratedClassifierCV`` does.
    """
    out = np.zeros_like(proba, dtype=float)
    onehot = (np.asarray(y)[:, None] == classes[None, :]).astype(float)
    splitter = StratifiedKFold(folds, shuffle=True, random_state=seed)
    for fit_rows, test_rows in splitter.split(proba, y):
        if len(classes) == 2:
            calibrator = _fit_calibrator(method, proba[fit_rows, 1], onehot[fit_rows, 1])
            p1 = _apply_calibrator(calibrator, proba[test_rows, 1])
            out[test_rows] = np.column_stack([1 - p1, p1])
            continue
        for j in range(len(classes)):
            calibrator = _fit_calibrator(method, proba[fit_rows, j], onehot[fit_rows, j])
            out[test_rows, j] = _apply_calibrator(calibrator, proba[test_rows, j])
        total = out[test_rows].sum(axis=1, keepdims=True)
        out[test_rows] = np.where(total > 0, out[test_rows] / np.where(total > 0, total, 1), 1.0 / len(classes))
    return out


def evaluate_calibration(ctx: EvalContext) -> CalibrationResult:
    classes = _classes(ctx)
    n_bins = ctx.config.calibration_bins
    binary = len(classes) == 2
    p, outcome = calibration_view(ctx, ctx.scores)
    ece, bins = reliability(p, outcome, n_bins)
    brier = brier_score(ctx.scores, ctx.y, classes, ctx.positive_index)
    effect: RecalibrationEffect | None = None
    note: str | None = None
    method = ctx.config.recalibration
    if method is None:
        note = "recalibration not requested"
    else:
        smallest = int(pd.Series(ctx.y).value_counts().min())
        folds = min(ctx.config.recalibration_folds, smallest)
        if folds < 2:
            note = f"recalibration skipped: the rarest class has {smallest} row(s); cross-validation needs 2"
        else:
            recal = recalibrate_out_of_fold(ctx.scores, ctx.y, classes, method, folds, ctx.seed)
            p_after, outcome_after = calibration_view(ctx, recal)
            ece_after, bins_after = reliability(p_after, outcome_after, n_bins)
            effect = RecalibrationEffect(
                method=method,
                folds=folds,
                ece=ece_after,
                brier=brier_score(recal, ctx.y, classes, ctx.positive_index),
                metric_before=finite_or_none(ctx.score(ctx.y, ctx.scores)),
                metric_after=finite_or_none(ctx.score(ctx.y, recal)),
                improved=ece_after < ece,
                bins=bins_after,
            )
    checks = (Check.compare("expected calibration error", ece, "<=", ctx.thresholds.max_ece),)
    return CalibrationResult(
        status=status_of(checks),
        checks=checks,
        kind="positive_class" if binary else "top_label",
        positive_class=str(ctx.positive_class) if binary else None,
        n_bins=n_bins,
        ece=ece,
        brier=brier,
        bins=bins,
        recalibration=effect,
        note=note,
    )

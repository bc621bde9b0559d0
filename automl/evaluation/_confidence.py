"""Confidence: how accurate is the model on the predictions it is sure of?

If the model may abstain (send a case to a person) below a confidence
threshold, the useful questions are how accuracy grows as coverage shrinks,
and which threshold reaches a target accuracy while still answering most
cases. Confidence is the largest class probability.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from automl.evaluation._context import EvalContext
from automl.evaluation._result import Check, Status, status_of


@dataclass(frozen=True)
class CoveragePoint:
    """Predicting only where confidence >= ``threshold``: the share answered and their accuracy."""

    threshold: float
    coverage: float
    accuracy: float
    n: int


@dataclass(frozen=True)
class ConfidenceResult:
    status: Status
    checks: tuple[Check, ...]
    target_accuracy: float
    accuracy_at_full_coverage: float
    threshold_for_target: float | None
    coverage_at_target: float | None
    accuracy_at_target: float | None
    curve: tuple[CoveragePoint, ...]


def coverage_curve(confidence: np.ndarray, correct: np.ndarray, n_points: int = 20) -> tuple[CoveragePoint, ...]:
    """Points at coverages 100%, 95%, ... (ties in confidence can make a point cover more)."""
    n = len(confidence)
    ordered = np.sort(confidence)[::-1]
    points: dict[float, CoveragePoint] = {}
    for share in np.linspace(1.0, 1.0 / n_points, n_points):
        threshold = float(ordered[max(int(np.ceil(share * n)) - 1, 0)])
        if threshold in points:
            continue
        kept = confidence >= threshold
        points[threshold] = CoveragePoint(threshold, float(kept.mean()), float(correct[kept].mean()), int(kept.sum()))
    return tuple(points.values())


def threshold_for_accuracy(confidence: np.ndarray, correct: np.ndarray, target: float) -> tuple[float, float, float] | None:
    """The lowest threshold (largest coverage) whose kept rows reach ``target`` accuracy.

    Only thresholds at observed confidence values count, and rows tied at the
    threshold are all kept, since a threshold cannot split ties.
    Returns (threshold, coverage, accuracy) or ``None`` when no threshold reaches it.
    """
    n = len(confidence)
    order = np.argsort(-confidence, kind="stable")
    sorted_conf = confidence[order]
    running = np.cumsum(correct[order]) / np.arange(1, n + 1)
    boundary = np.r_[sorted_conf[1:] < sorted_conf[:-1], True]  # k rows kept = a full tie group
    reach = np.flatnonzero(boundary & (running >= target - 1e-12))
    if reach.size == 0:
        return None
    k = int(reach[-1])
    return float(sorted_conf[k]), (k + 1) / n, float(running[k])


def evaluate_confidence(ctx: EvalContext) -> ConfidenceResult:
    confidence = ctx.scores.max(axis=1)
    correct = (ctx.labels(ctx.scores) == ctx.y).astype(float)
    target = ctx.config.target_accuracy
    found = threshold_for_accuracy(confidence, correct, target)
    coverage = found[1] if found else None
    checks = (Check.compare(f"coverage at {target:.0%} accuracy", coverage, ">=", ctx.thresholds.min_coverage_at_target),)
    return ConfidenceResult(
        status=status_of(checks),
        checks=checks,
        target_accuracy=target,
        accuracy_at_full_coverage=float(correct.mean()),
        threshold_for_target=found[0] if found else None,
        coverage_at_target=coverage,
        accuracy_at_target=found[2] if found else None,
        curve=coverage_curve(confidence, correct),
    )

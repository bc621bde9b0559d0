"""The promotion gate: does the challenger beat the champion on the same fresh rows, with evidence?

Both models are scored on the same holdout and the same bootstrap resamples, so
the interval of the *difference* reflects how they differ on these rows, not two
independent draws (``automl.evaluation.paired_difference``). Verdicts:

- **PROMOTE**: the whole interval of (challenger - champion) on the primary
  metric lies above the margin, and no check blocks it;
- **REJECT**: the challenger is significantly worse (the whole interval is below
  0), or a check fails hard: a slice or the calibration is worse beyond its
  tolerance with confidence, or an invariance test fails;
- **HOLD**: not enough evidence either way; the decision says roughly how many
  rows would let the observed difference clear the margin.

A check's point estimate beyond its tolerance (without confidence) blocks a
promotion but does not reject: it is a reason to wait for more rows.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from statistics import NormalDist
from typing import Any, Literal

import numpy as np
import pandas as pd

from automl._core import InputError
from automl.evaluation import (
    Bootstrapped,
    Estimate,
    EvalContext,
    Metric,
    ReliabilityBin,
    Resamples,
    bootstrap,
    build_context,
    calibration_view,
    debiased_ece,
    evaluate_invariance,
    paired_difference,
    percentile_interval,
    reliability,
    reported_metrics,
    slice_labels,
    to_jsonable,
)

Verdict = Literal["PROMOTE", "HOLD", "REJECT"]
CheckStatus = Literal["pass", "warn", "fail"]
_SLICE_BINS, _SLICE_MAX_VALUES, _CALIBRATION_BINS = 5, 20, 10


@dataclass(frozen=True)
class GateConfig:
    """The promotion policy.

    Attributes:
        margin: how much better (primary metric units; positive = better for either
            direction) the challenger must be, with confidence.
        confidence: level of the paired bootstrap intervals.
        n_bootstrap: resamples behind every interval.
        slices: columns whose slices must not regress beyond ``max_slice_drop``.
        invariant: columns the challenger's predictions must not depend on.
        max_ece_increase: how much worse the challenger's calibration (ECE) may be.
        max_slice_drop: tolerated loss on a slice, as a share of the champion's score there.
        min_slice_size: smaller slices are shown but not checked (too noisy to judge).
        seed: seeds the resamples and the invariance swaps.
    """

    margin: float = 0.0
    confidence: float = 0.95
    n_bootstrap: int = 1000
    slices: tuple[str, ...] = ()
    invariant: tuple[str, ...] = ()
    max_ece_increase: float = 0.02
    max_slice_drop: float = 0.05
    min_slice_size: int = 30
    seed: int = 0

    def __post_init__(self) -> None:
        if not 0.5 <= self.confidence < 1:
            raise InputError(f"confidence must be in [0.5, 1), got {self.confidence}")
        if self.n_bootstrap < 100:
            raise InputError(f"n_bootstrap must be at least 100 for a usable interval, got {self.n_bootstrap}")
        if self.margin < 0 or self.max_ece_increase < 0 or self.max_slice_drop < 0:
            raise InputError("margin, max_ece_increase and max_slice_drop must not be negative")
        if self.min_slice_size < 1:
            raise InputError(f"min_slice_size must be at least 1, got {self.min_slice_size}")


@dataclass(frozen=True)
class GateCheck:
    """One guard: ``pass``, ``warn`` (blocks a promotion) or ``fail`` (rejects)."""

    name: str
    status: CheckStatus
    detail: str
    value: float | None = None
    limit: float | None = None


@dataclass(frozen=True)
class ModelScores:
    """One model on the holdout: every reported metric with its interval, and its calibration."""

    label: str
    metrics: dict[str, Estimate]
    ece: float | None
    reliability: tuple[ReliabilityBin, ...] = ()


@dataclass(frozen=True)
class SliceComparison:
    column: str
    label: str
    n: int
    champion: float | None
    challenger: float | None
    difference: Estimate  # challenger better by (positive = better)
    status: CheckStatus | Literal["unchecked"]


@dataclass(frozen=True)
class GateDecision:
    """The verdict and all the evidence it rests on."""

    verdict: Verdict
    reasons: tuple[str, ...]
    task: str
    metric: str
    greater_is_better: bool
    n_rows: int
    difference: Estimate  # (challenger - champion) on the primary metric, signed so positive = better
    champion: ModelScores
    challenger: ModelScores
    checks: tuple[GateCheck, ...]
    slices: tuple[SliceComparison, ...]
    rows_needed: int | None
    config: GateConfig

    def to_dict(self) -> dict[str, Any]:
        as_dict: dict[str, Any] = to_jsonable(self)
        return as_dict

    def summary(self) -> str:
        """One line: verdict, the interval against the margin, and the first reason."""
        d = self.difference
        return (
            f"{self.verdict}: challenger better by {_fmt(d.value)} {self.metric} "
            f"[{_fmt(d.ci_low)}, {_fmt(d.ci_high)}] at {self.config.confidence:.0%} (margin {self.config.margin:g}); "
            f"{self.reasons[0]}"
        )


def compare(
    champion: Any,
    challenger: Any,
    X: pd.DataFrame,
    y: Any,
    config: GateConfig = GateConfig(),
    *,
    task: str | None = None,
    metric: str | None = None,
    labels: tuple[str, str] = ("champion", "challenger"),
) -> GateDecision:
    """Score both fitted models on ``(X, y)`` and decide PROMOTE / HOLD / REJECT.

    Raises:
        InputError: columns missing for either model, labels a model never saw, models
            predicting different classes, or a slice/invariant column that is not in ``X``.

    Example:
        >>> decision = compare(old_model, new_model, X_holdout, y_holdout, GateConfig(margin=0.005))  # doctest: +SKIP
        >>> decision.verdict  # doctest: +SKIP
        'PROMOTE'
    """
    base = build_context(champion, X, y, task=task, metric=metric, seed=config.seed)
    other = build_context(challenger, X, y, task=base.task, metric=base.metric.name, seed=config.seed)
    _check_same_classes(base, other)
    _check_columns(base.X, config)
    resamples = Resamples.draw(len(base.y), config.n_bootstrap, base.rng("gate/bootstrap"))
    metrics = reported_metrics(base)
    runs = [{m.name: _bootstrap(ctx, m, resamples) for m in metrics} for ctx in (base, other)]
    primary = base.metric
    difference = paired_difference(runs[1][primary.name], runs[0][primary.name], config.confidence, primary.greater_is_better)
    scores = [_scores(label, ctx, run, config) for label, ctx, run in zip(labels, (base, other), runs, strict=True)]
    slices = tuple(_slices(base, other, config))
    checks = (
        *_slice_checks(slices, config),
        *_calibration_check(base, other, resamples, config),
        *_invariance_checks(other, config),
    )
    verdict, reasons = _verdict(difference, checks, config)
    return GateDecision(
        verdict=verdict,
        reasons=reasons,
        task=base.task,
        metric=primary.name,
        greater_is_better=primary.greater_is_better,
        n_rows=len(base.y),
        difference=difference,
        champion=scores[0],
        challenger=scores[1],
        checks=checks,
        slices=slices,
        rows_needed=_rows_needed(difference, len(base.y), config) if verdict == "HOLD" else None,
        config=config,
    )


def _bootstrap(ctx: EvalContext, metric: Metric, resamples: Resamples) -> Bootstrapped:
    return bootstrap(metric, lambda y, s: ctx.score(y, s, metric), ctx.y, ctx.truth, ctx.scores, resamples)


def _scores(label: str, ctx: EvalContext, runs: dict[str, Bootstrapped], config: GateConfig) -> ModelScores:
    estimates = {name: run.estimate(config.confidence) for name, run in runs.items()}
    if ctx.classes is None:
        return ModelScores(label, estimates, None)
    ece, bins = reliability(*calibration_view(ctx, ctx.scores), _CALIBRATION_BINS)
    return ModelScores(label, estimates, ece, bins)


def _check_same_classes(base: EvalContext, other: EvalContext) -> None:
    if base.classes is None or other.classes is None:
        return
    if not np.array_equal(base.classes, other.classes):
        raise InputError(
            f"champion and challenger predict different classes ({', '.join(map(str, base.classes))} vs "
            f"{', '.join(map(str, other.classes))}); they cannot be compared on the same rows"
        )


def _check_columns(X: pd.DataFrame, config: GateConfig) -> None:
    present = [str(c) for c in X.columns]
    for role, columns in (("slice", config.slices), ("invariant", config.invariant)):
        missing = [c for c in columns if c not in present]
        if missing:
            raise InputError(f"{role} column(s) not in the holdout: {', '.join(missing)}")


def _slices(base: EvalContext, other: EvalContext, config: GateConfig) -> list[SliceComparison]:
    """Per slice: both scores and the paired interval of the difference."""
    out: list[SliceComparison] = []
    for column in config.slices:
        row_labels, order, _ = slice_labels(base.X[column], _SLICE_BINS, _SLICE_MAX_VALUES)
        for label in order:
            rows = np.flatnonzero(row_labels == label)
            if rows.size == 0:
                continue
            resamples = Resamples.draw(rows.size, config.n_bootstrap, base.rng(f"gate/slices/{column}/{label}"))
            a = bootstrap(base.metric, base.score, base.y[rows], base.truth[rows], base.scores[rows], resamples)
            b = bootstrap(base.metric, base.score, base.y[rows], base.truth[rows], other.scores[rows], resamples)
            diff = paired_difference(b, a, config.confidence, base.metric.greater_is_better)
            status = _slice_status(diff, a.value, rows.size, config)
            out.append(SliceComparison(column, str(label), int(rows.size), _finite(a.value), _finite(b.value), diff, status))
    return out


def _slice_status(diff: Estimate, champion_score: float, n: int, config: GateConfig) -> CheckStatus | Literal["unchecked"]:
    if n < config.min_slice_size or diff.value is None or diff.ci_high is None or not np.isfinite(champion_score):
        return "unchecked"
    return _degradation_status(-diff.value, -diff.ci_high, config.max_slice_drop * abs(champion_score))


def _slice_checks(slices: Sequence[SliceComparison], config: GateConfig) -> list[GateCheck]:
    checks = []
    for s in slices:
        if s.status in ("warn", "fail"):
            worse = "significantly " if s.status == "fail" else ""
            checks.append(
                GateCheck(
                    f"slice {s.column}={s.label}",
                    s.status,
                    f"{worse}worse by {_fmt(-(s.difference.value or 0.0))} (n={s.n}; "
                    f"tolerance {config.max_slice_drop:.0%} of the champion's {_fmt(s.champion)})",
                    s.difference.value,
                    -config.max_slice_drop * abs(s.champion or 0.0),
                )
            )
    if config.slices and not checks:
        checked = sum(s.status != "unchecked" for s in slices)
        checks.append(GateCheck("slices", "pass", f"no slice of {checked} checked regresses beyond tolerance"))
    return checks


def _calibration_check(base: EvalContext, other: EvalContext, resamples: Resamples, config: GateConfig) -> list[GateCheck]:
    """Increase of the challenger's (bias-corrected) ECE over the champion's, on the same resamples."""
    if base.classes is None:
        return []
    points, samples = [], []
    for ctx in (base, other):
        p, outcome = calibration_view(ctx, ctx.scores)
        points.append(float(debiased_ece(p, outcome, _CALIBRATION_BINS)[0]))
        samples.append(debiased_ece(p, outcome, _CALIBRATION_BINS, resamples.weights))
    increase = points[1] - points[0]
    low, _ = percentile_interval(samples[1] - samples[0], config.confidence)
    status = _degradation_status(increase, low, config.max_ece_increase)
    detail = (
        f"bias-corrected ECE {points[0]:.4f} -> {points[1]:.4f} (increase {increase:+.4f}, "
        f"lower bound {_fmt(low)}, tolerance {config.max_ece_increase:g})"
    )
    return [GateCheck("calibration", status, detail, increase, config.max_ece_increase)]


def _degradation_status(amount: float, lower_bound: float | None, tolerance: float) -> CheckStatus:
    """``fail`` when even the interval's lower bound is beyond ``tolerance`` (confidently worse by more
    than tolerated); ``warn`` when the estimate is beyond it and the loss is significant; else ``pass``."""
    if lower_bound is not None and lower_bound > tolerance:
        return "fail"
    if lower_bound is not None and lower_bound > 0 and amount > tolerance:
        return "warn"
    return "pass"


def _invariance_checks(ctx: EvalContext, config: GateConfig) -> list[GateCheck]:
    if not config.invariant:
        return []
    result = evaluate_invariance(ctx, tuple(config.invariant))
    return [
        GateCheck(
            f"invariance {c.column}",
            "pass" if c.passed else "fail",
            f"{c.changed_rate:.2%} of predictions changed when '{c.column}' was swapped "
            f"(mean score change {c.mean_abs_change:.4g})",
            c.changed_rate,
            ctx.thresholds.max_invariance_change_rate,
        )
        for c in result.columns
    ]


def _verdict(difference: Estimate, checks: Sequence[GateCheck], config: GateConfig) -> tuple[Verdict, tuple[str, ...]]:
    failed = [f"{c.name}: {c.detail}" for c in checks if c.status == "fail"]
    warned = [f"{c.name}: {c.detail}" for c in checks if c.status == "warn"]
    low, high = difference.ci_low, difference.ci_high
    if high is not None and high < 0:
        return "REJECT", (f"the challenger is significantly worse (interval entirely below 0, upper bound {_fmt(high)})", *failed)
    if failed:
        return "REJECT", tuple(failed)
    if low is not None and low > config.margin:
        if warned:
            return "HOLD", ("the challenger is better, but a check blocks the promotion", *warned)
        return "PROMOTE", (f"the whole interval lies above the margin {config.margin:g} (lower bound {_fmt(low)})",)
    return "HOLD", (
        f"not enough evidence: the interval [{_fmt(low)}, {_fmt(high)}] does not lie above the margin {config.margin:g}",
        *warned,
    )


def _rows_needed(difference: Estimate, n: int, config: GateConfig) -> int | None:
    """Rows for the interval's lower bound to clear the margin if the observed difference held.

    The interval half-width shrinks like 1/sqrt(n); ``None`` when the observed difference
    itself does not exceed the margin (more rows would not help), or when the interval already
    clears it (the hold is a check's, not the evidence's).
    """
    value, low, high = difference.value, difference.ci_low, difference.ci_high
    if value is None or low is None or high is None or value <= config.margin or low > config.margin:
        return None
    z = NormalDist().inv_cdf(1 - (1 - config.confidence) / 2)
    se = (high - low) / (2 * z)
    if se <= 0:
        return None
    return int(np.ceil(n * (z * se / (value - config.margin)) ** 2))


def _finite(value: float) -> float | None:
    return float(value) if np.isfinite(value) else None


def _fmt(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.4g}"

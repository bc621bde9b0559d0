"""What the evaluation computes (``EvaluationConfig``) and what it must reach (``EvaluationThresholds``).

The two are separate on purpose: the config changes how much work is done and
how numbers are estimated; the thresholds are a policy. A champion/challenger
gate can then swap the policy without touching how the numbers are made.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

from automl._core import InputError

Recalibration = Literal["isotonic", "sigmoid"]
Direction = Literal["+", "-"]
_DIRECTIONS: dict[str, Direction] = {"+": "+", "-": "-", "1": "+", "+1": "+", "-1": "-"}


def _check_range(name: str, value: float, low: float, high: float, *, low_open: bool = False) -> None:
    bad = not isinstance(value, (int, float)) or math.isnan(value) or value > high or (value <= low if low_open else value < low)
    if bad:
        bracket = "(" if low_open else "["
        raise InputError(f"{name}={value!r} is out of range; expected a number in {bracket}{low}, {high}]")


@dataclass(frozen=True)
class EvaluationConfig:
    """How the report's numbers are computed. Every field has a cheap, sensible default.

    Attributes:
        n_bootstrap: resamples behind every confidence interval (paired across models).
        confidence_level: coverage of the bootstrap percentile intervals.
        noise_levels: perturbation strengths. For numeric columns the Gaussian noise
            standard deviation as a multiple of each column's spread (IQR / 1.349, which
            is the standard deviation for normal data and is not inflated by outliers;
            the standard deviation when the IQR is 0); for categorical columns the
            probability that a cell is swapped.
        directional_step: how far a directional column is increased, in units of that spread.
        invariance_tolerance: for regression, a prediction counts as changed when it moves by
            more than this many standard deviations of ``y`` (labels are compared exactly).
        calibration_bins: equal-width bins of the reliability diagram and of the ECE.
        recalibration: ``"isotonic"``, ``"sigmoid"`` or ``None`` (no recalibration study).
        recalibration_folds: cross-validation folds on the evaluation data for recalibration.
        threshold: decision threshold on P(positive class) for the binary trade-offs.
        positive_class: the class whose probability is "the score" (binary trade-offs,
            calibration and directional tests); default: the last of the sorted classes.
        target_accuracy: the accuracy the confidence section looks for a threshold to reach.
        slice_bins: quantile bins for numeric slice columns with many values.
        slice_max_values: slice columns with more distinct values are binned (numeric) or
            keep their most frequent values and pool the rest as ``"other"`` (categorical).
        learning_curve_fractions: fractions of the training data the clone is refit on.
        learning_curve_min_gain: a last-step gain larger than this share of the model's
            skill over the zero-rule baseline counts as "more data likely helps".
        heuristic_folds: folds for the out-of-fold heuristic baselines (without training data).
        importance_repeats: permutations per feature for permutation importance.
        importance_max_rows: rows (sampled) used for permutation importance.
        latency_rows: rows per latency measurement; ``latency_repeats`` timed runs (median kept).
        max_examples: violating rows listed per directional column.
    """

    n_bootstrap: int = 200
    confidence_level: float = 0.95
    noise_levels: tuple[float, ...] = (0.05, 0.1, 0.2, 0.5, 1.0)
    directional_step: float = 0.5
    invariance_tolerance: float = 0.01
    calibration_bins: int = 10
    recalibration: Recalibration | None = "isotonic"
    recalibration_folds: int = 5
    threshold: float = 0.5
    positive_class: Any = None
    target_accuracy: float = 0.9
    slice_bins: int = 5
    slice_max_values: int = 20
    learning_curve_fractions: tuple[float, ...] = (0.1, 0.25, 0.5, 0.75, 1.0)
    learning_curve_min_gain: float = 0.01
    heuristic_folds: int = 5
    importance_repeats: int = 5
    importance_max_rows: int = 2000
    latency_rows: int = 1000
    latency_repeats: int = 3
    max_examples: int = 5

    def __post_init__(self) -> None:
        for name in (
            "n_bootstrap",
            "calibration_bins",
            "slice_bins",
            "slice_max_values",
            "importance_repeats",
            "importance_max_rows",
            "latency_rows",
            "latency_repeats",
        ):
            value = getattr(self, name)
            if not isinstance(value, int) or isinstance(value, bool) or value < 1:
                raise InputError(f"{name}={value!r} must be a positive integer")
        for name in ("heuristic_folds", "recalibration_folds"):
            if not isinstance(getattr(self, name), int) or getattr(self, name) < 2:
                raise InputError(f"{name}={getattr(self, name)!r} must be an integer >= 2")
        if not isinstance(self.max_examples, int) or self.max_examples < 0:
            raise InputError(f"max_examples={self.max_examples!r} must be an integer >= 0")
        _check_range("confidence_level", self.confidence_level, 0.0, 1.0, low_open=True)
        _check_range("threshold", self.threshold, 0.0, 1.0)
        _check_range("target_accuracy", self.target_accuracy, 0.0, 1.0)
        _check_range("directional_step", self.directional_step, 0.0, math.inf, low_open=True)
        _check_range("invariance_tolerance", self.invariance_tolerance, 0.0, math.inf)
        _check_range("learning_curve_min_gain", self.learning_curve_min_gain, 0.0, math.inf)
        if not self.noise_levels:
            raise InputError("noise_levels is empty; give at least one perturbation level")
        for level in self.noise_levels:
            _check_range("noise level", level, 0.0, math.inf, low_open=True)
        if not self.learning_curve_fractions:
            raise InputError("learning_curve_fractions is empty; give at least one fraction")
        for fraction in self.learning_curve_fractions:
            _check_range("learning curve fraction", fraction, 0.0, 1.0, low_open=True)
        if self.recalibration not in (None, "isotonic", "sigmoid"):
            raise InputError(f"recalibration={self.recalibration!r} is not supported; use 'isotonic', 'sigmoid' or None")


@dataclass(frozen=True)
class EvaluationThresholds:
    """The policy: what every check must reach. Defaults suit a first look, not a release.

    Attributes:
        must_beat: baselines the model must beat on the primary metric (absent ones are
            ignored, e.g. ``"champion"`` without ``--against``). Known names: ``random``,
            ``zero_rule``, ``one_feature_rule``, ``linear``, ``champion``.
        min_margin: the model must be better than each of those by more than this (metric units).
        perturbation_level: the noise level whose drop is checked (added to the levels if absent).
        max_relative_drop: at that level, the largest share of the model's skill over the
            zero-rule baseline that noise may take away.
        max_invariance_change_rate: largest share of rows whose prediction may change when an
            invariant column is changed.
        max_invariance_score_change: largest mean absolute change of the scores (probabilities;
            for regression in standard deviations of ``y``).
        max_directional_violation_rate: largest share of rows violating a directional expectation.
        max_ece: largest expected calibration error.
        min_coverage_at_target: the confidence threshold reaching ``target_accuracy`` must still
            cover at least this share of rows.
        min_slice_size: slices smaller than this are reported but never flagged.
        max_flagged_slices: how many significantly worse slices are tolerated.
        max_latency_ms_per_1000: largest predict latency per 1,000 rows (``None``: not checked).
        max_model_bytes: largest pickled model size (``None``: not checked).
    """

    must_beat: tuple[str, ...] = ("random", "zero_rule", "champion")
    min_margin: float = 0.0
    perturbation_level: float = 0.1
    max_relative_drop: float = 0.25
    max_invariance_change_rate: float = 0.01
    max_invariance_score_change: float = 0.01
    max_directional_violation_rate: float = 0.05
    max_ece: float = 0.05
    min_coverage_at_target: float = 0.1
    min_slice_size: int = 30
    max_flagged_slices: int = 0
    max_latency_ms_per_1000: float | None = None
    max_model_bytes: int | None = None

    def __post_init__(self) -> None:
        _check_range("min_margin", self.min_margin, 0.0, math.inf)
        _check_range("perturbation_level", self.perturbation_level, 0.0, math.inf, low_open=True)
        for name in ("max_relative_drop", "max_invariance_score_change"):
            _check_range(name, getattr(self, name), 0.0, math.inf)
        for name in ("max_invariance_change_rate", "max_directional_violation_rate", "max_ece", "min_coverage_at_target"):
            _check_range(name, getattr(self, name), 0.0, 1.0)
        if self.min_slice_size < 1 or self.max_flagged_slices < 0:
            raise InputError("min_slice_size must be >= 1 and max_flagged_slices >= 0")


def parse_columns(spec: str | None) -> tuple[str, ...]:
    """``"a, b,c"`` -> ``("a", "b", "c")``; empty entries are dropped."""
    if not spec:
        return ()
    return tuple(part.strip() for part in spec.split(",") if part.strip())


def parse_directional(spec: str | Mapping[str, Any] | None) -> dict[str, Direction]:
    """Read ``"col:+,other:-"`` (or a mapping to ``"+"``/``"-"``/``1``/``-1``) into ``{col: "+"|"-"}``.

    Raises:
        InputError: an entry is not ``COLUMN:+`` or ``COLUMN:-``.

    Example:
        >>> parse_directional("income:+,debt:-")
        {'income': '+', 'debt': '-'}
    """
    if spec is None:
        return {}
    items: list[tuple[str, Any]]
    if isinstance(spec, str):
        items = []
        for entry in (e.strip() for e in spec.split(",")):
            if not entry:
                continue
            column, sep, sign = entry.rpartition(":")
            if not sep or not column.strip():
                raise InputError(f"malformed --directional entry '{entry}': expected COLUMN:+ or COLUMN:-")
            items.append((column.strip(), sign.strip()))
    else:
        items = list(spec.items())
    out: dict[str, Direction] = {}
    for column, sign in items:
        normalised = _DIRECTIONS.get(str(sign).strip())
        if normalised is None:
            raise InputError(f"malformed --directional entry '{column}:{sign}': the direction must be + or -")
        out[str(column)] = normalised
    return out

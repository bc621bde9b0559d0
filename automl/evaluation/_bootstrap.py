"""Bootstrap percentile intervals, paired across the models compared.

One matrix of resample indices is drawn per data set and reused for every
model, so the interval of a *difference* between two models reflects only
how they differ on the same rows, not two independent draws.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from automl.evaluation._result import Estimate, finite_or_none

ScoreFn = Callable[[np.ndarray, np.ndarray], float]


def resample_indices(n: int, n_bootstrap: int, rng: np.random.Generator) -> np.ndarray:
    """``(n_bootstrap, n)`` row indices drawn with replacement."""
    return rng.integers(0, n, size=(n_bootstrap, n))


@dataclass(frozen=True)
class Bootstrapped:
    """A score on all rows and on each resample (NaN where a resample cannot be scored)."""

    value: float
    samples: np.ndarray

    def estimate(self, level: float) -> Estimate:
        low, high = percentile_interval(self.samples, level)
        return Estimate(finite_or_none(self.value), low, high)


def bootstrap(score: ScoreFn, y: np.ndarray, pred: np.ndarray, indices: np.ndarray) -> Bootstrapped:
    """Score ``pred`` on all rows and on every resample in ``indices``."""
    samples = np.array([score(y[i], pred[i]) for i in indices], dtype=float)
    return Bootstrapped(float(score(y, pred)), samples)


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

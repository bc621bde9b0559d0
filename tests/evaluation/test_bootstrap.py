"""The weighted (all-resamples-at-once) metric forms equal the metric table on each resample."""

from __future__ import annotations

import numpy as np
import pytest

from automl.evaluation import get_metric, metric_names
from automl.evaluation._bootstrap import Bootstrapped, Resamples, bootstrap, paired_difference, weighted_scores
from automl.evaluation._metrics import _METRICS


def _data(task: str, rng: np.random.Generator, n: int = 200) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray | None]:
    """(labels, truth for the weighted form, predictions, classes)."""
    if task == "regression":
        y = rng.normal(size=n)
        return y, y, y + rng.normal(size=n), None
    k = 2 if task == "binary" else 3
    proba = rng.dirichlet(np.ones(k), size=n)
    proba[:40] = np.round(proba[:40], 1)  # ties in the scores
    proba /= proba.sum(axis=1, keepdims=True)
    codes = rng.integers(0, k, size=n)
    classes = np.array(["ant", "bee", "cat"][:k], dtype=object)
    return classes[codes], codes, proba, classes


@pytest.mark.parametrize(("name", "task"), [(m, t) for m in metric_names() for t in _METRICS[m].tasks])
def test_weighted_form_equals_the_metric_table(name: str, task: str) -> None:
    rng = np.random.default_rng(0)
    y, truth, pred, classes = _data(task, rng)
    metric = get_metric(name, task)  # type: ignore[arg-type]
    resamples = Resamples.draw(len(y), 25, rng)
    fast = weighted_scores(metric, truth, pred, resamples.weights)
    assert fast is not None
    slow = np.array([metric.score(y[i], pred[i], classes) for i in resamples.indices])
    np.testing.assert_allclose(fast, slow, rtol=1e-10, atol=1e-12)


def test_roc_auc_of_a_single_class_resample_is_nan_not_an_error() -> None:
    metric = get_metric("roc_auc", "binary")
    codes = np.array([0, 0, 1, 1])
    proba = np.array([[0.9, 0.1], [0.6, 0.4], [0.3, 0.7], [0.2, 0.8]])
    weights = np.array([[2.0, 2.0, 0.0, 0.0], [1.0, 1.0, 1.0, 1.0]])
    scores = weighted_scores(metric, codes, proba, weights)
    assert scores is not None and np.isnan(scores[0]) and scores[1] == 1.0


def test_bootstrap_interval_brackets_the_estimate_and_difference_is_paired() -> None:
    rng = np.random.default_rng(1)
    metric = get_metric("rmse", "regression")
    y = rng.normal(size=300)
    good, bad = y + 0.1 * rng.normal(size=300), y + rng.normal(size=300)
    resamples = Resamples.draw(300, 200, rng)
    a = bootstrap(metric, lambda t, p: metric.score(t, p), y, y, good, resamples)
    b = bootstrap(metric, lambda t, p: metric.score(t, p), y, y, bad, resamples)
    estimate = a.estimate(0.95)
    assert estimate.ci_low < estimate.value < estimate.ci_high  # type: ignore[operator]
    diff = paired_difference(a, b, 0.95, greater_is_better=False)
    assert diff.value == pytest.approx(b.value - a.value) and diff.ci_low > 0  # type: ignore[operator]


def test_an_unscorable_sample_set_gives_no_interval() -> None:
    empty = Bootstrapped(float("nan"), np.array([np.nan, np.nan]))
    estimate = empty.estimate(0.95)
    assert estimate.value is None and estimate.ci_low is None and estimate.ci_high is None

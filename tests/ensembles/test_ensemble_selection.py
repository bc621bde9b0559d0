"""Greedy ensemble selection on out-of-fold arrays (automl/ensembles/_selection.py)."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.datasets import make_classification, make_regression
from sklearn.linear_model import LogisticRegression, Ridge
from sklearn.model_selection import cross_val_predict
from sklearn.naive_bayes import GaussianNB
from sklearn.tree import DecisionTreeClassifier, DecisionTreeRegressor

from automl._core import InputError
from automl.ensembles import greedy_selection
from automl.ensembles._selection import _FAST, _fast_path
from automl.evaluation import get_metric, metric_names


@pytest.fixture(scope="module")
def binary_oof() -> tuple[list[np.ndarray], np.ndarray]:
    X, y = make_classification(n_samples=400, n_features=10, n_informative=5, random_state=0)
    members = [
        LogisticRegression(max_iter=500),
        DecisionTreeClassifier(max_depth=3, random_state=0),
        DecisionTreeClassifier(max_depth=8, random_state=1),
        GaussianNB(),
    ]
    return [cross_val_predict(m, X, y, cv=5, method="predict_proba") for m in members], y


@pytest.mark.parametrize("name", ["roc_auc", "log_loss", "accuracy", "f1"])
def test_greedy_selection_beats_best_single_and_weights_sum_to_one(binary_oof, name) -> None:
    """Four complementary members: on each metric a mix of at least two of them scores strictly
    better out of fold than the best one alone, and the reported score is that mix's real score."""
    oof, y = binary_oof
    classes = np.array([0, 1])
    metric = get_metric(name, "binary")
    result = greedy_selection(oof, y, metric, classes, max_rounds=20)
    singles = [metric.score(y, p, classes) for p in oof]
    best = max(range(len(oof)), key=lambda i: singles[i] if metric.greater_is_better else -singles[i])
    assert (result.best_single_index, result.best_single_score) == (best, pytest.approx(singles[best]))
    assert result.weights.shape == (len(oof),) and result.weights.min() >= 0
    assert result.weights.sum() == pytest.approx(1.0)
    assert np.count_nonzero(result.weights) >= 2
    mixed = metric.score(y, sum(w * p for w, p in zip(result.weights, oof, strict=True)), classes)
    assert result.score == pytest.approx(mixed, rel=1e-9), "the reported score must be the chosen weights' score"
    assert metric.better(result.score, result.best_single_score), (result.score, result.best_single_score)
    assert len(result.history) == 21 and result.history[0] == pytest.approx(singles[best])


def test_greedy_selection_ignores_a_noise_member(binary_oof) -> None:
    oof, y = binary_oof
    rng = np.random.default_rng(0)
    noise = rng.dirichlet([1.0, 1.0], size=len(y))
    result = greedy_selection([noise, oof[0]], y, get_metric("log_loss", "binary"))
    assert result.best_single_index == 1
    assert result.weights[1] >= 0.9  # a little noise may soften over-confident probabilities


def test_greedy_selection_regression_prefers_the_accurate_member() -> None:
    X, y = make_regression(n_samples=300, n_features=6, noise=5.0, random_state=0)
    good = cross_val_predict(Ridge(), X, y, cv=5)
    tree = cross_val_predict(DecisionTreeRegressor(max_depth=3, random_state=0), X, y, cv=5)
    result = greedy_selection([tree, good], y, get_metric("rmse", "regression"))
    assert result.best_single_index == 1
    assert result.weights[1] > 0.5
    assert result.score <= result.best_single_score


def test_greedy_selection_masks_rows_missing_in_any_member(binary_oof) -> None:
    oof, y = binary_oof
    holdout = [p.copy() for p in oof]
    for p in holdout:
        p[:150] = np.nan  # a holdout search predicts only the holdout rows
    holdout[2][160] = np.nan  # one member also misses one more row
    metric = get_metric("roc_auc", "binary")
    masked = greedy_selection(holdout, y, metric, max_rounds=10)
    keep = np.r_[150:160, 161 : len(y)]
    direct = greedy_selection([p[keep] for p in oof], y[keep], metric, max_rounds=10)
    np.testing.assert_array_equal(masked.weights, direct.weights)
    assert masked.score == pytest.approx(direct.score)


def test_greedy_selection_rejects_all_nan_rows(binary_oof) -> None:
    oof, y = binary_oof
    with pytest.raises(InputError, match="no row has a finite"):
        greedy_selection([np.full_like(oof[0], np.nan), oof[1]], y, get_metric("roc_auc", "binary"))


def test_greedy_selection_is_deterministic_and_breaks_ties_by_lowest_index(binary_oof) -> None:
    oof, y = binary_oof
    metric = get_metric("log_loss", "binary")
    a = greedy_selection(oof, y, metric, seed=1)
    b = greedy_selection(oof, y, metric, seed=2)
    np.testing.assert_array_equal(a.weights, b.weights)
    assert a.history == b.history
    twins = greedy_selection([oof[0], oof[0].copy()], y, metric, max_rounds=5)
    assert twins.weights.tolist() == [1.0, 0.0]


def test_greedy_selection_starts_from_init_size_best_members(binary_oof) -> None:
    oof, y = binary_oof
    result = greedy_selection(oof, y, get_metric("roc_auc", "binary"), init_size=3, max_rounds=0)
    assert np.count_nonzero(result.weights) == 3
    assert result.history[0] == pytest.approx(result.score)


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [({"init_size": 0}, "init_size=0"), ({"max_rounds": -1}, "max_rounds"), ({"gain_share": 1.5}, "gain_share")],
)
def test_greedy_selection_rejects_bad_settings(binary_oof, kwargs, match) -> None:
    oof, y = binary_oof
    with pytest.raises(InputError, match=match):
        greedy_selection(oof, y, get_metric("roc_auc", "binary"), **kwargs)


def test_greedy_selection_rejects_mismatched_classes(binary_oof) -> None:
    oof, y = binary_oof
    with pytest.raises(InputError, match="3 classes"):
        greedy_selection(oof, y, get_metric("roc_auc", "binary"), classes=[0, 1, 2])


def _random_predictions(task: str, rng: np.random.Generator) -> tuple[np.ndarray, list[np.ndarray], np.ndarray | None]:
    n = 500
    if task == "regression":
        y = rng.normal(size=n)
        return y, [y + rng.normal(size=n), np.round(y + rng.normal(size=n), 0)], None
    classes = np.array(["a", "b"] if task == "binary" else ["a", "b", "c"])
    y = classes[rng.integers(0, len(classes), n)]
    smooth = rng.dirichlet(np.ones(len(classes)), size=n)
    tied = np.round(smooth, 1)  # many ties, as from shallow trees
    tied /= tied.sum(axis=1, keepdims=True)
    return y, [smooth, tied], classes


def _metric_cases() -> list[tuple[str, str]]:
    cases = []
    for name in metric_names():
        for task in ("binary", "multiclass", "regression"):
            try:
                get_metric(name, task)
            except InputError:
                continue
            cases.append((name, task))
    return cases


@pytest.mark.parametrize(("name", "task"), _metric_cases())
def test_fast_metrics_agree_with_metric_score(name, task) -> None:
    metric = get_metric(name, task)
    y, preds, classes = _random_predictions(task, np.random.default_rng(0))
    fast = _fast_path(metric, y, classes, preds[0])
    assert "reference" not in fast.score.__qualname__, "the fast twin was rejected"
    for pred in preds:
        assert fast.score(fast.project(pred)) == pytest.approx(metric.score(y, pred, classes), rel=1e-9)


def test_every_builtin_metric_has_a_fast_twin() -> None:
    assert set(_FAST) == set(metric_names())


def test_greedy_selection_adds_no_member_past_the_size_budget(binary_oof) -> None:
    """Sizes make a member unaffordable: it is never chosen, the best member is kept whatever its
    own size, and without the budget the same data does choose it (so the budget is what kept it out)."""
    oof, y = binary_oof
    metric = get_metric("log_loss", "binary")
    free = greedy_selection(oof, y, metric, max_rounds=20)
    best = free.best_single_index
    chosen = [i for i in np.flatnonzero(free.weights) if i != best]
    assert chosen, "the data must make an ensemble worth having"
    sizes = [100.0] * len(oof)
    sizes[chosen[0]] = 1_000.0
    sizes[best] = 150.0
    limited = greedy_selection(oof, y, metric, max_rounds=20, sizes=sizes, max_size=300.0)
    assert limited.weights[chosen[0]] == 0
    assert limited.weights[best] > 0
    assert sum(s for s, w in zip(sizes, limited.weights, strict=True) if w > 0) <= 300.0
    alone = greedy_selection(oof, y, metric, max_rounds=20, sizes=[1e9] * len(oof), max_size=1.0)
    assert np.flatnonzero(alone.weights).tolist() == [best]


def test_greedy_selection_wants_one_size_per_member(binary_oof) -> None:
    oof, y = binary_oof
    with pytest.raises(InputError, match="sizes has 1 entries for 4 members"):
        greedy_selection(oof, y, get_metric("roc_auc", "binary"), sizes=[1.0], max_size=1.0)


def test_greedy_selection_with_a_gain_share_stops_at_the_earliest_round_that_has_it() -> None:
    """Two good members and three poor ones: the last rounds' small gains bring in a poor member
    that a 99 % gain share leaves out, and the chosen round still has 99 % of the best round's gain."""
    rng = np.random.default_rng(2)
    y = rng.normal(size=500)
    oof = [y + rng.normal(scale=s, size=500) for s in (0.5, 0.55, 2.0, 3.0, 4.0)]
    metric = get_metric("rmse", "regression")
    best = greedy_selection(oof, y, metric)
    share = greedy_selection(oof, y, metric, gain_share=0.99)
    assert (share.weights > 0).sum() < (best.weights > 0).sum()
    start = best.history[0]
    assert start - share.score >= 0.99 * (start - best.score) - 1e-12 and share.score >= best.score
    assert greedy_selection(oof, y, metric, gain_share=1.0).weights.tolist() == best.weights.tolist()

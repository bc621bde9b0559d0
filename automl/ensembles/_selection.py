"""Greedy ensemble selection on out-of-fold predictions (Caruana et al., 2004).

Selection scores thousands of candidate averages (members x rounds), so the
built-in metrics get vectorised twins here that reuse everything that depends
only on ``y``. Each twin is checked once against ``Metric.score`` on real data
and dropped (with a warning) if they disagree; the reported scores always come
from ``Metric.score`` itself.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from sklearn.model_selection import KFold, StratifiedKFold

from automl._core import InputError
from automl.evaluation import Metric, get_metric

logger = logging.getLogger(__name__)

Scorer = Callable[[np.ndarray], float]


@dataclass(frozen=True, eq=False)
class SelectionResult:
    """What greedy selection chose and how well it scored out of fold.

    ``weights`` has one entry per input member and sums to 1. ``history[0]`` is
    the score of the initial ensemble and ``history[i]`` the score after the
    i-th greedy addition; ``score`` is the best of them, recomputed with
    ``Metric.score``.
    """

    weights: np.ndarray
    score: float
    best_single_index: int
    best_single_score: float
    history: tuple[float, ...]


@dataclass(frozen=True, eq=False)
class OOF:
    """Out-of-fold predictions restricted to the rows every member predicted."""

    preds: list[np.ndarray]
    y: np.ndarray
    classes: np.ndarray | None
    mask: np.ndarray


def check_oof(oof: Sequence[np.ndarray], y: object, classes: object = None) -> OOF:
    """Validate OOF arrays against ``y`` and drop rows that any member left NaN.

    A search scored on a holdout leaves the other rows NaN in every trial, so
    only rows that every member predicted can be compared fairly. For
    classification (2-D arrays) ``classes`` orders the columns; when omitted it
    is ``np.unique(y)``.

    Raises:
        InputError: empty or mismatched arrays, labels outside ``classes``, or no
            row predicted by every member.
    """
    arrays = [np.asarray(a, dtype=np.float64) for a in oof]
    y_arr = np.asarray(y)
    if not arrays:
        raise InputError("oof is empty; pass at least one member's out-of-fold predictions")
    shape = arrays[0].shape
    bad = [i for i, a in enumerate(arrays) if a.shape != shape]
    if bad:
        raise InputError(
            f"oof arrays must share one shape; member 0 has {shape} but members {bad} differ "
            f"(e.g. {arrays[bad[0]].shape}); compute all OOF predictions on the same rows and classes"
        )
    if len(shape) not in (1, 2) or shape[0] != len(y_arr):
        raise InputError(
            f"oof arrays have shape {shape} but y has {len(y_arr)} rows; "
            "pass (n_rows,) for regression or (n_rows, n_classes) for classification"
        )
    class_arr = _check_classes(y_arr, classes, shape)
    finite = np.ones(shape[0], dtype=bool)
    for a in arrays:
        finite &= np.isfinite(a) if a.ndim == 1 else np.isfinite(a).all(axis=1)
    if not finite.any():
        raise InputError("no row has a finite out-of-fold prediction in every member; drop members that are all NaN")
    if not finite.all():
        arrays = [a[finite] for a in arrays]
    return OOF(arrays, y_arr[finite], class_arr, finite)


def _check_classes(y: np.ndarray, classes: object, shape: tuple[int, ...]) -> np.ndarray | None:
    if len(shape) == 1:
        if classes is not None:
            raise InputError(
                "classes was given but the oof arrays are 1-D; classification OOF must be (n_rows, n_classes) probabilities"
            )
        return None
    class_arr = np.unique(y) if classes is None else np.asarray(classes)
    if len(class_arr) != shape[1]:
        raise InputError(
            f"oof arrays have {shape[1]} columns but there are {len(class_arr)} classes "
            f"({list(class_arr)[:10]}); pass classes in the column order of the probabilities"
        )
    unknown = np.setdiff1d(y, class_arr)
    if unknown.size:
        raise InputError(f"y contains labels {list(unknown[:5])} that are not in classes {list(class_arr)}")
    return class_arr


def class_index(y: np.ndarray, classes: np.ndarray) -> np.ndarray:
    """Column index of each label of ``y`` in ``classes`` (which need not be sorted)."""
    order = np.argsort(classes)
    return order[np.searchsorted(classes, y, sorter=order)]


def greedy_selection(
    oof: Sequence[np.ndarray],
    y: object,
    metric: Metric,
    classes: object = None,
    *,
    max_rounds: int = 50,
    init_size: int = 1,
    seed: int | None = 0,
    sizes: Sequence[float] | None = None,
    max_size: float = math.inf,
    gain_share: float = 1.0,
) -> SelectionResult:
    """Ensemble selection with replacement on out-of-fold predictions.

    Starts from the ``init_size`` best members, then ``max_rounds`` times adds the
    member (possibly again) whose addition makes the averaged prediction score
    best, and keeps the best round rather than the last (with ``gain_share`` < 1, the
    earliest round that has that share of the best round's gain over the initial
    ensemble: the last rounds' tiny gains add members that each cost a call at
    predict time, and are the ones most likely fitted to the OOF noise). Ties go to the lowest
    index, so the result is deterministic; ``seed`` is accepted for a uniform
    signature and unused. With ``init_size=1`` the ensemble never scores below the
    best single member; with more it can, so compare ``score`` with
    ``best_single_score``.

    Args:
        oof: one OOF array per member, ``(n,)`` for regression or ``(n, n_classes)``
            probabilities with columns in ``classes`` order; rows NaN in any member
            are ignored.
        y: the true targets of the ``n`` rows.
        metric: what to optimise, in its own direction.
        classes: column order of the probabilities (default ``np.unique(y)``).
        sizes: each member's size (e.g. bytes in memory); a round adds a member not yet
            chosen only while the chosen members' sizes sum to at most ``max_size`` with it.
            The ``init_size`` best members are chosen whatever their size.

    Returns:
        A :class:`SelectionResult`; its ``weights`` line up with ``oof``.

    Raises:
        InputError: bad shapes or labels, ``init_size`` or ``max_rounds`` out of range.

    Example:
        >>> import numpy as np
        >>> from automl.evaluation import get_metric
        >>> y = np.array([0.0, 1.0, 2.0, 3.0])
        >>> good, noise = y + 0.1, np.array([3.0, 0.0, 3.0, 0.0])
        >>> greedy_selection([noise, good], y, get_metric("rmse", "regression")).weights
        array([0., 1.])
    """
    data = check_oof(oof, y, classes)
    n_members = len(data.preds)
    if not 1 <= init_size <= n_members:
        raise InputError(f"init_size={init_size} must be between 1 and the number of members ({n_members})")
    if max_rounds < 0:
        raise InputError(f"max_rounds={max_rounds} must be >= 0")
    if not 0.0 <= gain_share <= 1.0:
        raise InputError(f"gain_share={gain_share} must be between 0 and 1")
    if sizes is not None and len(sizes) != n_members:
        raise InputError(f"sizes has {len(sizes)} entries for {n_members} members; give one per member")
    size_of = np.zeros(n_members) if sizes is None else np.asarray(sizes, dtype=np.float64)
    gain = _gain(metric)
    fast = _fast_path(metric, data.y, data.classes, data.preds[0])
    # The running sum lives in the projected space: averaging commutes with it.
    preds = [np.asarray(fast.project(p), dtype=np.float64) for p in data.preds]
    singles = [gain(fast.score(p)) for p in preds]
    ranked = sorted(range(n_members), key=lambda i: (-singles[i], i))

    counts = np.zeros(n_members, dtype=np.int64)
    total = np.zeros_like(preds[0])
    for i in ranked[:init_size]:
        counts[i] += 1
        total += preds[i]
    history = [fast.score(total / init_size)]
    rounds = [counts.copy()]
    buffer = np.empty_like(total)
    for _ in range(max_rounds):
        size = counts.sum() + 1
        held = float(size_of[counts > 0].sum())
        pick, pick_score, pick_gain = ranked[0], math.nan, -math.inf
        for i, pred in enumerate(preds):
            if counts[i] == 0 and held + size_of[i] > max_size:
                continue
            np.add(total, pred, out=buffer)
            buffer /= size
            s = fast.score(buffer)
            if gain(s) > pick_gain:
                pick, pick_score, pick_gain = i, s, gain(s)
        counts[pick] += 1
        total += preds[pick]
        history.append(pick_score)
        rounds.append(counts.copy())

    chosen = rounds[_chosen_round(np.array([gain(h) for h in history]), gain_share)]
    weights = chosen / chosen.sum()
    best = ranked[0]
    return SelectionResult(
        weights=weights,
        score=metric.score(data.y, weighted_average(data.preds, weights), data.classes),
        best_single_index=best,
        best_single_score=metric.score(data.y, data.preds[best], data.classes),
        history=tuple(float(h) for h in history),
    )


def cross_fitted_selection(
    oof: Sequence[np.ndarray],
    y: object,
    metric: Metric,
    classes: object = None,
    *,
    n_folds: int = 5,
    seed: int | None = 0,
    **selection: Any,
) -> np.ndarray:
    """Out-of-fold predictions of :func:`greedy_selection` itself: the usable rows are split into
    ``n_folds``; weights chosen on the other folds predict each fold (rows unusable: NaN).

    ``greedy_selection``'s own ``score`` is measured on the rows its weights were chosen on, so
    it flatters the ensemble; this is the estimate to compare with another cross-validated one
    (a stacking meta-learner's), or to blend with it. ``selection`` goes to ``greedy_selection``.

    Raises:
        InputError: as :func:`greedy_selection`, or fewer usable rows (or rows of a class) than ``n_folds``.
    """
    data = check_oof(oof, y, classes)
    rows = np.flatnonzero(data.mask)
    out = np.full(np.shape(oof[0]), np.nan)
    for train, test in fold_splitter(data.y, n_folds, seed, stratified=data.classes is not None).split(rows, data.y):
        result = greedy_selection([p[train] for p in data.preds], data.y[train], metric, data.classes, **selection)
        out[rows[test]] = weighted_average([p[test] for p in data.preds], result.weights)
    return out


def fold_splitter(y: np.ndarray, n_folds: int, seed: int | None, *, stratified: bool) -> KFold | StratifiedKFold:
    """Shuffled k folds over OOF rows, stratified by class when ``stratified``.

    Raises:
        InputError: ``n_folds < 2``, or fewer rows (or rows of a class) than ``n_folds``.
    """
    if n_folds < 2:
        raise InputError(f"n_folds={n_folds} must be at least 2")
    if not stratified:
        if len(y) < n_folds:
            raise InputError(f"{len(y)} usable rows for {n_folds} folds; lower n_folds")
        return KFold(n_folds, shuffle=True, random_state=seed)
    counts = dict(zip(*np.unique(y, return_counts=True), strict=True))
    if min(counts.values()) < n_folds:
        raise InputError(f"each class needs at least n_folds={n_folds} usable rows, got {counts}; lower n_folds")
    return StratifiedKFold(n_folds, shuffle=True, random_state=seed)


def _chosen_round(gains: np.ndarray, share: float) -> int:
    """The earliest round whose gain over round 0 is ``share`` of the best round's (ties: the earliest)."""
    best = gains.max()
    wanted = best if share >= 1.0 or not np.isfinite(gains[0]) else gains[0] + share * (best - gains[0])
    return int(np.argmax(gains >= wanted))


def weighted_average(preds: Sequence[np.ndarray], weights: np.ndarray) -> np.ndarray:
    """``sum(w * p)`` over members with non-zero weight (a weight of 1 returns ``p`` exactly)."""
    out = np.zeros_like(np.asarray(preds[0], dtype=np.float64))
    for pred, w in zip(preds, weights, strict=True):
        if w:
            out += w * np.asarray(pred, dtype=np.float64)
    return out


def _gain(metric: Metric) -> Callable[[float], float]:
    """Map a score to "higher is better", with NaN worst of all."""
    sign = 1.0 if metric.greater_is_better else -1.0
    return lambda s: -math.inf if math.isnan(s) else sign * s


@dataclass(frozen=True)
class _Fast:
    """A metric split into a linear ``project`` (so it commutes with averaging) and a ``score`` of projections."""

    project: Callable[[np.ndarray], np.ndarray]
    score: Scorer


def _fast_path(metric: Metric, y: np.ndarray, classes: np.ndarray | None, probe: np.ndarray) -> _Fast:
    """A fast twin of ``metric.score`` on these rows, or ``metric.score`` itself when there is none."""

    def reference(pred: np.ndarray) -> float:
        return metric.score(y, pred, classes)

    slow = _Fast(lambda p: p, reference)
    factory = _FAST.get(metric.name) if _is_builtin(metric) else None
    if factory is None or (classes is None) != (metric.needs == "value"):
        return slow
    fast = factory(y, classes)
    expected, got = reference(probe), fast.score(fast.project(probe))
    # 1e-6: the fast AUC counts scores one ulp apart as ties (see _auc), which moves it by ~1e-7
    # on models with many near-equal scores; a wrong formula is off by far more.
    if not math.isclose(expected, got, rel_tol=1e-6, abs_tol=1e-12):
        logger.warning("fast %s disagrees with Metric.score (%r vs %r); using it instead", metric.name, got, expected)
        return slow
    return fast


def _is_builtin(metric: Metric) -> bool:
    try:
        return get_metric(metric.name, metric.tasks[0]) == metric
    except (InputError, IndexError):
        return False


def _auc(positive: np.ndarray, score: np.ndarray) -> float:
    """ROC AUC as the Mann-Whitney statistic, with ties counted half.

    One integer sort carries the label in the lowest bit of each score's sortable
    bit pattern, which is about three times faster than ``argsort``. Scores one
    ulp apart count as ties, a difference far below any meaningful AUC change.
    """
    bits = (score + 0.0).view(np.int64)  # + 0.0 turns -0.0 into 0.0
    keys = bits ^ ((bits >> 63) & 0x7FFFFFFFFFFFFFFF)  # monotone in the float value
    keys = np.sort((keys & ~1) | positive)
    is_pos = (keys & 1).astype(bool)
    n_pos = int(positive.sum())
    n_neg = len(score) - n_pos
    # Within a tie, negatives sort first, so each positive outranks every tied negative.
    wins = float(np.flatnonzero(is_pos).sum()) - n_pos * (n_pos - 1) / 2
    values = keys >> 1
    same = values[1:] == values[:-1]
    if same.any():
        starts = np.flatnonzero(np.r_[True, ~same])
        tied_pos = np.add.reduceat(is_pos.astype(np.int64), starts)
        tied_neg = np.diff(np.r_[starts, len(score)]) - tied_pos
        wins -= float((tied_pos * tied_neg).sum()) / 2
    return wins / (n_pos * n_neg)


def _fast_roc_auc(y: np.ndarray, classes: np.ndarray) -> _Fast:
    positive = (y == classes[1]).astype(np.int64)
    return _Fast(lambda p: np.ascontiguousarray(p[:, 1]), lambda r: _auc(positive, r))


def _fast_log_loss(y: np.ndarray, classes: np.ndarray) -> _Fast:
    rows, idx, eps = np.arange(len(y)), class_index(y, classes), np.finfo(np.float64).eps
    return _Fast(
        lambda p: p[rows, idx],  # only the true class's probability counts
        lambda r: float(-np.log(np.clip(r, 1e-15, 1 - eps)).mean()),  # as sklearn: 1e-15, then eps
    )


def _label_metric(summary: Callable[[np.ndarray, int], float]) -> Callable[[np.ndarray, np.ndarray], _Fast]:
    """A label metric computed from the confusion matrix of the arg-max class.

    For two classes the projection is ``p1 - p0`` (class 1 wins when positive,
    as ``argmax`` breaks ties to the first column), halving the work.
    """

    def factory(y: np.ndarray, classes: np.ndarray) -> _Fast:
        idx, n = class_index(y, classes), len(classes)
        positive = int(class_index(np.array([sorted(set(y.tolist()))[-1]]), classes)[0])

        def score(r: np.ndarray) -> float:
            labels = (r > 0).astype(np.int64) if n == 2 else r.argmax(axis=1)
            return summary(np.bincount(idx * n + labels, minlength=n * n).reshape(n, n), positive)

        return _Fast((lambda p: p[:, 1] - p[:, 0]) if n == 2 else (lambda p: p), score)

    return factory


def _f1s(cm: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per-class F1 and whether the class occurs in y or in the predictions."""
    tp = np.diag(cm).astype(np.float64)
    denom = cm.sum(axis=0) + cm.sum(axis=1)
    present = denom > 0
    return np.where(present, 2 * tp / np.maximum(denom, 1), 0.0), present


def _balanced_accuracy(cm: np.ndarray, positive: int) -> float:
    support = cm.sum(axis=1)
    seen = support > 0
    return float((np.diag(cm)[seen] / support[seen]).mean())


def _f1_macro(cm: np.ndarray, positive: int) -> float:
    f1, present = _f1s(cm)
    return float(f1[present].mean())


def _regression_metric(fn: Callable[[np.ndarray, np.ndarray], float]) -> Callable[[np.ndarray, None], _Fast]:
    def factory(y: np.ndarray, classes: None) -> _Fast:
        y = y.astype(np.float64)
        return _Fast(lambda p: p, lambda r: fn(y, r))

    return factory


def _r2(y: np.ndarray, pred: np.ndarray) -> float:
    ss_res, ss_tot = float(((y - pred) ** 2).sum()), float(((y - y.mean()) ** 2).sum())
    if ss_tot == 0:
        return 1.0 if ss_res == 0 else 0.0
    return 1.0 - ss_res / ss_tot


_FAST: dict[str, Callable[[np.ndarray, Any], _Fast]] = {
    "roc_auc": _fast_roc_auc,
    "log_loss": _fast_log_loss,
    "accuracy": _label_metric(lambda cm, _: float(np.trace(cm) / cm.sum())),
    "balanced_accuracy": _label_metric(_balanced_accuracy),
    "f1": _label_metric(lambda cm, pos: float(_f1s(cm)[0][pos])),
    "f1_macro": _label_metric(_f1_macro),
    "rmse": _regression_metric(lambda y, p: float(np.sqrt(((y - p) ** 2).mean()))),
    "mae": _regression_metric(lambda y, p: float(np.abs(y - p).mean())),
    "r2": _regression_metric(_r2),
}

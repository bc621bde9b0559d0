"""Metrics as data: a name, a direction and what kind of prediction they score.

The search, the ensembles and the evaluation report all score through this
table, so "which way is better" is decided in exactly one place.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
from sklearn import metrics as skm

from automl._core import InputError, did_you_mean

Task = Literal["binary", "multiclass", "regression"]
Needs = Literal["proba", "label", "value"]


@dataclass(frozen=True)
class Metric:
    """A scoring rule.

    ``needs`` says what ``score`` takes as ``pred``: ``"proba"`` a (n, n_classes)
    probability matrix, ``"label"`` class labels, ``"value"`` regression outputs.
    """

    name: str
    greater_is_better: bool
    needs: Needs
    tasks: tuple[Task, ...]
    fn: Callable[..., float]

    @property
    def direction(self) -> Literal["maximize", "minimize"]:
        return "maximize" if self.greater_is_better else "minimize"

    def score(self, y_true: np.ndarray, pred: np.ndarray, classes: np.ndarray | None = None) -> float:
        """Score ``pred`` against ``y_true``; ``classes`` orders the columns of a proba matrix.

        A label metric given a probability matrix scores its arg-max class, so
        callers can keep one kind of out-of-fold prediction per task.
        """
        pred = np.asarray(pred)
        if self.needs == "proba":
            return float(self.fn(y_true, pred, classes))
        if self.needs == "label" and pred.ndim == 2 and classes is not None:
            pred = np.asarray(classes)[pred.argmax(axis=1)]
        return float(self.fn(y_true, pred))

    def better(self, a: float, b: float) -> bool:
        """True when score ``a`` is strictly better than ``b``."""
        return a > b if self.greater_is_better else a < b


def _roc_auc(y: np.ndarray, proba: np.ndarray, classes: np.ndarray) -> float:
    positive = proba[:, 1] if proba.ndim == 2 else proba
    return float(skm.roc_auc_score(np.asarray(y) == classes[1], positive))


def _log_loss(y: np.ndarray, proba: np.ndarray, classes: np.ndarray) -> float:
    clipped = np.clip(proba, 1e-15, 1.0)  # averaged float32 predictions drift from summing to one
    return float(skm.log_loss(y, clipped / clipped.sum(axis=1, keepdims=True), labels=classes))


def _rmse(y: np.ndarray, pred: np.ndarray) -> float:
    return float(np.sqrt(skm.mean_squared_error(y, pred)))


_CLS: tuple[Task, ...] = ("binary", "multiclass")
_METRICS: dict[str, Metric] = {
    m.name: m
    for m in (
        Metric("roc_auc", True, "proba", ("binary",), _roc_auc),
        Metric("log_loss", False, "proba", _CLS, _log_loss),
        Metric("accuracy", True, "label", _CLS, skm.accuracy_score),
        Metric("balanced_accuracy", True, "label", _CLS, skm.balanced_accuracy_score),
        Metric("f1", True, "label", ("binary",), lambda y, p: skm.f1_score(y, p, pos_label=sorted(set(y))[-1])),
        Metric("f1_macro", True, "label", _CLS, lambda y, p: skm.f1_score(y, p, average="macro")),
        Metric("rmse", False, "value", ("regression",), _rmse),
        Metric("mae", False, "value", ("regression",), skm.mean_absolute_error),
        Metric("r2", True, "value", ("regression",), skm.r2_score),
    )
}
_DEFAULTS: dict[Task, str] = {"binary": "roc_auc", "multiclass": "log_loss", "regression": "rmse"}


def metric_names() -> list[str]:
    return list(_METRICS)


def get_metric(name: str | None, task: Task) -> Metric:
    """The metric called ``name`` (the task's default when ``None``), checked against ``task``."""
    name = name or _DEFAULTS[task]
    if name not in _METRICS:
        raise InputError(f"unknown metric '{name}'{did_you_mean(name, _METRICS)}; choose one of {', '.join(_METRICS)}")
    metric = _METRICS[name]
    if task not in metric.tasks:
        usable = [m.name for m in _METRICS.values() if task in m.tasks]
        raise InputError(f"metric '{name}' does not apply to a {task} task; use one of {', '.join(usable)}")
    return metric


def predictions_for(metric: Metric, model: Any, X: object) -> np.ndarray:
    """Ask a fitted ``model`` for the kind of prediction ``metric`` scores."""
    if metric.needs == "proba":
        return np.asarray(model.predict_proba(X))
    return np.asarray(model.predict(X))

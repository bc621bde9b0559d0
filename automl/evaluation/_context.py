"""What every section needs: the model, the data, its predictions and one way to score them.

Built once by :func:`automl.evaluation.evaluate`, so each section asks for
"the model's scores on this frame" and "the metric of these scores" the same
way, with probabilities always in the order of ``classes``.
"""

from __future__ import annotations

import warnings
import zlib
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

import numpy as np
import pandas as pd

from automl.data import Schema, Task
from automl.evaluation._config import EvaluationConfig, EvaluationThresholds
from automl.evaluation._metrics import Metric


def align_proba(proba: np.ndarray, source: np.ndarray, target: np.ndarray) -> np.ndarray:
    """Reorder probability columns from ``source`` class order to ``target``; absent classes get 0."""
    proba = np.asarray(proba, dtype=float)
    if proba.ndim == 1:  # a bare P(positive) vector
        proba = np.column_stack([1.0 - proba, proba])
    if len(source) == len(target) and all(a == b for a, b in zip(source, target, strict=True)):
        return proba
    position = {label: i for i, label in enumerate(source.tolist())}
    out = np.zeros((proba.shape[0], len(target)))
    for j, label in enumerate(target.tolist()):
        if label in position:
            out[:, j] = proba[:, position[label]]
    return out


@dataclass(frozen=True)
class EvalContext:
    """The evaluation's inputs, resolved and checked. ``scores`` are the model's on ``X``."""

    model: Any
    X: pd.DataFrame
    y: np.ndarray
    task: Task
    metric: Metric
    classes: np.ndarray | None
    schema: Schema
    config: EvaluationConfig
    thresholds: EvaluationThresholds
    seed: int
    scores: np.ndarray = field(repr=False)

    @property
    def is_classifier(self) -> bool:
        return self.task != "regression"

    @cached_property
    def truth(self) -> np.ndarray:
        """``y`` as class codes (index into ``classes``) for classification, as floats for regression."""
        if self.classes is None:
            return self.y.astype(float)
        position = {label: i for i, label in enumerate(self.classes.tolist())}
        return np.array([position[v] for v in self.y.tolist()], dtype=int)

    @property
    def positive_index(self) -> int:
        """Column of the class whose probability is "the score" (config or the last class)."""
        if self.classes is None:
            raise ValueError("regression has no positive class")
        if self.config.positive_class is None:
            return len(self.classes) - 1
        return [str(c) for c in self.classes].index(str(self.config.positive_class))

    @property
    def positive_class(self) -> Any:
        return None if self.classes is None else self.classes[self.positive_index]

    def predict_scores(self, X: pd.DataFrame, model: Any = None) -> np.ndarray:
        """Probabilities (columns in ``classes`` order) or regression values of ``model`` on ``X``."""
        model = self.model if model is None else model
        if self.classes is None:
            return np.asarray(model.predict(X), dtype=float).reshape(-1)
        proba = np.asarray(model.predict_proba(X), dtype=float)
        return align_proba(proba, np.asarray(getattr(model, "classes_", self.classes)), self.classes)

    def labels(self, scores: np.ndarray) -> np.ndarray:
        """Predicted labels: arg-max class (as the metric table does) or the values themselves."""
        if self.classes is None:
            return scores
        return np.asarray(self.classes[np.asarray(scores).argmax(axis=1)])

    def score(self, y: np.ndarray, scores: np.ndarray, metric: Metric | None = None) -> float:
        """``metric`` (default: the primary one) of ``scores``; NaN where it is undefined (one class)."""
        metric = metric or self.metric
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                value = metric.score(y, scores, self.classes)
        except ValueError:
            return float("nan")
        return float(value)

    def rng(self, key: str) -> np.random.Generator:
        """A generator seeded by the evaluation seed and ``key``: sections draw independently."""
        return np.random.default_rng([self.seed, zlib.crc32(key.encode())])

    def skill(self, value: float, reference: float) -> float:
        """How much better ``value`` is than ``reference`` (positive = better), in metric units."""
        return value - reference if self.metric.greater_is_better else reference - value

    def zero_rule_scores(self) -> np.ndarray:
        """The zero-rule's scores: class shares of ``y`` for every row, or ``mean(y)``."""
        n = len(self.y)
        if self.classes is None:
            return np.full(n, float(np.mean(self.y)))
        prior = np.array([np.mean(self.y == c) for c in self.classes])
        return np.tile(prior, (n, 1))

    def zero_rule_score(self) -> float:
        return self.score(self.y, self.zero_rule_scores())

    def share_of_skill(self, amount: float, reference_score: float) -> float | None:
        """``amount`` as a share of the gap between ``reference_score`` and the zero-rule's score.

        Scale-free: "noise took away 20% of what the model gains over predicting
        the class shares" means the same for ROC AUC, log loss and RMSE.
        """
        gap = self.skill(reference_score, self.zero_rule_score())
        if not np.isfinite(gap) or gap <= 0 or not np.isfinite(amount):
            return None
        return float(amount / gap)

    def score_scale(self) -> float:
        """1 for probabilities, the standard deviation of ``y`` for regression (never 0)."""
        if self.classes is not None:
            return 1.0
        std = float(np.std(self.y))
        return std if std > 0 else 1.0

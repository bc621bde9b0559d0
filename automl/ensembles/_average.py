"""A weighted average of already fitted models.

Greedy selection (and the plain average of k fold models) only decides weights;
the members were trained by the search. Refitting them here would repeat that
work and could change them, so this estimator never trains anything: ``fit``
checks the members and freezes the non-zero weights.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, get_args

import numpy as np
from sklearn.base import BaseEstimator
from sklearn.exceptions import NotFittedError
from sklearn.utils import ClassifierTags, RegressorTags, Tags
from sklearn.utils.metaestimators import available_if
from sklearn.utils.validation import check_is_fitted

from automl._core import InputError, did_you_mean
from automl.ensembles._selection import weighted_average
from automl.evaluation import Task
from automl.models import shared_preprocessing

TASKS: tuple[str, ...] = get_args(Task)


def check_task(task: object) -> None:
    if task not in TASKS:
        hint = did_you_mean(str(task), TASKS)
        raise InputError(f"task={task!r} is not supported{hint}; use one of {', '.join(TASKS)}")


def task_tags(tags: Tags, task: str) -> Tags:
    """Tell sklearn (``is_classifier``, CV splitters) which kind of estimator this is."""
    if task == "regression":
        tags.estimator_type, tags.regressor_tags = "regressor", RegressorTags()
    else:
        tags.estimator_type, tags.classifier_tags = "classifier", ClassifierTags()
    return tags


def check_members(estimators: Sequence[Any], task: str) -> np.ndarray | None:
    """Check that members are fitted and agree on ``classes_``; return those classes.

    Raises:
        InputError: no members, an unfitted member, a member without the needed
            method, or members trained on different classes.
    """
    check_task(task)
    if len(estimators) == 0:
        raise InputError("estimators is empty; pass at least one fitted model")
    for i, est in enumerate(estimators):
        try:
            check_is_fitted(est)
        except NotFittedError as exc:
            raise InputError(f"member {i} ({type(est).__name__}) is not fitted; fit members before ensembling") from exc
    if task == "regression":
        return None
    missing = [i for i, est in enumerate(estimators) if not hasattr(est, "predict_proba")]
    if missing:
        raise InputError(f"members {missing} have no predict_proba; a {task} ensemble needs probabilistic classifiers")
    classes = np.asarray(estimators[0].classes_)
    for i, est in enumerate(estimators[1:], start=1):
        if not np.array_equal(np.asarray(est.classes_), classes):
            raise InputError(
                f"member {i} has classes_ {list(est.classes_)} but member 0 has {list(classes)}; "
                "ensemble only models trained on the same classes"
            )
    n_expected = "2" if task == "binary" else "3 or more"
    if (len(classes) == 2) != (task == "binary"):
        raise InputError(f"task={task!r} expects {n_expected} classes but the members have {list(classes)}")
    return classes


class WeightedAverageEnsemble(BaseEstimator):  # type: ignore[misc]  # sklearn has no type hints
    """Weighted average of fitted members' probabilities (or predictions).

    ``fit`` trains nothing: it validates the (already fitted) members, drops the
    members with zero weight and normalises the rest; call it once, without data,
    before predicting. ``weights=None`` gives every member the same weight (the
    average of k fold models).

    Args:
        estimators: fitted models; classifiers must share ``classes_``.
        weights: one non-negative weight per member, or ``None`` for equal weights.
        task: ``"binary"``, ``"multiclass"`` or ``"regression"``.

    Example:
        >>> from sklearn.datasets import make_classification
        >>> from sklearn.linear_model import LogisticRegression
        >>> from sklearn.tree import DecisionTreeClassifier
        >>> X, y = make_classification(n_samples=50, random_state=0)
        >>> members = [LogisticRegression().fit(X, y), DecisionTreeClassifier().fit(X, y)]
        >>> ens = WeightedAverageEnsemble(members, [0.75, 0.25], "binary").fit()
        >>> ens.predict_proba(X).shape
        (50, 2)
    """

    def __init__(self, estimators: Sequence[Any], weights: Sequence[float] | np.ndarray | None, task: Task) -> None:
        self.estimators = estimators
        self.weights = weights
        self.task = task

    def fit(self, X: object = None, y: object = None) -> WeightedAverageEnsemble:
        """Validate the fitted members and freeze their weights; ``X`` and ``y`` are ignored.

        Raises:
            InputError: see :func:`check_members`, or weights that are not one
                finite non-negative number per member with a positive sum.
        """
        classes = check_members(self.estimators, self.task)
        n = len(self.estimators)
        weights = np.ones(n) if self.weights is None else np.asarray(self.weights, dtype=np.float64)
        if weights.shape != (n,) or not np.all(np.isfinite(weights)) or weights.min() < 0 or weights.sum() <= 0:
            raise InputError(f"weights must be {n} finite non-negative numbers with a positive sum, got {self.weights!r}")
        keep = np.flatnonzero(weights > 0)
        self.estimators_ = [self.estimators[i] for i in keep.tolist()]
        self.weights_ = weights[keep] / weights[keep].sum()
        if classes is not None:
            self.classes_ = classes
        return self

    def __sklearn_tags__(self) -> Tags:
        return task_tags(super().__sklearn_tags__(), self.task)

    def _is_classifier(self) -> bool:
        return bool(self.task != "regression")

    @available_if(_is_classifier)  # type: ignore[untyped-decorator]  # sklearn has no type hints
    def predict_proba(self, X: object) -> np.ndarray:
        """Weighted mean of the members' ``predict_proba`` (columns in ``classes_`` order)."""
        check_is_fitted(self)
        with shared_preprocessing():
            return weighted_average([est.predict_proba(X) for est in self.estimators_], self.weights_)

    def predict(self, X: object) -> np.ndarray:
        """The most probable class, or the weighted mean prediction for regression."""
        check_is_fitted(self)
        if self._is_classifier():
            return np.asarray(self.classes_[self.predict_proba(X).argmax(axis=1)])
        with shared_preprocessing():
            return weighted_average([est.predict(X) for est in self.estimators_], self.weights_)

"""Bagging that keeps DataFrames intact.

sklearn's ``BaggingClassifier`` converts ``X`` to a numpy array before fitting
its members, which breaks pipelines that select columns by name. Here each
member is fitted on ``X.iloc[rows]``, so column names and dtypes survive.
"""

from __future__ import annotations

import inspect
from typing import Any

import numpy as np
from sklearn.base import BaseEstimator, clone, is_classifier
from sklearn.utils import Tags, get_tags
from sklearn.utils.metaestimators import available_if
from sklearn.utils.validation import check_is_fitted

from automl._core import AutomlError, Deadline, InputError


class BaggedModel(BaseEstimator):  # type: ignore[misc]  # sklearn has no type hints
    """Average of ``n_estimators`` clones of ``estimator``, each fitted on a bootstrap sample.

    For classifiers the bootstrap is stratified: each class is resampled (with
    replacement) on its own, so every member sees every class and all members'
    ``predict_proba`` columns line up; class proportions are kept. Classifiers
    soft-vote (mean ``predict_proba``), regressors average ``predict``. Each clone
    gets its own ``random_state`` derived from ``random_state``.

    Args:
        estimator: an unfitted sklearn-style model (a Pipeline is fine).
        n_estimators: number of bootstrap members.
        max_samples: fraction of the rows (of each class) drawn per member, in (0, 1].
        random_state: seed of the bootstrap and of the members.

    Example:
        >>> import pandas as pd
        >>> from sklearn.datasets import make_classification
        >>> from sklearn.tree import DecisionTreeClassifier
        >>> X, y = make_classification(n_samples=60, random_state=0)
        >>> bag = BaggedModel(DecisionTreeClassifier(), n_estimators=3).fit(pd.DataFrame(X), y)
        >>> bag.predict_proba(pd.DataFrame(X)).shape
        (60, 2)
    """

    def __init__(self, estimator: Any, n_estimators: int = 10, max_samples: float = 1.0, random_state: int | None = 0) -> None:
        self.estimator = estimator
        self.n_estimators = n_estimators
        self.max_samples = max_samples
        self.random_state = random_state

    def fit(self, X: Any, y: Any, deadline: Deadline | None = None) -> BaggedModel:
        """Fit every member on its own bootstrap sample of the rows.

        Args:
            X: features; a DataFrame is sliced with ``.iloc`` and keeps its columns.
            y: targets.
            deadline: checked before each member and passed to members whose ``fit`` takes one;
                ``None`` means no limit.

        Raises:
            InputError: ``n_estimators`` or ``max_samples`` out of range, or
                ``X`` and ``y`` of different lengths.
            DeadlineExceeded: the deadline passed before all members were fitted.
        """
        self._check_params()
        y_arr = np.asarray(y)
        if len(y_arr) != len(X):
            raise InputError(f"X has {len(X)} rows but y has {len(y_arr)}; pass one target per row")
        deadline = deadline or Deadline.unlimited()
        rng = np.random.default_rng(self.random_state)
        if is_classifier(self.estimator):
            self.classes_ = np.unique(y_arr)
            strata = [np.flatnonzero(y_arr == c) for c in self.classes_]
        else:
            strata = [np.arange(len(y_arr))]
        members = []
        for i in range(self.n_estimators):
            deadline.check(f"BaggedModel member {i + 1} of {self.n_estimators}")
            rows = rng.permutation(np.concatenate([rng.choice(s, size=max(1, round(self.max_samples * len(s)))) for s in strata]))
            member = _with_seed(clone(self.estimator), int(rng.integers(2**31 - 1)))
            # Members that take a deadline stop inside their own training, not only between copies.
            extra = {"deadline": deadline} if "deadline" in inspect.signature(member.fit).parameters else {}
            members.append(member.fit(_take(X, rows), _take(y, rows), **extra))
            if is_classifier(self.estimator) and not np.array_equal(member.classes_, self.classes_):
                raise AutomlError(f"member {i} learned classes {list(member.classes_)}, expected {list(self.classes_)}")
        self.estimators_ = members
        self.n_features_in_ = int(np.shape(X)[1]) if len(np.shape(X)) == 2 else 1
        return self

    def _check_params(self) -> None:
        if isinstance(self.n_estimators, bool) or not isinstance(self.n_estimators, int) or self.n_estimators < 1:
            raise InputError(f"n_estimators={self.n_estimators!r} must be an integer >= 1")
        if not isinstance(self.max_samples, (int, float)) or not 0 < self.max_samples <= 1:
            raise InputError(f"max_samples={self.max_samples!r} must be a fraction of the rows in (0, 1]")

    def __sklearn_tags__(self) -> Tags:
        tags = super().__sklearn_tags__()
        base = get_tags(self.estimator)
        tags.estimator_type = base.estimator_type
        tags.classifier_tags, tags.regressor_tags = base.classifier_tags, base.regressor_tags
        return tags

    def _is_classifier(self) -> bool:
        return bool(is_classifier(self.estimator))

    @available_if(_is_classifier)  # type: ignore[untyped-decorator]  # sklearn has no type hints
    def predict_proba(self, X: Any) -> np.ndarray:
        """Mean of the members' ``predict_proba`` (columns in ``classes_`` order)."""
        check_is_fitted(self)
        return np.asarray(np.mean([np.asarray(m.predict_proba(X), dtype=np.float64) for m in self.estimators_], axis=0))

    def predict(self, X: Any) -> np.ndarray:
        """The most probable class (soft vote), or the members' mean prediction."""
        check_is_fitted(self)
        if self._is_classifier():
            return np.asarray(self.classes_[self.predict_proba(X).argmax(axis=1)])
        return np.asarray(np.mean([np.asarray(m.predict(X), dtype=np.float64) for m in self.estimators_], axis=0))


def _take(data: Any, rows: np.ndarray) -> Any:
    """Rows of a DataFrame/Series by position (keeping names), or of an array."""
    return data.iloc[rows] if hasattr(data, "iloc") else np.asarray(data)[rows]


def _with_seed(estimator: Any, seed: int) -> Any:
    """Set every ``random_state`` (also nested ones, e.g. in a Pipeline) to ``seed``."""
    names = [k for k in estimator.get_params(deep=True) if k == "random_state" or k.endswith("__random_state")]
    return estimator.set_params(**dict.fromkeys(names, seed))

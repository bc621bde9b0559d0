"""Stacking: a meta-learner learns how to combine members' OOF predictions.

The meta-learner (``learner``) is a regularised linear model, or extremely randomised
trees, which can also learn where in the feature space each member is right. It sees
one column per member and class (only the positive-class
column for a binary member, as the other is redundant), plus, with
``passthrough=True``, the original numeric features. Non-numeric columns of ``X``
are left out because the meta-learner cannot use them without encoding,
and the members already did; numeric ones are median-imputed and standardised
inside the meta-learner so they pass a linear one's regularisation on an equal footing.
The meta-learner is fitted on a DataFrame, so its ``feature_names_in_``
records which columns of ``X`` it needs at prediction time.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator
from sklearn.compose import ColumnTransformer
from sklearn.ensemble import ExtraTreesClassifier, ExtraTreesRegressor
from sklearn.exceptions import NotFittedError
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression, RidgeCV
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.utils import Tags
from sklearn.utils.metaestimators import available_if
from sklearn.utils.validation import check_is_fitted

from automl._core import Deadline, DeadlineExceeded, InputError
from automl.data import as_frame
from automl.ensembles._average import check_members, check_task, task_tags
from automl.ensembles._selection import check_oof, class_index, fold_splitter, weighted_average
from automl.evaluation import Metric, Task
from automl.models import shared_preprocessing

_MEMBER = "__member"
STACKING_LEARNERS: tuple[str, ...] = ("linear", "trees")
STACKING_FOLDS = 5  # folds of the meta-learner's own cross-validation over the OOF rows
# The trees meta-learner: enough trees for smooth probabilities, leaves of several rows (its inputs
# are noisy OOF predictions) and half the columns per split; sized to stay small next to its members.
TREES = {"n_estimators": 100, "min_samples_leaf": 5, "max_features": 0.5}


def fit_stacking(
    oof: Sequence[np.ndarray],
    y: object,
    *,
    task: Task,
    classes: object = None,
    X: object = None,
    passthrough: bool = False,
    seed: int | None = 0,
    learner: str = "linear",
) -> Any:
    """Fit a meta-learner on members' out-of-fold predictions.

    ``learner="linear"``: classification uses ``LogisticRegression`` (multinomial for
    several classes, L2, ``C=1``), regression ``RidgeCV`` over ``alphas=10**[-3..3]``.
    ``learner="trees"``: extremely randomised trees (``TREES``), single-threaded so that
    predictions are the same on every run. Rows NaN in any member are left out (a
    holdout search predicts only its holdout rows).

    Args:
        oof: one OOF array per member, as for :func:`greedy_selection`.
        y: targets of the OOF rows.
        task: ``"binary"``, ``"multiclass"`` or ``"regression"``.
        classes: column order of the OOF probabilities (default ``np.unique(y)``).
        X: the training features (same rows as ``oof``); used only with ``passthrough``.
        passthrough: also give the meta-learner the numeric columns of ``X``.
        seed: random state of the meta-learner.
        learner: ``"linear"`` or ``"trees"`` (see above).

    Returns:
        The fitted meta-learner, to pass to :class:`StackedEnsemble`.

    Raises:
        InputError: shapes that do not match ``task``, a class with no usable
            OOF row, ``passthrough`` without ``X``, a column of ``X`` whose
            name starts with ``"__member"``, or an unknown ``learner``.

    Example:
        >>> import numpy as np
        >>> y = np.arange(20.0)
        >>> meta = fit_stacking([y + 1, y * 0.5], y, task="regression")
        >>> meta.coef_.shape  # one weight per member
        (2,)
    """
    check_task(task)
    if learner not in STACKING_LEARNERS:
        raise InputError(f"unknown stacking learner {learner!r}; use one of {', '.join(STACKING_LEARNERS)}")
    data = check_oof(oof, y, None if task == "regression" else classes)
    _check_shape(data.preds[0], task)
    if data.classes is not None:
        absent = np.setdiff1d(data.classes, data.y)
        if absent.size:
            raise InputError(
                f"classes {list(absent)} have no row with a prediction from every member; "
                "the meta-learner cannot learn them (use more data or k-fold OOF predictions)"
            )
    frame = _member_frame(data.preds, task)
    columns: list[str] = []
    if passthrough:
        if X is None:
            raise InputError("passthrough=True needs X, the training features in the same row order as oof")
        x_frame = as_frame(X)
        if len(x_frame) != len(data.mask):
            raise InputError(f"X has {len(x_frame)} rows but oof has {len(data.mask)}; pass the same rows")
        columns = [str(c) for c in x_frame.select_dtypes(include=["number", "bool"]).columns]
        clash = [c for c in columns if c.startswith(_MEMBER)]
        if clash:
            raise InputError(f"X columns {clash} clash with stacking's own names; rename them")
        frame = pd.concat([frame, _numeric(x_frame[data.mask], columns)], axis=1)
    model = _meta_learner(learner, task, seed)
    if columns:
        scale = make_pipeline(SimpleImputer(strategy="median", keep_empty_features=True), StandardScaler())
        prepare = ColumnTransformer([("x", scale, columns)], remainder="passthrough")
        model = Pipeline([("features", prepare), ("model", model)])
    return model.fit(frame, data.y)


def _meta_learner(learner: str, task: Task, seed: int | None) -> Any:
    if learner == "trees":
        trees = ExtraTreesRegressor if task == "regression" else ExtraTreesClassifier
        return trees(**TREES, random_state=seed, n_jobs=1)
    if task == "regression":
        return RidgeCV(alphas=np.logspace(-3, 3, 13))
    return LogisticRegression(C=1.0, max_iter=1000, random_state=seed)


def stacking_oof_score(
    oof: Sequence[np.ndarray],
    y: object,
    metric: Metric,
    task: Task,
    classes: object = None,
    seed: int | None = 0,
    n_folds: int = STACKING_FOLDS,
    *,
    X: object = None,
    passthrough: bool = False,
    learner: str = "linear",
) -> float:
    """Cross-validated score of :func:`fit_stacking` on the OOF matrix (see :func:`stacking_oof`).

    The result is comparable with :func:`cross_fitted_selection` (and, flattering the
    selection, with :func:`greedy_selection`'s ``score``).

    Raises:
        InputError: as :func:`stacking_oof`.
    """
    data = check_oof(oof, y, None if task == "regression" else classes)
    out = stacking_oof(oof, y, task, classes, seed, n_folds, X=X, passthrough=passthrough, learner=learner)
    return metric.score(data.y, out[data.mask], data.classes)


def stacking_oof(
    oof: Sequence[np.ndarray],
    y: object,
    task: Task,
    classes: object = None,
    seed: int | None = 0,
    n_folds: int = STACKING_FOLDS,
    *,
    X: object = None,
    passthrough: bool = False,
    learner: str = "linear",
    deadline: Deadline | None = None,
) -> np.ndarray:
    """Out-of-fold predictions of :func:`fit_stacking` (rows not predicted by every member: NaN).

    Scoring the meta-learner on the rows it was fitted on would flatter it, so
    the rows predicted by every member are split into ``n_folds`` (stratified for
    classification, shuffled with ``seed``), the meta-learner is refitted on each
    training part and predicts the held-out part.

    Raises:
        InputError: as :func:`fit_stacking`, ``n_folds < 2``, or a class with
            fewer than ``n_folds`` usable rows.
        DeadlineExceeded: the next fold, forecast from the first, would end after ``deadline``.
    """
    check_task(task)
    data = check_oof(oof, y, None if task == "regression" else classes)
    rows = np.flatnonzero(data.mask)
    x_rows = as_frame(X)[data.mask].reset_index(drop=True) if passthrough and X is not None else None
    out = np.full(np.shape(oof[0]), np.nan)
    deadline = deadline or Deadline.unlimited()
    per_fold, started = 0.0, deadline.remaining()
    folds = fold_splitter(data.y, n_folds, seed, stratified=data.classes is not None).split(rows, data.y)
    for i, (train, test) in enumerate(folds):
        if deadline.remaining() < per_fold:
            raise DeadlineExceeded(f"stacking stopped after {i} of {n_folds} folds: the time budget ran out")
        meta = fit_stacking(
            [p[train] for p in data.preds],
            data.y[train],
            task=task,
            classes=data.classes,
            X=None if x_rows is None else x_rows.iloc[train],
            passthrough=passthrough,
            seed=seed,
            learner=learner,
        )
        x_test = None if x_rows is None else x_rows.iloc[test]
        out[rows[test]] = _meta_predict(meta, [p[test] for p in data.preds], task, data.classes, x_test)
        per_fold = (started - deadline.remaining()) / (i + 1)
    return out


def select_diverse(trial_scores: Sequence[float], families: Sequence[str], k: int, metric: Metric) -> list[int]:
    """Indices of up to ``k`` trials for stacking, favouring different model families.

    Stacking gains most from members that err differently, and trials of one
    family tend to agree. So the best trial of each family is taken first (best
    families first), then the remaining slots go to the best other trials. NaN
    scores (failed trials) are never picked; ties go to the lower index. The
    indices come back in the order they were picked.

    Example:
        >>> from automl.evaluation import get_metric
        >>> select_diverse([0.9, 0.8, 0.7], ["xgb", "xgb", "linear"], 2, get_metric("roc_auc", "binary"))
        [0, 2]
    """
    if len(trial_scores) != len(families):
        raise InputError(f"trial_scores has {len(trial_scores)} entries but families has {len(families)}")
    if k < 0:
        raise InputError(f"k={k} must be >= 0")
    sign = 1.0 if metric.greater_is_better else -1.0
    usable = [i for i, s in enumerate(trial_scores) if not math.isnan(s)]
    ranked = sorted(usable, key=lambda i: (-sign * trial_scores[i], i))
    picked: list[int] = []
    seen: set[str] = set()
    for i in ranked:
        if families[i] not in seen:
            seen.add(families[i])
            picked.append(i)
    picked = picked[:k]
    picked += [i for i in ranked if i not in picked][: k - len(picked)]
    return picked


class StackedEnsemble(BaseEstimator):  # type: ignore[misc]  # sklearn has no type hints
    """Fitted members whose predictions feed a fitted meta-learner.

    Like :class:`WeightedAverageEnsemble`, ``fit`` trains nothing: members come
    from the search and ``meta`` from :func:`fit_stacking`; ``fit`` checks that
    they fit together. ``passthrough`` must match the ``fit_stacking`` call.

    With ``meta_share`` below 1, the prediction is a blend: that share of the
    meta-learner's output plus the rest of the members' ``weights``-weighted average
    (the selection ensemble of the same members), with each member predicting once.

    Args:
        estimators: fitted members, in the order of the OOF arrays given to
            :func:`fit_stacking`.
        meta: the fitted meta-learner.
        task: ``"binary"``, ``"multiclass"`` or ``"regression"``.
        passthrough: whether the meta-learner also takes numeric columns of ``X``.
        weights: the members' weights in the blend (``None``: equal).
        meta_share: the meta-learner's share of the blend, in (0, 1].

    Example:
        >>> from sklearn.datasets import make_regression
        >>> from sklearn.linear_model import Ridge
        >>> from sklearn.tree import DecisionTreeRegressor
        >>> X, y = make_regression(n_samples=40, random_state=0)
        >>> members = [Ridge().fit(X, y), DecisionTreeRegressor(random_state=0).fit(X, y)]
        >>> meta = fit_stacking([m.predict(X) for m in members], y, task="regression")
        >>> StackedEnsemble(members, meta, "regression").fit().predict(X).shape
        (40,)
    """

    def __init__(
        self,
        estimators: Sequence[Any],
        meta: Any,
        task: Task,
        passthrough: bool = False,
        weights: Sequence[float] | np.ndarray | None = None,
        meta_share: float = 1.0,
    ) -> None:
        self.estimators = estimators
        self.meta = meta
        self.task = task
        self.passthrough = passthrough
        self.weights = weights
        self.meta_share = meta_share

    def fit(self, X: object = None, y: object = None) -> StackedEnsemble:
        """Check members and meta-learner against each other; ``X`` and ``y`` are ignored.

        Raises:
            InputError: unfitted or inconsistent members, a meta-learner fitted on
                another number of members or other classes, ``passthrough``
                that differs from how the meta-learner was fitted, or weights or
                ``meta_share`` out of range.
        """
        classes = check_members(self.estimators, self.task)
        n = len(self.estimators)
        weights = np.ones(n) if self.weights is None else np.asarray(self.weights, dtype=np.float64)
        if weights.shape != (n,) or not np.all(np.isfinite(weights)) or weights.min() < 0 or weights.sum() <= 0:
            raise InputError(f"weights must be {n} finite non-negative numbers with a positive sum, got {self.weights!r}")
        if not 0.0 < float(self.meta_share) <= 1.0:
            raise InputError(f"meta_share={self.meta_share!r} must be in (0, 1]")
        try:
            check_is_fitted(self.meta)
        except NotFittedError as exc:
            raise InputError("meta is not fitted; build it with fit_stacking") from exc
        names = [str(c) for c in getattr(self.meta, "feature_names_in_", [])]
        n_classes = 0 if classes is None else len(classes)
        expected = [c for i in range(len(self.estimators)) for c in _member_names(i, self.task, n_classes)]
        x_columns = [c for c in names if not c.startswith(_MEMBER)]
        if [c for c in names if c.startswith(_MEMBER)] != expected:
            raise InputError(
                f"meta was fitted on {len(names) - len(x_columns)} member columns but {len(self.estimators)} "
                f"members give {len(expected)}; fit_stacking must get the OOF arrays of exactly these members"
            )
        if bool(x_columns) != bool(self.passthrough):
            raise InputError(
                f"passthrough={self.passthrough} but the meta-learner was fitted with "
                f"{len(x_columns)} columns of X; pass the same passthrough as to fit_stacking"
            )
        if classes is not None:
            if set(np.asarray(self.meta.classes_).tolist()) != set(classes.tolist()):
                raise InputError(f"meta has classes {list(self.meta.classes_)} but the members have {list(classes)}")
            self.classes_ = classes
        self.passthrough_columns_ = x_columns
        self.n_members_ = n
        self.weights_ = weights / weights.sum()
        self.meta_share_ = float(self.meta_share)
        return self

    def __sklearn_tags__(self) -> Tags:
        return task_tags(super().__sklearn_tags__(), self.task)

    def _is_classifier(self) -> bool:
        return bool(self.task != "regression")

    def _member_predictions(self, X: object) -> list[np.ndarray]:
        with shared_preprocessing():
            if self._is_classifier():
                return [np.asarray(est.predict_proba(X)) for est in self.estimators]
            return [np.asarray(est.predict(X)) for est in self.estimators]

    def _blend(self, X: object, classes: np.ndarray | None) -> np.ndarray:
        """The meta-learner's output, blended with the members' weighted average when ``meta_share_ < 1``."""
        preds = self._member_predictions(X)
        x = as_frame(X) if self.passthrough_columns_ else None
        out = _meta_predict(self.meta, preds, self.task, classes, x)
        share = getattr(self, "meta_share_", 1.0)  # models saved before blends existed
        if share < 1.0:
            out = share * out + (1.0 - share) * weighted_average(preds, self.weights_)
        return out

    @available_if(_is_classifier)  # type: ignore[untyped-decorator]  # sklearn has no type hints
    def predict_proba(self, X: object) -> np.ndarray:
        """The meta-learner's probabilities (or the blend), columns in ``classes_`` order."""
        check_is_fitted(self)
        return self._blend(X, self.classes_)

    def predict(self, X: object) -> np.ndarray:
        """The most probable class, or the meta-learner's (or the blend's) regression output."""
        check_is_fitted(self)
        if self._is_classifier():
            return np.asarray(self.classes_[self.predict_proba(X).argmax(axis=1)])
        return self._blend(X, None)


def _check_shape(pred: np.ndarray, task: str) -> None:
    want = {"regression": "1-D (n_rows,)", "binary": "(n_rows, 2)", "multiclass": "(n_rows, n_classes)"}[task]
    ok = pred.ndim == 1 if task == "regression" else pred.ndim == 2 and (pred.shape[1] == 2) == (task == "binary")
    if not ok:
        raise InputError(f"task={task!r} needs {want} OOF arrays, got shape {pred.shape}")


def _member_frame(preds: Sequence[np.ndarray], task: str) -> pd.DataFrame:
    """Meta-features: each member's prediction, its positive-class column when binary."""
    columns: dict[str, np.ndarray] = {}
    for i, pred in enumerate(preds):
        pred = np.asarray(pred, dtype=np.float64)
        kept = pred if task != "binary" else pred[:, 1]
        names = _member_names(i, task, pred.shape[1] if pred.ndim == 2 else 0)
        columns.update(zip(names, kept.T if task == "multiclass" else [kept], strict=True))
    return pd.DataFrame(columns)


def _member_names(i: int, task: str, n_classes: int) -> list[str]:
    if task == "multiclass":
        return [f"{_MEMBER}{i}_{j}" for j in range(n_classes)]
    return [f"{_MEMBER}{i}"]


def _numeric(X: pd.DataFrame, columns: list[str]) -> pd.DataFrame:
    return X[columns].astype(np.float64).reset_index(drop=True)


def _meta_predict(
    meta: Any, preds: Sequence[np.ndarray], task: str, classes: np.ndarray | None, X: pd.DataFrame | None
) -> np.ndarray:
    """Apply ``meta`` to members' predictions (and passthrough columns of ``X``)."""
    frame = _member_frame(preds, task)
    names = [str(c) for c in meta.feature_names_in_]
    if X is not None:
        x_columns = [c for c in names if not c.startswith(_MEMBER)]
        frame = pd.concat([frame, _numeric(X, x_columns)], axis=1)
    frame = frame[names]
    if classes is None:
        return np.asarray(meta.predict(frame), dtype=np.float64)
    proba = np.asarray(meta.predict_proba(frame))
    return proba[:, class_index(classes, np.asarray(meta.classes_))]

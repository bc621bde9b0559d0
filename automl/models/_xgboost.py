"""XGBoost as an sklearn estimator that persists through XGBoost's own model format.

The wrapper exists for four reasons: string class labels (XGBoost wants
0..K-1), the deadline (turned into an XGBoost training callback that stops a
trial mid-boosting), native early stopping on a validation part of the rows it
is given (``early_stopping_rounds``; ``n_estimators`` is then an upper bound), and
safe persistence (``__getstate__`` stores the booster as UBJSON bytes, so loading
never unpickles XGBoost objects).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import xgboost as xgb
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.utils.validation import check_is_fitted

from automl._core import Deadline, DeadlineExceeded, InputError
from automl.data import Task, sklearn_score
from automl.models import _ubjson
from automl.models._builders import register_builder
from automl.models._structure import StructureError, check_xgboost_document


class _DeadlineCallback(xgb.callback.TrainingCallback):
    def __init__(self, deadline: Deadline) -> None:
        super().__init__()
        self.deadline = deadline

    def after_iteration(self, model: Any, epoch: int, evals_log: Any) -> bool:
        if self.deadline.expired():
            raise DeadlineExceeded(f"xgboost stopped after {epoch + 1} rounds: the time budget ran out")
        return False


class XGBoostModel(ClassifierMixin, BaseEstimator):  # type: ignore[misc]  # sklearn has no type hints
    """XGBoost classifier or regressor (chosen by ``task``) with keyword ``params``.

    Example:
        >>> import numpy as np
        >>> m = XGBoostModel(task="binary", params={"n_estimators": 5}).fit(np.eye(4), ["a", "b", "a", "b"])
        >>> m.predict(np.eye(4)).shape
        (4,)
    """

    def __init__(
        self, task: Task = "binary", params: Mapping[str, Any] | None = None, random_state: int = 0, n_jobs: int = 1
    ) -> None:
        self.task = task
        self.params = params
        self.random_state = random_state
        self.n_jobs = n_jobs

    def __sklearn_tags__(self) -> Any:
        tags = super().__sklearn_tags__()
        tags.estimator_type = "regressor" if self.task == "regression" else "classifier"
        return tags

    def set_params(self, **params: Any) -> XGBoostModel:
        """sklearn's ``set_params``; a new ``n_jobs`` also reaches the fitted booster's predictions."""
        super().set_params(**params)
        if "n_jobs" in params and hasattr(self, "model_"):
            self.model_.set_params(n_jobs=self.n_jobs)
        return self

    def _booster_model(self) -> Any:
        cls = xgb.XGBRegressor if self.task == "regression" else xgb.XGBClassifier
        params = {k: v for k, v in dict(self.params or {}).items() if k not in _OWN_PARAMS}
        return cls(**params, random_state=self.random_state, n_jobs=self.n_jobs)

    def fit(self, X: Any, y: Any, deadline: Deadline | None = None) -> XGBoostModel:
        """Boost on ``(X, y)``; with ``early_stopping_rounds``, on all but a validation part of the
        rows, stopping once that part's loss has not improved for that many rounds (the booster
        keeps only the rounds up to the best one)."""
        model = self._booster_model()
        target = np.asarray(y)
        if self.task != "regression":
            self.classes_, target = np.unique(target, return_inverse=True)
        callbacks = [_DeadlineCallback(deadline)] if deadline is not None and deadline.is_limited else None
        params = dict(self.params or {})
        fit_rows, valid_rows = (
            early_stopping_split(
                target,
                self.task,
                float(params.get("validation_fraction", 0.1)),
                self.random_state,
            )
            if params.get("early_stopping_rounds")
            else (None, None)
        )
        if fit_rows is None or valid_rows is None:  # both or neither (early_stopping_split)
            if params.get("early_stopping_rounds"):  # too few rows to stop on: n_estimators is only an upper bound
                upper = int(model.get_params()["n_estimators"] or ROUNDS_WITHOUT_VALIDATION)
                model.set_params(n_estimators=min(upper, ROUNDS_WITHOUT_VALIDATION))
            model.set_params(callbacks=callbacks, early_stopping_rounds=None)
            model.fit(X, target)
            self.early_stopped_rounds_: int | None = None
        else:
            model.set_params(callbacks=callbacks)
            model.fit(_rows(X, fit_rows), target[fit_rows], eval_set=[(_rows(X, valid_rows), target[valid_rows])], verbose=False)
            model = self._keep_best_rounds(model)
            self.early_stopped_rounds_ = int(model.get_booster().num_boosted_rounds())
        model.set_params(callbacks=None)
        self.model_ = model
        self.n_features_in_ = np.shape(X)[1]
        return self

    def _keep_best_rounds(self, model: Any) -> Any:
        """The booster cut after its best round: predictions are unchanged, the model is smaller,
        and continued boosting (:meth:`continue_boosting`) starts from the best round."""
        best = getattr(model, "best_iteration", None)
        booster = model.get_booster()
        if best is not None and best + 1 < booster.num_boosted_rounds():
            booster = booster[: best + 1]
        booster.set_attr(best_iteration=None, best_score=None)
        kept = self._booster_model()
        kept.load_model(bytearray(booster.save_raw("ubj")))
        return kept

    @property
    def n_rounds_(self) -> int:
        """Boosting rounds in the booster (grows with :meth:`continue_boosting`)."""
        check_is_fitted(self, "model_")
        return int(self.model_.get_booster().num_boosted_rounds())

    def continue_boosting(self, X: Any, y: Any, rounds: int, deadline: Deadline | None = None) -> XGBoostModel:
        """Add ``rounds`` boosting rounds fitted on ``(X, y)`` to the current booster (a stateful update).

        XGBoost's native training continues from the booster (``xgb_model=``), so the
        first rounds and their predictions stay exactly the fitted model's. Labels
        must be classes the model knows; a class may be absent from the new rows.
        """
        check_is_fitted(self, "model_")
        target = np.asarray(y)
        if self.task != "regression":
            known = {label: i for i, label in enumerate(self.classes_.tolist())}
            unseen = sorted({str(v) for v in target.tolist() if v not in known})
            if unseen:
                raise InputError(f"labels the model never saw: {', '.join(unseen[:5])}")
            target = np.array([known[v] for v in target.tolist()])
        params = {k: v for k, v in self.model_.get_xgb_params().items() if v is not None}
        callbacks = [_DeadlineCallback(deadline)] if deadline is not None and deadline.is_limited else None
        booster = xgb.train(
            params,
            xgb.DMatrix(X, label=target),
            num_boost_round=int(rounds),
            xgb_model=self.model_.get_booster(),
            callbacks=callbacks,
        )
        booster.set_attr(best_iteration=None, best_score=None)  # an early-stopping mark would hide the new rounds
        model = self._booster_model()
        model.load_model(bytearray(booster.save_raw("ubj")))
        self.model_ = model
        return self

    def predict(self, X: Any) -> np.ndarray:
        check_is_fitted(self, "model_")
        if self.task == "regression":
            return np.asarray(self.model_.predict(X))
        return np.asarray(self.classes_[self.predict_proba(X).argmax(axis=1)])

    def predict_proba(self, X: Any) -> np.ndarray:
        check_is_fitted(self, "model_")
        return np.asarray(self.model_.predict_proba(X))

    def score(self, X: Any, y: Any, sample_weight: Any = None) -> float:
        """Accuracy for classification, R^2 for regression (the sklearn convention)."""
        return sklearn_score(self.task, y, self.predict(X), sample_weight)

    def __getstate__(self) -> dict[str, Any]:
        state = dict(self.__dict__)
        model = state.pop("model_", None)
        if model is not None:
            state["booster_ubj_"] = bytes(model.get_booster().save_raw("ubj"))
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        state = dict(state)
        raw = state.pop("booster_ubj_", None)
        self.__dict__.update(state)
        if raw is not None:
            # XGBoost's parser crashes the process on damaged or crafted bytes: check them first.
            if not isinstance(raw, bytes):
                raise InputError(f"XGBoostModel: the stored booster is a {type(raw).__name__}, not bytes")
            try:
                check_xgboost_document(_ubjson.loads(raw), state.get("n_features_in_"))
            except (_ubjson.UBJSONError, StructureError) as exc:
                raise InputError(f"XGBoostModel: the stored booster is damaged or hostile: {exc}") from None
            model = self._booster_model()
            model.load_model(bytearray(raw))
            self.model_ = model


# Parameters of this wrapper, not of XGBoost.
_OWN_PARAMS = ("validation_fraction",)
# Early stopping needs a validation part of at least this many rows; below, all rows are fitted
# with at most ROUNDS_WITHOUT_VALIDATION rounds (n_estimators is only an upper bound).
MIN_VALIDATION_ROWS = 20
ROUNDS_WITHOUT_VALIDATION = 200


def _rows(X: Any, rows: np.ndarray) -> Any:
    return X.iloc[rows] if hasattr(X, "iloc") else X[rows]


def early_stopping_split(
    target: np.ndarray, task: Task, fraction: float, seed: int
) -> tuple[np.ndarray, np.ndarray] | tuple[None, None]:
    """(fit rows, validation rows) for early stopping, or ``(None, None)`` when too few rows.

    Stratified by class, and every class keeps at least one row in the fitted part (a class
    the booster never saw would change its number of outputs).
    """
    rng = np.random.default_rng(seed)
    n = len(target)
    if int(n * fraction) < MIN_VALIDATION_ROWS:
        return None, None
    if task == "regression":
        order = rng.permutation(n)
        cut = int(n * fraction)
        return np.sort(order[cut:]), np.sort(order[:cut])
    valid = []
    for label in np.unique(target):
        rows = rng.permutation(np.flatnonzero(target == label))
        valid.append(rows[: min(int(round(len(rows) * fraction)), len(rows) - 1)])
    valid_rows = np.sort(np.concatenate(valid))
    if len(valid_rows) < MIN_VALIDATION_ROWS:
        return None, None
    return np.setdiff1d(np.arange(n), valid_rows), valid_rows


@register_builder("xgboost")
def build_xgboost(task: Task, params: Mapping[str, Any], *, seed: int, n_jobs: int) -> XGBoostModel:
    return XGBoostModel(task=task, params=dict(params), random_state=seed, n_jobs=n_jobs)

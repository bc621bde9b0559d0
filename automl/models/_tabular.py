"""A family's estimator behind its preprocessing, as one sklearn estimator on DataFrames."""

from __future__ import annotations

import hashlib
import logging
import pickle
import sys
import weakref
from collections.abc import Iterator, Mapping
from contextlib import AbstractContextManager, contextmanager, nullcontext
from contextvars import ContextVar
from typing import Any

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator
from sklearn.ensemble import ExtraTreesClassifier, ExtraTreesRegressor, RandomForestClassifier, RandomForestRegressor
from sklearn.utils.validation import check_is_fitted
from threadpoolctl import ThreadpoolController

from automl._core import Deadline, InputError
from automl.data import CategoricalEncoding, Schema, Task, as_frame, build_preprocessor, infer_schema, sklearn_score
from automl.models._budget import EpochCallback, fit_budgeted
from automl.models._builders import get_builder
from automl.models._continue import CannotContinue, continuation_for

log = logging.getLogger(__name__)

# Estimators whose parallel predict adds the threads' parts up in the order they finish (see use_threads).
_SUMMED_IN_THREAD_ORDER = (RandomForestClassifier, RandomForestRegressor, ExtraTreesClassifier, ExtraTreesRegressor)


class TabularModel(BaseEstimator):  # type: ignore[misc]  # sklearn has no type hints
    """Preprocessing + a family's estimator, trained on a raw table.

    The schema (which columns, as what) is learned at ``fit``; ``predict`` checks
    that the same columns are there and names the missing ones otherwise.

    Example:
        >>> import pandas as pd
        >>> X = pd.DataFrame({"a": [0, 1, 2, 3, 4, 5], "b": list("xyxyxy")})
        >>> m = TabularModel("logistic_regression", {}, task="binary", scale=True, categorical="onehot")
        >>> m.fit(X, [0, 1, 0, 1, 0, 1]).predict(X).shape
        (6,)
    """

    def __init__(
        self,
        builder: str = "hist_gradient_boosting",
        params: Mapping[str, Any] | None = None,
        task: Task = "binary",
        scale: bool = False,
        categorical: CategoricalEncoding = "ordinal",
        random_state: int = 0,
        n_jobs: int = 1,
    ) -> None:
        self.builder = builder
        self.params = params
        self.task = task
        self.scale = scale
        self.categorical = categorical
        self.random_state = random_state
        self.n_jobs = n_jobs

    def __sklearn_tags__(self) -> Any:
        tags = super().__sklearn_tags__()
        tags.estimator_type = "regressor" if self.task == "regression" else "classifier"
        tags.input_tags.allow_nan = True
        tags.input_tags.categorical = True
        tags.input_tags.string = True
        return tags

    def fit(self, X: Any, y: Any, deadline: Deadline | None = None, epoch_callback: EpochCallback | None = None) -> TabularModel:
        """Learn the schema and preprocessing, then fit the family within ``deadline``.

        ``epoch_callback(epoch, val_loss)`` is passed to families that train in epochs.
        """
        frame = _finite(as_frame(X))
        target = np.asarray(y)
        if len(frame) != len(target):
            raise InputError(f"X has {len(frame)} rows but y has {len(target)} values")
        self.schema_ = _usable_schema(frame)
        self.preprocessor_ = build_preprocessor(self.schema_, scale=self.scale, categorical=self.categorical)
        matrix = self.preprocessor_.fit_transform(frame)
        estimator = get_builder(self.builder)(self.task, dict(self.params or {}), seed=self.random_state, n_jobs=self.n_jobs)
        _adapt_to_rows(estimator, target, self.task)
        _declare_categories(estimator, self.preprocessor_)
        with self._thread_limit():
            self.estimator_ = fit_budgeted(estimator, matrix, target, deadline or Deadline.unlimited(), epoch_callback)
        self.feature_names_in_ = np.asarray(self.schema_.columns, dtype=object)
        self.n_features_in_ = len(self.schema_.columns)
        if self.task != "regression":
            self.classes_ = np.asarray(self.estimator_.classes_)
        return self

    def continue_fit(self, X: Any, y: Any, *, share: float, deadline: Deadline | None = None) -> str:
        """Keep training this fitted model on new rows (a stateful update); returns what was added.

        The preprocessing keeps its fitted schema (unseen categories are tolerated,
        never re-learned), and the family continues from its current state: more
        boosting rounds or trees, a warm-started solver, more neighbours, or fine-tuning
        (``automl.models.continuation_for``). ``share`` is new rows / rows seen so far.
        Mutates the model: copy the champion first.

        Raises:
            CannotContinue: the family has no way to continue, or the new rows lack a class
                (forests and boosting would relearn their class list from them).
            InputError: missing columns or labels the model never saw.
        """
        step = continuation_for(self.estimator_)
        matrix = self.transform_features(X)
        target = np.asarray(y)
        if self.task != "regression":
            unseen = sorted({str(v) for v in set(target.tolist()) - set(self.classes_.tolist())})
            if unseen:
                raise InputError(f"the new rows have label(s) the model never saw: {', '.join(unseen[:5])}")
            missing = sorted({str(v) for v in set(self.classes_.tolist()) - set(target.tolist())})
            if missing and type(self.estimator_).__name__ != "XGBoostModel":
                raise CannotContinue(f"the new rows lack class(es) {', '.join(missing[:5])}, which this family would forget")
        with self._thread_limit():
            return step(self.estimator_, matrix, target, share, deadline or Deadline.unlimited())

    def transform_features(self, X: Any) -> np.ndarray:
        """The preprocessed matrix the family sees (checked against the training schema).

        Inside :func:`shared_preprocessing`, a matrix another model made from this same ``X`` with
        identically fitted preprocessing is reused (read-only).
        """
        check_is_fitted(self, "estimator_")
        shared = _shared.get()
        if shared is None:
            return self._transform(X)
        key = _digest(self.preprocessor_)
        done = shared.get(key)
        if done is not None and done[0] is X:
            return done[1]
        matrix = self._transform(X)
        matrix.flags.writeable = False
        shared[key] = (X, matrix)
        return matrix

    def use_threads(self, n_jobs: int) -> TabularModel:
        """Predict (and continue training) with ``n_jobs`` threads from now on (-1: all cores).

        Why: a search fits each model with its share of the cores (one each while two trials
        run at once), and the fitted model would keep that share for good. The final model
        predicts on its own, where the share leaves cores idle: a 300 s adult search's six
        XGBoost members predicted the test rows in 1.08 s with one thread each, 0.55 s with two.

        Forests keep their own ``n_jobs``: their trees' predictions are summed in the order
        the threads finish, so threads would change the last bits of the result from one
        call to the next (a saved model would no longer predict exactly as the search's).
        """
        check_is_fitted(self, "estimator_")
        self.n_jobs = n_jobs
        if "n_jobs" in self.estimator_.get_params() and not isinstance(self.estimator_, _SUMMED_IN_THREAD_ORDER):
            self.estimator_.set_params(n_jobs=n_jobs)
        return self

    def _transform(self, X: Any) -> np.ndarray:
        matrix: np.ndarray = self.preprocessor_.transform(_finite(self.schema_.check(as_frame(X))))  # dense: sparse_threshold=0
        return matrix

    def predict(self, X: Any) -> np.ndarray:
        matrix = self.transform_features(X)
        with self._thread_limit():
            return np.asarray(self.estimator_.predict(matrix))

    def predict_proba(self, X: Any) -> np.ndarray:
        if self.task == "regression":
            raise InputError("predict_proba is only available for classification models")
        matrix = self.transform_features(X)
        with self._thread_limit():
            return np.asarray(self.estimator_.predict_proba(matrix))

    def _thread_limit(self) -> AbstractContextManager[object]:
        """Cap OpenMP/BLAS threads at ``n_jobs`` (-1: all cores, so no cap).

        Families without an ``n_jobs`` knob (HistGradientBoosting, BLAS in linear
        models) would otherwise use every core, oversubscribing the machine when
        trials run in parallel; spinning OpenMP threads slow down badly then.
        """
        if self.n_jobs == -1:
            return nullcontext()
        limiter: AbstractContextManager[object] = _thread_controller().limit(limits=max(1, self.n_jobs))
        return limiter

    def score(self, X: Any, y: Any) -> float:
        """Accuracy for classification, R^2 for regression (the sklearn convention)."""
        return sklearn_score(self.task, y, self.predict(X))


# Per shared_preprocessing block: preprocessing digest -> (the X it transformed, the matrix).
_shared: ContextVar[dict[str, tuple[object, np.ndarray]] | None] = ContextVar("automl_shared_preprocessing", default=None)
_digests: weakref.WeakKeyDictionary[object, str] = weakref.WeakKeyDictionary()


@contextmanager
def shared_preprocessing() -> Iterator[None]:
    """Within this block, models whose fitted preprocessing is identical transform a given ``X`` once.

    An ensemble's members are refit on the same rows, so members with the same preprocessing
    needs (ordinal or one-hot categories, scaled or not) hold equal fitted preprocessors; the
    transform was most of a member's predict time on tables with many category columns. Nested
    blocks share the outer block's matrices.
    """
    if _shared.get() is not None:
        yield
        return
    token = _shared.set({})
    try:
        yield
    finally:
        _shared.reset(token)


def _digest(preprocessor: object) -> str:
    """A digest of a fitted preprocessor's whole state, computed once per object: equal digests
    transform every input alike. (A refit makes a new preprocessor object, so none goes stale.)"""
    digest = _digests.get(preprocessor)
    if digest is None:
        digest = hashlib.sha256(pickle.dumps(preprocessor, protocol=pickle.HIGHEST_PROTOCOL)).hexdigest()
        _digests[preprocessor] = digest
    return digest


_controller: tuple[int, ThreadpoolController] | None = None


def _thread_controller() -> ThreadpoolController:
    """The process's thread pools, found once per set of imported modules.

    Finding them reads the process's memory map (about 2.5 ms), which every predict call of
    every ensemble member paid. A native library is loaded by an import, so the pools are
    looked up again only when ``sys.modules`` has grown.
    """
    global _controller
    if _controller is None or _controller[0] != len(sys.modules):
        _controller = (len(sys.modules), ThreadpoolController())
    return _controller[1]


def _finite(frame: pd.DataFrame) -> pd.DataFrame:
    """Infinite numbers read as missing: imputers refuse them, and no family can split on them.

    Only float columns can hold one.
    """
    floats = frame.select_dtypes(include="float")
    if floats.shape[1] == 0 or not np.isinf(floats.to_numpy(dtype=float, na_value=np.nan)).any():
        return frame
    return frame.assign(**{str(c): floats[c].replace([np.inf, -np.inf], np.nan) for c in floats.columns})


def _usable_schema(frame: pd.DataFrame) -> Schema:
    """The inferred schema; when every column would be dropped (all constant or empty), keep them,
    so that the family still trains (it learns the target's prior) instead of refusing the table."""
    schema = infer_schema(frame)
    if schema.numeric or schema.categorical or schema.datetime:
        return schema
    log.warning(
        "no informative feature columns (%s); training on them anyway (the model learns the target's prior)",
        ", ".join(f"{k}: {v}" for k, v in list(schema.dropped.items())[:5]),
    )
    numeric = tuple(
        c for c in schema.columns if pd.api.types.is_numeric_dtype(frame[c]) and not pd.api.types.is_bool_dtype(frame[c])
    )
    categorical = tuple(c for c in schema.columns if c not in numeric)
    return Schema(columns=schema.columns, numeric=numeric, categorical=categorical, datetime=(), dropped={})


# A family's ``categorical_features: encoded`` (YAML) becomes the mask of its ordinal-encoded category
# columns, for estimators that split on categories natively (HistGradientBoosting). Categories beyond
# the estimator's 255 bins stay ordinal numbers.
ENCODED_CATEGORIES = "encoded"
_MAX_NATIVE_LEVELS = 254


def _declare_categories(estimator: Any, preprocessor: Any) -> None:
    """Replace the ``encoded`` sentinel by a boolean mask over the preprocessed columns."""
    params = estimator.get_params(deep=False)
    if params.get("categorical_features") != ENCODED_CATEGORIES:
        return
    width = sum(len(range(*part.indices(10**9))) for part in preprocessor.output_indices_.values())
    mask = np.zeros(width, dtype=bool)
    part = preprocessor.output_indices_.get("cat")
    if part is not None and part.stop > part.start:
        encoder = preprocessor.named_transformers_["cat"].named_steps["encode"]
        for j, levels in enumerate(getattr(encoder, "categories_", [])):
            mask[part.start + j] = len(levels) <= _MAX_NATIVE_LEVELS
    estimator.set_params(categorical_features=mask if mask.any() else None)


# Boosting iterations when sklearn's early stopping cannot get a validation part (n_iter is then no bound).
ITERATIONS_WITHOUT_VALIDATION = 200
_MIN_VALIDATION_ROWS = 20


def _adapt_to_rows(estimator: Any, target: np.ndarray, task: Task) -> None:
    """Settings that the training rows cannot support are scaled down to them.

    k-NN's ``n_neighbors`` is capped at the rows. HistGradientBoosting's early stopping draws
    a (stratified) validation part of ``validation_fraction``; when that part would be under
    20 rows, or miss a class, or a class has a single row (it cannot be stratified), early
    stopping is off and ``max_iter`` is capped instead.
    """
    params = estimator.get_params(deep=False)
    n_rows = len(target)
    if isinstance(params.get("n_neighbors"), int) and params["n_neighbors"] > n_rows:
        estimator.set_params(n_neighbors=n_rows)
    if params.get("early_stopping") is True and "validation_fraction" in params:
        n_valid = int(np.ceil(n_rows * float(params["validation_fraction"] or 0)))
        counts = np.unique(target, return_counts=True)[1] if task != "regression" else np.array([n_rows])
        if n_valid < _MIN_VALIDATION_ROWS or counts.min() < 2 or n_valid < len(counts) or n_rows - n_valid < len(counts):
            estimator.set_params(
                early_stopping=False, max_iter=min(int(params.get("max_iter") or 100), ITERATIONS_WITHOUT_VALIDATION)
            )

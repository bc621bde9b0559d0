"""flaml: FLAML's ``AutoML().fit`` with the protocol's metric and the same budget (optional)."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from systems._base import FitContext, Fitted, System
from systems._encoding import non_numeric_columns


def missing() -> str | None:
    try:
        import flaml  # noqa: F401
    except Exception:  # ImportError, or a broken install
        return "flaml not installed"
    try:
        from flaml import AutoML  # noqa: F401
    except Exception as exc:
        return f"flaml installed without its automl extra ({type(exc).__name__}: {exc})"
    return None


class _CategoryFrame:
    """FLAML's fitted AutoML behind the same string -> category conversion as at fit time."""

    def __init__(self, model: Any, categories: dict[str, pd.Index]) -> None:
        self.model = model
        self.categories = categories
        classes = getattr(model, "classes_", None)
        if classes is not None:
            self.classes_ = np.asarray(classes)

    def _frame(self, X: pd.DataFrame) -> pd.DataFrame:
        X = X.copy()
        for column, categories in self.categories.items():
            X[column] = pd.Categorical(X[column].astype(object), categories=categories)
        return X

    def predict(self, X: pd.DataFrame) -> np.ndarray:
        return np.asarray(self.model.predict(self._frame(X)))

    def predict_proba(self, X: pd.DataFrame) -> np.ndarray:
        return np.asarray(self.model.predict_proba(self._frame(X)))


def fit(X: pd.DataFrame, y: pd.Series, ctx: FitContext) -> Fitted:
    from flaml import AutoML

    categories = {c: pd.Index(X[c].dropna().astype(object).unique()) for c in non_numeric_columns(X)}
    wrapper = _CategoryFrame(None, categories)
    model = AutoML()
    model.fit(
        wrapper._frame(X),
        y,
        task="regression" if ctx.task == "regression" else "classification",
        time_budget=ctx.budget,
        metric=ctx.metric,
        seed=ctx.seed,
        verbose=0,  # n_jobs: FLAML's default, all cores
    )
    return Fitted(_CategoryFrame(model, categories), f"{model.best_estimator}")


FLAML = System(
    "flaml",
    fit,
    "FLAML AutoML().fit(time_budget=budget, metric, seed) at its defaults (n_jobs=-1); strings passed as category",
    missing=missing,
)

"""hgb_defaults: scikit-learn HistGradientBoosting with its default hyperparameters."""

from __future__ import annotations

import pandas as pd
from sklearn.ensemble import HistGradientBoostingClassifier, HistGradientBoostingRegressor
from sklearn.pipeline import Pipeline

from systems._base import FitContext, Fitted, System
from systems._encoding import ordinal_encoder

# HistGradientBoosting needs categorical codes below max_bins (255 by default).
_MAX_CATEGORIES = 254


def fit(X: pd.DataFrame, y: pd.Series, ctx: FitContext) -> Fitted:
    encoder, categorical = ordinal_encoder(X)
    as_category = [X[c].nunique(dropna=True) <= _MAX_CATEGORIES for c in categorical]
    mask = as_category + [False] * (X.shape[1] - len(categorical))
    kind = HistGradientBoostingRegressor if ctx.task == "regression" else HistGradientBoostingClassifier
    pipeline = Pipeline([("encode", encoder), ("model", kind(categorical_features=mask, random_state=ctx.seed))])
    pipeline.fit(X, y)
    return Fitted(pipeline, f"{sum(as_category)} categorical features")


HGB_DEFAULTS = System(
    "hgb_defaults",
    fit,
    "sklearn HistGradientBoosting defaults; non-numeric columns ordinal-encoded and declared categorical",
)

"""zero_rule: class priors (classification) or the training mean (regression)."""

from __future__ import annotations

import pandas as pd
from sklearn.dummy import DummyClassifier, DummyRegressor

from systems._base import FitContext, Fitted, System


def fit(X: pd.DataFrame, y: pd.Series, ctx: FitContext) -> Fitted:
    if ctx.task == "regression":
        return Fitted(DummyRegressor(strategy="mean").fit(X, y))
    return Fitted(DummyClassifier(strategy="prior").fit(X, y))


ZERO_RULE = System("zero_rule", fit, "class priors / training mean (DummyClassifier prior, DummyRegressor mean)")

"""Shared preprocessing for the reference systems: ordinal-encode non-numeric columns."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from sklearn.compose import ColumnTransformer
from sklearn.preprocessing import OrdinalEncoder


def non_numeric_columns(X: pd.DataFrame) -> list[str]:
    return [c for c in X.columns if not pd.api.types.is_numeric_dtype(X[c])]


def ordinal_encoder(X: pd.DataFrame) -> tuple[ColumnTransformer, list[str]]:
    """A transformer putting the ordinal-encoded non-numeric columns first, then the rest.

    Unknown and missing categories become NaN (both HistGradientBoosting and
    XGBoost treat NaN as missing). Returns the transformer and the encoded columns.
    """
    categorical = non_numeric_columns(X)
    encoder = OrdinalEncoder(
        handle_unknown="use_encoded_value", unknown_value=np.nan, encoded_missing_value=np.nan, dtype=np.float64
    )
    transformer = ColumnTransformer(
        [("categorical", encoder, categorical)], remainder="passthrough", verbose_feature_names_out=False
    )
    return transformer, categorical


class LabelEncodedClassifier:
    """A fitted pipeline trained on integer labels, exposing the original ``classes_``."""

    def __init__(self, pipeline: Any, classes: np.ndarray) -> None:
        self.pipeline = pipeline
        self.classes_ = classes

    def predict_proba(self, X: pd.DataFrame) -> np.ndarray:
        return np.asarray(self.pipeline.predict_proba(X))

    def predict(self, X: pd.DataFrame) -> np.ndarray:
        return self.classes_[self.predict_proba(X).argmax(axis=1)]

"""Feature tables as DataFrames: the one conversion every estimator applies to its ``X``."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from automl._core import InputError


def as_frame(X: Any) -> pd.DataFrame:
    """``X`` as a DataFrame whose column names are strings.

    Arrays (and lists) get the names ``x0, x1, ...``, so an estimator fitted on an
    array finds the same columns in the arrays it later predicts, and its schema
    checks can name a missing column. A DataFrame keeps its columns, renamed to
    ``str`` (the preprocessing and the meta-learners select columns by name).

    Raises:
        InputError: ``X`` is not two-dimensional.

    Example:
        >>> list(as_frame([[1, 2], [3, 4]]).columns)
        ['x0', 'x1']
    """
    if isinstance(X, pd.DataFrame):
        return X.rename(columns=str)
    array = np.asarray(X)
    if array.ndim != 2:
        raise InputError(f"expected a 2-D table of features, got an array of shape {array.shape}")
    return pd.DataFrame(array, columns=[f"x{i}" for i in range(array.shape[1])])

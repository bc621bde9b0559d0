"""Column roles inferred from the training table, and the schema check at predict time."""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from automl._core import InputError, printable

_DATE_SAMPLE = 200


@dataclass(frozen=True)
class Schema:
    """Which columns are used, as what, and which were dropped and why.

    ``columns`` is the full input column order the model was trained on; every
    predict call must provide those columns (extra ones are ignored).
    """

    columns: tuple[str, ...]
    numeric: tuple[str, ...]
    categorical: tuple[str, ...]
    datetime: tuple[str, ...]
    dropped: dict[str, str] = field(default_factory=dict)

    def check(self, X: pd.DataFrame, where: str = "predict") -> pd.DataFrame:
        """Return ``X`` restricted to the trained columns (``X`` itself when it has exactly those, in order:
        selecting them again costs every ensemble member time on every call), or raise naming what is missing."""
        if list(X.columns) == list(self.columns):
            return X
        X = X.rename(columns=str)
        missing = [c for c in self.columns if c not in X.columns]
        if missing:
            raise InputError(
                f"{where}: the data lacks column(s) the model was trained on: {', '.join(printable(c, 40) for c in missing[:10])}"
                f"{'...' if len(missing) > 10 else ''}"
            )
        return X[list(self.columns)]

    def to_dict(self) -> dict[str, object]:
        return {
            "columns": list(self.columns),
            "numeric": list(self.numeric),
            "categorical": list(self.categorical),
            "datetime": list(self.datetime),
            "dropped": dict(self.dropped),
        }


def infer_schema(X: pd.DataFrame) -> Schema:
    """Sort columns into numeric / categorical / datetime and drop useless ones.

    Dropped: all-missing, constant, and ID-like columns (every value distinct for
    text, or a 0..n-1 style counter for integers): they cannot generalise and an
    ID column lets trees memorise rows.
    """
    numeric: list[str] = []
    categorical: list[str] = []
    dates: list[str] = []
    dropped: dict[str, str] = {}
    n = len(X)
    for name in X.columns:
        col = X[name]
        reason = _drop_reason(col, n)
        if reason:
            dropped[str(name)] = reason
        elif pd.api.types.is_datetime64_any_dtype(col) or _looks_like_dates(col):
            dates.append(str(name))
        elif pd.api.types.is_numeric_dtype(col) and not pd.api.types.is_bool_dtype(col):
            numeric.append(str(name))
        else:
            categorical.append(str(name))
    return Schema(
        columns=tuple(str(c) for c in X.columns),
        numeric=tuple(numeric),
        categorical=tuple(categorical),
        datetime=tuple(dates),
        dropped=dropped,
    )


def _drop_reason(col: pd.Series, n_rows: int) -> str | None:
    non_null = col.dropna()
    if non_null.empty:
        return "all values missing"
    n_unique = non_null.nunique()
    if n_unique == 1 and not col.isna().any():
        return "constant"
    if n_rows >= 20 and n_unique == n_rows:
        if not pd.api.types.is_numeric_dtype(col) and not _looks_like_dates(col):
            return "ID-like (every value distinct)"
        if pd.api.types.is_integer_dtype(col) and np.all(np.diff(np.sort(non_null.to_numpy())) == 1):
            return "ID-like (a row counter)"
    return None


def _looks_like_dates(col: pd.Series) -> bool:
    if not (pd.api.types.is_object_dtype(col) or pd.api.types.is_string_dtype(col)):
        return False
    sample = col.dropna().astype(str).head(_DATE_SAMPLE)
    if sample.empty or not sample.str.contains(r"\d{4}-\d{1,2}-\d{1,2}|\d{1,2}/\d{1,2}/\d{2,4}", regex=True).all():
        return False
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        parsed = pd.to_datetime(sample, errors="coerce", format="mixed")
    return bool(parsed.notna().mean() >= 0.95)

"""Train / validation / holdout splits, by time when the rows have one.

A holdout is only worth something if no model was fitted or tuned on it. With a
time column the holdout is the most recent rows (what a model will face next);
without one it is a seeded random sample, stratified for classes.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
import pandas as pd
from sklearn.model_selection import train_test_split

from automl._core import InputError, did_you_mean


@dataclass(frozen=True)
class DataSplit:
    """Three disjoint parts of one table (``validation`` may be empty)."""

    train: pd.DataFrame
    validation: pd.DataFrame
    holdout: pd.DataFrame


def order_by_time(frame: pd.DataFrame, time_col: str, source: str = "data") -> pd.DataFrame:
    """``frame`` sorted by ``time_col`` (stable, so ties keep the file's order).

    The column may hold numbers, dates or date strings; anything else is an error
    naming the column and a value that could not be read as a time.
    """
    return frame.iloc[time_order(frame, time_col, source)].reset_index(drop=True)


def time_order(frame: pd.DataFrame, time_col: str, source: str = "data") -> np.ndarray:
    """Row positions of ``frame`` from oldest to newest by ``time_col`` (stable: ties keep the file's order).

    Raises:
        InputError: no such column, a missing value, or a value that is not a time or number.
    """
    columns = [str(c) for c in frame.columns]
    if time_col not in columns:
        raise InputError(f"{source}: time column '{time_col}' not found{did_you_mean(time_col, columns)}")
    values = frame[frame.columns[columns.index(time_col)]]
    if values.isna().any():
        first = int(np.flatnonzero(values.isna().to_numpy())[0])
        raise InputError(f"{source}: time column '{time_col}' has a missing value at row {first}")
    if pd.api.types.is_numeric_dtype(values) or pd.api.types.is_datetime64_any_dtype(values):
        key = values
    else:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            key = pd.to_datetime(values, errors="coerce", format="mixed")
        if key.isna().any():
            first = int(np.flatnonzero(key.isna().to_numpy())[0])
            raise InputError(
                f"{source}: time column '{time_col}' has a value that is not a time or number: "
                f"{values.iloc[first]!r} (row {first})"
            )
    return np.argsort(key.to_numpy(), kind="stable")


def split_frame(
    frame: pd.DataFrame,
    *,
    holdout: float = 0.2,
    validation: float = 0.0,
    time_col: str | None = None,
    stratify: pd.Series | None = None,
    seed: int = 0,
    source: str = "data",
) -> DataSplit:
    """Split ``frame`` into train / validation / holdout by row shares.

    With ``time_col`` the rows are ordered by time and the holdout is the newest
    ``holdout`` share, the validation part the share just before it. Otherwise the
    parts are a seeded random draw, stratified on ``stratify`` when every class
    has a row for each part.

    Raises:
        InputError: shares outside (0, 1), a part that would be empty, a bad time column.
    """
    if not 0 < holdout < 1 or not 0 <= validation < 1 or holdout + validation >= 1:
        raise InputError(
            f"holdout ({holdout}) and validation ({validation}) must be shares in (0, 1) that leave rows to train on"
        )
    n = len(frame)
    n_holdout, n_validation = int(round(n * holdout)), int(round(n * validation))
    if n_holdout < 1 or n - n_holdout - n_validation < 1 or (validation > 0 and n_validation < 1):
        raise InputError(f"{source}: {n} rows are too few for a {holdout:g} holdout and a {validation:g} validation share")
    if time_col is not None:
        ordered = order_by_time(frame, time_col, source)
        cut_train, cut_validation = n - n_holdout - n_validation, n - n_holdout
        return DataSplit(ordered.iloc[:cut_train], ordered.iloc[cut_train:cut_validation], ordered.iloc[cut_validation:])
    rest, held = _draw(frame, n_holdout, stratify, seed)
    if n_validation == 0:
        return DataSplit(rest, rest.iloc[:0], held)
    train, valid = _draw(rest, n_validation, None if stratify is None else stratify.loc[rest.index], seed + 1)
    return DataSplit(train, valid, held)


def _draw(frame: pd.DataFrame, size: int, stratify: pd.Series | None, seed: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(rest, drawn): a seeded random sample of ``size`` rows, stratified when every class can be."""
    usable = stratify is not None and stratify.value_counts().min() >= 2 and size >= stratify.nunique()
    rest, drawn = train_test_split(frame, test_size=size, random_state=seed, stratify=stratify if usable else None)
    return rest.sort_index(), drawn.sort_index()

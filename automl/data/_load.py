"""Read a table from CSV, Parquet or a DataFrame and split off the target.

Every failure is turned into an :class:`InputError` that names the file, the
column or the value, so users never see a parser traceback.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from automl._core import InputError, Limits, did_you_mean, quote
from automl.data._read import read_table
from automl.data._task import Task, as_task, check_target, infer_task


@dataclass(frozen=True)
class Dataset:
    """Features, target and what was inferred about them."""

    X: pd.DataFrame
    y: pd.Series
    task: Task
    source: str

    @property
    def target(self) -> str:
        return str(self.y.name)

    @property
    def classes(self) -> np.ndarray | None:
        """Sorted class labels for classification, ``None`` for regression."""
        return None if self.task == "regression" else np.unique(self.y.to_numpy())


def load_dataset(
    data: str | Path | pd.DataFrame,
    target: str | pd.Series | np.ndarray | None,
    task: str = "auto",
    limits: Limits | None = None,
) -> Dataset:
    """Load ``data`` and separate the ``target``.

    Args:
        data: a CSV/Parquet path or a DataFrame of features (and the target column
            when ``target`` is a column name).
        target: a column name of ``data``, or the target values themselves
            (Series/array aligned with ``data``'s rows).
        task: ``"auto"`` to infer, or ``"binary"``, ``"multiclass"``, ``"regression"``.
        limits: size limits for files (default ``Limits.from_env()``).

    Raises:
        InputError: with a one-line reason for every unusable input.

    Example:
        >>> import pandas as pd
        >>> ds = load_dataset(pd.DataFrame({"x": [1, 2, 3, 4], "y": [0, 1, 0, 1]}), "y")
        >>> ds.task
        'binary'
    """
    source = str(data) if isinstance(data, (str, Path)) else "DataFrame"
    frame = read_table(data, limits) if isinstance(data, (str, Path)) else data
    if not isinstance(frame, pd.DataFrame):
        raise InputError(f"data must be a path or a pandas DataFrame, got {type(frame).__name__}")
    X, y = split_target(frame, target, source)
    if len(X) == 0:
        raise InputError(f"{source}: the table has no rows")
    if X.shape[1] == 0:
        raise InputError(f"{source}: the table has no feature columns besides target {quote(y.name)}")
    resolved = infer_task(y) if task == "auto" else as_task(task)
    check_target(y, resolved, source)
    return Dataset(X=X.reset_index(drop=True), y=y.reset_index(drop=True), task=resolved, source=source)


def split_target(frame: pd.DataFrame, target: str | pd.Series | np.ndarray | None, source: str) -> tuple[pd.DataFrame, pd.Series]:
    """Separate the target (a column name of ``frame``, or the values themselves) from the features."""
    if target is None:
        raise InputError(f"{source}: no target given; name the column to predict (--target COL)")
    if isinstance(target, str):
        columns = [str(c) for c in frame.columns]
        if target not in columns:
            raise InputError(
                f"{source}: target column {quote(target)} not found{did_you_mean(target, columns)}; "
                f"columns are {', '.join(quote(c, 40) for c in columns[:20])}{'...' if len(columns) > 20 else ''}"
            )
        frame = frame.rename(columns=str)
        return frame.drop(columns=[target]), frame[target]
    y = pd.Series(np.asarray(target), name=getattr(target, "name", None) or "target")
    if len(y) != len(frame):
        raise InputError(f"{source}: target has {len(y)} values but the table has {len(frame)} rows")
    return frame.rename(columns=str), y

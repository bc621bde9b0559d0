"""The rows a version saw: recorded as file slices at registration, read back (and verified) for retraining.

A stateless update retrains the champion's configuration on everything the
champion saw plus the new rows. The registry does not copy data; it records
where each training table came from (file, SHA-256 of its bytes, order and row
range) and refuses a file that changed since, naming it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd

from automl._core import InputError, sha256_file
from automl.data import order_by_time, read_table


def file_source(path: str | Path, rows: int, *, order_by: str | None = None, start: int = 0) -> dict[str, Any]:
    """Rows ``[start, start + rows)`` of ``path`` (after ordering by ``order_by``), with the file's digest."""
    resolved = Path(path).resolve()
    return {
        "path": str(resolved),
        "sha256": sha256_file(resolved),
        "order_by": order_by,
        "start": int(start),
        "stop": int(start + rows),
    }


def load_sources(sources: list[dict[str, Any]] | tuple[dict[str, Any], ...], owner: str) -> pd.DataFrame:
    """The recorded rows, in order, concatenated.

    Raises:
        InputError: a file is gone or changed since ``owner`` was registered (named, with both digests).
    """
    if not sources:
        raise InputError(
            f"{owner} has no training data on record (it was trained on a DataFrame); pass the history rows or a window"
        )
    parts = []
    for source in sources:
        path = Path(source["path"])
        if not path.is_file():
            raise InputError(f"training data of {owner} is gone: '{path}' does not exist; pass the history rows or a window")
        digest = sha256_file(path)
        if digest != source["sha256"]:
            raise InputError(
                f"training data of {owner} changed: '{path}' has sha256 {digest[:12]}..., recorded {source['sha256'][:12]}..."
            )
        frame = read_table(path)
        if source.get("order_by"):
            frame = order_by_time(frame, source["order_by"], str(path))
        parts.append(frame.iloc[int(source["start"]) : int(source["stop"])])
    return pd.concat(parts, ignore_index=True)


def last_rows(sources: tuple[dict[str, Any], ...], n: int) -> tuple[dict[str, Any], ...]:
    """The sources trimmed to their last ``n`` rows (a sliding window keeps its newest rows)."""
    kept: list[dict[str, Any]] = []
    for source in reversed(sources):
        if n <= 0:
            break
        size = int(source["stop"]) - int(source["start"])
        take = min(size, n)
        kept.append({**source, "start": int(source["stop"]) - take})
        n -= take
    return tuple(reversed(kept))


def feature_notes(X: pd.DataFrame) -> dict[str, Any]:
    """The training columns, in order, and what kind each is: new data is checked against them."""
    return {"feature_columns": [str(c) for c in X.columns], "feature_kinds": {str(c): column_kind(X[c]) for c in X.columns}}


def column_kind(values: pd.Series) -> str:
    if pd.api.types.is_datetime64_any_dtype(values):
        return "datetime"
    if pd.api.types.is_numeric_dtype(values) and not pd.api.types.is_bool_dtype(values):
        return "numeric"
    return "categorical"

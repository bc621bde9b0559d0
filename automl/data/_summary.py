"""A compact summary of a training table, kept with a model, to measure drift of new data against it.

Per numeric column: decile edges with their shares (for the population stability
index, PSI) and a seeded sample of values (for the two-sample Kolmogorov-Smirnov
test); per categorical column: the shares of its most frequent values. A few
kilobytes per column, whatever the table's size.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

SAMPLE_SIZE = 500
_BINS = 10
_TOP_VALUES = 20
_OTHER, _MISSING = "__other__", "__missing__"
_EPS = 1e-4  # share floor: PSI is undefined for empty bins


@dataclass(frozen=True)
class ColumnDrift:
    """How far one column of new data moved from the training summary."""

    column: str
    kind: str
    psi: float
    ks_pvalue: float | None
    n_new: int


def summarize(X: pd.DataFrame, seed: int = 0) -> dict[str, Any]:
    """The drift reference of ``X``: ``{"n_rows": n, "columns": {name: column summary}}``."""
    rng = np.random.default_rng(seed)
    return {"n_rows": len(X), "columns": {str(c): _summarize_column(X[c], rng) for c in X.columns}}


def _summarize_column(values: pd.Series, rng: np.random.Generator) -> dict[str, Any]:
    missing = float(values.isna().mean()) if len(values) else 0.0
    present = values.dropna()
    if pd.api.types.is_numeric_dtype(values) and not pd.api.types.is_bool_dtype(values) and len(present):
        numbers = present.to_numpy(dtype=float)
        edges = np.unique(np.quantile(numbers, np.linspace(0, 1, _BINS + 1)[1:-1]))
        shares = np.bincount(np.searchsorted(edges, numbers, side="right"), minlength=len(edges) + 1) / len(numbers)
        sample = rng.choice(numbers, size=min(SAMPLE_SIZE, len(numbers)), replace=False)
        return {
            "kind": "numeric",
            "edges": edges.tolist(),
            "shares": shares.tolist(),
            "sample": sample.tolist(),
            "missing": missing,
        }
    counts = present.astype(str).value_counts(normalize=True)
    top = counts.head(_TOP_VALUES)
    return {
        "kind": "categorical",
        "shares": {str(k): float(v) for k, v in top.items()},
        "other": float(counts.iloc[_TOP_VALUES:].sum()),
        "missing": missing,
    }


def drift(summary: dict[str, Any], X: pd.DataFrame) -> list[ColumnDrift]:
    """PSI (and the KS test's p-value for numeric columns) of every summarised column present in ``X``."""
    from scipy.stats import ks_2samp

    out: list[ColumnDrift] = []
    for name, reference in summary.get("columns", {}).items():
        if name not in X.columns or len(X) == 0:
            continue
        values = X[name]
        if reference["kind"] == "numeric":
            numbers = pd.to_numeric(values, errors="coerce").dropna().to_numpy(dtype=float)
            edges = np.asarray(reference["edges"], dtype=float)
            actual = np.bincount(np.searchsorted(edges, numbers, side="right"), minlength=len(edges) + 1) / max(len(numbers), 1)
            psi = _psi(np.asarray(reference["shares"]), actual)
            pvalue = float(ks_2samp(np.asarray(reference["sample"], dtype=float), numbers).pvalue) if len(numbers) else None
            out.append(ColumnDrift(name, "numeric", psi, pvalue, len(numbers)))
            continue
        text = values.dropna().astype(str)
        labels = list(reference["shares"])
        expected = np.asarray([*reference["shares"].values(), reference["other"]])
        counts = text.value_counts(normalize=True)
        actual = np.asarray([float(counts.get(k, 0.0)) for k in labels] + [float(counts.drop(labels, errors="ignore").sum())])
        out.append(ColumnDrift(name, "categorical", _psi(expected, actual), None, len(text)))
    return out


def _psi(expected: np.ndarray, actual: np.ndarray) -> float:
    e = np.clip(np.asarray(expected, dtype=float), _EPS, None)
    a = np.clip(np.asarray(actual, dtype=float), _EPS, None)
    return float(np.sum((a - e) * np.log(a / e)))

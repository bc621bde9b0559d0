"""Data fingerprints: a content hash plus the schema, to version datasets (ch. 6.1.3)."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from dataclasses import asdict, dataclass

import numpy as np
import pandas as pd

from automl._core import ArtifactError


@dataclass(frozen=True)
class Fingerprint:
    """Identifies one version of a dataset: same rows and columns -> same ``content``."""

    content: str
    schema: dict[str, str]
    n_rows: int
    n_columns: int

    @property
    def short(self) -> str:
        return self.content[:12]

    def to_dict(self) -> dict[str, object]:
        return asdict(self)


def fingerprint(X: pd.DataFrame, y: pd.Series | None = None) -> Fingerprint:
    """Hash the values (row order included) and the column names/dtypes of ``X`` (and ``y``)."""
    frame = _with_target(X, y)
    schema = {str(c): str(t) for c, t in frame.dtypes.items()}
    digest = hashlib.sha256()
    digest.update(json.dumps(schema, sort_keys=False).encode())
    digest.update(pd.util.hash_pandas_object(frame, index=False).to_numpy().tobytes())
    return Fingerprint(digest.hexdigest(), schema, int(frame.shape[0]), int(X.shape[1]))


# Rows kept in a data sketch: enough to estimate how much of a table lies inside another
# (a few hundred sampled rows on typical tables) in a few kilobytes of lineage.
SKETCH_SIZE = 1024


@dataclass(frozen=True)
class RowSketch:
    """A bottom-k sketch of a table's rows: the ``k`` smallest row hashes.

    Row hashes are uniform, so the rows of another table whose hash is at most the
    sketch's largest are a random sample of it, and how many of those the sketch
    holds estimates which share of that table was in this one. Sketches of several
    tables merge into the sketch of their union, so a model updated on new rows
    keeps one sketch of everything it saw. ``complete`` says the table had at most
    ``k`` rows, so every row is in the sketch.
    """

    hashes: tuple[int, ...]
    complete: bool

    def to_dict(self) -> dict[str, object]:
        return {"hashes": list(self.hashes), "complete": self.complete}

    @classmethod
    def from_dict(cls, data: dict[str, object]) -> RowSketch:
        """The sketch :meth:`to_dict` wrote (read back from a registry row).

        Raises:
            ArtifactError: ``hashes`` is not a list.
        """
        hashes = data.get("hashes", ())
        if not isinstance(hashes, Iterable):
            raise ArtifactError(f"row sketch: 'hashes' must be a list of integers, got {type(hashes).__name__}")
        return cls(tuple(int(h) for h in hashes), bool(data.get("complete", False)))

    def merge(self, other: RowSketch) -> RowSketch:
        union = sorted(set(self.hashes) | set(other.hashes))
        return RowSketch(tuple(union[:SKETCH_SIZE]), self.complete and other.complete and len(union) <= SKETCH_SIZE)

    def containment(self, X: pd.DataFrame, y: pd.Series | None = None) -> tuple[float | None, int]:
        """(estimated share of the rows of ``(X, y)`` that this sketch's table contains, rows it rests on).

        ``None`` when no row of ``X`` falls in the sketch's sample range (too few rows to tell).
        """
        rows = row_hashes(X, y)
        if self.complete:
            sampled = rows
        else:
            limit = max(self.hashes) if self.hashes else -1
            sampled = rows[rows <= np.uint64(max(limit, 0))] if limit >= 0 else rows[:0]
        if sampled.size == 0:
            return None, 0
        known = np.isin(sampled, np.fromiter(self.hashes, dtype=np.uint64, count=len(self.hashes)))
        return float(known.mean()), int(sampled.size)


def row_hashes(X: pd.DataFrame, y: pd.Series | None = None) -> np.ndarray:
    """One 64-bit hash per row of ``X`` (and ``y``), from the same frame :func:`fingerprint` hashes."""
    return pd.util.hash_pandas_object(_with_target(X, y), index=False).to_numpy(dtype=np.uint64)


def row_sketch(X: pd.DataFrame, y: pd.Series | None = None) -> RowSketch:
    distinct = np.unique(row_hashes(X, y))
    return RowSketch(tuple(int(h) for h in distinct[:SKETCH_SIZE]), distinct.size <= SKETCH_SIZE)


def _with_target(X: pd.DataFrame, y: pd.Series | None) -> pd.DataFrame:
    return X if y is None else X.assign(**{f"__target__{y.name}": y.to_numpy()})

"""Data fingerprints: a content hash plus the schema, to version datasets (ch. 6.1.3)."""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass

import pandas as pd


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
    frame = X if y is None else X.assign(**{f"__target__{y.name}": y.to_numpy()})
    schema = {str(c): str(t) for c, t in frame.dtypes.items()}
    digest = hashlib.sha256()
    digest.update(json.dumps(schema, sort_keys=False).encode())
    digest.update(pd.util.hash_pandas_object(frame, index=False).to_numpy().tobytes())
    return Fingerprint(digest.hexdigest(), schema, int(frame.shape[0]), int(X.shape[1]))

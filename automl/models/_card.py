"""The model card stored beside every saved model (task, metric, scores, lineage)."""

from __future__ import annotations

import dataclasses
import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from automl._core import ArtifactError, package_versions


@dataclass(frozen=True)
class ModelCard:
    """What a saved model is, how good it was, and where it came from."""

    task: str
    metric: str
    family: str
    params: dict[str, Any]
    cv_score: float | None
    data_fingerprint: str
    target: str
    classes: list[Any] | None = None
    holdout_score: float | None = None
    study_name: str | None = None
    trial_number: int | None = None
    parent_version: str | None = None
    members: list[dict[str, Any]] = field(default_factory=list)
    notes: dict[str, Any] = field(default_factory=dict)
    package_versions: dict[str, str] = field(default_factory=package_versions)
    created_at: str = field(default_factory=lambda: dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"))

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any], source: str = "model card") -> ModelCard:
        names = {f.name for f in dataclasses.fields(cls)}
        missing = [f.name for f in dataclasses.fields(cls) if f.name not in data and f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING]
        if missing:
            raise ArtifactError(f"{source}: missing field(s) {', '.join(missing)}")
        return cls(**{k: v for k, v in data.items() if k in names})

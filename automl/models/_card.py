"""The model card stored beside every saved model (task, metric, scores, lineage)."""

from __future__ import annotations

import dataclasses
import datetime as dt
import math
import re
from dataclasses import dataclass, field
from typing import Any

from automl._core import ArtifactError, package_versions
from automl.data import Task


@dataclass(frozen=True)
class ModelCard:
    """What a saved model is, how good it was, and where it came from."""

    task: Task
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
    created_at: str = field(default_factory=lambda: dt.datetime.now(dt.UTC).isoformat(timespec="seconds"))
    #: SHA-256 of ``model.skops``, written by ``save_model`` and checked by every load.
    model_sha256: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any], source: str = "model card") -> ModelCard:
        """Rebuild a card read from a file, checking each field's type (cards travel between machines).

        Raises:
            ArtifactError: a required field is missing or a field has the wrong type.
        """
        names = {f.name for f in dataclasses.fields(cls)}
        missing = [
            f.name
            for f in dataclasses.fields(cls)
            if f.name not in data and f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING
        ]
        if missing:
            raise ArtifactError(f"{source}: missing field(s) {', '.join(missing)}")
        values = {k: v for k, v in data.items() if k in names}
        for name, value in values.items():
            check, expected = _FIELD_TYPES[name]
            if not check(value):
                raise ArtifactError(f"{source}: field '{name}' must be {expected}, got {type(value).__name__} {_brief(value)}")
        return cls(**values)


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and not math.isinf(value)


def _optional(check: Any) -> Any:
    return lambda v: v is None or check(v)


def _is_str(value: Any) -> bool:
    return isinstance(value, str)


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


_HEX64 = re.compile(r"^[0-9a-f]{64}$")
_FIELD_TYPES: dict[str, tuple[Any, str]] = {
    "task": (lambda v: v in ("binary", "multiclass", "regression"), "binary, multiclass or regression"),
    "metric": (_is_str, "a string"),
    "family": (_is_str, "a string"),
    "params": (lambda v: isinstance(v, dict), "an object"),
    "cv_score": (_optional(_is_number), "a number or null"),
    "data_fingerprint": (_is_str, "a string"),
    "target": (_is_str, "a string"),
    "classes": (
        _optional(lambda v: isinstance(v, list) and all(isinstance(c, (str, int, float, bool)) for c in v)),
        "a list of labels or null",
    ),
    "holdout_score": (_optional(_is_number), "a number or null"),
    "study_name": (_optional(_is_str), "a string or null"),
    "trial_number": (_optional(_is_int), "an integer or null"),
    "parent_version": (_optional(_is_str), "a string or null"),
    "members": (lambda v: isinstance(v, list) and all(isinstance(m, dict) for m in v), "a list of objects"),
    "notes": (lambda v: isinstance(v, dict), "an object"),
    "package_versions": (
        lambda v: isinstance(v, dict) and all(isinstance(x, str) for x in v.values()),
        "an object of version strings",
    ),
    "created_at": (_is_str, "a string"),
    "model_sha256": (_optional(lambda v: isinstance(v, str) and bool(_HEX64.match(v))), "a hex SHA-256 or null"),
}


def _brief(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."

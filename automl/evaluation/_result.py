"""Typed pieces every report section shares: estimates with intervals, checks, statuses.

Each section result is a frozen dataclass with a ``status`` and the ``checks``
that decided it. Keeping the checks as data (value, limit, comparison) is what
lets a champion/challenger gate reuse them later instead of re-deriving them.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np

Status = Literal["pass", "fail", "skipped"]
Comparison = Literal["<=", ">=", ">"]


@dataclass(frozen=True)
class Estimate:
    """A point estimate with a bootstrap percentile interval.

    ``value`` is ``None`` when the metric cannot be computed on the rows at hand
    (e.g. ROC AUC on a slice holding a single class); the bounds are ``None``
    when no bootstrap resample could be scored.
    """

    value: float | None
    ci_low: float | None = None
    ci_high: float | None = None


@dataclass(frozen=True)
class Check:
    """One pass/fail rule: ``value <op> limit``. A missing value never passes."""

    name: str
    value: float | None
    op: Comparison
    limit: float
    passed: bool

    @classmethod
    def compare(cls, name: str, value: float | None, op: Comparison, limit: float) -> Check:
        clean = finite_or_none(value)
        ok = clean is not None and {"<=": clean <= limit, ">=": clean >= limit, ">": clean > limit}[op]
        return cls(name=name, value=clean, op=op, limit=float(limit), passed=bool(ok))


def status_of(checks: Iterable[Check]) -> Status:
    """``"fail"`` when any check failed, ``"pass"`` otherwise (also when there are none)."""
    return "fail" if any(not c.passed for c in checks) else "pass"


@dataclass(frozen=True)
class SkippedSection:
    """A section that does not apply (task, missing option) and why."""

    reason: str
    status: Status = "skipped"
    checks: tuple[Check, ...] = ()


def finite_or_none(value: float | None) -> float | None:
    """Plain ``float`` or ``None``: JSON has no NaN, and numpy scalars confuse readers."""
    if value is None:
        return None
    value = float(value)
    return value if math.isfinite(value) else None


def to_jsonable(obj: Any) -> Any:
    """Dataclasses, numpy values and tuples -> plain JSON types; NaN/inf -> ``None``."""
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        return {f.name: to_jsonable(getattr(obj, f.name)) for f in dataclasses.fields(obj)}
    if isinstance(obj, Mapping):
        return {str(k): to_jsonable(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple, np.ndarray)):
        return [to_jsonable(v) for v in obj]
    if isinstance(obj, (bool, np.bool_)):
        return bool(obj)
    if isinstance(obj, (int, np.integer)):
        return int(obj)
    if isinstance(obj, (float, np.floating)):
        return finite_or_none(float(obj))
    if obj is None or isinstance(obj, str):
        return obj
    return str(obj)

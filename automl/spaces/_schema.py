"""Typed, frozen description of a family's search space (parsed from YAML)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from automl.data import CategoricalEncoding, Task

ParamType = Literal["int", "float", "categorical", "bool"]


@dataclass(frozen=True)
class Param:
    """One hyperparameter.

    ``when`` lists conditions ``(other_param, allowed_values)`` that must all hold
    for the parameter to be suggested. ``repeat`` names an earlier int parameter;
    the parameter is then suggested once per index ``i < value`` under ``name``
    with ``{i}`` filled in (e.g. ``units_l{i}`` per hidden layer).
    """

    name: str
    type: ParamType
    low: float | None = None
    high: float | None = None
    log: bool = False
    step: float | None = None
    choices: tuple[Any, ...] = ()
    when: tuple[tuple[str, tuple[Any, ...]], ...] = ()
    repeat: str | None = None

    def names(self, values: Mapping[str, Any]) -> list[str]:
        """Concrete parameter names given earlier ``values`` (one per repeat index)."""
        if self.repeat is None:
            return [self.name]
        return [self.name.format(i=i) for i in range(int(values[self.repeat]))]

    def active(self, values: Mapping[str, Any]) -> bool:
        return all(values.get(other) in allowed for other, allowed in self.when)

    def contains(self, value: Any) -> bool:
        """Whether ``value`` lies in this parameter's domain."""
        if self.type in ("categorical", "bool"):
            return value in (self.choices if self.type == "categorical" else (True, False))
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            return False
        if self.type == "int" and int(value) != value:
            return False
        low, high = self.bounds()
        return low <= value <= high

    def bounds(self) -> tuple[float, float]:
        """``(low, high)`` of an int or float parameter (the loader makes sure both are set)."""
        if self.low is None or self.high is None:
            raise ValueError(f"parameter '{self.name}' ({self.type}) has no bounds")
        return self.low, self.high


@dataclass(frozen=True)
class Preprocessing:
    """What a family needs from the shared preprocessing."""

    scale: bool = False
    categorical: CategoricalEncoding = "ordinal"


@dataclass(frozen=True)
class PortfolioEntry:
    """A configuration tried before the sampler takes over: ``params`` (the rest from the
    defaults), at ``priority`` among every family's entries (lower first), by searches with a
    time budget of ``min_budget`` seconds or more (one that pays only when there is time for it)."""

    priority: int
    params: Mapping[str, Any] = field(default_factory=dict)
    min_budget: float = 0.0


@dataclass(frozen=True)
class FamilySpace:
    """A model family: its builder, the tasks it handles, its space and defaults.

    ``portfolio`` holds further configurations to try first (the defaults are always tried,
    at priority ``order``). ``rows_budget`` sizes integer parameters to the table in those
    first configurations: ``{"n_estimators": 2e6}`` means at most 2e6 / rows trees (not below
    the parameter's low bound), so that a forest on a large table does not take the budget.
    """

    name: str
    builder: str
    tasks: tuple[Task, ...]
    params: tuple[Param, ...]
    fixed: Mapping[str, Any] = field(default_factory=dict)
    defaults: Mapping[str, Any] = field(default_factory=dict)
    preprocessing: Preprocessing = Preprocessing()
    order: int = 100
    description: str = ""
    source: str = ""
    portfolio: tuple[PortfolioEntry, ...] = ()
    rows_budget: Mapping[str, float] = field(default_factory=dict)

    def param(self, name: str) -> Param | None:
        return next((p for p in self.params if p.name == name), None)

"""The one place where a :class:`FamilySpace` becomes ``trial.suggest_*`` calls."""

from __future__ import annotations

from typing import Any, Protocol

from automl.spaces._schema import FamilySpace, Param


class SuggestsParams(Protocol):
    """The part of ``optuna.Trial`` (or ``FixedTrial``) used here."""

    def suggest_int(self, name: str, low: int, high: int, *, step: int = 1, log: bool = False) -> int: ...
    def suggest_float(self, name: str, low: float, high: float, *, step: float | None = None, log: bool = False) -> float: ...
    def suggest_categorical(self, name: str, choices: Any) -> Any: ...


def trial_key(family: str, name: str) -> str:
    """The Optuna parameter name: prefixed by family, so families never share a distribution."""
    return f"{family}.{name}"


def suggest(trial: SuggestsParams, space: FamilySpace) -> dict[str, Any]:
    """Suggest every active parameter of ``space``; return unprefixed params plus fixed values."""
    values: dict[str, Any] = {}
    for param in space.params:
        if not param.active(values):
            continue
        for name in param.names(values):
            values[name] = _suggest_one(trial, trial_key(space.name, name), param)
    return {**space.fixed, **values}


def _suggest_one(trial: SuggestsParams, key: str, param: Param) -> Any:
    if param.type == "int":
        step = int(param.step or 1)
        return trial.suggest_int(key, int(param.low), int(param.high), step=step, log=param.log)  # type: ignore[arg-type]
    if param.type == "float":
        return trial.suggest_float(key, float(param.low), float(param.high), step=param.step, log=param.log)  # type: ignore[arg-type]
    return trial.suggest_categorical(key, list(param.choices))


def default_trial_params(space: FamilySpace) -> dict[str, Any]:
    """The family's ``defaults`` as prefixed Optuna params (for ``study.enqueue_trial``)."""
    return {trial_key(space.name, k): v for k, v in space.defaults.items()}

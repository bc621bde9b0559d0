"""The one place where a :class:`FamilySpace` becomes ``trial.suggest_*`` calls."""

from __future__ import annotations

from collections.abc import Mapping
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
        low, high = param.bounds()
        return trial.suggest_int(key, int(low), int(high), step=int(param.step or 1), log=param.log)
    if param.type == "float":
        low, high = param.bounds()
        return trial.suggest_float(key, low, high, step=param.step, log=param.log)
    return trial.suggest_categorical(key, list(param.choices))


def default_trial_params(space: FamilySpace) -> dict[str, Any]:
    """The family's ``defaults`` as prefixed Optuna params (for ``study.enqueue_trial``)."""
    return {trial_key(space.name, k): v for k, v in space.defaults.items()}


def portfolio_trials(
    spaces: Mapping[str, FamilySpace], n_rows: int, time_budget: float | None = None
) -> list[tuple[str, dict[str, Any]]]:
    """The configurations to try before the sampler, in order: ``(family, prefixed params)``.

    Every family contributes its defaults (at priority ``order``) and its ``portfolio``
    entries (each merged over the defaults; an entry with a ``min_budget`` only when
    ``time_budget`` is at least that, or None: a search bounded by trials only); all are
    sorted by priority, then family order and name. Integer parameters named in a family's ``rows_budget`` are sized to
    the table: at most ``budget / n_rows`` (not below the parameter's low bound).
    """
    queue: list[tuple[int, int, str, int, dict[str, Any]]] = []
    for space in spaces.values():
        configs = [(space.order, dict(space.defaults))]
        entries = [e for e in space.portfolio if time_budget is None or time_budget >= e.min_budget]
        configs += [(entry.priority, {**space.defaults, **entry.params}) for entry in entries]
        for i, (priority, params) in enumerate(configs):
            queue.append((priority, space.order, space.name, i, _sized(space, params, n_rows)))
    queue.sort(key=lambda item: item[:4])
    return [(name, {trial_key(name, k): v for k, v in params.items()}) for _, _, name, _, params in queue]


def _sized(space: FamilySpace, params: dict[str, Any], n_rows: int) -> dict[str, Any]:
    sized = dict(params)
    for name, budget in space.rows_budget.items():
        param = space.param(name)
        if param is None or name not in sized:
            continue
        sized[name] = int(max(param.low, min(sized[name], budget // max(n_rows, 1))))
    return sized

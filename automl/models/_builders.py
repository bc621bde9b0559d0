"""The name -> builder table that YAML ``builder:`` keys refer to.

A builder turns (task, hyperparameters, seed, threads) into an unfitted
estimator that takes the preprocessed numeric matrix. New families register
here; nothing else in the code names them.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, Protocol

from automl._core import InputError, did_you_mean
from automl.data import Task


class Builder(Protocol):
    def __call__(self, task: Task, params: Mapping[str, Any], *, seed: int, n_jobs: int) -> Any: ...


_BUILDERS: dict[str, Builder] = {}


def register_builder(name: str) -> Callable[[Builder], Builder]:
    """Decorator: make a builder available to YAML files as ``builder: name``."""

    def decorate(fn: Builder) -> Builder:
        _BUILDERS[name] = fn
        return fn

    return decorate


def builder_names() -> list[str]:
    return sorted(_BUILDERS)


def get_builder(name: str) -> Builder:
    if name not in _BUILDERS:
        raise InputError(f"unknown model builder '{name}'{did_you_mean(name, _BUILDERS)}")
    return _BUILDERS[name]


def none_if_none(value: Any) -> Any:
    """YAML choices are strings; ``"none"`` stands for Python ``None``."""
    return None if value in ("none", "None") else value

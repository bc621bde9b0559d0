"""Samplers, pruners and objectives selectable by name.

Intermediate values (what pruners see), one axis per study:
- step ``i`` (0 <= i < n_folds): the running mean of the metric after fold ``i``, for
  every family, so families are compared on the same scale;
- steps from ``EPOCH_STEP_OFFSET`` on (median pruner only): an MLP's validation loss
  after each epoch of its first fold, signed so that the study's direction applies.
  Only MLP trials report there, so they are only compared with each other.
Successive halving and Hyperband place rungs on a single resource axis shared by all
trials; with them only the fold steps are reported.
"""

from __future__ import annotations

import warnings
from typing import Literal

import optuna

from automl._core import InputError

SAMPLERS: tuple[str, ...] = ("tpe", "random", "cmaes", "nsga2", "qmc")
PRUNERS: tuple[str, ...] = ("none", "median", "sha", "hyperband")
OBJECTIVES: tuple[str, ...] = ("score", "latency", "size")
EPOCH_STEP_OFFSET = 1000
# No pruning by default; see benchmarks/RESULTS.md ("pruning on vs off") for the measurement.
DEFAULT_PRUNER = "none"

SamplerName = Literal["tpe", "random", "cmaes", "nsga2", "qmc"]
PrunerName = Literal["none", "median", "sha", "hyperband"]


def check_choice(kind: str, value: str, options: tuple[str, ...]) -> None:
    if value not in options:
        raise InputError(f"unknown {kind} '{value}'; use one of {', '.join(options)}")


def check_objectives(objectives: tuple[str, ...]) -> None:
    for name in objectives:
        check_choice("objective", name, OBJECTIVES)
    if not objectives or objectives[0] != "score" or len(set(objectives)) != len(objectives):
        raise InputError(f"objectives must start with 'score' and not repeat, e.g. score,latency (got {','.join(objectives)})")


def make_sampler(name: str, seed: int, multi_objective: bool) -> optuna.samplers.BaseSampler:
    """A seeded sampler. TPE is multivariate and grouped: it models the per-family
    conditional spaces jointly, which plain TPE would treat as independent."""
    check_choice("sampler", name, SAMPLERS)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)
        if name == "tpe":
            return optuna.samplers.TPESampler(seed=seed, multivariate=True, group=True, constant_liar=True, n_startup_trials=10)
        if name == "random":
            return optuna.samplers.RandomSampler(seed=seed)
        if name == "cmaes":
            if multi_objective:
                raise InputError("the cmaes sampler is single-objective; use nsga2 or tpe with several objectives")
            # CMA-ES handles the numeric parameters; the family choice and other categoricals go to TPE.
            fallback = optuna.samplers.TPESampler(seed=seed)
            return optuna.samplers.CmaEsSampler(seed=seed, independent_sampler=fallback, warn_independent_sampling=False)
        if name == "nsga2":
            return optuna.samplers.NSGAIISampler(seed=seed, population_size=20)
        return optuna.samplers.QMCSampler(seed=seed, scramble=True, warn_independent_sampling=False)


def make_pruner(name: str, n_folds: int) -> optuna.pruners.BasePruner:
    """A pruner over the fold steps (and MLP epochs for ``median``)."""
    check_choice("pruner", name, PRUNERS)
    if name == "none":
        return optuna.pruners.NopPruner()
    if name == "median":
        return optuna.pruners.MedianPruner(n_startup_trials=5, n_warmup_steps=0)
    if name == "sha":
        return optuna.pruners.SuccessiveHalvingPruner(min_resource=1, reduction_factor=2)
    return optuna.pruners.HyperbandPruner(min_resource=1, max_resource=max(n_folds, 2), reduction_factor=2)

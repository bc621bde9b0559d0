"""Ways to build a challenger from the champion: stateful, stateless, or a new short search.

- **stateful** (data iteration): a copy of the champion keeps training on the new
  rows only (``TabularModel.continue_fit``); an ensemble continues each member. A
  member whose family cannot continue is retrained from scratch on the window,
  and the notes say so.
- **stateless**: the champion's configuration (each member's, for an ensemble)
  fitted from scratch on the window: the rows the champion saw plus the new ones,
  or the last ``window`` of them.
- **search** (model iteration): a new short study on the window, its first trials
  the champion study's best configurations; the challenger is its final model.
"""

from __future__ import annotations

import copy
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pandas as pd
from sklearn.base import clone

from automl._core import Deadline
from automl.ensembles import BaggedModel, StackedEnsemble, WeightedAverageEnsemble
from automl.models import CannotContinue, TabularModel
from automl.registry import TrainingMode

STRATEGIES: tuple[str, ...] = ("stateful", "stateless", "search")


@dataclass(frozen=True)
class Built:
    """A challenger and what it took: the strategy actually used, wall/CPU seconds, notes."""

    model: Any
    strategy: TrainingMode
    fit_seconds: float
    cpu_seconds: float
    notes: dict[str, Any] = field(default_factory=dict)


@dataclass
class _Refits:
    """Fits a configuration once per update: fold-average ensembles hold k copies of one configuration."""

    X: pd.DataFrame
    y: pd.Series
    deadline: Deadline
    done: dict[str, TabularModel] = field(default_factory=dict)

    def __call__(self, member: TabularModel) -> TabularModel:
        key = repr(sorted(member.get_params().items()))
        if key not in self.done:
            self.done[key] = clone(member).fit(self.X, self.y, deadline=self.deadline)
        return self.done[key]


def timed(strategy: TrainingMode, build: Callable[[], tuple[Any, dict[str, Any]]]) -> Built:
    wall, cpu = time.perf_counter(), time.process_time()
    model, notes = build()
    return Built(model, strategy, time.perf_counter() - wall, time.process_time() - cpu, notes)


def stateless(champion: Any, window: tuple[pd.DataFrame, pd.Series], deadline: Deadline) -> Built:
    """The champion's configuration fitted from scratch on ``window``."""
    refit = _Refits(*window, deadline)
    return timed("stateless", lambda: (_map_members(champion, refit), {"window_rows": len(window[1])}))


def stateful(
    champion: Any,
    new: tuple[pd.DataFrame, pd.Series],
    share: float,
    window: tuple[pd.DataFrame, pd.Series] | None,
    deadline: Deadline,
) -> Built:
    """A copy of the champion trained further on ``new``; members that cannot continue are refit on ``window``."""
    details: list[str] = []
    fallbacks: list[str] = []
    refit = _Refits(*window, deadline) if window is not None else None

    def one(member: TabularModel) -> TabularModel:
        updated = copy.deepcopy(member)
        try:
            details.append(f"{member.builder}: {updated.continue_fit(*new, share=share, deadline=deadline)}")
            return updated
        except CannotContinue as exc:
            if refit is None:
                raise CannotContinue(f"{member.builder}: {exc}; and no window to retrain it on") from None
            fallbacks.append(f"{member.builder}: {exc}; retrained from scratch on {len(refit.y)} rows")
            return refit(member)

    def build() -> tuple[Any, dict[str, Any]]:
        model = _map_members(champion, one)
        notes: dict[str, Any] = {"continued": details, "new_rows": len(new[1])}
        if fallbacks:
            notes["fallback_to_stateless"] = fallbacks
        return model, notes

    built = timed("stateful", build)
    # a model none of whose members could continue was in effect retrained: the lineage says stateless
    return Built(built.model, "stateless" if not details else "stateful", built.fit_seconds, built.cpu_seconds, built.notes)


def _map_members(model: Any, update: Callable[[TabularModel], TabularModel]) -> Any:
    """``model`` rebuilt with ``update`` applied to each member (the model itself for a single one)."""
    if isinstance(model, TabularModel):
        return update(model)
    if isinstance(model, WeightedAverageEnsemble):
        return WeightedAverageEnsemble([update(m) for m in model.estimators_], list(model.weights_), model.task).fit()
    if isinstance(model, StackedEnsemble):
        return StackedEnsemble(
            [update(m) for m in model.estimators],
            model.meta,
            model.task,
            model.passthrough,
            getattr(model, "weights_", None),  # models saved before blends existed have neither
            getattr(model, "meta_share_", 1.0),
        ).fit()
    if isinstance(model, BaggedModel):
        bag = copy.deepcopy(model)
        bag.estimators_ = [update(m) for m in model.estimators_]
        return bag
    raise CannotContinue(f"{type(model).__name__} is not a model automl can update")

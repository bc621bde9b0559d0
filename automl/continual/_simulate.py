"""Replay a time-ordered table to see which update policy pays: test-then-train, window by window.

The first window trains one champion (a short search), registered once per
policy. For every next window each policy's current champion is scored on it
*before* seeing its labels; then the policy updates on the window (with the gate
on its newest rows, promoting on PROMOTE) and moves on. A promotion is *harmful*
when the new champion scores worse on the next window than the one it replaced.
Compute is the wall and CPU time of building each challenger.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import optuna
import pandas as pd

from automl._core import AutomlError, InputError
from automl.continual._triggers import TriggerConfig, check_triggers, reference_score
from automl.continual._update import UpdateConfig, update
from automl.data import Dataset, fingerprint, infer_task, order_by_time, row_sketch, split_target, summarize
from automl.evaluation import Metric, build_context, get_metric
from automl.registry import CHAMPION, GateConfig, Lineage, LoadedModel, Registry, feature_notes
from automl.search import SearchConfig, run_search

log = logging.getLogger(__name__)

FAILED = "FAILED"  # the verdict recorded when an update built no challenger

POLICIES: tuple[str, ...] = ("static", "stateless", "stateful", "search", "auto")


@dataclass(frozen=True)
class SimulationConfig:
    """How to replay.

    Attributes:
        window: rows per window (the first trains the initial champion).
        policies: any of ``static`` (never updated), ``stateless``, ``stateful``, ``search``, ``auto``.
        triggers: when to update; ``None`` updates after every window.
        holdout: newest share of each update's rows sealed for the gate.
        initial_budget: seconds of the search that trains the first champion.
        search_budget: seconds per ``search`` update (and for ``auto``'s search candidate).
        train_window: stateless and search train on the last rows only (default: all rows so far).
        families: the families the first champion's search tries (default: all).
    """

    window: int
    policies: tuple[str, ...] = POLICIES
    triggers: TriggerConfig | None = None
    holdout: float = 0.2
    initial_budget: float = 30.0
    search_budget: float = 15.0
    train_window: int | None = None
    families: tuple[str, ...] | None = None
    gate: GateConfig = GateConfig()
    seed: int = 0

    def __post_init__(self) -> None:
        unknown = [p for p in self.policies if p not in POLICIES]
        if unknown or not self.policies:
            raise InputError(f"unknown polic(ies) {', '.join(unknown) or '(none given)'}; use any of {', '.join(POLICIES)}")
        if self.window < 50:
            raise InputError(f"window must be at least 50 rows, got {self.window}")


@dataclass(frozen=True)
class PolicySummary:
    policy: str
    mean_metric: float | None
    total_fit_seconds: float
    total_cpu_seconds: float
    updates: int
    promotions: int
    rejections: int
    holds: int
    failures: int  # updates that built no challenger (e.g. none finished within the time budget)
    harmful_promotions: int

    @property
    def seconds_per_update(self) -> float | None:
        return self.total_fit_seconds / self.updates if self.updates else None


@dataclass(frozen=True)
class WindowResult:
    """One window: each policy's score on it (before its labels), and what its update did."""

    index: int
    first_row: int
    rows: int
    scores: dict[str, float | None]
    verdicts: dict[str, str]
    fit_seconds: dict[str, float]


@dataclass(frozen=True)
class SimulationResult:
    metric: str
    greater_is_better: bool
    task: str
    rows: int
    window: int
    initial_model: str
    summaries: tuple[PolicySummary, ...]
    windows: tuple[WindowResult, ...]
    config: SimulationConfig


@dataclass
class _Policy:
    """A policy's running state: its champion, the rows it trained on, rows since then, its record."""

    name: str
    champion: LoadedModel
    history: pd.DataFrame
    pending: pd.DataFrame
    replaced: Any = None
    scores: list[float | None] = field(default_factory=list)
    fit_seconds: float = 0.0
    cpu_seconds: float = 0.0
    verdicts: list[str] = field(default_factory=list)
    harmful: int = 0


def simulate(
    frame: pd.DataFrame,
    target: str,
    config: SimulationConfig,
    *,
    time_col: str | None = None,
    registry: Registry | None = None,
    on_window: Callable[[WindowResult], None] | None = None,
) -> SimulationResult:
    """Replay ``frame`` (in ``time_col`` order, else in row order) under every policy of ``config``.

    Runs on an in-memory registry unless ``registry`` is given (one registered name per policy).
    """
    ordered = order_by_time(frame, time_col, "stream") if time_col else frame.reset_index(drop=True)
    if time_col:
        ordered = ordered.drop(columns=[time_col])
    windows = [
        ordered.iloc[i : i + config.window].reset_index(drop=True)
        for i in range(0, len(ordered) - config.window + 1, config.window)
    ]
    if len(windows) < 3:
        raise InputError(f"{len(ordered)} rows make {len(windows)} windows of {config.window}; a replay needs at least 3")
    own = registry is None
    registry = registry or Registry("sqlite://")
    try:
        policies, initial = _start(registry, windows[0], target, config)
        results = []
        for index, window in enumerate(windows[1:], start=1):
            last = index == len(windows) - 1  # an update after the last window would never be scored
            outcome = _step(registry, policies, window, target, config, index, update_after=not last)
            results.append(WindowResult(index, index * config.window, len(window), *outcome))
            if on_window is not None:
                on_window(results[-1])
        metric = _metric(initial)
        return SimulationResult(
            metric=metric.name,
            greater_is_better=metric.greater_is_better,
            task=initial.card.task,
            rows=len(ordered),
            window=config.window,
            initial_model=initial.card.family,
            summaries=tuple(_summary(p) for p in policies.values()),
            windows=tuple(results),
            config=config,
        )
    finally:
        if own:
            registry.close()


def _start(
    registry: Registry, first: pd.DataFrame, target: str, config: SimulationConfig
) -> tuple[dict[str, _Policy], LoadedModel]:
    """Train the first champion once and register it under every policy's name."""
    X, y = split_target(first, target, "first window")
    dataset = Dataset(X=X, y=y, task=infer_task(y), source="first window")
    outcome = run_search(
        dataset,
        SearchConfig(
            time_budget=config.initial_budget,
            storage=optuna.storages.InMemoryStorage(),
            output_dir=None,
            seed=config.seed,
            families=config.families,
        ),
    )
    lineage = Lineage(
        "search",
        data_fingerprints=(fingerprint(X, y).content,),
        data_sketch=row_sketch(X, y).to_dict(),
        rows_seen=len(y),
        data_summary=summarize(X),
        notes=feature_notes(X),
    )
    policies = {}
    for name in config.policies:
        registry.register(name, outcome.best_model, card=outcome.card, lineage=lineage, reason="first window's champion")
        policies[name] = _Policy(name, registry.get(f"{name}@{CHAMPION}"), first, first.iloc[:0])
    return policies, next(iter(policies.values())).champion


def _step(
    registry: Registry,
    policies: dict[str, _Policy],
    window: pd.DataFrame,
    target: str,
    config: SimulationConfig,
    index: int,
    *,
    update_after: bool,
) -> tuple[dict[str, float | None], dict[str, str], dict[str, float]]:
    X, y = split_target(window, target, f"window {index}")
    scores, verdicts, seconds = {}, {}, {}
    for policy in policies.values():
        metric = _metric(policy.champion)
        score = _score(policy.champion.model, X, y, metric)
        policy.scores.append(score)
        if policy.replaced is not None:
            before = _score(policy.replaced, X, y, metric)
            if score is not None and before is not None and metric.better(before, score):
                policy.harmful += 1
            policy.replaced = None
        scores[policy.name] = score
        verdicts[policy.name], seconds[policy.name] = (
            _update(registry, policy, window, target, config) if update_after else ("", 0.0)
        )
    return scores, verdicts, seconds


def _update(
    registry: Registry, policy: _Policy, window: pd.DataFrame, target: str, config: SimulationConfig
) -> tuple[str, float]:
    if policy.name == "static":
        return "", 0.0
    data = pd.concat([policy.pending, window], ignore_index=True)
    if config.triggers is not None and not _fires(registry, policy, data, target, config):
        policy.pending = data
        return "no trigger", 0.0
    update_config = UpdateConfig(
        mode=policy.name,
        window=config.train_window,
        holdout=config.holdout,
        gate=config.gate,
        promote=True,
        seed=config.seed,
        time_budget=config.search_budget if policy.name in ("search", "auto") else None,
        report=False,
    )
    try:
        result = update(registry, policy.name, data, target, update_config, history=policy.history)
    except AutomlError as exc:  # e.g. no candidate within the budget: the champion stays, the replay goes on
        log.warning("%s update failed: %s", policy.name, exc)
        policy.verdicts.append(FAILED)
        policy.pending = data
        return FAILED, 0.0
    policy.fit_seconds += result.built.fit_seconds
    policy.cpu_seconds += result.built.cpu_seconds
    verdict = result.challenge.decision.verdict
    policy.verdicts.append(verdict)
    if result.challenge.promoted:
        trained = data.iloc[: len(data) - int(round(len(data) * config.holdout))]
        policy.replaced = policy.champion.model
        policy.champion = registry.get(f"{policy.name}@{CHAMPION}")
        policy.history = pd.concat([policy.history, trained], ignore_index=True)
        if result.built.strategy != "stateful" and config.train_window is not None:
            policy.history = policy.history.iloc[-config.train_window :]
        policy.pending = data.iloc[len(trained) :]
    else:
        policy.pending = data
    return verdict, result.built.fit_seconds


def _fires(registry: Registry, policy: _Policy, data: pd.DataFrame, target: str, config: SimulationConfig) -> bool:
    assert config.triggers is not None
    X, y = split_target(data, target, "new rows")
    evaluations = [e.evidence for e in registry.history(policy.name, kinds=("evaluated",))]
    checks = check_triggers(
        policy.champion,
        X,
        y,
        config.triggers,
        seconds_since_update=0.0,
        reference_score=reference_score(policy.champion, evaluations),
        seed=config.seed,
    )
    return any(c.fired for c in checks)


def _metric(champion: LoadedModel) -> Metric:
    return get_metric(champion.card.metric, champion.card.task)


def _score(model: Any, X: pd.DataFrame, y: pd.Series, metric: Metric) -> float | None:
    ctx = build_context(model, X, y, metric=metric.name)
    value = ctx.score(ctx.y, ctx.scores)
    return None if math.isnan(value) else value


def _summary(policy: _Policy) -> PolicySummary:
    scored = [s for s in policy.scores if s is not None]
    return PolicySummary(
        policy=policy.name,
        mean_metric=sum(scored) / len(scored) if scored else None,
        total_fit_seconds=round(policy.fit_seconds, 3),
        total_cpu_seconds=round(policy.cpu_seconds, 3),
        updates=len(policy.verdicts),
        promotions=policy.verdicts.count("PROMOTE"),
        rejections=policy.verdicts.count("REJECT"),
        holds=policy.verdicts.count("HOLD"),
        failures=policy.verdicts.count(FAILED),
        harmful_promotions=policy.harmful,
    )

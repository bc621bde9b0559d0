"""The Optuna objective: pick a family, suggest its space, cross-validate, record."""

from __future__ import annotations

import logging
import tempfile
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import optuna
import pandas as pd

from automl._core import Deadline, DeadlineExceeded
from automl.data import Task
from automl.evaluation import Metric
from automl.models import TabularModel
from automl.search._cv import CVResult, cross_validate
from automl.search._liveness import record_worker
from automl.search._resampling import Resampling
from automl.search._strategies import EPOCH_STEP_OFFSET
from automl.spaces import FamilySpace, suggest

log = logging.getLogger(__name__)

FAMILY_PARAM = "family"


@dataclass(frozen=True)
class SearchContext:
    """Everything a trial needs; built once per search, never mutated."""

    X: pd.DataFrame
    y: pd.Series
    task: Task
    metric: Metric
    classes: np.ndarray | None
    resampling: Resampling
    spaces: Mapping[str, FamilySpace]
    seed: int
    model_threads: int
    deadline: Deadline
    artifact_store: optuna.artifacts.FileSystemArtifactStore | None
    objectives: tuple[str, ...] = ("score",)
    epoch_pruning: bool = False
    # Until one trial has completed, trials may run to this later deadline (the refit's):
    # a search starved by a busy machine then still delivers a model (its fold models).
    first_trial_deadline: Deadline | None = None

    @property
    def multi_objective(self) -> bool:
        return len(self.objectives) > 1


def make_model(space: FamilySpace, params: Mapping[str, Any], task: Task, seed: int, n_jobs: int) -> TabularModel:
    """The unfitted candidate for ``space`` with ``params`` (used by trials and the final refit)."""
    return TabularModel(
        builder=space.builder,
        params=dict(params),
        task=task,
        scale=space.preprocessing.scale,
        categorical=space.preprocessing.categorical,
        random_state=seed,
        n_jobs=n_jobs,
    )


def params_of(trial: optuna.trial.FrozenTrial, space: FamilySpace) -> dict[str, Any]:
    """Rebuild a finished trial's model parameters (fixed values included) from its Optuna params."""
    return suggest(optuna.trial.FixedTrial(trial.params), space)


class Objective:
    """Callable given to ``study.optimize``; ``on_result`` sees every completed CV run,
    ``keeps_fold_models`` decides, fold by fold, whether a run's fold models are worth keeping,
    and ``skips_family`` may give a reason not to run a family the sampler chose (queued
    trials, the portfolio's and retries, always run)."""

    def __init__(
        self,
        ctx: SearchContext,
        on_result: Callable[[int, CVResult, str], None] | None = None,
        keeps_fold_models: Callable[[str, int, float], bool] | None = None,
        skips_family: Callable[[str], str | None] | None = None,
    ) -> None:
        self.ctx = ctx
        self.on_result = on_result
        self.keeps_fold_models = keeps_fold_models  # (family, fold index, running mean): keep its fold models?
        self.skips_family = skips_family
        self.completed = 0

    def deadline(self) -> Deadline:
        """The trial's deadline: the refit's own for the first trial of a study with none completed."""
        if self.completed == 0 and self.ctx.first_trial_deadline is not None:
            return self.ctx.first_trial_deadline
        return self.ctx.deadline

    def __call__(self, trial: optuna.Trial) -> float | tuple[float, ...]:
        ctx = self.ctx
        record_worker(trial)
        family = trial.suggest_categorical(FAMILY_PARAM, list(ctx.spaces))
        space = ctx.spaces[family]
        trial.set_user_attr("family", family)
        skipped = self._skipped(trial, family)
        if skipped:
            trial.set_user_attr("skipped", skipped)
            raise optuna.TrialPruned(skipped)
        params = suggest(trial, space)
        too_slow = cannot_finish(trial.study, family, ctx.deadline)
        if too_slow:
            trial.set_user_attr("stopped", too_slow)
            raise optuna.TrialPruned(too_slow)
        on_fold, on_epoch = self._reporters(trial)
        keeps = self.keeps_fold_models
        try:
            result = cross_validate(
                lambda: make_model(space, params, ctx.task, ctx.seed, ctx.model_threads),
                ctx.X,
                ctx.y,
                ctx.resampling,
                ctx.metric,
                ctx.classes,
                self.deadline(),
                on_fold,
                on_epoch,
                None if keeps is None else lambda fold, running: keeps(family, fold, running),
            )
        except DeadlineExceeded as exc:
            trial.set_user_attr("stopped", str(exc))
            raise optuna.TrialPruned(str(exc)) from None
        except optuna.TrialPruned:
            raise
        except Exception as exc:
            trial.set_user_attr("error", f"{type(exc).__name__}: {exc}"[:500])
            log.warning("trial %d (%s) failed: %s", trial.number, family, exc)
            raise
        self._record(trial, result)
        self.completed += 1
        if self.on_result is not None:
            self.on_result(trial.number, result, family)
        value = trial_score(result, ctx)
        if not ctx.multi_objective:
            return value
        extra = {"latency": result.predict_ms_per_1k, "size": float(result.model_bytes)}
        return (value, *(extra[name] for name in ctx.objectives[1:]))

    def _skipped(self, trial: optuna.Trial, family: str) -> str | None:
        reason = self.skips_family(family) if self.skips_family is not None else None
        return None if reason is None or _queued(trial) else reason  # the storage is read only for a skip

    def _reporters(self, trial: optuna.Trial) -> tuple[Callable[[int, float], None] | None, Callable[[int, float], None] | None]:
        """Intermediate-value reporters (see ``_strategies``); none for multi-objective studies."""
        if self.ctx.multi_objective:
            return None, None
        sign = -1.0 if self.ctx.metric.greater_is_better else 1.0

        def on_fold(step: int, running_mean: float) -> None:
            trial.report(running_mean, step)
            if trial.should_prune():
                raise optuna.TrialPruned(f"pruned after fold {step + 1} (running score {running_mean:.5g})")

        def on_epoch(epoch: int, val_loss: float) -> None:
            trial.report(sign * val_loss, EPOCH_STEP_OFFSET + epoch)
            if trial.should_prune():
                raise optuna.TrialPruned(f"pruned at epoch {epoch} (validation loss {val_loss:.5g})")

        return on_fold, on_epoch if self.ctx.epoch_pruning else None

    def _record(self, trial: optuna.Trial, result: CVResult) -> None:
        trial.set_user_attr("fold_scores", [round(s, 6) for s in result.fold_scores])
        trial.set_user_attr("fit_seconds", round(result.fit_seconds, 4))
        trial.set_user_attr("predict_ms_per_1k", round(result.predict_ms_per_1k, 4))
        trial.set_user_attr("model_bytes", result.model_bytes)
        if result.fold_rounds:
            trial.set_user_attr("fold_rounds", list(result.fold_rounds))
        if self.ctx.artifact_store is not None:
            trial.set_user_attr("oof_artifact", _upload_oof(self.ctx.artifact_store, trial, result.oof))


def _queued(trial: optuna.Trial) -> bool:
    """Whether ``trial`` was enqueued (a portfolio entry, a given first trial, a retry), not sampled."""
    frozen = trial.study.get_trials(deepcopy=False)[trial.number]
    return "fixed_params" in frozen.system_attrs


def cannot_finish(study: optuna.Study, family: str, deadline: Deadline) -> str | None:
    """Why a trial of ``family`` would not finish before ``deadline``, from this study's measured fits.

    The prediction is the family's fastest finished trial so far (its fits on every split): a
    configuration is not sampled blindly when even that does not fit in the time left.
    """
    if not deadline.is_limited:
        return None
    finished = study.get_trials(deepcopy=False, states=(optuna.trial.TrialState.COMPLETE,))
    costs = [
        float(t.user_attrs["fit_seconds"])
        for t in finished
        if t.params.get(FAMILY_PARAM) == family and "fit_seconds" in t.user_attrs
    ]
    left = deadline.remaining()
    if costs and min(costs) > left:
        return f"skipped: {family} trials took at least {min(costs):.1f} s, {left:.1f} s left"
    return None


def trial_score(result: CVResult, ctx: SearchContext) -> float:
    """The mean of the fold scores; on the pooled out-of-fold rows when a fold has no score.

    A metric can be undefined on one small fold (ROC AUC of a fold holding one class, on
    a tiny table); pooling the rows still scores the candidate instead of failing it.
    """
    value = result.mean
    if np.isfinite(value):
        return value
    rows = ctx.resampling.scored_rows
    return float(ctx.metric.score(ctx.y.to_numpy()[rows], result.oof[rows], ctx.classes))


def _upload_oof(store: optuna.artifacts.FileSystemArtifactStore, trial: optuna.Trial, oof: np.ndarray) -> str:
    """Keep the trial's out-of-fold predictions in the study's artifact store (for ensembling)."""
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / f"oof_trial_{trial.number}.npy"
        np.save(path, oof.astype(np.float32))
        return optuna.artifacts.upload_artifact(artifact_store=store, file_path=str(path), study_or_trial=trial)

"""Run a search end to end: study, trials within the budget, refit of the best, artifact."""

from __future__ import annotations

import datetime as dt
import logging
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

import optuna
import pandas as pd

from automl._core import Clock, Deadline, DeadlineExceeded, InputError, did_you_mean
from automl.data import Dataset, Fingerprint, fingerprint
from automl.ensembles import WeightedAverageEnsemble
from automl.evaluation import Metric, get_metric
from automl.models import ModelCard, builder_names, save_model
from automl.search._cv import CVResult
from automl.search._leaderboard import family_summary, leaderboard
from automl.search._objective import FAMILY_PARAM, Objective, SearchContext, make_model, params_of
from automl.search._resampling import Resampling, make_resampling
from automl.search._study import make_pruner, make_sampler, open_storage, prepare_study, study_attrs
from automl.spaces import FamilySpace, load_spaces

log = logging.getLogger(__name__)

_STATE = optuna.trial.TrialState
_FINISHED = (_STATE.COMPLETE, _STATE.PRUNED, _STATE.FAIL)


@dataclass(frozen=True)
class SearchConfig:
    """How to search. ``time_budget`` (seconds) covers the whole call, refit included."""

    metric: str | None = None
    time_budget: float | None = 60.0
    n_trials: int | None = None
    families: tuple[str, ...] | None = None
    study_name: str | None = None
    storage: str | optuna.storages.BaseStorage | None = None
    seed: int = 0
    n_jobs: int = 1
    spaces_dirs: tuple[str, ...] = ()
    output_dir: str | None = "automl_runs"
    cv_folds: int = 5

    def __post_init__(self) -> None:
        if self.time_budget is None and self.n_trials is None:
            raise InputError("give a time budget (--time-budget) or a number of trials (--n-trials), or both")
        if self.time_budget is not None and self.time_budget <= 0:
            raise InputError(f"time budget must be positive, got {self.time_budget}")
        if self.n_trials is not None and self.n_trials < 1:
            raise InputError(f"n_trials must be at least 1, got {self.n_trials}")
        if self.cv_folds < 2:
            raise InputError(f"cv_folds must be at least 2, got {self.cv_folds}")
        if self.n_jobs == 0 or self.n_jobs < -1:
            raise InputError(f"n_jobs must be -1 or a positive number, got {self.n_jobs}")


class ProgressReporter(Protocol):
    """Receives progress; the CLI draws a bar with it. The search itself never prints."""

    def start(self, study: optuna.Study, n_trials: int | None, deadline: Deadline) -> None: ...
    def trial_finished(self, study: optuna.Study, trial: optuna.trial.FrozenTrial) -> None: ...
    def finish(self) -> None: ...


@dataclass(frozen=True)
class SearchOutcome:
    """What a search produced."""

    study: optuna.Study
    best_model: Any
    best_trial: optuna.trial.FrozenTrial
    card: ModelCard
    model_path: Path | None
    leaderboard: pd.DataFrame
    family_summary: pd.DataFrame
    elapsed_seconds: float
    resampling: str
    notes: dict[str, Any] = field(default_factory=dict)


def select_spaces(spaces: dict[str, FamilySpace], task: str, families: Sequence[str] | None) -> dict[str, FamilySpace]:
    """Families that handle ``task``, restricted to ``families`` when given, in enqueue order."""
    usable = {n: s for n, s in spaces.items() if task in s.tasks}
    if families:
        for name in families:
            if name not in spaces:
                raise InputError(f"unknown family '{name}'{did_you_mean(name, spaces)}; known: {', '.join(sorted(spaces))}")
            if name not in usable:
                raise InputError(f"family '{name}' does not handle {task} tasks")
        usable = {n: usable[n] for n in families}
    if not usable:
        raise InputError(f"no model family handles {task} tasks")
    return dict(sorted(usable.items(), key=lambda kv: (kv[1].order, kv[0])))


def default_study_name(dataset: Dataset, fp: Fingerprint) -> str:
    stem = Path(dataset.source).name.split(".")[0] if dataset.source != "DataFrame" else "data"
    return f"{stem}-{dataset.target}-{fp.short}"


class _BestFolds:
    """Keeps the fold models of this run's best trial: the fallback model when a refit would overrun."""

    def __init__(self, metric: Metric) -> None:
        self.metric = metric
        self.lock = threading.Lock()
        self.trial: int | None = None
        self.result: CVResult | None = None

    def offer(self, trial_number: int, result: CVResult) -> None:
        with self.lock:
            if self.result is None or self.metric.better(result.mean, self.result.mean):
                self.trial, self.result = trial_number, result


class _StopWhenRefitWouldOverrun:
    """Stop starting trials once the time left is what refitting the current best needs."""

    def __init__(self, deadline: Deadline, train_fraction: float, n_splits: int) -> None:
        self.deadline, self.train_fraction, self.n_splits = deadline, train_fraction, n_splits

    def refit_seconds(self, study: optuna.Study) -> float:
        try:
            best = study.best_trial
        except ValueError:
            return 0.0
        per_fold = best.user_attrs.get("fit_seconds", 0.0) / self.n_splits
        return 1.3 * per_fold / self.train_fraction

    def __call__(self, study: optuna.Study, trial: optuna.trial.FrozenTrial) -> None:
        if self.deadline.remaining() < self.refit_seconds(study):
            log.info("stopping the search: the time left is needed to refit the best model")
            study.stop()


def run_search(dataset: Dataset, config: SearchConfig, reporter: ProgressReporter | None = None, clock: Clock = time.monotonic) -> SearchOutcome:
    """Search ``config``'s families on ``dataset``; refit and save the best candidate.

    Raises:
        InputError: bad options, or no trial finished within the budget.
    """
    started = clock()
    budget_end = Deadline.after(config.time_budget, clock)
    metric = get_metric(config.metric, dataset.task)
    spaces = select_spaces(load_spaces(config.spaces_dirs, builder_names()), dataset.task, config.families)
    resampling = make_resampling(dataset.y, dataset.task, n_folds=config.cv_folds, seed=config.seed, source=dataset.source)
    fp = fingerprint(dataset.X, dataset.y)
    study = optuna.create_study(
        storage=open_storage(config.storage),
        sampler=make_sampler(config.seed),
        pruner=make_pruner(),
        study_name=config.study_name or default_study_name(dataset, fp),
        direction=metric.direction,
        load_if_exists=True,
    )
    attrs = study_attrs(dataset.task, metric, fp, config.seed, list(spaces), dataset.target, resampling.describe())
    prepare_study(study, attrs, spaces)
    study_dir = Path(config.output_dir) / study.study_name if config.output_dir else None
    if study_dir is not None:
        study.set_user_attr("artifact_dir", str(study_dir.resolve()))
    trial_deadline = budget_end.earlier(_refit_reserve(config.time_budget))
    ctx = SearchContext(
        X=dataset.X, y=dataset.y, task=dataset.task, metric=metric, classes=dataset.classes,
        resampling=resampling, spaces=spaces, seed=config.seed, model_threads=1, deadline=trial_deadline,
        artifact_store=optuna.artifacts.FileSystemArtifactStore(_mkdir(study_dir / "artifacts")) if study_dir else None,
    )
    best_folds = _BestFolds(metric)
    _optimize(study, Objective(ctx, best_folds.offer), config, trial_deadline, resampling, reporter)
    best = _best_trial(study, config)
    refit_deadline = Deadline(started + (config.time_budget or 0) * 1.05 + 3.0, clock) if budget_end.is_limited else budget_end
    model, notes = _refit(best, spaces[best.params[FAMILY_PARAM]], dataset, config, refit_deadline, best_folds)
    card = ModelCard(
        task=dataset.task, metric=metric.name, family=best.params[FAMILY_PARAM], params=params_of(best, spaces[best.params[FAMILY_PARAM]]),
        cv_score=best.value, data_fingerprint=fp.content, target=dataset.target,
        classes=None if dataset.classes is None else dataset.classes.tolist(), study_name=study.study_name,
        trial_number=best.number, notes={"resampling": resampling.describe(), **notes},
    )
    model_path = _save(model, card, study, study_dir)
    return SearchOutcome(
        study=study, best_model=model, best_trial=best, card=card, model_path=model_path,
        leaderboard=leaderboard(study), family_summary=family_summary(study),
        elapsed_seconds=clock() - started, resampling=resampling.describe(), notes=notes,
    )


def _refit_reserve(time_budget: float | None) -> float:
    """Seconds kept back from trials for the final refit (the stop callback adds more when needed)."""
    return 0.0 if time_budget is None else min(0.1 * time_budget, 10.0)


def _mkdir(path: Path) -> Path:
    path.mkdir(parents=True, exist_ok=True)
    return path


def _optimize(
    study: optuna.Study, objective: Objective, config: SearchConfig, deadline: Deadline,
    resampling: Resampling, reporter: ProgressReporter | None,
) -> None:
    n_trials = None
    if config.n_trials is not None:
        done = len(study.get_trials(deepcopy=False, states=_FINISHED))
        n_trials = max(0, config.n_trials - done)
    callbacks: list[Any] = [_StopWhenRefitWouldOverrun(deadline, resampling.train_fraction, resampling.n_splits)]
    if reporter is not None:
        reporter.start(study, n_trials, deadline)
        callbacks.append(reporter.trial_finished)
    try:
        if n_trials != 0 and not deadline.expired():
            study.optimize(
                objective,
                n_trials=n_trials,
                timeout=deadline.remaining() if deadline.is_limited else None,
                n_jobs=config.n_jobs,
                catch=(Exception,),
                callbacks=callbacks,
            )
    finally:
        if reporter is not None:
            reporter.finish()


def _best_trial(study: optuna.Study, config: SearchConfig) -> optuna.trial.FrozenTrial:
    try:
        return study.best_trial
    except ValueError:
        failed = [t.user_attrs["error"] for t in study.trials if "error" in t.user_attrs]
        hint = f"; first failure: {failed[0]}" if failed else ""
        raise InputError(
            f"no trial finished in study '{study.study_name}' within the budget "
            f"({config.time_budget} s); raise --time-budget or choose faster --families{hint}"
        ) from None


def _refit(
    best: optuna.trial.FrozenTrial, space: FamilySpace, dataset: Dataset, config: SearchConfig,
    deadline: Deadline, best_folds: _BestFolds,
) -> tuple[Any, dict[str, Any]]:
    """Refit the best configuration on all rows; if that would overrun, average its fold models."""
    threads = config.n_jobs if config.n_jobs > 0 else -1
    model = make_model(space, params_of(best, space), dataset.task, config.seed, threads)
    started = time.perf_counter()
    try:
        model.fit(dataset.X, dataset.y, deadline=deadline)
        return model, {"final_model": "refit on all rows", "refit_seconds": round(time.perf_counter() - started, 3)}
    except DeadlineExceeded:
        if best_folds.trial == best.number and best_folds.result is not None:
            log.warning("refit would overrun the budget; using the average of trial %d's fold models", best.number)
            folds = best_folds.result.fold_models
            ensemble = WeightedAverageEnsemble(list(folds), None, dataset.task).fit()
            return ensemble, {"final_model": f"average of {len(folds)} fold models (refit would overrun the budget)"}
        log.warning("refit overran the budget and no fold models were kept; refitting without a limit")
        model = make_model(space, params_of(best, space), dataset.task, config.seed, threads)
        model.fit(dataset.X, dataset.y)
        return model, {"final_model": "refit on all rows (over budget)"}


def _save(model: Any, card: ModelCard, study: optuna.Study, study_dir: Path | None) -> Path | None:
    if study_dir is None:
        return None
    stamp = dt.datetime.now(dt.timezone.utc).strftime("%Y%m%dT%H%M%S%f")
    path = save_model(model, study_dir / "models" / f"trial-{card.trial_number}-{stamp}", card)
    study.set_user_attr("best_model_path", str(path.resolve()))
    return path

"""Run a search end to end: study, trials within the budget, refit of the best, artifact."""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

import optuna
import pandas as pd

from automl._core import Clock, Deadline, DeadlineExceeded, InputError, did_you_mean
from automl.data import Dataset, Fingerprint, fingerprint
from automl.evaluation import Metric, get_metric
from automl.models import ModelCard, artifact_digests, builder_names, load_card, model_size_bytes, prepare_saving, save_model
from automl.search._final import STACKING_MEMBERS, FinalModel, RunMemory, build_final_model, check_ensemble, refit_bounded
from automl.search._leaderboard import family_summary, leaderboard
from automl.search._objective import FAMILY_PARAM, Objective, SearchContext, params_of
from automl.search._resampling import Resampling, make_resampling
from automl.search._strategies import DEFAULT_PRUNER, PRUNERS, SAMPLERS, check_choice, check_objectives, make_pruner, make_sampler
from automl.search._study import open_storage, prepare_study, study_attrs
from automl.search._trials import ranked, score
from automl.spaces import FamilySpace, load_spaces

log = logging.getLogger(__name__)

_STATE = optuna.trial.TrialState
SAVE_RESERVE_SECONDS = 1.0
_FINISHED = (_STATE.COMPLETE, _STATE.PRUNED, _STATE.FAIL)
# Saving (skops) writes about 200 MB/s on a quiet machine; plan with a quarter of that.
SAVE_BYTES_PER_SECOND = 50e6
# The promise: the whole search ends within budget x 1.05 + 5 s; saves aim a second inside it.
PROMISE_FACTOR, PROMISE_GRACE_SECONDS, PROMISE_MARGIN_SECONDS = 1.05, 5.0, 1.0


SINGLE_KINDS = ("single", "fold-average", "subsample", "saved")  # one trial's configuration (the card lists its params)


def save_seconds(n_bytes: float) -> float:
    """Forecast of how long saving a model of ``n_bytes`` (pickled) takes."""
    return 0.5 + n_bytes / SAVE_BYTES_PER_SECOND


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
    ensemble: str = "selection"
    sampler: str = "tpe"
    pruner: str = DEFAULT_PRUNER
    objectives: tuple[str, ...] = ("score",)

    def __post_init__(self) -> None:
        if self.time_budget is None and self.n_trials is None:
            raise InputError("give a time budget (--time-budget) or a number of trials (--n-trials), or both")
        if self.time_budget is not None and self.time_budget <= 0:
            raise InputError(f"time budget must be positive, got {self.time_budget}")
        if self.n_trials is not None and self.n_trials < 1:
            raise InputError(f"n_trials must be at least 1, got {self.n_trials}")
        if self.cv_folds < 2:
            raise InputError(f"cv_folds must be at least 2, got {self.cv_folds}")
        check_ensemble(self.ensemble)
        check_choice("sampler", self.sampler, SAMPLERS)
        check_choice("pruner", self.pruner, PRUNERS)
        check_objectives(self.objectives)
        if len(self.objectives) > 1 and self.pruner != "none":
            raise InputError("pruning needs a single objective; use --pruner none with several --objectives")
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


class _StopWhenRefitWouldOverrun:
    """Stop starting trials once the time left is what refitting the current best needs."""

    def __init__(self, deadline: Deadline, train_fraction: float, n_splits: int, members: int = 1) -> None:
        self.deadline, self.train_fraction, self.n_splits, self.members = deadline, train_fraction, n_splits, members

    def refit_seconds(self, study: optuna.Study) -> float:
        """Estimated seconds to refit the best ``members`` trials on all rows (fold time scaled up) and save them."""
        top = ranked(study)[: self.members]
        fold_seconds = sum(t.user_attrs.get("fit_seconds", 0.0) for t in top) / self.n_splits
        saved_bytes = sum(t.user_attrs.get("model_bytes", 0) for t in top) / self.train_fraction
        return 1.3 * fold_seconds / self.train_fraction + save_seconds(saved_bytes)

    def __call__(self, study: optuna.Study, trial: optuna.trial.FrozenTrial) -> None:
        if self.deadline.remaining() < self.refit_seconds(study):
            log.info("stopping the search: the time left is needed to refit the best model")
            study.stop()


def run_search(
    dataset: Dataset, config: SearchConfig, reporter: ProgressReporter | None = None, clock: Clock = time.monotonic,
    started: float | None = None,
) -> SearchOutcome:
    """Search ``config``'s families on ``dataset``; refit and save the best candidate.

    ``started`` (on ``clock``) is when the budget began, e.g. before the data was loaded;
    default: now.

    Raises:
        InputError: bad options, or no trial finished within the budget.
    """
    started = clock() if started is None else started
    budget_end = Deadline.unlimited(clock) if config.time_budget is None else Deadline(started + config.time_budget, clock)
    promise = (Deadline(started + PROMISE_FACTOR * config.time_budget + PROMISE_GRACE_SECONDS - PROMISE_MARGIN_SECONDS, clock)
               if config.time_budget is not None else Deadline.unlimited(clock))
    metric = get_metric(config.metric, dataset.task)
    spaces = select_spaces(load_spaces(config.spaces_dirs, builder_names()), dataset.task, config.families)
    resampling = make_resampling(dataset.y, dataset.task, n_folds=config.cv_folds, seed=config.seed, source=dataset.source)
    fp = fingerprint(dataset.X, dataset.y)
    study = _open_study(config, dataset, metric, fp, spaces, resampling)
    study_dir = Path(config.output_dir) / study.study_name if config.output_dir else None
    if study_dir is not None:
        study.set_user_attr("artifact_dir", str(study_dir.resolve()))
        prepare_saving()
    trial_deadline = budget_end.earlier(_refit_reserve(config.time_budget))
    # Refits end a second before the budget; the 5 % + 5 s grace covers the last chunk and reporting.
    final_deadline = budget_end.earlier(SAVE_RESERVE_SECONDS)
    nothing_completed = not study.get_trials(deepcopy=False, states=(_STATE.COMPLETE,))
    ctx = SearchContext(
        X=dataset.X, y=dataset.y, task=dataset.task, metric=metric, classes=dataset.classes,
        resampling=resampling, spaces=spaces, seed=config.seed, model_threads=1, deadline=trial_deadline,
        artifact_store=optuna.artifacts.FileSystemArtifactStore(_mkdir(study_dir / "artifacts")) if study_dir else None,
        objectives=config.objectives, epoch_pruning=config.pruner == "median",
        first_trial_deadline=final_deadline if nothing_completed else None,
    )
    memory = RunMemory(metric)
    ensemble = "none" if ctx.multi_objective else config.ensemble
    members = 1 if ensemble == "none" else STACKING_MEMBERS
    _optimize(study, Objective(ctx, memory.offer), config, trial_deadline, resampling, reporter, members, ctx.first_trial_deadline)
    best = _best_trial(study, config)
    log.info("trials done at %.1f s; best trial %d", clock() - started, best.number)
    threads = config.n_jobs if config.n_jobs > 0 else -1
    final = build_final_model(
        study, best, spaces, dataset, metric, ensemble, config.seed, threads, final_deadline, memory, ctx.artifact_store, promise
    )
    log.info("final model (%s) ready at %.1f s", final.kind, clock() - started)
    if study_dir is not None:
        final = _savable_in_time(final, promise)
    card_trial = _trial_of(study, final, best)
    if final.kind == "saved":  # an earlier run's refit of the same trial, already saved and recorded
        model_path = Path(study.user_attrs["best_model_path"])
        card = load_card(model_path)
    else:
        card = _card(final, card_trial, spaces, dataset, metric, fp, study, resampling)
        model_path = _save(final.model, card, study, study_dir)
    log.info("model saved at %.1f s", clock() - started)
    if ctx.multi_objective and study_dir is not None:
        _save_pareto_front(study, card_trial, model_path, spaces, dataset, metric, fp, resampling, config.seed, threads,
                           final_deadline, promise, study_dir)
    return SearchOutcome(
        study=study, best_model=final.model, best_trial=best, card=card, model_path=model_path,
        leaderboard=leaderboard(study), family_summary=family_summary(study),
        elapsed_seconds=clock() - started, resampling=resampling.describe(), notes=final.notes,
    )


def _open_study(
    config: SearchConfig, dataset: Dataset, metric: Metric, fp: Fingerprint, spaces: dict[str, FamilySpace], resampling: Resampling
) -> optuna.Study:
    """Create or resume the study and check that a resumed one is about the same problem."""
    directions = [metric.direction] + ["minimize"] * (len(config.objectives) - 1)
    study = optuna.create_study(
        storage=open_storage(config.storage),
        sampler=make_sampler(config.sampler, config.seed, len(directions) > 1),
        pruner=make_pruner(config.pruner, resampling.n_splits),
        study_name=config.study_name or default_study_name(dataset, fp),
        directions=directions,
        load_if_exists=True,
    )
    attrs = study_attrs(dataset.task, metric, fp, config.seed, list(spaces), dataset.target, resampling.describe())
    prepare_study(study, {**attrs, "objectives": list(config.objectives)}, spaces)
    return study


def _card(
    final: FinalModel, best: optuna.trial.FrozenTrial, spaces: dict[str, FamilySpace], dataset: Dataset, metric: Metric,
    fp: Fingerprint, study: optuna.Study, resampling: Resampling,
) -> ModelCard:
    space = spaces[best.params[FAMILY_PARAM]]
    single = final.kind in SINGLE_KINDS
    return ModelCard(
        task=dataset.task, metric=metric.name, family=space.name if single else final.kind,
        params=params_of(best, space) if single or final.kind == "bagging" else {},
        cv_score=final.oof_score, data_fingerprint=fp.content, target=dataset.target,
        classes=None if dataset.classes is None else dataset.classes.tolist(), study_name=study.study_name,
        trial_number=best.number, members=final.members,
        notes={"resampling": resampling.describe(), "best_single_score": final.best_single_score,
               "objectives": dict(zip(study.user_attrs.get("objectives", ["score"]), best.values)), **final.notes},
    )


def _savable_in_time(final: FinalModel, promise: Deadline) -> FinalModel:
    """``final``, or the best single model when saving the ensemble would break the budget's promise."""
    if final.single is None or not promise.is_limited:
        return final
    needed = save_seconds(model_size_bytes(final.model))
    if needed <= promise.remaining():
        return final
    log.warning("the %s ensemble would take ~%.1f s to save, %.1f s are left: saving the best single model", final.kind, needed, promise.remaining())
    note = f"{final.kind} won on OOF but saving it (~{needed:.0f} s) would overrun the budget"
    return dataclasses.replace(final.single, notes={**final.single.notes, "ensemble": note})


def _trial_of(study: optuna.Study, final: FinalModel, best: optuna.trial.FrozenTrial) -> optuna.trial.FrozenTrial:
    """The trial a single final model comes from (the best one, unless only another's fold models were at hand)."""
    number = final.members[0]["trial"] if final.members and final.kind in SINGLE_KINDS else best.number
    return best if number == best.number else next((t for t in ranked(study) if t.number == number), best)


def _save_pareto_front(
    study: optuna.Study, best: optuna.trial.FrozenTrial, best_path: Path | None, spaces: dict[str, FamilySpace],
    dataset: Dataset, metric: Metric, fp: Fingerprint, resampling: Resampling, seed: int, threads: int,
    deadline: Deadline, promise: Deadline, study_dir: Path,
) -> None:
    """Refit and save every Pareto-front trial that fits in the budget (refit and save both bounded),
    so ``load_best_model(choose=...)`` can pick a trade-off later; the front is small."""
    saved = {str(best.number): str(best_path.resolve())} if best_path else {}
    digests = {str(best.number): artifact_digests(best_path)} if best_path else {}
    for trial in sorted(study.best_trials, key=lambda t: t.number):
        if str(trial.number) in saved:
            continue
        try:
            model, _, note = refit_bounded(trial, spaces, dataset, seed, threads, deadline)
        except DeadlineExceeded:
            log.warning("Pareto-front trial %d not saved: the time budget ran out", trial.number)
            continue
        if save_seconds(model_size_bytes(model)) > promise.remaining():
            log.warning("Pareto-front trial %d not saved: saving it would overrun the budget", trial.number)
            continue
        final = FinalModel(model, "single", score(trial), score(trial), [{"family": trial.params[FAMILY_PARAM], "trial": trial.number, "weight": 1.0}], {"final_model": note})
        path = save_model(model, study_dir / "models" / f"trial-{trial.number}-{_stamp()}", _card(final, trial, spaces, dataset, metric, fp, study, resampling))
        saved[str(trial.number)] = str(path.resolve())
        digests[str(trial.number)] = artifact_digests(path)
    study.set_user_attr("pareto_models", saved)
    study.set_user_attr("pareto_model_digests", digests)


def _stamp() -> str:
    return dt.datetime.now(dt.timezone.utc).strftime("%Y%m%dT%H%M%S%f")


def _refit_reserve(time_budget: float | None) -> float:
    """Seconds kept back from trials for the final refit (the stop callback adds more when needed)."""
    return 0.0 if time_budget is None else min(0.1 * time_budget, 10.0)


def _mkdir(path: Path) -> Path:
    path.mkdir(parents=True, exist_ok=True)
    return path


def _optimize(
    study: optuna.Study, objective: Objective, config: SearchConfig, deadline: Deadline,
    resampling: Resampling, reporter: ProgressReporter | None, members: int, first_deadline: Deadline | None = None,
) -> None:
    """Run trials until ``deadline``; a study with no completed trial gets one trial even when only
    ``first_deadline`` (later) is left, so a search slowed down by a busy machine still has a model."""
    n_trials = None
    if config.n_trials is not None:
        done = len(study.get_trials(deepcopy=False, states=_FINISHED))
        n_trials = max(0, config.n_trials - done)
    if deadline.expired() and first_deadline is not None and not first_deadline.expired():
        deadline, n_trials = first_deadline, 1 if n_trials is None else min(n_trials, 1)
    callbacks: list[Any] = [_StopWhenRefitWouldOverrun(deadline, resampling.train_fraction, resampling.n_splits, members)]
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
    top = ranked(study)
    if top:
        return top[0]
    failed = [t.user_attrs["error"] for t in study.trials if "error" in t.user_attrs]
    hint = f"; first failure: {failed[0]}" if failed else ""
    raise InputError(
        f"no trial finished in study '{study.study_name}' within the budget "
        f"({config.time_budget or 0:.0f} s); raise --time-budget or choose faster --families{hint}"
    )


def _save(model: Any, card: ModelCard, study: optuna.Study, study_dir: Path | None) -> Path | None:
    if study_dir is None:
        return None
    path = save_model(model, study_dir / "models" / f"trial-{card.trial_number}-{_stamp()}", card)
    # The digests live in the study: whoever can rewrite the model folder cannot rewrite them too.
    study.set_user_attr("best_model_digests", artifact_digests(path))
    study.set_user_attr("best_model_path", str(path.resolve()))
    return path

"""Run a search end to end, in three phases: create (or resume) the study, run trials within
the budget, finalize (refit the best trial or an ensemble, save it with its card).

``automl search`` runs the three in one process; ``automl studies create``, ``automl worker``
and ``automl finalize`` run them apart (see ``_workers``), on any number of machines.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import optuna
import pandas as pd

from automl._core import Clock, Deadline, DeadlineExceeded, InputError
from automl.data import Dataset, Fingerprint
from automl.evaluation import Metric
from automl.models import ModelCard, artifact_digests, load_card, model_size_bytes, prepare_saving, save_model
from automl.search._final import (
    BLEND_RESERVE_SHARE,
    FinalModel,
    RunMemory,
    bagged_families,
    build_final_model,
    check_ensemble,
    planned_members,
    refit_bounded,
    use_threads,
)
from automl.search._leaderboard import family_summary, leaderboard
from automl.search._objective import FAMILY_PARAM, params_of
from automl.search._parallel import plan_parallelism
from automl.search._resampling import Resampling
from automl.search._strategies import DEFAULT_PRUNER, PRUNERS, SAMPLERS, check_choice, check_objectives
from automl.search._study import StudySettings, StudySetup, create_study
from automl.search._trial_loop import ProgressReporter, run_trials
from automl.search._trials import ranked, score
from automl.spaces import FamilySpace

log = logging.getLogger(__name__)

SAVE_RESERVE_SECONDS = 1.0
# Saving (skops) measured 40-60 MB/s (pickled size) on forests and on HistGradientBoosting models,
# whose trees are packed into a few arrays (``models._packing``; unpacked, skops is quadratic in
# the number of arrays: five multiclass HGB fold models took 3 minutes). Plan with half that.
SAVE_BYTES_PER_SECOND = 20e6
# The promise: the whole search ends within budget x 1.05 + 5 s; saves aim a second inside it.
PROMISE_FACTOR, PROMISE_GRACE_SECONDS, PROMISE_MARGIN_SECONDS = 1.05, 5.0, 1.0
# one trial's configuration (the card lists its params)
SINGLE_KINDS = ("single", "fold-average", "stand-in", "subsample", "saved")


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
    n_jobs: int = -1  # cores: -1 = all (trials at once or threads per model, see _parallel)
    spaces_dirs: tuple[str, ...] = ()
    output_dir: str | None = "automl_runs"
    cv_folds: int | None = None  # None: by rows (see search._resampling.auto_folds)
    time_col: str | None = None  # validate on rows that come after the training rows in this column's order
    ensemble: str = "selection"
    sampler: str = "tpe"
    pruner: str = DEFAULT_PRUNER
    objectives: tuple[str, ...] = ("score",)
    # Configurations (``{"family": ..., "<family>.<param>": ...}``) tried first, e.g. a champion study's best.
    enqueue: tuple[dict[str, Any], ...] = ()

    def __post_init__(self) -> None:
        if self.time_budget is not None and self.time_budget <= 0:
            raise InputError(f"time budget must be positive, got {self.time_budget}")
        if self.n_trials is not None and self.n_trials < 1:
            raise InputError(f"n_trials must be at least 1, got {self.n_trials}")
        if self.cv_folds is not None and self.cv_folds < 2:
            raise InputError(f"cv_folds must be at least 2, got {self.cv_folds}")
        check_ensemble(self.ensemble)
        check_choice("sampler", self.sampler, SAMPLERS)
        check_choice("pruner", self.pruner, PRUNERS)
        check_objectives(self.objectives)
        if len(self.objectives) > 1 and self.pruner != "none":
            raise InputError("pruning needs a single objective; use --pruner none with several --objectives")
        if self.n_jobs == 0 or self.n_jobs < -1:
            raise InputError(f"n_jobs must be -1 or a positive number, got {self.n_jobs}")

    def check_bounded(self) -> None:
        """A search needs an end (creating a study for workers does not)."""
        if self.time_budget is None and self.n_trials is None:
            raise InputError("give a time budget (--time-budget) or a number of trials (--n-trials), or both")

    def settings(self, dataset: Dataset) -> StudySettings:
        """What the study records from this configuration (metric and families resolved on creation)."""
        return StudySettings(
            task=dataset.task,
            metric=self.metric or "",
            target=dataset.target,
            seed=self.seed,
            families=tuple(self.families or ()),
            objectives=self.objectives,
            cv_folds=self.cv_folds,
            time_col=self.time_col,
            sampler=self.sampler,
            pruner=self.pruner,
            ensemble=self.ensemble,
            data_path=None if dataset.source == "DataFrame" else str(Path(dataset.source).resolve()),
            spaces_dirs=tuple(str(Path(d).resolve()) for d in self.spaces_dirs),
            artifact_dir=None,
            n_trials=self.n_trials,
            time_budget=self.time_budget,
        )


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


# From this time budget (seconds) up, in a search bounded by time alone that ends in an ensemble,
# a family the sampler chooses once the portfolio has run is skipped (at no cost) while no trial
# of it is among the members the ensemble would have if the search stopped now. Every family
# has had its portfolio configurations by then; the sampler's own first draws were otherwise
# spent blindly on them: a 300 s houses search (seed 1) gave 150 of its 490 trial-seconds to
# a random forest and an AdaBoost configuration that no ensemble used, and adult's ensembles
# held XGBoost and HistGradientBoosting alone while the other six families took half the time.
# At 300 s (3 seeds; benchmarks/RESULTS.md, stop 35) adult completed 53-61 trials instead of
# 37-47; test scores: ames_housing better on every seed (+0.8 % on the mean against a run of the
# code before it on the same evening), satimage, adult and houses level. 60 s is unchanged.
TRIAGE_MIN_BUDGET = 120.0


class _RefitWouldOverrun:
    """Stop condition: the time left is what refitting the final model's members (and saving them) needs.

    ``members(study)`` forecasts which trials the final model would use if the search stopped
    now, best first: the best is refit alone, then the others ``workers`` at a time. The
    families of the latest forecast are kept for :meth:`skips_family`.
    """

    def __init__(
        self,
        deadline: Deadline,
        memory: RunMemory,
        members: Callable[[optuna.Study], list[optuna.trial.FrozenTrial]],
        saving: bool = True,
        workers: int = 1,
    ) -> None:
        self.deadline, self.memory = deadline, memory
        self.members, self.saving, self.workers = members, saving, workers
        self.planned: tuple[int, frozenset[str]] = (0, frozenset())  # the latest forecast: members, their families

    def refit_seconds(self, study: optuna.Study) -> float:
        """Estimated seconds to refit the members on all rows (fold time scaled up) and save them."""
        top = self.members(study)
        self.planned = (len(top), frozenset(str(t.params.get(FAMILY_PARAM)) for t in top))
        refits = [self.memory.refit_seconds(t) for t in top]
        saved_bytes = sum(t.user_attrs.get("model_bytes", 0) for t in top) / self.memory.train_fraction
        fitting = sum(refits[:1]) + sum(refits[1:]) / max(self.workers, 1)
        return float(fitting + (save_seconds(saved_bytes) if self.saving else 0.0))

    def __call__(self, study: optuna.Study) -> str | None:
        if self.deadline.remaining() < self.refit_seconds(study):
            return "the time left is needed to refit the final model"
        return None

    def skips_family(self, family: str) -> str | None:
        """Why not to run a sampled trial of ``family`` (see ``TRIAGE_MIN_BUDGET``); ``None``: run it."""
        members, families = self.planned
        if members < 2 or family in families:  # no ensemble forecast (yet)
            return None
        return f"skipped: no {family} trial is among the ensemble's members ({', '.join(sorted(families))})"


def run_search(
    dataset: Dataset,
    config: SearchConfig,
    reporter: ProgressReporter | None = None,
    clock: Clock = time.monotonic,
    started: float | None = None,
) -> SearchOutcome:
    """Search ``config``'s families on ``dataset``; refit and save the best candidate.

    ``started`` (on ``clock``) is when the budget began, e.g. before the data was loaded;
    default: now.

    Raises:
        InputError: bad options, or no trial finished within the budget.
    """
    started = clock() if started is None else started
    config.check_bounded()
    budget_end = Deadline.unlimited(clock) if config.time_budget is None else Deadline(started + config.time_budget, clock)
    setup = create_study(
        dataset,
        config.settings(dataset),
        study_name=config.study_name,
        storage=config.storage,
        output_dir=config.output_dir,
        first=config.enqueue,
    )
    if setup.study_dir is not None:
        prepare_saving()
    trial_deadline = budget_end.earlier(_refit_reserve(config.time_budget, config.ensemble))
    memory = RunMemory(
        setup.metric,
        setup.resampling.n_splits,
        setup.resampling.train_fraction,
        bagged=bagged_families(setup.spaces, setup.resampling, config.time_budget),
    )
    ensemble = "none" if setup.multi_objective else config.ensemble
    refit = _RefitWouldOverrun(
        trial_deadline,
        memory,
        lambda study: planned_members(study, memory, setup.dataset, setup.metric, ensemble),
        saving=setup.study_dir is not None,
        workers=plan_parallelism(config.n_jobs, *setup.dataset.X.shape).trials,
    )
    # Refits end a second before the budget; the 5 % + 5 s grace covers the last chunk and reporting.
    final_deadline = budget_end.earlier(SAVE_RESERVE_SECONDS)
    # A study with no completed trial gets one trial even when only the refit's time is left:
    # a search slowed down by a busy machine still ends with a model.
    nothing_completed = not setup.study.get_trials(deepcopy=False, states=(optuna.trial.TrialState.COMPLETE,))
    run_trials(
        setup,
        n_trials=config.n_trials,
        deadline=trial_deadline,
        n_jobs=config.n_jobs,
        on_result=memory.offer,
        keeps_fold_models=memory.wants_fold_models,
        skips_family=refit.skips_family if _triage(config, ensemble) else None,
        reporter=reporter,
        stop_when=refit,
        clock=clock,
        first_trial_deadline=final_deadline if nothing_completed else None,
    )
    log.info("trials done at %.1f s", clock() - started)
    promise = (
        Deadline(started + PROMISE_FACTOR * config.time_budget + PROMISE_GRACE_SECONDS - PROMISE_MARGIN_SECONDS, clock)
        if config.time_budget is not None
        else Deadline.unlimited(clock)
    )
    return finalize(setup, ensemble, final_deadline, config.n_jobs, memory, config.time_budget, started, clock, promise)


def finalize(
    setup: StudySetup,
    ensemble: str,
    deadline: Deadline,
    n_jobs: int,
    memory: RunMemory,
    time_budget: float | None,
    started: float,
    clock: Clock = time.monotonic,
    promise: Deadline | None = None,
) -> SearchOutcome:
    """Build the final model once from all the study's trials (every worker's) and save it with its card.

    Out-of-fold predictions of trials run by other processes come from the study's
    artifact store; ``memory`` holds this process's own (and its best trial's fold models).
    ``promise`` is when the whole command must have ended: saves are planned inside it.
    """
    promise = promise or Deadline.unlimited(clock)
    study, dataset, metric, fp, resampling, spaces = (
        setup.study,
        setup.dataset,
        setup.metric,
        setup.fingerprint,
        setup.resampling,
        setup.spaces,
    )
    best = _best_trial(study, time_budget)
    log.info("best trial %d at %.1f s", best.number, clock() - started)
    # The final fits use the threads the trials' fits had: the time they need is forecast from
    # those fits, and an OpenMP model given every core of a busy machine can be many times slower.
    parallel = plan_parallelism(n_jobs, *dataset.X.shape)
    threads = parallel.model_threads
    final = build_final_model(
        study,
        best,
        spaces,
        dataset,
        metric,
        ensemble,
        setup.settings.seed,
        threads,
        deadline,
        memory,
        setup.artifact_store,
        promise,
        workers=parallel.trials,
    )
    log.info("final model (%s) ready at %.1f s", final.kind, clock() - started)
    use_threads(final, n_jobs)
    if setup.study_dir is not None:
        final = _savable_in_time(final, promise)
    card_trial = _trial_of(study, final, best)
    model_path: Path | None
    if final.kind == "saved":  # an earlier run's refit of the same trial, already saved and recorded
        model_path = Path(study.user_attrs["best_model_path"])
        card = load_card(model_path)
    else:
        card = _card(final, card_trial, spaces, dataset, metric, fp, study, resampling)
        model_path = _save(final.model, card, study, setup.study_dir)
    log.info("model saved at %.1f s", clock() - started)
    if setup.multi_objective and setup.study_dir is not None:
        _save_pareto_front(
            study,
            card_trial,
            model_path,
            spaces,
            dataset,
            metric,
            fp,
            resampling,
            setup.settings.seed,
            threads,
            deadline,
            promise,
            setup.study_dir,
        )
    return SearchOutcome(
        study=study,
        best_model=final.model,
        best_trial=best,
        card=card,
        model_path=model_path,
        leaderboard=leaderboard(study),
        family_summary=family_summary(study),
        elapsed_seconds=clock() - started,
        resampling=resampling.describe(),
        notes=final.notes,
    )


def _card(
    final: FinalModel,
    best: optuna.trial.FrozenTrial,
    spaces: dict[str, FamilySpace],
    dataset: Dataset,
    metric: Metric,
    fp: Fingerprint,
    study: optuna.Study,
    resampling: Resampling,
) -> ModelCard:
    space = spaces[best.params[FAMILY_PARAM]]
    single = final.kind in SINGLE_KINDS
    return ModelCard(
        task=dataset.task,
        metric=metric.name,
        family=space.name if single else final.kind,
        params=params_of(best, space) if single or final.kind == "bagging" else {},
        cv_score=final.oof_score,
        data_fingerprint=fp.content,
        target=dataset.target,
        classes=None if dataset.classes is None else dataset.classes.tolist(),
        study_name=study.study_name,
        trial_number=best.number,
        members=final.members,
        notes={
            "resampling": resampling.describe(),
            "best_single_score": final.best_single_score,
            "objectives": dict(zip(study.user_attrs.get("objectives", ["score"]), best.values, strict=False)),
            **final.notes,
        },
    )


def _savable_in_time(final: FinalModel, promise: Deadline) -> FinalModel:
    """``final``, or the best single model when saving the ensemble would break the budget's promise."""
    if final.single is None or not promise.is_limited:
        return final
    needed = save_seconds(model_size_bytes(final.model))
    if needed <= promise.remaining():
        return final
    log.warning(
        "the %s ensemble would take ~%.1f s to save, %.1f s are left: saving the best single model",
        final.kind,
        needed,
        promise.remaining(),
    )
    note = f"{final.kind} won on OOF but saving it (~{needed:.0f} s) would overrun the budget"
    return dataclasses.replace(final.single, notes={**final.single.notes, "ensemble": note})


def _trial_of(study: optuna.Study, final: FinalModel, best: optuna.trial.FrozenTrial) -> optuna.trial.FrozenTrial:
    """The trial a single final model comes from (the best one, unless only another's fold models were at hand)."""
    number = final.members[0]["trial"] if final.members and final.kind in SINGLE_KINDS else best.number
    return best if number == best.number else next((t for t in ranked(study) if t.number == number), best)


def _save_pareto_front(
    study: optuna.Study,
    best: optuna.trial.FrozenTrial,
    best_path: Path | None,
    spaces: dict[str, FamilySpace],
    dataset: Dataset,
    metric: Metric,
    fp: Fingerprint,
    resampling: Resampling,
    seed: int,
    threads: int,
    deadline: Deadline,
    promise: Deadline,
    study_dir: Path,
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
        final = FinalModel(
            model,
            "single",
            score(trial),
            score(trial),
            [{"family": trial.params[FAMILY_PARAM], "trial": trial.number, "weight": 1.0}],
            {"final_model": note},
        )
        path = save_model(
            model,
            study_dir / "models" / f"trial-{trial.number}-{_stamp()}",
            _card(final, trial, spaces, dataset, metric, fp, study, resampling),
        )
        saved[str(trial.number)] = str(path.resolve())
        digests[str(trial.number)] = artifact_digests(path)
    study.set_user_attr("pareto_models", saved)
    study.set_user_attr("pareto_model_digests", digests)


def _stamp() -> str:
    return dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%S%f")


def _triage(config: SearchConfig, ensemble: str) -> bool:
    """Whether sampled trials of families outside the ensemble are skipped (``TRIAGE_MIN_BUDGET``)."""
    budget = config.time_budget
    return budget is not None and budget >= TRIAGE_MIN_BUDGET and config.n_trials is None and ensemble in ("selection", "blend")


def _refit_reserve(time_budget: float | None, ensemble: str = "selection") -> float:
    """Seconds kept back from trials for the final refit (the stop callback adds more when needed),
    and for a blend's meta-learner."""
    if time_budget is None:
        return 0.0
    return min(0.1 * time_budget, 10.0) + (BLEND_RESERVE_SHARE * time_budget if ensemble == "blend" else 0.0)


def _best_trial(study: optuna.Study, time_budget: float | None) -> optuna.trial.FrozenTrial:
    top = ranked(study)
    if top:
        return top[0]
    failed = [t.user_attrs["error"] for t in study.trials if "error" in t.user_attrs]
    hint = f"; first failure: {failed[0]}" if failed else ""
    raise InputError(
        f"no trial finished in study '{study.study_name}' within the budget "
        f"({time_budget or 0:.0f} s); raise --time-budget or choose faster --families{hint}"
    )


def _save(model: Any, card: ModelCard, study: optuna.Study, study_dir: Path | None) -> Path | None:
    if study_dir is None:
        return None
    path = save_model(model, study_dir / "models" / f"trial-{card.trial_number}-{_stamp()}", card)
    # The digests live in the study: whoever can rewrite the model folder cannot rewrite them too.
    study.set_user_attr("best_model_digests", artifact_digests(path))
    study.set_user_attr("best_model_path", str(path.resolve()))
    return path

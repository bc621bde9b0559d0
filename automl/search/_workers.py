"""Many processes on one study: ``automl worker`` adds trials, ``automl finalize`` builds the model.

A worker joins a study from what the study records (``_study.join_study``): it needs
only the study name, the storage and read access to the data. Workers never refit or
save a final model; ``finalize`` builds it once from every worker's trials, reading
their out-of-fold predictions from the study's shared artifact store.
"""

from __future__ import annotations

import logging
import time
import zlib
from dataclasses import dataclass

import optuna

from automl._core import Clock, Deadline, InputError
from automl.models import prepare_saving
from automl.search._final import RunMemory, check_ensemble
from automl.search._liveness import WORKER_ATTR, worker_id
from automl.search._runner import SAVE_RESERVE_SECONDS, SearchOutcome, finalize
from automl.search._study import join_study
from automl.search._trial_loop import ProgressReporter, count_trials, run_trials

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class WorkerConfig:
    """How long one worker works. ``n_trials`` is the study's target (default: the one it was created with)."""

    time_budget: float | None = None
    n_trials: int | None = None
    n_jobs: int = 1
    seed: int | None = None  # sampler seed; default: the study's seed mixed with this worker's id
    data: str | None = None  # where this machine reads the study's table (default: the recorded path)
    spaces_dirs: tuple[str, ...] | None = None  # default: the recorded folders

    def __post_init__(self) -> None:
        if self.time_budget is not None and self.time_budget <= 0:
            raise InputError(f"time budget must be positive, got {self.time_budget}")
        if self.n_trials is not None and self.n_trials < 1:
            raise InputError(f"n_trials must be at least 1, got {self.n_trials}")
        if self.n_jobs < 1:
            raise InputError(f"n_jobs must be a positive number, got {self.n_jobs}")


@dataclass(frozen=True)
class WorkerOutcome:
    """What one worker did, and where the study stands."""

    study: optuna.Study
    worker: str
    trials_run: int  # finished trials this process ran
    study_finished: int  # finished trials of the study (all workers), retried ones excluded
    study_running: int
    elapsed_seconds: float


def run_worker(
    study_name: str,
    storage: str | optuna.storages.BaseStorage | None,
    config: WorkerConfig,
    reporter: ProgressReporter | None = None,
    clock: Clock = time.monotonic,
) -> WorkerOutcome:
    """Add trials to an existing study until it has ``n_trials`` finished ones or the time is up.

    Raises:
        InputError: unknown study, data/spaces that differ from the study's, no end given.
    """
    started = clock()
    deadline = Deadline.after(config.time_budget, clock)
    me = worker_id()
    # Without a seed, the study's is mixed with this worker's id: two workers with one seed would draw the same candidates.
    setup = join_study(
        study_name,
        storage,
        sampler_seed=config.seed,
        seed_offset=zlib.crc32(me.encode()),
        data=config.data,
        spaces_dirs=config.spaces_dirs,
    )
    n_trials = config.n_trials or setup.settings.n_trials
    if n_trials is None and config.time_budget is None:
        raise InputError(f"study '{study_name}' has no trial target; give the worker --n-trials N or --time-budget S")
    log.info("worker %s joins study '%s'", me, study_name)
    before = _finished_by(setup.study, me)
    # A worker builds no final model (``finalize`` does, from the study): it keeps no fold model.
    run_trials(
        setup,
        n_trials=n_trials,
        deadline=deadline,
        n_jobs=config.n_jobs,
        keeps_fold_models=lambda *_: False,
        reporter=reporter,
        clock=clock,
    )
    counts = count_trials(setup.study)
    return WorkerOutcome(
        setup.study, me, len(_finished_by(setup.study, me) - before), counts.done, counts.running, clock() - started
    )


def _finished_by(study: optuna.Study, worker: str) -> set[int]:
    return {
        t.number for t in study.get_trials(deepcopy=False) if t.state.is_finished() and t.user_attrs.get(WORKER_ATTR) == worker
    }


def finalize_study(
    study_name: str,
    storage: str | optuna.storages.BaseStorage | None,
    *,
    ensemble: str | None = None,
    time_budget: float | None = None,
    n_jobs: int = 1,
    data: str | None = None,
    spaces_dirs: tuple[str, ...] | None = None,
    clock: Clock = time.monotonic,
) -> SearchOutcome:
    """Build the study's final model once, from all its finished trials, and save it with its card.

    ``ensemble`` defaults to the one the study was created with.
    """
    started = clock()
    budget_end = Deadline.after(time_budget, clock)
    setup = join_study(study_name, storage, data=data, spaces_dirs=spaces_dirs)
    kind = ensemble or setup.settings.ensemble
    check_ensemble(kind)
    running = count_trials(setup.study).running
    if running:
        log.warning("%d trials of study '%s' are still running; the final model uses the finished ones", running, study_name)
    if setup.study_dir is not None:
        prepare_saving()
    kind = "none" if setup.multi_objective else kind
    # empty: every trial's OOF predictions come from the artifact store
    memory = RunMemory(setup.metric, setup.resampling.n_splits, setup.resampling.train_fraction)
    return finalize(setup, kind, budget_end.earlier(SAVE_RESERVE_SECONDS), n_jobs, memory, time_budget, started, clock)

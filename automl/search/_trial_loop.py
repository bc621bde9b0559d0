"""Run a study's trials until it has ``n_trials`` finished ones or a deadline passes, next to
any number of other workers on the same study.

The trial count is the study's, not this process's: a worker stops starting trials once
the finished trials plus those running elsewhere reach the target. When the last trials
run elsewhere, it waits for them: if their worker died, its heartbeats stop, the trial
is failed and queued again, and this worker runs the retry. A retried trial does not
count (its retry does), so the study completes with ``n_trials`` finished trials.
"""

from __future__ import annotations

import dataclasses
import logging
import math
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

import optuna

from automl._core import Deadline
from automl.search._cv import CVResult
from automl.search._liveness import fail_dead_trials
from automl.search._objective import Objective, SearchContext
from automl.search._parallel import plan_parallelism, release_free_memory
from automl.search._storage import GRACE_SECONDS, HEARTBEAT_SECONDS
from automl.search._study import StudySetup

log = logging.getLogger(__name__)

_STATE = optuna.trial.TrialState
_FINISHED = (_STATE.COMPLETE, _STATE.PRUNED, _STATE.FAIL)
# How long to wait for trials running elsewhere with no change: a dead worker's trial is
# failed within GRACE_SECONDS; one still running after that is alive and its worker ends it.
PATIENCE_SECONDS = GRACE_SECONDS + 2 * HEARTBEAT_SECONDS

StopCondition = Callable[[optuna.Study], str | None]


class ProgressReporter(Protocol):
    """Receives progress; the CLI draws a bar with it. The search itself never prints."""

    def start(self, study: optuna.Study, n_trials: int | None, deadline: Deadline) -> None: ...
    def trial_finished(self, study: optuna.Study, trial: optuna.trial.FrozenTrial) -> None: ...
    def finish(self) -> None: ...


@dataclass(frozen=True)
class TrialCounts:
    done: int  # finished trials that count (a trial that was retried does not: its retry does)
    running: int
    running_numbers: frozenset[int]


def count_trials(study: optuna.Study) -> TrialCounts:
    trials = study.get_trials(deepcopy=False)
    retried = {n for t in trials for n in t.system_attrs.get("retry_history", ())}
    done = sum(1 for t in trials if t.state in _FINISHED and t.number not in retried)
    running = frozenset(t.number for t in trials if t.state == _STATE.RUNNING)
    return TrialCounts(done, len(running), running)


class _Stop:
    """The callback that ends ``study.optimize``, remembering why (so that the loop does not restart).

    When ``condition`` gives a reason (the time left is needed for the final model), trials
    still running in other threads are stopped too: their deadline (:meth:`deadline`) passes
    at once. Left running, they would take the time the condition kept for the final model.
    """

    def __init__(self, n_trials: int | None, condition: StopCondition | None) -> None:
        self.n_trials, self.condition = n_trials, condition
        self.reason: str | None = None
        self.stopping = threading.Event()

    def deadline(self, deadline: Deadline) -> Deadline:
        """``deadline``, passed as soon as this callback stops the study for a reason."""

        def clock() -> float:
            return math.inf if self.stopping.is_set() else deadline.clock()

        return dataclasses.replace(deadline, clock=clock)

    def __call__(self, study: optuna.Study, trial: optuna.trial.FrozenTrial) -> None:
        reason = self.condition(study) if self.condition is not None else None
        if reason is not None:
            self.reason = reason
            log.info("stopping: %s", reason)
            self.stopping.set()
            study.stop()
        elif self.n_trials is not None:
            counts = count_trials(study)
            if counts.done + counts.running >= self.n_trials:
                study.stop()  # the rest of the target is running (here or elsewhere)


def context_for(
    setup: StudySetup, deadline: Deadline, model_threads: int = 1, first_trial_deadline: Deadline | None = None
) -> SearchContext:
    """What every trial of this process needs (``model_threads``: see ``_parallel``)."""
    return SearchContext(
        X=setup.dataset.X,
        y=setup.dataset.y,
        task=setup.dataset.task,
        metric=setup.metric,
        classes=setup.dataset.classes,
        resampling=setup.resampling,
        spaces=setup.spaces,
        seed=setup.settings.seed,
        model_threads=model_threads,
        deadline=deadline,
        artifact_store=setup.artifact_store,
        objectives=setup.settings.objectives,
        epoch_pruning=setup.settings.pruner == "median",
        first_trial_deadline=first_trial_deadline,
    )


def run_trials(
    setup: StudySetup,
    *,
    n_trials: int | None,
    deadline: Deadline,
    n_jobs: int = 1,
    on_result: Callable[[int, CVResult, str], None] | None = None,
    keeps_fold_models: Callable[[str, int, float], bool] | None = None,
    skips_family: Callable[[str], str | None] | None = None,
    reporter: ProgressReporter | None = None,
    stop_when: StopCondition | None = None,
    clock: Callable[[], float] = time.monotonic,
    first_trial_deadline: Deadline | None = None,
) -> None:
    """Add trials to ``setup.study`` until it has ``n_trials`` finished ones, ``deadline`` passes,
    or ``stop_when(study)`` gives a reason to stop (checked after every trial).

    ``on_result`` sees every completed trial's CV run; ``keeps_fold_models`` decides after each fold
    whether its fold models are worth holding (see ``search._cv.cross_validate``); ``skips_family``
    may give a reason not to run a family the sampler chose (see ``search._objective.Objective``).

    ``first_trial_deadline`` (later than ``deadline``) bounds a first trial of a study with
    none completed: started even when ``deadline`` has passed, so there is a model at all.

    ``n_jobs`` cores (``-1``: all) go to concurrent trials or to each model's threads,
    by the table's size (``plan_parallelism``); without a deadline, one trial at a time, so
    that the same seed gives the same trials.
    """
    study = setup.study
    if deadline.expired() and first_trial_deadline is not None and not first_trial_deadline.expired():
        done = count_trials(study).done
        deadline, n_trials = first_trial_deadline, done + 1 if n_trials is None else min(n_trials, done + 1)
    plan = plan_parallelism(n_jobs, *setup.dataset.X.shape, reproducible=not deadline.is_limited)
    log.info("parallelism: %s", plan.describe())
    if plan.trials > 1:
        serialize_trial_starts(setup.storage)
    stop = _Stop(n_trials, stop_when)
    context = context_for(setup, stop.deadline(deadline), plan.model_threads, first_trial_deadline)
    objective = Objective(context, on_result, keeps_fold_models, skips_family)
    callbacks: list[Any] = [stop, release_free_memory]
    if reporter is not None:
        reporter.start(study, None if n_trials is None else max(0, n_trials - count_trials(study).done), deadline)
        callbacks.insert(0, reporter.trial_finished)
    waiting: tuple[float, frozenset[int]] | None = None
    try:
        while stop.reason is None and not deadline.expired():
            fail_dead_trials(study, setup.storage)
            counts = count_trials(study)
            if n_trials is not None and counts.done >= n_trials:
                return
            batch = None if n_trials is None else n_trials - counts.done - counts.running
            if batch is not None and batch <= 0:
                waiting = _wait(waiting, counts.running_numbers, deadline, clock)
                if waiting is None:
                    return
                continue
            waiting = None
            _optimize(study, objective, batch, deadline, plan.trials, callbacks)
            if n_trials is None:
                return
    finally:
        if reporter is not None:
            reporter.finish()


def serialize_trial_starts(storage: optuna.storages.BaseStorage) -> None:
    """Make this process's threads take a queued trial one at a time.

    Optuna starts a queued (enqueued) trial by reading that it is WAITING and writing
    RUNNING. On SQLite, whose transactions do not lock rows on read, two threads can both
    read WAITING and both run the trial; the second one's result then cannot be stored
    ("Cannot tell a COMPLETE trial"). A lock around that transition, in this process,
    closes the race for trials run side by side.
    """
    original = storage.set_trial_state_values
    if getattr(original, "serialized", False):
        return
    lock = threading.Lock()

    def set_trial_state_values(trial_id: int, state: optuna.trial.TrialState, values: Sequence[float] | None = None) -> bool:
        if state != _STATE.RUNNING:
            return original(trial_id, state, values)
        with lock:
            return original(trial_id, state, values)

    # A mark on the wrapper (functions take attributes; mypy's Callable type has none) keeps a
    # second call from wrapping it again; replacing the method on this one storage object is the point.
    set_trial_state_values.serialized = True  # type: ignore[attr-defined]
    storage.set_trial_state_values = set_trial_state_values  # type: ignore[method-assign]


def _optimize(
    study: optuna.Study, objective: Objective, batch: int | None, deadline: Deadline, n_jobs: int, callbacks: Sequence[Any]
) -> None:
    study.optimize(
        objective,
        n_trials=batch,
        timeout=deadline.remaining() if deadline.is_limited else None,
        n_jobs=n_jobs,
        catch=(Exception,),
        callbacks=list(callbacks),
    )


def _wait(
    waiting: tuple[float, frozenset[int]] | None, running: frozenset[int], deadline: Deadline, clock: Callable[[], float]
) -> tuple[float, frozenset[int]] | None:
    """Wait a heartbeat for the trials running elsewhere; ``None`` when patience ran out.

    Patience restarts whenever the set of running trials changes.
    """
    if waiting is None or waiting[1] != running:
        waiting = (clock(), running)
    elif clock() - waiting[0] > PATIENCE_SECONDS:
        log.info("trials %s still run on other workers; leaving them to finish", sorted(running))
        return None
    time.sleep(max(0.0, min(HEARTBEAT_SECONDS, deadline.remaining() if deadline.is_limited else HEARTBEAT_SECONDS)))
    return waiting

"""Which worker runs a trial, and failing (then retrying) the trials of workers that died.

Heartbeats (see ``_storage``) find dead workers on any storage, after ``GRACE_SECONDS``.
On storages that live in a local file (SQLite, journal) every worker is a process of
this machine, so a trial whose recorded process is gone is known dead at once: a search
resumed right after a ``kill -9`` fails and retries the killed trial instead of leaving
it "Running" until the grace period has passed.

A worker killed between starting a trial and recording itself (its first heartbeat comes
a moment later too) leaves a trial that neither check can see: Optuna's RDB storage only
declares trials with a heartbeat stale. On those local storages such a trial is failed
once it has run ``GRACE_SECONDS`` without saying whose it is; a live worker records
itself as its trial's first step. (Across machines the start times come from
other clocks, so there such a trial stays "Running"; searches wait for it a while, then
leave it.)
"""

from __future__ import annotations

import logging
import os
import socket
import time
import warnings
from collections.abc import Callable
from pathlib import Path

import optuna

from automl.search._storage import GRACE_SECONDS, is_single_machine, stale_trial_callback

log = logging.getLogger(__name__)

WORKER_ATTR = "worker"  # user attribute: "host:pid" of the process that runs the trial


def worker_id() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def record_worker(trial: optuna.Trial) -> None:
    """Note which process runs ``trial`` (the first thing a trial does)."""
    trial.set_user_attr(WORKER_ATTR, worker_id())


def fail_dead_trials(
    study: optuna.Study, storage: optuna.storages.BaseStorage, clock: Callable[[], float] = time.time
) -> list[int]:
    """Fail the running trials of dead workers and enqueue their retries; return their numbers.

    ``clock`` is the wall clock that trial start times are compared with.
    """
    before = _running(study)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)
        optuna.storages.fail_stale_trials(study)  # heartbeats, on every storage
    if is_single_machine(storage):
        _fail_orphans(study, storage, clock())
    failed = sorted(before - _running(study))
    if failed:
        log.warning(
            "trials %s of study '%s' belonged to workers that died; marked failed and queued again",
            ", ".join(map(str, failed)),
            study.study_name,
        )
    return failed


def _running(study: optuna.Study) -> set[int]:
    return {t.number for t in study.get_trials(deepcopy=False, states=(optuna.trial.TrialState.RUNNING,))}


def _fail_orphans(study: optuna.Study, storage: optuna.storages.BaseStorage, now: float) -> None:
    study_id = storage.get_study_id_from_name(study.study_name)
    for trial in storage.get_all_trials(study_id, deepcopy=False, states=(optuna.trial.TrialState.RUNNING,)):
        if not _orphaned(trial, _owner(trial, storage, study_id), now):
            continue
        trial_id = storage.get_trial_id_from_study_id_trial_number(study_id, trial.number)
        try:
            if not storage.set_trial_state_values(trial_id, optuna.trial.TrialState.FAIL):
                continue
        except optuna.exceptions.UpdateFinishedTrialError:
            continue  # another worker got there first
        stale_trial_callback()(study, storage.get_trial(trial_id))


def _orphaned(trial: optuna.trial.FrozenTrial, owner: tuple[str, int] | None, now: float) -> bool:
    """Whether the local worker that ran ``trial`` is gone (or never said who it was, for too long)."""
    if owner is None:
        started = trial.datetime_start
        return started is not None and now - started.timestamp() > GRACE_SECONDS
    return owner[0] == socket.gethostname() and not _alive(owner[1])


def _owner(trial: optuna.trial.FrozenTrial, storage: optuna.storages.BaseStorage, study_id: int) -> tuple[str, int] | None:
    """(host, pid) that runs ``trial``, or ``None`` when unknown.

    A retry inherits its original's attributes, ``worker`` included, until the worker
    that picked it up records itself: until then its owner is unknown.
    """
    owner = trial.user_attrs.get(WORKER_ATTR)
    history = trial.system_attrs.get("retry_history") or []
    if history:
        original = storage.get_trial(storage.get_trial_id_from_study_id_trial_number(study_id, history[-1]))
        if original.user_attrs.get(WORKER_ATTR) == owner:
            return None
    host, _, pid = str(owner or "").rpartition(":")
    return (host, int(pid)) if host and pid.isdigit() else None


def _alive(pid: int) -> bool:
    """Whether process ``pid`` runs (a killed child not yet reaped by its parent counts as dead)."""
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return True
    return stat.rsplit(")", 1)[-1].split()[0] != "Z"

"""Which worker runs a trial, and failing (then retrying) the trials of workers that died.

Heartbeats (see ``_storage``) find dead workers on any storage, after ``GRACE_SECONDS``.
On storages that live in a local file (SQLite, journal) every worker is a process of
this machine, so a trial whose recorded process is gone is known dead at once: a search
resumed right after a ``kill -9`` fails and retries the killed trial instead of leaving
it "Running" until the grace period has passed.
"""

from __future__ import annotations

import logging
import os
import socket
import warnings
from pathlib import Path

import optuna

from automl.search._storage import is_single_machine, stale_trial_callback

log = logging.getLogger(__name__)

WORKER_ATTR = "worker"  # user attribute: "host:pid" of the process that runs the trial


def worker_id() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def record_worker(trial: optuna.Trial) -> None:
    """Note which process runs ``trial`` (the first thing a trial does)."""
    trial.set_user_attr(WORKER_ATTR, worker_id())


def fail_dead_trials(study: optuna.Study, storage: optuna.storages.BaseStorage) -> list[int]:
    """Fail the running trials of dead workers and enqueue their retries; return their numbers."""
    before = _running(study)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)
        optuna.storages.fail_stale_trials(study)  # heartbeats, on every storage
    if is_single_machine(storage):
        _fail_orphans(study, storage)
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


def _fail_orphans(study: optuna.Study, storage: optuna.storages.BaseStorage) -> None:
    host = socket.gethostname()
    study_id = storage.get_study_id_from_name(study.study_name)
    for trial in storage.get_all_trials(study_id, deepcopy=False, states=(optuna.trial.TrialState.RUNNING,)):
        owner = _owner(trial, storage, study_id)
        if owner is None or owner[0] != host or _alive(owner[1]):
            continue
        trial_id = storage.get_trial_id_from_study_id_trial_number(study_id, trial.number)
        try:
            if not storage.set_trial_state_values(trial_id, optuna.trial.TrialState.FAIL):
                continue
        except optuna.exceptions.UpdateFinishedTrialError:
            continue  # another worker got there first
        stale_trial_callback()(study, storage.get_trial(trial_id))


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

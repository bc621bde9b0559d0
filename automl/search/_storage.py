"""Opening the storage a study lives in: SQLite, PostgreSQL (or any RDB URL), or a journal file.

Several processes share one study through Optuna's own storages, never through
anything home-made:

- ``sqlite:///automl.db`` (default): one machine, a few processes;
- ``postgresql://user@host/db`` (normalised to the psycopg 3 driver, ``postgresql+psycopg://``):
  any number of workers on any machines;
- ``journal:PATH``: Optuna's JournalStorage on a log file, for several processes on one
  machine without a server (appends under a file lock instead of SQLite's write lock).

Every storage gets heartbeats: a running trial records one every ``HEARTBEAT_SECONDS``;
one silent for ``GRACE_SECONDS`` belongs to a dead worker, and the next worker to start
a trial marks it FAIL and enqueues a retry (Optuna's ``RetryHeartbeatStaleTrialCallback``).
RDB storages have heartbeats built in; Optuna's JournalStorage does not, so
:class:`HeartbeatJournalStorage` adds them through Optuna's own heartbeat interface
(the heartbeat is a trial system attribute), and Optuna's optimize loop does the rest.

Passwords in URLs never leave this module unmasked: errors quote the URL as
``postgresql+psycopg://user:***@host/db``.
"""

from __future__ import annotations

import contextlib
import logging
import time
import urllib.parse
import warnings
from pathlib import Path
from typing import Any

import optuna
from optuna.storages._heartbeat import BaseHeartbeat  # Optuna's heartbeat interface (RDBStorage implements it)
from optuna.storages.journal import JournalFileBackend, JournalStorage

from automl._core import InputError, mask_secrets, normalize_db_url, url_password

log = logging.getLogger(__name__)

DEFAULT_STORAGE = "sqlite:///automl.db"
JOURNAL_PREFIX = "journal:"
# A trial whose worker stopped sending heartbeats for GRACE_SECONDS is marked FAIL and retried once.
HEARTBEAT_SECONDS = 5
GRACE_SECONDS = 30
MAX_RETRY = 1
CONNECT_TIMEOUT_SECONDS = 10
_HEARTBEAT_ATTR = "automl:heartbeat"


def stale_trial_callback() -> optuna.storages.RetryHeartbeatStaleTrialCallback:
    """What happens to a dead worker's trial: a WAITING copy is enqueued, once."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)
        return optuna.storages.RetryHeartbeatStaleTrialCallback(max_retry=MAX_RETRY)


class HeartbeatJournalStorage(JournalStorage, BaseHeartbeat):
    """Optuna's JournalStorage with heartbeats, so a killed worker's trial is failed and retried.

    The heartbeat is a trial system attribute holding the wall-clock time: the journal is
    for one machine, so every process reads the same clock.
    """

    def __init__(
        self, backend: JournalFileBackend, heartbeat_interval: int = HEARTBEAT_SECONDS, grace_period: int = GRACE_SECONDS
    ) -> None:
        super().__init__(backend)
        self.heartbeat_interval = heartbeat_interval
        self.grace_period = grace_period
        self.failed_trial_callback = stale_trial_callback()

    def record_heartbeat(self, trial_id: int) -> None:
        # another worker may have declared this trial dead already; then nothing is left to keep alive
        with contextlib.suppress(optuna.exceptions.UpdateFinishedTrialError):
            self.set_trial_system_attr(trial_id, _HEARTBEAT_ATTR, time.time())

    def _get_stale_trial_ids(self, study_id: int) -> list[int]:
        now = time.time()
        running = self.get_all_trials(study_id, deepcopy=False, states=(optuna.trial.TrialState.RUNNING,))
        return [
            self.get_trial_id_from_study_id_trial_number(study_id, t.number)
            for t in running
            if now - _last_sign_of_life(t) > self.grace_period
        ]

    def get_heartbeat_interval(self) -> int | None:
        return self.heartbeat_interval

    def get_heartbeat_stale_trial_callback(self) -> Any:
        return self.failed_trial_callback


def _last_sign_of_life(trial: optuna.trial.FrozenTrial) -> float:
    """The newer of the trial's last heartbeat and its start (a retried trial inherits its
    original's old heartbeat attribute until its new worker records one)."""
    started = trial.datetime_start.timestamp() if trial.datetime_start else 0.0
    if _HEARTBEAT_ATTR not in trial.system_attrs:
        return float("inf")  # a worker without heartbeats: never declared dead (as in RDBStorage)
    return max(float(trial.system_attrs[_HEARTBEAT_ATTR]), started)


def describe_storage(storage: str | optuna.storages.BaseStorage | None) -> str:
    """How to show a storage to a person: its URL with the password masked."""
    if isinstance(storage, optuna.storages.BaseStorage):
        url = getattr(storage, "url", None)
        return mask_secrets(str(url)) if url else type(storage).__name__
    return mask_secrets(storage or DEFAULT_STORAGE)


def is_single_machine(storage: optuna.storages.BaseStorage) -> bool:
    """Storages that live in a local file (SQLite, journal): all their workers share this machine's processes."""
    if isinstance(storage, JournalStorage):
        return True
    return str(getattr(storage, "url", "")).startswith("sqlite:")


def open_storage(storage: str | optuna.storages.BaseStorage | None) -> optuna.storages.BaseStorage:
    """An Optuna storage with heartbeats from a URL (or a storage object, returned as it is).

    Raises:
        InputError: one line naming the (masked) URL and the reason: not a URL, unknown
            database, missing driver, unreachable server, bad password, unreadable file.
    """
    if isinstance(storage, optuna.storages.BaseStorage):
        return storage
    url = (storage or DEFAULT_STORAGE).strip()
    if url.startswith(JOURNAL_PREFIX):
        return _open_journal(url[len(JOURNAL_PREFIX) :])
    if "://" not in url:
        raise InputError(
            f"storage '{mask_secrets(url)}' is not a URL; use sqlite:///automl.db, postgresql://user@host/db or journal:PATH"
        )
    return _open_rdb(normalize_db_url(url))


def _open_journal(path_text: str) -> optuna.storages.BaseStorage:
    if not path_text:
        raise InputError("journal storage needs a file: journal:PATH, e.g. journal:automl.journal")
    path = Path(path_text).expanduser()
    if path.is_dir():
        raise InputError(f"journal storage '{path}' is a directory; give a file path")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        return HeartbeatJournalStorage(JournalFileBackend(str(path)))
    except (OSError, ValueError) as exc:
        raise InputError(f"cannot open journal storage '{path}': {exc}") from None
    except Exception as exc:  # a corrupt log: the journal replays JSON lines
        raise InputError(f"cannot read journal storage '{path}': {type(exc).__name__}: {exc}") from None


def _open_rdb(url: str) -> optuna.storages.RDBStorage:
    password = url_password(url)
    secrets = (password, urllib.parse.unquote(password)) if password else ()
    shown = mask_secrets(url, *secrets)
    if url.startswith("sqlite:///") and url != "sqlite:///:memory:":
        Path(url[len("sqlite:///") :]).expanduser().parent.mkdir(parents=True, exist_ok=True)
    if url.startswith("postgresql+psycopg:"):
        _require_psycopg()
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)
            return optuna.storages.RDBStorage(
                url,
                engine_kwargs=_engine_kwargs(url),
                heartbeat_interval=HEARTBEAT_SECONDS,
                grace_period=GRACE_SECONDS,
                heartbeat_stale_trial_callback=stale_trial_callback(),
            )
    except Exception as exc:
        raise InputError(f"cannot open storage '{shown}': {_reason(exc, secrets)}") from None


def _engine_kwargs(url: str) -> dict[str, Any]:
    if url.startswith("sqlite"):
        return {"connect_args": {"timeout": 60}}
    kwargs: dict[str, Any] = {"pool_pre_ping": True}
    if url.startswith("postgresql"):
        kwargs["connect_args"] = {"connect_timeout": CONNECT_TIMEOUT_SECONDS}
    return kwargs


def _require_psycopg() -> None:
    try:
        import psycopg  # noqa: F401
    except ImportError:
        raise InputError("PostgreSQL storage needs the psycopg driver: pip install 'automl[postgresql]'") from None


def _reason(exc: Exception, secrets: tuple[str, ...]) -> str:
    """The first meaningful line of a driver error, without SQLAlchemy's wrapper noise or the password."""
    text = str(exc).strip() or type(exc).__name__
    first = text.splitlines()[0]
    if first.startswith("(") and ") " in first:  # "(psycopg.OperationalError) connection failed: ..."
        first = first.split(") ", 1)[1]
    return mask_secrets(first, *secrets)

"""Opening storages and studies: defaults, resume checks, study attributes, enqueued defaults."""

from __future__ import annotations

import logging
import warnings
from pathlib import Path
from collections.abc import Mapping, Sequence
from typing import Any

import optuna

from automl._core import InputError, package_versions
from automl.data import Fingerprint, Task
from automl.evaluation import Metric
from automl.search._objective import FAMILY_PARAM
from automl.spaces import FamilySpace, default_trial_params

log = logging.getLogger(__name__)

DEFAULT_STORAGE = "sqlite:///automl.db"
# A trial whose worker stopped sending heartbeats for this long is marked failed and retried once.
HEARTBEAT_SECONDS = 10
GRACE_SECONDS = 60


def open_storage(storage: str | optuna.storages.BaseStorage | None) -> optuna.storages.BaseStorage:
    """An Optuna storage: the SQLite default, any RDB URL (with heartbeats), or a storage object."""
    if isinstance(storage, optuna.storages.BaseStorage):
        return storage
    url = storage or DEFAULT_STORAGE
    if "://" not in url:
        raise InputError(f"storage '{url}' is not a URL; use e.g. sqlite:///automl.db or postgresql://user@host/db")
    engine_kwargs: dict[str, Any] = {"connect_args": {"timeout": 60}} if url.startswith("sqlite") else {"pool_pre_ping": True}
    if url.startswith("sqlite:///") and url != "sqlite:///:memory:":
        Path(url[len("sqlite:///"):]).parent.mkdir(parents=True, exist_ok=True)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)
            return optuna.storages.RDBStorage(
                url,
                engine_kwargs=engine_kwargs,
                heartbeat_interval=HEARTBEAT_SECONDS,
                grace_period=GRACE_SECONDS,
                heartbeat_stale_trial_callback=optuna.storages.RetryHeartbeatStaleTrialCallback(max_retry=1),
            )
    except Exception as exc:
        raise InputError(f"cannot open storage '{url}': {str(exc).splitlines()[0]}") from None


def study_attrs(task: Task, metric: Metric, fp: Fingerprint, seed: int, families: Sequence[str], target: str, resampling: str) -> dict[str, Any]:
    return {
        "task": task,
        "metric": metric.name,
        "direction": metric.direction,
        "data_fingerprint": fp.content,
        "data_schema": fp.schema,
        "n_rows": fp.n_rows,
        "target": target,
        "seed": seed,
        "families": list(families),
        "resampling": resampling,
        "package_versions": package_versions(),
    }


def prepare_study(
    study: optuna.Study, attrs: Mapping[str, Any], spaces: Mapping[str, FamilySpace], first: Sequence[Mapping[str, Any]] = ()
) -> bool:
    """Set attributes on a new study and enqueue ``first`` then each family's defaults; check a resumed one.

    Returns True when the study is resumed. A resumed study must be about the same
    data, task, metric and families: mixing them would make its trials incomparable.
    """
    existing = study.user_attrs
    if "data_fingerprint" not in existing:
        for key, value in attrs.items():
            study.set_user_attr(key, value)
        for params in first:
            study.enqueue_trial(dict(params), skip_if_exists=True)
        for space in sorted(spaces.values(), key=lambda s: (s.order, s.name)):
            study.enqueue_trial({FAMILY_PARAM: space.name, **default_trial_params(space)}, skip_if_exists=True)
        return False
    for key in ("data_fingerprint", "task", "metric", "families", "objectives"):
        if existing.get(key) != attrs[key]:
            raise InputError(
                f"study '{study.study_name}' was created with a different {key.replace('_', ' ')} "
                f"({_short(existing.get(key))} vs now {_short(attrs[key])}); use another --study name"
            )
    log.info("resuming study '%s' (%d trials so far)", study.study_name, len(study.trials))
    return True


def _short(value: Any) -> str:
    text = ",".join(value) if isinstance(value, list) else str(value)
    return text[:12] if len(text) == 64 else text

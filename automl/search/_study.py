"""Study attributes, resume checks and enqueued defaults (storages: see ``_storage``)."""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from typing import Any

import optuna

from automl._core import InputError, package_versions
from automl.data import Fingerprint, Task
from automl.evaluation import Metric
from automl.search._objective import FAMILY_PARAM
from automl.spaces import FamilySpace, default_trial_params

log = logging.getLogger(__name__)

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


def prepare_study(study: optuna.Study, attrs: Mapping[str, Any], spaces: Mapping[str, FamilySpace]) -> bool:
    """Set attributes on a new study and enqueue each family's defaults; check a resumed one.

    Returns True when the study is resumed. A resumed study must be about the same
    data, task, metric and families: mixing them would make its trials incomparable.
    """
    existing = study.user_attrs
    if "data_fingerprint" not in existing:
        for key, value in attrs.items():
            study.set_user_attr(key, value)
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

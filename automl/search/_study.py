"""Creating a study, and joining one: everything a worker needs is stored with the study.

A study records its settings (task, metric, families, CV plan, seed, data location,
search-space folders, artifact store, sampler, pruner, ensemble) as user attributes,
and the evidence a joining process must reproduce: the data fingerprint, a hash of
each family's space definition and a hash of the CV splits. A worker then needs only
the study name, the storage and read access to the data; if its data, spaces or
splits differ, its trials would not be comparable, so it refuses to join.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import logging
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import optuna

from automl._core import InputError, did_you_mean, package_versions
from automl.data import Dataset, Fingerprint, as_task, fingerprint, load_dataset, time_order
from automl.evaluation import Metric, get_metric
from automl.models import builder_names
from automl.search._liveness import fail_dead_trials
from automl.search._objective import FAMILY_PARAM
from automl.search._resampling import Resampling, make_resampling
from automl.search._storage import open_storage
from automl.search._strategies import make_pruner, make_sampler
from automl.spaces import FamilySpace, load_spaces, portfolio_trials

log = logging.getLogger(__name__)

# Checked when a search resumes a study: changing them would make old and new trials incomparable.
_RESUME_KEYS = ("data_fingerprint", "task", "metric", "families", "objectives")
_ARTIFACTS = "artifacts"
# Settings added after the first version: a study without them gets their defaults.
_OPTIONAL_SETTINGS = ("n_trials", "time_col", "time_budget")


@dataclass(frozen=True)
class StudySettings:
    """How a study searches; stored with it so that every worker searches the same way."""

    task: str
    metric: str
    target: str
    seed: int
    families: tuple[str, ...]
    objectives: tuple[str, ...]
    cv_folds: int | None  # None: by rows
    sampler: str
    pruner: str
    ensemble: str
    data_path: str | None  # absolute path, or None for an in-memory table
    spaces_dirs: tuple[str, ...]
    artifact_dir: str | None  # the study's folder: artifacts/ (OOF predictions) and models/
    n_trials: int | None = None  # the study's target, the default of `automl worker`
    time_col: str | None = None  # splits forward in time along this column
    time_budget: float | None = None  # of the run that created the study: its portfolio entries and its splits' fold counts

    def to_attrs(self) -> dict[str, Any]:
        return {k: list(v) if isinstance(v, tuple) else v for k, v in dataclasses.asdict(self).items()}

    @classmethod
    def from_attrs(cls, attrs: Mapping[str, Any], study_name: str) -> StudySettings:
        names = [f.name for f in dataclasses.fields(cls)]
        missing = [n for n in names if n not in attrs and n not in _OPTIONAL_SETTINGS]
        if missing:
            raise InputError(
                f"study '{study_name}' has no worker settings ({', '.join(missing)} missing): it was not created "
                "by `automl studies create` or `automl search` of this version; create a new study"
            )
        values: dict[str, Any] = {n: tuple(attrs[n]) if isinstance(attrs.get(n), list) else attrs.get(n) for n in names}
        return cls(**values)


@dataclass(frozen=True)
class StudySetup:
    """An open study and what a process needs to run its trials or build its final model."""

    study: optuna.Study
    storage: optuna.storages.BaseStorage
    settings: StudySettings
    dataset: Dataset
    metric: Metric
    spaces: dict[str, FamilySpace]
    resampling: Resampling
    fingerprint: Fingerprint

    @property
    def study_dir(self) -> Path | None:
        return Path(self.settings.artifact_dir) if self.settings.artifact_dir else None

    @property
    def artifact_store(self) -> optuna.artifacts.FileSystemArtifactStore | None:
        return optuna.artifacts.FileSystemArtifactStore(self.study_dir / _ARTIFACTS) if self.study_dir else None

    @property
    def multi_objective(self) -> bool:
        return len(self.settings.objectives) > 1


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


def study_resampling(dataset: Dataset, settings: StudySettings) -> Resampling:
    """The study's splits, computed from the data and the settings alone (so every worker gets the same).

    ``settings.time_budget`` is the budget of the run that created the study (kept on resume,
    see :func:`create_study`), so a resumed study keeps its splits."""
    order = time_order(dataset.X, settings.time_col, dataset.source) if settings.time_col else None
    return make_resampling(
        dataset.y,
        dataset.task,
        n_folds=settings.cv_folds,
        seed=settings.seed,
        source=dataset.source,
        order=order,
        time_col=settings.time_col,
        time_budget=settings.time_budget,
    )


def default_study_name(dataset: Dataset, fp: Fingerprint) -> str:
    stem = Path(dataset.source).name.split(".")[0] if dataset.source != "DataFrame" else "data"
    return f"{stem}-{dataset.target}-{fp.short}"


def space_hash(space: FamilySpace) -> str:
    """A digest of a family's definition (where it was read from excluded: that differs by machine)."""
    definition = {k: v for k, v in dataclasses.asdict(space).items() if k != "source"}
    return hashlib.sha256(json.dumps(definition, sort_keys=True, default=repr).encode()).hexdigest()


def cv_plan_hash(resampling: Resampling) -> str:
    """A digest of the exact train/validation rows of every split."""
    digest = hashlib.sha256(resampling.kind.encode())
    for train, valid in resampling.splits:
        digest.update(train.astype("int64").tobytes())
        digest.update(b"|")
        digest.update(valid.astype("int64").tobytes())
    return digest.hexdigest()


def _evidence(fp: Fingerprint, spaces: Mapping[str, FamilySpace], resampling: Resampling, metric: Metric) -> dict[str, Any]:
    """What a joining worker must reproduce, plus descriptive attributes (shown by the dashboard)."""
    return {
        "data_fingerprint": fp.content,
        "data_schema": fp.schema,
        "n_rows": fp.n_rows,
        "direction": metric.direction,
        "resampling": resampling.describe(),
        "cv_plan": cv_plan_hash(resampling),
        "space_hashes": {name: space_hash(space) for name, space in spaces.items()},
        "package_versions": package_versions(),
    }


def _open(
    name: str,
    storage: optuna.storages.BaseStorage,
    settings: StudySettings,
    metric: Metric,
    sampler_seed: int,
    n_splits: int,
    create: bool,
) -> optuna.Study:
    sampler = make_sampler(settings.sampler, sampler_seed, len(settings.objectives) > 1)
    pruner = make_pruner(settings.pruner, n_splits)
    if not create:
        return optuna.load_study(study_name=name, storage=storage, sampler=sampler, pruner=pruner)
    directions = [metric.direction] + ["minimize"] * (len(settings.objectives) - 1)
    study = optuna.create_study(
        storage=storage, sampler=sampler, pruner=pruner, study_name=name, directions=directions, load_if_exists=True
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)
        study.set_metric_names([metric.name, *settings.objectives[1:]])  # the dashboard's axis labels
    return study


def create_study(
    dataset: Dataset,
    settings: StudySettings,
    *,
    study_name: str | None,
    storage: str | optuna.storages.BaseStorage | None,
    output_dir: str | None,
    first: Sequence[Mapping[str, Any]] = (),
) -> StudySetup:
    """Create ``study_name`` (or resume it: it must be about the same problem) with ``settings`` recorded.

    ``settings.metric`` and ``settings.families`` may be empty (the task's defaults);
    ``settings.artifact_dir`` is set here to ``output_dir/<study name>``. A new study gets
    each family's defaults enqueued and its artifact folder created, so that a worker can
    tell a missing shared mount from a new study. ``first`` are configurations tried before
    the defaults (e.g. the best of the champion's study, for an update).
    """
    metric = get_metric(settings.metric or None, dataset.task)
    spaces = select_spaces(load_spaces(settings.spaces_dirs, builder_names()), dataset.task, settings.families or None)
    fp = fingerprint(dataset.X, dataset.y)
    name = study_name or default_study_name(dataset, fp)
    artifact_dir = str((Path(output_dir) / name).resolve()) if output_dir else None
    opened = open_storage(storage)
    run_seed = settings.seed
    settings = _keep_recorded(
        name, opened, dataclasses.replace(settings, metric=metric.name, families=tuple(spaces), artifact_dir=artifact_dir)
    )
    resampling = study_resampling(dataset, settings)
    study = _open(name, opened, settings, metric, run_seed, resampling.n_splits, create=True)
    attrs = {**settings.to_attrs(), **_evidence(fp, spaces, resampling, metric)}
    if artifact_dir:
        (Path(artifact_dir) / _ARTIFACTS).mkdir(parents=True, exist_ok=True)
    prepare_study(study, attrs, spaces, first)
    fail_dead_trials(study, opened)
    return StudySetup(study, opened, settings, dataset, metric, spaces, resampling, fp)


def _keep_recorded(name: str, storage: optuna.storages.BaseStorage, settings: StudySettings) -> StudySettings:
    """``settings`` with the recorded seed and time budget when resuming ``name``: its trials were
    scored on the splits made from them, and workers rebuild the splits from them. This run's
    own seed still seeds its sampler, and its own budget still bounds it."""
    try:
        recorded = storage.get_study_user_attrs(storage.get_study_id_from_name(name))
    except KeyError:  # a new study
        return settings
    if "data_fingerprint" not in recorded:  # created but never set up: prepare_study records this run's
        return settings
    seed = settings.seed if recorded.get("seed") is None else int(recorded["seed"])
    if seed != settings.seed:
        log.info("study '%s' keeps the splits of its seed %s; seed %d seeds this run's sampler", name, seed, settings.seed)
    return dataclasses.replace(settings, seed=seed, time_budget=recorded.get("time_budget"))


def prepare_study(
    study: optuna.Study, attrs: Mapping[str, Any], spaces: Mapping[str, FamilySpace], first: Sequence[Mapping[str, Any]] = ()
) -> bool:
    """Set attributes on a new study and enqueue ``first`` then the portfolio (every family's defaults and
    ``portfolio`` entries, by priority, sized to ``attrs["n_rows"]`` and ``attrs["time_budget"]``); check a
    resumed one.

    Returns True when the study is resumed. A resumed study must be about the same
    data, task, metric, families, objectives, spaces and splits: mixing them would make
    its trials incomparable. Other settings (ensemble, sampler, output folder...) are
    the resuming run's own and are recorded for the workers that join later.
    """
    existing = study.user_attrs
    if "data_fingerprint" not in existing:
        for key, value in attrs.items():
            study.set_user_attr(key, value)
        for params in first:
            if params.get(FAMILY_PARAM) in spaces:
                study.enqueue_trial(dict(params), skip_if_exists=True)
        for family, params in portfolio_trials(spaces, int(attrs.get("n_rows") or 0), attrs.get("time_budget")):
            study.enqueue_trial({FAMILY_PARAM: family, **params}, skip_if_exists=True)
        return False
    checked = _RESUME_KEYS + tuple(k for k in ("space_hashes", "cv_plan") if k in existing)
    for key in checked:
        if existing.get(key) != attrs[key]:
            raise InputError(
                f"study '{study.study_name}' was created with {_difference(key, existing.get(key), attrs[key])}; "
                "use another --study name"
            )
    for key, value in attrs.items():  # a run without a data file or output folder keeps the recorded ones
        if key not in checked and value is not None and existing.get(key) != value:
            study.set_user_attr(key, value)
    log.info("resuming study '%s' (%d trials so far)", study.study_name, len(study.trials))
    return True


def join_study(
    study_name: str,
    storage: str | optuna.storages.BaseStorage | None,
    *,
    sampler_seed: int | None = None,
    seed_offset: int = 0,
    data: str | None = None,
    spaces_dirs: Sequence[str] | None = None,
) -> StudySetup:
    """Open an existing study as a worker (or to finalize it), from what the study records.

    The sampler is seeded with ``sampler_seed``, or else the study's seed plus ``seed_offset``.

    ``data`` and ``spaces_dirs`` override the recorded locations (another machine may mount
    them elsewhere); the data, spaces and splits must still be the very ones the study was
    created with.

    Raises:
        InputError: unknown study, no worker settings, data/spaces/splits that differ,
            or an artifact store this machine cannot reach.
    """
    opened = open_storage(storage)
    attrs = load_study_attrs(study_name, opened)
    settings = StudySettings.from_attrs(attrs, study_name)
    dataset = _worker_data(study_name, settings, data)
    fp = fingerprint(dataset.X, dataset.y)
    if fp.content != attrs["data_fingerprint"]:
        raise InputError(
            f"data '{dataset.source}' differs from the data study '{study_name}' was created with "
            f"(fingerprint {fp.short} vs {str(attrs['data_fingerprint'])[:12]}); every worker must read the same table"
        )
    dirs = tuple(spaces_dirs) if spaces_dirs is not None else settings.spaces_dirs
    spaces = select_spaces(load_spaces(dirs, builder_names()), settings.task, settings.families)
    _check_spaces(study_name, spaces, attrs.get("space_hashes", {}))
    metric = get_metric(settings.metric, as_task(settings.task))
    resampling = study_resampling(dataset, settings)
    if cv_plan_hash(resampling) != attrs.get("cv_plan"):
        raise InputError(
            f"the cross-validation splits differ from study '{study_name}''s (another automl or scikit-learn version?); "
            "every worker must score on the same splits"
        )
    _check_artifact_dir(study_name, settings.artifact_dir)
    seed = (settings.seed + seed_offset) % 2**31 if sampler_seed is None else sampler_seed
    study = _open(study_name, opened, settings, metric, seed, resampling.n_splits, create=False)
    return StudySetup(study, opened, settings, dataset, metric, spaces, resampling, fp)


def load_study_attrs(study_name: str, storage: optuna.storages.BaseStorage) -> dict[str, Any]:
    """The user attributes of ``study_name``; a clear error naming the known studies when it is not there."""
    try:
        return dict(storage.get_study_user_attrs(storage.get_study_id_from_name(study_name)))
    except KeyError:
        names = [s.study_name for s in storage.get_all_studies()]
        known = f"; studies in this storage: {', '.join(names[:10])}" if names else "; the storage has no studies"
        raise InputError(f"no study named '{study_name}'{did_you_mean(study_name, names)}{known}") from None


def _worker_data(study_name: str, settings: StudySettings, data: str | None) -> Dataset:
    path = data or settings.data_path
    if path is None:
        raise InputError(
            f"study '{study_name}' was created from an in-memory table; give this process the data file (--data PATH)"
        )
    return load_dataset(path, settings.target, settings.task)


def _check_spaces(study_name: str, spaces: Mapping[str, FamilySpace], recorded: Mapping[str, str]) -> None:
    for name, space in spaces.items():
        if recorded.get(name) != space_hash(space):
            raise InputError(
                f"family '{name}' ({space.source}) differs from the search space study '{study_name}' was created with; "
                "use the same search-space files (--spaces) as the study"
            )


def _check_artifact_dir(study_name: str, artifact_dir: str | None) -> None:
    if artifact_dir and not (Path(artifact_dir) / _ARTIFACTS).is_dir():
        raise InputError(
            f"the artifact store of study '{study_name}' ('{artifact_dir}') is not reachable from here; "
            "mount the shared folder at that path (out-of-fold predictions must go where every worker can read them)"
        )


def _difference(key: str, before: Any, now: Any) -> str:
    if isinstance(before, dict) and isinstance(now, dict):
        changed = sorted(n for n in set(before) | set(now) if before.get(n) != now.get(n))
        return f"a different search space for {', '.join(changed)}"
    return f"a different {key.replace('_', ' ')} ({_short(before)} vs now {_short(now)})"


def _short(value: Any) -> str:
    text = ",".join(value) if isinstance(value, list) else str(value)
    return text[:12] if len(text) == 64 else text

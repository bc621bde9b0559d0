"""The studies of a storage: list them, open one by name, delete one with its artifact folder.

A search records its artifact folder (out-of-fold predictions, saved models) as the study
attribute ``artifact_dir``, so a study and its files can go together. That attribute comes
from a database, so before anything is removed the folder must look like what a search
writes: named after the study, holding only ``artifacts/`` and ``models/``.
"""

from __future__ import annotations

import logging
import math
import os
import shutil
from dataclasses import dataclass
from pathlib import Path

import optuna
import pandas as pd

from automl._core import ArtifactError, InputError, sqlite_path
from automl.search._storage import DEFAULT_STORAGE, open_storage

log = logging.getLogger(__name__)

# What run_search writes into a study's folder; anything else there was not written by a search.
_STUDY_FOLDER_ENTRIES = frozenset({"artifacts", "models"})


@dataclass(frozen=True)
class StudyFiles:
    """A study and the folder of its artifacts (``None`` when the search saved nothing)."""

    name: str
    n_trials: int
    artifact_dir: Path | None


def open_existing_storage(storage: str | optuna.storages.BaseStorage | None) -> optuna.storages.BaseStorage:
    """Like :func:`open_storage`, but a SQLite file that does not exist is an error, not a new database."""
    url = storage or DEFAULT_STORAGE
    path = sqlite_path(url) if isinstance(url, str) else None
    if path is not None and not Path(path).is_file():
        raise InputError(f"no database at '{path}' (storage {url})")
    return open_storage(storage)


def load_existing_study(name: str, storage: str | optuna.storages.BaseStorage | None) -> optuna.Study:
    """Open the study ``name``, with an error naming the studies the storage does have."""
    opened = open_existing_storage(storage)
    try:
        return optuna.load_study(study_name=name, storage=opened)
    except KeyError:
        names = [s.study_name for s in optuna.get_all_study_summaries(opened, include_best_trial=False)]
        known = f"; studies in this storage: {', '.join(names[:10])}" if names else "; the storage has no studies"
        raise InputError(f"no study named '{name}'{known}") from None


def study_table(storage: str | optuna.storages.BaseStorage | None) -> pd.DataFrame:
    """One row per study: name, trials, best value, metric, task, start time and artifact folder."""
    rows = []
    for summary in optuna.get_all_study_summaries(open_existing_storage(storage), include_best_trial=True):
        attrs = summary.user_attrs
        best = summary.best_trial.value if len(summary.directions) == 1 and summary.best_trial else None
        rows.append(
            {
                "study": summary.study_name,
                "trials": summary.n_trials,
                "best": math.nan if best is None else best,
                "metric": attrs.get("metric", ""),
                "task": attrs.get("task", ""),
                "started": summary.datetime_start.isoformat(sep=" ", timespec="seconds") if summary.datetime_start else "",
                "artifact_dir": attrs.get("artifact_dir", ""),
            }
        )
    return pd.DataFrame(rows, columns=["study", "trials", "best", "metric", "task", "started", "artifact_dir"])


def find_study_files(name: str, storage: str | optuna.storages.BaseStorage | None) -> StudyFiles:
    """The study ``name`` and its artifact folder, checked to be safe to delete.

    Raises:
        InputError: no such study.
        ArtifactError: the recorded folder is not one a search wrote (then nothing may be deleted).
    """
    study = load_existing_study(name, storage)
    recorded = study.user_attrs.get("artifact_dir")
    folder = Path(recorded) if recorded else None
    if folder is not None:
        _check_study_folder(name, folder)
    return StudyFiles(name, len(study.trials), folder)


def delete_study(files: StudyFiles, storage: str | optuna.storages.BaseStorage | None) -> bool:
    """Delete the study and its artifact folder together; return whether a folder was removed.

    The folder is first renamed aside, then the study is deleted, then the folder: if deleting
    the study fails, the folder is renamed back, so neither goes without the other.

    Raises:
        InputError / ArtifactError: as :func:`find_study_files` (checked again, just before deleting).
    """
    files = find_study_files(files.name, storage)
    opened = open_existing_storage(storage)
    folder = files.artifact_dir if files.artifact_dir is not None and files.artifact_dir.is_dir() else None
    aside = None
    if folder is not None:
        aside = folder.with_name(f".{folder.name}.deleting-{os.getpid()}")
        os.rename(folder, aside)
    try:
        optuna.delete_study(study_name=files.name, storage=opened)
    except BaseException:
        if aside is not None and folder is not None:
            os.rename(aside, folder)
        raise
    if aside is not None:
        try:
            shutil.rmtree(aside)
        except OSError as exc:
            raise ArtifactError(
                f"study '{files.name}' deleted, but its folder could not be removed ({exc}); delete '{aside}' by hand"
            ) from None
    log.info("deleted study '%s'%s", files.name, f" and {folder}" if folder else "")
    return folder is not None


def _check_study_folder(name: str, folder: Path) -> None:
    """Refuse folders a search did not write: the attribute is data from a database, not a command."""
    problem = None
    if not folder.is_absolute():
        problem = "is not an absolute path"
    elif folder.is_symlink():
        problem = "is a symbolic link"
    elif folder.name != name:
        problem = f"is not named after the study ('{name}')"
    elif folder.exists() and not folder.is_dir():
        problem = "is not a folder"
    elif folder.is_dir():
        unexpected = sorted(p.name for p in folder.iterdir() if p.name not in _STUDY_FOLDER_ENTRIES)
        if unexpected:
            problem = f"holds files a search does not write ({', '.join(unexpected[:3])})"
    if problem:
        raise ArtifactError(
            f"study '{name}' records the artifact folder '{folder}', which {problem}; "
            "nothing was deleted (remove that folder by hand if it is really the study's)"
        )

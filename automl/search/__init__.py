"""The study runner: objective, resampling, time budget, tracking and leaderboards."""

from automl.search._catalog import (
    StudyFiles,
    delete_study,
    find_study_files,
    load_existing_study,
    open_existing_storage,
    study_table,
)
from automl.search._final import ENSEMBLE_KINDS, default_ensemble
from automl.search._leaderboard import family_summary, leaderboard
from automl.search._parallel import Parallelism, plan_parallelism
from automl.search._resampling import Resampling, make_resampling
from automl.search._runner import SearchConfig, SearchOutcome, run_search
from automl.search._storage import DEFAULT_STORAGE, describe_storage, open_storage
from automl.search._strategies import DEFAULT_PRUNER, OBJECTIVES, PRUNERS, SAMPLERS
from automl.search._study import StudySettings, StudySetup, create_study, join_study, select_spaces
from automl.search._trial_loop import ProgressReporter, count_trials, run_trials
from automl.search._trials import pareto_numbers, ranked, score
from automl.search._workers import WorkerConfig, WorkerOutcome, finalize_study, run_worker

__all__ = [
    "DEFAULT_PRUNER",
    "DEFAULT_STORAGE",
    "ENSEMBLE_KINDS",
    "OBJECTIVES",
    "PRUNERS",
    "SAMPLERS",
    "Parallelism",
    "ProgressReporter",
    "Resampling",
    "SearchConfig",
    "SearchOutcome",
    "StudyFiles",
    "StudySettings",
    "StudySetup",
    "WorkerConfig",
    "WorkerOutcome",
    "count_trials",
    "create_study",
    "default_ensemble",
    "delete_study",
    "describe_storage",
    "family_summary",
    "finalize_study",
    "find_study_files",
    "join_study",
    "leaderboard",
    "load_existing_study",
    "make_resampling",
    "open_existing_storage",
    "open_storage",
    "pareto_numbers",
    "plan_parallelism",
    "ranked",
    "run_search",
    "run_trials",
    "run_worker",
    "score",
    "select_spaces",
    "study_table",
]

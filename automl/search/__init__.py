"""The study runner: objective, resampling, time budget, tracking and leaderboards."""

from automl.search._catalog import StudyFiles, delete_study, find_study_files, load_existing_study, open_existing_storage, study_table
from automl.search._leaderboard import family_summary, leaderboard
from automl.search._resampling import Resampling, make_resampling
from automl.search._runner import ProgressReporter, SearchConfig, SearchOutcome, run_search, select_spaces
from automl.search._strategies import DEFAULT_PRUNER, OBJECTIVES, PRUNERS, SAMPLERS
from automl.search._study import DEFAULT_STORAGE, open_storage
from automl.search._trials import pareto_numbers, ranked, score

__all__ = [
    "DEFAULT_PRUNER",
    "DEFAULT_STORAGE",
    "OBJECTIVES",
    "PRUNERS",
    "SAMPLERS",
    "ProgressReporter",
    "Resampling",
    "SearchConfig",
    "SearchOutcome",
    "StudyFiles",
    "delete_study",
    "family_summary",
    "find_study_files",
    "leaderboard",
    "load_existing_study",
    "make_resampling",
    "open_existing_storage",
    "open_storage",
    "pareto_numbers",
    "ranked",
    "score",
    "run_search",
    "select_spaces",
    "study_table",
]

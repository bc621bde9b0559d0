"""The study runner: objective, resampling, time budget, tracking and leaderboards."""

from automl.search._leaderboard import family_summary, leaderboard
from automl.search._resampling import Resampling, make_resampling
from automl.search._runner import ProgressReporter, SearchConfig, SearchOutcome, run_search, select_spaces
from automl.search._study import DEFAULT_STORAGE, open_storage

__all__ = [
    "DEFAULT_STORAGE",
    "ProgressReporter",
    "Resampling",
    "SearchConfig",
    "SearchOutcome",
    "family_summary",
    "leaderboard",
    "make_resampling",
    "open_storage",
    "run_search",
    "select_spaces",
]

"""The study runner: objective, resampling, time budget, tracking and leaderboards."""

from automl.search._leaderboard import family_summary, leaderboard
from automl.search._resampling import Resampling, make_resampling
from automl.search._runner import ProgressReporter, SearchConfig, SearchOutcome, run_search, select_spaces
from automl.search._strategies import DEFAULT_PRUNER, OBJECTIVES, PRUNERS, SAMPLERS
from automl.search._storage import DEFAULT_STORAGE, describe_storage, normalise_url, open_storage
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
    "describe_storage",
    "family_summary",
    "leaderboard",
    "make_resampling",
    "normalise_url",
    "open_storage",
    "pareto_numbers",
    "ranked",
    "score",
    "run_search",
    "select_spaces",
]

"""automl: Optuna-driven model search and continual model updates for tabular data.

Example:
    >>> import automl
    >>> result = automl.search("data.csv", target="y", time_budget=60)  # doctest: +SKIP
    >>> model = automl.load_best_model(result.study.study_name, "sqlite:///automl.db")  # doctest: +SKIP
"""

from automl._core import Limits, __version__
from automl.api import AutoML, SearchResult, evaluate, load_best_model, load_model, search, update

__all__ = ["AutoML", "Limits", "SearchResult", "__version__", "evaluate", "load_best_model", "load_model", "search", "update"]

"""automl: Optuna-driven model search and continual model updates for tabular data.

Example:
    >>> import automl
    >>> result = automl.search("data.csv", target="y", time_budget=60)  # doctest: +SKIP
    >>> model = automl.load_best_model(result.study.study_name, "sqlite:///automl.db")  # doctest: +SKIP
"""

__version__ = "0.1.0"

from automl.api import AutoML, SearchResult, evaluate, load_best_model, load_model, search, update  # noqa: E402

__all__ = ["AutoML", "SearchResult", "__version__", "evaluate", "load_best_model", "load_model", "search", "update"]

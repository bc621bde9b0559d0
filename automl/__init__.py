"""automl: Optuna-driven model search and continual model updates for tabular data.

Example:
    >>> import automl
    >>> result = automl.search("data.csv", target="y", time_budget=60)  # doctest: +SKIP
    >>> model = automl.load_best_model(result.study.study_name, "sqlite:///automl.db")  # doctest: +SKIP
"""

__version__ = "0.1.0"

from automl._core import Limits  # noqa: E402
from automl.api import AutoML, SearchResult, evaluate, load_best_model, search  # noqa: E402

__all__ = ["AutoML", "Limits", "SearchResult", "__version__", "evaluate", "load_best_model", "search"]

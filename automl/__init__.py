"""automl: Optuna-driven model search and continual model updates for tabular data."""

__version__ = "0.1.0"

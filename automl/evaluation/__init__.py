"""Metrics and offline evaluation of fitted models."""

from automl.evaluation._metrics import Metric, Task, get_metric, metric_names, predictions_for

__all__ = ["Metric", "Task", "get_metric", "metric_names", "predictions_for"]

"""k-nearest neighbours."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sklearn.neighbors import KNeighborsClassifier, KNeighborsRegressor

from automl.data import Task
from automl.models._builders import register_builder


@register_builder("knn")
def build_knn(task: Task, params: Mapping[str, Any], *, seed: int, n_jobs: int) -> Any:
    cls = KNeighborsRegressor if task == "regression" else KNeighborsClassifier
    return cls(**params, n_jobs=n_jobs)

"""Linear families: logistic regression, ridge and elastic net."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sklearn.linear_model import ElasticNet, LogisticRegression, Ridge

from automl.data import Task
from automl.models._builders import none_if_none, register_builder


@register_builder("logistic_regression")
def build_logistic(task: Task, params: Mapping[str, Any], *, seed: int, n_jobs: int) -> LogisticRegression:
    kwargs = {**params, "class_weight": none_if_none(params.get("class_weight"))}
    return LogisticRegression(**kwargs, random_state=seed)


@register_builder("ridge")
def build_ridge(task: Task, params: Mapping[str, Any], *, seed: int, n_jobs: int) -> Ridge:
    return Ridge(**params, random_state=seed)


@register_builder("elastic_net")
def build_elastic_net(task: Task, params: Mapping[str, Any], *, seed: int, n_jobs: int) -> ElasticNet:
    return ElasticNet(**params, random_state=seed)

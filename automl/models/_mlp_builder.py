"""The ``mlp`` builder: per-layer YAML parameters -> an MLP estimator.

torch is imported only when an MLP is built, so commands that never train one
(``automl predict`` on a tree model, ``automl --version``) start fast.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from automl.data import Task
from automl.models._builders import register_builder


@register_builder("mlp")
def build_mlp(task: Task, params: Mapping[str, Any], *, seed: int, n_jobs: int) -> Any:
    from automl.models._mlp import MLPClassifier, MLPRegressor

    kwargs = dict(params)
    n_layers = int(kwargs.pop("n_layers", 2))
    widths = tuple(int(kwargs.pop(f"units_l{i}")) for i in range(n_layers) if f"units_l{i}" in kwargs)
    for leftover in [k for k in kwargs if k.startswith("units_l")]:
        kwargs.pop(leftover)  # layers beyond n_layers (possible in enqueued defaults)
    if widths:
        kwargs["hidden_sizes"] = widths
    cls = MLPRegressor if task == "regression" else MLPClassifier
    return cls(**kwargs, random_state=seed, n_jobs=n_jobs)

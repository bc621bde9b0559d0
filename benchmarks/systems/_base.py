"""What a benchmarked system is: a name, a fit function and an availability check."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pandas as pd


@dataclass(frozen=True)
class FitContext:
    """Everything a system may know besides the training rows.

    ``task`` is ``binary``/``multiclass``/``regression``; ``metric`` is the
    protocol's metric for it (``roc_auc``/``log_loss``/``rmse``), so systems that
    take a metric optimise the one they are scored on.
    """

    task: str
    metric: str
    budget: float
    seed: int
    n_jobs: int = -1  # all cores: every system runs at its own defaults on the whole machine


@dataclass(frozen=True)
class Fitted:
    """A fitted model (``predict``; ``predict_proba`` + ``classes_`` for classifiers) and a note."""

    model: Any
    detail: str = ""


FitFn = Callable[[pd.DataFrame, pd.Series, FitContext], Fitted]


@dataclass(frozen=True)
class System:
    """A benchmarked system.

    ``missing`` returns why the system cannot run here (e.g. ``"flaml not
    installed"``), or ``None`` when it can. ``python`` is the interpreter its runs
    use (a path relative to the repository, e.g. the peers' venv), ``None`` for the
    one running the benchmark.
    """

    name: str
    fit: FitFn
    description: str
    missing: Callable[[], str | None] = field(default=lambda: None)
    python: str | None = None

"""autogluon: AutoGluon's ``TabularPredictor`` at a preset, in the peers' own venv (``make bench-peers``).

Run as a user would: the protocol's metric and budget, everything else at AutoGluon's
defaults (all cores; models written to its folder in the run's temporary working
directory). ``medium_quality`` is AutoGluon's default preset; ``best_quality`` bags and
stacks (its fold models are fitted one after the other here: ray is not installed).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from systems._base import FitContext, FitFn, Fitted, System

PEERS_PYTHON = "benchmarks/.peers-venv/bin/python"
_REPO = Path(__file__).resolve().parents[2]
_METRICS = {"roc_auc": "roc_auc", "log_loss": "log_loss", "rmse": "root_mean_squared_error"}


def missing() -> str | None:
    if not (_REPO / PEERS_PYTHON).exists() or not (_REPO / PEERS_PYTHON).parent.parent.joinpath(".installed").exists():
        return "the peers' venv is not installed (run `make bench-peers`)"
    return None


class _Predictor:
    """A fitted ``TabularPredictor`` behind ``predict`` / ``predict_proba`` / ``classes_``."""

    def __init__(self, predictor: Any, task: str) -> None:
        self.predictor = predictor
        if task != "regression":
            self.classes_ = np.asarray(predictor.class_labels)

    def predict(self, X: pd.DataFrame) -> np.ndarray:
        return np.asarray(self.predictor.predict(X))

    def predict_proba(self, X: pd.DataFrame) -> np.ndarray:
        proba = self.predictor.predict_proba(X, as_multiclass=True)
        return proba[list(self.classes_)].to_numpy()


def _label_name(X: pd.DataFrame) -> str:
    name = "__target__"
    while name in X.columns:
        name += "_"
    return name


def _fitter(presets: str) -> FitFn:
    def fit(X: pd.DataFrame, y: pd.Series, ctx: FitContext) -> Fitted:
        from autogluon.tabular import TabularPredictor

        label = _label_name(X)
        train = X.assign(**{label: y.to_numpy()})
        predictor = TabularPredictor(
            label=label,
            problem_type=ctx.task,
            eval_metric=_METRICS[ctx.metric],
            path="autogluon_models",
            verbosity=0,
        )
        predictor.fit(train, time_limit=ctx.budget, presets=presets)
        detail = f"best {predictor.model_best}, {len(predictor.model_names())} models"
        return Fitted(_Predictor(predictor, ctx.task), detail)

    return fit


AUTOGLUON = System(
    "autogluon",
    _fitter("medium_quality"),
    "AutoGluon 1.6.3 TabularPredictor(eval_metric).fit(time_limit=budget, presets='medium_quality'), its defaults "
    "(all cores), in its own venv",
    missing=missing,
    python=PEERS_PYTHON,
)
AUTOGLUON_BEST = System(
    "autogluon_best",
    _fitter("best_quality"),
    "AutoGluon 1.6.3 as `autogluon` with presets='best_quality' (bagging and stacking; folds fitted sequentially, no ray)",
    missing=missing,
    python=PEERS_PYTHON,
)

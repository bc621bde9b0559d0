"""optuna_xgb: plain Optuna TPE over an XGBoost space, 5-fold CV, then refit on all rows.

This is what a user writes in twenty lines: no pruning, no early stopping, no
budget-aware refit. ``study.optimize(timeout=0.8 * budget)`` only stops between
trials, so a slow last trial (or the refit) can overrun; the runner reports it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
from sklearn.base import clone
from sklearn.model_selection import KFold, StratifiedKFold, cross_val_score
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import LabelEncoder

from systems._base import FitContext, Fitted, System
from systems._encoding import LabelEncodedClassifier, ordinal_encoder

if TYPE_CHECKING:
    import optuna

N_FOLDS = 5
SEARCH_FRACTION = 0.8
_SCORING = {"roc_auc": "roc_auc", "log_loss": "neg_log_loss", "rmse": "neg_root_mean_squared_error"}


def suggest_params(trial: optuna.Trial) -> dict[str, float | int]:
    return {
        "n_estimators": trial.suggest_int("n_estimators", 50, 1000, log=True),
        "max_depth": trial.suggest_int("max_depth", 2, 10),
        "learning_rate": trial.suggest_float("learning_rate", 1e-3, 0.3, log=True),
        "subsample": trial.suggest_float("subsample", 0.5, 1.0),
        "colsample_bytree": trial.suggest_float("colsample_bytree", 0.5, 1.0),
        "min_child_weight": trial.suggest_float("min_child_weight", 0.1, 20.0, log=True),
        "reg_lambda": trial.suggest_float("reg_lambda", 1e-3, 10.0, log=True),
    }


def fit(X: pd.DataFrame, y: pd.Series, ctx: FitContext) -> Fitted:
    import optuna
    from xgboost import XGBClassifier, XGBRegressor

    encoder, _ = ordinal_encoder(X)
    regression = ctx.task == "regression"
    labels = LabelEncoder().fit(y) if not regression else None
    target = np.asarray(y, dtype=float) if labels is None else labels.transform(y)
    kind = XGBRegressor if regression else XGBClassifier

    def build(params: dict[str, float | int]) -> Pipeline:
        model = kind(**params, tree_method="hist", random_state=ctx.seed)  # XGBoost's default: all cores
        return Pipeline([("encode", clone(encoder)), ("model", model)])

    splitter = (KFold if regression else StratifiedKFold)(n_splits=N_FOLDS, shuffle=True, random_state=ctx.seed)

    def objective(trial: optuna.Trial) -> float:
        scores = cross_val_score(
            build(suggest_params(trial)), X, target, cv=splitter, scoring=_SCORING[ctx.metric], n_jobs=1, error_score="raise"
        )
        return float(np.mean(scores))

    study = optuna.create_study(direction="maximize", sampler=optuna.samplers.TPESampler(seed=ctx.seed))
    study.optimize(objective, timeout=ctx.budget * SEARCH_FRACTION, catch=(Exception,))
    complete = [t for t in study.trials if t.state == optuna.trial.TrialState.COMPLETE]
    if not complete:
        raise RuntimeError(
            f"optuna_xgb: no trial completed within {ctx.budget * SEARCH_FRACTION:.0f}s ({len(study.trials)} started)"
        )
    pipeline = build(study.best_params).fit(X, target)
    detail = f"{len(complete)} trials"
    if labels is None:
        return Fitted(pipeline, detail)
    return Fitted(LabelEncodedClassifier(pipeline, labels.classes_), detail)


OPTUNA_XGB = System(
    "optuna_xgb",
    fit,
    "Optuna TPE (seeded) over 7 XGBoost hyperparameters, 5-fold CV, timeout 0.8*budget, refit best on all rows; "
    "XGBoost's default threads (all cores)",
)

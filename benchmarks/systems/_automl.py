"""automl: this project's ``automl.search`` with the protocol's metric and the same budget."""

from __future__ import annotations

import optuna
import pandas as pd

from systems._base import FitContext, Fitted, System


def fit(X: pd.DataFrame, y: pd.Series, ctx: FitContext) -> Fitted:
    import automl

    result = automl.search(
        X, y, task=ctx.task, metric=ctx.metric, time_budget=ctx.budget, seed=ctx.seed, n_jobs=ctx.n_jobs,
        study_name="benchmark", storage=optuna.storages.InMemoryStorage(), output_dir=None,
    )
    return Fitted(result.best_model, f"{result.model_card.family}, {len(result.leaderboard)} trials")


AUTOML = System("automl", fit, "automl.search(time_budget=budget, n_jobs=1), in-memory study, nothing written")

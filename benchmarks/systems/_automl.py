"""automl: this project's ``automl.search`` with the protocol's metric and the same budget.

Variants isolate one choice each, in the same budget: ``automl_single`` (no ensemble:
the refit best trial), ``automl_blend`` (the selection blended with a trees meta-learner),
``automl_mlp`` (the PyTorch MLP family only) and
``automl_pruned`` (median pruning on fold steps and MLP epochs), ``automl_mlp_pruned``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd

from systems._base import FitContext, FitFn, Fitted, System


def _searcher(**options: Any) -> FitFn:
    def fit(X: pd.DataFrame, y: pd.Series, ctx: FitContext) -> Fitted:
        import optuna

        import automl

        result = automl.search(
            X,
            y,
            task=ctx.task,
            metric=ctx.metric,
            time_budget=ctx.budget,
            seed=ctx.seed,
            study_name="benchmark",
            storage=optuna.storages.InMemoryStorage(),
            output_dir=None,
            **options,
        )
        summary = result.family_summary
        notes = result.model_card.notes
        detail = (
            f"{result.model_card.family} [{notes.get('resampling')}], {int(summary['trials'].sum())} trials "
            f"({int(summary['complete'].sum())} complete, {int(summary['pruned'].sum())} pruned, "
            f"{int(summary['stopped'].sum())} stopped by the budget, {int(summary['skipped'].sum())} skipped), "
            f"best single OOF {result.model_card.notes['best_single_score']:.5g}"
        )
        return Fitted(result.best_model, detail)

    return fit


_DESCRIPTION = "automl.search(time_budget=budget, metric) at its defaults (n_jobs: all cores), in-memory study, nothing written"
AUTOML = System("automl", _searcher(), _DESCRIPTION)
AUTOML_SINGLE = System("automl_single", _searcher(ensemble="none"), _DESCRIPTION + "; ensemble='none'")
AUTOML_BLEND = System("automl_blend", _searcher(ensemble="blend"), _DESCRIPTION + "; ensemble='blend'")
AUTOML_MLP = System("automl_mlp", _searcher(families=["mlp"], ensemble="none"), _DESCRIPTION + "; families=['mlp']")
AUTOML_PRUNED = System("automl_pruned", _searcher(pruner="median"), _DESCRIPTION + "; pruner='median'")
_VARIANTS = Path(__file__).resolve().parents[1] / "variants"
AUTOML_NO_ES = System(
    "automl_no_es",
    _searcher(spaces=[str(_VARIANTS / "no_early_stopping")]),
    _DESCRIPTION + "; XGBoost and HGB spaces without native early stopping (n_estimators / max_iter searched)",
)
AUTOML_NO_PORTFOLIO = System(
    "automl_no_portfolio",
    _searcher(spaces=[str(_VARIANTS / "no_portfolio")]),
    _DESCRIPTION + "; no portfolio entries, forests not sized to the table (each family's defaults first)",
)
AUTOML_1CORE = System("automl_1core", _searcher(n_jobs=1), _DESCRIPTION + "; n_jobs=1 (one trial at a time, one thread)")
AUTOML_MLP_PRUNED = System(
    "automl_mlp_pruned",
    _searcher(families=["mlp"], ensemble="none", pruner="median"),
    _DESCRIPTION + "; families=['mlp'], pruner='median'",
)

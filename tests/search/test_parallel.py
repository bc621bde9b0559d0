"""Cores go to concurrent trials on most tables and to model threads on huge ones, never both."""

from __future__ import annotations

import optuna
import pandas as pd

import automl
from automl.search import plan_parallelism
from automl.search._parallel import MODEL_THREADS_MIN_CELLS, usable_cores


def test_trials_at_once_then_model_threads_on_huge_tables() -> None:
    small = plan_parallelism(2, 1_000, 10)
    huge = plan_parallelism(2, MODEL_THREADS_MIN_CELLS // 10, 10)
    assert (small.trials, small.model_threads) == (2, 1)
    assert (huge.trials, huge.model_threads) == (1, 2)
    assert plan_parallelism(1, 10**7, 10).model_threads == 1
    everything = plan_parallelism(-1, 1_000, 10)
    assert everything.trials * everything.model_threads == usable_cores()


def test_a_trial_count_without_a_budget_runs_one_trial_at_a_time() -> None:
    assert plan_parallelism(2, 1_000, 10, reproducible=True) == plan_parallelism(1, 1_000, 10)


def test_the_default_uses_every_core_and_stays_reproducible(binary_frame: pd.DataFrame) -> None:
    def run() -> pd.DataFrame:
        return automl.search(binary_frame, "label", n_trials=5, time_budget=None, storage=optuna.storages.InMemoryStorage(),
                             output_dir=None, families=["logistic_regression", "random_forest", "xgboost"]).leaderboard

    first, second = run(), run()
    pd.testing.assert_frame_equal(first[["trial", "family", "roc_auc"]], second[["trial", "family", "roc_auc"]])
    assert automl.AutoML().n_jobs == -1


def test_a_budgeted_search_runs_trials_side_by_side(binary_frame: pd.DataFrame) -> None:
    """With a budget and 2 cores, two trials overlap in time (they run in two threads)."""
    if usable_cores() < 2:
        return
    result = automl.search(binary_frame, "label", n_trials=6, time_budget=120, storage=optuna.storages.InMemoryStorage(),
                           output_dir=None, families=["random_forest"], ensemble="none")
    spans = sorted((t.datetime_start, t.datetime_complete) for t in result.study.trials if t.datetime_complete)
    assert any(later[0] < earlier[1] for earlier, later in zip(spans, spans[1:])), spans

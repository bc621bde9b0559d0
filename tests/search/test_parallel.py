"""Cores go to concurrent trials on most tables and to model threads on huge ones, never both."""

from __future__ import annotations

import itertools
import subprocess
import sys
import textwrap

import optuna
import pandas as pd
import pytest

import automl
from automl.search import plan_parallelism
from automl.search._parallel import MODEL_THREADS_MIN_CELLS, _malloc_trim, usable_cores


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
        return automl.search(
            binary_frame,
            "label",
            n_trials=5,
            time_budget=None,
            storage=optuna.storages.InMemoryStorage(),
            output_dir=None,
            families=["logistic_regression", "random_forest", "xgboost"],
        ).leaderboard

    first, second = run(), run()
    pd.testing.assert_frame_equal(first[["trial", "family", "roc_auc"]], second[["trial", "family", "roc_auc"]])
    assert automl.AutoML().n_jobs == -1


def test_a_budgeted_search_runs_trials_side_by_side(binary_frame: pd.DataFrame) -> None:
    """With a budget and 2 cores, two trials overlap in time (they run in two threads)."""
    if usable_cores() < 2:
        return
    result = automl.search(
        binary_frame,
        "label",
        n_trials=6,
        time_budget=120,
        storage=optuna.storages.InMemoryStorage(),
        output_dir=None,
        families=["random_forest"],
        ensemble="none",
    )
    spans = sorted((t.datetime_start, t.datetime_complete) for t in result.study.trials if t.datetime_complete)
    assert any(later[0] < earlier[1] for earlier, later in itertools.pairwise(spans)), spans


def test_threads_never_run_the_same_queued_trial_twice_on_sqlite(tmp_path) -> None:
    """Without the lock, two threads both start a queued trial on SQLite and the second cannot
    store its result ("Cannot tell a COMPLETE trial"): this failed 5 runs out of 5 before."""
    from automl.search import open_storage
    from automl.search._trial_loop import serialize_trial_starts

    storage = open_storage(f"sqlite:///{tmp_path}/s.db")
    serialize_trial_starts(storage)
    serialize_trial_starts(storage)  # idempotent
    study = optuna.create_study(storage=storage)
    for k in range(40):
        study.enqueue_trial({"x": float(k)})
    study.optimize(lambda t: t.suggest_float("x", 0, 100), n_trials=40, n_jobs=2)
    done = [t.params["x"] for t in study.trials if t.state == optuna.trial.TrialState.COMPLETE]
    assert sorted(done) == [float(k) for k in range(40)]


def test_free_heap_pages_of_a_finished_trial_thread_go_back_to_the_system() -> None:
    """Freed memory stays in a thread's glibc heap until released; release_free_memory returns it."""
    if _malloc_trim() is None:
        pytest.skip("not glibc: release_free_memory is a no-op here")
    code = textwrap.dedent(
        """
        import threading
        from automl.search._parallel import release_free_memory
        def rss_mb():
            return int(open("/proc/self/statm").read().split()[1]) * 4096 / 2**20
        out = {}
        def trial():
            blocks = [bytearray(1000) for _ in range(100_000)]  # ~100 MB in this thread's heap
            pin = bytearray(1000)  # allocated above them: the heap cannot shrink from its top
            del blocks
            out["freed"] = rss_mb()
            release_free_memory()
            out["released"] = rss_mb()
            del pin
        thread = threading.Thread(target=trial)
        thread.start()
        thread.join()
        print(out["freed"] - out["released"])
        """
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=True)
    assert float(done.stdout) > 50

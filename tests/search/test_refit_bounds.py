"""The final refit never runs past its deadline: fold models, a stand-in trial, a subsample, or an honest error instead."""

from __future__ import annotations

import time

import numpy as np
import optuna
import pandas as pd
import pytest
from sklearn.datasets import make_classification

import automl
from automl._core import Deadline, DeadlineExceeded, InputError
from automl.data import Dataset, load_dataset
from automl.evaluation import get_metric
from automl.models import TabularModel, builder_names
from automl.search import SearchConfig, run_search
from automl.search._cv import CVResult
from automl.search._final import (
    BAG_MAX_BYTES,
    FinalModel,
    RunMemory,
    _final_single,
    _tabular_members,
    bagged_families,
    refit_bounded,
)
from automl.search._objective import make_model, params_of
from automl.search._resampling import Resampling
from automl.search._runner import _savable_in_time
from automl.spaces import load_spaces

SPACES = load_spaces((), builder_names())
SLOW = {"family": "adaboost", "adaboost.n_estimators": 400, "adaboost.learning_rate": 0.5, "adaboost.max_depth": 5}
FAST = {"family": "adaboost", "adaboost.n_estimators": 25, "adaboost.learning_rate": 0.5, "adaboost.max_depth": 1}


def _dataset(n_rows: int = 20_000) -> Dataset:
    X, y = make_classification(n_samples=n_rows, n_features=10, n_informative=5, flip_y=0.2, random_state=0)
    frame = pd.DataFrame(X, columns=[f"x{i}" for i in range(10)])
    frame["label"] = y
    return load_dataset(frame, "label")


def _trial(fit_seconds: float, params: dict[str, object] = SLOW, value: float = 0.8) -> optuna.trial.FrozenTrial:
    """A finished trial, by default of a slow configuration (400 depth-5 AdaBoost rounds: ~20 s on 20k rows)."""
    distributions = {
        "family": optuna.distributions.CategoricalDistribution(["adaboost"]),
        "adaboost.n_estimators": optuna.distributions.IntDistribution(10, 400, log=True),
        "adaboost.learning_rate": optuna.distributions.FloatDistribution(0.01, 2.0, log=True),
        "adaboost.max_depth": optuna.distributions.IntDistribution(1, 5),
    }
    attrs = {"fit_seconds": fit_seconds}
    return optuna.trial.create_trial(value=value, params=params, distributions=distributions, user_attrs=attrs)


def _study(*trials: optuna.trial.FrozenTrial) -> tuple[optuna.Study, list[optuna.trial.FrozenTrial]]:
    study = optuna.create_study(direction="maximize")
    study.add_trials(trials)
    return study, study.get_trials()


def _memory() -> RunMemory:
    return RunMemory(get_metric(None, "binary"), n_splits=5, train_fraction=0.8)


def _folds(dataset: Dataset) -> tuple[TabularModel, ...]:
    return tuple(
        TabularModel("adaboost", {"n_estimators": 3}, "binary").fit(dataset.X.iloc[i::2], dataset.y.iloc[i::2]) for i in range(2)
    )


def test_refit_that_would_overrun_averages_the_kept_fold_models() -> None:
    dataset = _dataset()
    trial = _trial(fit_seconds=100.0)
    memory = _memory()
    memory.kept_trial, memory.kept_fold_scores, memory.kept_fold_models = trial.number, (0.8,), _folds(dataset)
    started = time.perf_counter()
    model, kind, note = refit_bounded(trial, SPACES, dataset, 0, 1, Deadline.after(1.0), memory, fallback=True)
    assert kind == "fold-average" and "average of 2 fold models" in note
    assert time.perf_counter() - started < 4.0
    assert model.predict_proba(dataset.X.head(5)).shape == (5, 2)


def test_best_trial_without_fold_models_nor_a_stand_in_falls_back_to_a_subsample() -> None:
    """No fold models in memory (the trial came from an earlier run, or they were too large) and no
    next-best trial that fits: a quarter of the time is kept back for a fit on as many rows as the
    trial's recorded fold times say fit in it."""
    dataset = _dataset()
    # its folds took long: only a small subsample fits in the time left; the runner-up is as slow
    study, (best, _) = _study(_trial(fit_seconds=200.0, value=0.8), _trial(fit_seconds=200.0, value=0.7))
    started = time.perf_counter()
    final = _final_single(study, best, SPACES, dataset, 0, 1, Deadline.after(6.0), _memory(), Deadline.after(6.0))
    assert final.kind == "subsample" and final.notes["final_model"].startswith("refit on ")
    assert "of 20000 rows" in final.notes["final_model"] and final.members[0]["trial"] == best.number
    assert time.perf_counter() - started < 6.0 + 2.0
    assert set(final.model.classes_) == {0, 1}


def test_best_trial_that_cannot_be_refit_gives_way_to_a_runner_up_refit_on_all_rows() -> None:
    """The best trial finished last, with no time left to refit it and no fold models kept: the
    next-best trial, whose refit fits, stands in (not a fit of the best on a few hundred rows)."""
    dataset = _dataset()
    study, (best, runner_up) = _study(_trial(fit_seconds=200.0, value=0.8), _trial(fit_seconds=0.5, params=FAST, value=0.79))
    started = time.perf_counter()
    final = _final_single(study, best, SPACES, dataset, 0, 1, Deadline.after(6.0), _memory(), Deadline.after(6.0))
    assert final.kind == "stand-in" and final.members[0]["trial"] == runner_up.number
    assert final.oof_score == 0.79 and f"trial {best.number} could not be refit in time" in final.notes["final_model"]
    assert time.perf_counter() - started < 6.0 + 2.0
    full = make_model(SPACES["adaboost"], params_of(runner_up, SPACES["adaboost"]), "binary", 0, 1).fit(dataset.X, dataset.y)
    np.testing.assert_allclose(final.model.predict_proba(dataset.X), full.predict_proba(dataset.X))


def test_kept_fold_models_of_an_earlier_best_stand_in_for_a_later_best_without_them() -> None:
    """A later, better trial whose fold models were too large to keep leaves the earlier best's in memory."""
    dataset = _dataset()
    study, (best, runner_up) = _study(_trial(fit_seconds=200.0, value=0.8), _trial(fit_seconds=200.0, value=0.79))
    memory = _memory()
    folds = _folds(dataset)
    memory.offer(runner_up.number, CVResult((0.79,), np.zeros(len(dataset.y)), 200.0, 1.0, 100, folds))
    memory.offer(best.number, CVResult((0.8,), np.zeros(len(dataset.y)), 200.0, 1.0, 10**9, ()))
    assert memory.fold_models_of(runner_up.number) == folds and memory.fold_models_of(best.number) == ()
    final = _final_single(study, best, SPACES, dataset, 0, 1, Deadline.after(3.0), memory, Deadline.after(3.0))
    assert final.kind == "fold-average" and final.members[0]["trial"] == runner_up.number


def test_refit_without_fallback_raises_at_the_deadline() -> None:
    started = time.perf_counter()
    with pytest.raises(DeadlineExceeded):
        refit_bounded(_trial(100.0), SPACES, _dataset(), 0, 1, Deadline.after(0.5))
    assert time.perf_counter() - started < 3.0


def test_an_ensemble_too_large_to_save_in_time_gives_way_to_the_single_model() -> None:
    single = FinalModel(
        np.zeros(10), "single", 0.8, 0.8, [{"family": "ridge", "trial": 0, "weight": 1.0}], {"final_model": "refit"}
    )
    ensemble = FinalModel(np.zeros(10_000_000), "selection", 0.81, 0.8, [], {"final_model": "selection"}, single=single)
    kept = _savable_in_time(ensemble, Deadline.after(0.6))  # 80 MB need ~2 s to save
    assert kept.kind == "single" and "would overrun the budget" in kept.notes["ensemble"]
    assert _savable_in_time(ensemble, Deadline.after(600)).kind == "selection"


def test_the_budget_clock_starts_before_the_data_is_loaded(binary_frame: pd.DataFrame) -> None:
    """run_search counts from ``started`` (api.search passes the time before loading)."""
    config = SearchConfig(
        time_budget=5.0, families=("logistic_regression",), storage=optuna.storages.InMemoryStorage(), output_dir=None
    )
    with pytest.raises(InputError, match="no trial finished"):
        run_search(load_dataset(binary_frame, "label"), config, started=time.monotonic() - 60.0)


def test_a_resumed_study_falls_back_to_the_refit_an_earlier_run_saved(binary_frame: pd.DataFrame, tmp_path) -> None:
    import automl
    from automl.search._final import saved_refit_of

    storage = f"sqlite:///{tmp_path}/r.db"
    automl.search(
        binary_frame,
        "label",
        n_trials=1,
        time_budget=None,
        families=["logistic_regression"],
        ensemble="none",
        study_name="r",
        storage=storage,
        output_dir=str(tmp_path / "runs"),
    )
    study = optuna.load_study(study_name="r", storage=storage)
    trial = study.best_trial
    expired = Deadline.after(-1.0)  # no time at all for a refit: the earlier run's model is the answer
    model, kind, note = refit_bounded(
        trial,
        SPACES,
        load_dataset(binary_frame, "label"),
        0,
        1,
        expired,
        RunMemory(get_metric(None, "binary")),
        fallback=True,
        previous=saved_refit_of(study, trial, Deadline.after(60)),
    )
    assert kind == "saved" and "saved by an earlier run" in note
    assert model.predict(binary_frame.drop(columns="label")).shape == (len(binary_frame),)


def test_a_starved_search_still_runs_one_trial_on_the_refit_reserve(binary_frame: pd.DataFrame) -> None:
    """Start-up on a busy machine ate the trials' time (their deadline passed), not the refit's:
    one trial still runs, so the search delivers a model instead of 'no trial finished'."""
    config = SearchConfig(
        time_budget=100.0,
        families=("logistic_regression",),
        storage=optuna.storages.InMemoryStorage(),
        output_dir=None,
        ensemble="none",
    )
    outcome = run_search(load_dataset(binary_frame, "label"), config, started=time.monotonic() - 92.0)  # trials' deadline: 90 s
    assert len(outcome.leaderboard) == 1 and outcome.best_model is not None


def test_a_bagged_family_keeps_its_fold_models_and_they_replace_its_refit() -> None:
    """A trial of a bagged family is not refit: its fold models (what its OOF score measured) are averaged."""
    dataset = _dataset(2_000)
    trial = _trial(fit_seconds=100.0)
    memory = RunMemory(get_metric(None, "binary"), n_splits=2, train_fraction=0.5, bagged=frozenset({"adaboost"}))
    folds = _folds(dataset)
    memory.offer(trial.number, CVResult((0.8,), np.zeros(len(dataset.y)), 1.0, 1.0, 100, folds), "adaboost")
    assert memory.bag_of(trial.number) == folds and memory.refit_seconds(trial) == 0.0
    model, kind, note = refit_bounded(trial, SPACES, dataset, 0, 1, Deadline.after(0.0), memory)  # no time needed
    assert kind == "single" and note == "average of its 2 fold models (bagged instead of a refit on all rows)"
    expected = np.mean([f.predict_proba(dataset.X) for f in folds], axis=0)
    np.testing.assert_allclose(model.predict_proba(dataset.X), expected)
    other = RunMemory(get_metric(None, "binary"), n_splits=2, train_fraction=0.5)  # not bagged: refit as before
    other.offer(trial.number, CVResult((0.8,), np.zeros(len(dataset.y)), 1.0, 1.0, 100, folds), "adaboost")
    assert other.bag_of(trial.number) == () and other.refit_seconds(trial) > 0


def test_bags_past_their_byte_budget_let_go_of_the_worst_trials() -> None:
    dataset = _dataset(2_000)
    memory = RunMemory(get_metric(None, "binary"), n_splits=2, bagged=frozenset({"adaboost"}))
    folds = _folds(dataset)
    half = BAG_MAX_BYTES // 4  # two fold models each: two trials fill the budget
    for number, auc in [(0, 0.7), (1, 0.9), (2, 0.8)]:
        memory.offer(
            number, CVResult((auc,), np.zeros(len(dataset.y)), 1.0, 1.0, half - 1 if number == 2 else half, folds), "adaboost"
        )
    assert sorted(memory.bags) == [1, 2]  # over the budget by a little: the worst (0.7) went
    memory.offer(3, CVResult((0.95,), np.zeros(len(dataset.y)), 1.0, 1.0, 10, folds[:1]), "adaboost")
    assert 3 not in memory.bags  # a trial that kept fewer fold models than splits is refit


def test_a_running_trial_keeps_its_fold_models_only_while_ahead_of_the_kept_trial_on_the_same_folds() -> None:
    dataset = _dataset(2_000)
    memory = RunMemory(get_metric(None, "binary"), n_splits=3, bagged=frozenset({"mlp"}))
    assert memory.wants_fold_models("adaboost", 0, 0.5), "nothing kept yet"
    memory.offer(0, CVResult((0.90, 0.70, 0.80), np.zeros(len(dataset.y)), 1.0, 1.0, 10, _folds(dataset)), "adaboost")
    assert memory.kept_fold_scores == (0.90, 0.70, 0.80)
    assert not memory.wants_fold_models("adaboost", 0, 0.85), "behind on fold 1 (0.85 < 0.90)"
    assert memory.wants_fold_models("adaboost", 1, 0.81), "ahead of the kept trial's first two folds (0.80)"
    assert not memory.wants_fold_models("adaboost", 2, 0.80), "a tie is not ahead"
    assert memory.wants_fold_models("mlp", 0, 0.10), "a bagged family keeps all of its fold models"
    assert memory.wants_fold_models("adaboost", 0, float("nan")), "an undefined fold score decides nothing"


@pytest.mark.parametrize(
    ("budget", "kind", "expected"), [(300.0, "cv", {"mlp"}), (60.0, "cv", set()), (None, "cv", set()), (300.0, "holdout", set())]
)
def test_only_long_k_fold_searches_bag(budget: float | None, kind: str, expected: set[str]) -> None:
    splits = tuple((np.arange(10) % 2 != i, np.arange(10) % 2 == i) for i in range(2))
    resampling = Resampling(kind, splits[:1] if kind == "holdout" else splits, 10)
    assert bagged_families(SPACES, resampling, budget) == expected


def test_a_long_search_averages_the_fold_models_of_its_mlp(binary_frame: pd.DataFrame) -> None:
    """End to end: a 300 s search that stops after its two MLP trials ends with the best one's fold models."""
    result = automl.search(
        binary_frame, "label", families=["mlp"], n_trials=2, time_budget=300, ensemble="none",
        storage=optuna.storages.InMemoryStorage(), output_dir=None, seed=0,
    )  # fmt: skip
    assert result.model_card.notes["final_model"].startswith("average of its 5 fold models")
    model = result.best_model
    members = _tabular_members(model)
    assert len(members) == 5 and all(m.builder == "mlp" for m in members)
    assert model.predict_proba(binary_frame.drop(columns="label").head(4)).shape == (4, 2)

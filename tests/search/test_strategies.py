"""Samplers, pruners and multi-objective search on real studies."""

from __future__ import annotations

from pathlib import Path

import optuna
import pandas as pd
import pytest

import automl
from automl._core import InputError
from automl.search import SAMPLERS, pareto_numbers, score
from tests.conftest import shared_dataset

PRUNED = optuna.trial.TrialState.PRUNED


def _memory_search(frame: pd.DataFrame, target: str, **kwargs: object) -> automl.SearchResult:
    options = {
        "time_budget": None,
        "n_trials": 5,
        "storage": optuna.storages.InMemoryStorage(),
        "output_dir": None,
        "ensemble": "none",
        "families": ["logistic_regression", "knn"],
    }
    options.update(kwargs)
    return automl.search(frame, target, **options)  # type: ignore[arg-type]


@pytest.mark.parametrize("sampler", SAMPLERS)
def test_every_sampler_is_reproducible_with_its_seed(sampler: str, binary_frame: pd.DataFrame) -> None:
    runs = [_memory_search(binary_frame, "label", sampler=sampler, seed=3) for _ in range(2)]
    params = [[t.params for t in sorted(r.study.trials, key=lambda t: t.number)] for r in runs]
    assert params[0] == params[1]
    assert len(runs[0].study.trials) == 5


def test_median_pruner_really_prunes_and_keeps_the_curve(binary_frame: pd.DataFrame) -> None:
    result = _memory_search(binary_frame, "label", sampler="random", pruner="median", n_trials=25, seed=0)
    pruned = result.study.get_trials(states=(PRUNED,))
    assert pruned, "with 25 random trials some must fall below the running median"
    for trial in pruned:
        assert trial.intermediate_values, "a pruned trial keeps the values it reported"
        assert max(trial.intermediate_values) < 5  # fold steps
    summary = result.family_summary
    assert summary["pruned"].sum() == len(pruned) and summary["stopped"].sum() == 0  # no budget: nothing stopped by time


def test_mlp_reports_epoch_curves_to_the_median_pruner(multiclass_frame: pd.DataFrame) -> None:
    result = _memory_search(multiclass_frame, "cls", families=["mlp"], pruner="median", n_trials=2)
    trial = result.study.trials[0]
    epochs = [step for step in trial.intermediate_values if step >= 1000]
    assert len(epochs) >= 2, "an MLP trial reports its validation loss per epoch"


def test_pruning_and_several_objectives_do_not_mix(binary_frame: pd.DataFrame) -> None:
    with pytest.raises(InputError, match="pruning needs a single objective"):
        _memory_search(binary_frame, "label", pruner="median", objectives=["score", "latency"])
    with pytest.raises(InputError, match="objectives must start with 'score'"):
        _memory_search(binary_frame, "label", objectives=["latency"])


@pytest.mark.slow
def test_multi_objective_front_and_choose(tmp_path: Path) -> None:
    path, entry = shared_dataset("phoneme")
    storage = f"sqlite:///{tmp_path}/mo.db"
    result = automl.search(
        path,
        entry["target"],
        time_budget=None,
        n_trials=12,
        storage=storage,
        output_dir=str(tmp_path),
        study_name="mo",
        objectives=["score", "latency"],
        sampler="nsga2",
        families=["logistic_regression", "knn", "hist_gradient_boosting"],
    )
    front = pareto_numbers(result.study)
    assert len(front) >= 2
    assert result.leaderboard["pareto"].sum() == len(front)
    saved = {int(n) for n in result.study.user_attrs["pareto_models"]}
    assert saved == front
    fastest = min((t for t in result.study.best_trials), key=lambda t: t.values[1])
    _, card = automl.api.load_best_model_and_card("mo", storage, choose=f"latency<={fastest.values[1]}")
    assert card.trial_number == fastest.number
    _, best_card = automl.api.load_best_model_and_card("mo", storage)
    assert best_card.trial_number == max(result.study.best_trials, key=score).number
    with pytest.raises(InputError, match="has latency <= 1e-09"):
        automl.load_best_model("mo", storage, choose="latency<=1e-9")

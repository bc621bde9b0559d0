"""Final models built from a study's trials: ensembles chosen on OOF scores, saved and reloaded."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import optuna
import pandas as pd
import pytest

import automl
from automl._core import Deadline
from automl.data import load_dataset
from automl.ensembles import StackedEnsemble
from automl.evaluation import get_metric
from automl.search._final import RunMemory, _library, _stacking_plan
from automl.spaces import load_spaces

CASES = {
    "binary": ("binary_frame", "label", ["logistic_regression", "hist_gradient_boosting", "knn"]),
    "multiclass": ("multiclass_frame", "cls", ["logistic_regression", "hist_gradient_boosting", "knn"]),
    "regression": ("regression_frame", "y", ["ridge", "hist_gradient_boosting", "knn"]),
}


def _search(frame: pd.DataFrame, target: str, families: list[str], tmp_path: Path, **kwargs: object) -> automl.SearchResult:
    options = {"time_budget": None, "n_trials": 6, "families": families, "storage": f"sqlite:///{tmp_path}/f.db",
               "output_dir": str(tmp_path / "runs"), "study_name": "f"}
    options.update(kwargs)
    return automl.search(frame, target, **options)  # type: ignore[arg-type]


@pytest.mark.parametrize("task", sorted(CASES))
def test_stacking_of_two_families_from_a_study(task: str, request: pytest.FixtureRequest, tmp_path: Path) -> None:
    fixture, target, families = CASES[task]
    frame = request.getfixturevalue(fixture)
    result = _search(frame, target, families, tmp_path, ensemble="none")
    dataset = load_dataset(frame, target)
    metric = get_metric(None, dataset.task)
    store = optuna.artifacts.FileSystemArtifactStore(tmp_path / "runs" / "f" / "artifacts")
    memory = RunMemory(metric)
    trials = _library(result.study, memory, store)  # OOF read back from the artifact store
    plan = _stacking_plan(trials, memory, dataset, metric, seed=0)
    assert len({t.params["family"] for t in plan.trials}) >= 2
    final = plan.realise(result.best_model, result.study.best_trial.number, load_spaces(), dataset, 0, 1, Deadline.unlimited(), result.study.best_value)
    assert isinstance(final.model, StackedEnsemble) and final.kind == "stacking"
    X = frame.drop(columns=target)
    pred = final.model.predict(X)
    assert pred.shape == (len(frame),)
    if task != "regression":
        assert final.model.predict_proba(X).shape == (len(frame), frame[target].nunique())
    assert len(final.members) == len(plan.trials)


def test_selected_ensemble_is_saved_reloaded_and_reported(binary_frame: pd.DataFrame, tmp_path: Path) -> None:
    result = _search(binary_frame, "label", CASES["binary"][2], tmp_path, n_trials=8, ensemble="selection")
    card = result.model_card
    assert "best_single_score" in card.notes
    if card.family == "selection":
        assert card.cv_score >= card.notes["best_single_score"]
        assert pytest.approx(sum(m["weight"] for m in card.members)) == 1.0
        assert len(card.members) >= 2
    else:
        assert "did not beat" in card.notes["ensemble"]
    loaded = automl.load_best_model("f", f"sqlite:///{tmp_path}/f.db")
    X = binary_frame.drop(columns="label")
    np.testing.assert_array_equal(loaded.predict_proba(X), result.best_model.predict_proba(X))


@pytest.mark.parametrize("kind", ["stacking", "bagging", "auto"])
def test_every_ensemble_kind_saves_and_reloads_identically(kind: str, multiclass_frame: pd.DataFrame, tmp_path: Path) -> None:
    result = _search(multiclass_frame, "cls", CASES["multiclass"][2], tmp_path, ensemble=kind)
    loaded = automl.load_best_model("f", f"sqlite:///{tmp_path}/f.db")
    X = multiclass_frame.drop(columns="cls")
    np.testing.assert_array_equal(loaded.predict_proba(X), result.best_model.predict_proba(X))
    if kind == "bagging":
        assert result.model_card.family == "bagging"


def test_ensemble_from_a_resumed_study_uses_earlier_trials(regression_frame: pd.DataFrame, tmp_path: Path) -> None:
    families = CASES["regression"][2]
    _search(regression_frame, "y", families, tmp_path, n_trials=4, ensemble="none")
    resumed = _search(regression_frame, "y", families, tmp_path, n_trials=6, ensemble="auto")
    store = optuna.artifacts.FileSystemArtifactStore(tmp_path / "runs" / "f" / "artifacts")
    library = _library(resumed.study, RunMemory(get_metric(None, "regression")), store)
    assert sorted(t.number for t in library) == list(range(6)), "OOF of the first run's trials must be reusable"
    card = resumed.model_card
    assert card.family in ("selection", "stacking") or "did not beat" in card.notes["ensemble"]

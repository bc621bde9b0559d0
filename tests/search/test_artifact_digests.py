"""The study records the SHA-256 of every saved model (best and Pareto front) and loading checks it."""

from __future__ import annotations

import json
from pathlib import Path

import optuna
import pandas as pd
import pytest

import automl
from automl._core import ArtifactError
from automl.models import artifact_digests


def test_study_records_and_checks_best_and_pareto_digests(binary_frame: pd.DataFrame, tmp_path: Path) -> None:
    storage = f"sqlite:///{tmp_path}/d.db"
    result = automl.search(
        binary_frame,
        "label",
        n_trials=4,
        time_budget=None,
        storage=storage,
        study_name="mo",
        output_dir=str(tmp_path / "runs"),
        objectives=["score", "latency"],
        sampler="nsga2",
        pruner="none",
        families=["logistic_regression", "knn"],
    )
    attrs = result.study.user_attrs
    assert attrs["best_model_digests"] == artifact_digests(attrs["best_model_path"])
    assert set(attrs["pareto_model_digests"]) == set(attrs["pareto_models"])
    for number, path in attrs["pareto_models"].items():
        assert attrs["pareto_model_digests"][number] == artifact_digests(path)
    automl.load_best_model("mo", storage)

    card_path = Path(attrs["best_model_path"]) / "model_card.json"
    card = json.loads(card_path.read_text())
    card["notes"]["edited"] = True  # the card alone changed: only the study's record can tell
    card_path.write_text(json.dumps(card))
    with pytest.raises(ArtifactError, match=r"model_card\.json' does not match the SHA-256 study 'mo' records"):
        automl.load_best_model("mo", storage)

    slowest = max(result.study.best_trials, key=lambda t: t.values[1])
    (Path(attrs["pareto_models"][str(slowest.number)]) / "model.skops").write_bytes(b"not the saved model")
    with pytest.raises(ArtifactError, match="study 'mo' records"):
        automl.load_best_model("mo", storage, choose=f"latency<={slowest.values[1]}")


def test_study_without_digests_is_refused(binary_frame: pd.DataFrame, tmp_path: Path) -> None:
    storage = f"sqlite:///{tmp_path}/d.db"
    automl.search(
        binary_frame,
        "label",
        n_trials=1,
        time_budget=None,
        storage=storage,
        study_name="old",
        output_dir=str(tmp_path / "runs"),
        families=["logistic_regression"],
        ensemble="none",
    )
    optuna.load_study(study_name="old", storage=storage).set_user_attr("best_model_digests", None)
    with pytest.raises(ArtifactError, match="study 'old' records no SHA-256 digests"):
        automl.load_best_model("old", storage)

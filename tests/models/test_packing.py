"""HistGradientBoosting trees are saved packed (a few arrays, not three per tree) and come back equal."""

from __future__ import annotations

import contextlib
import zipfile
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sklearn.datasets import make_classification, make_regression

from automl._core import ArtifactError
from automl.models import ModelCard, TabularModel, load_model, save_model
from automl.models._packing import PackedTreePredictors, packed_for_saving


def _card(task: str) -> ModelCard:
    metric = "rmse" if task == "regression" else "log_loss"
    return ModelCard(
        task=task, metric=metric, family="hist_gradient_boosting", params={}, cv_score=0.1, data_fingerprint="f" * 64, target="y"
    )


def _hgb(task: str, iterations: int) -> tuple[TabularModel, pd.DataFrame]:
    if task == "regression":
        X, y = make_regression(n_samples=300, n_features=5, random_state=0)
    else:
        X, y = make_classification(n_samples=300, n_features=5, n_informative=4, n_redundant=0, n_classes=3, random_state=0)
    frame = pd.DataFrame(X, columns=list("abcde"))
    params = {"max_iter": iterations, "early_stopping": False, "learning_rate": 0.01}
    return TabularModel("hist_gradient_boosting", params, task, scale=False, categorical="onehot").fit(frame, y), frame


def _arrays_in(folder: Path) -> int:
    with zipfile.ZipFile(folder / "model.skops") as archive:
        return sum(name.endswith(".npy") for name in archive.namelist())


@pytest.mark.parametrize("task", ["multiclass", "regression"])
def test_saved_trees_are_a_few_arrays_and_predict_the_same(task: str, tmp_path: Path) -> None:
    model, frame = _hgb(task, iterations=200)
    trees = sum(len(iteration) for iteration in model.estimator_._predictors)
    assert trees >= 200
    folder = save_model(model, tmp_path / "m", _card(task))
    assert isinstance(model.estimator_._predictors, list)  # the saved model itself is left as it was
    assert _arrays_in(folder) < 40  # unpacked, three arrays per tree: 600 for the regressor, 1,800 for 3 classes
    loaded = load_model(folder)[0]
    predict = "predict" if task == "regression" else "predict_proba"
    assert np.array_equal(getattr(loaded, predict)(frame), getattr(model, predict)(frame))
    assert [len(i) for i in loaded.estimator_._predictors] == [len(i) for i in model.estimator_._predictors]


def _no_trees(packed: PackedTreePredictors) -> None:
    """A billion iterations of no trees: stored in a few bytes, a billion lists if unpacked."""
    packed.counts = np.zeros((10**9, 0, 3), dtype=np.int64)
    packed.nodes, packed.binned_bitsets, packed.raw_bitsets = packed.nodes[:0], packed.binned_bitsets[:0], packed.raw_bitsets[:0]


def _more_nodes(packed: PackedTreePredictors) -> None:
    packed.counts[0, 0, 0] += 3


@pytest.mark.parametrize(("tamper", "refused"), [(_more_nodes, "do not add up"), (_no_trees, "malformed count table")])
def test_packed_trees_that_do_not_add_up_are_refused(tamper, refused: str, tmp_path: Path) -> None:
    model, _ = _hgb("multiclass", iterations=5)
    with packed_for_saving(model):
        tamper(model.estimator_._predictors)  # what an attacker writes into the file
        folder = save_model(model, tmp_path / "m", _card("multiclass"))
    with pytest.raises(ArtifactError, match=f"damaged or hostile model.*{refused}"):
        load_model(folder)


def test_models_saved_before_packing_still_load(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    model, frame = _hgb("multiclass", iterations=5)
    monkeypatch.setattr("automl.models._persist.packed_for_saving", lambda _: contextlib.nullcontext())
    folder = save_model(model, tmp_path / "m", _card("multiclass"))
    assert _arrays_in(folder) > 15 * 2  # one set of arrays per tree: saved the old way
    assert np.array_equal(load_model(folder)[0].predict_proba(frame), model.predict_proba(frame))

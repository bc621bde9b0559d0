"""Every family as a TabularModel: fits each task it declares, round-trips through the artifact format."""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sklearn.base import clone
from sklearn.svm import SVC

from automl._core import ArtifactError, Deadline, DeadlineExceeded, InputError
from automl.models import MODEL_TRUSTED_TYPES, ModelCard, TabularModel, fit_budgeted, load_model, save_model
from automl.models._mlp import MLP_TRUSTED_TYPES
from automl.spaces import load_spaces

SPACES = load_spaces()
FAST = {
    "mlp": {"max_epochs": 5},
    "random_forest": {"n_estimators": 20},
    "extra_trees": {"n_estimators": 20},
    "xgboost": {"n_estimators": 20},
    "hist_gradient_boosting": {"max_iter": 20},
    "adaboost": {"n_estimators": 10},
}
CASES = [(name, task) for name, space in sorted(SPACES.items()) for task in space.tasks]


def _model(family: str, task: str) -> TabularModel:
    space = SPACES[family]
    params = {**space.fixed, **space.defaults, **FAST.get(family, {})}
    return TabularModel(space.builder, params, task, space.preprocessing.scale, space.preprocessing.categorical, random_state=0)


def _data(request: pytest.FixtureRequest, task: str) -> tuple[pd.DataFrame, pd.Series]:
    name, target = {
        "binary": ("binary_frame", "label"),
        "multiclass": ("multiclass_frame", "cls"),
        "regression": ("regression_frame", "y"),
    }[task]
    frame = request.getfixturevalue(name)
    return frame.drop(columns=target), frame[target]


def _card(task: str) -> ModelCard:
    return ModelCard(task=task, metric="m", family="f", params={}, cv_score=None, data_fingerprint="x", target="t")


@pytest.mark.parametrize(("family", "task"), CASES)
def test_family_fits_predicts_and_round_trips(family: str, task: str, request: pytest.FixtureRequest, tmp_path: Path) -> None:
    X, y = _data(request, task)
    model = _model(family, task).fit(X, y)
    pred = model.predict(X)
    assert pred.shape == (len(X),)
    if task != "regression":
        proba = model.predict_proba(X)
        assert proba.shape == (len(X), y.nunique())
        np.testing.assert_allclose(proba.sum(axis=1), 1.0, rtol=1e-5)
        assert set(pred) <= set(y)
    loaded, card = load_model(save_model(model, tmp_path / "m", _card(task)), MLP_TRUSTED_TYPES)
    np.testing.assert_array_equal(loaded.predict(X), pred)
    assert card.task == task
    clone(model).fit(X, y)


def test_mlp_types_are_on_the_allow_list() -> None:
    assert set(MLP_TRUSTED_TYPES) <= set(MODEL_TRUSTED_TYPES)


def test_predict_names_missing_columns(binary_frame: pd.DataFrame) -> None:
    X, y = binary_frame.drop(columns="label"), binary_frame["label"]
    model = _model("logistic_regression", "binary").fit(X, y)
    with pytest.raises(InputError, match="lacks column\\(s\\) the model was trained on: colour"):
        model.predict(X.drop(columns="colour"))


def test_unseen_category_at_predict_time(binary_frame: pd.DataFrame) -> None:
    X, y = binary_frame.drop(columns="label"), binary_frame["label"]
    model = _model("xgboost", "binary").fit(X, y)
    new = X.head(2).assign(colour=["purple", None])
    assert model.predict(new).shape == (2,)


def test_untrusted_type_is_refused(tmp_path: Path, binary_frame: pd.DataFrame) -> None:
    X, y = binary_frame[["a", "b"]], binary_frame["label"]
    folder = save_model(SVC().fit(X, y), tmp_path / "svc", _card("binary"))
    with pytest.raises(ArtifactError, match=re.escape("types automl does not trust: sklearn.svm._classes.SVC")):
        load_model(folder)


def test_corrupt_model_file_and_missing_card(tmp_path: Path, binary_frame: pd.DataFrame) -> None:
    X, y = binary_frame.drop(columns="label"), binary_frame["label"]
    folder = save_model(_model("logistic_regression", "binary").fit(X, y), tmp_path / "m", _card("binary"))
    (folder / "model.skops").write_bytes(b"garbage")
    with pytest.raises(ArtifactError, match="does not match the SHA-256 its model card records"):
        load_model(folder)
    card = json.loads((folder / "model_card.json").read_text())
    (folder / "model_card.json").write_text(json.dumps({**card, "model_sha256": hashlib.sha256(b"garbage").hexdigest()}))
    with pytest.raises(ArtifactError, match="corrupt or not a skops file"):
        load_model(folder)
    (folder / "model_card.json").unlink()
    with pytest.raises(ArtifactError, match="no model card"):
        load_model(folder)


def test_save_refuses_to_overwrite(tmp_path: Path, binary_frame: pd.DataFrame) -> None:
    (tmp_path / "m").mkdir()
    with pytest.raises(ArtifactError, match="refusing to overwrite"):
        save_model(object(), tmp_path / "m", _card("binary"))


class _StepClock:
    """A fake clock that advances one second per reading."""

    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        self.now += 1.0
        return self.now


@pytest.mark.parametrize("family", ["random_forest", "hist_gradient_boosting", "xgboost", "mlp", "adaboost"])
def test_fit_stops_at_the_deadline(family: str, regression_frame: pd.DataFrame) -> None:
    X, y = regression_frame.drop(columns="y").to_numpy(), regression_frame["y"].to_numpy()
    space = SPACES[family]
    from automl.models import get_builder

    # Without early stopping: on 120 rows it would end the boosting before the deadline is checked
    # (and without the "encoded" categories sentinel, which TabularModel resolves).
    no_stopping = {"early_stopping": False, "categorical_features": None} if family == "hist_gradient_boosting" else {}
    estimator = get_builder(space.builder)("regression", {**space.fixed, **space.defaults, **no_stopping}, seed=0, n_jobs=1)
    clock = _StepClock()
    with pytest.raises(DeadlineExceeded):
        fit_budgeted(estimator, X, y, Deadline(2.0, clock))
    assert clock.now < 60, "the fit should have been stopped within a few checks"


def test_fit_budgeted_completes_within_a_generous_deadline(regression_frame: pd.DataFrame) -> None:
    from sklearn.ensemble import RandomForestRegressor

    X, y = regression_frame.drop(columns="y").to_numpy(), regression_frame["y"].to_numpy()
    chunked = fit_budgeted(RandomForestRegressor(n_estimators=30, random_state=0), X, y, Deadline.after(600))
    one_shot = RandomForestRegressor(n_estimators=30, random_state=0).fit(X, y)
    assert len(chunked.estimators_) == 30 and chunked.get_params()["warm_start"] is False
    np.testing.assert_allclose(chunked.predict(X), one_shot.predict(X))


def test_encoded_categories_become_a_native_categorical_mask(tmp_path: Path) -> None:
    """``categorical_features: encoded`` marks the ordinal-encoded category columns (not the numbers,
    missing indicators or categories beyond 254 levels) for HistGradientBoosting."""
    rng = np.random.default_rng(0)
    X = pd.DataFrame({"n": rng.normal(size=400), "c": rng.choice(list("abc"), 400), "many": [f"v{i % 300}" for i in range(400)]})
    X.loc[::7, "n"] = np.nan
    y = (X["c"] == "b").astype(int).to_numpy()
    model = TabularModel("hist_gradient_boosting", {"categorical_features": "encoded", "max_iter": 20}, "binary").fit(X, y)
    mask = model.estimator_.get_params()["categorical_features"]
    names = list(model.preprocessor_.get_feature_names_out())
    assert [n for n, m in zip(names, mask, strict=True) if m] == ["c"]
    assert model.predict_proba(X).shape == (400, 2)
    # It keeps a FunctionTransformer of partial(check_array): on the allow-list, so it saves and loads.
    loaded = load_model(save_model(model, tmp_path / "m", _card("binary")))[0]
    assert np.array_equal(loaded.predict_proba(X), model.predict_proba(X))


def test_early_stopping_split_keeps_every_class_in_the_fitted_part() -> None:
    from automl.models._xgboost import MIN_VALIDATION_ROWS, early_stopping_split

    target = np.r_[np.zeros(300, dtype=int), np.ones(100, dtype=int), [2]]  # class 2: a single row
    fit_rows, valid_rows = early_stopping_split(target, "multiclass", 0.1, seed=0)
    assert set(target[fit_rows]) == {0, 1, 2} and len(valid_rows) == 40
    assert not set(fit_rows) & set(valid_rows) and len(fit_rows) + len(valid_rows) == len(target)
    assert early_stopping_split(np.zeros(10 * MIN_VALIDATION_ROWS - 1), "regression", 0.1, seed=0) == (None, None)
    # too few rows: no early stopping, and n_estimators (an upper bound) is capped
    model = TabularModel("xgboost", {"n_estimators": 3000, "early_stopping_rounds": 50}, "binary").fit(
        pd.DataFrame({"x": np.arange(60.0)}), np.arange(60) % 2
    )
    assert model.estimator_.n_rounds_ == 200

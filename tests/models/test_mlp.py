"""Tests for automl/models/_mlp.py (and its _mlp_network / _mlp_training parts): the torch MLP classifier and regressor."""

from __future__ import annotations

import itertools
import json
import pickle
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp
import skops.io as sio
import torch
from sklearn.base import clone
from sklearn.datasets import make_classification, make_regression
from sklearn.metrics import log_loss, r2_score
from sklearn.model_selection import train_test_split
from sklearn.utils.estimator_checks import parametrize_with_checks

from automl._core import Deadline, DeadlineExceeded, InputError
from automl.models import load_model
from automl.models._mlp import MLP_TRUSTED_TYPES, MLPClassifier, MLPRegressor

# Small and quick, but trained enough to pass sklearn's accuracy/R^2 checks.
FAST: dict[str, Any] = {"hidden_sizes": (32,), "max_epochs": 30, "learning_rate": 1e-2}


@pytest.fixture
def binary_data() -> tuple[np.ndarray, np.ndarray]:
    X, y = make_classification(n_samples=300, n_features=8, n_informative=4, class_sep=2.0, random_state=0)
    return X, np.where(y == 1, "yes", "no")


@pytest.fixture
def regression_data() -> tuple[np.ndarray, np.ndarray]:
    X, y = make_regression(n_samples=300, n_features=6, n_informative=4, noise=1.0, random_state=0)
    return X, 1_000 * y + 2e5  # house-price scale: only works because y is standardized


def _weights(model: MLPClassifier | MLPRegressor) -> list[np.ndarray]:
    return [p.detach().cpu().numpy().copy() for p in model.module_.parameters()]


def test_binary_classifier_string_labels_shapes(binary_data: tuple[np.ndarray, np.ndarray]) -> None:
    X, y = binary_data
    clf = MLPClassifier(**FAST).fit(X, y)
    assert list(clf.classes_) == ["no", "yes"]
    assert set(clf.predict(X)) <= {"no", "yes"}
    proba = clf.predict_proba(X)
    assert proba.shape == (300, 2)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0)


def test_multiclass_classifier_shapes() -> None:
    X, y = make_classification(n_samples=300, n_features=8, n_informative=5, n_classes=3, random_state=0)
    clf = MLPClassifier(**FAST).fit(X, y)
    assert clf.predict(X).shape == (300,)
    assert clf.predict_proba(X).shape == (300, 3)
    assert clf.n_features_in_ == 8


def test_regressor_shapes(regression_data: tuple[np.ndarray, np.ndarray]) -> None:
    X, y = regression_data
    pred = MLPRegressor(**FAST).fit(X, y).predict(X[:7])
    assert pred.shape == (7,) and pred.dtype == np.float64


def test_classifier_beats_majority_baseline(binary_data: tuple[np.ndarray, np.ndarray]) -> None:
    X_tr, X_te, y_tr, y_te = train_test_split(*binary_data, random_state=0, stratify=binary_data[1])
    accuracy = MLPClassifier(**FAST).fit(X_tr, y_tr).score(X_te, y_te)
    majority = max(np.mean(y_te == "yes"), np.mean(y_te == "no"))
    assert accuracy > majority + 0.2


def test_regressor_on_house_price_scale_beats_mean_baseline(regression_data: tuple[np.ndarray, np.ndarray]) -> None:
    X_tr, X_te, y_tr, y_te = train_test_split(*regression_data, random_state=0)
    reg = MLPRegressor(**FAST).fit(X_tr, y_tr)
    assert r2_score(y_te, reg.predict(X_te)) > 0.8  # the mean baseline scores 0
    assert reg.y_mean_ == pytest.approx(np.mean(y_tr))


@pytest.mark.parametrize("cls", [MLPClassifier, MLPRegressor])
def test_same_seed_gives_bitwise_identical_predictions(cls: type, binary_data: tuple[np.ndarray, np.ndarray]) -> None:
    X, y = binary_data
    y = y if cls is MLPClassifier else (y == "yes").astype(float) + X[:, 0]
    out = "predict_proba" if cls is MLPClassifier else "predict"
    first = getattr(cls(**FAST, random_state=3).fit(X, y), out)(X)
    second = getattr(cls(**FAST, random_state=3).fit(X, y), out)(X)
    other = getattr(cls(**FAST, random_state=4).fit(X, y), out)(X)
    assert np.array_equal(first, second)
    assert not np.array_equal(first, other)


def test_fit_leaves_torch_global_state_alone(binary_data: tuple[np.ndarray, np.ndarray]) -> None:
    threads, rng_state = torch.get_num_threads(), torch.random.get_rng_state()
    MLPClassifier(**FAST, n_jobs=1).fit(*binary_data).predict(binary_data[0])
    assert torch.get_num_threads() == threads
    assert torch.equal(torch.random.get_rng_state(), rng_state)


@pytest.mark.parametrize("cls", [MLPClassifier, MLPRegressor])
def test_pickle_and_skops_round_trips_keep_predictions(cls: type, binary_data: tuple[np.ndarray, np.ndarray]) -> None:
    X, y = binary_data
    y = y if cls is MLPClassifier else X[:, 0] * 10
    model = cls(**{**FAST, "hidden_sizes": (16, 16, 8)}, batch_norm=True, residual=True).fit(X, y)
    expected = model.predict(X)
    state = model.__getstate__()
    assert isinstance(state["_weights"], bytes)
    assert not any(isinstance(v, (torch.Tensor, torch.nn.Module)) for v in state.values())

    assert np.array_equal(pickle.loads(pickle.dumps(model)).predict(X), expected)
    data = sio.dumps(model)
    untrusted = sio.get_untrusted_types(data=data)
    assert set(untrusted) <= set(MLP_TRUSTED_TYPES)
    assert not any("torch" in name for name in untrusted)
    loaded = sio.loads(data, trusted=MLP_TRUSTED_TYPES)
    assert np.array_equal(loaded.predict(X), expected)
    assert loaded.loss_curve_ == model.loss_curve_


def test_a_model_saved_by_automl_0_1_0_still_loads_and_predicts_the_same() -> None:
    """tests/models/data/mlp-0.1.0/model.skops was written by the single-file _mlp.py (before the network
    and the training loop moved to their own modules): saved MLPs name only the estimator classes,
    which stay at automl.models._mlp, and keep the architecture as a plain dict. (Its card was
    rewritten to format 2, which records the model file's SHA-256; the model bytes are the old ones.)"""
    folder = Path(__file__).parent / "data" / "mlp-0.1.0"
    expected = json.loads(folder.with_name("mlp-0.1.0.expected.json").read_text())
    model, card = load_model(folder)
    assert card.family == "mlp" and type(model.estimator_) is MLPClassifier
    assert model.estimator_.module_[0].skip is not None  # residual blocks rebuilt from the saved architecture
    proba = model.predict_proba(pd.DataFrame(expected["X"]))
    # The same float32 weights, but torch picks its CPU kernels by processor: on another machine of
    # this kind the probabilities differed from the recorded ones by 1.7e-8 (float32 rounding).
    np.testing.assert_allclose(proba, np.asarray(expected["proba"]), rtol=1e-6, atol=1e-7)


def test_fine_tune_continues_from_current_weights(binary_data: tuple[np.ndarray, np.ndarray]) -> None:
    X, y = binary_data
    clf = MLPClassifier(hidden_sizes=(32,), max_epochs=2, learning_rate=1e-3).fit(X, y)
    before_weights, before_loss, before_epochs = _weights(clf), log_loss(y, clf.predict_proba(X)), clf.n_epochs_
    clf.fine_tune(X, y, epochs=5)
    assert any(not np.array_equal(a, b) for a, b in zip(before_weights, _weights(clf), strict=True))
    assert log_loss(y, clf.predict_proba(X)) <= before_loss
    assert clf.n_epochs_ == before_epochs + 5 == len(clf.loss_curve_) == len(clf.validation_curve_)


def test_fine_tune_rejects_labels_unseen_at_fit(binary_data: tuple[np.ndarray, np.ndarray]) -> None:
    X, y = binary_data
    clf = MLPClassifier(**FAST).fit(X, y)
    with pytest.raises(InputError, match="'maybe'"):
        clf.fine_tune(X[:3], ["yes", "no", "maybe"], epochs=1)


def test_fine_tune_regressor_keeps_fit_target_scaling(regression_data: tuple[np.ndarray, np.ndarray]) -> None:
    X, y = regression_data
    reg = MLPRegressor(**FAST).fit(X, y)
    mean = reg.y_mean_
    reg.fine_tune(X[:50], y[:50] + 1e5, epochs=2, learning_rate=1e-3)
    assert reg.y_mean_ == mean and reg.n_epochs_ == len(reg.loss_curve_)


def test_partial_fit_builds_then_continues(binary_data: tuple[np.ndarray, np.ndarray]) -> None:
    X, y = binary_data
    clf = MLPClassifier(hidden_sizes=(16,))
    clf.partial_fit(X[:100], y[:100], classes=["no", "yes", "unused"])
    first = _weights(clf)
    clf.partial_fit(X[100:], y[100:])
    assert clf.n_epochs_ == 2 and list(clf.classes_) == ["no", "unused", "yes"]
    assert any(not np.array_equal(a, b) for a, b in zip(first, _weights(clf), strict=True))
    assert clf.predict_proba(X).shape == (300, 3)
    reg = MLPRegressor(hidden_sizes=(16,)).partial_fit(X, X[:, 0])
    assert reg.predict(X).shape == (300,) and reg.n_epochs_ == 1


def test_expired_deadline_raises_before_training(binary_data: tuple[np.ndarray, np.ndarray]) -> None:
    expired = Deadline(end=0.0, clock=lambda: 1.0)
    with pytest.raises(DeadlineExceeded):
        MLPClassifier(**FAST).fit(*binary_data, deadline=expired)


def test_deadline_is_checked_during_training(binary_data: tuple[np.ndarray, np.ndarray]) -> None:
    ticks = itertools.count()  # a fake clock: one "second" per look
    clf = MLPClassifier(**FAST)
    with pytest.raises(DeadlineExceeded):
        clf.fit(*binary_data, deadline=Deadline(end=5.0, clock=lambda: float(next(ticks))))
    assert 0 < clf.n_epochs_ < FAST["max_epochs"]


def test_epoch_callback_sees_every_epoch(binary_data: tuple[np.ndarray, np.ndarray]) -> None:
    seen: list[tuple[int, float]] = []
    clf = MLPClassifier(**FAST).fit(*binary_data, epoch_callback=lambda e, loss: seen.append((e, loss)))
    assert [e for e, _ in seen] == list(range(1, clf.n_epochs_ + 1))
    assert [loss for _, loss in seen] == clf.validation_curve_


def test_epoch_callback_exception_propagates(binary_data: tuple[np.ndarray, np.ndarray]) -> None:
    class Pruned(Exception):
        pass

    calls: list[int] = []

    def prune_at_three(epoch: int, val_loss: float) -> None:
        calls.append(epoch)
        if epoch == 3:
            raise Pruned

    with pytest.raises(Pruned):
        MLPRegressor(**FAST).fit(binary_data[0], binary_data[0][:, 0], epoch_callback=prune_at_three)
    assert calls == [1, 2, 3]


def test_early_stopping_restores_best_epoch_on_noise() -> None:
    rng = np.random.default_rng(0)
    X, y = rng.normal(size=(200, 10)), rng.normal(size=200)  # nothing to learn: validation loss rises
    reg = MLPRegressor(hidden_sizes=(64,), learning_rate=1e-2, max_epochs=200, patience=3).fit(X, y)
    assert reg.n_epochs_ < 200
    assert reg.best_epoch_ == reg.n_epochs_ - 3
    assert reg.validation_curve_[reg.best_epoch_ - 1] == min(reg.validation_curve_)


def test_clone_gives_unfitted_copy_with_same_params(binary_data: tuple[np.ndarray, np.ndarray]) -> None:
    clf = MLPClassifier(**FAST, activation="gelu").fit(*binary_data)
    copy = clone(clf)
    assert copy.get_params() == clf.get_params()
    assert not hasattr(copy, "module_")


@pytest.mark.parametrize(
    ("params", "match"),
    [
        ({"activation": "swish"}, "activation='swish'"),
        ({"activation": "rellu"}, "did you mean 'relu'"),
        ({"hidden_sizes": (8, 8, 8, 8, 8)}, "hidden_sizes="),
        ({"dropout": 1.5}, "dropout=1.5"),
        ({"optimizer": "lbfgs"}, "optimizer='lbfgs'"),
    ],
)
def test_bad_params_raise_input_error_naming_the_value(
    params: dict[str, Any], match: str, binary_data: tuple[np.ndarray, np.ndarray]
) -> None:
    with pytest.raises(InputError, match=match):
        MLPClassifier(**params).fit(*binary_data)


def test_bad_input_raises_one_line_input_error(binary_data: tuple[np.ndarray, np.ndarray]) -> None:
    X, y = binary_data
    clf = MLPClassifier(**FAST).fit(X, y)
    with pytest.raises(InputError, match=r"3 features.*expecting 8") as wrong_width:
        clf.predict(X[:, :3])
    X_nan = X.copy()
    X_nan[0, 0] = np.nan
    with pytest.raises(InputError, match="NaN") as nan:
        MLPClassifier(**FAST).fit(X_nan, y)
    assert "\n" not in str(wrong_width.value) + str(nan.value)
    with pytest.raises(InputError, match="at least 2 classes"):
        MLPClassifier(**FAST).fit(X, ["yes"] * len(X))


def test_sparse_input_is_densified(regression_data: tuple[np.ndarray, np.ndarray]) -> None:
    X, y = regression_data
    dense = MLPRegressor(**FAST).fit(X, y).predict(X)
    assert np.array_equal(MLPRegressor(**FAST).fit(sp.csr_matrix(X), y).predict(sp.csr_matrix(X)), dense)


@pytest.mark.parametrize(
    "params",
    [
        {"residual": True, "hidden_sizes": (16, 8, 8)},
        {"batch_norm": True, "activation": "tanh", "batch_size": 33},  # leaves a 1-row last batch
        {"optimizer": "sgd", "activation": "silu"},
        {"optimizer": "adam", "activation": "leaky_relu", "validation_fraction": 0.0},
    ],
)
def test_architecture_and_optimizer_options_train(params: dict[str, Any], regression_data: tuple[np.ndarray, np.ndarray]) -> None:
    X, y = regression_data
    reg = MLPRegressor(**{**FAST, "max_epochs": 5, **params}).fit(X[:221], y[:221])  # 199 training rows
    assert np.isfinite(reg.predict(X)).all()


@parametrize_with_checks([MLPClassifier(**FAST), MLPRegressor(**FAST)])
@pytest.mark.filterwarnings("ignore:Can't check dok sparse matrix")  # sklearn's own sparse probe
def test_sklearn_estimator_checks(estimator: Any, check: Any) -> None:
    check(estimator)

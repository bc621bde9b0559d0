"""PyTorch multi-layer perceptrons as scikit-learn estimators: parameters, data and fitted state.

The networks take already preprocessed numeric input (scaling and encoding happen
upstream), train with early stopping on a held-out split, and can keep training
from their current weights (:meth:`fine_tune`, :meth:`partial_fit`) for continual
updates. The network itself is in :mod:`automl.models._mlp_network`, the training
loop in :mod:`automl.models._mlp_training`. Pickled/skops state holds the weights as
``torch.save`` bytes and the architecture as a plain dict, never torch objects, so
loading a model only has to trust the two classes in :data:`MLP_TRUSTED_TYPES`
(the classes stay in this module: their path is what saved models name).
"""

from __future__ import annotations

import contextlib
import dataclasses
import math
from collections.abc import Callable
from typing import Any, Self

import numpy as np
import torch
from scipy.special import softmax
from sklearn.base import BaseEstimator, ClassifierMixin, RegressorMixin
from sklearn.model_selection import train_test_split
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import check_is_fitted, validate_data
from torch import nn

from automl._core import Deadline, InputError, did_you_mean
from automl.models._mlp_network import (
    ACTIVATIONS,
    Architecture,
    build_network,
    device_of,
    forward_in_chunks,
    n_parameters,
    network_from_bytes,
    weights_to_bytes,
)
from automl.models._mlp_training import OPTIMIZERS, LoopSettings, run_epochs, torch_session

__all__ = ["MLP_TRUSTED_TYPES", "MLPClassifier", "MLPRegressor"]

MLP_TRUSTED_TYPES: list[str] = [
    "automl.models._mlp.MLPClassifier",
    "automl.models._mlp.MLPRegressor",
]

EpochCallback = Callable[[int, float], None]

_DEVICES = ("auto", "cpu", "cuda")
_INIT, _SPLIT, _TRAIN = range(3)  # independent random streams derived from random_state


def _is_int(v: Any) -> bool:
    return isinstance(v, (int, np.integer)) and not isinstance(v, (bool, np.bool_))


def _is_real(v: Any) -> bool:
    return (_is_int(v) or isinstance(v, (float, np.floating))) and math.isfinite(v)


# name -> (accepts value?, what is expected). Checked in fit, never in __init__.
_PARAM_RULES: dict[str, tuple[Callable[[Any], bool], str]] = {
    "hidden_sizes": (
        lambda v: isinstance(v, (tuple, list)) and 1 <= len(v) <= 4 and all(_is_int(h) and h >= 1 for h in v),
        "a tuple of 1-4 positive ints",
    ),
    "activation": (lambda v: v in ACTIVATIONS, f"one of {sorted(ACTIVATIONS)}"),
    "dropout": (lambda v: _is_real(v) and 0 <= v < 1, "a float in [0, 1)"),
    "batch_norm": (lambda v: isinstance(v, (bool, np.bool_)), "a bool"),
    "residual": (lambda v: isinstance(v, (bool, np.bool_)), "a bool"),
    "optimizer": (lambda v: v in OPTIMIZERS, f"one of {list(OPTIMIZERS)}"),
    "learning_rate": (lambda v: _is_real(v) and v > 0, "a finite float > 0"),
    "weight_decay": (lambda v: _is_real(v) and v >= 0, "a finite float >= 0"),
    "batch_size": (lambda v: _is_int(v) and v >= 1, "an int >= 1"),
    "max_epochs": (lambda v: _is_int(v) and v >= 1, "an int >= 1"),
    "patience": (lambda v: _is_int(v) and v >= 1, "an int >= 1"),
    "validation_fraction": (lambda v: _is_real(v) and 0 <= v < 1, "a float in [0, 1)"),
    "random_state": (lambda v: v is None or (_is_int(v) and v >= 0), "None or an int >= 0"),
    "n_jobs": (lambda v: _is_int(v) and (v >= 1 or v == -1), "an int >= 1, or -1 for all cores"),
    "device": (lambda v: v in _DEVICES, f"one of {list(_DEVICES)}"),
}

_PARAM_RULES_OPTIONS = {"activation": tuple(ACTIVATIONS), "optimizer": OPTIMIZERS, "device": _DEVICES}


def _check_value(owner: str, name: str, value: Any) -> None:
    accepts, expected = _PARAM_RULES[name]
    ok = False
    with contextlib.suppress(TypeError):
        ok = bool(accepts(value))
    if not ok:
        hint = did_you_mean(value, _PARAM_RULES_OPTIONS.get(name, ())) if isinstance(value, str) else ""
        raise InputError(f"{owner}: {name}={value!r} is invalid; expected {expected}{hint}")


def _checked_architecture(stored: Any, weight_bytes: int) -> Architecture:
    """The saved architecture, refused when malformed or bigger than its stored weights.

    A saved file could otherwise name a network of billions of units: building it would
    exhaust memory before the (small) stored weights are found not to fit.
    """
    fields = {f.name for f in dataclasses.fields(Architecture)}
    if not isinstance(stored, dict) or set(stored) != fields:
        raise InputError(f"saved MLP architecture is malformed: expected the fields {sorted(fields)}")
    for name in ("hidden_sizes", "activation", "dropout", "batch_norm", "residual"):
        _check_value("saved MLP architecture", name, stored[name])
    for name in ("n_inputs", "n_outputs"):
        if not _is_int(stored[name]) or stored[name] < 1:
            raise InputError(f"saved MLP architecture: {name}={stored[name]!r} is invalid; expected an int >= 1")
    arch = Architecture.from_dict(stored)
    if 4 * n_parameters(arch) > weight_bytes:  # float32 weights; the file also holds buffers and headers
        raise InputError(
            f"saved MLP architecture needs {n_parameters(arch):,} weights but only {weight_bytes:,} bytes are stored"
        )
    return arch


class _BaseMLP(BaseEstimator):  # type: ignore[misc]  # sklearn has no type hints
    """Shared estimator logic; subclasses only say how targets become tensors and losses."""

    def __init__(
        self,
        hidden_sizes: tuple[int, ...] = (128, 64),
        activation: str = "relu",
        dropout: float = 0.1,
        batch_norm: bool = False,
        residual: bool = False,
        optimizer: str = "adamw",
        learning_rate: float = 1e-3,
        weight_decay: float = 1e-4,
        batch_size: int = 128,
        max_epochs: int = 100,
        patience: int = 10,
        validation_fraction: float = 0.1,
        random_state: int | None = 0,
        n_jobs: int = 1,
        device: str = "auto",
    ) -> None:
        self.hidden_sizes = hidden_sizes
        self.activation = activation
        self.dropout = dropout
        self.batch_norm = batch_norm
        self.residual = residual
        self.optimizer = optimizer
        self.learning_rate = learning_rate
        self.weight_decay = weight_decay
        self.batch_size = batch_size
        self.max_epochs = max_epochs
        self.patience = patience
        self.validation_fraction = validation_fraction
        self.random_state = random_state
        self.n_jobs = n_jobs
        self.device = device

    # --- hooks for subclasses -------------------------------------------------
    def _init_targets(self, y: np.ndarray, classes: Any) -> None:
        raise NotImplementedError

    def _encode_targets(self, y: np.ndarray) -> torch.Tensor:
        raise NotImplementedError

    def _n_outputs(self) -> int:
        raise NotImplementedError

    def _loss_fn(self) -> nn.Module:
        raise NotImplementedError

    # --- public API -----------------------------------------------------------
    def fit(self, X: Any, y: Any, deadline: Deadline | None = None, epoch_callback: EpochCallback | None = None) -> Self:
        """Train from scratch with early stopping on a held-out split, then restore the best weights.

        Args:
            X: Preprocessed numeric features, shape (n_samples, n_features); sparse is densified.
            y: Targets (labels for the classifier, numbers for the regressor).
            deadline: Checked before every batch and validation chunk; ``None`` means no limit.
            epoch_callback: Called as ``epoch_callback(epoch, val_loss)`` after each epoch
                (``epoch`` counts from 1); anything it raises (e.g. ``optuna.TrialPruned``)
                propagates, which is how per-epoch pruning plugs in. When the data are too
                few for a split (or ``validation_fraction=0``), ``val_loss`` is measured on
                the training rows.

        Returns:
            self

        Raises:
            InputError: Bad parameter values or unusable X / y.
            DeadlineExceeded: The deadline passed before training finished.
        """
        deadline = Deadline.unlimited() if deadline is None else deadline
        X, y = self._start(X, y, classes=None)
        deadline.check("MLP fit")
        X_tr, y_tr, X_val, y_val = self._split(X, y, np.random.default_rng(self._seed(_SPLIT)))
        self._train(
            (X_tr, y_tr),
            (X_val, y_val),
            epochs=self.max_epochs,
            learning_rate=self.learning_rate,
            deadline=deadline,
            epoch_callback=epoch_callback,
            early_stopping=True,
        )
        return self

    def fine_tune(
        self, X: Any, y: Any, epochs: int, learning_rate: float | None = None, deadline: Deadline | None = None
    ) -> Self:
        """Keep training the current weights for exactly ``epochs`` epochs on all of (X, y).

        There is no split and no early stopping: the new data are usually small and the
        caller (a champion/challenger decision) judges the result on its own holdout.
        ``learning_rate=None`` reuses ``self.learning_rate``; the optimizer starts fresh.
        Both curves grow by the losses on (X, y), and ``n_epochs_`` by ``epochs``.

        Raises:
            InputError: Bad ``epochs``/``learning_rate``, wrong width, or labels not in ``classes_``.
            DeadlineExceeded: The deadline passed before the epochs were done.
        """
        check_is_fitted(self)
        _check_value(type(self).__name__, "max_epochs", epochs)  # same rule: an int >= 1
        lr = self.learning_rate if learning_rate is None else learning_rate
        _check_value(type(self).__name__, "learning_rate", lr)
        deadline = Deadline.unlimited() if deadline is None else deadline
        X, y = self._validate(X, y, reset=False)
        deadline.check("MLP fine-tune")
        self._train((X, y), (X, y), epochs=int(epochs), learning_rate=lr, deadline=deadline)
        return self

    def _partial_fit(self, X: Any, y: Any, classes: Any) -> Self:
        if hasattr(self, "module_"):
            X, y = self._validate(X, y, reset=False)
        else:
            X, y = self._start(X, y, classes)
        self._train((X, y), (X, y), epochs=1, learning_rate=self.learning_rate, deadline=Deadline.unlimited())
        return self

    # --- internals ------------------------------------------------------------
    def _resolve_device(self) -> str:
        if self.device == "auto":
            return "cuda" if torch.cuda.is_available() else "cpu"
        if self.device == "cuda" and not torch.cuda.is_available():
            raise InputError(f"{type(self).__name__}: device='cuda' but no CUDA device is available; use 'auto'")
        return str(self.device)

    def _seed(self, purpose: int, step: int = 0) -> int:
        """A seed fixed by ``random_state``, the purpose (_INIT/_SPLIT/_TRAIN) and the epochs already run."""
        entropy = None if self.random_state is None else [int(self.random_state), purpose, step]
        return int(np.random.SeedSequence(entropy).generate_state(1, dtype=np.uint64)[0] >> 1)

    def _validate(self, X: Any, y: Any = None, *, reset: bool) -> tuple[np.ndarray, Any]:
        """Check X (and y) with sklearn's rules, re-raised as one-line :class:`InputError`."""
        if len(getattr(X, "shape", None) or np.shape(np.asarray(X))) == 1:
            raise InputError(
                f"{type(self).__name__}: X is 1-D but must be 2-D; Reshape your data with "
                "X.reshape(-1, 1) (one feature) or X.reshape(1, -1) (one sample)"
            )
        try:
            if y is None and not reset:
                X = validate_data(self, X, reset=False, accept_sparse=True, dtype=np.float32)
            else:
                X, y = validate_data(
                    self, X, y, reset=reset, accept_sparse=True, dtype=np.float32, y_numeric=isinstance(self, RegressorMixin)
                )
        except ValueError as exc:
            line = str(exc).strip().splitlines()[0]
            fix = "; impute or clip it upstream" if "NaN" in line or "infinity" in line else ""
            raise InputError(f"{type(self).__name__}: {line}{fix}") from exc
        if hasattr(X, "toarray"):
            X = X.toarray()
        return np.ascontiguousarray(X, dtype=np.float32), y

    def _split(self, X: np.ndarray, y: np.ndarray, rng: np.random.Generator) -> tuple[np.ndarray, Any, np.ndarray, Any]:
        """Hold out ``validation_fraction`` rows (stratified when every class can be split)."""
        n_val = int(round(self.validation_fraction * len(X)))
        if n_val < 1 or len(X) - n_val < 1:
            return X, y, X, y
        stratify = None
        if isinstance(self, ClassifierMixin):
            _, counts = np.unique(y, return_counts=True)
            if counts.min() >= 2 and len(counts) <= min(n_val, len(X) - n_val):
                stratify = y
        X_tr, X_val, y_tr, y_val = train_test_split(
            X, y, test_size=n_val, stratify=stratify, random_state=int(rng.integers(2**31))
        )
        return X_tr, y_tr, X_val, y_val

    def _start(self, X: Any, y: Any, classes: Any) -> tuple[np.ndarray, Any]:
        """Validate everything and build a freshly initialised network (fit, first partial_fit)."""
        for name in _PARAM_RULES:
            _check_value(type(self).__name__, name, getattr(self, name))
        device = torch.device(self._resolve_device())
        X, y = self._validate(X, y, reset=True)
        self._init_targets(y, classes)
        self._architecture = Architecture(
            self.n_features_in_,
            self._n_outputs(),
            tuple(int(h) for h in self.hidden_sizes),
            str(self.activation),
            float(self.dropout),
            bool(self.batch_norm),
            bool(self.residual),
        )
        with torch_session(self.n_jobs, self._seed(_INIT)):
            self.module_ = build_network(self._architecture).to(device)
        self.loss_curve_: list[float] = []
        self.validation_curve_: list[float] = []
        self.n_epochs_ = 0
        self.best_epoch_ = 0
        return X, y

    def _train(
        self,
        train: tuple[np.ndarray, Any],
        val: tuple[np.ndarray, Any],
        *,
        epochs: int,
        learning_rate: float,
        deadline: Deadline,
        epoch_callback: EpochCallback | None = None,
        early_stopping: bool = False,
    ) -> None:
        """Run up to ``epochs`` epochs, seeded by ``random_state`` and the epochs already run."""
        seed = self._seed(_TRAIN, self.n_epochs_)
        settings = LoopSettings(
            str(self.optimizer),
            float(learning_rate),
            float(self.weight_decay),
            int(self.batch_size),
            bool(self.batch_norm),
            int(self.patience) if early_stopping else None,
        )
        started = self.n_epochs_

        def record(train_loss: float, monitored: float) -> None:
            self.loss_curve_.append(train_loss)
            self.validation_curve_.append(monitored)
            self.n_epochs_ += 1
            if epoch_callback is not None:
                epoch_callback(self.n_epochs_, monitored)

        with torch_session(self.n_jobs, seed):
            device = device_of(self.module_)
            data = (torch.tensor(train[0], device=device), self._encode_targets(train[1]).to(device))
            monitor = (torch.tensor(val[0], device=device), self._encode_targets(val[1]).to(device))
            best = run_epochs(
                self.module_,
                data,
                monitor,
                self._loss_fn(),
                settings,
                epochs=epochs,
                rng=np.random.default_rng(seed),
                deadline=deadline,
                record=record,
            )
        if best is not None:
            self.best_epoch_ = started + best

    def _forward(self, X: Any) -> np.ndarray:
        """Network outputs for X in eval mode, as a float64 array."""
        check_is_fitted(self)
        X, _ = self._validate(X, reset=False)
        with torch_session(self.n_jobs, None):
            return forward_in_chunks(self.module_, X)

    def __sklearn_tags__(self) -> Any:
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = True  # densified, since inputs are small preprocessed tables
        return tags

    # --- persistence: no torch objects in the state ----------------------------
    def __getstate__(self) -> dict[str, Any]:
        state = dict(super().__getstate__())
        module = state.pop("module_", None)
        if module is not None:
            state["_weights"] = weights_to_bytes(module)
            state["_architecture"] = state["_architecture"].to_dict()
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        state = dict(state)
        weights = state.pop("_weights", None)
        if weights is not None:
            if not isinstance(weights, bytes):
                raise InputError(f"{type(self).__name__}: stored weights are a {type(weights).__name__}, not bytes")
            state["_architecture"] = _checked_architecture(state.get("_architecture"), len(weights))
        super().__setstate__(state)
        if weights is not None:
            self.module_ = network_from_bytes(self._architecture, weights)


class MLPClassifier(ClassifierMixin, _BaseMLP):  # type: ignore[misc]  # sklearn has no type hints
    """Feed-forward network classifier trained with cross-entropy; labels may be strings or ints.

    Parameters are documented on :class:`MLPRegressor` (they are the same). Binary problems
    use two softmax outputs, so ``predict_proba`` always has one column per ``classes_``.

    Example:
        >>> from sklearn.datasets import make_classification
        >>> X, y = make_classification(n_samples=200, random_state=0)
        >>> clf = MLPClassifier(hidden_sizes=(16,), max_epochs=5).fit(X, y)
        >>> clf.predict_proba(X[:3]).shape
        (3, 2)
    """

    def partial_fit(self, X: Any, y: Any, classes: Any = None) -> Self:
        """Train one epoch on (X, y); the first call builds the network.

        ``classes`` fixes ``classes_`` on the first call (later batches may miss some
        labels); it defaults to the labels in the first ``y``.
        """
        return self._partial_fit(X, y, classes)

    def predict_proba(self, X: Any) -> np.ndarray:
        """Class probabilities, shape (n_samples, n_classes), columns ordered as ``classes_``."""
        return np.asarray(softmax(self._forward(X), axis=1))

    def predict(self, X: Any) -> np.ndarray:
        winners = np.argmax(self._forward(X), axis=1)  # before classes_: unfitted -> NotFittedError
        return np.asarray(self.classes_[winners])

    def _init_targets(self, y: np.ndarray, classes: Any) -> None:
        try:
            check_classification_targets(y)
        except ValueError as exc:
            raise InputError(f"MLPClassifier: {str(exc).splitlines()[0]}") from exc
        self.classes_ = np.unique(y if classes is None else np.asarray(classes))
        if len(self.classes_) < 2:
            raise InputError(f"MLPClassifier: y has 1 class ({self.classes_[0]!r}); at least 2 classes are needed")

    def _encode_targets(self, y: Any) -> torch.Tensor:
        unseen = np.setdiff1d(np.asarray(y), self.classes_)
        if len(unseen):
            raise InputError(
                f"MLPClassifier: y has labels {unseen.tolist()} not in classes_="
                f"{self.classes_.tolist()}; refit (or pass classes= to the first partial_fit)"
            )
        return torch.from_numpy(np.searchsorted(self.classes_, y).astype(np.int64))

    def _n_outputs(self) -> int:
        return len(self.classes_)

    def _loss_fn(self) -> nn.Module:
        return nn.CrossEntropyLoss()


class MLPRegressor(RegressorMixin, _BaseMLP):  # type: ignore[misc]  # sklearn has no type hints
    """Feed-forward network regressor trained with MSE on standardized targets.

    y is standardized with the mean/std seen at ``fit`` (or the first ``partial_fit``)
    and mapped back at predict time: networks train badly on raw targets such as
    house prices (~2e5), and fine-tuning keeps the original scaling.

    Args:
        hidden_sizes: Widths of the 1-4 hidden layers.
        activation: ``relu``, ``gelu``, ``tanh``, ``silu`` or ``leaky_relu``.
        dropout: Dropout probability after every hidden layer, in [0, 1).
        batch_norm: BatchNorm after each hidden linear layer.
        residual: Skip connection around every hidden layer: identity when the widths
            match, a bias-free linear projection when they differ.
        optimizer: ``adam``, ``adamw`` or ``sgd`` (momentum 0.9).
        learning_rate, weight_decay, batch_size: Optimizer settings.
        max_epochs, patience: Early stopping stops ``patience`` epochs after the best
            validation loss and restores the best weights.
        validation_fraction: Held-out share for early stopping (stratified for the
            classifier when every class has 2+ rows); 0 monitors the training loss.
        random_state: Seeds torch and numpy inside each call; same seed and data give
            bitwise identical CPU predictions. ``None`` draws fresh entropy.
        n_jobs: torch threads during fit/predict (-1: all cores); restored afterwards.
        device: ``auto`` (CUDA when available), ``cpu`` or ``cuda``. Only CPU runs are
            guaranteed deterministic.

    Fitted attributes: ``module_`` (the torch network), ``n_features_in_``,
    ``loss_curve_`` (training loss per epoch), ``validation_curve_`` (monitored loss
    per epoch), ``n_epochs_`` (all epochs run, including fine-tuning), ``best_epoch_``
    (the 1-based epoch whose weights ``fit`` kept), ``y_mean_``/``y_scale_``.

    Example:
        >>> from sklearn.datasets import make_regression
        >>> X, y = make_regression(n_samples=200, n_features=5, random_state=0)
        >>> reg = MLPRegressor(hidden_sizes=(16,), max_epochs=5).fit(X, y)
        >>> reg.predict(X[:3]).shape
        (3,)
    """

    def partial_fit(self, X: Any, y: Any) -> Self:
        """Train one epoch on (X, y); the first call builds the network and fixes the y scaling."""
        return self._partial_fit(X, y, None)

    def predict(self, X: Any) -> np.ndarray:
        return np.asarray(self._forward(X)[:, 0] * self.y_scale_ + self.y_mean_)

    def _init_targets(self, y: np.ndarray, classes: Any) -> None:
        y = np.asarray(y, dtype=np.float64)
        self.y_mean_ = float(y.mean())
        std = float(y.std())
        self.y_scale_ = std if std > 0 else 1.0

    def _encode_targets(self, y: Any) -> torch.Tensor:
        scaled = (np.asarray(y, dtype=np.float64) - self.y_mean_) / self.y_scale_
        return torch.from_numpy(scaled.astype(np.float32).reshape(-1, 1))

    def _n_outputs(self) -> int:
        return 1

    def _loss_fn(self) -> nn.Module:
        return nn.MSELoss()

"""Registries and real fitted models for the registry and gate tests."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sklearn.datasets import make_classification

from automl.data import fingerprint
from automl.models import ModelCard, TabularModel, save_model
from automl.registry import Lineage, Registry


def make_table(n: int = 400, seed: int = 0) -> pd.DataFrame:
    X, y = make_classification(n_samples=n, n_features=5, n_informative=3, n_redundant=0, random_state=seed)
    frame = pd.DataFrame(X, columns=["a", "b", "c", "d", "e"])
    frame["group"] = np.where(X[:, 0] > 0, "north", "south")
    frame["y"] = np.where(y == 1, "yes", "no")
    return frame


def fit_model(frame: pd.DataFrame, columns: list[str] | None = None, C: float = 1.0, seed: int = 0) -> TabularModel:
    """A real logistic-regression pipeline on ``columns`` (default: every feature)."""
    X = frame.drop(columns="y")
    X = X[columns] if columns else X
    return TabularModel("logistic_regression", {"C": C, "max_iter": 500}, "binary", True, "onehot", random_state=seed).fit(
        X, frame["y"]
    )


def card_for(frame: pd.DataFrame, family: str = "logistic_regression") -> ModelCard:
    X, y = frame.drop(columns="y"), frame["y"]
    return ModelCard(
        task="binary",
        metric="roc_auc",
        family=family,
        params={},
        cv_score=None,
        data_fingerprint=fingerprint(X, y).content,
        target="y",
        classes=["no", "yes"],
    )


@pytest.fixture
def train_frame() -> pd.DataFrame:
    return make_table(400, seed=0)


@pytest.fixture
def model_folder(tmp_path: Path, train_frame: pd.DataFrame) -> Callable[..., Path]:
    """Save a real fitted model to a new folder; keyword args go to :func:`fit_model`."""
    counter = iter(range(1_000_000))

    def make(**kwargs: object) -> Path:
        model = fit_model(train_frame, **kwargs)  # type: ignore[arg-type]
        return save_model(model, tmp_path / "models" / f"m{next(counter)}", card_for(train_frame))

    return make


@pytest.fixture
def registry_url(storage_url: str, tmp_path: Path) -> str:
    """A registry database, once SQLite and once a real PostgreSQL server (its artifact folder recorded)."""
    Registry(storage_url, artifacts=tmp_path / "registry_artifacts").close()
    return storage_url


@pytest.fixture
def registry(registry_url: str) -> Iterator[Registry]:
    with Registry(registry_url) as reg:
        yield reg


def search_lineage(frame: pd.DataFrame, parent: int | None = None) -> Lineage:
    X, y = frame.drop(columns="y"), frame["y"]
    return Lineage("search", parent_version=parent, data_fingerprints=(fingerprint(X, y).content,))

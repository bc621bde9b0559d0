"""Shared fixtures: small seeded tables and paths to the shared benchmark datasets."""

from __future__ import annotations

import json
import random
from pathlib import Path

import numpy as np
import optuna
import pandas as pd
import pytest
from sklearn.datasets import make_classification, make_regression

REPO = Path(__file__).resolve().parents[1]
SHARED_DATASETS = REPO.parent / "shared" / "datasets"


@pytest.fixture(autouse=True)
def _seed() -> None:
    random.seed(0)
    np.random.seed(0)


@pytest.fixture(autouse=True)
def _quiet_optuna() -> None:
    optuna.logging.set_verbosity(optuna.logging.WARNING)


def manifest() -> dict[str, dict]:
    path = SHARED_DATASETS / "manifest.json"
    if not path.exists():
        return {}
    return {d["name"]: d for d in json.loads(path.read_text())}


def shared_dataset(name: str) -> tuple[Path, dict]:
    """Path and manifest entry of a shared dataset; skip the test when shared/ is absent."""
    entries = manifest()
    if name not in entries:
        pytest.skip(f"shared dataset '{name}' not available")
    return SHARED_DATASETS / entries[name]["file"], entries[name]


@pytest.fixture
def binary_frame() -> pd.DataFrame:
    """120 rows: 4 numeric columns, one string category with a missing value, string labels."""
    X, y = make_classification(n_samples=120, n_features=4, n_informative=3, n_redundant=0, random_state=0)
    frame = pd.DataFrame(X, columns=["a", "b", "c", "d"])
    frame["colour"] = np.where(X[:, 0] > 0, "red", "blue")
    frame.loc[3, "colour"] = None
    frame["label"] = np.where(y == 1, "yes", "no")
    return frame


@pytest.fixture
def multiclass_frame() -> pd.DataFrame:
    X, y = make_classification(n_samples=150, n_features=5, n_informative=4, n_redundant=0, n_classes=3, random_state=1)
    frame = pd.DataFrame(X, columns=[f"f{i}" for i in range(5)])
    frame["cls"] = y
    return frame


@pytest.fixture
def regression_frame() -> pd.DataFrame:
    X, y = make_regression(n_samples=120, n_features=4, noise=5.0, random_state=2)
    frame = pd.DataFrame(X, columns=["p", "q", "r", "s"])
    frame["y"] = y
    return frame


@pytest.fixture
def memory_storage() -> optuna.storages.BaseStorage:
    return optuna.storages.InMemoryStorage()

"""Shared fixtures: small seeded tables and paths to the shared benchmark datasets."""

from __future__ import annotations

import importlib.util
import json
import os
import random
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import optuna
import pandas as pd
import pytest
from sklearn.datasets import make_classification, make_regression

REPO = Path(__file__).resolve().parents[1]
SHARED_DATASETS = REPO.parent / "shared" / "datasets"
ARTIFACTS = REPO / "test-artifacts"  # screenshots and other evidence kept after the run (git-ignored)


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


def _pg_test_server() -> Any:
    """``scripts/pg_test_server.py`` (a script, not part of the package), imported by path once."""
    if "pg_test_server" not in sys.modules:
        spec = importlib.util.spec_from_file_location("pg_test_server", REPO / "scripts" / "pg_test_server.py")
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        sys.modules["pg_test_server"] = module  # dataclasses look their module up there
        spec.loader.exec_module(module)
    return sys.modules["pg_test_server"]


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[Any]:
    """A real PostgreSQL server on 127.0.0.1 for the whole session (``scripts/pg_test_server.py``).

    If it cannot start, every test that needs it fails with the reason. Only an explicit
    ``AUTOML_TEST_POSTGRES=skip`` skips them, and never in CI.
    """
    if os.environ.get("AUTOML_TEST_POSTGRES") == "skip":
        if os.environ.get("CI"):
            pytest.fail("AUTOML_TEST_POSTGRES=skip is not honoured in CI: the PostgreSQL tests must run")
        pytest.skip("PostgreSQL tests skipped on request (AUTOML_TEST_POSTGRES=skip)")
    module = _pg_test_server()
    try:
        server = module.PostgresServer.start()
    except (module.PostgresUnavailable, OSError) as exc:
        pytest.fail(f"cannot start the test PostgreSQL server: {exc}")
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def postgres_url(postgres_server: Any) -> str:
    """A fresh, empty database on the session's server: ``postgresql+psycopg://automl_test:PW@127.0.0.1:PORT/t_...``."""
    return str(postgres_server.create_database(f"t_{uuid.uuid4().hex[:16]}"))


@pytest.fixture(params=["sqlite", "postgresql"])
def storage_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """An empty RDB storage URL; a test using it runs once on SQLite and once on the real PostgreSQL server."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'storage.db'}"
    return str(request.getfixturevalue("postgres_url"))

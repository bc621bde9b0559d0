"""Saved models on three dev-suite datasets and their ``automl evaluate`` reports, built once per session.

The datasets are subsampled so the whole folder stays fast; small bootstrap and
permutation counts are passed on the command line for the same reason.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from automl.models import TabularModel
from tests.evaluation._cases import Case, make_case


@pytest.fixture(scope="session")
def binary_case(tmp_path_factory: pytest.TempPathFactory) -> Case:
    model = TabularModel("logistic_regression", {"max_iter": 300}, task="binary", scale=True, categorical="onehot")
    return make_case(tmp_path_factory.mktemp("eval"), "credit_data", model, "roc_auc", 1200, 700)


@pytest.fixture(scope="session")
def multiclass_case(tmp_path_factory: pytest.TempPathFactory) -> Case:
    model = TabularModel("logistic_regression", {"max_iter": 300}, task="multiclass", scale=True, categorical="onehot")
    return make_case(tmp_path_factory.mktemp("eval"), "penguins", model, "log_loss", 200, 144)


@pytest.fixture(scope="session")
def regression_case(tmp_path_factory: pytest.TempPathFactory) -> Case:
    model = TabularModel("hist_gradient_boosting", {"max_iter": 50}, task="regression")
    return make_case(tmp_path_factory.mktemp("eval"), "cpu_act", model, "rmse", 1000, 600)


@pytest.fixture(scope="session")
def binary_report(binary_case: Case) -> Path:
    """Every option on the binary case: slices, invariant, directional, costs, training data, a champion."""
    code, out = binary_case.run(
        "--slices",
        "Home,Age",
        "--invariant",
        "Marital",
        "--directional",
        "Debt:+,Income:-",
        "--cost-fp",
        "1",
        "--cost-fn",
        "5",
        "--positive-class",
        "bad",
        "--train",
        str(binary_case.train_csv),
        "--against",
        str(binary_case.model_dir),
    )
    assert code == 0
    return out


@pytest.fixture(scope="session")
def multiclass_run(multiclass_case: Case) -> tuple[int, Path]:
    """As a CI gate: ``--fail-on-check`` with the model as its own champion, which it cannot beat."""
    return multiclass_case.run(
        "--slices",
        "island,bill_length_mm",
        "--invariant",
        "sex",
        "--directional",
        "body_mass_g:+",
        "--train",
        str(multiclass_case.train_csv),
        "--against",
        str(multiclass_case.model_dir),
        "--fail-on-check",
    )


@pytest.fixture(scope="session")
def multiclass_report(multiclass_run: tuple[int, Path]) -> Path:
    return multiclass_run[1]

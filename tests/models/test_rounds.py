"""Early-stopped boosting rounds, and the fixed-rounds parameters a refit on all rows uses."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.datasets import make_regression
from sklearn.ensemble import HistGradientBoostingRegressor

from automl.models import REFIT_ROUNDS_SCALE, XGBoostModel, early_stopped_rounds, with_fixed_rounds

HGB = {"max_iter": 2000, "early_stopping": True, "validation_fraction": 0.1, "learning_rate": 0.3}
XGB = {"n_estimators": 3000, "early_stopping_rounds": 10, "validation_fraction": 0.1, "learning_rate": 0.3}


def _rows(n: int) -> tuple[np.ndarray, np.ndarray]:
    return make_regression(n_samples=n, n_features=5, noise=20.0, random_state=0)


def test_hist_gradient_boosting_rounds_are_read_only_when_it_stopped_early() -> None:
    X, y = _rows(400)
    stopped = HistGradientBoostingRegressor(**HGB, random_state=0).fit(X, y)
    assert early_stopped_rounds(stopped) == stopped.n_iter_ < 2000
    plain = HistGradientBoostingRegressor(max_iter=30, early_stopping=False).fit(X, y)
    assert early_stopped_rounds(plain) is None


def test_xgboost_rounds_are_read_only_when_a_validation_part_stopped_it() -> None:
    X, y = _rows(400)
    stopped = XGBoostModel(params=XGB, task="regression", random_state=0).fit(X, y)
    assert early_stopped_rounds(stopped) == stopped.n_rounds_ < 3000
    too_few = XGBoostModel(params=XGB, task="regression", random_state=0).fit(X[:30], y[:30])  # 3 rows to validate on
    assert early_stopped_rounds(too_few) is None


@pytest.mark.parametrize(("params", "key"), [(HGB, "max_iter"), (XGB, "n_estimators")])
def test_fixed_rounds_are_the_folds_mean_scaled_and_capped(params: dict[str, object], key: str) -> None:
    fixed = with_fixed_rounds(params, [100, 120, 140])
    assert fixed is not None
    assert fixed[key] == round(120 * REFIT_ROUNDS_SCALE)
    assert fixed.get("early_stopping", False) is False and "early_stopping_rounds" not in fixed
    assert with_fixed_rounds(params, [10**9])[key] == params[key]  # type: ignore[index]  # never past the upper bound
    assert params[key] in (2000, 3000)  # the trial's own parameters are left as they were


def test_a_fixed_rounds_refit_boosts_exactly_that_many_rounds() -> None:
    X, y = _rows(400)
    hgb = with_fixed_rounds(HGB, [40])
    xgb = with_fixed_rounds(XGB, [40])
    assert hgb is not None and xgb is not None
    assert HistGradientBoostingRegressor(**hgb).fit(X, y).n_iter_ == 46
    assert XGBoostModel(params=xgb, task="regression", random_state=0).fit(X, y).n_rounds_ == 46


@pytest.mark.parametrize("rounds", [[], [0], [-3], [True], ["12"], [1.5], [12, None]])
def test_rounds_that_are_not_positive_integers_are_not_used(rounds: list[object]) -> None:
    assert with_fixed_rounds(HGB, rounds) is None  # type: ignore[arg-type]  # as read from a study file


def test_parameters_without_early_stopping_have_no_fixed_rounds() -> None:
    assert with_fixed_rounds({"n_estimators": 200, "max_depth": 6}, [50]) is None
    assert with_fixed_rounds({**HGB, "early_stopping": False}, [50]) is None

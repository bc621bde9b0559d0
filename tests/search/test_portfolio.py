"""A portfolio first: the families' defaults and portfolio entries, by priority, sized to the table;
then the sampler. Families whose measured trials cannot finish in the time left are skipped."""

from __future__ import annotations

import re
from pathlib import Path

import optuna
import pandas as pd
import pytest

import automl
from automl._core import Deadline, SpaceError
from automl.search import select_spaces
from automl.search._objective import FAMILY_PARAM, cannot_finish
from automl.spaces import load_space, load_spaces, portfolio_trials


def test_portfolio_order_and_forest_sizing() -> None:
    spaces = select_spaces(load_spaces(), "binary", None)
    queue = portfolio_trials(spaces, 20_000)
    families = [family for family, _ in queue]
    assert families[:3] == ["logistic_regression", "hist_gradient_boosting", "xgboost"]
    assert families.count("hist_gradient_boosting") == 3 and families.count("xgboost") == 3
    learning_rates = [params["xgboost.learning_rate"] for family, params in queue if family == "xgboost"]
    assert learning_rates == [0.1, 0.05, 0.02]  # defaults, then by priority
    assert set(families) == set(spaces)
    forest = dict(queue)["random_forest"]
    assert forest["random_forest.n_estimators"] == 50  # 1e6 / 20,000 rows
    small = dict(portfolio_trials(spaces, 1_000))["random_forest"]
    assert small["random_forest.n_estimators"] == spaces["random_forest"].defaults["n_estimators"]


def test_an_entry_with_a_min_budget_is_tried_only_with_that_much_time() -> None:
    spaces = select_spaces(load_spaces(), "multiclass", None)
    long_only = [e for e in spaces["mlp"].portfolio if e.min_budget > 0]
    assert long_only, "mlp.yaml's wide network is for long budgets"

    def mlp_configs(budget: float | None) -> list[dict[str, object]]:
        return [params for family, params in portfolio_trials(spaces, 5_000, budget) if family == "mlp"]

    assert len(mlp_configs(60.0)) == 1  # the defaults only
    assert len(mlp_configs(long_only[0].min_budget)) == len(mlp_configs(None)) == 2
    assert mlp_configs(300.0)[-1]["mlp.units_l0"] == 512


def test_a_new_study_enqueues_the_portfolio(binary_frame: pd.DataFrame) -> None:
    result = automl.search(
        binary_frame,
        "label",
        n_trials=3,
        time_budget=None,
        storage=optuna.storages.InMemoryStorage(),
        output_dir=None,
        families=["xgboost", "hist_gradient_boosting"],
    )
    trials = sorted(result.study.get_trials(states=(optuna.trial.TrialState.COMPLETE,)), key=lambda t: t.number)
    assert [t.params[FAMILY_PARAM] for t in trials] == ["hist_gradient_boosting", "xgboost", "hist_gradient_boosting"]
    assert trials[2].params["hist_gradient_boosting.max_leaf_nodes"] == 15


def test_bad_portfolio_entries_name_file_and_key(tmp_path: Path) -> None:
    text = (Path(automl.__file__).parents[1] / "search_spaces" / "ridge.yaml").read_text()
    bad = tmp_path / "ridge.yaml"
    bad.write_text(text + "portfolio:\n  - priority: 1\n    params: {alpha: 5000.0}\n")
    with pytest.raises(SpaceError, match=r"ridge.yaml:\d+: portfolio.alpha: value 5000.0 is outside"):
        load_space(bad)
    bad.write_text(text + "portfolio:\n  - priority: 1\n    min_budget: -5\n    params: {alpha: 1.0}\n")
    with pytest.raises(SpaceError, match=r"ridge.yaml:\d+: portfolio: entry 1: 'min_budget' must be seconds >= 0, got -5"):
        load_space(bad)
    bad.write_text(text + "rows_budget: {alpha: 10}\n")
    with pytest.raises(SpaceError, match=re.escape("rows_budget.alpha: must name an int parameter")):
        load_space(bad)


def test_a_family_whose_fastest_trial_exceeds_the_time_left_is_skipped() -> None:
    study = optuna.create_study()
    trial = optuna.trial.create_trial(
        params={FAMILY_PARAM: "random_forest"},
        value=0.5,
        user_attrs={"fit_seconds": 30.0},
        distributions={FAMILY_PARAM: optuna.distributions.CategoricalDistribution(["random_forest", "ridge"])},
    )
    study.add_trial(trial)
    now = [0.0]
    deadline = Deadline(40.0, lambda: now[0])
    assert cannot_finish(study, "random_forest", deadline) is None
    now[0] = 20.0
    assert "random_forest trials took at least 30.0 s, 20.0 s left" in str(cannot_finish(study, "random_forest", deadline))
    assert cannot_finish(study, "ridge", deadline) is None  # never measured: tried
    assert cannot_finish(study, "random_forest", Deadline.unlimited()) is None

"""Resampling that adapts to the table instead of refusing it: rare classes, tiny tables, time order."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import optuna
import pandas as pd
import pytest

import automl
from automl import api
from automl._core import InputError
from automl.cli import main
from automl.search._resampling import FEWER_FOLDS, HOLDOUT_MIN_ROWS, auto_folds, make_resampling, row_scale


def _classes(counts: dict[object, int]) -> pd.Series:
    return pd.Series(np.repeat(list(counts), list(counts.values())), name="y")


def test_every_training_part_sees_every_class_and_singletons_are_never_validated() -> None:
    y = _classes({0: 40, 1: 30, 9: 2, 7: 1})
    plan = make_resampling(y, "multiclass", n_folds=None, seed=0, source="t")
    assert plan.kind == "cv" and plan.n_splits == 5
    single = int(np.flatnonzero(y.to_numpy() == 7)[0])
    labels = y.to_numpy()
    for train, valid in plan.splits:
        assert set(labels[train]) == {0, 1, 7, 9}
        assert single in train and single not in valid
        assert not set(train) & set(valid)
    assert sorted(plan.scored_rows) == sorted(set(range(len(y))) - {single})
    assert "class 7 with a single row: trained on in every split, never validated" in plan.describe()
    assert "np.int64" not in plan.describe()


def test_folds_drop_to_the_largest_class_when_every_class_is_small() -> None:
    plan = make_resampling(_classes({"a": 3, "b": 2}), "binary", n_folds=5, seed=0, source="t")
    assert plan.n_splits == 3 and "3 folds instead of 5: the largest class has 3 rows" in plan.describe()
    for train, _ in plan.splits:
        assert {"a", "b"} <= set(_classes({"a": 3, "b": 2}).to_numpy()[train])


def test_folds_by_rows() -> None:
    assert auto_folds(500) == 5 and auto_folds(20_000) == FEWER_FOLDS
    regression = pd.Series(np.arange(4, dtype=float), name="y")
    plan = make_resampling(regression, "regression", n_folds=5, seed=0, source="t")
    assert plan.n_splits == 4 and "only 4 rows" in plan.describe()
    big = pd.Series(np.arange(HOLDOUT_MIN_ROWS) % 2, name="y")
    assert make_resampling(big, "binary", n_folds=None, seed=0, source="t").kind == "holdout"


def test_a_longer_budget_resamples_larger_tables_finer() -> None:
    """The thresholds are the 60 s ones up to 60 s and without a budget, and grow with its square root."""
    assert row_scale(None) == row_scale(10) == row_scale(60) == 1.0 and row_scale(240) == 2.0
    assert auto_folds(15_000, 60) == FEWER_FOLDS and auto_folds(15_000, 300) == 5
    big = pd.Series(np.arange(HOLDOUT_MIN_ROWS) % 2, name="y")
    plan = make_resampling(big, "binary", n_folds=None, seed=0, source="t", time_budget=300)
    assert plan.kind == "cv" and plan.n_splits == FEWER_FOLDS
    order = np.arange(HOLDOUT_MIN_ROWS)
    assert make_resampling(big, "binary", n_folds=None, seed=0, source="t", order=order).n_splits == 1
    assert make_resampling(big, "binary", n_folds=None, seed=0, source="t", order=order, time_budget=300).n_splits == 3


def test_time_order_validates_only_on_later_rows() -> None:
    y = pd.Series(np.arange(60) % 3, name="y")
    order = np.random.default_rng(0).permutation(60)  # the time column's order, not the file's
    plan = make_resampling(y, "multiclass", n_folds=4, seed=0, source="t", order=order, time_col="when")
    rank = np.empty(60, dtype=int)
    rank[order] = np.arange(60)
    assert plan.kind == "time" and plan.n_splits == 4
    for train, valid in plan.splits:
        assert rank[train].max() < rank[valid].min()
    assert "by when" in plan.describe()


def test_nothing_to_validate_is_a_one_line_error() -> None:
    with pytest.raises(InputError, match="every class of target 'y' has a single row"):
        make_resampling(_classes({"a": 1, "b": 1}), "binary", n_folds=None, seed=0, source="t")
    with pytest.raises(InputError, match="at least 2 are needed"):
        make_resampling(pd.Series([1.0], name="y"), "regression", n_folds=None, seed=0, source="t")


def _rare_table() -> pd.DataFrame:
    """Multiclass: two common classes, class 9 with 2 rows and class 7 with 1 row (each easy to tell apart)."""
    rng = np.random.default_rng(0)
    frame = pd.DataFrame({"a": rng.normal(size=80), "b": rng.normal(size=80), "c": rng.choice(list("xyz"), 80)})
    frame["y"] = np.where(frame["a"] > 0, 0, 1)
    frame.loc[:1, ["y", "a"]] = [9, 6.0]
    frame.loc[2, ["y", "a"]] = [7, -6.0]
    return frame


@pytest.mark.parametrize("case", ["rare-classes", "thirty-rows"])
def test_acceptance_a_model_where_a_peer_trains_with_the_adaptation_reported(
    case: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A class of 2 rows, a class of 1 row, a 30-row table: each gives a model, and the leaderboard
    header and the model card say how the scoring was adapted."""
    frame = _rare_table() if case == "rare-classes" else _rare_table().iloc[3:33].assign(y=lambda f: (f["a"] > 0).astype(int))
    path = tmp_path / "data.csv"
    frame.to_csv(path, index=False)
    code = main(
        [
            "search",
            str(path),
            "--target",
            "y",
            "--n-trials",
            "3",
            "--families",
            "logistic_regression,hist_gradient_boosting",
            "--storage",
            f"sqlite:///{tmp_path}/s.db",
            "--output",
            str(tmp_path / "runs"),
            "--study",
            case,
        ]
    )
    captured = capsys.readouterr()
    out = captured.out
    assert code == 0, captured.err
    model, card = api.load_best_model_and_card(case, f"sqlite:///{tmp_path}/s.db")
    proba = model.predict_proba(frame.drop(columns=["y"]))
    assert proba.shape == (len(frame), frame["y"].nunique())
    if case == "rare-classes":
        assert list(model.classes_) == [0, 1, 7, 9]
        assert "class 7 with a single row" in card.notes["resampling"]
        assert "scored by 5-fold CV; class 7 with a single row" in " ".join(out.split())
    else:
        assert card.notes["resampling"].startswith("5-fold CV")
        assert "scored by 5-fold CV" in out


def test_time_col_through_the_api_and_the_estimator() -> None:
    rng = np.random.default_rng(1)
    frame = pd.DataFrame({"t": rng.permutation(120), "x": rng.normal(size=120)})
    frame["y"] = frame["x"] * 2 + frame["t"] * 0.01
    result = automl.search(
        frame,
        "y",
        time_col="t",
        n_trials=2,
        time_budget=None,
        families=["ridge"],
        storage=optuna.storages.InMemoryStorage(),
        output_dir=None,
    )
    assert result.model_card.notes["resampling"].startswith("time-ordered, 5 forward splits")
    estimator = automl.AutoML(time_col="t", n_trials=2, time_budget=None, families=["ridge"]).fit(
        frame.drop(columns=["y"]), frame["y"]
    )
    assert "time-ordered" in estimator.result_.model_card.notes["resampling"]
    with pytest.raises(InputError, match="time column 'when' not found"):
        automl.search(
            frame, "y", time_col="when", n_trials=1, time_budget=None, storage=optuna.storages.InMemoryStorage(), output_dir=None
        )


def _quick(X: pd.DataFrame, y: pd.Series, families: list[str]) -> automl.SearchResult:
    return automl.search(
        X,
        y,
        n_trials=len(families),
        time_budget=None,
        families=families,
        storage=optuna.storages.InMemoryStorage(),
        output_dir=None,
    )


@pytest.mark.parametrize("case", ["all-constant", "infinite-values", "five-rows"])
def test_tables_a_peer_trains_on_give_a_model(case: str) -> None:
    """Inputs that used to fail every trial: only constant columns, +-inf in a feature, a 5-row table
    (folds too small for a per-fold ROC AUC; k-NN with more neighbours than rows)."""
    rng = np.random.default_rng(0)
    if case == "all-constant":
        X, y = pd.DataFrame({"k": np.ones(40), "s": ["x"] * 40}), pd.Series([0, 1] * 20, name="y")
    elif case == "infinite-values":
        X = pd.DataFrame({"x": np.r_[np.inf, -np.inf, rng.normal(size=38)], "z": rng.normal(size=40)})
        y = pd.Series((X["z"] > 0).astype(int), name="y")
    else:
        X, y = pd.DataFrame({"x": [1.0, 2, 3, 4, 5]}), pd.Series([0, 1, 0, 1, 1], name="y")
    result = _quick(X, y, ["logistic_regression", "knn", "hist_gradient_boosting"])
    assert (result.family_summary["failed"] == 0).all(), result.family_summary
    proba = result.best_model.predict_proba(X)
    assert proba.shape == (len(X), 2) and np.isfinite(proba).all()

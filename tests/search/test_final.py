"""Final models built from a study's trials: ensembles chosen on OOF scores, saved and reloaded."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import optuna
import pandas as pd
import pytest
from sklearn.datasets import make_regression

import automl
from automl._core import Deadline
from automl.data import Dataset, load_dataset
from automl.ensembles import StackedEnsemble, WeightedAverageEnsemble
from automl.ensembles._stacking import _meta_predict
from automl.evaluation import get_metric
from automl.models import REFIT_ROUNDS_SCALE
from automl.search._final import (
    BLEND_DEFAULT_MIN_BUDGET,
    LIBRARY_SIZE,
    RunMemory,
    _library,
    _member_models,
    _Plan,
    _pooled_score,
    _selection_plan,
    _stacking_plan,
    _tabular_members,
    bootstrap_win_rate,
    default_ensemble,
    pick_library,
    planned_members,
)
from automl.search._objective import FAMILY_PARAM
from automl.search._runner import SearchConfig
from automl.spaces import load_spaces

CASES = {
    "binary": ("binary_frame", "label", ["logistic_regression", "hist_gradient_boosting", "knn"]),
    "multiclass": ("multiclass_frame", "cls", ["logistic_regression", "hist_gradient_boosting", "knn"]),
    "regression": ("regression_frame", "y", ["ridge", "hist_gradient_boosting", "knn"]),
}


def _search(frame: pd.DataFrame, target: str, families: list[str], tmp_path: Path, **kwargs: object) -> automl.SearchResult:
    options = {
        "time_budget": None,
        "n_trials": 6,
        "families": families,
        "storage": f"sqlite:///{tmp_path}/f.db",
        "output_dir": str(tmp_path / "runs"),
        "study_name": "f",
    }
    options.update(kwargs)
    return automl.search(frame, target, **options)  # type: ignore[arg-type]


@pytest.mark.parametrize("task", sorted(CASES))
def test_stacking_of_two_families_from_a_study(task: str, request: pytest.FixtureRequest, tmp_path: Path) -> None:
    fixture, target, families = CASES[task]
    frame = request.getfixturevalue(fixture)
    result = _search(frame, target, families, tmp_path, ensemble="none")
    dataset = load_dataset(frame, target)
    metric = get_metric(None, dataset.task)
    store = optuna.artifacts.FileSystemArtifactStore(tmp_path / "runs" / "f" / "artifacts")
    memory = RunMemory(metric)
    trials = _library(result.study, memory, store)  # OOF read back from the artifact store
    plan = _stacking_plan(trials, memory, dataset, metric, seed=0)
    assert len({t.params["family"] for t in plan.trials}) >= 2
    models = _member_models(
        plan, result.best_model, result.study.best_trial.number, load_spaces(), dataset, 0, 1, Deadline.unlimited()
    )
    final = plan.realise(models, dataset, result.study.best_value)
    assert isinstance(final.model, StackedEnsemble) and final.kind == "stacking"
    X = frame.drop(columns=target)
    pred = final.model.predict(X)
    assert pred.shape == (len(frame),)
    if task != "regression":
        assert final.model.predict_proba(X).shape == (len(frame), frame[target].nunique())
    assert len(final.members) == len(plan.trials)


def test_complementary_weak_models_make_an_ensemble_that_beats_the_best_one(binary_frame: pd.DataFrame, tmp_path: Path) -> None:
    """Single randomised trees are weak and err in different places: averaging several of them
    must beat the best one out of fold, so selection must replace it, and the saved ensemble
    must predict like the returned one."""
    result = _search(
        binary_frame, "label", ["one_tree"], tmp_path, n_trials=8, ensemble="selection", spaces=[str(_one_tree_space(tmp_path))]
    )
    card = result.model_card
    assert card.family == "selection", card.notes
    assert card.cv_score > card.notes["best_single_score"] + 0.01, (card.cv_score, card.notes["best_single_score"])
    assert card.notes["best_single_score"] == pytest.approx(result.leaderboard["roc_auc"].max())
    assert len(card.members) >= 2 and {m["family"] for m in card.members} == {"one_tree"}
    assert pytest.approx(sum(m["weight"] for m in card.members)) == 1.0
    assert isinstance(result.best_model, WeightedAverageEnsemble)
    loaded = automl.load_best_model("f", f"sqlite:///{tmp_path}/f.db")
    X = binary_frame.drop(columns="label")
    np.testing.assert_array_equal(loaded.predict_proba(X), result.best_model.predict_proba(X))


def test_the_ensembles_members_stay_within_its_size_budget(
    binary_frame: pd.DataFrame, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The same weak trees, twice with the same seed: the second time the budget is a byte short of
    the first ensemble's members, so that ensemble is out of reach and the chosen one fits the budget
    (which counts each trial's recorded model size)."""
    from automl.search import _final

    spaces = [str(_one_tree_space(tmp_path))]
    free = _search(binary_frame, "label", ["one_tree"], tmp_path, n_trials=8, ensemble="selection", spaces=spaces)
    sizes = {t.number: t.user_attrs["model_bytes"] for t in free.study.trials}
    free_total = sum(sizes[m["trial"]] for m in free.model_card.members)
    assert len(free.model_card.members) >= 3, free.model_card.members
    monkeypatch.setattr(_final, "ENSEMBLE_MAX_BYTES", free_total - 1)
    limited = _search(
        binary_frame, "label", ["one_tree"], tmp_path / "b", n_trials=8, ensemble="selection", spaces=spaces, study_name="g"
    )
    assert {t.number: t.user_attrs["model_bytes"] for t in limited.study.trials} == sizes, "same seed, same trees"
    assert limited.model_card.family == "selection", limited.model_card.notes
    assert sum(sizes[m["trial"]] for m in limited.model_card.members) <= free_total - 1


def test_a_dominant_model_is_kept_alone(tmp_path: Path) -> None:
    """A noise-free linear target: ridge is almost exact and every other family is far off, so any
    mix scores worse than ridge alone and the refit best trial must be kept, with the reason."""
    X, y = make_regression(n_samples=150, n_features=4, noise=0.0, random_state=3)
    frame = pd.DataFrame(X, columns=["p", "q", "r", "s"]).assign(y=y)
    result = _search(frame, "y", CASES["regression"][2], tmp_path, n_trials=6, ensemble="selection")
    card = result.model_card
    assert card.family == "ridge" and len(card.members) == 1, card.notes
    assert "did not beat the best single trial" in card.notes["ensemble"]
    assert card.cv_score == card.notes["best_single_score"] == pytest.approx(result.leaderboard["rmse"].min())
    assert not isinstance(result.best_model, WeightedAverageEnsemble)


def _one_tree_space(tmp_path: Path) -> Path:
    folder = tmp_path / "spaces"
    folder.mkdir()
    (folder / "one_tree.yaml").write_text(
        "name: one_tree\nbuilder: extra_trees\ntasks: [binary, multiclass, regression]\n"
        "fixed: {n_estimators: 1}\n"
        "params:\n  max_features: {type: float, low: 0.3, high: 1.0}\n  min_samples_leaf: {type: int, low: 1, high: 4}\n"
    )
    return folder


@pytest.mark.parametrize("kind", ["stacking", "bagging", "auto", "blend"])
def test_every_ensemble_kind_saves_and_reloads_identically(kind: str, multiclass_frame: pd.DataFrame, tmp_path: Path) -> None:
    result = _search(multiclass_frame, "cls", CASES["multiclass"][2], tmp_path, ensemble=kind)
    loaded = automl.load_best_model("f", f"sqlite:///{tmp_path}/f.db")
    X = multiclass_frame.drop(columns="cls")
    np.testing.assert_array_equal(loaded.predict_proba(X), result.best_model.predict_proba(X))
    if kind == "bagging":
        assert result.model_card.family == "bagging"
    if kind == "blend":  # the card says which blend was chosen, and on what evidence
        assert "cross-fitted OOF" in result.model_card.notes["blend"] or "skipped" in result.model_card.notes["blend"]


@pytest.mark.parametrize("task", sorted(CASES))
def test_a_blend_is_chosen_on_cross_fitted_oof_and_predicts_as_it_was_scored(
    task: str, request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    fixture, target, families = CASES[task]
    frame = request.getfixturevalue(fixture)
    if task == "regression":  # the fixture is linear: ridge alone wins there, and nothing is blended
        rng = np.random.default_rng(0)
        frame = pd.DataFrame(rng.uniform(-2, 2, size=(200, 3)), columns=["p", "q", "r"])
        frame[target] = np.sin(3 * frame["p"]) + frame["q"] ** 2 + 0.5 * frame["r"] + rng.normal(scale=0.2, size=200)
    result = _search(frame, target, families, tmp_path, ensemble="blend", n_trials=8)
    model, notes = result.best_model, result.model_card.notes
    assert notes["blend"].startswith("meta-learner share"), notes
    share = float(notes["blend"].split()[2].rstrip(";"))
    if share == 0:  # the selection alone scored best on cross-fitted OOF: it is the final model
        assert isinstance(model, WeightedAverageEnsemble)
        return
    assert isinstance(model, StackedEnsemble) and model.meta_share_ == share
    X = frame.drop(columns=target)
    preds = model._member_predictions(X)
    meta = _meta_predict(model.meta, preds, task, getattr(model, "classes_", None), X)
    expected = share * meta + (1 - share) * sum(w * p for w, p in zip(model.weights_, preds, strict=True))
    got = model.predict(X) if task == "regression" else model.predict_proba(X)
    np.testing.assert_allclose(got, expected)


def test_the_bootstrap_guard_tells_a_real_gain_from_a_gain_on_a_handful_of_rows() -> None:
    """A blend is kept only when its OOF gain holds on most resamples of the rows: a gain spread
    over every row does, the same total gain from three rows of 300 does not."""
    rng = np.random.default_rng(0)
    classes = np.array(["a", "b", "c"])
    y = rng.choice(classes, size=300)
    onehot = (y[:, None] == classes).astype(float)
    base = 0.6 * onehot + 0.4 * rng.dirichlet(np.ones(3), size=300)
    everywhere = 0.7 * onehot + 0.3 * rng.dirichlet(np.ones(3), size=300)
    metric = get_metric("log_loss", "multiclass")
    assert bootstrap_win_rate(base, everywhere, y, metric, classes, seed=0) == 1.0
    assert bootstrap_win_rate(base, base, y, metric, classes, seed=0) == 0.0  # a tie is no gain
    few = base.copy()
    few[:3] = np.where(onehot[:3] == 1, 0.999, 0.0005)  # much better on 3 rows ...
    few[3:5] = np.where(onehot[3:5] == 1, 0.5, 0.25)  # ... and worse on 2 others
    gain = metric.score(y, base, classes) - metric.score(y, few, classes)
    rate = bootstrap_win_rate(base, few, y, metric, classes, seed=0)
    assert gain > 0 and 0.1 < rate < 0.9, (gain, rate)
    assert bootstrap_win_rate(base, few, y, metric, classes, seed=0) == rate  # seeded: repeats
    regression = get_metric("rmse", "regression")
    target = rng.normal(size=300)
    assert bootstrap_win_rate(target + 1.0, target + 0.5, target, regression, None, seed=1) == 1.0


def test_a_long_budget_blends_by_default_a_short_or_trial_bounded_one_selects(
    binary_frame: pd.DataFrame, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert default_ensemble(60) == "selection" and default_ensemble(None) == "selection"
    assert default_ensemble(BLEND_DEFAULT_MIN_BUDGET) == default_ensemble(300) == "blend"
    asked = []

    def capture(dataset: object, config: SearchConfig, *args: object, **kwargs: object) -> None:
        asked.append(config.ensemble)
        raise RuntimeError("captured")

    monkeypatch.setattr("automl.api.run_search", capture)
    for budget, ensemble in [(300, None), (60, None), (300, "selection"), (60, "blend")]:
        with pytest.raises(RuntimeError, match="captured"):
            automl.search(binary_frame, "label", time_budget=budget, ensemble=ensemble, output_dir=None)
    assert asked == ["blend", "selection", "selection", "blend"]


def test_ensemble_from_a_resumed_study_uses_earlier_trials(binary_frame: pd.DataFrame, tmp_path: Path) -> None:
    """The resumed run adds one trial, so an ensemble (which one-tree trials must form, see above)
    can only exist with members from the first run, whose OOF predictions come from the store."""
    spaces = [str(_one_tree_space(tmp_path))]
    _search(binary_frame, "label", ["one_tree"], tmp_path, n_trials=5, ensemble="none", spaces=spaces)
    resumed = _search(binary_frame, "label", ["one_tree"], tmp_path, n_trials=6, ensemble="auto", spaces=spaces)
    store = optuna.artifacts.FileSystemArtifactStore(tmp_path / "runs" / "f" / "artifacts")
    library = _library(resumed.study, RunMemory(get_metric(None, "binary")), store)
    assert sorted(t.number for t in library) == list(range(6)), "OOF of the first run's trials must be reusable"
    card = resumed.model_card
    assert card.family in ("selection", "stacking"), card.notes
    assert card.cv_score > card.notes["best_single_score"]
    assert len(card.members) >= 2 and any(m["trial"] < 5 for m in card.members)


def test_an_ensemble_is_compared_with_the_best_trials_pooled_oof_score() -> None:
    """A trial's value is its mean fold RMSE, never above its RMSE on the pooled OOF predictions:
    the ensembles, scored pooled, must be compared with the pooled figure (it was the fold mean,
    which made every ensemble look worse than it is)."""
    y = np.arange(10, dtype=float)
    oof = y + np.r_[np.full(5, 0.1), np.full(5, 2.0)]  # an easy fold and a hard one
    folds = [0.1, 2.0]
    trial = optuna.trial.create_trial(
        value=float(np.mean(folds)),
        params={"family": "ridge"},
        distributions={"family": optuna.distributions.CategoricalDistribution(["ridge"])},
    )
    metric = get_metric("rmse", "regression")
    memory = RunMemory(metric, oof={trial.number: oof})
    dataset = Dataset(X=pd.DataFrame({"x": y}), y=pd.Series(y, name="y"), task="regression", source="test")
    pooled = float(np.sqrt(np.mean((oof - y) ** 2)))
    assert _pooled_score(trial, memory, dataset, metric) == pytest.approx(pooled)
    assert pooled > trial.value  # 1.416 pooled vs 1.05 as a fold mean
    assert _pooled_score(trial, RunMemory(metric), dataset, metric) == trial.value  # no OOF at hand: the fold mean


def test_the_search_keeps_back_time_to_refit_only_the_planned_members(binary_frame: pd.DataFrame, tmp_path: Path) -> None:
    """The stop rule reserves refit time for the trials the final model would use: the members
    of the selection ensemble that the OOF predictions give now (best first), the best alone
    without an ensemble; not every one of the top trials."""
    spaces = [str(_one_tree_space(tmp_path))]
    result = _search(binary_frame, "label", ["one_tree"], tmp_path, n_trials=8, ensemble="none", spaces=spaces)
    dataset, metric = load_dataset(binary_frame, "label"), get_metric(None, "binary")
    memory = RunMemory(metric)
    store = optuna.artifacts.FileSystemArtifactStore(tmp_path / "runs" / "f" / "artifacts")
    library = _library(result.study, memory, store)
    weights = _selection_plan(library, memory, dataset, metric).weights
    chosen = {t.number for t, w in zip(library, weights, strict=True) if w > 0}
    planned = planned_members(result.study, memory, dataset, metric, "selection")
    assert planned[0].number == result.study.best_trial.number
    assert {t.number for t in planned} == chosen | {planned[0].number}
    assert 2 <= len(planned) < len(library), "weak complementary trees: a few members, not the whole library"
    assert [t.number for t in planned_members(result.study, memory, dataset, metric, "none")] == [planned[0].number]


def test_a_member_with_no_time_to_refit_is_left_out(binary_frame: pd.DataFrame, tmp_path: Path) -> None:
    """With the budget spent, the members other than the (already refit) best one are left out,
    so the ensemble is chosen again among the members at hand."""
    spaces = [str(_one_tree_space(tmp_path))]
    result = _search(binary_frame, "label", ["one_tree"], tmp_path, n_trials=4, ensemble="none", spaces=spaces)
    dataset = load_dataset(binary_frame, "label")
    best, other = [t for t in result.study.trials if t.value is not None][:2]
    plan = _Plan("selection", 0.9, [best, other], np.array([0.6, 0.4]))
    models = _member_models(plan, result.best_model, best.number, load_spaces([spaces[0]]), dataset, 0, 1, Deadline.after(0.0))
    assert models == {best.number: result.best_model}
    with_time = _member_models(
        plan, result.best_model, best.number, load_spaces([spaces[0]]), dataset, 0, 1, Deadline.unlimited()
    )
    assert set(with_time) == {best.number, other.number}
    assert with_time[other.number].predict_proba(dataset.X.head(3)).shape == (3, 2)


def test_library_keeps_each_familys_best_beside_the_overall_best() -> None:
    """A long search converges on one family; its other families' best trials stay candidates."""
    families = ["xgboost"] * 40 + ["knn"] * 5 + ["random_forest"] * 2  # in rank order, best first
    trials = [
        optuna.trial.create_trial(
            params={FAMILY_PARAM: f},
            distributions={FAMILY_PARAM: optuna.distributions.CategoricalDistribution(sorted(set(families)))},
            value=float(i),
        )
        for i, f in enumerate(families)
    ]
    for number, trial in enumerate(trials):
        trial.number = number
    asked: list[int] = []

    def available(trial: optuna.trial.FrozenTrial) -> bool:
        asked.append(trial.number)
        return trial.number != 41  # one KNN trial has no OOF predictions

    library = [t.number for t in pick_library(trials, available)]
    assert library == [*range(LIBRARY_SIZE), 40, 42, 43, 45, 46]  # xgboost 0-19, its best 3 already in; knn 40, 42, 43; rf 45, 46
    assert asked == [*range(LIBRARY_SIZE), 40, 41, 42, 43, 45, 46]


@pytest.mark.parametrize("family", ["hist_gradient_boosting", "xgboost"])
def test_a_boosting_refit_boosts_its_folds_early_stopped_rounds(family: str, tmp_path: Path) -> None:
    X, y = make_regression(n_samples=600, n_features=6, noise=30.0, random_state=1)
    frame = pd.DataFrame(X, columns=[f"x{i}" for i in range(6)]).assign(y=y)
    result = _search(frame, "y", [family], tmp_path, ensemble="none", n_trials=2)
    best = result.study.best_trial
    rounds = best.user_attrs["fold_rounds"]
    assert len(rounds) == 5 and all(isinstance(r, int) and r > 0 for r in rounds)
    expected = round(float(np.mean(rounds)) * REFIT_ROUNDS_SCALE)
    estimator = result.best_model.estimator_
    kept = estimator.n_iter_ if family == "hist_gradient_boosting" else estimator.n_rounds_
    assert kept == expected
    assert f"{expected} boosting rounds" in result.model_card.notes["final_model"]


def test_the_final_models_members_predict_with_the_searchs_threads(binary_frame: pd.DataFrame, tmp_path: Path) -> None:
    """Trials fit with a share of the cores; the saved final model predicts with all of them (n_jobs=-1)."""
    result = _search(binary_frame, "label", ["xgboost", "knn"], tmp_path, ensemble="stacking", n_jobs=-1)
    loaded = automl.load_best_model("f", f"sqlite:///{tmp_path}/f.db")
    for model in (result.best_model, loaded):
        members = _tabular_members(model)
        assert len(members) >= 2
        assert {member.n_jobs for member in members} == {-1}
        assert {member.estimator_.get_params()["n_jobs"] for member in members} == {-1}

"""Real Optuna studies on small data: determinism, resume, OOF artifacts, tracking, the saved best model."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import optuna
import pandas as pd
import pytest

import automl
from automl._core import InputError

FAMILIES = ["logistic_regression", "hist_gradient_boosting", "knn"]


def _search(frame: pd.DataFrame, target: str, tmp_path: Path, **kwargs: object) -> automl.SearchResult:
    families = [f.replace("logistic_regression", "ridge") for f in FAMILIES] if target == "y" else FAMILIES
    options = {
        "time_budget": None,
        "n_trials": 6,
        "families": families,
        "storage": f"sqlite:///{tmp_path}/s.db",
        "output_dir": str(tmp_path / "runs"),
        "study_name": "s",
    }
    options.update(kwargs)
    return automl.search(frame, target, **options)  # type: ignore[arg-type]


def test_same_seed_same_leaderboard(binary_frame: pd.DataFrame, tmp_path: Path) -> None:
    first = _search(binary_frame, "label", tmp_path / "a")
    second = _search(binary_frame, "label", tmp_path / "b")
    assert len(first.leaderboard) == 6
    pd.testing.assert_frame_equal(
        first.leaderboard[["trial", "family", "roc_auc"]], second.leaderboard[["trial", "family", "roc_auc"]]
    )


def test_the_portfolio_is_enqueued_first_by_priority(binary_frame: pd.DataFrame, tmp_path: Path) -> None:
    result = _search(binary_frame, "label", tmp_path, n_trials=3)
    done = result.study.get_trials(states=(optuna.trial.TrialState.COMPLETE,))
    first = [t.params["family"] for t in sorted(done, key=lambda t: t.number)]
    assert first == ["logistic_regression", "hist_gradient_boosting", "hist_gradient_boosting"]  # defaults, then HGB's second
    # the rest of the portfolio waits for the next run of the study
    assert result.study.get_trials(states=(optuna.trial.TrialState.WAITING,))


def test_resume_keeps_finished_trials_and_runs_only_the_missing_ones(regression_frame: pd.DataFrame, tmp_path: Path) -> None:
    first = _search(regression_frame, "y", tmp_path, n_trials=3)
    complete = (optuna.trial.TrialState.COMPLETE,)
    before = {t.number: t.value for t in first.study.get_trials(states=complete)}
    second = _search(regression_frame, "y", tmp_path, n_trials=5)
    after = {t.number: t.value for t in second.study.get_trials(states=complete)}
    assert len(before) == 3 and len(after) == 5
    assert all(after[n] == v for n, v in before.items())


def test_resume_with_another_seed_keeps_the_studys_splits(regression_frame: pd.DataFrame, tmp_path: Path) -> None:
    """The trials so far were scored on the splits of the study's seed: a resuming run with
    another --seed keeps them (and the recorded seed workers rebuild them from)."""
    first = _search(regression_frame, "y", tmp_path, n_trials=2, seed=0)
    plan = first.study.user_attrs["cv_plan"]
    second = _search(regression_frame, "y", tmp_path, n_trials=4, seed=1)
    assert (second.study.user_attrs["seed"], second.study.user_attrs["cv_plan"]) == (0, plan)
    assert len(second.study.get_trials(states=(optuna.trial.TrialState.COMPLETE,))) == 4


def test_resume_with_another_budget_keeps_the_studys_splits(tmp_path: Path) -> None:
    """The fold count grows with the budget of the run that created the study; a resuming run with
    a shorter budget keeps that study's splits (and the budget workers rebuild them from)."""
    rng = np.random.default_rng(0)
    frame = pd.DataFrame({"a": rng.normal(size=12_000), "b": rng.normal(size=12_000)})
    frame["y"] = frame["a"] - frame["b"] + rng.normal(scale=0.1, size=12_000)
    first = _search(frame, "y", tmp_path, n_trials=1, families=["ridge"], time_budget=600)
    assert first.study.user_attrs["cv_plan"]
    second = _search(frame, "y", tmp_path, n_trials=2, families=["ridge"], time_budget=60)
    assert second.study.user_attrs["time_budget"] == 600
    assert second.study.user_attrs["cv_plan"] == first.study.user_attrs["cv_plan"]
    assert "5-fold CV" in second.model_card.notes["resampling"]


def test_resume_with_other_data_is_refused(regression_frame: pd.DataFrame, tmp_path: Path) -> None:
    _search(regression_frame, "y", tmp_path, n_trials=1)
    with pytest.raises(InputError, match="study 's' was created with a different data fingerprint"):
        _search(regression_frame.head(100), "y", tmp_path, n_trials=2)


def test_trials_are_tracked_and_oof_predictions_kept(multiclass_frame: pd.DataFrame, tmp_path: Path) -> None:
    result = _search(multiclass_frame, "cls", tmp_path, n_trials=3)
    study = result.study
    assert study.user_attrs["task"] == "multiclass" and study.user_attrs["metric"] == "log_loss"
    assert len(study.user_attrs["data_fingerprint"]) == 64 and "optuna" in study.user_attrs["package_versions"]
    store = optuna.artifacts.FileSystemArtifactStore(tmp_path / "runs" / "s" / "artifacts")
    for trial in study.get_trials(states=(optuna.trial.TrialState.COMPLETE,)):
        attrs = trial.user_attrs
        assert len(attrs["fold_scores"]) == 5 and attrs["fit_seconds"] > 0 and attrs["model_bytes"] > 0
        assert attrs["predict_ms_per_1k"] > 0 and attrs["family"] == trial.params["family"]
        assert trial.value == pytest.approx(np.mean(attrs["fold_scores"]), abs=1e-5)
        path = tmp_path / f"oof_{trial.number}.npy"
        optuna.artifacts.download_artifact(artifact_store=store, file_path=str(path), artifact_id=attrs["oof_artifact"])
        oof = np.load(path)
        assert oof.shape == (150, 3) and np.allclose(oof.sum(axis=1), 1, atol=1e-4)


def test_saved_best_model_predicts_like_the_returned_one(binary_frame: pd.DataFrame, tmp_path: Path) -> None:
    """Without an ensemble the saved model is the top trial refit on all rows, and its card says so:
    that trial's family, parameters and out-of-fold score. (Ensembles: tests/search/test_final.py.)"""
    result = _search(binary_frame, "label", tmp_path, n_trials=3, ensemble="none")
    loaded = automl.load_best_model("s", f"sqlite:///{tmp_path}/s.db")
    X = binary_frame.drop(columns="label")
    np.testing.assert_array_equal(loaded.predict_proba(X), result.best_model.predict_proba(X))
    top, card = result.leaderboard.iloc[0], result.model_card
    best = result.study.trials[int(top["trial"])]
    assert (card.trial_number, card.family, result.best_model.builder) == (top["trial"], top["family"], top["family"])
    searched = {name.split(".", 1)[1]: value for name, value in best.params.items() if name != "family"}
    assert card.params == result.best_model.params and {k: card.params.get(k) for k in searched} == searched
    assert card.members == [{"family": top["family"], "trial": top["trial"], "weight": 1.0}]
    assert card.cv_score == pytest.approx(top["roc_auc"], rel=1e-12) == best.value
    assert card.notes["best_single_score"] == card.cv_score
    assert (result.model_path / "model_card.json").is_file()


def test_family_summary_counts_every_trial(binary_frame: pd.DataFrame, tmp_path: Path) -> None:
    result = _search(binary_frame, "label", tmp_path, n_trials=6)
    summary = result.family_summary
    assert summary["trials"].sum() == 6
    assert (summary[["complete", "pruned", "stopped", "skipped", "failed"]].sum(axis=1) == summary["trials"]).all()


def test_bad_options_are_refused(binary_frame: pd.DataFrame, tmp_path: Path) -> None:
    with pytest.raises(InputError, match="unknown family 'xgb' \\(did you mean 'xgboost'\\?\\)"):
        _search(binary_frame, "label", tmp_path, families=["xgb"])
    with pytest.raises(InputError, match="family 'ridge' does not handle binary tasks"):
        _search(binary_frame, "label", tmp_path, families=["ridge"])
    with pytest.raises(InputError, match="metric 'rmse' does not apply to a binary task"):
        _search(binary_frame, "label", tmp_path, metric="rmse")
    with pytest.raises(InputError, match="give a time budget"):
        _search(binary_frame, "label", tmp_path, n_trials=None, time_budget=None)


def test_automl_estimator_is_sklearn_compatible(multiclass_frame: pd.DataFrame) -> None:
    from sklearn.base import clone

    X, y = multiclass_frame.drop(columns="cls"), multiclass_frame["cls"]
    model = automl.AutoML(time_budget=None, n_trials=3, families=["logistic_regression", "knn"])
    fitted = model.fit(X, y)
    assert fitted is model and model.predict(X).shape == (150,)
    assert model.predict_proba(X).shape == (150, 3)
    assert 0.5 < model.score(X, y) <= 1.0
    assert clone(model).get_params() == model.get_params()

"""One study, many processes: create it, join it as a worker, finalize it (real studies, in-process)."""

from __future__ import annotations

import shutil
from pathlib import Path

import optuna
import pandas as pd
import pytest

import automl
from automl import api
from automl._core import InputError
from automl.cli import main
from automl.search import count_trials
from automl.search._liveness import WORKER_ATTR

FAMILIES = ["logistic_regression", "knn"]
_STATE = optuna.trial.TrialState


@pytest.fixture
def table(binary_frame: pd.DataFrame, tmp_path: Path) -> Path:
    path = tmp_path / "data" / "train.csv"
    path.parent.mkdir()
    binary_frame.to_csv(path, index=False)
    return path


def _create(table: Path, tmp_path: Path, **kwargs: object) -> optuna.Study:
    options: dict[str, object] = {
        "families": FAMILIES,
        "study_name": "w",
        "storage": f"sqlite:///{tmp_path}/w.db",
        "output_dir": str(tmp_path / "runs"),
        "cv_folds": 3,
    }
    options.update(kwargs)
    return api.create_study(table, "label", **options)  # type: ignore[arg-type]


def test_create_records_what_a_worker_needs_and_runs_no_trial(table: Path, tmp_path: Path) -> None:
    study = _create(table, tmp_path, n_trials=7)
    attrs = study.user_attrs
    assert attrs["data_path"] == str(table.resolve()) and attrs["target"] == "label" and attrs["task"] == "binary"
    assert attrs["families"] == FAMILIES and set(attrs["space_hashes"]) == set(FAMILIES)
    assert attrs["cv_folds"] == 3 and len(attrs["cv_plan"]) == 64 and attrs["n_trials"] == 7
    assert attrs["artifact_dir"] == str((tmp_path / "runs" / "w").resolve())
    assert (tmp_path / "runs" / "w" / "artifacts").is_dir()
    assert [t.state for t in study.trials] == [_STATE.WAITING, _STATE.WAITING]  # each family's defaults, queued
    assert study.metric_names == ["roc_auc"]


def test_workers_fill_the_study_and_finalize_builds_one_model_from_their_trials(table: Path, tmp_path: Path) -> None:
    _create(table, tmp_path, n_trials=6, ensemble="selection")
    storage = f"sqlite:///{tmp_path}/w.db"
    first = api.run_worker("w", storage, n_trials=3)
    second = api.run_worker("w", storage)  # the study's own target: 6
    assert (first.trials_run, second.trials_run) == (3, 3)
    assert second.study_finished == 6 and second.study_running == 0
    study = optuna.load_study(study_name="w", storage=storage)
    assert all(t.user_attrs[WORKER_ATTR] == first.worker for t in study.trials)  # same process here
    assert all("oof_artifact" in t.user_attrs for t in study.trials if t.state == _STATE.COMPLETE)
    assert not list((tmp_path / "runs" / "w").glob("models/*")), "workers never save a final model"

    result = api.finalize("w", storage)
    assert result.model_path is not None and (result.model_path / "model_card.json").is_file()
    assert optuna.load_study(study_name="w", storage=storage).user_attrs["best_model_path"] == str(result.model_path.resolve())
    assert len(result.leaderboard) == 6
    loaded = automl.load_best_model("w", storage)
    X = pd.read_csv(table).drop(columns="label")
    assert (loaded.predict(X) == result.best_model.predict(X)).all()


def test_a_worker_holds_no_fold_model(table: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Only ``finalize`` builds a model, from the OOF predictions: a worker's fold models are let go."""
    from automl.search import _cv, _objective

    kept: list[int] = []

    def recording(*args: object, **kwargs: object) -> _cv.CVResult:
        result = _cv.cross_validate(*args, **kwargs)  # type: ignore[arg-type]
        kept.append(len(result.fold_models))
        return result

    monkeypatch.setattr(_objective, "cross_validate", recording)
    _create(table, tmp_path, n_trials=2)
    assert api.run_worker("w", f"sqlite:///{tmp_path}/w.db").trials_run == 2
    assert kept == [0, 0]


def test_search_resumes_a_created_study(table: Path, tmp_path: Path) -> None:
    _create(table, tmp_path)
    result = automl.search(
        table,
        "label",
        families=FAMILIES,
        study_name="w",
        storage=f"sqlite:///{tmp_path}/w.db",
        output_dir=str(tmp_path / "runs"),
        cv_folds=3,
        n_trials=3,
        time_budget=None,
    )
    assert len(result.leaderboard) == 3


def test_worker_refuses_other_data(table: Path, tmp_path: Path) -> None:
    _create(table, tmp_path, n_trials=2)
    other = tmp_path / "other.csv"
    pd.read_csv(table).head(100).to_csv(other, index=False)
    with pytest.raises(
        InputError, match=r"differs from the data study 'w' was created with .*every worker must read the same table"
    ):
        api.run_worker("w", f"sqlite:///{tmp_path}/w.db", data=str(other))


def test_worker_refuses_another_search_space(table: Path, tmp_path: Path) -> None:
    spaces = tmp_path / "spaces"
    spaces.mkdir()
    shutil.copy(Path(automl.__file__).parents[1] / "search_spaces" / "knn.yaml", spaces / "knn.yaml")
    _create(table, tmp_path, n_trials=2, spaces=[str(spaces)])
    text = (spaces / "knn.yaml").read_text()
    assert "high: 64" in text
    (spaces / "knn.yaml").write_text(text.replace("high: 64", "high: 32", 1))
    with pytest.raises(InputError, match=r"family 'knn' .* differs from the search space study 'w' was created with"):
        api.run_worker("w", f"sqlite:///{tmp_path}/w.db")


def test_worker_errors_name_the_problem(table: Path, tmp_path: Path, binary_frame: pd.DataFrame) -> None:
    storage = f"sqlite:///{tmp_path}/w.db"
    _create(table, tmp_path)
    with pytest.raises(InputError, match=r"no study named 'nope'.*studies in this storage: w"):
        api.run_worker("nope", storage, n_trials=1)
    with pytest.raises(InputError, match="has no trial target; give the worker --n-trials N or --time-budget S"):
        api.run_worker("w", storage)
    api.create_study(
        binary_frame, "label", families=FAMILIES, study_name="mem", storage=storage, output_dir=str(tmp_path / "runs")
    )
    with pytest.raises(InputError, match="created from an in-memory table; give this process the data file"):
        api.run_worker("mem", storage, n_trials=1)
    shutil.rmtree(tmp_path / "runs" / "w")
    with pytest.raises(InputError, match=r"artifact store of study 'w' .* is not reachable from here"):
        api.run_worker("w", storage, n_trials=1)


def test_retried_trials_do_not_count(tmp_path: Path) -> None:
    study = optuna.create_study(storage=f"sqlite:///{tmp_path}/c.db")
    dead = study.ask()
    study._storage.set_trial_state_values(dead._trial_id, _STATE.FAIL)  # as a stale trial is failed
    optuna.storages.RetryHeartbeatStaleTrialCallback(max_retry=1)(study, study.trials[0])
    study.tell(study.ask(), 1.0)  # the retry runs
    counts = count_trials(study)
    assert (counts.done, counts.running) == (1, 0)


def test_cli_study_create_worker_finalize(table: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """``automl study create`` (the alias of ``automl studies create``), workers, then finalize."""
    storage = f"journal:{tmp_path}/w.journal"
    common = ["--study", "c", "--storage", storage]
    assert (
        main(
            [
                "study",
                "create",
                str(table),
                "--target",
                "label",
                "--families",
                ",".join(FAMILIES),
                "--cv-folds",
                "3",
                "--n-trials",
                "4",
                "--output",
                str(tmp_path / "runs"),
                *common,
            ]
        )
        == 0
    )
    created = capsys.readouterr().out
    assert "automl worker --study c --storage journal:" in created and "automl finalize --study c" in created
    assert main(["worker", *common]) == 0
    assert "ran 4 trials" in capsys.readouterr().out
    assert main(["finalize", *common, "--ensemble", "none"]) == 0
    finalized = capsys.readouterr().out
    assert "model saved to:" in finalized and "final model: refit on all rows" in finalized
    assert main(["finalize", *common, "--ensemble", "blend"]) == 0  # every ensemble kind, as `automl search` takes
    assert "model saved to:" in capsys.readouterr().out

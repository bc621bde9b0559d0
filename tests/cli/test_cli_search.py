"""The search command end to end, in real processes: output, predict, and surviving SIGKILL."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import optuna
import pandas as pd
import pytest

import automl
from automl.cli import main

COMPLETE = optuna.trial.TrialState.COMPLETE


def test_search_prints_leaderboard_summary_and_paths(
    binary_frame: pd.DataFrame, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = tmp_path / "d.csv"
    binary_frame.to_csv(data, index=False)
    storage = f"sqlite:///{tmp_path}/c.db"
    code = main(
        [
            "search",
            str(data),
            "--target",
            "label",
            "--n-trials",
            "4",
            "--time-budget",
            "120",
            "--families",
            "logistic_regression,knn",
            "--study",
            "c",
            "--storage",
            storage,
            "--output",
            str(tmp_path / "runs"),
        ]
    )
    out = capsys.readouterr().out
    assert code == 0
    for expected in (
        "Leaderboard",
        "Families (effort and best score)",
        "model saved to:",
        "model_card.json",
        f"automl dashboard --storage {storage}",
        "logistic_regression",
        "knn",
    ):
        assert expected in out, expected
    assert main(["leaderboard", "--study", "c", "--storage", storage, "--csv", str(tmp_path / "lb.csv")]) == 0
    assert len(pd.read_csv(tmp_path / "lb.csv")) == 4
    assert main(["predict", "--study", "c", "--storage", storage, str(data), "--out", str(tmp_path / "p.csv")]) == 0
    preds = pd.read_csv(tmp_path / "p.csv")
    expected = automl.load_best_model("c", storage).predict_proba(binary_frame.drop(columns="label"))
    np.testing.assert_allclose(preds[["proba_no", "proba_yes"]].to_numpy(), expected)
    assert set(preds["prediction"]) <= {"yes", "no"}


def _complete_trials(storage: str, study: str) -> dict[int, float]:
    try:
        loaded = optuna.load_study(study_name=study, storage=storage)
    except KeyError:
        return {}
    return {t.number: t.value for t in loaded.get_trials(deepcopy=False, states=(COMPLETE,))}


@pytest.mark.integration
def test_sigkill_mid_search_then_rerun_keeps_finished_trials(binary_frame: pd.DataFrame, tmp_path: Path) -> None:
    data = tmp_path / "d.csv"
    pd.concat([binary_frame] * 10, ignore_index=True).to_csv(data, index=False)
    storage = f"sqlite:///{tmp_path}/k.db"
    command = [
        sys.executable,
        "-m",
        "automl",
        "search",
        str(data),
        "--target",
        "label",
        "--n-trials",
        "10",
        "--time-budget",
        "300",
        "--families",
        "random_forest,extra_trees",
        "--study",
        "k",
        "--storage",
        storage,
        "--output",
        str(tmp_path / "runs"),
    ]
    process = subprocess.Popen(
        command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=tmp_path, start_new_session=True
    )
    deadline = time.monotonic() + 240
    before: dict[int, float] = {}
    while time.monotonic() < deadline and len(before) < 3:
        time.sleep(0.3)
        before = _complete_trials(storage, "k")
        assert process.poll() is None, "the search ended before it could be killed"
    os.killpg(process.pid, signal.SIGKILL)
    process.wait()
    before = _complete_trials(storage, "k")
    assert 3 <= len(before) < 10
    done = subprocess.run(command, capture_output=True, text=True, cwd=tmp_path, timeout=300)
    assert done.returncode == 0, done.stderr
    after = _complete_trials(storage, "k")
    assert all(after[n] == v for n, v in before.items()), "a finished trial was lost or changed"
    finished = optuna.load_study(study_name="k", storage=storage).get_trials(
        deepcopy=False, states=(COMPLETE, optuna.trial.TrialState.PRUNED, optuna.trial.TrialState.FAIL)
    )
    assert len(finished) >= 10, "the rerun should have completed the requested trials"

"""Acceptance: several `automl worker` processes on one study, on a real PostgreSQL server and on a
journal file; a worker killed mid-trial; `automl finalize`; and no password in any output.

Every process here is a real `python -m automl ...` subprocess, as a user would start them.
"""

from __future__ import annotations

import json
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import optuna
import pandas as pd
import pytest
from sklearn.datasets import make_classification

from automl.search import count_trials, open_storage
from automl.search._liveness import WORKER_ATTR

pytestmark = [pytest.mark.slow, pytest.mark.integration]

FAMILIES = "logistic_regression,knn,extra_trees"
N_TRIALS = 12
_STATE = optuna.trial.TrialState


@pytest.fixture
def table(tmp_path: Path) -> Path:
    """600 rows, 4 classes: trials take a second or two, and blending families pays off (log loss)."""
    X, y = make_classification(
        n_samples=600,
        n_features=12,
        n_informative=6,
        n_redundant=2,
        n_classes=4,
        n_clusters_per_class=2,
        flip_y=0.05,
        random_state=3,
    )
    frame = pd.DataFrame(X, columns=[f"x{i}" for i in range(12)]).assign(label=[f"c{v}" for v in y])
    path = tmp_path / "data.csv"
    frame.to_csv(path, index=False)
    return path


@pytest.fixture(params=["postgresql", "journal"])
def storage(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "journal":
        return f"journal:{tmp_path / 'study.journal'}"
    return str(request.getfixturevalue("postgres_url"))


def _automl(*args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    done = subprocess.run([sys.executable, "-m", "automl", *args], capture_output=True, text=True, timeout=600)
    if check:
        assert done.returncode == 0, f"automl {args[0]} exited {done.returncode}: {done.stderr[-2000:]}"
    return done


def _worker(storage: str, *extra: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "automl", "worker", "--study", "dist", "--storage", storage, *extra],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _create(table: Path, storage: str, tmp_path: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    return _automl(
        "studies",
        "create",
        str(table),
        "--target",
        "label",
        "--families",
        FAMILIES,
        "--study",
        "dist",
        "--storage",
        storage,
        "--n-trials",
        str(N_TRIALS),
        "--cv-folds",
        "3",
        "--ensemble",
        "stacking",
        "--output",
        str(tmp_path / "runs"),
        *extra,
    )


def _finish(workers: list[subprocess.Popen[str]]) -> list[tuple[str, str]]:
    outputs = []
    for worker in workers:
        out, err = worker.communicate(timeout=600)
        assert worker.returncode == 0, f"worker exited {worker.returncode}: {err[-2000:]}"
        outputs.append((out, err))
    return outputs


def _study(storage: str) -> optuna.Study:
    return optuna.load_study(study_name="dist", storage=open_storage(storage))


def _card(tmp_path: Path) -> dict[str, Any]:
    cards = sorted((tmp_path / "runs" / "dist" / "models").glob("*/model_card.json"))
    assert len(cards) == 1, f"expected one final model, found {len(cards)}"
    return json.loads(cards[0].read_text())


def test_three_workers_fill_one_study_and_finalize_ensembles_their_trials(table: Path, storage: str, tmp_path: Path) -> None:
    _create(table, storage, tmp_path)
    outputs = _finish([_worker(storage) for _ in range(3)])

    study = _study(storage)
    numbers = [t.number for t in study.trials]
    assert numbers == list(range(len(numbers))), "trial numbers are unique and gapless"
    counts = count_trials(study)
    assert counts.running == 0
    assert N_TRIALS <= counts.done <= N_TRIALS + 2, f"{counts.done} finished trials for a target of {N_TRIALS}"
    ran = sum(int(out.split(" ran ")[1].split()[0]) for out, _ in outputs)
    assert ran == len(study.trials)
    workers = {t.user_attrs[WORKER_ATTR] for t in study.trials}
    assert len(workers) >= 2, f"trials came from {workers}"
    assert not (tmp_path / "runs" / "dist" / "models").exists(), "workers never save a final model"

    finalized = _automl("finalize", "--study", "dist", "--storage", storage)
    assert "final model: stacking ensemble" in finalized.stdout, finalized.stdout[-1500:]
    members = _card(tmp_path)["members"]
    by_worker = {study.trials[m["trial"]].user_attrs[WORKER_ATTR] for m in members}
    assert len(members) >= 2 and len(by_worker) >= 2, f"ensemble members {members} come from workers {by_worker}"


def _running_trial_of(storage: str, pid: int, timeout: float = 120) -> int:
    """The number of a trial that worker ``pid`` is running right now."""
    me = f"{socket.gethostname()}:{pid}"
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        try:
            running = _study(storage).get_trials(deepcopy=False, states=(_STATE.RUNNING,))
        except KeyError:  # the study is not created yet
            running = []
        for trial in running:
            if trial.user_attrs.get(WORKER_ATTR) == me:
                return trial.number
        time.sleep(0.1)
    raise AssertionError(f"worker {pid} never ran a trial")


def test_a_worker_killed_mid_trial_has_its_trial_failed_and_retried(table: Path, storage: str, tmp_path: Path) -> None:
    _create(table, storage, tmp_path)
    victim, survivor = _worker(storage), _worker(storage)
    killed = _running_trial_of(storage, victim.pid)
    victim.send_signal(signal.SIGKILL)
    victim.communicate(timeout=30)
    # Still running, or already failed by the survivor (on a journal file it sees at once that the process is gone).
    assert _study(storage).trials[killed].state in (_STATE.RUNNING, _STATE.FAIL), "killed mid-trial"
    survivor_out, _ = _finish([survivor])[0]

    study = _study(storage)
    assert study.trials[killed].state == _STATE.FAIL
    retries = [t for t in study.trials if t.system_attrs.get("failed_trial") == killed]
    assert len(retries) == 1 and retries[0].state == _STATE.COMPLETE, "the killed trial was run again"
    assert retries[0].params == study.trials[killed].params
    counts = count_trials(study)
    assert counts.running == 0 and counts.done >= N_TRIALS, f"the study did not complete: {counts}"
    assert [t.number for t in study.trials] == list(range(len(study.trials)))
    assert f"has {counts.done} finished trials" in survivor_out


def test_no_output_of_a_password_protected_postgres_run_shows_the_password(
    table: Path, postgres_server: Any, postgres_url: str, tmp_path: Path
) -> None:
    password = postgres_server.password
    assert password in postgres_url
    plain = postgres_url.replace("postgresql+psycopg://", "postgresql://")  # normalised by automl
    runs: list[subprocess.CompletedProcess[str]] = [
        _automl(
            "-v",
            "studies",
            "create",
            str(table),
            "--target",
            "label",
            "--families",
            FAMILIES,
            "--study",
            "dist",
            "--storage",
            plain,
            "--n-trials",
            "6",
            "--cv-folds",
            "3",
            "--output",
            str(tmp_path / "runs"),
        ),
        _automl("-v", "worker", "--study", "dist", "--storage", plain),
        _automl("-v", "finalize", "--study", "dist", "--storage", plain),
        _automl(
            "-v",
            "search",
            str(table),
            "--target",
            "label",
            "--families",
            "logistic_regression",
            "--study",
            "solo",
            "--storage",
            plain,
            "--n-trials",
            "2",
            "--time-budget",
            "120",
            "--cv-folds",
            "3",
            "--output",
            str(tmp_path / "runs"),
        ),
        _automl("leaderboard", "--study", "dist", "--storage", plain),
        _automl("-v", "predict", "--study", "dist", "--storage", plain, str(table), "--out", str(tmp_path / "preds.csv")),
        _automl("worker", "--study", "nope", "--storage", plain, "--n-trials", "1", check=False),
        _automl("leaderboard", "--study", "dist", "--storage", plain.replace(f":{password}@", ":Wr0ng-Passw0rd@"), check=False),
    ]
    assert [r.returncode for r in runs[-2:]] == [2, 2]
    assert "no study named 'nope'" in runs[-2].stderr and "password authentication failed" in runs[-1].stderr
    model_dir = next((tmp_path / "runs" / "dist" / "models").iterdir())
    runs.append(
        _automl("evaluate", "--model", str(model_dir), "--data", str(table), "--target", "label", "--out", str(tmp_path / "eval"))
    )

    texts = {
        f"{' '.join(r.args[3:5])} #{i} {stream}": getattr(r, stream)
        for i, r in enumerate(runs)
        for stream in ("stdout", "stderr")
    }
    for path in tmp_path.rglob("*"):
        if path.is_file() and path.suffix in (".json", ".html", ".csv", ".txt", ".log", ".npy", ".skops"):
            texts[str(path)] = path.read_bytes().decode("latin-1")
    storage = open_storage(postgres_url)
    for summary in storage.get_all_studies():
        texts[f"study {summary.study_name} attrs"] = json.dumps([summary.user_attrs, summary.system_attrs], default=str)
        for trial in storage.get_all_trials(storage.get_study_id_from_name(summary.study_name)):
            texts[f"trial {trial.number} attrs"] = json.dumps([trial.user_attrs, trial.system_attrs, trial.params], default=str)
    assert len(texts) > 20
    leaks = [name for name, text in texts.items() if password in text]
    assert not leaks, f"the password appears in: {leaks}"
    assert any(":***@127.0.0.1" in text for text in texts.values()), "the storage is shown, masked"


def test_a_search_killed_mid_trial_and_resumed_on_sqlite_leaves_no_trial_running(table: Path, tmp_path: Path) -> None:
    storage = f"sqlite:///{tmp_path}/search.db"
    command = [
        sys.executable,
        "-m",
        "automl",
        "search",
        str(table),
        "--target",
        "label",
        "--families",
        FAMILIES,
        "--study",
        "dist",
        "--storage",
        storage,
        "--n-trials",
        "8",
        "--time-budget",
        "300",
        "--cv-folds",
        "3",
        "--output",
        str(tmp_path / "runs"),
    ]
    first = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    killed = _running_trial_of(storage, first.pid)
    first.send_signal(signal.SIGKILL)
    first.wait(timeout=30)
    existing = len(_study(storage).trials)
    resumed = subprocess.run(command, capture_output=True, text=True, timeout=600)
    assert resumed.returncode == 0, resumed.stderr[-2000:]

    study = _study(storage)
    assert study.trials[killed].state == _STATE.FAIL, "the killed trial does not stay RUNNING"
    retries = [t for t in study.trials if t.system_attrs.get("failed_trial") == killed]
    assert len(retries) == 1 and retries[0].state == _STATE.COMPLETE
    assert retries[0].number == existing, "retried as soon as the search resumed, not after a heartbeat grace period"
    counts = count_trials(study)
    assert counts.running == 0 and counts.done == 8

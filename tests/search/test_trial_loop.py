"""The trial loop counts the study's trials, not its own, and waits for trials running elsewhere."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import optuna
import pandas as pd
import pytest

from automl import api
from automl._core import Deadline
from automl.search import _trial_loop, count_trials, join_study, run_trials
from automl.search._liveness import WORKER_ATTR

_STATE = optuna.trial.TrialState


@pytest.fixture
def storage(binary_frame: pd.DataFrame, tmp_path: Path) -> str:
    path = tmp_path / "train.csv"
    binary_frame.to_csv(path, index=False)
    url = f"sqlite:///{tmp_path}/loop.db"
    api.create_study(
        path,
        "label",
        families=["logistic_regression"],
        study_name="loop",
        storage=url,
        output_dir=str(tmp_path / "runs"),
        cv_folds=3,
    )
    return url


def _trial_elsewhere(url: str) -> optuna.trial.Trial:
    """A trial another machine is running (no heartbeat of its own: only its state tells)."""
    study = optuna.load_study(study_name="loop", storage=url)
    trial = study.ask()
    trial.set_user_attr(WORKER_ATTR, "another-host:1")
    return trial


def test_stop_condition_ends_the_run_for_good(storage: str) -> None:
    setup = join_study("loop", storage)
    run_trials(setup, n_trials=5, deadline=Deadline.after(None), stop_when=lambda study: "enough" if study.trials else None)
    assert count_trials(setup.study).done == 1


@pytest.mark.filterwarnings("ignore:Heartbeat of storage")
def test_the_last_trials_running_elsewhere_are_waited_for(storage: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(_trial_loop, "HEARTBEAT_SECONDS", 0.2)
    setup = join_study("loop", storage)
    elsewhere = _trial_elsewhere(storage)
    finisher = threading.Timer(2.0, lambda: elsewhere.study.tell(elsewhere, 0.5))
    finisher.start()
    started = time.monotonic()
    run_trials(setup, n_trials=3, deadline=Deadline.after(None))
    finisher.join()
    counts = count_trials(setup.study)
    assert (counts.done, counts.running) == (3, 0)
    assert time.monotonic() - started >= 1.9, "the worker returned before the other machine's trial finished"
    assert len(setup.study.trials) == 3, "no trial beyond the target was started"


@pytest.mark.filterwarnings("ignore:Heartbeat of storage")
def test_patience_ends_the_wait_for_a_trial_that_keeps_running(storage: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(_trial_loop, "HEARTBEAT_SECONDS", 0.1)
    monkeypatch.setattr(_trial_loop, "PATIENCE_SECONDS", 1.0)
    setup = join_study("loop", storage)
    _trial_elsewhere(storage)
    run_trials(setup, n_trials=2, deadline=Deadline.after(None))
    counts = count_trials(setup.study)
    assert (counts.done, counts.running) == (1, 1)


def test_a_skipped_family_still_runs_its_queued_trials_and_fits_nothing_when_sampled(storage: str) -> None:
    setup = join_study("loop", storage)
    queued = len(setup.study.get_trials(states=(_STATE.WAITING,)))
    assert queued >= 1, "the portfolio is queued"
    run_trials(setup, n_trials=queued + 2, deadline=Deadline.after(None), skips_family=lambda family: f"skipped: no {family}")
    trials = setup.study.get_trials()
    assert [t.state for t in trials] == [_STATE.COMPLETE] * queued + [_STATE.PRUNED] * 2
    for trial in trials[queued:]:
        assert trial.user_attrs["skipped"] == "skipped: no logistic_regression" and "fit_seconds" not in trial.user_attrs


def test_a_stop_for_a_reason_ends_the_trials_running_in_other_threads() -> None:
    """The stop condition keeps time for the final model; a trial still running elsewhere in this
    process must not spend it, so its deadline passes as soon as the study is stopped."""
    from automl.search._trial_loop import _Stop

    stop = _Stop(None, lambda study: "the time left is needed to refit the best model")
    trial_deadline = stop.deadline(Deadline.after(100.0))
    assert not trial_deadline.expired() and trial_deadline.remaining() > 90
    quiet = _Stop(1, None)  # a trial-count stop lets running trials finish
    unaffected = quiet.deadline(Deadline.after(100.0))
    study = optuna.create_study()
    study.optimize(lambda t: 0.0, n_trials=1, callbacks=[stop, quiet])
    assert trial_deadline.expired() and stop.reason is not None
    assert not unaffected.expired()

"""Storages: URL forms, one-line errors without passwords, heartbeats on the journal, dead workers' trials."""

from __future__ import annotations

import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path
from typing import Any

import optuna
import pytest

from automl._core import InputError, mask_secrets, normalize_db_url
from automl.cli import main
from automl.search import open_storage
from automl.search._liveness import WORKER_ATTR, fail_dead_trials, record_worker
from automl.search._storage import GRACE_SECONDS, HeartbeatJournalStorage

_STATE = optuna.trial.TrialState


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("postgresql://u:p@h/db", "postgresql+psycopg://u:p@h/db"),
        ("postgres://u@h:5433/db", "postgresql+psycopg://u@h:5433/db"),
        ("postgresql+psycopg://u@h/db", "postgresql+psycopg://u@h/db"),
        ("postgresql+psycopg2://u@h/db", "postgresql+psycopg2://u@h/db"),
        ("sqlite:///a.db", "sqlite:///a.db"),
    ],
)
def test_postgres_urls_use_the_psycopg3_driver(url: str, expected: str) -> None:
    assert normalize_db_url(url) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("postgresql+psycopg://ann:s3cr%40t@db:5432/x", "postgresql+psycopg://ann:***@db:5432/x"),
        ("error at postgresql://ann:pw@h/db: refused", "error at postgresql://ann:***@h/db: refused"),
        ("postgresql://ann@h/db", "postgresql://ann@h/db"),
        ("postgresql://ann:p@ss:w0rd@h:5432/db", "postgresql://ann:***@h:5432/db"),
        ("http://host:8080/path", "http://host:8080/path"),
        ("sqlite:///automl.db", "sqlite:///automl.db"),
    ],
)
def test_mask_secrets_hides_url_passwords_only(text: str, expected: str) -> None:
    assert mask_secrets(text) == expected


def test_mask_secrets_also_hides_named_secrets() -> None:
    assert mask_secrets("failed for hunter2 and hunter2", "hunter2") == "failed for *** and ***"


def _cli(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    code = main(argv)
    captured = capsys.readouterr()
    return code, captured.out + captured.err


@pytest.mark.parametrize(
    ("storage", "message"),
    [
        ("automl.db", "is not a URL"),
        ("nosuchdb://user:topsecret@localhost/x", "cannot open storage 'nosuchdb://user:***@localhost/x'"),
        ("journal:", "journal storage needs a file"),
    ],
)
def test_bad_storage_is_a_one_line_error_without_the_password(
    storage: str, message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    code, output = _cli(["leaderboard", "--study", "s", "--storage", storage], capsys)
    assert code == 2
    assert message in output
    assert len(output.strip().splitlines()) == 1
    assert "topsecret" not in output


def test_journal_storage_that_is_a_folder_is_refused(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="is a directory"):
        open_storage(f"journal:{tmp_path}")


@pytest.mark.integration
def test_postgres_bad_password_unreachable_server_and_unknown_study(
    postgres_server: Any, postgres_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    wrong = postgres_url.replace(postgres_server.password, "Wr0ngPassw0rdXYZ")
    code, output = _cli(["leaderboard", "--study", "s", "--storage", wrong], capsys)
    assert code == 2 and "password authentication failed" in output
    assert "Wr0ngPassw0rdXYZ" not in output and ":***@127.0.0.1" in output
    assert len(output.strip().splitlines()) == 1

    with __import__("socket").socket() as sock:
        sock.bind(("127.0.0.1", 0))
        closed_port = sock.getsockname()[1]
    unreachable = f"postgresql://automl_test:{postgres_server.password}@127.0.0.1:{closed_port}/x"
    code, output = _cli(["leaderboard", "--study", "s", "--storage", unreachable], capsys)
    assert code == 2 and "cannot open storage" in output and "refused" in output.lower()
    assert postgres_server.password not in output and len(output.strip().splitlines()) == 1

    plain = postgres_url.replace("postgresql+psycopg://", "postgresql://")
    optuna.create_study(study_name="exists", storage=open_storage(plain))
    code, output = _cli(["leaderboard", "--study", "nope", "--storage", plain], capsys)
    assert code == 2 and "no study named 'nope'" in output and "exists" in output
    assert postgres_server.password not in output and len(output.strip().splitlines()) == 1


@pytest.mark.filterwarnings("ignore:Heartbeat of storage")
def test_journal_storage_fails_and_retries_a_trial_whose_heartbeat_stopped(tmp_path: Path) -> None:
    path = tmp_path / "j.log"
    study = optuna.create_study(study_name="j", storage=open_storage(f"journal:{path}"))
    trial = study.ask({"x": optuna.distributions.FloatDistribution(0, 1)})
    trial.set_user_attr(WORKER_ATTR, "elsewhere:1")  # another machine: only its heartbeat tells
    study.tell(study.ask(), 1.0)
    # A second process opens the same journal; its grace period is short for the test.
    other = HeartbeatJournalStorage(optuna.storages.journal.JournalFileBackend(str(path)), grace_period=1)
    other.record_heartbeat(other.get_trial_id_from_study_id_trial_number(0, trial.number))
    seen = optuna.load_study(study_name="j", storage=other)
    assert fail_dead_trials(seen, other) == []  # the heartbeat is fresh
    time.sleep(1.5)
    assert fail_dead_trials(seen, other) == [trial.number]
    states = [t.state for t in seen.get_trials()]
    assert states == [_STATE.FAIL, _STATE.COMPLETE, _STATE.WAITING]
    assert seen.trials[2].system_attrs["failed_trial"] == trial.number
    assert seen.trials[2].params == trial.params


_HOLD_A_TRIAL = textwrap.dedent(
    """
    import sys, time, optuna
    from automl.search import open_storage
    from automl.search._liveness import record_worker
    study = optuna.load_study(study_name="s", storage=open_storage(sys.argv[1]))
    trial = study.ask({"x": optuna.distributions.FloatDistribution(0, 1)})
    record_worker(trial)
    print("running", trial.number, flush=True)
    time.sleep(600)
    """
)


@pytest.mark.integration
@pytest.mark.parametrize("kind", ["sqlite", "journal"])
def test_a_killed_local_worker_s_trial_is_failed_and_retried_at_once(kind: str, tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path}/s.db" if kind == "sqlite" else f"journal:{tmp_path}/s.journal"
    study = optuna.create_study(study_name="s", storage=open_storage(url))
    worker = subprocess.Popen([sys.executable, "-c", _HOLD_A_TRIAL, url], stdout=subprocess.PIPE, text=True)
    try:
        assert worker.stdout is not None and worker.stdout.readline().split() == ["running", "0"]
        assert fail_dead_trials(study, open_storage(url)) == []  # alive: left alone
    finally:
        worker.send_signal(signal.SIGKILL)
        worker.wait(timeout=10)
    storage = open_storage(url)
    resumed = optuna.load_study(study_name="s", storage=storage)
    assert fail_dead_trials(resumed, storage) == [0]  # no need to wait for the heartbeat grace period
    assert [t.state for t in resumed.get_trials()] == [_STATE.FAIL, _STATE.WAITING]
    resumed.optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=1)
    retried = resumed.trials[1]
    assert retried.state == _STATE.COMPLETE and retried.system_attrs["failed_trial"] == 0


@pytest.mark.filterwarnings("ignore:Heartbeat of storage")
@pytest.mark.parametrize("kind", ["sqlite", "journal"])
def test_a_local_trial_that_never_said_whose_it_is_is_failed_after_the_grace_period(kind: str, tmp_path: Path) -> None:
    """A worker killed between starting a trial and recording itself leaves no heartbeat and no owner."""
    url = f"sqlite:///{tmp_path}/s.db" if kind == "sqlite" else f"journal:{tmp_path}/s.journal"
    storage = open_storage(url)
    study = optuna.create_study(study_name="s", storage=storage)
    silent = study.ask({"x": optuna.distributions.FloatDistribution(0, 1)})
    mine = study.ask({"x": optuna.distributions.FloatDistribution(0, 1)})
    record_worker(mine)  # this process: alive, however long it runs
    started = study.trials[silent.number].datetime_start.timestamp()
    assert fail_dead_trials(study, storage, clock=lambda: started + GRACE_SECONDS - 1) == []  # maybe still starting
    assert fail_dead_trials(study, storage, clock=lambda: started + GRACE_SECONDS + 1) == [silent.number]
    states = [t.state for t in study.get_trials()]
    assert states == [_STATE.FAIL, _STATE.RUNNING, _STATE.WAITING]
    assert study.trials[2].system_attrs["failed_trial"] == silent.number

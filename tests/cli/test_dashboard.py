"""`automl dashboard` serves optuna-dashboard on the study storage: a real server, and a real browser reading it."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest
from sklearn.datasets import make_classification

import automl
from automl.cli import main
from tests._chromium import Chromium, chromium_binary
from tests.conftest import ARTIFACTS


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _get(url: str) -> dict:
    with urllib.request.urlopen(url, timeout=5) as response:
        return json.loads(response.read())


@pytest.fixture
def dashboard(tmp_path: Path) -> Iterator[tuple[str, str, str]]:
    """A study with finished trials (params, intermediate values) and `automl dashboard` serving it: (url, storage, output)."""
    storage = f"sqlite:///{tmp_path}/d.db"
    X, y = make_classification(n_samples=150, n_features=4, random_state=0)
    frame = pd.DataFrame(X, columns=["a", "b", "c", "d"]).assign(label=y)
    automl.search(
        frame,
        "label",
        families=["logistic_regression", "knn"],
        n_trials=4,
        time_budget=None,
        storage=storage,
        output_dir=None,
        study_name="dash-study",
        cv_folds=3,
    )
    port = _free_port()
    log = tmp_path / "dashboard.log"
    with open(log, "wb") as out:
        server = subprocess.Popen(
            [sys.executable, "-m", "automl", "dashboard", "--storage", storage, "--port", str(port)],
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    try:
        for _ in range(150):
            try:
                _get(f"http://127.0.0.1:{port}/api/studies")
                break
            except OSError:
                time.sleep(0.2)
        else:
            pytest.fail(f"the dashboard did not answer: {log.read_text()[-500:]}")
        yield f"http://127.0.0.1:{port}", storage, log.read_text()
    finally:
        server.terminate()
        server.wait(timeout=10)


@pytest.mark.integration
def test_dashboard_lists_the_study_and_its_trials(dashboard: tuple[str, str, str]) -> None:
    base, _, output = dashboard
    assert "listening on 127.0.0.1: reachable from this machine only" in output
    studies = {s["study_name"]: s for s in _get(f"{base}/api/studies")["study_summaries"]}
    detail = _get(f"{base}/api/studies/{studies['dash-study']['study_id']}")
    assert len(detail["trials"]) == 4
    assert detail["objective_names"] == ["roc_auc"], "objectives are named after the metric, not 'Objective 0'"


@pytest.mark.integration
def test_dashboard_shows_the_study_in_a_real_browser(dashboard: tuple[str, str, str], capsys: pytest.CaptureFixture[str]) -> None:
    binary = chromium_binary()
    if binary is None:
        if os.environ.get("CI"):
            pytest.fail("chromium is not installed; run scripts/ensure-chromium.sh (required in CI)")
        pytest.skip("chromium is not installed (run scripts/ensure-chromium.sh)")
    base, _, _ = dashboard
    study_id = next(s["study_id"] for s in _get(f"{base}/api/studies")["study_summaries"] if s["study_name"] == "dash-study")
    shots = ARTIFACTS / "dashboard"
    with Chromium(binary) as browser:
        browser.goto(f"{base}/dashboard/studies/{study_id}")
        traces = browser.wait_for("document.querySelectorAll('#graph-intermediate-values .scatterlayer .trace').length")
        text = browser.text()
        overview = browser.screenshot(shots / "study.png")
        assert "dash-study" in text
        assert traces == 4, f"the intermediate-value chart has {traces} trial lines, expected 4"
        assert "Intermediate values" in text and "trial #3" in text
        assert "roc_auc" in text and "Objective 0" not in text

        browser.goto(f"{base}/dashboard/studies/{study_id}/trials")
        listed = browser.wait_for("(document.body ? document.body.innerText : '').includes('4 Trials')")
        text = browser.text()
        trials = browser.screenshot(shots / "trials.png")
    with capsys.disabled():
        print(f"\ndashboard screenshots: {overview} {trials}")
    assert listed, f"the trial list does not say '4 Trials': {text[:300]!r}"
    assert "Trial 0" in text and "Trial 3" in text
    assert "family" in text and "logistic_regression.C" in text, "a parameter of the trial is shown"
    assert "Intermediate Values" in text


def test_dashboard_warns_when_it_listens_beyond_this_machine(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    served: dict[str, object] = {}
    monkeypatch.setattr("optuna_dashboard.run_server", lambda storage, **kw: served.update(kw))
    assert main(["dashboard", "--storage", f"sqlite:///{tmp_path}/x.db", "--host", "0.0.0.0", "--port", "8123"]) == 0
    output = capsys.readouterr().out
    assert served["host"] == "0.0.0.0"
    assert "warning: listening on 0.0.0.0" in output and "no login" in output

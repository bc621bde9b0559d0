"""`automl dashboard` serves optuna-dashboard on the study storage (a real server process)."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import optuna
import pytest


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.mark.integration
def test_dashboard_lists_the_study_and_its_trials(tmp_path: Path) -> None:
    storage = f"sqlite:///{tmp_path}/d.db"
    study = optuna.create_study(study_name="dash", storage=storage)
    study.optimize(lambda t: t.suggest_float("x", 0, 1) ** 2, n_trials=3)
    port = _free_port()
    server = subprocess.Popen([sys.executable, "-m", "automl", "dashboard", "--storage", storage, "--port", str(port)],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        body = None
        for _ in range(100):
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/studies", timeout=2) as response:
                    body = json.loads(response.read())
                break
            except OSError:
                time.sleep(0.2)
        assert body is not None, "the dashboard did not answer"
        studies = {s["study_name"]: s for s in body["study_summaries"]}
        assert "dash" in studies
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/studies/{studies['dash']['study_id']}", timeout=5) as response:
            detail = json.loads(response.read())
        assert len(detail["trials"]) == 3
    finally:
        server.terminate()
        server.wait(timeout=10)

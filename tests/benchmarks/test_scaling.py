"""Smoke test of benchmarks/scaling.py: one and two workers for a few seconds on a journal file."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

REPO = Path(__file__).resolve().parents[2]
DATASETS = REPO.parent / "shared" / "datasets"


@pytest.mark.slow
@pytest.mark.integration
def test_scaling_measures_each_worker_count(tmp_path: Path) -> None:
    if not (DATASETS / "penguins.csv.gz").exists():
        pytest.skip(f"shared datasets not found at {DATASETS}")
    out = tmp_path / "scaling"
    done = subprocess.run(
        [
            sys.executable,
            str(REPO / "benchmarks" / "scaling.py"),
            "--dataset",
            "penguins",
            "--budget",
            "10",
            "--workers",
            "1,2",
            "--storage",
            "journal",
            "--families",
            "logistic_regression",
            "--out",
            str(out),
            "--datasets-dir",
            str(DATASETS),
        ],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    rows = pd.read_csv(out / "scaling.csv")
    assert list(rows["workers"]) == [1, 2]
    assert (rows["finished"] > 0).all() and (rows["trials_per_min"] > 0).all() and rows["best_score"].notna().all()
    assert (rows["statements_per_trial"] > 0).all()
    report = (out / "scaling.md").read_text()
    assert "| 2 |" in report and "Projection:" in report

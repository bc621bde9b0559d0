"""Smoke test of benchmarks/run.py: one small dataset, three systems, two seeds, each run in its own process."""

from __future__ import annotations

import math
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

REPO = Path(__file__).resolve().parents[2]
DATASETS = REPO.parent / "shared" / "datasets"


@pytest.mark.slow
@pytest.mark.integration
def test_run_penguins_writes_normalized_results(tmp_path: Path) -> None:
    if not (DATASETS / "manifest.json").exists() or not (DATASETS / "penguins.csv.gz").exists():
        pytest.skip(f"shared datasets not found at {DATASETS}")
    out = tmp_path / "results"
    completed = subprocess.run(
        [
            sys.executable,
            str(REPO / "benchmarks" / "run.py"),
            "--budget",
            "10",
            "--datasets",
            "penguins",
            "--systems",
            "zero_rule,hgb_defaults,automl",
            "--seeds",
            "0,1",
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
    assert completed.returncode == 0, completed.stderr[-2000:]

    results = pd.read_csv(out / "results.csv")
    assert len(results) == 6 and sorted(set(results["seed"])) == [0, 1]
    assert list(results["status"]) == ["ok"] * 6, results[["system", "error"]].to_string()
    assert set(results["metric"]) == {"log_loss"}
    assert all(math.isfinite(v) and v > 0 for v in results["value"])
    for _, runs in results.groupby("seed"):
        normalized = runs.set_index("system")["normalized"]
        assert normalized["zero_rule"] == 0.0
        assert normalized.max() == pytest.approx(1.0)
        assert sorted(runs["rank"].dropna()) in ([1.0, 2.0], [1.5, 1.5])
    assert results["fit_seconds"].notna().all() and results["peak_memory_mb"].gt(0).all()
    assert results["predict_ms_per_1k"].gt(0).all()
    text = (out / "results.md").read_text()
    assert "## Normalized score" in text and "mean rank" in text
    assert sorted(p.name for p in tmp_path.iterdir()) == ["results"], "a run wrote outside --out"


def test_a_bad_baseline_path_is_reported_before_any_run(tmp_path: Path) -> None:
    """run.py reads --baseline-results first: a typo must not surface hours later, at the first report."""
    if not (DATASETS / "manifest.json").exists():
        pytest.skip(f"shared datasets not found at {DATASETS}")
    missing, out = tmp_path / "no-such-run", tmp_path / "results"
    command = [sys.executable, str(REPO / "benchmarks" / "run.py"), "--datasets-dir", str(DATASETS), "--out", str(out)]
    completed = subprocess.run(
        [*command, "--baseline-results", str(missing)],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert completed.returncode == 2
    assert f"run.py: baseline results '{missing}' is neither a results.csv" in completed.stderr
    assert not out.exists(), "nothing ran"

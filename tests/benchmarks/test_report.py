"""The benchmark's report: scores normalized and ranked per (dataset, seed), memory of a process group."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest

BENCH = Path(__file__).resolve().parents[2] / "benchmarks"
sys.path.insert(0, str(BENCH))

from _memory import GroupMemorySampler, group_rss_bytes  # noqa: E402
from _report import render_markdown, results_frame, system_summary  # noqa: E402


def _run(dataset: str, system: str, seed: int, value: float | None, status: str = "ok", **extra: float) -> dict:
    metric = "log_loss"
    return {
        "dataset": dataset,
        "task": "multiclass",
        "system": system,
        "metric": metric,
        "value": value,
        "fit_seconds": extra.get("fit", 10.0),
        "budget": 10.0,
        "predict_seconds": 0.1,
        "n_test": 200,
        "peak_memory_mb": extra.get("memory", 300.0),
        "status": status,
        "seed": seed,
        "error": "" if status == "ok" else "boom",
    }


def _records() -> list[dict]:
    return [
        _run("a", "zero_rule", 0, 1.0),
        _run("a", "autogluon", 0, 0.2, memory=500),
        _run("a", "automl", 0, 0.4, memory=400),
        _run("a", "zero_rule", 1, 1.0),
        _run("a", "autogluon", 1, 0.5, memory=600),
        _run("a", "automl", 1, 0.3, memory=700),
        _run("b", "zero_rule", 0, 2.0),
        _run("b", "autogluon", 0, 1.0),
        _run("b", "automl", 0, None, status="error", fit=30.0),
    ]


def test_scores_are_normalized_and_ranked_per_dataset_and_seed() -> None:
    frame = results_frame(_records()).set_index(["dataset", "system", "seed"])
    assert frame.at[("a", "autogluon", 0), "normalized"] == pytest.approx(1.0)
    assert frame.at[("a", "automl", 0), "normalized"] == pytest.approx(0.75)  # (1 - 0.4) / (1 - 0.2)
    assert frame.at[("a", "automl", 1), "normalized"] == pytest.approx(1.0)
    assert frame.at[("a", "automl", 0), "rank"] == 2 and frame.at[("a", "automl", 1), "rank"] == 1
    assert frame.at[("b", "automl", 0), "rank"] == 2, "a failed run ranks last"
    assert pd.isna(frame.at[("a", "zero_rule", 0), "rank"])
    assert frame.at[("a", "automl", 0), "predict_ms_per_1k"] == pytest.approx(500.0)
    assert bool(frame.at[("b", "automl", 0), "over_budget"])


def test_summary_counts_failures_as_zero_and_compares_memory_with_autogluon() -> None:
    frame = results_frame(_records())
    summary = system_summary(frame, ["zero_rule", "autogluon", "automl"]).set_index("system")
    assert summary.at["automl", "mean_normalized"] == pytest.approx((0.75 + 1.0 + 0.0) / 3)
    assert summary.at["automl", "mean_rank"] == pytest.approx((2 + 1 + 2) / 3)
    assert summary.at["automl", "failed"] == 1 and summary.at["automl", "over_budget"] == 1
    assert summary.at["automl", "max_peak_memory_mb"] == 700
    assert summary.at["automl", "memory_at_or_below_bar"] == "0/1"  # dataset a: 700 MB vs autogluon's 600 MB


def test_markdown_has_the_tables_and_the_baseline_comparison() -> None:
    frame = results_frame(_records())
    earlier = results_frame([{**r, "value": (r["value"] or 0) * 0.9, "budget": 5.0} for r in _records()])
    text = render_markdown(frame, ["zero_rule", "autogluon", "automl"], ["# title"], earlier)
    for section in (
        "## Summary",
        "## Test metric",
        "## Normalized score",
        "## Rank",
        "## Peak memory (MB)",
        "## Predict ms per 1,000 rows",
        "## Against the baseline run",
        "## Failures and skips",
    ):
        assert section in text
    assert "| automl | a | log_loss | 0.3150 | 0.3500 | 2/2 |" in text  # worse than the baseline on both seeds
    assert "b / automl (seed 0): **error**" in text


def test_group_memory_counts_child_processes() -> None:
    """A child holding ~200 MB in the same process group shows up in the group's peak."""
    code = "import time; block = bytearray(200 * 2**20); block[::4096] = b'x' * len(block[::4096]); time.sleep(3)"
    child = subprocess.Popen([sys.executable, "-c", code], start_new_session=True)
    try:
        sampler = GroupMemorySampler(child.pid, interval=0.05).start()
        time.sleep(2.0)
        peak = sampler.stop()
    finally:
        child.kill()
        child.wait()
    assert peak > 200, peak
    assert group_rss_bytes(os.getpgid(0)) > 0

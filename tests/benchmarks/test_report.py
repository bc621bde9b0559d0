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
from _report import read_baseline, render_markdown, results_frame, system_summary  # noqa: E402


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
    # against medium_quality the latency goal is "as fast", not best_quality's 10x (equal times: as fast)
    assert "automl is ahead on 1 of 3 runs, predicts at least as fast on 2 of 3, and its peak memory" in text
    assert "b / automl (seed 0): **error**" in text


def test_head_to_head_checks_each_run_against_best_quality_and_the_shorter_budget(tmp_path: Path) -> None:
    """At 300 s the peer is autogluon_best: memory bar, predict ratio and "never worse than 60 s"
    are per run; a failed automl run is never ahead and never "not worse"."""
    records = [
        _run("a", "zero_rule", 0, 1.0),
        {**_run("a", "autogluon_best", 0, 0.3, memory=500), "predict_seconds": 2.0},
        {**_run("a", "automl", 0, 0.2, memory=400), "detail": "stacking [5-fold CV], 30 trials"},
        _run("a", "zero_rule", 1, 1.0),
        _run("a", "autogluon_best", 1, 0.3, memory=500),
        {**_run("a", "automl", 1, 0.4, memory=600), "detail": "selection [holdout (50 rows)], 9 trials"},
        _run("b", "zero_rule", 0, 2.0),
        _run("b", "autogluon_best", 0, 1.0),
        _run("b", "automl", 0, None, status="error"),
    ]
    values = [1.0, 0.3, 0.25, 1.0, 0.3, 0.35, 2.0, 1.0, 1.5]
    shorter = [{**r, "budget": 5.0, "value": v, "status": "ok"} for r, v in zip(records, values, strict=True)]
    for path, rows in ((tmp_path / "s0.csv", shorter[:3] + shorter[6:]), (tmp_path / "s1.csv", shorter[3:6])):
        results_frame(rows).to_csv(path, index=False)
    earlier = read_baseline([tmp_path / "s0.csv", tmp_path / "s1.csv"])
    systems = ["zero_rule", "autogluon_best", "automl"]

    frame = results_frame(records)
    text = render_markdown(frame, systems, ["# title"], earlier)

    assert system_summary(frame, systems).set_index("system").at["automl", "memory_at_or_below_bar"] == "0/1"
    assert "## automl against autogluon_best, run by run" in text
    rows = [
        "| a | log_loss | 0 | **0.20000** | 0.30000 | 0.25000 | yes | 500 / 10,000 | 20.0x | 400 / 500 | stacking [5-fold CV] |",
        "| b | log_loss | 0 | error | **1.00000** | 1.50000 | **no** | 500 / 500 | – | 300 / 300 |  |",
        "| a | log_loss | 1 | 0.40000 | **0.30000** | 0.35000 | **no** | 500 / 500 | 1.0x | 600 / 500 | selection [holdout",
    ]
    assert "\n".join(rows) in text, "seed by seed, in the datasets' order"
    assert (
        "automl is ahead on 1 of 3 runs, predicts at least 10x faster on 1 of 3, and its peak memory is at or below "
        "autogluon_best's on 1 of 3; it is not worse than its own 5.0 s score on 1 of 3." in text
    )


def test_a_run_found_in_two_baseline_files_is_refused(tmp_path: Path) -> None:
    for name in ("results.csv", "other.csv"):
        results_frame(_records()[:3]).to_csv(tmp_path / name, index=False)
    with pytest.raises(ValueError, match="a / zero_rule seed 0 is in more than one file"):
        read_baseline([tmp_path / "other.csv", tmp_path])  # a folder stands for its results.csv
    with pytest.raises(ValueError, match=r"neither a results\.csv"):
        read_baseline([tmp_path / "missing"])


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

"""benchmarks/merge.py: several run.py invocations become one report only when they are one protocol."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

REPO = Path(__file__).resolve().parents[2]
BENCH = REPO / "benchmarks"
sys.path.insert(0, str(BENCH))

import merge  # noqa: E402
from _report import render_markdown, results_frame  # noqa: E402


def _git(*args: str) -> str:
    return subprocess.run(["git", *args], cwd=REPO, capture_output=True, text=True, check=True).stdout.strip()


def _source(folder: Path, seeds: list[int], revision: str, machine: str = "nproc 2", finished: bool = True) -> Path:
    """A run.py output folder: results.csv and a results.md whose header is shaped like run.py's."""
    records = [
        {
            "dataset": "penguins",
            "task": "multiclass",
            "system": system,
            "metric": "log_loss",
            "value": value + seed / 100,
            "fit_seconds": 9.0,
            "budget": 10.0,
            "predict_seconds": 0.1,
            "n_test": 86,
            "peak_memory_mb": 300.0,
            "status": "ok",
            "error": "",
            "seed": seed,
        }
        for seed in seeds
        for system, value in (("zero_rule", 1.05), ("hgb_defaults", 0.2), ("automl", 0.1))
    ]
    date = "started 2026-11-25 01:00:00 UTC, " + ("finished 2026-11-25 02:00:00 UTC" if finished else "**in progress**")
    header = [
        "# Benchmark results",
        "",
        f"- command: `run.py --seeds {','.join(map(str, seeds))}`",
        f"- date: {date}",
        f"- code: automl at git {revision}",
        f"- machine: {machine}",
        "- packages: automl 0.1.0",
        f"- protocol: budget 10 s per run, seeds {','.join(map(str, seeds))} (split and systems); 75/25 split",
        "- systems: `zero_rule`: priors",
    ]
    frame = results_frame(records)
    folder.mkdir()
    frame.to_csv(folder / "results.csv", index=False)
    (folder / "results.md").write_text(render_markdown(frame, ["zero_rule", "hgb_defaults", "automl"], header))
    return folder


@pytest.fixture
def head() -> str:
    return _git("rev-parse", "--short=12", "HEAD")


def test_merged_report_has_every_seed_and_names_each_source(tmp_path: Path, head: str) -> None:
    first = _source(tmp_path / "a", [0], head)
    second = _source(tmp_path / "b", [1, 2], head)
    out = tmp_path / "merged"

    assert merge.main([str(first), str(second), "--out", str(out)]) == 0

    results = pd.read_csv(out / "results.csv")
    assert sorted(set(results["seed"])) == [0, 1, 2] and len(results) == 9
    assert results.loc[results["system"] == "automl", "rank"].tolist() == [1.0, 1.0, 1.0]
    text = (out / "results.md").read_text()
    assert "from 2 invocations (seeds 0,1,2)" in text
    assert "  - seeds 0: command: `run.py --seeds 0`" in text and "  - seeds 1,2: command: `run.py --seeds 1,2`" in text
    assert "seeds 0,1,2 (split and systems)" in text
    assert "## Summary" in text and text.count("- machine: nproc 2") == 1


def test_merged_report_compares_with_baseline_runs_of_a_shorter_budget(
    tmp_path: Path, head: str, capsys: pytest.CaptureFixture[str]
) -> None:
    first, second = _source(tmp_path / "a", [0], head), _source(tmp_path / "b", [1], head)
    out = tmp_path / "merged"

    assert merge.main([str(first), str(second), "--out", str(out), "--baseline-results", str(first), str(second)]) == 0
    text = (out / "results.md").read_text()
    assert "## Against the baseline run" in text
    assert "- baseline run (`--baseline-results b`): command: `run.py --seeds 1`; date: started 2026-11-25" in text

    missing = tmp_path / "no-such-run"
    assert merge.main([str(first), str(second), "--out", str(out), "--baseline-results", str(missing)]) == 2
    assert f"baseline results '{missing}' is neither a results.csv" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("second", "message"),
    [
        ({"seeds": [0]}, "penguins / zero_rule seed 0 is in more than one source"),
        ({"machine": "nproc 4"}, "differs from"),
        ({"finished": False}, "did not finish"),
        ({"revision": "0123456789ab (+ uncommitted changes)"}, "no clean git revision"),
    ],
)
def test_sources_that_are_not_one_protocol_are_refused(
    tmp_path: Path, head: str, second: dict, message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    first = _source(tmp_path / "a", [0], head)
    other = _source(tmp_path / "b", **{"seeds": [1], "revision": head, **second})

    assert merge.main([str(first), str(other), "--out", str(tmp_path / "merged")]) == 2
    assert message in capsys.readouterr().err
    assert not (tmp_path / "merged").exists()


def test_sources_whose_measured_code_differs_are_refused(tmp_path: Path, head: str) -> None:
    changed = _git("log", "-1", "--format=%h", "--", "automl")  # the newest commit that changed automl/
    try:
        before = _git("rev-parse", "--short=12", f"{changed}~1")
    except subprocess.CalledProcessError:
        pytest.skip("a shallow clone: the commit before the newest automl change is not here")

    with pytest.raises(merge.MergeError, match="measured code differs"):
        merge.check_same_code([head, before])
    merge.check_same_code([head, _git("rev-parse", "--short=12", changed)])  # later commits touched no measured code

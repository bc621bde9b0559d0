"""``automl simulate`` on the time-ordered dev dataset: every policy replayed, counts that add up, a report."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from automl.cli import main
from automl.continual import SimulationConfig, simulate
from automl.registry import GateConfig
from tests.conftest import shared_dataset


def test_replay_of_elec2_with_three_policies(tmp_path: Path) -> None:
    path, entry = shared_dataset("elec2")
    frame = pd.read_csv(path).iloc[:5000]
    frame.to_csv(tmp_path / "stream.csv", index=False)
    code = main(
        [
            "simulate",
            "--data",
            str(tmp_path / "stream.csv"),
            "--target",
            entry["target"],
            "--window",
            "1000",
            "--policies",
            "static,stateful,stateless",
            "--initial-budget",
            "8",
            "--families",
            "xgboost,logistic_regression",
            "--out",
            str(tmp_path / "sim"),
            "--n-bootstrap",
            "200",
        ]
    )
    assert code == 0
    report = json.loads((tmp_path / "sim" / "report.json").read_text())
    assert report["rows"] == 5000 and len(report["windows"]) == 4
    by_policy = {p["policy"]: p for p in report["policies"]}
    assert by_policy["static"]["updates"] == 0 and by_policy["static"]["total_fit_seconds"] == 0
    for policy in ("stateful", "stateless"):
        summary = by_policy[policy]
        assert summary["updates"] == 3  # every window but the last (its update would never be scored)
        assert summary["promotions"] + summary["rejections"] + summary["holds"] == summary["updates"]
        assert summary["harmful_promotions"] <= summary["promotions"]
        assert summary["total_fit_seconds"] > 0
    for window in report["windows"]:
        assert set(window["scores"]) == {"static", "stateful", "stateless"}
        assert all(0.5 < s <= 1 for s in window["scores"].values())
    html = (tmp_path / "sim" / "report.html").read_text()
    assert html.count("<img") == 2 and "stateful" in html


def test_a_replay_needs_three_windows() -> None:
    frame = pd.DataFrame({"x": range(150), "y": [0, 1] * 75})
    with pytest.raises(ValueError, match="at least 3"):
        simulate(frame, "y", SimulationConfig(window=100, gate=GateConfig(n_bootstrap=100)))

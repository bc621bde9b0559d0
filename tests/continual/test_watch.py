"""``automl watch --once``: each trigger fires on data planted for it, and nothing fires on unchanged data."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import automl
from automl.cli import main
from automl.registry import Registry
from tests.continual.test_update import stream


@pytest.fixture
def champion(tmp_path: Path) -> tuple[str, pd.DataFrame]:
    data = stream(3000, seed=4)
    data.iloc[:1500].to_csv(tmp_path / "old.csv", index=False)
    url = f"sqlite:///{tmp_path}/automl.db"
    automl.search(
        str(tmp_path / "old.csv"),
        "y",
        n_trials=2,
        time_budget=None,
        families=["logistic_regression"],
        study_name="first",
        storage=url,
        output_dir=str(tmp_path / "runs"),
        register="churn",
        ensemble="none",
    )
    return url, data.iloc[1500:].reset_index(drop=True)


def _watch(url: str, data: Path, *flags: str) -> tuple[list[str], int]:
    """Run ``automl watch --once``; return the kinds that fired (from the history) and the number of versions."""
    assert (
        main(
            [
                "watch",
                "churn",
                "--data",
                str(data),
                "--once",
                "--registry",
                url,
                "--n-bootstrap",
                "200",
                "--mode",
                "stateful",
                *flags,
            ]
        )
        == 0
    )
    with Registry(url) as reg:
        fired = [c["kind"] for e in reg.history("churn", kinds=("triggered",)) for c in e.evidence["checks"] if c["fired"]]
        return fired, len(reg.versions("churn"))


def test_unchanged_data_fires_nothing(champion: tuple[str, pd.DataFrame], tmp_path: Path) -> None:
    url, new = champion
    new.iloc[:200].to_csv(tmp_path / "new.csv", index=False)
    fired, versions = _watch(url, tmp_path / "new.csv", "--on-growth", "0.5", "--on-drift", "psi:0.2", "--on-drop", "0.1")
    assert fired == [] and versions == 1


def test_growth_fires_and_updates(champion: tuple[str, pd.DataFrame], tmp_path: Path) -> None:
    url, new = champion
    new.iloc[:60].to_csv(tmp_path / "new.csv", index=False)  # 4% of 1500: below the default 5%
    assert _watch(url, tmp_path / "new.csv") == ([], 1)
    new.iloc[:200].to_csv(tmp_path / "new.csv", index=False)  # the file grew: 200 rows pending = 13%
    fired, versions = _watch(url, tmp_path / "new.csv")
    assert fired == ["growth"] and versions == 2
    with Registry(url) as reg:
        triggered = reg.history("churn", kinds=("triggered",))[-1]
        assert triggered.evidence["rows"] == 200 and "13.3%" in triggered.reason


def test_planted_drift_fires(champion: tuple[str, pd.DataFrame], tmp_path: Path) -> None:
    url, new = champion
    shifted = new.iloc[:200].assign(f0=new["f0"].iloc[:200] + 3.0)
    shifted.to_csv(tmp_path / "new.csv", index=False)
    fired, _ = _watch(url, tmp_path / "new.csv", "--on-growth", "0", "--on-drift", "psi:0.2")
    assert fired == ["drift"]
    with Registry(url) as reg:
        assert "f0" in reg.history("churn", kinds=("triggered",))[-1].reason


def test_planted_drop_fires(champion: tuple[str, pd.DataFrame], tmp_path: Path) -> None:
    url, new = champion
    flipped = new.iloc[:300].assign(y=np.where(new["y"].iloc[:300] == "buy", "skip", "buy"))
    flipped.to_csv(tmp_path / "new.csv", index=False)
    fired, _ = _watch(url, tmp_path / "new.csv", "--on-growth", "0", "--on-drop", "0.1")
    assert fired == ["drop"]


def test_schedule_by_rows_fires_and_a_folder_of_files_is_read_once(champion: tuple[str, pd.DataFrame], tmp_path: Path) -> None:
    url, new = champion
    folder = tmp_path / "incoming"
    folder.mkdir()
    new.iloc[:80].to_csv(folder / "a.csv", index=False)
    assert _watch(url, folder, "--on-growth", "0", "--every-rows", "150") == ([], 1)
    new.iloc[80:200].to_csv(folder / "b.csv", index=False)
    fired, versions = _watch(url, folder, "--on-growth", "0", "--every-rows", "150")
    assert fired == ["schedule_rows"] and versions == 2
    assert _watch(url, folder, "--on-growth", "0", "--every-rows", "150")[1] == 2  # nothing new: nothing pending

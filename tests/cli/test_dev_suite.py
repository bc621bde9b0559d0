"""Acceptance on every shared dataset: a 30 s CLI search stays in budget and its saved model
predicts exactly like the one the search returned (run with -m slow)."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import automl
from tests.conftest import manifest, shared_dataset

BUDGET = 30.0


@pytest.mark.slow
@pytest.mark.integration
@pytest.mark.parametrize("name", sorted(manifest()) or ["penguins"])
def test_cli_search_on_dev_dataset(name: str, tmp_path: Path) -> None:
    path, entry = shared_dataset(name)
    storage = f"sqlite:///{tmp_path}/dev.db"
    started = time.monotonic()
    done = subprocess.run(
        [sys.executable, "-m", "automl", "search", str(path), "--target", entry["target"], "--time-budget", str(BUDGET),
         "--study", name, "--storage", storage, "--output", str(tmp_path / "runs")],
        capture_output=True, text=True, cwd=tmp_path, timeout=BUDGET * 3 + 60,
    )
    elapsed = time.monotonic() - started
    assert done.returncode == 0, done.stderr[-2000:]
    assert elapsed <= BUDGET * 1.05 + 5, f"{name}: {elapsed:.1f} s for a {BUDGET} s budget"
    card = json.loads(next((tmp_path / "runs" / name / "models").glob("*/model_card.json")).read_text())
    assert card["task"] == entry["task"]
    frame = pd.read_csv(path).drop(columns=[entry["target"]]).head(500)
    loaded = automl.load_best_model(name, storage)
    reference, _ = automl.api.load_saved_model(next((tmp_path / "runs" / name / "models").iterdir()))
    if entry["task"] == "regression":
        np.testing.assert_array_equal(loaded.predict(frame), reference.predict(frame))
    else:
        np.testing.assert_array_equal(loaded.predict_proba(frame), reference.predict_proba(frame))

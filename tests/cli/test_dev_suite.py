"""Acceptance on every shared dataset: a 30 s CLI search stays in budget and its saved model
predicts exactly like the one the search returned (run with -m slow).

The search runs as ``automl search`` in a child process (the budget counts the process's
start-up). A small driver runs the real CLI there and, once it is done, writes the
predictions of the model that ``automl.api.search`` returned in memory; the test compares
them with the predictions of the saved model, loaded with ``automl.load_best_model``.
"""

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
ROWS = 500  # rows predicted by both models

# argv: predictions file, data file, target, task, rows to predict, then the CLI arguments. Prints when the CLI returned.
_DRIVER = """
import sys, time
import numpy as np
import pandas as pd
from automl import api
from automl.cli import main

out, data, target, task, rows, *argv = sys.argv[1:]
returned = []
search = api.search
def remember(*args, **kwargs):
    returned.append(search(*args, **kwargs))
    return returned[-1]
api.search = remember  # what the CLI's search command calls
code = main(argv)
print(f"cli finished at {time.monotonic()!r}")  # the system-wide clock: comparable with the test's
if code == 0:
    model = returned[0].best_model
    frame = pd.read_csv(data).drop(columns=[target]).head(int(rows))
    np.save(out, model.predict(frame) if task == "regression" else model.predict_proba(frame))
sys.exit(code)
"""


@pytest.mark.slow
@pytest.mark.integration
@pytest.mark.parametrize("name", sorted(manifest()) or ["penguins"])
def test_cli_search_on_dev_dataset(name: str, tmp_path: Path) -> None:
    path, entry = shared_dataset(name)
    storage = f"sqlite:///{tmp_path}/dev.db"
    returned = tmp_path / "returned.npy"
    cli_args = [
        "search",
        str(path),
        "--target",
        entry["target"],
        "--time-budget",
        str(BUDGET),
        "--study",
        name,
        "--storage",
        storage,
        "--output",
        str(tmp_path / "runs"),
    ]
    started = time.monotonic()
    done = subprocess.run(
        [sys.executable, "-c", _DRIVER, str(returned), str(path), entry["target"], entry["task"], str(ROWS), *cli_args],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        timeout=BUDGET * 3 + 60,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    elapsed = float(done.stdout.rsplit("cli finished at ", 1)[1].split()[0]) - started
    assert elapsed <= BUDGET * 1.05 + 5, f"{name}: {elapsed:.1f} s for a {BUDGET} s budget"
    card = json.loads(next((tmp_path / "runs" / name / "models").glob("*/model_card.json")).read_text())
    assert card["task"] == entry["task"]
    frame = pd.read_csv(path).drop(columns=[entry["target"]]).head(ROWS)
    saved = automl.load_best_model(name, storage)
    in_memory = np.load(returned, allow_pickle=False)
    if entry["task"] == "regression":
        np.testing.assert_array_equal(saved.predict(frame), in_memory)
    else:
        np.testing.assert_array_equal(saved.predict_proba(frame), in_memory)

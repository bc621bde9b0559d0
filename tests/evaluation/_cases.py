"""A dataset split into train/test CSVs with a saved model, and a way to run ``automl evaluate`` on it."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from automl.cli import main
from automl.models import ModelCard, TabularModel, save_model
from tests.conftest import shared_dataset

FAST = ["--bootstrap", "30", "--importance-repeats", "2", "--seed", "0"]


@dataclass(frozen=True)
class Case:
    """A dataset split into train/test CSVs and a model fitted on train, saved as a model folder."""

    name: str
    task: str
    target: str
    folder: Path
    model_dir: Path
    train_csv: Path
    test_csv: Path
    model: TabularModel
    train: pd.DataFrame
    test: pd.DataFrame

    def run(self, *extra: str, out: str = "out") -> tuple[int, Path]:
        """``automl evaluate`` in-process on this case; returns (exit code, output folder)."""
        out_dir = self.folder / out
        code = main(
            [
                "evaluate",
                "--model",
                str(self.model_dir),
                "--data",
                str(self.test_csv),
                "--target",
                self.target,
                "--out",
                str(out_dir),
                *FAST,
                *extra,
            ]
        )
        return code, out_dir


def make_case(root: Path, name: str, model: TabularModel, metric: str, n_train: int, n_test: int) -> Case:
    path, entry = shared_dataset(name)
    frame = pd.read_csv(path).sample(frac=1.0, random_state=0).reset_index(drop=True)
    train, test = frame.iloc[:n_train].reset_index(drop=True), frame.iloc[n_train : n_train + n_test].reset_index(drop=True)
    target = entry["target"]
    folder = root / name
    folder.mkdir(parents=True)
    train.to_csv(folder / "train.csv", index=False)
    test.to_csv(folder / "test.csv", index=False)
    model.fit(train.drop(columns=[target]), train[target])
    classes = None if entry["task"] == "regression" else [str(c) for c in model.classes_]
    card = ModelCard(
        task=entry["task"],
        metric=metric,
        family=model.builder,
        params=dict(model.params or {}),
        cv_score=None,
        data_fingerprint="test",
        target=target,
        classes=classes,
    )
    model_dir = save_model(model, folder / "model", card)
    return Case(name, entry["task"], target, folder, model_dir, folder / "train.csv", folder / "test.csv", model, train, test)

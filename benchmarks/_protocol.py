"""The suite's protocol: load a shared dataset, split it 75/25, score a fitted model.

Every system is scored by the same code here, so the only thing that differs
between rows of the results table is the ``fit`` call.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from sklearn.metrics import log_loss, mean_squared_error, roc_auc_score
from sklearn.model_selection import train_test_split

TEST_FRACTION = 0.25
PROBA_CLIP = 1e-15

# task -> (metric name, greater is better)
TASK_METRIC: dict[str, tuple[str, bool]] = {
    "binary": ("roc_auc", True),
    "multiclass": ("log_loss", False),
    "regression": ("rmse", False),
}
GREATER_IS_BETTER: dict[str, bool] = {name: greater for name, greater in TASK_METRIC.values()}


@dataclass(frozen=True)
class DatasetSpec:
    """One manifest entry, reduced to what the protocol needs."""

    name: str
    task: str
    target: str
    path: Path
    positive_class: Any
    time_ordered: bool

    @property
    def metric(self) -> str:
        return TASK_METRIC[self.task][0]


@dataclass(frozen=True)
class Split:
    X_train: pd.DataFrame
    y_train: pd.Series
    X_test: pd.DataFrame
    y_test: pd.Series


def read_manifest(datasets_dir: Path) -> dict[str, DatasetSpec]:
    """``{name: DatasetSpec}`` in manifest order."""
    path = datasets_dir / "manifest.json"
    if not path.exists():
        raise FileNotFoundError(f"no manifest.json in datasets dir '{datasets_dir}'; pass --datasets-dir")
    specs = {}
    for entry in json.loads(path.read_text()):
        if entry["task"] not in TASK_METRIC:
            raise ValueError(f"manifest entry '{entry['name']}' has task '{entry['task']}'; expected one of {list(TASK_METRIC)}")
        specs[entry["name"]] = DatasetSpec(
            name=entry["name"],
            task=entry["task"],
            target=entry["target"],
            path=datasets_dir / entry["file"],
            positive_class=entry.get("positive_class"),
            time_ordered=bool(entry.get("time_ordered", False)),
        )
    return specs


def load_split(spec: DatasetSpec, seed: int) -> Split:
    """75/25 split: seeded and stratified for classification; a time-ordered set keeps its order."""
    frame = pd.read_csv(spec.path)
    y = frame[spec.target]
    X = frame.drop(columns=[spec.target])
    if spec.time_ordered:
        n_train = int(len(frame) * (1 - TEST_FRACTION))
        return Split(
            X.iloc[:n_train].reset_index(drop=True),
            y.iloc[:n_train].reset_index(drop=True),
            X.iloc[n_train:].reset_index(drop=True),
            y.iloc[n_train:].reset_index(drop=True),
        )
    stratify = y if spec.task != "regression" else None
    X_train, X_test, y_train, y_test = train_test_split(
        X, y, test_size=TEST_FRACTION, random_state=seed, shuffle=True, stratify=stratify
    )
    return Split(
        X_train.reset_index(drop=True),
        y_train.reset_index(drop=True),
        X_test.reset_index(drop=True),
        y_test.reset_index(drop=True),
    )


def _class_index(classes: np.ndarray, label: Any) -> int:
    """Position of ``label`` in a model's ``classes_`` (tolerates 1 vs np.int64(1) vs "1")."""
    for i, c in enumerate(classes):
        if c == label:
            return i
    for i, c in enumerate(classes):
        if str(c) == str(label):
            return i
    raise ValueError(f"positive class {label!r} is not among the model's classes {list(classes)}")


def score(spec: DatasetSpec, model: Any, X_test: pd.DataFrame, y_test: pd.Series) -> tuple[float, float]:
    """(test metric, predict seconds) for a fitted ``model``."""
    start = time.perf_counter()
    if spec.task == "regression":
        pred = np.asarray(model.predict(X_test), dtype=float)
        seconds = time.perf_counter() - start
        return float(np.sqrt(mean_squared_error(y_test, pred))), seconds
    proba = np.asarray(model.predict_proba(X_test), dtype=float)
    seconds = time.perf_counter() - start
    classes = np.asarray(model.classes_)
    if proba.ndim != 2 or proba.shape[1] != len(classes):
        raise ValueError(f"predict_proba returned shape {proba.shape} for {len(classes)} classes")
    if spec.task == "binary":
        positive = _class_index(classes, spec.positive_class)
        truth = np.array([_matches(v, spec.positive_class) for v in y_test])
        return float(roc_auc_score(truth, proba[:, positive])), seconds
    proba = np.clip(proba, PROBA_CLIP, 1.0)
    proba = proba / proba.sum(axis=1, keepdims=True)
    return float(log_loss(np.asarray(y_test), proba, labels=classes)), seconds


def _matches(value: Any, label: Any) -> bool:
    return bool(value == label) or str(value) == str(label)

"""Leaderboard and per-family summary, read from the study (so they work on resumed studies).

In a multi-objective study the leaderboard is still ordered by the metric score and a
``pareto`` column marks the trials on the score/latency (or score/size) front.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import optuna
import pandas as pd

from automl.search._objective import FAMILY_PARAM
from automl.search._trials import pareto_numbers, ranked, score, score_maximized

_STATE = optuna.trial.TrialState


def _clean_params(trial: optuna.trial.FrozenTrial) -> dict[str, Any]:
    family = trial.params.get(FAMILY_PARAM, "")
    prefix = f"{family}."
    return {k[len(prefix) :]: v for k, v in trial.params.items() if k.startswith(prefix)}


def leaderboard(study: optuna.Study) -> pd.DataFrame:
    """One row per completed trial, best first (ties: earlier trial first).

    ``frame.attrs["resampling"]`` says how the scores were measured (folds, holdout or time
    splits, and how they were adapted to the data), for the leaderboard's header.
    """
    metric = study.user_attrs.get("metric", "score")
    front = pareto_numbers(study)
    rows = []
    for t in ranked(study):
        folds = t.user_attrs.get("fold_scores", [])
        rows.append(
            {
                "trial": t.number,
                "family": t.params.get(FAMILY_PARAM),
                metric: score(t),
                "std": float(np.std(folds)) if len(folds) > 1 else float("nan"),
                "fit_s": t.user_attrs.get("fit_seconds"),
                "predict_ms_per_1k": t.user_attrs.get("predict_ms_per_1k"),
                "model_kb": round(t.user_attrs.get("model_bytes", 0) / 1024, 1),
                "params": _clean_params(t),
            }
        )
        if front:
            rows[-1]["pareto"] = t.number in front
    columns = [
        "rank",
        "trial",
        "family",
        metric,
        "std",
        "fit_s",
        "predict_ms_per_1k",
        "model_kb",
        *(["pareto"] if front else []),
        "params",
    ]
    frame = pd.DataFrame(rows, columns=columns[1:])
    frame.insert(0, "rank", np.arange(1, len(frame) + 1))
    frame.attrs["resampling"] = study.user_attrs.get("resampling", "")
    return frame


_OUTCOMES = ("complete", "pruned", "stopped", "skipped", "failed")


def family_summary(study: optuna.Study) -> pd.DataFrame:
    """Per family: trials, completed/pruned/stopped/skipped/failed, best score, seconds spent.

    ``stopped`` counts trials cut short by the time budget and ``skipped`` those the search
    did not run, as its families were not wanted any more (Optuna records both as pruned);
    ``pruned`` only those the pruner stopped.

    Comparing families only makes sense under comparable effort, so the effort
    (trials and seconds) is shown next to the best score.
    """
    ascending = not score_maximized(study)
    rows: dict[str, dict[str, Any]] = {}
    for t in study.get_trials(deepcopy=False):
        family = t.params.get(FAMILY_PARAM)
        if family is None or t.state in (_STATE.RUNNING, _STATE.WAITING):
            continue
        row = rows.setdefault(
            family,
            {"family": family, "trials": 0, **dict.fromkeys(_OUTCOMES, 0), "best": None, "seconds": 0.0},
        )
        row["trials"] += 1
        row[_outcome(t)] += 1
        if t.datetime_start and t.datetime_complete:
            row["seconds"] += (t.datetime_complete - t.datetime_start).total_seconds()
        if t.state == _STATE.COMPLETE and (row["best"] is None or (score(t) < row["best"]) == ascending):
            row["best"] = score(t)
    frame = pd.DataFrame(list(rows.values()), columns=["family", "trials", *_OUTCOMES, "best", "seconds"])
    frame["seconds"] = frame["seconds"].round(1)
    return frame.sort_values("best", ascending=ascending, na_position="last").reset_index(drop=True)


def _outcome(trial: optuna.trial.FrozenTrial) -> str:
    if trial.state == _STATE.COMPLETE:
        return "complete"
    if trial.state == _STATE.PRUNED:
        return next((kind for kind in ("stopped", "skipped") if kind in trial.user_attrs), "pruned")
    return "failed"

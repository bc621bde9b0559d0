"""Turn per-run records into ``results.csv`` and a markdown report with normalized scores."""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np
import pandas as pd

from _protocol import GREATER_IS_BETTER

BASELINE = "zero_rule"
COLUMNS = [
    "dataset", "task", "system", "metric", "value", "normalized", "fit_seconds", "budget", "over_budget",
    "predict_seconds", "peak_memory_mb", "wall_seconds", "status", "error", "detail", "seed", "n_train", "n_test",
]


def over_budget(fit_seconds: float, budget: float) -> bool:
    """The suite's tolerance: 5 % of the budget plus 5 s for process start and data loading."""
    return bool(fit_seconds > budget * 1.05 + 5)


def results_frame(records: Iterable[dict[str, Any]]) -> pd.DataFrame:
    """One row per run with ``over_budget`` and ``normalized`` filled in."""
    frame = pd.DataFrame(list(records))
    for column in COLUMNS:
        if column not in frame:
            frame[column] = np.nan
    frame = frame[COLUMNS].copy()
    frame["over_budget"] = [
        bool(status == "timeout") or (not _missing(fit) and over_budget(float(fit), float(budget)))
        for status, fit, budget in zip(frame["status"], frame["fit_seconds"], frame["budget"])
    ]
    frame["normalized"] = normalized_scores(frame)
    for column in ("seed", "n_train", "n_test"):
        frame[column] = pd.to_numeric(frame[column]).astype("Int64")
    return frame


def normalized_scores(frame: pd.DataFrame) -> pd.Series:
    """0 = zero_rule, 1 = the best system on the dataset; NaN when a run or the baseline failed.

    ``(value - zero) / (best - zero)`` is the same formula for both directions:
    for log loss / RMSE it equals ``(zero - value) / (zero - best)``. If no system
    beats zero_rule the dataset scores 0 for everyone.
    """
    scores = pd.Series(np.nan, index=frame.index, dtype=float)
    ok = frame["status"] == "ok"
    for _, rows in frame[ok].groupby("dataset", sort=False):
        baseline = rows.loc[rows["system"] == BASELINE, "value"]
        if baseline.empty:
            continue
        zero = float(baseline.iloc[0])
        greater = GREATER_IS_BETTER[rows["metric"].iloc[0]]
        best = float(rows["value"].max() if greater else rows["value"].min())
        if best == zero:
            scores[rows.index] = 0.0
        else:
            scores[rows.index] = (rows["value"].astype(float) - zero) / (best - zero)
    return scores + 0.0  # no "-0.0" for the baseline


def system_summary(frame: pd.DataFrame, systems: Sequence[str]) -> pd.DataFrame:
    """Per system: mean normalized score (failed runs count as 0, like zero_rule), counts, times, memory."""
    scored = set(frame.loc[(frame["system"] == BASELINE) & (frame["status"] == "ok"), "dataset"])
    rows = []
    for system in systems:
        runs = frame[frame["system"] == system]
        ran = runs[runs["status"] != "skipped"]
        on_scored = ran[ran["dataset"].isin(scored)]
        mean = float(on_scored["normalized"].fillna(0.0).mean()) if len(on_scored) else math.nan
        rows.append({
            "system": system,
            "mean_normalized": mean,
            "ok": int((ran["status"] == "ok").sum()),
            "failed": int((ran["status"].isin(["error", "timeout"])).sum()),
            "skipped": int((runs["status"] == "skipped").sum()),
            "over_budget": int(ran["over_budget"].sum()),
            "median_fit_seconds": float(ran["fit_seconds"].median()) if len(ran) else math.nan,
            "max_fit_seconds": float(ran["fit_seconds"].max()) if len(ran) else math.nan,
            "median_predict_seconds": float(ran["predict_seconds"].median()) if len(ran) else math.nan,
            "max_peak_memory_mb": float(ran["peak_memory_mb"].max()) if len(ran) else math.nan,
        })
    return pd.DataFrame(rows)


def _missing(value: Any) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


def _num(value: Any, digits: int = 4) -> str:
    if _missing(value):
        return "–"
    value = float(value)
    if abs(value) >= 1000:
        return f"{value:,.0f}"
    if abs(value) >= 10:
        return f"{value:.2f}"
    return f"{value:.{digits}f}"


def _seconds(value: Any) -> str:
    if _missing(value):
        return "–"
    return f"{float(value):.1f}" if float(value) >= 1 else f"{float(value):.3f}"


def _megabytes(value: Any) -> str:
    return "–" if _missing(value) else f"{float(value):.0f}"


def _table(header: Sequence[str], rows: Iterable[Sequence[str]], align_left: int = 1) -> list[str]:
    lines = ["| " + " | ".join(header) + " |",
             "| " + " | ".join("---" if i < align_left else "---:" for i in range(len(header))) + " |"]
    lines += ["| " + " | ".join(str(c) for c in row) + " |" for row in rows]
    return lines


def _pivot_cell(frame: pd.DataFrame, dataset: str, system: str) -> pd.Series | None:
    rows = frame[(frame["dataset"] == dataset) & (frame["system"] == system)]
    return None if rows.empty else rows.iloc[0]


def _status_cell(row: pd.Series | None) -> str | None:
    """The text for a run that has no number: skipped / error / timeout."""
    if row is None:
        return "–"
    if row["status"] != "ok":
        return str(row["status"])
    return None


def render_markdown(frame: pd.DataFrame, systems: Sequence[str], header: Sequence[str]) -> str:
    datasets = list(dict.fromkeys(frame["dataset"]))
    budget = frame["budget"].dropna().iloc[0] if frame["budget"].notna().any() else math.nan
    lines = list(header)

    summary = system_summary(frame, systems)
    lines += ["", "## Summary", "",
              "Mean normalized score over the datasets where zero_rule ran (failed or timed-out runs count as 0); "
              f"fit seconds against a budget of {_seconds(budget)} s (over budget = fit > budget*1.05 + 5 s).", ""]
    best_mean = summary["mean_normalized"].max()
    lines += _table(
        ["system", "mean normalized", "ok", "failed", "skipped", "over budget", "median fit s", "max fit s",
         "median predict s", "max peak MB"],
        [[s.system, _bold(_num(s.mean_normalized, 3), s.mean_normalized == best_mean), s.ok, s.failed, s.skipped,
          s.over_budget, _seconds(s.median_fit_seconds), _seconds(s.max_fit_seconds),
          _seconds(s.median_predict_seconds), _megabytes(s.max_peak_memory_mb)] for s in summary.itertuples()],
    )

    lines += ["", "## Test metric", "", "roc_auc: higher is better; log_loss and rmse: lower is better. Best in bold.", ""]
    rows = []
    for dataset in datasets:
        first = frame[frame["dataset"] == dataset].dropna(subset=["metric"])
        metric = first["metric"].iloc[0] if len(first) else "?"
        task = first["task"].iloc[0] if len(first) else "?"
        ok = frame[(frame["dataset"] == dataset) & (frame["status"] == "ok")]
        best = None
        if len(ok) and metric in GREATER_IS_BETTER:
            best = ok["value"].max() if GREATER_IS_BETTER[metric] else ok["value"].min()
        cells = []
        for system in systems:
            row = _pivot_cell(frame, dataset, system)
            text = _status_cell(row)
            cells.append(text if text is not None else _bold(_num(row["value"]), row["value"] == best))
        rows.append([dataset, task, metric, *cells])
    lines += _table(["dataset", "task", "metric", *systems], rows, align_left=3)

    lines += ["", "## Normalized score", "", "0 = zero_rule, 1 = best system on the dataset; negative = worse than zero_rule.", ""]
    rows = []
    for dataset in datasets:
        cells = []
        for system in systems:
            row = _pivot_cell(frame, dataset, system)
            text = _status_cell(row)
            cells.append(text if text is not None else _num(row["normalized"], 3))
        rows.append([dataset, *cells])
    rows.append(["**mean**", *[_num(m, 3) for m in summary["mean_normalized"]]])
    lines += _table(["dataset", *systems], rows)

    lines += _per_run_table(frame, datasets, systems, "Fit seconds",
                            f"Wall-clock seconds of the fit call, refit included (budget {_seconds(budget)} s); "
                            "`!` marks a run over budget.", "fit_seconds", _seconds, mark_over=True)
    lines += _per_run_table(frame, datasets, systems, "Predict seconds", "Predicting the whole test split once.",
                            "predict_seconds", _seconds)
    lines += _per_run_table(frame, datasets, systems, "Peak memory (MB)",
                            "`ru_maxrss` of the run's process (data loading and imports included).",
                            "peak_memory_mb", _megabytes)

    problems = frame[frame["status"] != "ok"]
    if len(problems):
        lines += ["", "## Failures and skips", ""]
        lines += [f"- {r.dataset} / {r.system}: **{r.status}**: {_one_line(r.error)}" for r in problems.itertuples()]
    return "\n".join(lines) + "\n"


def _per_run_table(frame: pd.DataFrame, datasets: Sequence[str], systems: Sequence[str], title: str, note: str,
                   column: str, fmt: Any, mark_over: bool = False) -> list[str]:
    rows = []
    for dataset in datasets:
        cells = []
        for system in systems:
            row = _pivot_cell(frame, dataset, system)
            if row is None or row["status"] == "skipped":
                cells.append("–")
                continue
            text = fmt(row[column])
            if row["status"] != "ok":
                text = f"{text} ({row['status']})"
            if mark_over and row["over_budget"]:
                text += " !"
            cells.append(text)
        rows.append([dataset, *cells])
    return ["", f"## {title}", "", note, "", *_table(["dataset", *systems], rows)]


def _bold(text: str, condition: Any) -> str:
    return f"**{text}**" if bool(condition) else text


def _one_line(text: Any) -> str:
    if _missing(text):
        return ""
    return " ".join(str(text).split())[:300].replace("|", "\\|")

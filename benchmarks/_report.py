"""Turn per-run records into ``results.csv`` and a markdown report with normalized scores."""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from _protocol import GREATER_IS_BETTER

BASELINE = "zero_rule"
# The system the suite is about, and the peer it must beat (issue 11: AutoGluon, at whichever
# preset ran: medium_quality at 60 s, best_quality at 300 s). The peer's peak memory and
# predict time are the bars.
SUBJECT = "automl"
PEERS = ("autogluon", "autogluon_best")
# How much faster than each peer the subject must predict: as fast as medium_quality (issue 11's
# latency goal), ten times faster than best_quality (its 300 s goal).
SPEED_GOAL = {"autogluon": 1.0, "autogluon_best": 10.0}
# The header lines that tell one run.py invocation from another.
RUN_IDENTITY = ("- command:", "- date:", "- code:")
COLUMNS = [
    "dataset",
    "task",
    "system",
    "metric",
    "value",
    "normalized",
    "rank",
    "fit_seconds",
    "budget",
    "over_budget",
    "predict_seconds",
    "predict_ms_per_1k",
    "peak_memory_mb",
    "wall_seconds",
    "status",
    "error",
    "detail",
    "seed",
    "n_train",
    "n_test",
]


def over_budget(fit_seconds: float, budget: float) -> bool:
    """The suite's tolerance: 5 % of the budget plus 5 s for process start and data loading."""
    return bool(fit_seconds > budget * 1.05 + 5)


def read_baseline(paths: Sequence[Path]) -> pd.DataFrame:
    """Earlier runs' results (``results.csv`` files or the folders holding them) as one frame.

    Several paths let one report compare with a shorter-budget run whose seeds ran in separate
    invocations; a (dataset, system, seed) found in two of them is refused, not silently picked.
    """
    frames = []
    for path in paths:
        csv = path / "results.csv" if path.is_dir() else path
        if not csv.is_file():
            raise ValueError(f"baseline results '{path}' is neither a results.csv nor a folder holding one")
        frames.append(pd.read_csv(csv))
    combined = pd.concat(frames, ignore_index=True)
    twice = combined[combined.duplicated(["dataset", "system", "seed"], keep=False)]
    if len(twice):
        row = twice.iloc[0]
        raise ValueError(f"baseline results: {row['dataset']} / {row['system']} seed {row['seed']} is in more than one file")
    return combined


def report_header(markdown: Path) -> list[str]:
    """The lines of a ``results.md`` before its first section: the invocation, machine and protocol."""
    return markdown.read_text().split("\n## ", 1)[0].splitlines()


def baseline_sources(paths: Sequence[Path]) -> list[str]:
    """Header lines naming each baseline run by the command, dates and revision in the ``results.md``
    beside its ``results.csv``, so that a report says what it was compared with."""
    lines = []
    for path in paths:
        markdown = (path if path.is_dir() else path.parent) / "results.md"
        head = report_header(markdown) if markdown.is_file() else []
        facts = [line[2:] for line in head if line.startswith(RUN_IDENTITY)]
        lines.append(f"- baseline run (`--baseline-results {path.name}`): " + ("; ".join(facts) or "no results.md beside it"))
    return lines


def results_frame(records: Iterable[dict[str, Any]]) -> pd.DataFrame:
    """One row per run with ``over_budget``, ``normalized`` and ``rank`` filled in."""
    frame = pd.DataFrame(list(records))
    for column in COLUMNS:
        if column not in frame:
            frame[column] = np.nan
    frame = frame[COLUMNS].copy()
    frame["seed"] = pd.to_numeric(frame["seed"]).fillna(0).astype(int)
    frame["over_budget"] = [
        bool(status == "timeout") or (not _missing(fit) and over_budget(float(fit), float(budget)))
        for status, fit, budget in zip(frame["status"], frame["fit_seconds"], frame["budget"], strict=True)
    ]
    if frame["predict_ms_per_1k"].isna().any():  # records of earlier versions: derive it
        derived = 1e6 * pd.to_numeric(frame["predict_seconds"]) / pd.to_numeric(frame["n_test"])
        frame["predict_ms_per_1k"] = pd.to_numeric(frame["predict_ms_per_1k"]).fillna(derived)
    frame["normalized"] = normalized_scores(frame)
    frame["rank"] = ranks(frame)
    for column in ("n_train", "n_test"):
        frame[column] = pd.to_numeric(frame[column]).astype("Int64")
    return frame


def normalized_scores(frame: pd.DataFrame) -> pd.Series:
    """0 = zero_rule, 1 = the best system on the dataset and seed; NaN when a run or the baseline failed.

    ``(value - zero) / (best - zero)`` is the same formula for both directions:
    for log loss / RMSE it equals ``(zero - value) / (zero - best)``. If no system
    beats zero_rule the dataset scores 0 for everyone.
    """
    scores = pd.Series(np.nan, index=frame.index, dtype=float)
    ok = frame["status"] == "ok"
    for _, rows in frame[ok].groupby(["dataset", "seed"], sort=False):
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


def ranks(frame: pd.DataFrame) -> pd.Series:
    """Rank of each run among the systems that ran on the same dataset and seed (1 = best; ties share
    the mean rank); a failed or timed-out run ranks last. The zero_rule baseline is not ranked."""
    result = pd.Series(np.nan, index=frame.index, dtype=float)
    ranked = frame[(frame["system"] != BASELINE) & (frame["status"] != "skipped")]
    for _, rows in ranked.groupby(["dataset", "seed"], sort=False):
        metric = rows["metric"].dropna()
        if metric.empty or metric.iloc[0] not in GREATER_IS_BETTER:
            continue
        greater = GREATER_IS_BETTER[metric.iloc[0]]
        value = pd.to_numeric(rows["value"]).where(rows["status"] == "ok")
        worst = -np.inf if greater else np.inf
        result[rows.index] = value.fillna(worst).rank(ascending=not greater, method="average")
    return result


def peer_of(systems: Sequence[str]) -> str:
    """The AutoGluon system among ``systems`` (the first listed in PEERS when none ran)."""
    return next((system for system in systems if system in PEERS), PEERS[0])


def system_summary(frame: pd.DataFrame, systems: Sequence[str]) -> pd.DataFrame:
    """Per system over every (dataset, seed): mean normalized score (failed runs count as 0, like
    zero_rule), mean rank, counts, times, predict latency and memory."""
    scored = frame.loc[(frame["system"] == BASELINE) & (frame["status"] == "ok"), ["dataset", "seed"]]
    scored_keys = set(map(tuple, scored.to_numpy().tolist()))
    peer = peer_of(systems)
    bar = _memory_by_dataset(frame, peer)
    rows = []
    for system in systems:
        runs = frame[frame["system"] == system]
        ran = runs[runs["status"] != "skipped"]
        on_scored = ran[[(d, s) in scored_keys for d, s in zip(ran["dataset"], ran["seed"], strict=True)]]
        mean = float(on_scored["normalized"].fillna(0.0).mean()) if len(on_scored) else math.nan
        ok = ran[ran["status"] == "ok"]
        memory = _memory_by_dataset(frame, system)
        common = [d for d in memory.index if d in bar.index]
        rows.append(
            {
                "system": system,
                "mean_normalized": mean,
                "mean_rank": float(ran["rank"].mean()) if ran["rank"].notna().any() else math.nan,
                "ok": len(ok),
                "failed": int((ran["status"].isin(["error", "timeout"])).sum()),
                "skipped": int((runs["status"] == "skipped").sum()),
                "over_budget": int(ran["over_budget"].sum()),
                "median_fit_seconds": float(ran["fit_seconds"].median()) if len(ran) else math.nan,
                "max_fit_seconds": float(ran["fit_seconds"].max()) if len(ran) else math.nan,
                "mean_predict_seconds": float(ok["predict_seconds"].mean()) if len(ok) else math.nan,
                "mean_predict_ms_per_1k": float(ok["predict_ms_per_1k"].mean()) if len(ok) else math.nan,
                "max_peak_memory_mb": float(ran["peak_memory_mb"].max()) if len(ran) else math.nan,
                "memory_at_or_below_bar": (
                    f"{sum(memory[d] <= bar[d] for d in common)}/{len(common)}" if common and system != peer else "–"
                ),
            }
        )
    return pd.DataFrame(rows)


def _memory_by_dataset(frame: pd.DataFrame, system: str) -> pd.Series:
    """The largest peak memory of ``system`` per dataset (over seeds), ok runs only."""
    runs = frame[(frame["system"] == system) & (frame["status"] == "ok")]
    return pd.to_numeric(runs["peak_memory_mb"]).groupby(runs["dataset"]).max()


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
    lines = [
        "| " + " | ".join(header) + " |",
        "| " + " | ".join("---" if i < align_left else "---:" for i in range(len(header))) + " |",
    ]
    lines += ["| " + " | ".join(str(c) for c in row) + " |" for row in rows]
    return lines


def _cell_rows(frame: pd.DataFrame, dataset: str, system: str) -> pd.DataFrame:
    return frame[(frame["dataset"] == dataset) & (frame["system"] == system)]


def _status_text(rows: pd.DataFrame) -> str | None:
    """The text for a cell with no ok run: skipped / error / timeout; None when some run is ok."""
    if rows.empty:
        return "–"
    if (rows["status"] == "ok").any():
        return None
    return str(rows["status"].iloc[0])


def _failures_suffix(rows: pd.DataFrame) -> str:
    """`` (1 error)`` when some but not all of a cell's seeds failed."""
    bad = rows[rows["status"].isin(["error", "timeout"])]
    return f" ({len(bad)} {'/'.join(sorted(set(bad['status'])))})" if len(bad) and len(bad) < len(rows) else ""


def render_markdown(
    frame: pd.DataFrame, systems: Sequence[str], header: Sequence[str], baseline: pd.DataFrame | None = None
) -> str:
    datasets = list(dict.fromkeys(frame["dataset"]))
    seeds = sorted(set(frame["seed"].tolist()))
    budget = frame["budget"].dropna().iloc[0] if frame["budget"].notna().any() else math.nan
    per_seed = f" over {len(seeds)} seeds" if len(seeds) > 1 else ""
    peer = peer_of(systems)
    lines = list(header)

    summary = system_summary(frame, systems)
    lines += [
        "",
        "## Summary",
        "",
        f"Over every dataset and seed ({len(seeds)} seed{'s' if len(seeds) > 1 else ''}): mean normalized score "
        "over the runs where zero_rule ran (failed or "
        "timed-out runs count as 0); mean rank among the systems (zero_rule not ranked; a failed run ranks last); "
        f"fit seconds against a budget of {_seconds(budget)} s (over budget = fit > budget*1.05 + 5 s); predict "
        "seconds for the whole test split and ms per 1,000 test rows; peak memory of the run's process group, "
        f"and on how many datasets the system's largest peak is at or below {peer}'s.",
        "",
    ]
    best_mean = summary["mean_normalized"].max()
    best_rank = summary["mean_rank"].min()
    lines += _table(
        [
            "system",
            "mean normalized",
            "mean rank",
            "ok",
            "failed",
            "skipped",
            "over budget",
            "median fit s",
            "max fit s",
            "mean predict s",
            "predict ms / 1k rows",
            "max peak MB",
            f"peak <= {peer}",
        ],
        [
            [
                s.system,
                _bold(_num(s.mean_normalized, 3), s.mean_normalized == best_mean),
                _bold(_num(s.mean_rank, 2), s.mean_rank == best_rank),
                s.ok,
                s.failed,
                s.skipped,
                s.over_budget,
                _seconds(s.median_fit_seconds),
                _seconds(s.max_fit_seconds),
                _seconds(s.mean_predict_seconds),
                _num(s.mean_predict_ms_per_1k, 2),
                _megabytes(s.max_peak_memory_mb),
                s.memory_at_or_below_bar,
            ]
            for s in summary.itertuples()
        ],
    )

    lines += [
        "",
        "## Test metric",
        "",
        f"Mean{per_seed}. roc_auc: higher is better; log_loss and rmse: lower is better. Best in bold.",
        "",
    ]
    rows = []
    for dataset in datasets:
        first = frame[frame["dataset"] == dataset].dropna(subset=["metric"])
        metric = first["metric"].iloc[0] if len(first) else "?"
        task = first["task"].iloc[0] if len(first) else "?"
        means = {s: _mean(_cell_rows(frame, dataset, s), "value") for s in systems}
        values = [v for v in means.values() if not _missing(v)]
        best = None
        if values and metric in GREATER_IS_BETTER:
            best = max(values) if GREATER_IS_BETTER[metric] else min(values)
        cells = []
        for system in systems:
            cell = _cell_rows(frame, dataset, system)
            text = _status_text(cell)
            cells.append(text if text is not None else _bold(_num(means[system]), means[system] == best) + _failures_suffix(cell))
        rows.append([dataset, task, metric, *cells])
    lines += _table(["dataset", "task", "metric", *systems], rows, align_left=3)

    lines += [
        "",
        "## Normalized score",
        "",
        f"Mean{per_seed}; 0 = zero_rule, 1 = best system on the dataset and seed; negative = worse than zero_rule; "
        "a failed run counts 0.",
        "",
    ]
    lines += _mean_table(frame, datasets, systems, "normalized", 3, summary["mean_normalized"], fill_failed=0.0)
    lines += ["", "## Rank", "", f"Mean{per_seed} (1 = best; zero_rule not ranked).", ""]
    lines += _mean_table(frame, datasets, systems, "rank", 2, summary["mean_rank"])

    lines += _per_run_table(
        frame,
        datasets,
        systems,
        "Fit seconds",
        f"Wall-clock seconds of the fit call, refit included (budget {_seconds(budget)} s), mean{per_seed}; "
        "`!` marks a dataset where a run went over budget.",
        "fit_seconds",
        _seconds,
        "mean",
        mark_over=True,
    )
    lines += _per_run_table(
        frame,
        datasets,
        systems,
        "Predict ms per 1,000 rows",
        f"Predicting the whole test split once, ms per 1,000 rows, mean{per_seed}.",
        "predict_ms_per_1k",
        lambda v: _num(v, 2),
        "mean",
    )
    lines += _per_run_table(
        frame,
        datasets,
        systems,
        "Peak memory (MB)",
        f"Largest{per_seed}: summed RSS of the run's process group (data loading and imports included).",
        "peak_memory_mb",
        _megabytes,
        "max",
    )
    if SUBJECT in systems and peer in systems:
        lines += _head_to_head(frame, peer, datasets, baseline)
    if baseline is not None:
        lines += _baseline_section(frame, baseline, datasets, systems)

    problems = frame[frame["status"] != "ok"]
    if len(problems):
        lines += ["", "## Failures and skips", ""]
        lines += [
            f"- {r.dataset} / {r.system} (seed {r.seed}): **{r.status}**: {_one_line(r.error)}" for r in problems.itertuples()
        ]
    return "\n".join(lines) + "\n"


def _mean(rows: pd.DataFrame, column: str) -> float:
    ok = rows[rows["status"] == "ok"]
    return float(pd.to_numeric(ok[column]).mean()) if len(ok) else math.nan


def _mean_table(
    frame: pd.DataFrame,
    datasets: Sequence[str],
    systems: Sequence[str],
    column: str,
    digits: int,
    means: pd.Series,
    fill_failed: float | None = None,
) -> list[str]:
    rows = []
    for dataset in datasets:
        cells = []
        for system in systems:
            cell = _cell_rows(frame, dataset, system)
            ran = cell[cell["status"] != "skipped"]
            values = pd.to_numeric(ran[column])
            if fill_failed is not None:  # a failed run counts as fill_failed, as in the summary
                values = values.where(ran["status"] == "ok", fill_failed)
            cells.append("–" if values.dropna().empty else _num(float(values.mean()), digits))
        rows.append([dataset, *cells])
    rows.append(["**mean**", *[_num(m, digits) for m in means]])
    return _table(["dataset", *systems], rows)


def _head_to_head(frame: pd.DataFrame, peer: str, datasets: Sequence[str], baseline: pd.DataFrame | None) -> list[str]:
    """automl against the peer run by run: issue 11's per-run checks (ahead of the peer, predicting
    ``SPEED_GOAL`` times as fast, peak memory at or below the peer's and, given a baseline run at a
    shorter budget, never worse than automl's own score there). A failed run is never ahead."""
    runs = frame[frame["status"] != "skipped"]
    ours = runs[runs["system"] == SUBJECT].set_index(["dataset", "seed"])
    theirs = runs[runs["system"] == peer].set_index(["dataset", "seed"])
    keys = sorted(set(ours.index) & set(theirs.index), key=lambda key: (key[1], datasets.index(key[0])))
    if not keys:
        return []
    earlier = pd.DataFrame() if baseline is None else baseline[(baseline["system"] == SUBJECT) & (baseline["status"] == "ok")]
    earlier_scores = earlier.set_index(["dataset", "seed"])["value"] if len(earlier) else pd.Series(dtype=float)
    earlier_budget = _seconds(earlier["budget"].iloc[0]) if len(earlier) else ""
    counts = {"ahead": 0, "fast": 0, "light": 0, "kept": 0, "compared": 0}
    rows = []
    for key in keys:
        mine, other = ours.loc[key], theirs.loc[key]
        both_ok = mine["status"] == "ok" and other["status"] == "ok"
        greater = GREATER_IS_BETTER[mine["metric"]]
        ahead = mine["status"] == "ok" and (not both_ok or _better(mine["value"], other["value"], greater))
        speed = float(other["predict_seconds"]) / float(mine["predict_seconds"]) if both_ok else math.nan
        light = both_ok and float(mine["peak_memory_mb"]) <= float(other["peak_memory_mb"])
        counts["ahead"] += ahead
        counts["fast"] += speed >= SPEED_GOAL[peer]
        counts["light"] += light
        behind = other["status"] == "ok" and (mine["status"] != "ok" or _better(other["value"], mine["value"], greater))
        row = [key[0], mine["metric"], key[1], _run_value(mine, ahead), _run_value(other, behind)]
        if len(earlier_scores):
            before = earlier_scores.get(key, math.nan)
            kept = mine["status"] == "ok" and not _better(before, mine["value"], greater)
            counts["compared"] += not _missing(before)
            counts["kept"] += kept and not _missing(before)
            row += [_num(before, 5), "–" if _missing(before) else ("yes" if kept else "**no**")]
        row += [
            f"{_milliseconds(mine['predict_ms_per_1k'])} / {_milliseconds(other['predict_ms_per_1k'])}",
            "–" if _missing(speed) else f"{speed:.1f}x",
            f"{_megabytes(mine['peak_memory_mb'])} / {_megabytes(other['peak_memory_mb'])}",
            _one_line(mine["detail"]).split(", ")[0],
        ]
        rows.append(row)
    n = len(keys)
    columns = ["dataset", "metric", "seed", SUBJECT, peer]
    if len(earlier_scores):
        columns += [f"{SUBJECT} at {earlier_budget} s", "not worse"]
    columns += [
        f"predict ms / 1k rows {SUBJECT} / {peer}",
        f"{peer} slower by",
        f"peak MB {SUBJECT} / {peer}",
        f"{SUBJECT} final model",
    ]
    goal = SPEED_GOAL[peer]
    fast = f"at least {goal:g}x faster" if goal > 1 else "at least as fast"
    verdict = (
        f"{SUBJECT} is ahead on {counts['ahead']} of {n} runs, predicts {fast} on {counts['fast']} of {n}, "
        f"and its peak memory is at or below {peer}'s on {counts['light']} of {n}"
    )
    if len(earlier_scores):
        verdict += f"; it is not worse than its own {earlier_budget} s score on {counts['kept']} of {counts['compared']}"
    return [
        "",
        f"## {SUBJECT} against {peer}, run by run",
        "",
        "Each (dataset, seed): the better test metric in bold; predict time for the whole test split; peak memory "
        f"{SUBJECT} / {peer}; the first words of {SUBJECT}'s run detail (final model and resampling).",
        "",
        *_table(columns, rows, align_left=2),
        "",
        verdict + ".",
    ]


def _better(value: Any, other: Any, greater: bool) -> bool:
    """``value`` scores strictly better than ``other``; False when either is missing."""
    if _missing(value) or _missing(other):
        return False
    return bool(float(value) > float(other)) if greater else bool(float(value) < float(other))


def _milliseconds(value: Any) -> str:
    return "–" if _missing(value) else f"{float(value):,.0f}"


def _run_value(run: pd.Series, bold: bool) -> str:
    return _bold(_num(run["value"], 5), bold) if run["status"] == "ok" else str(run["status"])


def _baseline_section(frame: pd.DataFrame, baseline: pd.DataFrame, datasets: Sequence[str], systems: Sequence[str]) -> list[str]:
    """This run's test metric next to an earlier run's (e.g. 300 s vs 60 s), per system, dataset and seed."""
    earlier = baseline[baseline["status"] == "ok"]
    earlier_budget = earlier["budget"].dropna().iloc[0] if len(earlier) else math.nan
    lines = [
        "",
        "## Against the baseline run",
        "",
        f"Test metric of this run vs the `--baseline-results` run (budget {_seconds(earlier_budget)} s), same seeds; "
        "`worse` counts the seeds where this run scored worse.",
        "",
    ]
    rows = []
    for system in systems:
        for dataset in datasets:
            now = _cell_rows(frame, dataset, system)
            now = now[now["status"] == "ok"].set_index("seed")
            then = earlier[(earlier["dataset"] == dataset) & (earlier["system"] == system)].set_index("seed")
            common = sorted(set(now.index) & set(then.index))
            if not common or system == BASELINE:
                continue
            metric = now["metric"].iloc[0]
            greater = GREATER_IS_BETTER[metric]
            worse = sum(
                (now.at[s, "value"] < then.at[s, "value"]) if greater else (now.at[s, "value"] > then.at[s, "value"])
                for s in common
            )
            rows.append(
                [
                    system,
                    dataset,
                    metric,
                    _num(float(then.loc[common, "value"].mean())),
                    _num(float(now.loc[common, "value"].mean())),
                    f"{worse}/{len(common)}",
                ]
            )
    if not rows:
        return [*lines, "No (system, dataset, seed) in common with the baseline run."]
    return lines + _table(["system", "dataset", "metric", "baseline", "this run", "worse"], rows, align_left=3)


def _per_run_table(
    frame: pd.DataFrame,
    datasets: Sequence[str],
    systems: Sequence[str],
    title: str,
    note: str,
    column: str,
    fmt: Any,
    how: str,
    mark_over: bool = False,
) -> list[str]:
    rows = []
    for dataset in datasets:
        cells = []
        for system in systems:
            cell = _cell_rows(frame, dataset, system)
            ran = cell[cell["status"] != "skipped"]
            values = pd.to_numeric(ran[column]).dropna()
            if ran.empty or values.empty:
                cells.append("–" if ran.empty else str(ran["status"].iloc[0]))
                continue
            text = fmt(float(values.mean() if how == "mean" else values.max()))
            text += _failures_suffix(ran)
            if mark_over and ran["over_budget"].any():
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

"""The replay's report: report.json and a self-contained report.html (metric over time, compute, decisions)."""

from __future__ import annotations

import dataclasses
import datetime as dt
from pathlib import Path
from typing import Any

from automl._core import atomic_write_bytes, atomic_write_json
from automl.continual._simulate import PolicySummary, SimulationResult
from automl.evaluation import ReportPaths, report_html as h, report_plots, to_jsonable

_WHY = (
    "Test-then-train: every window is first predicted by each policy's current champion (before its labels are used), "
    "then the policy updates on it and the gate decides on the window's newest rows. Compute is the time spent building "
    "challengers. A harmful promotion is a promoted challenger "
    "that scored worse on the next window than the champion it replaced."
)


def summary_rows(result: SimulationResult) -> list[dict[str, Any]]:
    """Per policy: the mean metric, compute, decisions, and both relative to stateless when it ran."""
    reference = next((s for s in result.summaries if s.policy == "stateless"), None)
    rows = []
    for s in result.summaries:
        rows.append(
            {
                "policy": s.policy,
                f"mean {result.metric}": s.mean_metric,
                "vs stateless": _relative(s, reference, result.greater_is_better),
                "fit seconds": s.total_fit_seconds,
                "compute vs stateless": _ratio(s, reference),
                "CPU seconds": s.total_cpu_seconds,
                "updates": s.updates,
                "promotions": s.promotions,
                "rejections": s.rejections,
                "holds": s.holds,
                "failures": s.failures,
                "harmful promotions": s.harmful_promotions,
            }
        )
    return rows


def _relative(s: PolicySummary, reference: PolicySummary | None, greater: bool) -> str:
    if reference is None or reference.mean_metric in (None, 0) or s.mean_metric is None:
        return ""
    change = (s.mean_metric - reference.mean_metric) / abs(reference.mean_metric)
    return f"{change:+.2%} ({'better' if (change > 0) == greater and change != 0 else 'worse' if change != 0 else 'same'})"


def _ratio(s: PolicySummary, reference: PolicySummary | None) -> str:
    if reference is None or s.total_fit_seconds <= 0 or reference.total_fit_seconds <= 0:
        return ""
    return (
        f"{reference.total_fit_seconds / s.total_fit_seconds:.1f}x less"
        if s.total_fit_seconds < reference.total_fit_seconds
        else f"{s.total_fit_seconds / reference.total_fit_seconds:.1f}x more"
    )


def simulation_document(result: SimulationResult) -> dict[str, Any]:
    return {
        "report_version": 1,
        "metric": result.metric,
        "greater_is_better": result.greater_is_better,
        "task": result.task,
        "rows": result.rows,
        "window": result.window,
        "initial_model": result.initial_model,
        "summary": summary_rows(result),
        "policies": [dataclasses.asdict(s) for s in result.summaries],
        "windows": [dataclasses.asdict(w) for w in result.windows],
        "config": result.config,
    }


def write_simulation_report(result: SimulationResult, out: str | Path) -> ReportPaths:
    out = Path(out)
    json_path = atomic_write_json(out / "report.json", to_jsonable(simulation_document(result)))
    html_path = atomic_write_bytes(out / "report.html", render(result).encode("utf-8"))
    return ReportPaths(json=json_path, html=html_path)


def render(result: SimulationResult) -> str:
    policies = [s.policy for s in result.summaries]
    rows = summary_rows(result)
    headers = list(rows[0])
    series = {p: [w.scores.get(p) for w in result.windows] for p in policies}
    compute = {s.policy: s.total_fit_seconds for s in result.summaries}
    window_rows = [
        [w.index, w.first_row, *(f"{h.num(w.scores.get(p))} {h.escape(w.verdicts.get(p, ''))}" for p in policies)]
        for w in result.windows
    ]
    body = [
        f"<h1>Replay of {result.rows:,} rows in windows of {result.window:,}</h1>",
        f'<p class="meta">{h.escape(result.task)} &middot; metric <b>{h.escape(result.metric)}</b> '
        f"({'higher' if result.greater_is_better else 'lower'} is better) &middot; "
        f"first champion: {h.escape(result.initial_model)} &middot; "
        f"generated {dt.datetime.now(dt.UTC).strftime('%Y-%m-%d %H:%M UTC')}</p>",
        f'<div class="why">{h.escape(_WHY)}</div>',
        "<h2>Policies</h2>",
        h.table(
            headers,
            [[h.escape(r[k]) if isinstance(r[k], str) else h.num(r[k]) for k in headers] for r in rows],
            numeric=range(1, len(headers)),
        ),
        h.image(
            report_plots.series_plot(series, "window", result.metric, f"{result.metric} per window, before its labels"),
            "metric over time",
        ),
        h.image(report_plots.bars_plot(compute, "seconds", "Compute spent building challengers"), "compute per policy"),
        "<h2>Windows</h2>",
        h.table(["window", "first row", *policies], window_rows, numeric=(0, 1)),
    ]
    return h.page(f"Replay: {result.rows} rows, {len(policies)} policies", "".join(body))

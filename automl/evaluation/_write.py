"""Writing a report to disk: ``report.json`` (the data) and ``report.html`` (the same, for people).

This module sits above both the report and its HTML rendering, so neither imports the other
in a circle: the renderer reads a report, and the report knows nothing of its renderers.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from automl._core import atomic_write_bytes, atomic_write_json
from automl.evaluation._html import render_html
from automl.evaluation._report import EvaluationReport


@dataclass(frozen=True)
class ReportPaths:
    json: Path
    html: Path


def write_report(report: EvaluationReport, out_dir: str | Path) -> ReportPaths:
    """Write ``report.json`` and the self-contained ``report.html`` into ``out_dir`` (atomically).

    Example:
        >>> paths = write_report(evaluate(model, X_test, y_test), "eval_out")  # doctest: +SKIP
        >>> paths.html.name  # doctest: +SKIP
        'report.html'
    """
    out = Path(out_dir)
    json_path = atomic_write_json(out / "report.json", report.to_dict())
    html_path = atomic_write_bytes(out / "report.html", render_html(report).encode("utf-8"))
    return ReportPaths(json=json_path, html=html_path)

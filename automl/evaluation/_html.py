"""report.html: one self-contained page (inline CSS, plots as base64 PNG) for people who did not run it.

Every section opens with what it tests and how to read it, then its checks,
then numbers and a plot. Nothing is loaded from the network, so the file can
be mailed, archived or opened offline.
"""

from __future__ import annotations

import datetime as dt
import html
from collections.abc import Callable, Sequence
from typing import Any

from automl.evaluation import _plots
from automl.evaluation._report import EvaluationReport
from automl.evaluation._result import Check, Estimate, SkippedSection

_CSS = """
body{font-family:system-ui,-apple-system,'Segoe UI',Roboto,sans-serif;margin:0 auto;max-width:1080px;padding:24px;color:#1d2733;line-height:1.45}
h1{margin-bottom:4px}h2{margin-top:36px;border-bottom:1px solid #d8dee4;padding-bottom:4px}
.meta{color:#57606a}.why{background:#f6f8fa;border-left:4px solid #9aa5b1;padding:8px 12px;margin:8px 0}
table{border-collapse:collapse;margin:8px 0 12px 0;font-size:14px}th,td{border:1px solid #d8dee4;padding:4px 8px;text-align:left}
th{background:#f6f8fa}td.num{text-align:right;font-variant-numeric:tabular-nums}
.badge{display:inline-block;padding:1px 8px;border-radius:10px;font-size:13px;font-weight:600;color:#fff}
.pass{background:#2da44e}.fail{background:#cf222e}.skipped{background:#8c959f}
img{max-width:100%;height:auto;display:block;margin:8px 0;border:1px solid #eaeef2}
.flag{color:#cf222e;font-weight:600}
"""

_WHY: dict[str, str] = {
    "baselines": "Is the model better than not learning at all (random guesses, always the most frequent class or the mean), "
    "than one column or a small linear model, and than the current champion? Intervals are bootstrap percentile intervals; "
    "the difference column is model minus baseline (positive = model better), paired on the same resamples.",
    "perturbation": "How fast does the metric fall when inputs get noisy? Gaussian noise scaled to each numeric column's "
    "spread (IQR / 1.349, robust to outliers), and random swaps of categorical values. The relative drop is the share of the model's advantage "
    "over the zero-rule baseline that the perturbation takes away.",
    "invariance": "Changing a column that must not matter (e.g. a sensitive attribute) to another observed value must not "
    "change predictions. Reported: share of rows whose prediction changed and the mean absolute change of the scores. "
    "Proxies of the column are not caught by this test.",
    "directional": "Domain expectations: increasing a column marked + must not lower the score, increasing one marked - "
    "must not raise it. Violating rows are counted; the largest violations are listed.",
    "calibration": "When the model says 80%, is it right 80% of the time? Points on the diagonal are well calibrated. "
    "ECE is the row-weighted mean gap between predicted and observed; Brier is the mean squared error of the "
    "probabilities. Recalibration is fitted out-of-fold on this data, so its effect is an honest estimate.",
    "confidence": "If the model abstains below a confidence threshold, how accurate is it on what it answers? "
    "Reading right to left: fewer answers, hopefully higher accuracy.",
    "slices": "A good average can hide a group the model fails. Slices whose whole interval is worse than the overall "
    "score are flagged (slices smaller than the minimum size never are).",
    "learning_curve": "The model's configuration refit on growing fractions of the training data and scored on this data. "
    "Still rising at the right end: more data will likely help. Flat: spend effort on features or models instead.",
    "tradeoffs": "Which errors the model makes at the chosen threshold, what they cost, and what the model costs to run. "
    "The cost-optimal threshold is picked on this data, so its cost is optimistic.",
    "interpretability": "Permutation importance: how much worse the metric gets when one column is shuffled. "
    "The spread over repeats shows how much of the ranking is noise; one dominant, unexpected column is a leakage hint.",
}

_TITLES: dict[str, str] = {
    "baselines": "1. Baselines", "perturbation": "2. Perturbation test", "invariance": "3. Invariance test",
    "directional": "4. Directional expectations", "calibration": "5. Calibration", "confidence": "6. Confidence",
    "slices": "7. Slices", "learning_curve": "8. Learning curve", "tradeoffs": "9. Trade-offs",
    "interpretability": "10. Interpretability",
}


def _e(value: Any) -> str:
    return html.escape(str(value))


def _num(value: float | None, digits: int = 4) -> str:
    if value is None:
        return "n/a"
    if isinstance(value, int):
        return f"{value:,}"
    if value == 0:  # also -0.0, which would print as "-0"
        return "0"
    return f"{value:.{digits}g}"


def _pct(value: float | None) -> str:
    return "n/a" if value is None else f"{100 * value:.1f}%"


def _est(estimate: Estimate) -> str:
    if estimate.value is None:
        return "n/a"
    if estimate.ci_low is None or estimate.ci_high is None:
        return _num(estimate.value)
    return f"{_num(estimate.value)} [{_num(estimate.ci_low)}, {_num(estimate.ci_high)}]"


def _badge(status: str) -> str:
    return f'<span class="badge {_e(status)}">{_e(status)}</span>'


def _table(headers: Sequence[str], rows: Sequence[Sequence[Any]], numeric: Sequence[int] = ()) -> str:
    head = "".join(f"<th>{_e(h)}</th>" for h in headers)
    body = "".join(
        "<tr>" + "".join(f'<td class="num">{cell}</td>' if i in numeric else f"<td>{cell}</td>" for i, cell in enumerate(row)) + "</tr>"
        for row in rows
    )
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _img(data: str, alt: str) -> str:
    return f'<img src="data:image/png;base64,{data}" alt="{_e(alt)}">'


def _checks(checks: Sequence[Check]) -> str:
    if not checks:
        return "<p class=\"meta\">No checks in this section: it informs, it does not gate.</p>"
    rows = [[_e(c.name), _num(c.value), f"{_e(c.op)} {_num(c.limit)}", _badge("pass" if c.passed else "fail")] for c in checks]
    return _table(["check", "value", "required", "result"], rows, numeric=(1,))


def _baselines(r: Any, report: EvaluationReport) -> str:
    headers = ["", *r.metrics, f"difference in {r.metric}", "beaten", "significant"]
    rows = [["<b>model</b>", *(_est(r.model[m]) for m in r.metrics), "", "", ""]]
    for b in r.baselines:
        rows.append([f"{_e(b.name)}<br><small class=\"meta\">{_e(b.description)}</small>", *(_est(b.scores[m]) for m in r.metrics),
                     _est(b.difference), "yes" if b.beaten else "<span class=\"flag\">no</span>", "yes" if b.significant else "no"])
    return _table(headers, rows) + _img(_plots.baselines_plot(r), "model vs baselines")


def _perturbation(r: Any, report: EvaluationReport) -> str:
    parts = [f"<p>Clean {_e(r.metric)}: {_num(r.clean_score)}; zero-rule: {_num(r.zero_rule_score)}.</p>"]
    for curve in r.curves:
        rows = [[_num(p.level), _num(p.score), _num(p.drop), _pct(p.relative_drop)] for p in curve.points]
        parts.append(f"<h3>{_e(curve.kind.replace('_', ' '))} on {len(curve.columns)} column(s)</h3>")
        parts.append(_table(["level", r.metric, "drop", "relative drop"], rows, numeric=(0, 1, 2, 3)))
    if r.curves:
        parts.append(_img(_plots.perturbation_plot(r), "metric under perturbation"))
    return "".join(parts)


def _invariance(r: Any, report: EvaluationReport) -> str:
    rows = [[_e(c.column), c.n_values, _pct(c.changed_rate), _num(c.mean_abs_change), _num(c.max_abs_change), _badge("pass" if c.passed else "fail")]
            for c in r.columns]
    return _table(["column", "distinct values", "predictions changed", "mean |score change|", "max |score change|", "result"], rows, numeric=(1, 2, 3, 4))


def _directional(r: Any, report: EvaluationReport) -> str:
    parts = []
    for c in r.columns:
        verb = "must not decrease" if c.direction == "+" else "must not increase"
        parts.append(f"<h3>{_e(c.column)} {_e(c.direction)}: {_e(c.score_name)} {verb} when '{_e(c.column)}' rises by {_num(c.step)} "
                     f"{_badge('pass' if c.passed else 'fail')}</h3>")
        parts.append(f"<p>{c.n_violations} of {c.n_rows} rows violate it ({_pct(c.violation_rate)}).</p>")
        if c.examples:
            rows = [[e.row, _num(e.value), _num(e.perturbed_value), _num(e.score), _num(e.perturbed_score)] for e in c.examples]
            parts.append(_table(["row", "value", "raised to", "score", "score after"], rows, numeric=(0, 1, 2, 3, 4)))
    return "".join(parts)


def _calibration(r: Any, report: EvaluationReport) -> str:
    rows = [["model", _num(r.ece), _num(r.brier), ""]]
    if r.recalibration is not None:
        rc = r.recalibration
        rows.append([f"{_e(rc.method)} recalibrated ({rc.folds}-fold, out-of-fold)", _num(rc.ece), _num(rc.brier),
                     f"{_e(report.metric)}: {_num(rc.metric_before)} &rarr; {_num(rc.metric_after)}"])
    parts = [_table(["probabilities", "ECE", "Brier", "effect"], rows, numeric=(1, 2))]
    if r.note:
        parts.append(f"<p class=\"meta\">{_e(r.note)}</p>")
    bins = [[f"[{_num(b.lower, 2)}, {_num(b.upper, 2)})", b.count, _num(b.mean_predicted), _num(b.observed)] for b in r.bins if b.count]
    parts.append(_img(_plots.reliability_plot(r), "reliability diagram"))
    parts.append(_table(["bin", "rows", "mean predicted", "observed"], bins, numeric=(1, 2, 3)))
    return "".join(parts)


def _confidence(r: Any, report: EvaluationReport) -> str:
    if r.threshold_for_target is None:
        found = f"No threshold reaches {_pct(r.target_accuracy)} accuracy."
    else:
        found = (f"Answering only when confidence &ge; {_num(r.threshold_for_target)} reaches {_pct(r.accuracy_at_target)} accuracy "
                 f"on {_pct(r.coverage_at_target)} of rows (target {_pct(r.target_accuracy)}).")
    rows = [[_num(p.threshold), _pct(p.coverage), _pct(p.accuracy), p.n] for p in r.curve]
    return (f"<p>Accuracy when answering everything: {_pct(r.accuracy_at_full_coverage)}. {found}</p>"
            + _img(_plots.confidence_plot(r), "accuracy vs coverage")
            + _table(["threshold", "coverage", "accuracy", "rows"], rows, numeric=(0, 1, 2, 3)))


def _slices(r: Any, report: EvaluationReport) -> str:
    parts = [f"<p>Overall {_e(r.metric)}: {_num(r.overall)}. Flagged: {len(r.flagged)} slice(s) "
             f"(minimum size {r.min_slice_size}).</p>"]
    for column in r.columns:
        rows = [[_e(s.label), s.n, _pct(s.share), _est(s.score), "<span class=\"flag\">worse</span>" if s.flagged else ""] for s in column.slices]
        parts.append(f"<h3>{_e(column.column)} ({_e(column.binning)})</h3>")
        parts.append(_table(["slice", "rows", "share", f"{r.metric} [interval]", "flag"], rows, numeric=(1, 2)))
        parts.append(_img(_plots.slice_plot(column, r.overall, r.metric), f"metric by {column.column}"))
    return "".join(parts)


def _learning_curve(r: Any, report: EvaluationReport) -> str:
    rows = [[_pct(p.fraction), p.n_train, _num(p.score), _num(p.train_score)] for p in r.points]
    verdict = {True: "More data will likely help.", False: "The curve has flattened: more data alone is unlikely to help much.",
               None: "Not enough points to judge."}[r.more_data_likely_helps]
    return (f"<p>{verdict} Gain over the last step: {_num(r.gain_last_step)} ({_pct(r.relative_gain_last_step)} of the skill over the zero-rule).</p>"
            + _table(["fraction", "training rows", f"{r.metric} (evaluation)", f"{r.metric} (training rows)"], rows, numeric=(0, 1, 2, 3))
            + _img(_plots.learning_curve_plot(r), "learning curve"))


def _tradeoffs(r: Any, report: EvaluationReport) -> str:
    parts = [f"<p>Predict latency: {_num(r.latency_ms_per_1000)} ms per 1,000 rows (median of repeated runs on {r.latency_rows:,} rows; "
             f"varies by machine and load). Model size (pickled): {_num(r.model_bytes)} bytes.</p>"]
    if r.confusion_matrix:
        rule = f"P({_e(r.positive_class)}) &ge; {_num(r.threshold)}" if r.threshold is not None else "the most probable class"
        parts.append(f"<p>Decision rule: {rule}.</p>")
        parts.append(_img(_plots.confusion_plot(r.labels, r.confusion_matrix), "confusion matrix"))
        rows = [[_e(c.label), c.support, c.tp, c.fp, c.fn] for c in r.per_class]
        parts.append(_table(["class", "support", "TP", "FP", "FN"], rows, numeric=(1, 2, 3, 4)))
    if r.cost is not None:
        c = r.cost
        parts.append(f"<p>Cost-optimal threshold: <b>{_num(c.threshold)}</b> with {c.fp} FP and {c.fn} FN, cost {_num(c.cost_per_row)} per row "
                     f"(at the chosen threshold: {_num(c.cost_per_row_at_chosen)}). For calibrated probabilities theory says {_num(c.bayes_threshold)}.</p>")
        parts.append(_img(_plots.cost_plot(c, r.threshold), "cost vs threshold"))
    if r.residuals is not None:
        s = r.residuals
        parts.append(_table(["mean error (bias)", "MAE", "median |error|", "90% |error|", "99% |error|", "max |error|"],
                            [[_num(s.mean_error), _num(s.mae), _num(s.abs_error_p50), _num(s.abs_error_p90), _num(s.abs_error_p99), _num(s.max_abs_error)]],
                            numeric=range(6)))
    return "".join(parts)


def _interpretability(r: Any, report: EvaluationReport) -> str:
    rows = [[_e(f.feature), _num(f.mean), _num(f.std)] for f in r.features]
    return (f"<p>On {r.n_rows:,} rows, {r.n_repeats} shuffles per column; baseline {_e(r.metric)} {_num(r.baseline_score)}.</p>"
            + _img(_plots.importance_plot(r), "permutation importance")
            + _table(["column", f"mean loss in {r.metric}", "std over repeats"], rows, numeric=(1, 2)))


_RENDERERS: dict[str, Callable[[Any, EvaluationReport], str]] = {
    "baselines": _baselines, "perturbation": _perturbation, "invariance": _invariance, "directional": _directional,
    "calibration": _calibration, "confidence": _confidence, "slices": _slices, "learning_curve": _learning_curve,
    "tradeoffs": _tradeoffs, "interpretability": _interpretability,
}


def _headline(name: str, section: Any, report: EvaluationReport) -> str:
    """One line per section for the summary table."""
    if isinstance(section, SkippedSection):
        return _e(section.reason)
    failed = [c.name for c in section.checks if not c.passed]
    if failed:
        return "failed: " + _e("; ".join(failed))
    if name == "baselines":
        return f"{_e(report.metric)} {_est(section.model[report.metric])}"
    if name == "calibration":
        return f"ECE {_num(section.ece)}, Brier {_num(section.brier)}"
    if name == "tradeoffs":
        return f"{_num(section.latency_ms_per_1000)} ms / 1,000 rows, {_num(section.model_bytes)} bytes"
    if name == "interpretability" and section.features:
        return "top column: " + _e(section.features[0].feature)
    return "all checks passed" if section.checks else "informative"


def render_html(report: EvaluationReport) -> str:
    """The whole page as a string."""
    summary_rows = [[f'<a href="#{name}">{_e(_TITLES[name])}</a>', _badge(s.status), _headline(name, s, report)]
                    for name, s in report.sections.items()]
    body = [
        f"<h1>Evaluation report {_badge(report.status)}</h1>",
        f"<p class=\"meta\">Model <b>{_e(report.model_name)}</b> &middot; {_e(report.task)} &middot; target <b>{_e(report.target)}</b> "
        f"&middot; metric <b>{_e(report.metric)}</b> ({'higher' if report.greater_is_better else 'lower'} is better) &middot; "
        f"{report.n_rows:,} rows, {len(report.columns)} columns &middot; seed {report.seed} &middot; "
        f"generated {dt.datetime.now(dt.timezone.utc).strftime('%Y-%m-%d %H:%M UTC')}</p>",
        "<h2>Summary</h2>",
        _table(["section", "status", "headline"], summary_rows),
    ]
    failed = report.failed_checks()
    if failed:
        body.append("<p><b>Failed checks:</b></p><ul>" + "".join(
            f"<li>{_e(_TITLES[name])}: {_e(c.name)} = {_num(c.value)} (required {_e(c.op)} {_num(c.limit)})</li>" for name, c in failed) + "</ul>")
    for name, section in report.sections.items():
        body.append(f'<section id="{name}"><h2>{_e(_TITLES[name])} {_badge(section.status)}</h2>')
        body.append(f'<div class="why">{_e(_WHY[name])}</div>')
        if isinstance(section, SkippedSection):
            body.append(f"<p class=\"meta\">Skipped: {_e(section.reason)}.</p></section>")
            continue
        body.append(_checks(section.checks))
        body.append(_RENDERERS[name](section, report))
        body.append("</section>")
    return (
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
        "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
        f"<title>Evaluation report: {_e(report.model_name)} on {_e(report.target)}</title><style>{_CSS}</style></head>"
        f"<body>{''.join(body)}</body></html>\n"
    )

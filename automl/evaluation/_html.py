"""report.html: one self-contained page (inline CSS, plots as base64 PNG) for people who did not run it.

Every section opens with what it tests and how to read it, then its checks,
then numbers and a plot. Nothing is loaded from the network, so the file can
be mailed, archived or opened offline.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from typing import Any

from automl.evaluation import _plots
from automl.evaluation._page import badge, escape, estimate, image, num, page, pct, table
from automl.evaluation._report import EvaluationReport
from automl.evaluation._result import Check, SkippedSection

_WHY: dict[str, str] = {
    "baselines": "Is the model better than not learning at all (random guesses, always the most frequent class or the mean), "
    "than one column or a small linear model, and than the current champion? Intervals are bootstrap percentile intervals; "
    "the difference column is model minus baseline (positive = model better), paired on the same resamples.",
    "perturbation": "How fast does the metric fall when inputs get noisy? Gaussian noise scaled to each numeric column's "
    "spread (IQR / 1.349, robust to outliers), "
    "and random swaps of categorical values. The relative drop is the share of the model's advantage "
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
    "baselines": "1. Baselines",
    "perturbation": "2. Perturbation test",
    "invariance": "3. Invariance test",
    "directional": "4. Directional expectations",
    "calibration": "5. Calibration",
    "confidence": "6. Confidence",
    "slices": "7. Slices",
    "learning_curve": "8. Learning curve",
    "tradeoffs": "9. Trade-offs",
    "interpretability": "10. Interpretability",
}


def _checks(checks: Sequence[Check]) -> str:
    if not checks:
        return '<p class="meta">No checks in this section: it informs, it does not gate.</p>'
    rows = [
        [escape(c.name), num(c.value), f"{escape(c.op)} {num(c.limit)}", badge("pass" if c.passed else "fail")] for c in checks
    ]
    return table(["check", "value", "required", "result"], rows, numeric=(1,))


def _baselines(r: Any, report: EvaluationReport) -> str:
    headers = ["", *r.metrics, f"difference in {r.metric}", "beaten", "significant"]
    rows = [["<b>model</b>", *(estimate(r.model[m]) for m in r.metrics), "", "", ""]]
    for b in r.baselines:
        rows.append(
            [
                f'{escape(b.name)}<br><small class="meta">{escape(b.description)}</small>',
                *(estimate(b.scores[m]) for m in r.metrics),
                estimate(b.difference),
                "yes" if b.beaten else '<span class="flag">no</span>',
                "yes" if b.significant else "no",
            ]
        )
    return table(headers, rows) + image(_plots.baselines_plot(r), "model vs baselines")


def _perturbation(r: Any, report: EvaluationReport) -> str:
    parts = [f"<p>Clean {escape(r.metric)}: {num(r.clean_score)}; zero-rule: {num(r.zero_rule_score)}.</p>"]
    for curve in r.curves:
        rows = [[num(p.level), num(p.score), num(p.drop), pct(p.relative_drop)] for p in curve.points]
        parts.append(f"<h3>{escape(curve.kind.replace('_', ' '))} on {len(curve.columns)} column(s)</h3>")
        parts.append(table(["level", r.metric, "drop", "relative drop"], rows, numeric=(0, 1, 2, 3)))
    if r.curves:
        parts.append(image(_plots.perturbation_plot(r), "metric under perturbation"))
    return "".join(parts)


def _invariance(r: Any, report: EvaluationReport) -> str:
    rows = [
        [
            escape(c.column),
            c.n_values,
            pct(c.changed_rate),
            num(c.mean_abs_change),
            num(c.max_abs_change),
            badge("pass" if c.passed else "fail"),
        ]
        for c in r.columns
    ]
    return table(
        ["column", "distinct values", "predictions changed", "mean |score change|", "max |score change|", "result"],
        rows,
        numeric=(1, 2, 3, 4),
    )


def _directional(r: Any, report: EvaluationReport) -> str:
    parts = []
    for c in r.columns:
        verb = "must not decrease" if c.direction == "+" else "must not increase"
        parts.append(
            f"<h3>{escape(c.column)} {escape(c.direction)}: {escape(c.score_name)} {verb} when '{escape(c.column)}' "
            f"rises by {num(c.step)} "
            f"{badge('pass' if c.passed else 'fail')}</h3>"
        )
        parts.append(f"<p>{c.n_violations} of {c.n_rows} rows violate it ({pct(c.violation_rate)}).</p>")
        if c.examples:
            rows = [[e.row, num(e.value), num(e.perturbed_value), num(e.score), num(e.perturbed_score)] for e in c.examples]
            parts.append(table(["row", "value", "raised to", "score", "score after"], rows, numeric=(0, 1, 2, 3, 4)))
    return "".join(parts)


def _calibration(r: Any, report: EvaluationReport) -> str:
    rows = [["model", num(r.ece), num(r.brier), ""]]
    if r.recalibration is not None:
        rc = r.recalibration
        rows.append(
            [
                f"{escape(rc.method)} recalibrated ({rc.folds}-fold, out-of-fold)",
                num(rc.ece),
                num(rc.brier),
                f"{escape(report.metric)}: {num(rc.metric_before)} &rarr; {num(rc.metric_after)}",
            ]
        )
    parts = [table(["probabilities", "ECE", "Brier", "effect"], rows, numeric=(1, 2))]
    if r.note:
        parts.append(f'<p class="meta">{escape(r.note)}</p>')
    bins = [
        [f"[{num(b.lower, 2)}, {num(b.upper, 2)})", b.count, num(b.mean_predicted), num(b.observed)] for b in r.bins if b.count
    ]
    parts.append(image(_plots.reliability_plot(r), "reliability diagram"))
    parts.append(table(["bin", "rows", "mean predicted", "observed"], bins, numeric=(1, 2, 3)))
    return "".join(parts)


def _confidence(r: Any, report: EvaluationReport) -> str:
    if r.threshold_for_target is None:
        found = f"No threshold reaches {pct(r.target_accuracy)} accuracy."
    else:
        found = (
            f"Answering only when confidence &ge; {num(r.threshold_for_target)} reaches {pct(r.accuracy_at_target)} accuracy "
            f"on {pct(r.coverage_at_target)} of rows (target {pct(r.target_accuracy)})."
        )
    rows = [[num(p.threshold), pct(p.coverage), pct(p.accuracy), p.n] for p in r.curve]
    return (
        f"<p>Accuracy when answering everything: {pct(r.accuracy_at_full_coverage)}. {found}</p>"
        + image(_plots.confidence_plot(r), "accuracy vs coverage")
        + table(["threshold", "coverage", "accuracy", "rows"], rows, numeric=(0, 1, 2, 3))
    )


def _slices(r: Any, report: EvaluationReport) -> str:
    parts = [
        f"<p>Overall {escape(r.metric)}: {num(r.overall)}. Flagged: {len(r.flagged)} slice(s) "
        f"(minimum size {r.min_slice_size}).</p>"
    ]
    for column in r.columns:
        rows = [
            [escape(s.label), s.n, pct(s.share), estimate(s.score), '<span class="flag">worse</span>' if s.flagged else ""]
            for s in column.slices
        ]
        parts.append(f"<h3>{escape(column.column)} ({escape(column.binning)})</h3>")
        parts.append(table(["slice", "rows", "share", f"{r.metric} [interval]", "flag"], rows, numeric=(1, 2)))
        parts.append(image(_plots.slice_plot(column, r.overall, r.metric), f"metric by {column.column}"))
    return "".join(parts)


def _learning_curve(r: Any, report: EvaluationReport) -> str:
    rows = [[pct(p.fraction), p.n_train, num(p.score), num(p.train_score)] for p in r.points]
    verdict = {
        True: "More data will likely help.",
        False: "The curve has flattened: more data alone is unlikely to help much.",
        None: "Not enough points to judge.",
    }[r.more_data_likely_helps]
    return (
        f"<p>{verdict} Gain over the last step: {num(r.gain_last_step)} "
        f"({pct(r.relative_gain_last_step)} of the skill over the zero-rule).</p>"
        + table(
            ["fraction", "training rows", f"{r.metric} (evaluation)", f"{r.metric} (training rows)"], rows, numeric=(0, 1, 2, 3)
        )
        + image(_plots.learning_curve_plot(r), "learning curve")
    )


def _tradeoffs(r: Any, report: EvaluationReport) -> str:
    parts = [
        f"<p>Predict latency: {num(r.latency_ms_per_1000)} ms per 1,000 rows "
        f"(median of repeated runs on {r.latency_rows:,} rows; "
        f"varies by machine and load). Model size (pickled): {num(r.model_bytes)} bytes.</p>"
    ]
    if r.confusion_matrix:
        rule = f"P({escape(r.positive_class)}) &ge; {num(r.threshold)}" if r.threshold is not None else "the most probable class"
        parts.append(f"<p>Decision rule: {rule}.</p>")
        parts.append(image(_plots.confusion_plot(r.labels, r.confusion_matrix), "confusion matrix"))
        rows = [[escape(c.label), c.support, c.tp, c.fp, c.fn] for c in r.per_class]
        parts.append(table(["class", "support", "TP", "FP", "FN"], rows, numeric=(1, 2, 3, 4)))
    if r.cost is not None:
        c = r.cost
        parts.append(
            f"<p>Cost-optimal threshold: <b>{num(c.threshold)}</b> with {c.fp} FP and {c.fn} FN, "
            f"cost {num(c.cost_per_row)} per row "
            f"(at the chosen threshold: {num(c.cost_per_row_at_chosen)}). "
            f"For calibrated probabilities theory says {num(c.bayes_threshold)}.</p>"
        )
        parts.append(image(_plots.cost_plot(c, r.threshold), "cost vs threshold"))
    if r.residuals is not None:
        s = r.residuals
        parts.append(
            table(
                ["mean error (bias)", "MAE", "median |error|", "90% |error|", "99% |error|", "max |error|"],
                [
                    [
                        num(s.mean_error),
                        num(s.mae),
                        num(s.abs_error_p50),
                        num(s.abs_error_p90),
                        num(s.abs_error_p99),
                        num(s.max_abs_error),
                    ]
                ],
                numeric=range(6),
            )
        )
    return "".join(parts)


def _interpretability(r: Any, report: EvaluationReport) -> str:
    rows = [[escape(f.feature), num(f.mean), num(f.std)] for f in r.features]
    return (
        f"<p>On {r.n_rows:,} rows, {r.n_repeats} shuffles per column; baseline {escape(r.metric)} {num(r.baseline_score)}.</p>"
        + image(_plots.importance_plot(r), "permutation importance")
        + table(["column", f"mean loss in {r.metric}", "std over repeats"], rows, numeric=(1, 2))
    )


_RENDERERS: dict[str, Callable[[Any, EvaluationReport], str]] = {
    "baselines": _baselines,
    "perturbation": _perturbation,
    "invariance": _invariance,
    "directional": _directional,
    "calibration": _calibration,
    "confidence": _confidence,
    "slices": _slices,
    "learning_curve": _learning_curve,
    "tradeoffs": _tradeoffs,
    "interpretability": _interpretability,
}


def _headline(name: str, section: Any, report: EvaluationReport) -> str:
    """One line per section for the summary table."""
    if isinstance(section, SkippedSection):
        return escape(section.reason)
    failed = [c.name for c in section.checks if not c.passed]
    if failed:
        return "failed: " + escape("; ".join(failed))
    if name == "baselines":
        return f"{escape(report.metric)} {estimate(section.model[report.metric])}"
    if name == "calibration":
        return f"ECE {num(section.ece)}, Brier {num(section.brier)}"
    if name == "tradeoffs":
        return f"{num(section.latency_ms_per_1000)} ms / 1,000 rows, {num(section.model_bytes)} bytes"
    if name == "interpretability" and section.features:
        return "top column: " + escape(section.features[0].feature)
    return "all checks passed" if section.checks else "informative"


def render_html(report: EvaluationReport) -> str:
    """The whole page as a string."""
    summary_rows = [
        [f'<a href="#{name}">{escape(_TITLES[name])}</a>', badge(s.status), _headline(name, s, report)]
        for name, s in report.sections.items()
    ]
    body = [
        f"<h1>Evaluation report {badge(report.status)}</h1>",
        f'<p class="meta">Model <b>{escape(report.model_name)}</b> &middot; {escape(report.task)} &middot; '
        f"target <b>{escape(report.target)}</b> "
        f"&middot; metric <b>{escape(report.metric)}</b> "
        f"({'higher' if report.greater_is_better else 'lower'} is better) &middot; "
        f"{report.n_rows:,} rows, {len(report.columns)} columns &middot; seed {report.seed} &middot; "
        f"generated {dt.datetime.now(dt.UTC).strftime('%Y-%m-%d %H:%M UTC')}</p>",
        "<h2>Summary</h2>",
        table(["section", "status", "headline"], summary_rows),
    ]
    failed = report.failed_checks()
    if failed:
        body.append(
            "<p><b>Failed checks:</b></p><ul>"
            + "".join(
                f"<li>{escape(_TITLES[name])}: {escape(c.name)} = {num(c.value)} (required {escape(c.op)} {num(c.limit)})</li>"
                for name, c in failed
            )
            + "</ul>"
        )
    for name, section in report.sections.items():
        body.append(f'<section id="{name}"><h2>{escape(_TITLES[name])} {badge(section.status)}</h2>')
        body.append(f'<div class="why">{escape(_WHY[name])}</div>')
        if isinstance(section, SkippedSection):
            body.append(f'<p class="meta">Skipped: {escape(section.reason)}.</p></section>')
            continue
        body.append(_checks(section.checks))
        body.append(_RENDERERS[name](section, report))
        body.append("</section>")
    return page(f"Evaluation report: {report.model_name} on {report.target}", "".join(body))

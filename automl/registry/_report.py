"""The champion/challenger report: report.json and a self-contained report.html, side by side."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from automl._core import atomic_write_bytes, atomic_write_json
from automl.evaluation import ReportPaths, report_html as h, report_plots, to_jsonable
from automl.registry._gate import GateDecision
from automl.registry._records import ModelVersion

REPORT_VERSION = 1

_WHY = (
    "Both models predicted the same holdout rows; the interval of the difference comes from the same bootstrap "
    "resamples for both (paired), so it reflects how the two differ on these rows. PROMOTE needs the whole interval "
    "above the margin and no blocking check; REJECT means the challenger is significantly worse or a check failed "
    "with confidence; HOLD means the evidence is not enough yet."
)


@dataclass(frozen=True)
class ChallengeContext:
    """What the decision was about: the two versions and the sealed holdout."""

    name: str
    champion: ModelVersion
    challenger: ModelVersion
    holdout_fingerprint: str
    holdout_overlap: float | None
    source: str

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "champion": self.champion.ref,
            "challenger": self.challenger.ref,
            "holdout_fingerprint": self.holdout_fingerprint,
            "holdout_overlap_with_challenger_training": self.holdout_overlap,
            "holdout_source": self.source,
        }


def report_document(decision: GateDecision, context: ChallengeContext) -> dict[str, Any]:
    return {"report_version": REPORT_VERSION, **context.to_dict(), "decision": decision.to_dict()}


def write_challenge_report(decision: GateDecision, context: ChallengeContext, out_dir: str | Path) -> ReportPaths:
    """Write report.json and report.html into ``out_dir`` (atomically)."""
    out = Path(out_dir)
    json_path = atomic_write_json(out / "report.json", to_jsonable(report_document(decision, context)))
    html_path = atomic_write_bytes(out / "report.html", render(decision, context).encode("utf-8"))
    return ReportPaths(json=json_path, html=html_path)


def render(decision: GateDecision, context: ChallengeContext) -> str:
    d, cfg = decision, decision.config
    body = [
        f"<h1>Champion / challenger: {h.escape(context.name)} {h.badge(d.verdict)}</h1>",
        f'<p class="meta">{h.escape(context.champion.ref)} (champion) vs '
        f"{h.escape(context.challenger.ref)} (challenger) &middot; "
        f"{d.n_rows:,} holdout rows from {h.escape(context.source)} "
        f"(fingerprint {h.escape(context.holdout_fingerprint[:12])}) &middot; "
        f"metric <b>{h.escape(d.metric)}</b> ({'higher' if d.greater_is_better else 'lower'} is better) &middot; "
        f"confidence {cfg.confidence:.0%}, margin {cfg.margin:g}, {cfg.n_bootstrap} resamples, seed {cfg.seed} &middot; "
        f"generated {dt.datetime.now(dt.UTC).strftime('%Y-%m-%d %H:%M UTC')}</p>",
        f'<div class="why">{h.escape(_WHY)}</div>',
        "<h2>Verdict</h2><ul>" + "".join(f"<li>{h.escape(r)}</li>" for r in d.reasons) + "</ul>",
    ]
    if d.rows_needed is not None:
        body.append(
            f"<p>If the observed difference held, about <b>{d.rows_needed:,}</b> holdout rows would let "
            "its interval clear the margin "
            f"({max(d.rows_needed - d.n_rows, 0):,} more than now).</p>"
        )
    body += [
        "<h2>The two models side by side</h2>",
        _side_by_side(d),
        f"<p>Challenger better by <b>{h.estimate(d.difference)}</b> {h.escape(d.metric)} (positive = better).</p>",
        h.image(
            report_plots.difference_plot(
                d.difference.value, d.difference.ci_low, d.difference.ci_high, cfg.margin, d.metric, cfg.confidence
            ),
            "interval of the difference",
        ),
        "<h2>Checks</h2>",
        _checks(d),
    ]
    if d.slices:
        body += ["<h2>Slices</h2>", _slices(d)]
    if d.champion.ece is not None:
        body += ["<h2>Calibration</h2>", _calibration(d)]
    body += ["<h2>Lineage</h2>", _lineage(context)]
    return h.page(f"Champion/challenger {context.name}: {d.verdict}", "".join(body))


def _side_by_side(d: GateDecision) -> str:
    rows = [[h.escape(m), h.estimate(d.champion.metrics[m]), h.estimate(d.challenger.metrics[m])] for m in d.champion.metrics]
    if d.champion.ece is not None:
        rows.append(["ECE", h.num(d.champion.ece), h.num(d.challenger.ece)])
    return h.table(["metric", h.escape(d.champion.label), h.escape(d.challenger.label)], rows, numeric=(1, 2))


def _checks(d: GateDecision) -> str:
    if not d.checks:
        return '<p class="meta">No slice, calibration or invariance checks configured.</p>'
    rows = [[h.escape(c.name), h.badge(c.status), h.escape(c.detail)] for c in d.checks]
    return h.table(["check", "result", "detail"], rows)


def _slices(d: GateDecision) -> str:
    rows = [
        [
            h.escape(s.column),
            h.escape(s.label),
            s.n,
            h.num(s.champion),
            h.num(s.challenger),
            h.estimate(s.difference),
            h.badge(s.status) if s.status != "unchecked" else '<span class="meta">too small</span>',
        ]
        for s in d.slices
    ]
    return h.table(
        ["column", "slice", "rows", "champion", "challenger", "challenger better by [interval]", "result"],
        rows,
        numeric=(2, 3, 4),
    )


def _calibration(d: GateDecision) -> str:
    series = [
        (d.champion.label, d.champion.reliability, d.champion.ece or 0.0),
        (d.challenger.label, d.challenger.reliability, d.challenger.ece or 0.0),
    ]
    what = "P(positive class)" if d.task == "binary" else "top-label confidence"
    return h.image(report_plots.reliability_comparison_plot(series, what), "reliability diagrams")


def _lineage(context: ChallengeContext) -> str:
    rows = []
    for role, v in (("champion", context.champion), ("challenger", context.challenger)):
        lin = v.lineage
        rows.append(
            [
                role,
                h.escape(v.ref),
                h.escape(lin.mode),
                lin.parent_version or "",
                h.escape(lin.study_name or ""),
                h.escape(", ".join(map(str, lin.trial_numbers))),
                h.num(lin.fit_seconds),
                h.escape(v.created_at[:19]),
                h.escape(v.created_by),
            ]
        )
    return h.table(
        ["role", "version", "mode", "parent", "study", "trials", "fit seconds", "created (UTC)", "by"], rows, numeric=(6,)
    )

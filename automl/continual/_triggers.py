"""When to retrain: schedule, performance drop, labelled-data growth, feature drift.

Each trigger is checked on the labelled rows that arrived since the last update
and reports its numbers whether it fires or not, so the history can show why an
update happened (or why none did).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal, cast

import numpy as np
import pandas as pd

from automl._core import InputError
from automl.data import drift
from automl.evaluation import Resamples, bootstrap, build_context
from automl.registry import LoadedModel

DriftTest = Literal["psi", "ks"]


@dataclass(frozen=True)
class TriggerConfig:
    """Which triggers are on (``None`` switches one off).

    Attributes:
        every_rows: fire once this many new labelled rows arrived.
        every_seconds: fire once this long passed since the champion was registered or last updated.
        on_drop: fire when the champion's metric on the new rows is worse than its reference
            by more than this, with confidence (the whole bootstrap interval beyond it).
        on_growth: fire when the new rows are this share of the rows the champion saw (default 5%).
        drift: ``("psi", 0.2)``: any column's population stability index above 0.2, or
            ``("ks", 0.01)``: any column's KS test p-value below 0.01 / number of columns.
        confidence: level of the drop test's interval.
    """

    every_rows: int | None = None
    every_seconds: float | None = None
    on_drop: float | None = None
    on_growth: float | None = 0.05
    drift: tuple[DriftTest, float] | None = None
    confidence: float = 0.95


@dataclass(frozen=True)
class TriggerCheck:
    """One trigger's verdict on the new rows, with the numbers behind it."""

    kind: str
    fired: bool
    detail: str
    numbers: dict[str, Any] = field(default_factory=dict)


def parse_drift(text: str) -> tuple[DriftTest, float]:
    """``psi:0.2`` or ``ks:0.01``."""
    test, _, value = text.partition(":")
    try:
        threshold = float(value)
    except ValueError:
        threshold = float("nan")
    if test not in ("psi", "ks") or not np.isfinite(threshold) or threshold <= 0:
        raise InputError(f"drift trigger '{text}' not understood; use psi:THRESHOLD (e.g. psi:0.2) or ks:ALPHA (e.g. ks:0.01)")
    return cast(DriftTest, test), threshold


def check_triggers(
    champion: LoadedModel,
    X: pd.DataFrame,
    y: pd.Series,
    config: TriggerConfig,
    *,
    seconds_since_update: float,
    reference_score: float | None,
    seed: int = 0,
) -> list[TriggerCheck]:
    """Every enabled trigger, checked on the new labelled rows ``(X, y)``."""
    checks: list[TriggerCheck] = []
    if config.every_rows is not None:
        checks.append(
            TriggerCheck(
                "schedule_rows",
                len(y) >= config.every_rows,
                f"{len(y)} new rows (every {config.every_rows})",
                {"new_rows": len(y), "every_rows": config.every_rows},
            )
        )
    if config.every_seconds is not None:
        fired = seconds_since_update >= config.every_seconds and len(y) > 0
        checks.append(
            TriggerCheck(
                "schedule_time",
                fired,
                f"{seconds_since_update:.0f} s since the last update (every {config.every_seconds:g} s)",
                {"seconds": seconds_since_update, "every_seconds": config.every_seconds},
            )
        )
    if config.on_growth is not None:
        seen = champion.version.lineage.rows_seen or 0
        growth = len(y) / seen if seen else float("inf")
        checks.append(
            TriggerCheck(
                "growth",
                growth >= config.on_growth,
                f"{len(y)} new rows = {growth:.1%} of the {seen} rows seen (fires at {config.on_growth:.0%})",
                {"new_rows": len(y), "rows_seen": seen, "growth": growth, "threshold": config.on_growth},
            )
        )
    if config.on_drop is not None and len(y) > 0:
        checks.append(_drop_check(champion, X, y, config, reference_score, seed))
    if config.drift is not None and len(y) > 0:
        checks.append(_drift_check(champion, X, config.drift))
    return checks


def _drop_check(
    champion: LoadedModel, X: pd.DataFrame, y: pd.Series, config: TriggerConfig, reference: float | None, seed: int
) -> TriggerCheck:
    assert config.on_drop is not None
    if reference is None:
        return TriggerCheck("drop", False, "no reference score on record for the champion", {})
    ctx = build_context(champion.model, X, y, task=champion.card.task, metric=champion.card.metric, seed=seed)
    resamples = Resamples.draw(len(ctx.y), 1000, ctx.rng("triggers/drop"))
    estimate = bootstrap(ctx.metric, ctx.score, ctx.y, ctx.truth, ctx.scores, resamples).estimate(config.confidence)
    if estimate.value is None or estimate.ci_low is None or estimate.ci_high is None:
        return TriggerCheck("drop", False, f"{ctx.metric.name} cannot be computed on the new rows", {})
    sign = 1.0 if ctx.metric.greater_is_better else -1.0
    drop, least = sign * (reference - estimate.value), sign * (reference - (estimate.ci_high if sign > 0 else estimate.ci_low))
    fired = least > config.on_drop
    detail = (
        f"{ctx.metric.name} {estimate.value:.4g} [{estimate.ci_low:.4g}, {estimate.ci_high:.4g}] vs reference {reference:.4g}: "
        f"worse by {drop:.4g} (at least {least:.4g}; fires beyond {config.on_drop:g})"
    )
    return TriggerCheck(
        "drop",
        fired,
        detail,
        {
            "metric": ctx.metric.name,
            "score": estimate.value,
            "ci_low": estimate.ci_low,
            "ci_high": estimate.ci_high,
            "reference": reference,
            "drop": drop,
            "threshold": config.on_drop,
        },
    )


def _drift_check(champion: LoadedModel, X: pd.DataFrame, rule: tuple[DriftTest, float]) -> TriggerCheck:
    summary = champion.version.lineage.data_summary
    if not summary:
        return TriggerCheck("drift", False, "no training data summary on record for the champion", {})
    test, threshold = rule
    columns = drift(summary, X)
    if test == "psi":
        moved = [c for c in columns if c.psi > threshold]
        detail = f"PSI above {threshold:g}: " + (", ".join(f"{c.column} {c.psi:.3f}" for c in moved) or "none")
    else:
        alpha = threshold / max(len(columns), 1)
        moved = [c for c in columns if c.ks_pvalue is not None and c.ks_pvalue < alpha]
        detail = f"KS p-value below {alpha:.2g} ({threshold:g} / {len(columns)} columns): " + (
            ", ".join(f"{c.column} {c.ks_pvalue:.2g}" for c in moved) or "none"
        )
    numbers = {
        "test": test,
        "threshold": threshold,
        "columns": {c.column: {"psi": c.psi, "ks_pvalue": c.ks_pvalue} for c in columns},
    }
    return TriggerCheck("drift", bool(moved), detail, numbers)


def reference_score(champion: LoadedModel, evaluations: list[dict[str, Any]]) -> float | None:
    """What the champion is expected to score: its score on the holdout that promoted it, else its CV score.

    ``evaluations`` are the evidence of the name's ``evaluated`` events, oldest first.
    """
    metric = champion.card.metric
    for evidence in reversed(evaluations):
        decision = evidence.get("decision", {})
        if evidence.get("challenger") == champion.version.ref and metric in decision.get("challenger", {}).get("metrics", {}):
            value = decision["challenger"]["metrics"][metric].get("value")
            if value is not None:
                return float(value)
    return champion.card.cv_score

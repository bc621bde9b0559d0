"""Champion vs challenger on a sealed holdout, recorded in the registry with its evidence.

The holdout is sealed: a challenger whose lineage shows it was fitted or tuned on
these rows (the same fingerprint, or most of the rows inside its training data
sketch) is refused, because its score there would flatter it.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from automl._core import InputError
from automl.data import fingerprint
from automl.evaluation import ReportPaths
from automl.registry._gate import GateConfig, GateDecision, compare
from automl.registry._notes import publish_history
from automl.registry._records import ModelVersion
from automl.registry._refs import CHALLENGER, CHAMPION, parse_ref
from automl.registry._registry import Registry
from automl.registry._report import ChallengeContext, report_document, write_challenge_report

log = logging.getLogger(__name__)

# A holdout whose rows are this much inside a challenger's training data is not a holdout for it.
MAX_HOLDOUT_OVERLAP = 0.2
_MIN_SAMPLED_ROWS = 10


@dataclass(frozen=True)
class ChallengeResult:
    """The decision, the versions it was about, and what happened to the aliases."""

    decision: GateDecision
    context: ChallengeContext
    promoted: bool
    report: ReportPaths | None


def challenge(
    registry: Registry,
    name: str,
    challenger: str,
    X: pd.DataFrame,
    y: pd.Series,
    config: GateConfig = GateConfig(),
    *,
    champion: str | None = None,
    metric: str | None = None,
    promote: bool = False,
    out: str | Path | None = None,
    source: str = "DataFrame",
    write_files: bool = True,
    models: tuple[Any, Any] | None = None,
) -> ChallengeResult:
    """Decide whether ``challenger`` (a reference, or a version number of ``name``) replaces the champion.

    Records an ``evaluated`` event with the evidence, a ``rejected`` one for REJECT (the
    challenger alias is dropped from a rejected version), and with ``promote`` moves the
    champion alias on PROMOTE, failing cleanly if another promotion moved it meanwhile.
    ``write_files=False`` skips report.json/report.html (the evidence is still recorded).
    ``models`` are the two versions' models when the caller holds them already (an update that
    just built the challenger); otherwise both are loaded, digest-checked, from the registry.

    Raises:
        InputError: unknown references, an empty holdout, a challenger that saw the holdout,
            or data the models cannot score.
    """
    if len(X) == 0:
        raise InputError(f"{source}: the holdout has no rows")
    champion_version = registry.version(champion or f"{name}@{CHAMPION}")
    challenger_version = registry.version(_ref_of(name, challenger))
    _check_pair(name, champion_version, challenger_version)
    X, y = X.reset_index(drop=True), y.reset_index(drop=True)
    holdout_fp = fingerprint(X, y).content
    overlap = check_sealed(challenger_version, X, y, holdout_fp)
    pair = models or tuple(registry.get(v.ref).model for v in (champion_version, challenger_version))
    decision = compare(
        pair[0],
        pair[1],
        X,
        y,
        config,
        task=champion_version.card.task,
        metric=metric or champion_version.card.metric,
        labels=(f"champion {champion_version.ref}", f"challenger {challenger_version.ref}"),
    )
    context = ChallengeContext(name, champion_version, challenger_version, holdout_fp, overlap, source)
    report = write_challenge_report(decision, context, out or _default_report_dir(registry, context)) if write_files else None
    promoted = _record(registry, decision, context, report, promote)
    publish_history(registry, name)
    return ChallengeResult(decision, context, promoted, report)


def check_sealed(version: ModelVersion, X: pd.DataFrame, y: pd.Series, holdout_fingerprint: str) -> float | None:
    """Refuse a holdout that ``version`` was fitted or tuned on; return the estimated row overlap.

    Raises:
        InputError: the holdout is one of the version's training tables, or most of its rows are.
    """
    if holdout_fingerprint in version.lineage.data_fingerprints:
        raise InputError(
            f"{version.ref} was trained or tuned on this holdout (data fingerprint {holdout_fingerprint[:12]}); "
            "a sealed holdout must be rows it never saw"
        )
    sketch = version.lineage.sketch
    if sketch is None:
        return None
    share, sampled = sketch.containment(X[_training_columns(version, X)], y)
    if share is not None and sampled >= _MIN_SAMPLED_ROWS and share >= MAX_HOLDOUT_OVERLAP:
        raise InputError(
            f"about {share:.0%} of the holdout rows (estimated on {sampled} sampled rows) are in the data {version.ref} "
            "was trained or tuned on; a sealed holdout must be rows it never saw"
        )
    return share


def _training_columns(version: ModelVersion, X: pd.DataFrame) -> list[str]:
    """The holdout's columns in the order the version was trained on (row hashes depend on it)."""
    trained = version.lineage.notes.get("feature_columns")
    if trained and all(c in X.columns for c in trained):
        return list(trained)
    return [str(c) for c in X.columns]


def _ref_of(name: str, challenger: str) -> str:
    return f"{name}@{challenger}" if "@" not in challenger else challenger


def _check_pair(name: str, champion: ModelVersion, challenger: ModelVersion) -> None:
    for version in (champion, challenger):
        if version.name != name:
            raise InputError(f"{version.ref} is not a version of '{name}'")
    if champion.version == challenger.version:
        raise InputError(f"{challenger.ref} is the champion itself; register a new version to challenge it")


def _default_report_dir(registry: Registry, context: ChallengeContext) -> Path:
    stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%S%f")
    return (
        registry.store.root / "reports" / context.name / f"{stamp}-v{context.champion.version}-vs-v{context.challenger.version}"
    )


def _record(
    registry: Registry, decision: GateDecision, context: ChallengeContext, report: ReportPaths | None, promote: bool
) -> bool:
    """Write the verdict (and its consequence) to the history; True when the champion moved."""
    name, chal = context.name, context.challenger.version
    evidence: dict[str, Any] = {**report_document(decision, context), "report": None if report is None else str(report.html)}
    registry.record(name, "evaluated", version=chal, reason=decision.summary(), evidence=evidence)
    brief = {
        "verdict": decision.verdict,
        "difference": decision.difference,
        "holdout_fingerprint": context.holdout_fingerprint,
        "champion": context.champion.ref,
        "report": evidence["report"],
    }
    if decision.verdict == "REJECT":
        registry.record(
            name, "rejected", version=chal, reason="; ".join(decision.reasons), evidence=brief, remove_alias=CHALLENGER
        )
        return False
    if decision.verdict == "PROMOTE" and promote:
        registry.promote(
            parse_ref(context.challenger.ref),
            reason=decision.summary(),
            evidence=brief,
            expected_champion=context.champion.version,
        )
        return True
    return False

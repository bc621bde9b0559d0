"""Registry history shown where people watch studies: optuna-dashboard notes.

The registry tables are the record; a note is a view of them, rewritten whole
after every change, on each study a version of the name came from (and on the
trial it came from), so a dashboard user sees which trial became champion and
why. Notes are best effort: a study that is gone or lives in another database
is skipped, never a reason for a registry write to fail.
"""

from __future__ import annotations

import logging
import warnings
from collections.abc import Sequence

import optuna

from automl.registry._records import Event, ModelVersion
from automl.registry._registry import Registry

log = logging.getLogger(__name__)

_RECENT_EVENTS = 25


def publish_history(registry: Registry, name: str) -> int:
    """Rewrite the dashboard notes of every study (and source trial) behind ``name``'s versions.

    Returns the number of notes written.
    """
    versions = registry.versions(name)
    events = registry.history(name)
    by_study: dict[str, list[ModelVersion]] = {}
    for version in versions:
        if version.lineage.study_name:
            by_study.setdefault(version.lineage.study_name, []).append(version)
    written = 0
    for study_name, from_study in by_study.items():
        try:
            written += _annotate(registry.url, study_name, name, from_study, versions, events)
        except Exception as exc:  # a view must never break the record it shows
            log.info(
                "dashboard note on study '%s' skipped: %s",
                study_name,
                str(exc).splitlines()[0] if str(exc) else type(exc).__name__,
            )
    return written


def _annotate(
    url: str,
    study_name: str,
    name: str,
    from_study: Sequence[ModelVersion],
    versions: Sequence[ModelVersion],
    events: Sequence[Event],
) -> int:
    from optuna_dashboard import save_note

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        storage = optuna.storages.RDBStorage(url, skip_table_creation=True)
    try:
        study = optuna.load_study(study_name=study_name, storage=storage)
        save_note(study, study_note(name, versions, events, study_name))
        written = 1
        for version in from_study:
            if not version.lineage.trial_numbers:
                continue
            study_id = storage.get_study_id_from_name(study_name)
            trial_id = storage.get_trial_id_from_study_id_trial_number(study_id, version.lineage.trial_numbers[0])
            save_note(optuna.trial.Trial(study, trial_id), trial_note(version, events))
            written += 1
        return written
    finally:
        storage.engine.dispose()


def study_note(name: str, versions: Sequence[ModelVersion], events: Sequence[Event], study_name: str) -> str:
    """Markdown: who is champion and challenger now, this study's versions, and the recent history."""
    holders = {alias: v.ref for v in versions for alias in v.aliases}
    lines = [f"## automl registry: `{name}`", ""]
    lines += [f"- **{alias}**: `{ref}`" for alias, ref in sorted(holders.items())] or ["- no aliases set"]
    own = [v for v in versions if v.lineage.study_name == study_name]
    lines += ["", "Versions from this study: " + ", ".join(f"`{v.ref}` (trial {_trials(v)})" for v in own), ""]
    lines += ["| time (UTC) | event | version | alias | by | reason |", "|---|---|---|---|---|---|"]
    for e in list(events)[-_RECENT_EVENTS:][::-1]:
        alias = f"{e.alias}: {e.from_version} → {e.to_version}" if e.alias else ""
        lines.append(f"| {e.at[:19]} | {e.kind} | {e.version or ''} | {alias} | {e.user} | {_cell(e.reason)} |")
    return "\n".join(lines) + "\n"


def trial_note(version: ModelVersion, events: Sequence[Event]) -> str:
    """Markdown on the source trial: the version it became and every verdict about it."""
    lines = [f"## automl registry: this trial became `{version.ref}`", ""]
    lines.append(f"Aliases now: {', '.join(version.aliases) or 'none'}. Mode: {version.lineage.mode}.")
    about = [e for e in events if e.version == version.version or e.to_version == version.version]
    lines += ["", *(f"- {e.at[:19]} **{e.kind}**: {_cell(e.reason)}" for e in about)]
    return "\n".join(lines) + "\n"


def _trials(version: ModelVersion) -> str:
    return ", ".join(str(n) for n in version.lineage.trial_numbers) or "?"


def _cell(text: str) -> str:
    return text.replace("|", "/").replace("\n", " ")[:300]

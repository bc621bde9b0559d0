"""``update``: build a challenger from the champion on new rows, register it, and let the gate decide.

The newest ``holdout`` share of the new rows is sealed for the gate; the older
rows train the challenger. With ``mode="auto"`` stateful and stateless (and a
search, given a time budget) compete: each is compared with the champion on the
sealed rows at a Bonferroni-corrected confidence, so picking the best of several
does not raise the chance of a false promotion; the best one is registered and
its decision recorded, with every candidate's interval as evidence.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import optuna
import pandas as pd

from automl._core import Deadline, DeadlineExceeded, InputError
from automl.continual._strategies import Built, stateful, stateless, timed
from automl.data import Dataset, fingerprint, order_by_time, row_sketch, split_target, summarize
from automl.evaluation import Estimate
from automl.models import ModelCard
from automl.registry import (
    CHALLENGER,
    ChallengeResult,
    GateConfig,
    Lineage,
    LoadedModel,
    ModelVersion,
    Registry,
    challenge,
    column_kind,
    compare,
    file_source,
    last_rows,
    load_sources,
)
from automl.search import SearchConfig, ranked, run_search

log = logging.getLogger(__name__)

MODES: tuple[str, ...] = ("stateful", "stateless", "search", "auto")
# The gate needs enough sealed rows for an interval worth reading.
MIN_HOLDOUT_ROWS = 30
# A search update without a time budget gets this many seconds.
DEFAULT_SEARCH_SECONDS = 60.0


@dataclass(frozen=True)
class UpdateConfig:
    """How to update.

    Attributes:
        mode: ``stateful``, ``stateless``, ``search`` or ``auto`` (stateful and stateless, plus
            search when ``time_budget`` is given, compete; the gate's best wins).
        window: train stateless/search challengers on the last ``window`` rows only
            (default: every row the champion saw plus the new ones).
        holdout: newest share of the new rows sealed for the gate.
        time_col: orders the new rows (default: their order in the file is their arrival order).
        time_budget: seconds for building challengers (a search needs one; default 60 for it).
        gate: the promotion policy.
        promote: move the champion alias when the verdict is PROMOTE.
        top_k: the champion study's best configurations tried first by a search update.
        report: write the decision's report.json/report.html (the evidence is recorded either way).
    """

    mode: str = "auto"
    window: int | None = None
    holdout: float = 0.2
    time_col: str | None = None
    time_budget: float | None = None
    gate: GateConfig = GateConfig()
    promote: bool = False
    seed: int = 0
    top_k: int = 5
    report: bool = True

    def __post_init__(self) -> None:
        if self.mode not in MODES:
            raise InputError(f"unknown update mode '{self.mode}'; use one of {', '.join(MODES)}")
        if self.window is not None and self.window < 1:
            raise InputError(f"window must be a positive number of rows, got {self.window}")
        if not 0 < self.holdout < 1:
            raise InputError(f"holdout must be a share in (0, 1), got {self.holdout}")


@dataclass(frozen=True)
class UpdateResult:
    """The registered challenger, the gate's decision about it, and (auto) every candidate's interval."""

    version: ModelVersion
    challenge: ChallengeResult
    built: Built
    candidates: dict[str, Estimate] = field(default_factory=dict)


@dataclass(frozen=True)
class _Rows:
    """The update's data: new training rows, sealed holdout, and the stateless window."""

    new: tuple[pd.DataFrame, pd.Series]
    holdout: tuple[pd.DataFrame, pd.Series]
    window: tuple[pd.DataFrame, pd.Series]
    window_sources: tuple[dict[str, Any], ...]
    new_source: dict[str, Any] | None
    notes: dict[str, Any]


def update(
    registry: Registry,
    name: str,
    data: pd.DataFrame,
    target: str,
    config: UpdateConfig = UpdateConfig(),
    *,
    history: pd.DataFrame | None = None,
    source_path: str | Path | None = None,
    storage: str | None = None,
) -> UpdateResult:
    """Update ``name``'s champion with the labelled rows ``data`` and run the gate.

    ``history`` overrides the rows the champion saw (default: read back from its
    lineage's data sources); ``source_path`` is the file ``data`` came from, so the
    new version's lineage can find its rows again; ``storage`` holds a search update's study.

    Raises:
        InputError: columns missing, extra or retyped against the champion's training data,
            a target class it never saw, too few rows: nothing is registered then.
    """
    champion = registry.get(f"{name}@champion")
    check_new_data(champion.version, data, target, config.time_col)
    rows = _prepare_rows(champion.version, data, target, config, history, source_path)
    deadline = Deadline.after(config.time_budget)
    modes = [config.mode] if config.mode != "auto" else ["stateful", "stateless"] + (["search"] if config.time_budget else [])
    builds, unfinished = _build_all(modes, champion, rows, config, deadline, storage)
    chosen, candidates, gate = _choose(champion, builds, rows, config)
    version = registry.register(
        name,
        chosen.model,
        card=_card(champion, chosen, rows),
        lineage=_lineage(champion.version, chosen, rows, candidates),
        alias=CHALLENGER,
        reason=f"{chosen.strategy} update of {champion.version.ref} on {len(rows.new[1])} new rows",
        evidence={
            "candidates": {k: dataclasses.asdict(v) for k, v in candidates.items()},
            "strategy": chosen.strategy,
            **({"unfinished": unfinished} if unfinished else {}),
        },
    )
    result = challenge(
        registry,
        name,
        str(version.version),
        *rows.holdout,
        gate,
        promote=config.promote,
        source="the newest new rows",
        write_files=config.report,
        models=(champion.model, chosen.model),
    )
    return UpdateResult(version, result, chosen, candidates)


def check_new_data(version: ModelVersion, frame: pd.DataFrame, target: str, time_col: str | None) -> None:
    """New rows must look like the champion's training data: same columns, same kinds, known classes.

    Raises:
        InputError: one line naming every missing, extra and retyped column, or the unseen classes.
    """
    notes = version.lineage.notes
    columns = [str(c) for c in frame.columns]
    if target not in columns:
        raise InputError(f"new data has no target column '{target}'")
    expected = list(notes.get("feature_columns") or [])
    if expected:
        present = [c for c in columns if c not in (target, time_col)]
        kinds = notes.get("feature_kinds", {})
        problems = []
        missing = [c for c in expected if c not in present]
        extra = [c for c in present if c not in expected]
        retyped = [
            f"{c} ({kinds[c]} -> {column_kind(frame[c])})"
            for c in expected
            if c in present and c in kinds and column_kind(frame[c]) != kinds[c]
        ]
        for label, found in (("missing", missing), ("extra", extra), ("retyped", retyped)):
            if found:
                problems.append(f"{label} column(s) {', '.join(found[:10])}")
        if problems:
            raise InputError(f"new data does not match the training data of {version.ref}: {'; '.join(problems)}")
    classes = version.card.classes
    if classes is not None:
        unseen = sorted({str(v) for v in frame[target].dropna().tolist()} - {str(c) for c in classes})
        if unseen:
            raise InputError(
                f"new data has target class(es) {version.ref} never saw: {', '.join(unseen[:5])}; "
                "a new class set needs a new model (automl search --register)"
            )


def _prepare_rows(
    version: ModelVersion,
    data: pd.DataFrame,
    target: str,
    config: UpdateConfig,
    history: pd.DataFrame | None,
    source_path: str | Path | None,
) -> _Rows:
    ordered = order_by_time(data, config.time_col, "new data") if config.time_col else data.reset_index(drop=True)
    n_holdout = int(round(len(ordered) * config.holdout))
    if n_holdout < MIN_HOLDOUT_ROWS or len(ordered) - n_holdout < 1:
        raise InputError(
            f"{len(ordered)} new rows are too few: the gate needs at least {MIN_HOLDOUT_ROWS} sealed rows "
            f"({config.holdout:.0%} of the new rows) and some rows to train on"
        )
    features = list(
        version.lineage.notes.get("feature_columns") or [c for c in ordered.columns if c not in (target, config.time_col)]
    )
    train_part, holdout_part = ordered.iloc[: len(ordered) - n_holdout], ordered.iloc[len(ordered) - n_holdout :]
    new = _xy(train_part, target, features)
    new_source = file_source(source_path, len(train_part), order_by=config.time_col) if source_path is not None else None
    notes: dict[str, Any] = {}
    needs_history = config.window is None or config.window > len(new[1])
    recorded = version.lineage.data_sources
    loaded = history is None and bool(recorded) and needs_history
    if loaded:
        history = load_sources(recorded, version.ref)
    if history is None:
        if needs_history:
            notes["window"] = f"the rows {version.ref} saw are not on record: the window is the {len(new[1])} new rows"
        past = (new[0].iloc[:0], new[1].iloc[:0])
    else:
        past = _xy(history, target, features)
    window = (pd.concat([past[0], new[0]], ignore_index=True), pd.concat([past[1], new[1]], ignore_index=True))
    # Where the window's rows can be read again; only a complete record is kept: a partial one
    # would mislead a later stateless update into retraining on part of the rows.
    window_sources: tuple[dict[str, Any], ...] = ()
    if new_source is not None and len(past[1]) == 0:
        window_sources = (new_source,)
    elif new_source is not None and loaded:
        window_sources = (*recorded, new_source)
    if config.window is not None and config.window < len(window[1]):
        window = (
            window[0].iloc[-config.window :].reset_index(drop=True),
            window[1].iloc[-config.window :].reset_index(drop=True),
        )
        window_sources = last_rows(window_sources, config.window)
    return _Rows(new, _xy(holdout_part, target, features), window, window_sources, new_source, notes)


def _xy(frame: pd.DataFrame, target: str, features: list[str]) -> tuple[pd.DataFrame, pd.Series]:
    X, y = split_target(frame.reset_index(drop=True), target, "new data")
    return X[features], y


def _build_all(
    modes: list[str], champion: LoadedModel, rows: _Rows, config: UpdateConfig, deadline: Deadline, storage: str | None
) -> tuple[dict[str, Built], dict[str, str]]:
    """The challengers of ``modes``, and why the ones that ran out of time are missing.

    Each candidate gets an equal share of the time left (what a fast one leaves goes to the
    next), so a slow retrain cannot starve the search that follows it. In auto mode a
    candidate that runs out of its share is left out of the competition (the history says
    so) and the others still compete; a single requested mode that runs out of time is an
    error, and so is an auto update with no candidate left.
    """
    builds, unfinished = {}, {}
    for i, mode in enumerate(modes):
        share = deadline if not deadline.is_limited else Deadline.after(deadline.remaining() / (len(modes) - i), deadline.clock)
        try:
            builds[mode] = _build(mode, champion, rows, config, share, storage)
        except (DeadlineExceeded, InputError) as exc:
            if len(modes) == 1:
                raise
            unfinished[mode] = str(exc)
            log.warning("%s candidate left out: %s", mode, exc)
    if not builds:
        reasons = "; ".join(f"{mode}: {reason}" for mode, reason in unfinished.items())
        raise InputError(f"no update candidate finished within --time-budget {config.time_budget:g} s ({reasons})")
    return builds, unfinished


def _build(mode: str, champion: LoadedModel, rows: _Rows, config: UpdateConfig, deadline: Deadline, storage: str | None) -> Built:
    seen = champion.version.lineage.rows_seen or len(rows.window[1]) or 1
    if mode == "stateful":
        return stateful(champion.model, rows.new, len(rows.new[1]) / seen, rows.window, deadline)
    if mode == "stateless":
        return stateless(champion.model, rows.window, deadline)
    budget = deadline.remaining() if deadline.is_limited else DEFAULT_SEARCH_SECONDS
    return _search(champion, rows, config, max(budget, 1.0), storage)


def _search(champion: LoadedModel, rows: _Rows, config: UpdateConfig, budget: float, storage: str | None) -> Built:
    """A short study on the window whose first trials are the champion study's best configurations."""
    first = tuple(dict(t.params) for t in _champion_trials(champion.version.lineage.study_name, storage)[: config.top_k])
    stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%S%f")
    search_config = SearchConfig(
        metric=champion.card.metric,
        time_budget=budget,
        study_name=f"{champion.version.name}-update-{stamp}",
        storage=storage or optuna.storages.InMemoryStorage(),
        seed=config.seed,
        output_dir=None,
        enqueue=first,
    )
    dataset = Dataset(X=rows.window[0], y=rows.window[1], task=champion.card.task, source="update window")
    return timed("search", lambda: _search_model(dataset, search_config))


def _search_model(dataset: Dataset, config: SearchConfig) -> tuple[Any, dict[str, Any]]:
    outcome = run_search(dataset, config)
    notes = {
        "study_name": outcome.study.study_name,
        "trials": len(outcome.study.trials),
        "best_trial": outcome.best_trial.number,
        "final_model": outcome.card.notes.get("final_model"),
        "warm_started_with": len(config.enqueue),
    }
    return outcome.best_model, {"search": notes, "card": outcome.card}


def _champion_trials(study_name: str | None, storage: str | None) -> list[optuna.trial.FrozenTrial]:
    if not study_name or not storage:
        return []
    try:
        return ranked(optuna.load_study(study_name=study_name, storage=storage))
    except (KeyError, ValueError) as exc:
        log.info("champion study '%s' not found (%s): the search starts from defaults", study_name, exc)
        return []


def _choose(
    champion: LoadedModel, builds: dict[str, Built], rows: _Rows, config: UpdateConfig
) -> tuple[Built, dict[str, Estimate], GateConfig]:
    """The candidate the gate would rank best (by requested mode), and the policy corrected for comparing several."""
    if len(builds) == 1:
        return next(iter(builds.values())), {}, config.gate
    gate = dataclasses.replace(config.gate, confidence=1 - (1 - config.gate.confidence) / len(builds))
    scored = {
        mode: compare(
            champion.model, b.model, *rows.holdout, gate, task=champion.card.task, metric=champion.card.metric
        ).difference
        for mode, b in builds.items()
    }
    best = max(builds, key=lambda mode: _or_worst(scored[mode].value))
    return builds[best], scored, gate


def _or_worst(value: float | None) -> float:
    return float("-inf") if value is None else value


def _card(champion: LoadedModel, built: Built, rows: _Rows) -> ModelCard:
    searched = built.notes.get("card")
    base = searched if isinstance(searched, ModelCard) else champion.card
    X, y = rows.window if built.strategy != "stateful" else rows.new
    notes = {k: v for k, v in built.notes.items() if k != "card"}
    return dataclasses.replace(
        base,
        data_fingerprint=fingerprint(X, y).content,
        parent_version=str(champion.version.version),
        holdout_score=None,
        notes={**base.notes, "update": built.strategy, **notes},
    )


def _lineage(parent: ModelVersion, built: Built, rows: _Rows, candidates: dict[str, Estimate]) -> Lineage:
    old = parent.lineage
    new_X, new_y = rows.new
    if built.strategy == "stateful":
        sketch = row_sketch(new_X, new_y)
        fingerprints = (*old.data_fingerprints, fingerprint(new_X, new_y).content)
        # a record of only some of the rows would mislead a later stateless update: all or none
        sources = (*old.data_sources, rows.new_source) if old.data_sources and rows.new_source else ()
        merged = old.sketch.merge(sketch) if old.sketch is not None else sketch
        seen = (old.rows_seen or 0) + len(new_y)
        sketch_dict = merged.to_dict()
    else:
        X, y = rows.window
        fingerprints, sources, seen, sketch_dict = (
            (fingerprint(X, y).content,),
            rows.window_sources,
            len(y),
            row_sketch(X, y).to_dict(),
        )
    search = built.notes.get("search", {})
    notes = {
        **{k: v for k, v in old.notes.items() if k in ("feature_columns", "feature_kinds")},
        **{k: v for k, v in built.notes.items() if k not in ("card", "search")},
        **rows.notes,
        "strategy": built.strategy,
    }
    if candidates:
        notes["auto_candidates"] = {k: dataclasses.asdict(v) for k, v in candidates.items()}
    return Lineage(
        mode=built.strategy,
        parent_version=parent.version,
        data_fingerprints=tuple(fingerprints),
        data_sketch=sketch_dict,
        data_sources=tuple(sources),
        study_name=search.get("study_name", old.study_name),
        trial_numbers=(search["best_trial"],) if search else old.trial_numbers,
        fit_seconds=round(built.fit_seconds, 3),
        cpu_seconds=round(built.cpu_seconds, 3),
        rows_seen=seen,
        data_summary=summarize(rows.window[0] if len(rows.window[1]) else new_X),
        notes=notes,
    )

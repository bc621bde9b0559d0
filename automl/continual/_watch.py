"""``watch``: check the triggers on newly arrived labelled rows and update only when one fires.

The new rows come from a file that grows (rows after those already read) or a
folder that receives files (files not read yet). Rows read but not yet used by an
update stay pending. When a trigger fires, the pending rows are snapshotted into
the registry's artifact folder (content-addressed, so the update's lineage can
read them again), the firing is recorded in the history with its numbers, and
the update runs. The watcher's own state is a small JSON file written atomically.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import json
import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from automl._core import InputError, atomic_write_bytes, atomic_write_json, sha256_file
from automl.continual._triggers import TriggerCheck, TriggerConfig, check_triggers, reference_score
from automl.continual._update import UpdateConfig, UpdateResult, check_new_data, update
from automl.data import read_table, split_target
from automl.registry import CHAMPION, Registry

log = logging.getLogger(__name__)

_DATA_SUFFIXES = (".csv", ".csv.gz", ".parquet", ".pq", ".tsv")


@dataclass
class WatchState:
    """What the watcher has read (rows per file) and which rows wait for an update."""

    read_rows: dict[str, int] = field(default_factory=dict)
    pending: list[dict[str, Any]] = field(default_factory=list)  # {"path", "start", "stop"}

    @classmethod
    def load(cls, path: Path) -> WatchState:
        if not path.exists():
            return cls()
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            return cls(read_rows={str(k): int(v) for k, v in data["read_rows"].items()}, pending=list(data["pending"]))
        except (ValueError, KeyError, TypeError) as exc:
            raise InputError(f"watch state '{path}' is corrupt ({exc}); delete it to start over") from None

    def save(self, path: Path) -> None:
        atomic_write_json(path, dataclasses.asdict(self))


@dataclass(frozen=True)
class WatchOutcome:
    """One check: the rows pending, every trigger's verdict, and the update when one fired."""

    new_rows: int
    pending_rows: int
    checks: tuple[TriggerCheck, ...]
    update: UpdateResult | None

    @property
    def fired(self) -> list[TriggerCheck]:
        return [c for c in self.checks if c.fired]


def watch_once(
    registry: Registry,
    name: str,
    data: str | Path,
    target: str | None,
    triggers: TriggerConfig,
    config: UpdateConfig,
    *,
    storage: str | None = None,
) -> WatchOutcome:
    """Read what arrived in ``data``, check the triggers, and update when one fires."""
    state_path = registry.store.root / "watch" / f"{name}.json"
    state = WatchState.load(state_path)
    champion = registry.get(f"{name}@{CHAMPION}")
    target = target or champion.card.target
    new_rows = _read_new(Path(data), state)
    frame = _pending_frame(state)
    if frame.empty:
        state.save(state_path)
        return WatchOutcome(new_rows, 0, (), None)
    check_new_data(champion.version, frame, target, config.time_col)
    X, y = split_target(frame, target, "pending rows")
    features = champion.version.lineage.notes.get("feature_columns") or list(X.columns)
    evaluations = [e.evidence for e in registry.history(name, kinds=("evaluated",))]
    checks = tuple(
        check_triggers(
            champion,
            X[[c for c in features if c in X.columns]],
            y,
            triggers,
            seconds_since_update=_age(registry.history(name, alias=CHAMPION)[-1].at),
            reference_score=reference_score(champion, evaluations),
            seed=config.seed,
        )
    )
    fired = [c for c in checks if c.fired]
    if not fired:
        state.save(state_path)
        return WatchOutcome(new_rows, len(frame), checks, None)
    snapshot = _snapshot(registry, name, frame)
    registry.record(
        name,
        "triggered",
        version=champion.version.version,
        reason="; ".join(f"{c.kind}: {c.detail}" for c in fired),
        evidence={"checks": [dataclasses.asdict(c) for c in checks], "rows": len(frame), "snapshot": str(snapshot)},
    )
    result = update(registry, name, frame, target, config, source_path=snapshot, storage=storage)
    state.pending = []
    state.save(state_path)
    return WatchOutcome(new_rows, len(frame), checks, result)


def _read_new(data: Path, state: WatchState) -> int:
    """Register rows not read before as pending; return how many."""
    if data.is_dir():
        files = sorted(p for p in data.iterdir() if p.is_file() and p.name.lower().endswith(_DATA_SUFFIXES))
    elif data.is_file():
        files = [data]
    else:
        raise InputError(f"watch: '{data}' is neither a file nor a folder")
    added = 0
    for path in files:
        key = str(path.resolve())
        rows = len(read_table(path))
        start = state.read_rows.get(key, 0)
        if rows < start:
            raise InputError(
                f"watch: '{path}' has {rows} rows, fewer than the {start} already read; a watched file may only grow"
            )
        if rows > start:
            state.pending.append({"path": key, "start": start, "stop": rows})
            state.read_rows[key] = rows
            added += rows - start
    return added


def _pending_frame(state: WatchState) -> pd.DataFrame:
    parts = [read_table(p["path"]).iloc[p["start"] : p["stop"]] for p in state.pending]
    return pd.concat(parts, ignore_index=True) if parts else pd.DataFrame()


def _snapshot(registry: Registry, name: str, frame: pd.DataFrame) -> Path:
    """The rows an update trains on, kept under their digest so the version's lineage can read them again."""
    data = frame.to_csv(index=False).encode("utf-8")
    path = registry.store.root / "data" / name / f"{hashlib.sha256(data).hexdigest()}.csv"
    if not path.exists() or sha256_file(path) != hashlib.sha256(data).hexdigest():
        atomic_write_bytes(path, data)
    return path


def _age(stamp: str) -> float:
    created = dt.datetime.fromisoformat(stamp.replace("Z", "+00:00"))
    return (dt.datetime.now(dt.UTC) - created).total_seconds()

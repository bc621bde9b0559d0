"""What the registry keeps: versions with their lineage, and the append-only event history."""

from __future__ import annotations

import dataclasses
import datetime as dt
import getpass
import os
from dataclasses import dataclass, field
from typing import Any, Literal, get_args

from automl._core import InputError, package_versions
from automl.data import RowSketch
from automl.models import ModelCard

TrainingMode = Literal["search", "stateless", "stateful", "external"]
TRAINING_MODES: tuple[str, ...] = get_args(TrainingMode)

EventKind = Literal["registered", "evaluated", "promoted", "rejected", "rolled_back", "alias_moved", "triggered"]
EVENT_KINDS: tuple[str, ...] = get_args(EventKind)


def utc_now() -> str:
    """ISO 8601 UTC with microseconds: sorts as text, so history queries compare strings."""
    return dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def parse_time(text: str) -> str:
    """A user's date or time (``2026-11-20``, ``2026-11-20T14:00``, with or without zone) in the stored form."""
    try:
        when = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise InputError(f"'{text}' is not a date or time; use e.g. 2026-11-20 or 2026-11-20T14:30") from None
    if when.tzinfo is None:
        when = when.replace(tzinfo=dt.UTC)
    if len(text) == 10:  # a bare date means the end of that day: "who was champion on D"
        when = when + dt.timedelta(days=1) - dt.timedelta(microseconds=1)
    return when.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def current_user() -> str:
    """The OS user name (``AUTOML_USER`` overrides it, e.g. for a service account acting for someone)."""
    try:
        return os.environ.get("AUTOML_USER") or getpass.getuser()
    except (KeyError, OSError):
        return f"uid-{os.getuid()}"


@dataclass(frozen=True)
class Lineage:
    """Where a version came from: enough to rebuild the chain and to judge a holdout.

    Attributes:
        mode: ``search`` (a study's final model), ``stateless`` (retrained from scratch),
            ``stateful`` (continued from its parent) or ``external`` (registered as is).
        parent_version: the version it was derived from (same name), if any.
        data_fingerprints: content fingerprints of every table it was fitted or tuned on.
        data_sketch: a row sketch of those tables (``RowSketch.to_dict``), to detect a
            holdout that overlaps them even when it is not the same file.
        data_sources: where those rows can be read again (``{"path", "sha256", "order_by",
            "start", "stop"}``: rows ``[start, stop)`` of the file after ordering by ``order_by``),
            so a stateless update can retrain on everything the version saw.
        study_name, trial_numbers: the Optuna study and trials it came from.
        fit_seconds: model fitting time it took (trials and refits), ``cpu_seconds`` the
            process CPU time, ``wall_seconds`` the elapsed time.
        rows_seen: training rows of this version's own fit.
        data_summary: per-column summary of the training data (drift checks compare against it).
        notes: anything else worth keeping (e.g. why a stateful update fell back to stateless).
    """

    mode: TrainingMode
    parent_version: int | None = None
    data_fingerprints: tuple[str, ...] = ()
    data_sketch: dict[str, Any] | None = None
    data_sources: tuple[dict[str, Any], ...] = ()
    study_name: str | None = None
    study_storage: str | None = None
    trial_numbers: tuple[int, ...] = ()
    package_versions: dict[str, str] = field(default_factory=package_versions)
    fit_seconds: float | None = None
    cpu_seconds: float | None = None
    wall_seconds: float | None = None
    rows_seen: int | None = None
    data_summary: dict[str, Any] | None = None
    notes: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.mode not in TRAINING_MODES:
            raise InputError(f"unknown training mode '{self.mode}'; use one of {', '.join(TRAINING_MODES)}")

    @property
    def sketch(self) -> RowSketch | None:
        return None if self.data_sketch is None else RowSketch.from_dict(self.data_sketch)

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Lineage:
        names = {f.name for f in dataclasses.fields(cls)}
        values = {k: v for k, v in data.items() if k in names}
        for key in ("data_fingerprints", "trial_numbers", "data_sources"):
            values[key] = tuple(values.get(key, ()))
        return cls(**values)


@dataclass(frozen=True)
class ModelVersion:
    """One registered version: its artifact digest, card, lineage and current aliases."""

    name: str
    version: int
    digest: str
    files: dict[str, str]
    card: ModelCard
    lineage: Lineage
    created_at: str
    created_by: str
    aliases: tuple[str, ...] = ()

    @property
    def ref(self) -> str:
        return f"{self.name}@{self.version}"


@dataclass(frozen=True)
class Event:
    """One entry of a name's append-only history.

    ``alias``/``from_version``/``to_version`` describe an alias move when the event made
    one (``to_version=None``: the alias was removed); ``seq`` orders a name's events
    (every write transaction on a name takes the next number).
    """

    id: int
    name: str
    seq: int
    at: str
    user: str
    kind: str
    version: int | None
    alias: str | None
    from_version: int | None
    to_version: int | None
    reason: str
    evidence: dict[str, Any]

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

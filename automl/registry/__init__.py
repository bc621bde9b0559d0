"""Model registry: named versions with aliases and lineage, and the champion/challenger gate.

``Registry(url)`` keeps versions, aliases (``champion``, ``challenger``, any other)
and an append-only history in SQL tables beside the studies; artifacts are stored
under their SHA-256 and verified on every load. ``compare`` decides PROMOTE / HOLD /
REJECT for two models on the same holdout; ``challenge`` does it for registered
versions and records the decision.
"""

from automl.registry._challenge import MAX_HOLDOUT_OVERLAP, ChallengeResult, challenge, check_sealed
from automl.registry._gate import GateCheck, GateConfig, GateDecision, ModelScores, SliceComparison, Verdict, compare
from automl.registry._notes import publish_history
from automl.registry._records import (
    EVENT_KINDS,
    TRAINING_MODES,
    Event,
    Lineage,
    ModelVersion,
    TrainingMode,
    current_user,
    parse_time,
    utc_now,
)
from automl.registry._refs import CHALLENGER, CHAMPION, LATEST, ModelRef, check_alias, check_name, parse_ref
from automl.registry._registry import AUTO, DEFAULT_REGISTRY, UNSET, LoadedModel, Registry, RegistryConflict
from automl.registry._report import ChallengeContext, write_challenge_report
from automl.registry._sources import column_kind, feature_notes, file_source, last_rows, load_sources

__all__ = [
    "AUTO",
    "CHALLENGER",
    "CHAMPION",
    "DEFAULT_REGISTRY",
    "EVENT_KINDS",
    "LATEST",
    "MAX_HOLDOUT_OVERLAP",
    "TRAINING_MODES",
    "UNSET",
    "ChallengeContext",
    "ChallengeResult",
    "Event",
    "GateCheck",
    "GateConfig",
    "GateDecision",
    "Lineage",
    "LoadedModel",
    "ModelRef",
    "ModelScores",
    "ModelVersion",
    "Registry",
    "RegistryConflict",
    "SliceComparison",
    "TrainingMode",
    "Verdict",
    "challenge",
    "check_alias",
    "check_name",
    "check_sealed",
    "column_kind",
    "compare",
    "current_user",
    "feature_notes",
    "file_source",
    "last_rows",
    "load_sources",
    "parse_ref",
    "parse_time",
    "publish_history",
    "utc_now",
    "write_challenge_report",
]

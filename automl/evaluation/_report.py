"""The evaluation report: every section's result, one overall status, JSON and HTML output."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from automl._core import __version__
from automl.data import Task
from automl.evaluation._baselines import BaselinesResult
from automl.evaluation._calibration import CalibrationResult
from automl.evaluation._confidence import ConfidenceResult
from automl.evaluation._config import EvaluationConfig, EvaluationThresholds
from automl.evaluation._directional import DirectionalResult
from automl.evaluation._importance import ImportanceResult
from automl.evaluation._invariance import InvarianceResult
from automl.evaluation._learning_curve import LearningCurveResult
from automl.evaluation._perturbation import PerturbationResult
from automl.evaluation._result import Check, SkippedSection, Status, to_jsonable
from automl.evaluation._slices import SlicesResult
from automl.evaluation._tradeoffs import TradeoffsResult

#: Version of the report.json layout (see REPORT_SCHEMA.md); bumped on breaking changes.
SCHEMA_VERSION = 1

#: Every section, in report order. Each is present in every report, possibly as skipped.
SECTIONS: tuple[str, ...] = (
    "baselines",
    "perturbation",
    "invariance",
    "directional",
    "calibration",
    "confidence",
    "slices",
    "learning_curve",
    "tradeoffs",
    "interpretability",
)

Section = (
    BaselinesResult
    | PerturbationResult
    | InvarianceResult
    | DirectionalResult
    | CalibrationResult
    | ConfidenceResult
    | SlicesResult
    | LearningCurveResult
    | TradeoffsResult
    | ImportanceResult
    | SkippedSection
)


@dataclass(frozen=True)
class EvaluationReport:
    """A model evaluated on one data set. ``status`` fails when any section's check fails.

    Example:
        >>> report = evaluate(model, X_test, y_test, seed=0)  # doctest: +SKIP
        >>> report.status, report["calibration"].ece  # doctest: +SKIP
        ('pass', 0.021)
        >>> write_report(report, "eval_out")  # report.json and report.html  # doctest: +SKIP
    """

    model_name: str
    task: Task
    target: str
    metric: str
    greater_is_better: bool
    n_rows: int
    columns: tuple[str, ...]
    classes: tuple[str, ...] | None
    positive_class: str | None
    seed: int
    config: EvaluationConfig
    thresholds: EvaluationThresholds
    inputs: dict[str, Any]
    sections: Mapping[str, Section] = field(repr=False)

    def __getitem__(self, name: str) -> Any:
        return self.sections[name]

    @property
    def status(self) -> Status:
        return "fail" if any(s.status == "fail" for s in self.sections.values()) else "pass"

    @property
    def passed(self) -> bool:
        return self.status == "pass"

    def failed_checks(self) -> list[tuple[str, Check]]:
        """``(section, check)`` for every check that failed, in report order."""
        return [(name, c) for name, s in self.sections.items() for c in s.checks if not c.passed]

    def to_dict(self) -> dict[str, Any]:
        """The report.json document (layout in ``REPORT_SCHEMA.md``)."""
        return {
            "schema_version": SCHEMA_VERSION,
            "automl_version": __version__,
            "status": self.status,
            "model": self.model_name,
            "task": self.task,
            "target": self.target,
            "metric": self.metric,
            "greater_is_better": self.greater_is_better,
            "n_rows": self.n_rows,
            "columns": list(self.columns),
            "classes": None if self.classes is None else list(self.classes),
            "positive_class": self.positive_class,
            "seed": self.seed,
            "inputs": to_jsonable(self.inputs),
            "config": to_jsonable(self.config),
            "thresholds": to_jsonable(self.thresholds),
            "failed_checks": [{"section": name, **to_jsonable(check)} for name, check in self.failed_checks()],
            "sections": {name: to_jsonable(section) for name, section in self.sections.items()},
        }

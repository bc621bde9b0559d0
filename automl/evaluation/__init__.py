"""Metrics and offline evaluation of fitted models (SPEC section 11).

``evaluate(model, X, y, ...)`` runs baselines, perturbation/invariance/directional
tests, calibration, confidence, slices, learning curve, trade-offs and
permutation importance, and returns an :class:`EvaluationReport`;
``write_report(report, dir)`` produces report.json (schema: ``REPORT_SCHEMA.md``)
and a self-contained report.html.
"""

from automl.evaluation._baselines import BaselineScore, BaselinesResult
from automl.evaluation._calibration import CalibrationResult, RecalibrationEffect, ReliabilityBin
from automl.evaluation._confidence import ConfidenceResult, CoveragePoint
from automl.evaluation._config import EvaluationConfig, EvaluationThresholds, parse_columns, parse_directional
from automl.evaluation._directional import DirectionalColumn, DirectionalExample, DirectionalResult
from automl.evaluation._evaluate import evaluate, resolve_task
from automl.evaluation._importance import FeatureImportance, ImportanceResult
from automl.evaluation._invariance import InvarianceColumn, InvarianceResult
from automl.evaluation._learning_curve import LearningCurveResult, LearningPoint
from automl.evaluation._metrics import Metric, Task, get_metric, metric_names, predictions_for
from automl.evaluation._perturbation import PerturbationCurve, PerturbationPoint, PerturbationResult
from automl.evaluation._report import SCHEMA_VERSION, SECTIONS, EvaluationReport
from automl.evaluation._result import Check, Estimate, SkippedSection
from automl.evaluation._slices import SliceColumn, SlicesResult, SliceScore
from automl.evaluation._tradeoffs import ClassErrors, CostAnalysis, ResidualSummary, TradeoffsResult
from automl.evaluation._write import ReportPaths, write_report

__all__ = [
    "SCHEMA_VERSION",
    "SECTIONS",
    "BaselineScore",
    "BaselinesResult",
    "CalibrationResult",
    "Check",
    "ClassErrors",
    "ConfidenceResult",
    "CostAnalysis",
    "CoveragePoint",
    "DirectionalColumn",
    "DirectionalExample",
    "DirectionalResult",
    "Estimate",
    "EvaluationConfig",
    "EvaluationReport",
    "EvaluationThresholds",
    "FeatureImportance",
    "ImportanceResult",
    "InvarianceColumn",
    "InvarianceResult",
    "LearningCurveResult",
    "LearningPoint",
    "Metric",
    "PerturbationCurve",
    "PerturbationPoint",
    "PerturbationResult",
    "RecalibrationEffect",
    "ReliabilityBin",
    "ReportPaths",
    "ResidualSummary",
    "SkippedSection",
    "SliceColumn",
    "SliceScore",
    "SlicesResult",
    "Task",
    "TradeoffsResult",
    "evaluate",
    "get_metric",
    "metric_names",
    "parse_columns",
    "parse_directional",
    "predictions_for",
    "resolve_task",
    "write_report",
]

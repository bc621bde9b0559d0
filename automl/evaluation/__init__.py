"""Metrics and offline evaluation of fitted models (SPEC section 11).

``evaluate(model, X, y, ...)`` runs baselines, perturbation/invariance/directional
tests, calibration, confidence, slices, learning curve, trade-offs and
permutation importance, and returns an :class:`EvaluationReport`;
``write_report(report, dir)`` produces report.json (schema: ``REPORT_SCHEMA.md``)
and a self-contained report.html.
"""

from automl.evaluation import (
    _page as report_html,  # building blocks of the HTML reports
    _plots as report_plots,  # their figures
)
from automl.evaluation._baselines import BaselineScore, BaselinesResult, reported_metrics
from automl.evaluation._bootstrap import Bootstrapped, Resamples, bootstrap, paired_difference, percentile_interval
from automl.evaluation._calibration import (
    CalibrationResult,
    RecalibrationEffect,
    ReliabilityBin,
    calibration_view,
    debiased_ece,
    reliability,
)
from automl.evaluation._confidence import ConfidenceResult, CoveragePoint
from automl.evaluation._config import EvaluationConfig, EvaluationThresholds, parse_columns, parse_directional
from automl.evaluation._context import EvalContext
from automl.evaluation._directional import DirectionalColumn, DirectionalExample, DirectionalResult
from automl.evaluation._evaluate import build_context, evaluate, resolve_task
from automl.evaluation._importance import FeatureImportance, ImportanceResult
from automl.evaluation._invariance import InvarianceColumn, InvarianceResult, evaluate_invariance
from automl.evaluation._learning_curve import LearningCurveResult, LearningPoint
from automl.evaluation._metrics import Metric, Task, get_metric, metric_names, predictions_for
from automl.evaluation._perturbation import PerturbationCurve, PerturbationPoint, PerturbationResult
from automl.evaluation._report import SCHEMA_VERSION, SECTIONS, EvaluationReport
from automl.evaluation._result import Check, Estimate, SkippedSection, to_jsonable
from automl.evaluation._slices import SliceColumn, SliceScore, SlicesResult, slice_labels
from automl.evaluation._tradeoffs import ClassErrors, CostAnalysis, ResidualSummary, TradeoffsResult
from automl.evaluation._write import ReportPaths, write_report

__all__ = [
    "SCHEMA_VERSION",
    "SECTIONS",
    "BaselineScore",
    "BaselinesResult",
    "Bootstrapped",
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
    "EvalContext",
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
    "Resamples",
    "ResidualSummary",
    "SkippedSection",
    "SliceColumn",
    "SliceScore",
    "SlicesResult",
    "Task",
    "TradeoffsResult",
    "bootstrap",
    "build_context",
    "calibration_view",
    "debiased_ece",
    "evaluate",
    "evaluate_invariance",
    "get_metric",
    "metric_names",
    "paired_difference",
    "parse_columns",
    "parse_directional",
    "percentile_interval",
    "predictions_for",
    "reliability",
    "report_html",
    "report_plots",
    "reported_metrics",
    "resolve_task",
    "slice_labels",
    "to_jsonable",
    "write_report",
]

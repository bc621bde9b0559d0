"""The report's figures as base64 PNG strings, drawn with matplotlib's Agg canvas.

Figures are built with ``matplotlib.figure.Figure`` directly, never through
``pyplot``: no global figure registry, no GUI backend, nothing to close, and
safe to call from a server or a test run in parallel.
"""

from __future__ import annotations

import base64
import io
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from matplotlib.figure import Figure

    from automl.evaluation._baselines import BaselinesResult
    from automl.evaluation._calibration import CalibrationResult, ReliabilityBin
    from automl.evaluation._confidence import ConfidenceResult
    from automl.evaluation._importance import ImportanceResult
    from automl.evaluation._learning_curve import LearningCurveResult
    from automl.evaluation._perturbation import PerturbationResult
    from automl.evaluation._slices import SliceColumn
    from automl.evaluation._tradeoffs import CostAnalysis

MODEL_COLOUR = "#1f77b4"
BASELINE_COLOUR = "#9aa5b1"
BAD_COLOUR = "#d62728"
GOOD_COLOUR = "#2ca02c"


def _figure(width: float = 6.4, height: float = 3.6) -> Figure:
    from matplotlib.figure import Figure

    return Figure(figsize=(width, height), dpi=100, layout="constrained")


def encode(fig: Figure) -> str:
    """PNG bytes of ``fig``, base64-encoded (no timestamp or software tag, so it is reproducible)."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    FigureCanvasAgg(fig)
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", metadata={"Software": None})
    return base64.b64encode(buffer.getvalue()).decode("ascii")


def _errors(values: Sequence[float | None], lows: Sequence[float | None], highs: Sequence[float | None]) -> np.ndarray:
    v = np.array([np.nan if x is None else x for x in values], dtype=float)
    lo = np.array([np.nan if x is None else x for x in lows], dtype=float)
    hi = np.array([np.nan if x is None else x for x in highs], dtype=float)
    return np.asarray(np.nan_to_num(np.vstack([v - lo, hi - v]).clip(min=0), nan=0.0))


def baselines_plot(result: BaselinesResult) -> str:
    metric = result.metric
    names = ["model"] + [b.name for b in result.baselines]
    estimates = [result.model[metric]] + [b.scores[metric] for b in result.baselines]
    values = [e.value for e in estimates]
    fig = _figure(6.4, 0.45 * len(names) + 1.2)
    ax = fig.add_subplot()
    y = np.arange(len(names))[::-1]
    ax.barh(
        y,
        np.nan_to_num(np.array([np.nan if v is None else v for v in values], dtype=float)),
        xerr=_errors(values, [e.ci_low for e in estimates], [e.ci_high for e in estimates]),
        color=[MODEL_COLOUR] + [BASELINE_COLOUR] * (len(names) - 1),
        capsize=3,
    )
    ax.set_yticks(y, names)
    ax.set_xlabel(f"{metric} (bars: {result.confidence_level:.0%} bootstrap interval)")
    ax.set_title("Model vs baselines")
    return encode(fig)


def perturbation_plot(result: PerturbationResult) -> str:
    fig = _figure()
    ax = fig.add_subplot()
    for curve, colour in zip(result.curves, (MODEL_COLOUR, "#ff7f0e"), strict=False):
        ax.plot(
            [p.level for p in curve.points],
            [np.nan if p.score is None else p.score for p in curve.points],
            marker="o",
            color=colour,
            label=curve.kind.replace("_", " "),
        )
    if result.zero_rule_score is not None:
        ax.axhline(result.zero_rule_score, color=BASELINE_COLOUR, linestyle="--", label="zero-rule")
    ax.set_xlabel("perturbation level (noise sd in units of column spread / swap probability)")
    ax.set_ylabel(result.metric)
    ax.set_title("Metric under perturbation")
    ax.legend()
    return encode(fig)


def _curve(bins: Sequence[ReliabilityBin]) -> tuple[list[float], list[float]]:
    """(mean predicted, observed) of the bins that hold rows (an empty bin has neither)."""
    used = [(b.mean_predicted, b.observed) for b in bins if b.count and b.mean_predicted is not None and b.observed is not None]
    return [p for p, _ in used], [o for _, o in used]


def reliability_plot(result: CalibrationResult) -> str:
    fig = _figure(5.0, 4.2)
    ax = fig.add_subplot()
    ax.plot([0, 1], [0, 1], color=BASELINE_COLOUR, linestyle="--", label="perfect calibration")
    series = [("model", result.bins, MODEL_COLOUR, result.ece)]
    if result.recalibration is not None:
        series.append(
            (
                f"{result.recalibration.method} recalibrated (out-of-fold)",
                result.recalibration.bins,
                GOOD_COLOUR,
                result.recalibration.ece,
            )
        )
    for label, bins, colour, ece in series:
        ax.plot(*_curve(bins), marker="o", color=colour, label=f"{label}, ECE {ece:.3f}")
    what = f"P({result.positive_class})" if result.kind == "positive_class" else "top-label confidence"
    ax.set_xlabel(f"predicted {what}")
    ax.set_ylabel("observed frequency" if result.kind == "positive_class" else "observed accuracy")
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1)
    ax.set_title("Reliability diagram")
    ax.legend(loc="upper left", fontsize="small")
    return encode(fig)


def confidence_plot(result: ConfidenceResult) -> str:
    fig = _figure()
    ax = fig.add_subplot()
    ax.plot([p.coverage for p in result.curve], [p.accuracy for p in result.curve], marker="o", color=MODEL_COLOUR)
    ax.axhline(result.target_accuracy, color=BAD_COLOUR, linestyle="--", label=f"target accuracy {result.target_accuracy:.0%}")
    if result.coverage_at_target is not None:
        ax.axvline(
            result.coverage_at_target,
            color=GOOD_COLOUR,
            linestyle=":",
            label=f"coverage at target {result.coverage_at_target:.0%}",
        )
    ax.set_xlabel("coverage (share of rows the model answers)")
    ax.set_ylabel("accuracy on answered rows")
    ax.invert_xaxis()
    ax.set_title("Accuracy vs coverage when abstaining")
    ax.legend()
    return encode(fig)


def slice_plot(column: SliceColumn, overall: float | None, metric: str) -> str:
    slices = column.slices
    fig = _figure(6.4, 0.35 * len(slices) + 1.3)
    ax = fig.add_subplot()
    y = np.arange(len(slices))[::-1]
    values = [s.score.value for s in slices]
    ax.errorbar(
        np.array([np.nan if v is None else v for v in values], dtype=float),
        y,
        xerr=_errors(values, [s.score.ci_low for s in slices], [s.score.ci_high for s in slices]),
        fmt="none",
        ecolor="#555555",
        capsize=3,
    )
    ax.scatter(
        np.array([np.nan if v is None else v for v in values], dtype=float),
        y,
        c=[BAD_COLOUR if s.flagged else MODEL_COLOUR for s in slices],
        zorder=3,
    )
    if overall is not None:
        ax.axvline(overall, color=BASELINE_COLOUR, linestyle="--", label="overall")
        ax.legend(fontsize="small")
    ax.set_yticks(y, [f"{s.label} (n={s.n})" for s in slices])
    ax.set_xlabel(metric)
    ax.set_title(f"{metric} by '{column.column}' (red: significantly worse)")
    return encode(fig)


def learning_curve_plot(result: LearningCurveResult) -> str:
    fig = _figure()
    ax = fig.add_subplot()
    n = [p.n_train for p in result.points]
    ax.plot(
        n,
        [np.nan if p.score is None else p.score for p in result.points],
        marker="o",
        color=MODEL_COLOUR,
        label="evaluation data",
    )
    ax.plot(
        n,
        [np.nan if p.train_score is None else p.train_score for p in result.points],
        marker="s",
        color=BASELINE_COLOUR,
        label="training rows",
    )
    ax.set_xlabel("training rows")
    ax.set_ylabel(result.metric)
    ax.set_title("Learning curve")
    ax.legend()
    return encode(fig)


def confusion_plot(labels: Sequence[str], matrix: Sequence[Sequence[int]]) -> str:
    grid = np.asarray(matrix, dtype=float)
    size = 1.0 + 0.6 * len(labels)
    fig = _figure(max(size + 1.2, 3.8), max(size, 3.0))
    ax = fig.add_subplot()
    ax.imshow(grid, cmap="Blues")
    limit = grid.max() / 2 if grid.size else 0
    for i in range(grid.shape[0]):
        for j in range(grid.shape[1]):
            ax.text(j, i, f"{int(grid[i, j])}", ha="center", va="center", color="white" if grid[i, j] > limit else "black")
    ax.set_xticks(range(len(labels)), labels, rotation=30, ha="right")
    ax.set_yticks(range(len(labels)), labels)
    ax.set_xlabel("predicted")
    ax.set_ylabel("true")
    ax.set_title("Confusion matrix")
    return encode(fig)


def cost_plot(cost: CostAnalysis, chosen: float) -> str:
    fig = _figure()
    ax = fig.add_subplot()
    ax.plot([t for t, _ in cost.curve], [c for _, c in cost.curve], color=MODEL_COLOUR)
    ax.axvline(cost.threshold, color=GOOD_COLOUR, linestyle="--", label=f"cost-optimal {cost.threshold:.3f}")
    ax.axvline(chosen, color=BASELINE_COLOUR, linestyle=":", label=f"chosen {chosen:.3f}")
    ax.set_xlabel("threshold on P(positive)")
    ax.set_ylabel("cost per row")
    ax.set_title(f"Cost (FP={cost.cost_fp:g}, FN={cost.cost_fn:g})")
    ax.legend()
    return encode(fig)


def importance_plot(result: ImportanceResult, top: int = 15) -> str:
    features = list(result.features[:top])
    fig = _figure(6.4, 0.35 * len(features) + 1.3)
    ax = fig.add_subplot()
    y = np.arange(len(features))[::-1]
    for row, feature in zip(y, features, strict=True):
        ax.scatter(feature.values, np.full(len(feature.values), row), color=BASELINE_COLOUR, s=12, zorder=2)
    means = np.array([f.mean for f in features], dtype=float)
    ax.errorbar(means, y, xerr=np.nan_to_num([f.std for f in features]), fmt="o", color=MODEL_COLOUR, capsize=3, zorder=3)
    ax.set_yticks(y, [f.feature for f in features])
    ax.axvline(0.0, color=BASELINE_COLOUR, linestyle="--")
    ax.set_xlabel(f"loss in {result.metric} when shuffled (dot: mean, bar: std, grey: each of {result.n_repeats} repeats)")
    ax.set_title(f"Permutation importance (top {len(features)})")
    return encode(fig)


def difference_plot(value: float | None, low: float | None, high: float | None, margin: float, metric: str, level: float) -> str:
    """The champion/challenger interval: where (challenger - champion) lies against 0 and the margin."""
    fig = _figure(6.4, 1.9)
    ax = fig.add_subplot()
    if value is not None:
        errors = _errors([value], [low], [high])
        ax.errorbar([value], [0], xerr=errors, fmt="o", color=MODEL_COLOUR, capsize=6, markersize=8)
    ax.axvline(0.0, color=BASELINE_COLOUR, linestyle="--", label="no difference")
    ax.axvline(margin, color=GOOD_COLOUR, linestyle=":", label=f"margin {margin:g}")
    ax.set_yticks([])
    ax.set_xlabel(f"challenger better by ({metric}; bar: {level:.0%} paired bootstrap interval)")
    ax.legend(loc="upper left", fontsize="small")
    return encode(fig)


def reliability_comparison_plot(series: Sequence[tuple[str, Sequence[ReliabilityBin], float]], what: str) -> str:
    """Reliability curves of several models on the same rows (``(label, bins, ece)`` each)."""
    fig = _figure(5.0, 4.2)
    ax = fig.add_subplot()
    ax.plot([0, 1], [0, 1], color=BASELINE_COLOUR, linestyle="--", label="perfect calibration")
    for (label, bins, ece), colour in zip(series, (BASELINE_COLOUR, MODEL_COLOUR, GOOD_COLOUR), strict=False):
        ax.plot(*_curve(bins), marker="o", color=colour, label=f"{label}, ECE {ece:.3f}")
    ax.set_xlabel(f"predicted {what}")
    ax.set_ylabel("observed")
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1)
    ax.set_title("Reliability diagrams")
    ax.legend(loc="upper left", fontsize="small")
    return encode(fig)


def series_plot(series: Mapping[str, Sequence[float | None]], xlabel: str, ylabel: str, title: str) -> str:
    """One line per named series over a shared x (e.g. a metric per window, per policy)."""
    fig = _figure(7.2, 3.8)
    ax = fig.add_subplot()
    for name, values in series.items():
        ax.plot(range(1, len(values) + 1), [np.nan if v is None else v for v in values], marker="o", markersize=3, label=name)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.set_title(title)
    ax.legend(fontsize="small")
    return encode(fig)


def bars_plot(values: Mapping[str, float], ylabel: str, title: str) -> str:
    """One bar per name (e.g. total compute per policy)."""
    fig = _figure(6.4, 3.2)
    ax = fig.add_subplot()
    ax.bar(list(values), list(values.values()), color=MODEL_COLOUR)
    ax.set_ylabel(ylabel)
    ax.set_title(title)
    return encode(fig)

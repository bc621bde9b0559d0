"""``evaluate()``: check the inputs once, predict once, then run every section that applies."""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from automl._core import InputError, did_you_mean
from automl.data import TASKS, Task, infer_schema
from automl.evaluation._baselines import evaluate_baselines
from automl.evaluation._calibration import evaluate_calibration
from automl.evaluation._confidence import evaluate_confidence
from automl.evaluation._config import EvaluationConfig, EvaluationThresholds, parse_columns, parse_directional
from automl.evaluation._context import EvalContext
from automl.evaluation._directional import evaluate_directional
from automl.evaluation._importance import evaluate_importance
from automl.evaluation._invariance import evaluate_invariance
from automl.evaluation._learning_curve import evaluate_learning_curve
from automl.evaluation._metrics import Metric, get_metric
from automl.evaluation._perturbation import evaluate_perturbation
from automl.evaluation._report import SECTIONS, EvaluationReport, Section
from automl.evaluation._result import SkippedSection
from automl.evaluation._slices import evaluate_slices
from automl.evaluation._tradeoffs import evaluate_tradeoffs

log = logging.getLogger(__name__)


def evaluate(
    model: Any,
    X: pd.DataFrame,
    y: Any,
    *,
    task: str | None = None,
    metric: str | None = None,
    slices: str | Sequence[str] = (),
    invariant: str | Sequence[str] = (),
    directional: str | Mapping[str, Any] | None = None,
    champion: Any = None,
    X_train: pd.DataFrame | None = None,
    y_train: Any = None,
    cost_fp: float | None = None,
    cost_fn: float | None = None,
    config: EvaluationConfig | None = None,
    thresholds: EvaluationThresholds | None = None,
    seed: int = 0,
    model_name: str | None = None,
) -> EvaluationReport:
    """Evaluate a fitted ``model`` on ``(X, y)``: baselines, behavioural tests, calibration, slices...

    Only ``predict``/``predict_proba``/``classes_`` of ``model`` are used, plus
    ``sklearn.base.clone`` for the learning curve, so any fitted sklearn-style
    model works. The same ``seed`` gives the same report (except the latency).

    Args:
        model: a fitted model; classifiers need ``predict_proba`` and ``classes_``.
        X, y: evaluation features and true targets (never used to fit the model).
        task: ``"binary"``, ``"multiclass"`` or ``"regression"``; default: the model's
            ``task`` attribute, else read from ``classes_``.
        metric: primary metric (``automl.evaluation.metric_names()``); default: the task's.
        slices: columns to slice the metric by (a list, or ``"a,b"``).
        invariant: columns whose value must not change the predictions (a list, or ``"a,b"``).
        directional: ``"col:+,other:-"`` or ``{"col": "+"}``: increasing ``col`` must not
            lower (``+``) / raise (``-``) the score.
        champion: the model currently in production, scored as one more baseline.
        X_train, y_train: training data; enables the learning curve and fits the heuristic
            baselines on it instead of out-of-fold on the evaluation data.
        cost_fp, cost_fn: cost of a false positive / negative (binary only, both or neither).
        config, thresholds: how numbers are computed / what the checks require.
        seed: seeds every random draw (bootstrap, noise, swaps, permutations, folds).
        model_name: shown in the report header (default: the model's class name).

    Returns:
        The :class:`EvaluationReport`; ``write_report(report, dir)`` writes report.json and report.html.

    Raises:
        InputError: one line naming the bad column, label or option.

    Example:
        >>> from sklearn.datasets import load_breast_cancer
        >>> from sklearn.linear_model import LogisticRegression
        >>> X, y = load_breast_cancer(return_X_y=True, as_frame=True)
        >>> model = LogisticRegression(max_iter=5000).fit(X[:400], y[:400])
        >>> report = evaluate(model, X[400:], y[400:], config=EvaluationConfig(n_bootstrap=20, importance_repeats=1))
        >>> report["baselines"].model["roc_auc"].value > 0.9
        True
    """
    config = config or EvaluationConfig()
    thresholds = thresholds or EvaluationThresholds()
    frame, target, resolved, primary, classes = _resolve_inputs(model, X, y, task, metric)
    slices = parse_columns(slices) if isinstance(slices, str) else tuple(slices)
    invariant = parse_columns(invariant) if isinstance(invariant, str) else tuple(invariant)
    check_columns(frame, slices, "slice")
    check_columns(frame, invariant, "invariant")
    expectations = parse_directional(directional)
    check_columns(frame, list(expectations), "directional")
    for column in expectations:
        series = frame[column]
        if not pd.api.types.is_numeric_dtype(series) or pd.api.types.is_bool_dtype(series):
            raise InputError(f"directional column '{column}' is not numeric ({series.dtype}); only numbers can be increased")
    for column in invariant:
        if frame[column].nunique(dropna=True) < 2:
            raise InputError(f"invariant column '{column}' has fewer than two distinct values, so there is nothing to swap")
    _check_costs(cost_fp, cost_fn, resolved)
    if config.positive_class is not None and (classes is None or str(config.positive_class) not in [str(c) for c in classes]):
        known = "none (regression)" if classes is None else ", ".join(str(c) for c in classes)
        raise InputError(f"positive_class '{config.positive_class}' is not a class of the model; classes: {known}")
    train = _check_train(X_train, y_train, frame, classes)
    if champion is not None and (resolve_task(champion, None) == "regression") != (resolved == "regression"):
        raise InputError(
            f"the champion is a {resolve_task(champion, None)} model but the model is {resolved}; they cannot be compared"
        )

    ctx = _context(model, frame, target, resolved, primary, classes, config, thresholds, seed)

    sections: dict[str, Section] = {}
    classification = ctx.is_classifier
    log.info("evaluating %s on %d rows (%s, metric %s)", model_name or type(model).__name__, len(target), resolved, primary.name)
    sections["baselines"] = evaluate_baselines(ctx, champion, train)
    sections["perturbation"] = evaluate_perturbation(ctx)
    sections["invariance"] = (
        evaluate_invariance(ctx, tuple(invariant)) if invariant else SkippedSection("no invariant columns given (--invariant)")
    )
    sections["directional"] = (
        evaluate_directional(ctx, expectations)
        if expectations
        else SkippedSection("no directional expectations given (--directional)")
    )
    sections["calibration"] = (
        evaluate_calibration(ctx) if classification else SkippedSection("regression models have no probabilities to calibrate")
    )
    sections["confidence"] = (
        evaluate_confidence(ctx) if classification else SkippedSection("regression models have no class confidence")
    )
    sections["slices"] = evaluate_slices(ctx, tuple(slices)) if slices else SkippedSection("no slice columns given (--slices)")
    sections["learning_curve"] = _learning_curve(ctx, train)
    sections["tradeoffs"] = evaluate_tradeoffs(ctx, cost_fp, cost_fn)
    sections["interpretability"] = evaluate_importance(ctx)
    return EvaluationReport(
        model_name=model_name or type(model).__name__,
        task=resolved,
        target=str(getattr(y, "name", None) or "target"),
        metric=primary.name,
        greater_is_better=primary.greater_is_better,
        n_rows=len(target),
        columns=tuple(frame.columns),
        classes=None if classes is None else tuple(str(c) for c in classes),
        positive_class=None if classes is None else str(ctx.positive_class),
        seed=seed,
        config=config,
        thresholds=thresholds,
        inputs={
            "slices": list(slices),
            "invariant": list(invariant),
            "directional": expectations,
            "cost_fp": cost_fp,
            "cost_fn": cost_fn,
            "champion": None if champion is None else type(champion).__name__,
            "n_train_rows": None if train is None else len(train[1]),
        },
        sections={name: sections[name] for name in SECTIONS},
    )


def build_context(
    model: Any,
    X: pd.DataFrame,
    y: Any,
    *,
    task: str | None = None,
    metric: str | None = None,
    config: EvaluationConfig | None = None,
    thresholds: EvaluationThresholds | None = None,
    seed: int = 0,
) -> EvalContext:
    """Check ``model`` against ``(X, y)`` and predict once: what every section, and the promotion
    gate comparing two models on the same rows, scores from.

    Raises:
        InputError: as :func:`evaluate` does for the model, the features and the target.
    """
    frame, target, resolved, primary, classes = _resolve_inputs(model, X, y, task, metric)
    return _context(
        model, frame, target, resolved, primary, classes, config or EvaluationConfig(), thresholds or EvaluationThresholds(), seed
    )


def _resolve_inputs(
    model: Any, X: Any, y: Any, task: str | None, metric: str | None
) -> tuple[pd.DataFrame, np.ndarray, Task, Metric, np.ndarray | None]:
    """The checked frame and target, the task, the primary metric and the model's classes."""
    frame = _check_frame(X, "X")
    target = _check_target(y, len(frame), "y")
    resolved = resolve_task(model, task)
    primary = get_metric(metric, resolved)
    classes = _model_classes(model, resolved)
    if classes is not None:
        target = check_labels(target, classes, "y")
    elif not pd.api.types.is_numeric_dtype(pd.Series(target)):
        raise InputError("y is not numeric, so a regression model cannot be evaluated on it")
    else:
        target = target.astype(float)
    return frame, target, resolved, primary, classes


def _context(
    model: Any,
    frame: pd.DataFrame,
    target: np.ndarray,
    task: Task,
    metric: Metric,
    classes: np.ndarray | None,
    config: EvaluationConfig,
    thresholds: EvaluationThresholds,
    seed: int,
) -> EvalContext:
    ctx = EvalContext(
        model=model,
        X=frame,
        y=target,
        task=task,
        metric=metric,
        classes=classes,
        schema=infer_schema(frame),
        config=config,
        thresholds=thresholds,
        seed=seed,
        scores=np.empty(0),
    )
    return dataclasses.replace(ctx, scores=ctx.predict_scores(frame))


def resolve_task(model: Any, task: str | None) -> Task:
    """The given task, else the model's ``task`` attribute, else binary/multiclass from ``classes_``."""
    has_classes = hasattr(model, "classes_")
    if task is not None:
        if task not in TASKS:
            raise InputError(f"unknown task '{task}'{did_you_mean(task, TASKS)}; use one of {', '.join(TASKS)}")
        if task != "regression" and not (has_classes and hasattr(model, "predict_proba")):
            raise InputError(f"task '{task}' needs a classifier with classes_ and predict_proba; {type(model).__name__} has not")
        return task  # narrowed to Task by the check against TASKS
    declared = getattr(model, "task", None)
    if declared in TASKS:
        return declared  # type: ignore[no-any-return]  # an attribute of any model: Any, checked against TASKS
    if has_classes and hasattr(model, "predict_proba"):
        return "binary" if len(model.classes_) == 2 else "multiclass"
    return "regression"


def _model_classes(model: Any, task: Task) -> np.ndarray | None:
    if task == "regression":
        return None
    classes = np.asarray(getattr(model, "classes_", []))
    if len(classes) < 2:
        raise InputError(f"{type(model).__name__} has no classes_ with two or more labels; is it a fitted classifier?")
    if (task == "binary") != (len(classes) == 2):
        raise InputError(f"task '{task}' does not match the model's {len(classes)} classes")
    return classes


def check_labels(y: np.ndarray, classes: np.ndarray, name: str) -> np.ndarray:
    """``y`` as the model's label type; labels the model never saw are an error.

    Labels read from a CSV may come back as numbers while the model learned
    strings (or the reverse); they are matched by their text when that is unambiguous.
    """
    known = set(classes.tolist())
    if all(v in known for v in y.tolist()):
        return y
    by_text = {str(c): c for c in classes.tolist()}
    unseen = sorted({str(v) for v in y.tolist() if str(v) not in by_text})
    if unseen:
        shown = ", ".join(f"'{v}'" for v in unseen[:5]) + ("..." if len(unseen) > 5 else "")
        raise InputError(
            f"{name} has label(s) the model never saw: {shown} (model classes: {', '.join(str(c) for c in classes)})"
        )
    return np.array([by_text[str(v)] for v in y.tolist()], dtype=classes.dtype)


def check_columns(frame: pd.DataFrame, columns: Sequence[str], role: str) -> None:
    """Every named column exists; otherwise name the nearest one."""
    present = [str(c) for c in frame.columns]
    for column in columns:
        if column not in present:
            raise InputError(
                f"unknown {role} column '{column}'{did_you_mean(column, present)}; the data has {', '.join(present[:20])}"
            )


def _check_frame(X: Any, name: str) -> pd.DataFrame:
    if not isinstance(X, pd.DataFrame):
        raise InputError(f"{name} must be a pandas DataFrame of feature columns, got {type(X).__name__}")
    if len(X) == 0:
        raise InputError(f"{name} has no rows to evaluate on")
    return X.rename(columns=str).reset_index(drop=True)


def _check_target(y: Any, n_rows: int, name: str) -> np.ndarray:
    values = np.asarray(y)
    if values.ndim != 1:
        values = values.reshape(-1) if values.ndim == 2 and 1 in values.shape else values
    if values.ndim != 1 or len(values) != n_rows:
        raise InputError(f"{name} has {len(values)} values but the features have {n_rows} rows")
    missing = pd.isna(pd.Series(values)).to_numpy()
    if missing.any():
        raise InputError(
            f"{name} has {int(missing.sum())} missing value(s), first at row {int(np.flatnonzero(missing)[0])}; drop those rows"
        )
    return values


def _check_costs(cost_fp: float | None, cost_fn: float | None, task: Task) -> None:
    if cost_fp is None and cost_fn is None:
        return
    if cost_fp is None or cost_fn is None:
        raise InputError("give both --cost-fp and --cost-fn (or neither)")
    if task != "binary":
        raise InputError(f"--cost-fp/--cost-fn apply to binary models only; this model is {task}")
    if cost_fp < 0 or cost_fn < 0 or cost_fp + cost_fn == 0 or not np.isfinite(cost_fp + cost_fn):
        raise InputError(f"costs must be finite, non-negative and not both zero; got cost_fp={cost_fp}, cost_fn={cost_fn}")


def _check_train(
    X_train: Any, y_train: Any, frame: pd.DataFrame, classes: np.ndarray | None
) -> tuple[pd.DataFrame, np.ndarray] | None:
    if X_train is None and y_train is None:
        return None
    if X_train is None or y_train is None:
        raise InputError("give both X_train and y_train (or neither)")
    train = _check_frame(X_train, "X_train")
    missing = [c for c in frame.columns if c not in train.columns]
    if missing:
        raise InputError(f"the training data lacks column(s) of the evaluation data: {', '.join(missing[:10])}")
    target = _check_target(y_train, len(train), "y_train")
    if classes is not None:
        target = check_labels(target, classes, "y_train")
    elif not pd.api.types.is_numeric_dtype(pd.Series(target)):
        raise InputError("y_train is not numeric, so a regression model cannot be refit on it")
    return train[list(frame.columns)], target


def _learning_curve(ctx: EvalContext, train: tuple[pd.DataFrame, np.ndarray] | None) -> Section:
    if train is None:
        return SkippedSection("no training data given (--train)")
    try:
        return evaluate_learning_curve(ctx, *train)
    except Exception as exc:  # the refit is optional: a model that cannot be cloned and refit
        # (not an sklearn estimator, or an ensemble whose fit expects fitted members) skips only this section
        log.warning("learning curve skipped: %s: %s", type(exc).__name__, exc, exc_info=log.isEnabledFor(logging.DEBUG))
        return SkippedSection(f"could not refit a clone of the model: {type(exc).__name__}: {exc}".splitlines()[0])

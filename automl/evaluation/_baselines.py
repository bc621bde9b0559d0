"""Baselines: is the model better than what no learning, one feature or a line would do?

A score means little alone: 0.85 ROC AUC is poor if one column already gives
0.84. The trivial baselines (random, zero-rule) are fitted on the evaluation
labels themselves; one parameter each, so the optimism is negligible. The
heuristics (best one-feature rule, a small linear model) are fitted on the
training data when given, otherwise scored out-of-fold on the evaluation data,
so they never see the rows they are scored on.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from typing import Any

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator
from sklearn.linear_model import LogisticRegression, Ridge
from sklearn.model_selection import KFold, StratifiedKFold
from sklearn.pipeline import Pipeline
from sklearn.tree import DecisionTreeClassifier, DecisionTreeRegressor

from automl.data import Schema, build_preprocessor, infer_schema
from automl.evaluation._bootstrap import Bootstrapped, Resamples, bootstrap, paired_difference
from automl.evaluation._context import EvalContext, align_proba
from automl.evaluation._metrics import Metric, get_metric
from automl.evaluation._result import Check, Estimate, Status, status_of

_REPORTED: dict[str, tuple[str, ...]] = {
    "binary": ("roc_auc", "accuracy", "log_loss"),
    "multiclass": ("log_loss", "accuracy", "balanced_accuracy"),
    "regression": ("rmse", "mae", "r2"),
}


@dataclass(frozen=True)
class BaselineScore:
    """One baseline's metrics and how the model compares with it on the primary metric.

    ``difference`` is model minus baseline, signed so that positive means the model
    is better; ``significant`` when its interval lies above 0.
    """

    name: str
    description: str
    scores: dict[str, Estimate]
    difference: Estimate
    beaten: bool
    significant: bool


@dataclass(frozen=True)
class BaselinesResult:
    status: Status
    checks: tuple[Check, ...]
    metric: str
    metrics: tuple[str, ...]
    model: dict[str, Estimate]
    baselines: tuple[BaselineScore, ...]
    n_bootstrap: int
    confidence_level: float


def reported_metrics(ctx: EvalContext) -> list[Metric]:
    """The primary metric first, then the task's usual companions."""
    names = [ctx.metric.name] + [n for n in _REPORTED[ctx.task] if n != ctx.metric.name]
    return [get_metric(n, ctx.task) for n in names]


def random_scores(ctx: EvalContext, rng: np.random.Generator) -> np.ndarray:
    """Guessing: labels drawn from the class shares (values drawn from ``y`` for regression).

    Scores sit half-way between the drawn label's one-hot vector and the class
    shares, so their arg-max is the drawn label and log loss stays finite.
    """
    n = len(ctx.y)
    if ctx.classes is None:
        return rng.choice(ctx.y.astype(float), size=n, replace=True)
    prior = ctx.zero_rule_scores()[0]
    drawn = rng.choice(len(ctx.classes), size=n, p=prior)
    return np.asarray(0.5 * np.eye(len(ctx.classes))[drawn] + 0.5 * prior)


def _one_feature_pipeline(ctx: EvalContext, column: str, numeric: bool) -> Pipeline:
    schema = Schema(
        columns=(column,), numeric=(column,) if numeric else (), categorical=() if numeric else (column,), datetime=()
    )
    tree: BaseEstimator = (DecisionTreeRegressor if ctx.classes is None else DecisionTreeClassifier)(
        max_depth=2, random_state=ctx.seed
    )
    return Pipeline([("prep", build_preprocessor(schema, scale=False, categorical="ordinal")), ("tree", tree)])


def _linear_pipeline(ctx: EvalContext, schema: Schema) -> Pipeline:
    model: BaseEstimator = Ridge(alpha=1.0) if ctx.classes is None else LogisticRegression(max_iter=1000)
    return Pipeline([("prep", build_preprocessor(schema, scale=True, categorical="onehot")), ("model", model)])


def _predict(ctx: EvalContext, estimator: Any, X: pd.DataFrame) -> np.ndarray:
    if ctx.classes is None:
        return np.asarray(estimator.predict(X), dtype=float)
    return align_proba(estimator.predict_proba(X), np.asarray(estimator.classes_), ctx.classes)


def _out_of_fold(ctx: EvalContext, make: Callable[[], Any], train: tuple[pd.DataFrame, np.ndarray] | None) -> np.ndarray:
    """Scores on the evaluation rows of a model fitted on ``train``, else fitted out-of-fold."""
    if train is not None:
        return _predict(ctx, make().fit(*train), ctx.X)
    n = len(ctx.y)
    out = np.zeros((n, len(ctx.classes))) if ctx.classes is not None else np.zeros(n)
    folds = ctx.config.heuristic_folds
    splitter: Any = KFold(folds, shuffle=True, random_state=ctx.seed)
    if ctx.classes is not None:
        smallest = int(pd.Series(ctx.y).value_counts().min())
        if smallest >= folds:
            splitter = StratifiedKFold(folds, shuffle=True, random_state=ctx.seed)
    for fit_rows, test_rows in splitter.split(ctx.X, ctx.y):
        estimator = make().fit(ctx.X.iloc[fit_rows], ctx.y[fit_rows])
        out[test_rows] = _predict(ctx, estimator, ctx.X.iloc[test_rows])
    return out


def heuristic_baselines(ctx: EvalContext, train: tuple[pd.DataFrame, np.ndarray] | None) -> list[tuple[str, str, np.ndarray]]:
    """The best single-feature rule (depth-2 tree on one column) and a small linear model."""
    schema = ctx.schema if train is None else infer_schema(train[0])
    out: list[tuple[str, str, np.ndarray]] = []
    best: tuple[float, str, np.ndarray] | None = None
    fitted_on = (
        "fitted on the training data"
        if train is not None
        else f"{ctx.config.heuristic_folds}-fold out-of-fold on the evaluation data"
    )
    for column in schema.numeric + schema.categorical:
        numeric = column in schema.numeric
        scores = _out_of_fold(ctx, partial(_one_feature_pipeline, ctx, column, numeric), train)
        value = ctx.score(ctx.y, scores)
        if np.isfinite(value) and (best is None or ctx.metric.better(value, best[0])):
            best = (value, column, scores)
    if best is not None:
        out.append(("one_feature_rule", f"depth-2 tree on the single best column '{best[1]}' ({fitted_on})", best[2]))
    if schema.numeric or schema.categorical or schema.datetime:
        kind = "ridge regression" if ctx.classes is None else "logistic regression"
        scores = _out_of_fold(ctx, lambda: _linear_pipeline(ctx, schema), train)
        out.append(("linear", f"{kind} on all columns, one-hot + scaled ({fitted_on})", scores))
    return out


def evaluate_baselines(
    ctx: EvalContext,
    champion: Any = None,
    train: tuple[pd.DataFrame, np.ndarray] | None = None,
) -> BaselinesResult:
    """Score the model and each baseline with bootstrap intervals (paired resamples)."""
    metrics = reported_metrics(ctx)
    level = ctx.config.confidence_level
    resamples = Resamples.draw(len(ctx.y), ctx.config.n_bootstrap, ctx.rng("baselines/bootstrap"))
    candidates: list[tuple[str, str, np.ndarray]] = [
        (
            "random",
            "labels drawn at random from the class shares" if ctx.is_classifier else "values drawn at random from y",
            random_scores(ctx, ctx.rng("baselines/random")),
        ),
        (
            "zero_rule",
            "always the most frequent class (scores: the class shares)" if ctx.is_classifier else "always the mean of y",
            ctx.zero_rule_scores(),
        ),
    ]
    candidates += heuristic_baselines(ctx, train)
    if champion is not None:
        candidates.append(("champion", f"the current champion ({type(champion).__name__})", ctx.predict_scores(ctx.X, champion)))

    def scorer(metric: Metric) -> Callable[[np.ndarray, np.ndarray], float]:
        return lambda y, s: ctx.score(y, s, metric)

    def run(scores: np.ndarray) -> dict[str, Bootstrapped]:
        return {m.name: bootstrap(m, scorer(m), ctx.y, ctx.truth, scores, resamples) for m in metrics}

    model_runs = run(ctx.scores)
    results: list[BaselineScore] = []
    for name, description, scores in candidates:
        runs = run(scores)
        diff = paired_difference(model_runs[ctx.metric.name], runs[ctx.metric.name], level, ctx.metric.greater_is_better)
        results.append(
            BaselineScore(
                name=name,
                description=description,
                scores={m: r.estimate(level) for m, r in runs.items()},
                difference=diff,
                beaten=diff.value is not None and diff.value > ctx.thresholds.min_margin,
                significant=diff.ci_low is not None and diff.ci_low > 0,
            )
        )
    checks = tuple(
        Check.compare(f"beats {b.name}", b.difference.value, ">", ctx.thresholds.min_margin)
        for b in results
        if b.name in ctx.thresholds.must_beat
    )
    return BaselinesResult(
        status=status_of(checks),
        checks=checks,
        metric=ctx.metric.name,
        metrics=tuple(m.name for m in metrics),
        model={m: r.estimate(level) for m, r in model_runs.items()},
        baselines=tuple(results),
        n_bootstrap=ctx.config.n_bootstrap,
        confidence_level=level,
    )

"""Section logic on small synthetic data, input checks, determinism and the package's layering."""

from __future__ import annotations

import ast
import dataclasses
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sklearn.linear_model import LinearRegression, LogisticRegression

import automl
from automl._core import InputError
from automl.evaluation import EvaluationConfig, EvaluationThresholds, evaluate, parse_directional
from automl.evaluation._confidence import threshold_for_accuracy
from automl.evaluation._slices import slice_labels
from automl.evaluation._tradeoffs import cost_analysis
from tests.evaluation._cases import Case

FAST = EvaluationConfig(
    n_bootstrap=20, importance_repeats=1, noise_levels=(0.1,), importance_max_rows=300, latency_repeats=1, latency_rows=100
)
EVALUATION = Path(automl.__file__).parent / "evaluation"


def _regression(n: int = 300, seed: int = 0) -> tuple[pd.DataFrame, pd.Series]:
    rng = np.random.default_rng(seed)
    X = pd.DataFrame({"x": rng.normal(size=n), "z": rng.normal(size=n), "colour": rng.choice(["red", "blue", "green"], size=n)})
    return X, pd.Series(-2.0 * X["x"] + 0.5 * X["z"] + rng.normal(scale=0.1, size=n), name="y")


class NumericOnly:
    """A plain (non-sklearn) regressor that predicts from two numeric columns: clone() cannot copy it."""

    def __init__(self) -> None:
        self.inner = LinearRegression()

    def fit(self, X: pd.DataFrame, y: pd.Series) -> NumericOnly:
        self.inner.fit(X[["x", "z"]], y)
        return self

    def predict(self, X: pd.DataFrame) -> np.ndarray:
        return self.inner.predict(X[["x", "z"]])


def test_directional_expectation_counts_violations_with_examples() -> None:
    X, y = _regression()
    model = NumericOnly().fit(X, y)
    report = evaluate(model, X, y, directional="x:+,z:+", config=FAST)
    x, z = report["directional"].columns
    assert x.violation_rate == 1.0 and x.n_violations == len(y) and not x.passed  # y falls with x
    assert len(x.examples) == FAST.max_examples
    assert all(e.perturbed_score < e.score for e in x.examples)
    assert z.violation_rate == 0.0 and z.passed and z.examples == ()
    assert report["directional"].status == "fail"
    reverse = evaluate(model, X, y, directional={"x": "-"}, config=FAST)["directional"]
    assert reverse.status == "pass" and reverse.columns[0].violation_rate == 0.0


def test_a_model_that_cannot_be_cloned_skips_only_the_learning_curve() -> None:
    X, y = _regression()
    report = evaluate(NumericOnly().fit(X, y), X, y, X_train=X, y_train=y, config=FAST)
    assert report["learning_curve"].status == "skipped"
    assert "could not refit a clone" in report["learning_curve"].reason
    assert report["baselines"].status == "pass"


def test_threshold_for_accuracy_is_the_largest_coverage_reaching_the_target() -> None:
    rng = np.random.default_rng(0)
    confidence = np.round(rng.uniform(0.3, 1.0, size=400), 2)  # many ties
    correct = (rng.random(400) < confidence).astype(float)
    found = threshold_for_accuracy(confidence, correct, 0.85)
    assert found is not None
    threshold, coverage, accuracy = found
    brute = [t for t in np.unique(confidence) if correct[confidence >= t].mean() >= 0.85]
    assert threshold == min(brute)
    assert coverage == pytest.approx(np.mean(confidence >= threshold))
    assert accuracy == pytest.approx(correct[confidence >= threshold].mean())
    assert threshold_for_accuracy(confidence, np.zeros(400), 0.5) is None


def test_cost_optimal_threshold_matches_brute_force() -> None:
    rng = np.random.default_rng(2)
    p = rng.random(500)
    positive = rng.random(500) < p
    result = cost_analysis(p, positive, cost_fp=2.0, cost_fn=7.0, chosen=0.5)
    grid = np.r_[np.unique(p), np.inf]
    costs = np.array([(2.0 * np.sum(~positive & (p >= t)) + 7.0 * np.sum(positive & (p < t))) / 500 for t in grid])
    assert result.cost_per_row == pytest.approx(costs.min())
    assert result.threshold == pytest.approx(grid[costs.argmin()])
    assert result.bayes_threshold == pytest.approx(2 / 9)


def test_slice_labels_bin_numbers_pool_rare_values_and_keep_missing() -> None:
    numbers = pd.Series(np.r_[np.arange(100.0), [np.nan] * 5])
    labels, order, binning = slice_labels(numbers, n_bins=4, max_values=10)
    assert binning == "quantiles" and len(order) == 5 and order[-1] == "missing"
    assert pd.Series(labels).value_counts().to_dict()["missing"] == 5
    words = pd.Series(["a"] * 5 + ["b"] * 4 + ["c", "d", "e", None])
    labels, order, binning = slice_labels(words, n_bins=4, max_values=3)
    assert binning == "values" and order == ["a", "b", "other"]
    assert (labels == "other").sum() == 4  # c, d, e and the missing value


def test_same_seed_same_report_and_different_seed_different_intervals() -> None:
    X, y = _regression()
    model = NumericOnly().fit(X, y)

    def numbers(seed: int) -> dict:
        data = evaluate(model, X, y, slices=["colour"], invariant=["colour"], config=FAST, seed=seed).to_dict()
        data["sections"]["tradeoffs"].pop("latency_ms_per_1000")
        return data

    first, second, other = numbers(7), numbers(7), numbers(8)
    assert first == second
    assert first["sections"]["baselines"]["model"]["rmse"] != other["sections"]["baselines"]["model"]["rmse"]
    assert first["sections"]["baselines"]["model"]["rmse"]["value"] == other["sections"]["baselines"]["model"]["rmse"]["value"]


def test_labels_read_back_as_text_are_matched_to_numeric_classes() -> None:
    rng = np.random.default_rng(0)
    X = pd.DataFrame({"a": rng.normal(size=200), "b": rng.normal(size=200)})
    y = (X["a"] > 0).astype(int)
    model = LogisticRegression().fit(X, y)
    report = evaluate(model, X, y.astype(str), config=FAST)
    assert report.task == "binary" and report["baselines"].model["roc_auc"].value > 0.9


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"slices": ["colr"]}, "unknown slice column 'colr' (did you mean 'colour'?)"),
        ({"invariant": ["zz"]}, "unknown invariant column 'zz'"),
        ({"directional": "colour:+"}, "directional column 'colour' is not numeric"),
        ({"directional": "x:+,:-"}, "malformed --directional entry ':-'"),
        ({"task": "binary"}, "task 'binary' needs a classifier"),
        ({"task": "regresion"}, "unknown task 'regresion' (did you mean 'regression'?)"),
        ({"metric": "roc_auc"}, "metric 'roc_auc' does not apply to a regression task"),
        ({"cost_fp": 1.0, "cost_fn": 1.0}, "apply to binary models only"),
        ({"X_train": "not a frame", "y_train": [1]}, "X_train must be a pandas DataFrame"),
    ],
)
def test_bad_input_is_a_one_line_input_error(kwargs: dict, message: str) -> None:
    X, y = _regression(60)
    with pytest.raises(InputError) as info:
        evaluate(NumericOnly().fit(X, y), X, y, config=FAST, **kwargs)
    assert message in str(info.value) and "\n" not in str(info.value)


def test_unseen_labels_and_misaligned_target_are_rejected() -> None:
    rng = np.random.default_rng(0)
    X = pd.DataFrame({"a": rng.normal(size=50)})
    model = LogisticRegression().fit(X, np.where(X["a"] > 0, "up", "down"))
    with pytest.raises(InputError, match=r"y has label\(s\) the model never saw: 'sideways' \(model classes: down, up\)"):
        evaluate(model, X, np.r_[["up"] * 49, ["sideways"]], config=FAST)
    with pytest.raises(InputError, match="y has 3 values but the features have 50 rows"):
        evaluate(model, X, ["up", "down", "up"], config=FAST)


def test_config_and_specs_are_validated() -> None:
    assert parse_directional("a:+, b : -") == {"a": "+", "b": "-"}
    assert parse_directional({"a": 1, "b": -1}) == {"a": "+", "b": "-"}
    assert parse_directional("ratio:a:b:-") == {"ratio:a:b": "-"}
    with pytest.raises(InputError, match="malformed --directional entry 'a'"):
        parse_directional("a")
    with pytest.raises(InputError, match=r"threshold=1.5 is out of range"):
        EvaluationConfig(threshold=1.5)
    with pytest.raises(InputError, match="n_bootstrap=0 must be a positive integer"):
        EvaluationConfig(n_bootstrap=0)
    with pytest.raises(InputError, match="max_ece"):
        EvaluationThresholds(max_ece=2.0)
    with pytest.raises(dataclasses.FrozenInstanceError):
        EvaluationConfig().n_bootstrap = 5  # type: ignore[misc]


def test_thresholds_gate_latency_and_size() -> None:
    X, y = _regression(100)
    strict = EvaluationThresholds(max_latency_ms_per_1000=0.0, max_model_bytes=1)
    report = evaluate(NumericOnly().fit(X, y), X, y, config=FAST, thresholds=strict)
    assert report["tradeoffs"].status == "fail"
    assert {c.name for c in report["tradeoffs"].checks if not c.passed} == {
        "predict latency (ms per 1,000 rows)",
        "model size (bytes)",
    }
    assert ("tradeoffs", report["tradeoffs"].checks[0]) in report.failed_checks()


def test_public_api_accepts_a_model_folder_and_a_csv(multiclass_case: Case, tmp_path: Path) -> None:
    report = automl.evaluate(
        multiclass_case.model_dir,
        multiclass_case.test_csv,
        X_train=multiclass_case.train_csv,
        config=FAST,
        out=tmp_path / "report",
    )
    assert report.target == "species" and report.metric == "log_loss" and report.task == "multiclass"
    assert report["learning_curve"].status == "pass"
    assert (tmp_path / "report" / "report.json").exists() and (tmp_path / "report" / "report.html").exists()


def test_evaluation_imports_only_core_and_data() -> None:
    allowed = ("automl._core", "automl.data", "automl.evaluation")
    for path in EVALUATION.glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            names = (
                [a.name for a in node.names]
                if isinstance(node, ast.Import)
                else [node.module or ""]
                if isinstance(node, ast.ImportFrom)
                else []
            )
            for name in names:
                if name == "automl" or name.startswith("automl."):
                    assert name.startswith(allowed), f"{path.name} imports {name}"


def test_learning_curve_refits_an_ensemble_of_fitted_members_member_by_member() -> None:
    from automl.ensembles import WeightedAverageEnsemble
    from automl.models import TabularModel

    X, y = _regression(400)
    members = [
        TabularModel("ridge", {}, task="regression", scale=True, categorical="onehot").fit(X, y),
        TabularModel("hist_gradient_boosting", {"max_iter": 20}, task="regression").fit(X, y),
    ]
    ensemble = WeightedAverageEnsemble(members, [0.7, 0.3], task="regression").fit(X, y)
    X_test, y_test = _regression(200, seed=1)
    report = evaluate(ensemble, X_test, y_test, X_train=X, y_train=y, config=FAST)
    curve = report["learning_curve"]
    assert curve.status == "pass" and curve.points[-1].n_train == 400
    assert curve.points[-1].score == pytest.approx(report["baselines"].model["rmse"].value)
    assert ensemble.estimators[0] is members[0]  # the evaluated model is left as it was

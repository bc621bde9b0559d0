"""``automl evaluate`` on a binary, a multiclass and a regression dev-suite dataset.

Each section's numbers in report.json are recomputed here independently
(sklearn metrics, numpy) from the saved model and the test CSV.
"""

from __future__ import annotations

import json
import pickle
import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from sklearn import metrics as skm

from automl import api
from automl.cli import main
from automl.evaluation import SECTIONS
from tests.evaluation._cases import FAST, Case

APPLIES = {
    "binary": set(SECTIONS),
    "multiclass": set(SECTIONS),
    "regression": set(SECTIONS) - {"calibration", "confidence"},
}


def _load(out: Path) -> dict[str, Any]:
    assert (out / "report.html").stat().st_size > 10_000
    return json.loads((out / "report.json").read_text())


def _features(case: Case) -> tuple[pd.DataFrame, np.ndarray, Any]:
    test = pd.read_csv(case.test_csv)
    model, _ = api.load_saved_model(case.model_dir)
    return test.drop(columns=[case.target]), test[case.target].to_numpy(), model


def _ece(p: np.ndarray, outcome: np.ndarray, n_bins: int = 10) -> float:
    """Expected calibration error written out independently of the package."""
    total = 0.0
    for b in range(n_bins):
        low, high = b / n_bins, (b + 1) / n_bins
        rows = (p >= low) & ((p < high) if b < n_bins - 1 else (p <= high))
        if rows.any():
            total += rows.mean() * abs(outcome[rows].mean() - p[rows].mean())
    return total


def _sections_present(report: dict[str, Any], task: str) -> None:
    assert set(report["sections"]) == set(SECTIONS)
    for name in APPLIES[task]:
        assert report["sections"][name]["status"] in ("pass", "fail"), (name, report["sections"][name])
    for name in set(SECTIONS) - APPLIES[task]:
        assert report["sections"][name]["status"] == "skipped"
    assert report["status"] == ("fail" if any(s["status"] == "fail" for s in report["sections"].values()) else "pass")


def test_binary_report_numbers_match_independent_computation(binary_case: Case, binary_report: Path) -> None:
    report = _load(binary_report)
    _sections_present(report, "binary")
    X, y, model = _features(binary_case)
    proba = model.predict_proba(X)
    classes = list(model.classes_)
    assert report["positive_class"] == "bad" and report["metric"] == "roc_auc" and report["n_rows"] == len(y)
    pos = classes.index("bad")
    s = report["sections"]

    # baselines: the model's metrics are sklearn's; zero-rule accuracy is the majority share; the champion is the model itself
    base = s["baselines"]
    assert base["model"]["roc_auc"]["value"] == pytest.approx(skm.roc_auc_score(y == classes[1], proba[:, 1]))
    assert base["model"]["accuracy"]["value"] == pytest.approx(skm.accuracy_score(y, model.predict(X)))
    assert base["model"]["log_loss"]["value"] == pytest.approx(skm.log_loss(y, proba, labels=classes))
    lo, hi = base["model"]["roc_auc"]["ci_low"], base["model"]["roc_auc"]["ci_high"]
    assert lo < base["model"]["roc_auc"]["value"] < hi
    by_name = {b["name"]: b for b in base["baselines"]}
    assert set(by_name) == {"random", "zero_rule", "one_feature_rule", "linear", "champion"}
    assert by_name["zero_rule"]["scores"]["accuracy"]["value"] == pytest.approx(pd.Series(y).value_counts(normalize=True).max())
    assert by_name["zero_rule"]["scores"]["roc_auc"]["value"] == pytest.approx(0.5)
    assert by_name["champion"]["difference"]["value"] == pytest.approx(0.0)
    assert by_name["champion"]["scores"]["roc_auc"] == base["model"]["roc_auc"]
    assert not by_name["champion"]["beaten"] and base["status"] == "fail"  # a model never beats itself
    assert by_name["zero_rule"]["beaten"] and by_name["zero_rule"]["significant"]

    # perturbation: level 0 is the clean score; drops and relative drops follow their definition
    pert = s["perturbation"]
    assert {c["kind"] for c in pert["curves"]} == {"numeric_noise", "category_swap"}
    zero_rule = pert["zero_rule_score"]
    for curve in pert["curves"]:
        clean = curve["points"][0]
        assert clean["level"] == 0 and clean["score"] == pytest.approx(base["model"]["roc_auc"]["value"])
        for point in curve["points"][1:]:
            assert point["drop"] == pytest.approx(clean["score"] - point["score"])
            assert point["relative_drop"] == pytest.approx(point["drop"] / (clean["score"] - zero_rule))

    # invariance / directional: rates are shares of the rows
    inv = s["invariance"]["columns"][0]
    assert inv["column"] == "Marital" and inv["n_rows"] == len(y) and 0 <= inv["changed_rate"] <= 1
    assert inv["n_values"] == X["Marital"].nunique()
    for col in s["directional"]["columns"]:
        assert col["n_rows"] == int(X[col["column"]].notna().sum())
        assert col["violation_rate"] == pytest.approx(col["n_violations"] / col["n_rows"])
        values = X[col["column"]].dropna().to_numpy(dtype=float)
        q75, q25 = np.percentile(values, [75, 25])
        assert col["step"] == pytest.approx(0.5 * ((q75 - q25) / 1.349 if q75 > q25 else np.std(values)))
        for example in col["examples"]:
            row = X.iloc[[example["row"]]].copy()
            assert example["score"] == pytest.approx(model.predict_proba(row)[0, pos])
            row[col["column"]] = example["perturbed_value"]
            assert example["perturbed_score"] == pytest.approx(model.predict_proba(row)[0, pos])

    # calibration: ECE and Brier on P(bad)
    cal = s["calibration"]
    outcome = (y == "bad").astype(float)
    assert cal["kind"] == "positive_class"
    assert cal["ece"] == pytest.approx(_ece(proba[:, pos], outcome))
    assert cal["brier"] == pytest.approx(skm.brier_score_loss(outcome, proba[:, pos]))
    assert sum(b["count"] for b in cal["bins"]) == len(y)
    assert cal["recalibration"]["method"] == "isotonic"

    # confidence: full-coverage accuracy and the reported threshold's coverage/accuracy
    conf = s["confidence"]
    confidence = proba.max(axis=1)
    correct = np.asarray(model.classes_)[proba.argmax(axis=1)] == y
    assert conf["accuracy_at_full_coverage"] == pytest.approx(correct.mean())
    if conf["threshold_for_target"] is not None:
        kept = confidence >= conf["threshold_for_target"]
        assert conf["coverage_at_target"] == pytest.approx(kept.mean())
        assert correct[kept].mean() >= conf["target_accuracy"]
        lower = confidence[confidence < conf["threshold_for_target"]]
        if lower.size:  # the next lower threshold would miss the target
            assert correct[confidence >= lower.max()].mean() < conf["target_accuracy"]

    # slices: sizes sum to n per column; a value slice's score is the metric on its rows
    sl = s["slices"]
    for column in sl["columns"]:
        assert sum(x["n"] for x in column["slices"]) == len(y)
        assert sum(x["share"] for x in column["slices"]) == pytest.approx(1.0)
    home = next(c for c in sl["columns"] if c["column"] == "Home")
    owner = next(x for x in home["slices"] if x["label"] == "owner")
    rows = (X["Home"] == "owner").to_numpy()
    assert owner["n"] == rows.sum()
    assert owner["score"]["value"] == pytest.approx(skm.roc_auc_score(y[rows] == classes[1], proba[rows, 1]))
    assert next(c for c in sl["columns"] if c["column"] == "Age")["binning"] == "quantiles"
    assert all(x["flagged"] for x in sl["flagged"])

    # learning curve: the full-data refit reproduces the model's score
    lc = s["learning_curve"]
    assert [p["fraction"] for p in lc["points"]] == [0.1, 0.25, 0.5, 0.75, 1.0]
    assert lc["points"][-1]["n_train"] == len(binary_case.train)
    assert lc["points"][-1]["score"] == pytest.approx(base["model"]["roc_auc"]["value"])

    # trade-offs: confusion matrix at threshold 0.5 on P(bad); cost-optimal threshold by brute force
    tr = s["tradeoffs"]
    predicted = np.where(proba[:, pos] >= 0.5, "bad", "good")
    assert tr["labels"] == classes
    assert tr["confusion_matrix"] == skm.confusion_matrix(y, predicted, labels=classes).tolist()
    p, positive = proba[:, pos], y == "bad"
    candidates = np.r_[np.unique(p), np.inf]
    costs = [(1 * np.sum(~positive & (p >= t)) + 5 * np.sum(positive & (p < t))) / len(y) for t in candidates]
    assert tr["cost"]["cost_per_row"] == pytest.approx(min(costs))
    assert tr["cost"]["threshold"] == pytest.approx(candidates[int(np.argmin(costs))])
    assert tr["cost"]["cost_per_row"] <= tr["cost"]["cost_per_row_at_chosen"]
    assert tr["latency_ms_per_1000"] > 0
    assert tr["model_bytes"] == pytest.approx(len(pickle.dumps(model, protocol=pickle.HIGHEST_PROTOCOL)), rel=0.05)

    # interpretability: every column, mean/std of the repeats, sorted
    imp = s["interpretability"]
    assert {f["feature"] for f in imp["features"]} == set(X.columns)
    for f in imp["features"]:
        assert len(f["values"]) == 2
        assert f["mean"] == pytest.approx(np.mean(f["values"]))
        assert f["std"] == pytest.approx(np.std(f["values"]))
    means = [f["mean"] for f in imp["features"]]
    assert means == sorted(means, reverse=True)
    assert imp["baseline_score"] == pytest.approx(base["model"]["roc_auc"]["value"])


def test_multiclass_report_numbers_match_independent_computation(multiclass_case: Case, multiclass_report: Path) -> None:
    report = _load(multiclass_report)
    _sections_present(report, "multiclass")
    X, y, model = _features(multiclass_case)
    proba = model.predict_proba(X)
    classes = np.asarray(model.classes_)
    s = report["sections"]
    assert report["metric"] == "log_loss" and not report["greater_is_better"]

    base = s["baselines"]
    assert base["model"]["log_loss"]["value"] == pytest.approx(skm.log_loss(y, proba, labels=classes))
    assert base["model"]["balanced_accuracy"]["value"] == pytest.approx(skm.balanced_accuracy_score(y, model.predict(X)))
    zero = next(b for b in base["baselines"] if b["name"] == "zero_rule")
    shares = pd.Series(y).value_counts(normalize=True)
    assert zero["scores"]["accuracy"]["value"] == pytest.approx(shares.max())
    assert zero["scores"]["log_loss"]["value"] == pytest.approx(-(shares * np.log(shares)).sum())

    cal = s["calibration"]
    top = proba.max(axis=1)
    correct = (classes[proba.argmax(axis=1)] == y).astype(float)
    assert cal["kind"] == "top_label"
    assert cal["ece"] == pytest.approx(_ece(top, correct))
    onehot = (y[:, None] == classes[None, :]).astype(float)
    assert cal["brier"] == pytest.approx(np.mean(((proba - onehot) ** 2).sum(axis=1)))

    tr = s["tradeoffs"]
    assert tr["threshold"] is None and tr["cost"] is None
    assert tr["confusion_matrix"] == skm.confusion_matrix(y, model.predict(X), labels=classes).tolist()
    for j, row in enumerate(tr["per_class"]):
        matrix = np.asarray(tr["confusion_matrix"])
        assert row["fp"] == matrix[:, j].sum() - matrix[j, j] and row["fn"] == matrix[j].sum() - matrix[j, j]

    for column in s["slices"]["columns"]:
        assert sum(x["n"] for x in column["slices"]) == len(y)
    assert s["confidence"]["accuracy_at_full_coverage"] == pytest.approx(correct.mean())
    assert s["directional"]["columns"][0]["score_name"] == f"P({classes[-1]})"
    assert s["learning_curve"]["points"][-1]["score"] == pytest.approx(base["model"]["log_loss"]["value"])
    champion = next(b for b in base["baselines"] if b["name"] == "champion")
    assert champion["scores"] == base["model"] and champion["difference"]["value"] == 0.0


@pytest.mark.integration
def test_regression_report_from_a_real_subprocess(regression_case: Case) -> None:
    out = regression_case.folder / "subprocess_out"
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "automl",
            "evaluate",
            "--model",
            str(regression_case.model_dir),
            "--data",
            str(regression_case.test_csv),
            "--target",
            "target",
            "--slices",
            "runqsz",
            "--invariant",
            "lread",
            "--directional",
            "freemem:-",
            "--train",
            str(regression_case.train_csv),
            "--out",
            str(out),
            *FAST,
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert "report.html" in done.stdout
    report = _load(out)
    _sections_present(report, "regression")
    X, y, model = _features(regression_case)
    pred = model.predict(X)
    s = report["sections"]
    assert report["metric"] == "rmse" and report["classes"] is None

    base = s["baselines"]
    assert base["model"]["rmse"]["value"] == pytest.approx(np.sqrt(skm.mean_squared_error(y, pred)))
    assert base["model"]["r2"]["value"] == pytest.approx(skm.r2_score(y, pred))
    zero = next(b for b in base["baselines"] if b["name"] == "zero_rule")
    assert zero["scores"]["rmse"]["value"] == pytest.approx(np.std(y))
    assert zero["scores"]["r2"]["value"] == pytest.approx(0.0, abs=1e-12)
    assert {b["name"] for b in base["baselines"]} == {"random", "zero_rule", "one_feature_rule", "linear"}

    assert [c["kind"] for c in s["perturbation"]["curves"]] == ["numeric_noise"]  # cpu_act has no categories
    res = s["tradeoffs"]["residuals"]
    assert res["mae"] == pytest.approx(skm.mean_absolute_error(y, pred))
    assert res["mean_error"] == pytest.approx(np.mean(pred - y))
    assert res["abs_error_p90"] == pytest.approx(np.percentile(np.abs(pred - y), 90))
    assert s["tradeoffs"]["confusion_matrix"] == []
    assert sum(x["n"] for x in s["slices"]["columns"][0]["slices"]) == len(y)
    inv = s["invariance"]["columns"][0]
    assert inv["relative_mean_abs_change"] == pytest.approx(inv["mean_abs_change"] / np.std(y))
    assert s["learning_curve"]["points"][-1]["score"] == pytest.approx(base["model"]["rmse"]["value"])


def test_fail_on_check_exits_3_when_a_check_fails(multiclass_run: tuple[int, Path], binary_report: Path) -> None:
    code, out = multiclass_run
    report = _load(out)
    # a model cannot beat itself as the champion, so the baselines check fails
    assert report["status"] == "fail" and report["failed_checks"][0]["name"] == "beats champion"
    assert code == 3
    assert _load(binary_report)["status"] == "fail"  # the binary run failed checks too, but exited 0 without the flag


BAD_INPUTS = [
    (["--slices", "iland"], "unknown slice column 'iland' (did you mean 'island'?)"),
    (["--invariant", "sexx"], "unknown invariant column 'sexx' (did you mean 'sex'?)"),
    (["--directional", "body_mass:+"], "unknown directional column 'body_mass' (did you mean 'body_mass_g'?)"),
    (["--directional", "island:+"], "directional column 'island' is not numeric"),
    (["--directional", "body_mass_g"], "malformed --directional entry 'body_mass_g'"),
    (["--directional", "body_mass_g:up"], "the direction must be + or -"),
    (["--cost-fp", "1"], "give both --cost-fp and --cost-fn"),
    (["--cost-fp", "1", "--cost-fn", "2"], "apply to binary models only"),
    (["--target", "speces"], "target column 'speces' not found (did you mean 'species'?)"),
    (["--positive-class", "Emperor"], "positive_class 'Emperor' is not a class of the model"),
]


@pytest.mark.parametrize(("extra", "message"), BAD_INPUTS, ids=[m.split(" ")[0] + "-" + e[0] for e, m in BAD_INPUTS])
def test_bad_input_exits_2_with_one_line(
    multiclass_case: Case, capsys: pytest.CaptureFixture[str], extra: list[str], message: str
) -> None:
    code, out = multiclass_case.run(*extra, out="bad")
    err = capsys.readouterr().err
    assert code == 2
    assert err.count("\n") == 1 and err.startswith("automl evaluate: error: ")
    assert message in err
    assert not (out / "report.json").exists()


def test_labels_the_model_never_saw(multiclass_case: Case, capsys: pytest.CaptureFixture[str]) -> None:
    test = pd.read_csv(multiclass_case.test_csv)
    test.loc[[3, 7], "species"] = "Emperor"
    path = multiclass_case.folder / "unseen.csv"
    test.to_csv(path, index=False)
    code = main(
        [
            "evaluate",
            "--model",
            str(multiclass_case.model_dir),
            "--data",
            str(path),
            "--target",
            "species",
            "--out",
            str(multiclass_case.folder / "unseen"),
        ]
    )
    err = capsys.readouterr().err
    assert code == 2 and err.count("\n") == 1
    assert "y has label(s) the model never saw: 'Emperor' (model classes: Adelie, Chinstrap, Gentoo)" in err

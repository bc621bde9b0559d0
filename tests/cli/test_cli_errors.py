"""Every bad input ends the CLI with exit code 2 and one line naming the problem."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import optuna
import pandas as pd
import pytest

from automl.cli import main


def _run(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    code = main(args)
    err = capsys.readouterr().err.strip()
    return code, err


def _csv(tmp_path: Path, frame: pd.DataFrame, name: str = "d.csv") -> str:
    path = tmp_path / name
    frame.to_csv(path, index=False)
    return str(path)


def _search_args(data: str, target: str, tmp_path: Path) -> list[str]:
    return [
        "search",
        data,
        "--target",
        target,
        "--n-trials",
        "2",
        "--families",
        "logistic_regression",
        "--storage",
        f"sqlite:///{tmp_path}/e.db",
        "--output",
        str(tmp_path / "runs"),
    ]


@pytest.mark.parametrize(
    ("mutate", "target", "message"),
    [
        (lambda f, p: str(p / "missing.csv"), "label", r"data file not found: '.*missing\.csv'"),
        (
            lambda f, p: (p / "bad.parquet").write_bytes(b"PAR1 nonsense") and str(p / "bad.parquet"),
            "label",
            r"cannot read '.*bad\.parquet' as Parquet",
        ),
        (lambda f, p: _csv(p, f), "lable", r"target column 'lable' not found \(did you mean 'label'\?\)"),
        (lambda f, p: _csv(p, f.head(0)), "label", r"the table has no rows"),
        (lambda f, p: _csv(p, f.assign(label="yes")), "label", r"target 'label' has a single class \('yes'\)"),
        (
            lambda f, p: _csv(p, f.assign(label=np.where(np.arange(len(f)) == 4, None, f["label"]))),
            "label",
            r"target 'label' has 1 missing \(NaN\) value\(s\), first at row 4",
        ),
        (
            lambda f, p: _csv(p, f.head(2).assign(label=["yes", "no"])),
            "label",
            r"every class of target 'label' has a single row; nothing is left to validate a model on",
        ),
    ],
    ids=["missing-file", "unreadable", "unknown-target", "empty", "single-class", "nan-target", "nothing-to-validate"],
)
def test_search_bad_input(
    mutate, target: str, message: str, binary_frame: pd.DataFrame, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = mutate(binary_frame, tmp_path)
    code, err = _run(_search_args(data, target, tmp_path), capsys)
    assert code == 2
    assert len(err.splitlines()) == 1, err
    assert re.search(message, err), err


def test_infinite_regression_target(regression_frame: pd.DataFrame, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    regression_frame.loc[2, "y"] = np.inf
    code, err = _run([*_search_args(_csv(tmp_path, regression_frame), "y", tmp_path)[:-4], "--families", "ridge"], capsys)
    assert code == 2 and "target 'y' has an infinite value at row 2" in err and len(err.splitlines()) == 1


def test_broken_yaml_in_spaces_folder(binary_frame: pd.DataFrame, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    spaces = tmp_path / "spaces"
    spaces.mkdir()
    (spaces / "bad.yaml").write_text(
        "name: bad\nbuilder: ridge\ntasks: [regression]\nparams:\n  alpha: {type: float, low: 1, high: 0}\n"
    )
    code, err = _run([*_search_args(_csv(tmp_path, binary_frame), "label", tmp_path), "--spaces", str(spaces)], capsys)
    assert code == 2 and len(err.splitlines()) == 1
    assert "bad.yaml:5: params.alpha.high: high (0) must be greater than low (1)" in err
    code, err = _run(["spaces", "validate", str(spaces / "bad.yaml")], capsys)
    assert code == 2 and "params.alpha.high" in err


def test_predict_with_mismatched_columns(binary_frame: pd.DataFrame, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main([*_search_args(_csv(tmp_path, binary_frame), "label", tmp_path), "--study", "p"]) == 0
    capsys.readouterr()
    other = _csv(tmp_path, binary_frame.drop(columns=["a", "colour"]), "other.csv")
    code, err = _run(
        ["predict", "--study", "p", "--storage", f"sqlite:///{tmp_path}/e.db", other, "--out", str(tmp_path / "o.csv")], capsys
    )
    assert code == 2 and len(err.splitlines()) == 1
    assert "lacks column(s) the model was trained on: a, colour" in err


def test_unknown_study_and_storage(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, err = _run(["leaderboard", "--study", "nope", "--storage", f"sqlite:///{tmp_path}/x.db"], capsys)
    assert code == 2 and f"no database at '{tmp_path}/x.db'" in err and not (tmp_path / "x.db").exists()
    optuna.storages.RDBStorage(f"sqlite:///{tmp_path}/x.db")  # an empty database
    code, err = _run(["leaderboard", "--study", "nope", "--storage", f"sqlite:///{tmp_path}/x.db"], capsys)
    assert code == 2 and "no study named 'nope'; the storage has no studies" in err
    code, err = _run(["leaderboard", "--study", "nope", "--storage", "not-a-url"], capsys)
    assert code == 2 and "is not a URL" in err


def test_usage_error_exits_2_in_a_real_process(tmp_path: Path) -> None:
    done = subprocess.run([sys.executable, "-m", "automl", "search", "x.csv"], capture_output=True, text=True, cwd=tmp_path)
    assert done.returncode == 2
    assert "the following arguments are required: --target" in done.stderr
    done = subprocess.run(
        [sys.executable, "-m", "automl", "search", "x.csv", "--target", "y"], capture_output=True, text=True, cwd=tmp_path
    )
    assert done.returncode == 2 and done.stderr.strip() == "automl search: error: data file not found: 'x.csv'"

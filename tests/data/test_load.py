"""Loading tables and the one-line errors for unusable input."""

from __future__ import annotations

import gzip
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from automl._core import DataFileNotFoundError, InputError
from automl.data import check_enough_rows, infer_task, load_dataset


def test_load_csv_and_parquet_give_the_same_dataset(tmp_path: Path, binary_frame: pd.DataFrame) -> None:
    binary_frame.to_csv(tmp_path / "t.csv", index=False)
    binary_frame.to_parquet(tmp_path / "t.parquet", index=False)
    from_csv = load_dataset(tmp_path / "t.csv", "label")
    from_parquet = load_dataset(tmp_path / "t.parquet", "label")
    assert from_csv.task == from_parquet.task == "binary"
    assert list(from_csv.X.columns) == ["a", "b", "c", "d", "colour"]
    pd.testing.assert_series_equal(from_csv.y, from_parquet.y)


def test_dataframe_with_separate_target_series(binary_frame: pd.DataFrame) -> None:
    ds = load_dataset(binary_frame.drop(columns="label"), binary_frame["label"])
    assert ds.target == "label" and ds.X.shape == (120, 5)


@pytest.mark.parametrize(
    ("values", "task"),
    [
        ([0, 1, 1, 0], "binary"),
        (["a", "b", "c", "a"], "multiclass"),
        ([1, 2, 3, 1, 2, 3, 1, 2], "multiclass"),
        (np.linspace(0, 1, 50), "regression"),
    ],
)
def test_task_inference(values: list, task: str) -> None:
    assert infer_task(pd.Series(values)) == task


def test_integer_target_with_many_values_is_regression() -> None:
    assert infer_task(pd.Series(np.arange(200) % 97)) == "regression"


def test_missing_file_names_the_path(tmp_path: Path) -> None:
    with pytest.raises(DataFileNotFoundError, match=r"data file not found: '.*nope\.csv'"):
        load_dataset(tmp_path / "nope.csv", "y")


def test_unreadable_file_names_the_path(tmp_path: Path) -> None:
    bad = tmp_path / "broken.csv.gz"
    bad.write_bytes(b"this is not gzip data")
    with pytest.raises(InputError, match=r"cannot read '.*broken\.csv\.gz' as CSV"):
        load_dataset(bad, "y")


def test_unknown_target_suggests_the_closest_column(binary_frame: pd.DataFrame) -> None:
    with pytest.raises(InputError, match=r"target column 'labl' not found \(did you mean 'label'\?\)"):
        load_dataset(binary_frame, "labl")


def test_empty_table(tmp_path: Path) -> None:
    path = tmp_path / "empty.csv"
    path.write_text("a,b,y\n")
    with pytest.raises(InputError, match="the table has no rows"):
        load_dataset(path, "y")


def test_file_with_nothing_in_it(tmp_path: Path) -> None:
    path = tmp_path / "blank.csv"
    path.write_text("")
    with pytest.raises(InputError, match="is empty"):
        load_dataset(path, "y")


def test_single_class_target(binary_frame: pd.DataFrame) -> None:
    binary_frame["label"] = "yes"
    with pytest.raises(InputError, match=r"target 'label' has a single class \('yes'\)"):
        load_dataset(binary_frame, "label", task="binary")


def test_nan_target_names_count_and_first_row(regression_frame: pd.DataFrame) -> None:
    regression_frame.loc[[5, 9], "y"] = np.nan
    with pytest.raises(InputError, match=r"target 'y' has 2 missing \(NaN\) value\(s\), first at row 5"):
        load_dataset(regression_frame, "y")


def test_infinite_target(regression_frame: pd.DataFrame) -> None:
    regression_frame.loc[7, "y"] = np.inf
    with pytest.raises(InputError, match="target 'y' has an infinite value at row 7"):
        load_dataset(regression_frame, "y")


def test_too_few_rows_for_the_folds() -> None:
    y = pd.Series(["a", "b", "a", "b", "a", "b", "b"], name="y")
    with pytest.raises(InputError, match=r"class 'a' of target 'y' has 3 row\(s\); stratified 5-fold CV needs at least 5"):
        check_enough_rows(y, "binary", 5, "t.csv")
    with pytest.raises(InputError, match="3 rows are too few for 5-fold"):
        check_enough_rows(pd.Series([1.0, 2.0, 3.0], name="y"), "regression", 5, "t.csv")


def test_gzip_csv_is_read(tmp_path: Path, regression_frame: pd.DataFrame) -> None:
    path = tmp_path / "r.csv.gz"
    with gzip.open(path, "wt") as handle:
        regression_frame.to_csv(handle, index=False)
    assert load_dataset(path, "y").task == "regression"


def test_names_with_line_breaks_stay_on_one_line(tmp_path) -> None:
    """Found by the fuzzer: a column named 'y\\n' made a two-line error."""
    import pandas as pd
    import pytest

    from automl._core import InputError
    from automl.data import load_dataset

    path = tmp_path / "d.csv"
    pd.DataFrame({"y\n": [0, 0, 0], "x": [1, 2, 3]}).to_csv(path, index=False)
    with pytest.raises(InputError) as info:
        load_dataset(path, "y\n")
    assert "\n" not in str(info.value) and "target 'y\\n' has a single class (0)" in str(info.value)

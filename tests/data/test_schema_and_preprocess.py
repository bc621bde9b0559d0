"""Column roles, dropped columns, the predict-time schema check and preprocessing."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from automl._core import InputError
from automl.data import build_preprocessor, fingerprint, infer_schema
from automl.data._preprocess import MIN_MISSING_FOR_INDICATOR, AsCategories
from automl.models import TabularModel


def _table() -> pd.DataFrame:
    n = 40
    return pd.DataFrame(
        {
            "num": np.arange(n, dtype=float) * 1.5,
            "cat": ["a", "b", None, "c"] * 10,
            "const": 7,
            "row_id": np.arange(n),
            "user": [f"u{i}" for i in range(n)],
            "when": pd.date_range("2024-01-01", periods=n, freq="D").astype(str),
            "empty": np.nan,
        }
    )


def test_schema_roles_and_drop_reasons() -> None:
    schema = infer_schema(_table())
    assert schema.numeric == ("num",)
    assert schema.categorical == ("cat",)
    assert schema.datetime == ("when",)
    assert schema.dropped == {
        "const": "constant",
        "row_id": "ID-like (a row counter)",
        "user": "ID-like (every value distinct)",
        "empty": "all values missing",
    }


@pytest.mark.parametrize("encoding", ["onehot", "ordinal"])
def test_unseen_categories_and_missing_values_do_not_crash(encoding: str) -> None:
    train = _table()
    pre = build_preprocessor(infer_schema(train), scale=True, categorical=encoding).fit(train)
    new = train.head(3).copy()
    new["cat"] = ["zzz", None, "a"]
    new.loc[0, "num"] = np.nan
    out = pre.transform(new)
    assert out.shape[0] == 3 and np.isfinite(out).all()


def test_missing_indicators_only_for_columns_missing_often_enough() -> None:
    n = 60
    rows = np.arange(n, dtype=float)
    train = pd.DataFrame({"often": rows, "once": rows * 2, "never": rows + 1})
    train.loc[: MIN_MISSING_FOR_INDICATOR - 1, "often"] = np.nan
    train.loc[5, "once"] = np.nan
    pre = build_preprocessor(infer_schema(train), scale=False, categorical="ordinal").fit(train)
    assert list(pre.get_feature_names_out()) == ["often", "once", "never", "missing_often"]
    new = pd.DataFrame({"often": [np.nan, 3.0], "once": [np.nan, np.nan], "never": [1.0, np.nan]})
    out = pre.transform(new)
    median_once = float(np.nanmedian(train["once"]))
    assert out.tolist() == [[float(np.nanmedian(train["often"])), median_once, 1.0, 1.0], [3.0, median_once, 30.5, 0.0]]


def test_one_all_missing_training_row_does_not_decide_all_missing_rows() -> None:
    """A weakly regularised model must not learn 'all missing -> this label' from a single row
    (it did, with probability 1.0, when every column with a missing value got an indicator)."""
    rng = np.random.default_rng(0)
    n = 200
    x = rng.normal(size=(n, 2))
    y = np.where(x[:, 0] + x[:, 1] + rng.normal(size=n) > -1, "b", "a")  # the medians lie on b's side
    train = pd.DataFrame(x, columns=["x1", "x2"])
    train.loc[0, ["x1", "x2"]] = np.nan
    y[0] = "a"
    model = TabularModel("logistic_regression", {"C": 1e4}, task="binary", scale=True, categorical="onehot")
    proba = model.fit(train, y).predict_proba(pd.DataFrame({"x1": [np.nan], "x2": [np.nan]}))
    assert proba[0, list(model.classes_).index("a")] < 0.5


def test_categories_become_the_same_strings_whatever_the_column_type() -> None:
    """Fitted encoders hold these strings: a category must read the same at fit and predict,
    and in models saved before the column-by-column conversion."""
    frame = pd.DataFrame(
        {
            "mixed": [1, "x", None, 2.5, True],
            "ints": pd.array([1, None, 3, 4, 5], dtype="Int64"),
            "category": pd.Categorical(["u", None, "v", "u", "v"]),
            "floats": [np.nan, 1.0, 2.0, 1e20, -0.0],
            "text": pd.array(["p", None, "q", "r", "s"], dtype="string"),
            "bytes": [b"x", "y", 3, pd.NaT, float("nan")],
        }
    )
    out = AsCategories().fit(frame).transform(frame)
    m = "__missing__"
    assert out.tolist() == [
        ["1", "1", "u", m, "p", "x"],
        ["x", m, m, "1.0", m, "y"],
        [m, "3", "v", "2.0", "q", "3"],
        ["2.5", "4", "u", "1e+20", "r", m],
        ["True", "5", "v", "-0.0", "s", m],
    ]


def test_date_columns_expand_to_parts() -> None:
    train = _table()
    pre = build_preprocessor(infer_schema(train), scale=False, categorical="ordinal").fit(train)
    names = list(pre.get_feature_names_out())
    assert {"when_year", "when_month", "when_day", "when_day_of_week", "when_hour"} <= set(names)


def test_schema_check_names_missing_columns() -> None:
    schema = infer_schema(_table())
    with pytest.raises(InputError, match="lacks column\\(s\\) the model was trained on: num, cat"):
        schema.check(_table().drop(columns=["num", "cat"]))


def test_fingerprint_changes_with_content_and_is_stable() -> None:
    table = _table()
    assert fingerprint(table).content == fingerprint(table.copy()).content
    changed = table.copy()
    changed.loc[0, "num"] = -1.0
    assert fingerprint(changed).content != fingerprint(table).content
    assert fingerprint(table).schema["num"] == "float64"

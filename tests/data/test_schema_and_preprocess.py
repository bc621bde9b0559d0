"""Column roles, dropped columns, the predict-time schema check and preprocessing."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from automl._core import InputError
from automl.data import build_preprocessor, fingerprint, infer_schema


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

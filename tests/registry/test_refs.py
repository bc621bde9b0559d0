"""References and names: what users type in ``NAME@champion``."""

from __future__ import annotations

import pytest

from automl._core import InputError
from automl.registry import check_alias, parse_ref


def test_parse_ref_selects_versions_aliases_and_latest() -> None:
    assert parse_ref("churn@3").version == 3
    assert parse_ref("churn@champion").selector == "champion"
    assert parse_ref("churn@latest").version is None
    assert str(parse_ref("churn")) == "churn@champion"
    assert str(parse_ref("churn", default="latest")) == "churn@latest"


@pytest.mark.parametrize("text", ["", "@3", "churn@", "churn@0", "bad name@1", "x@a b", "../etc@1", "a" * 101])
def test_bad_references_name_the_problem(text: str) -> None:
    with pytest.raises(InputError, match=r"not valid|start at 1"):
        parse_ref(text)


@pytest.mark.parametrize("alias", ["3", "latest"])
def test_numbers_and_latest_cannot_be_aliases(alias: str) -> None:
    with pytest.raises(InputError, match="reserved"):
        check_alias(alias)

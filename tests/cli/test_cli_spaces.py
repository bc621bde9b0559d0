"""``automl spaces list`` says where each family was loaded from."""

from __future__ import annotations

from pathlib import Path

import pytest

from automl.cli import main
from automl.spaces import default_spaces_dir


def test_spaces_list_shows_the_origin_of_each_family(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "ridge.yaml").write_text(
        "name: ridge\nbuilder: ridge\ntasks: [regression]\nparams:\n  alpha: {type: float, low: 0.1, high: 10}\n"
    )
    assert main(["spaces", "list", "--spaces", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    rows = {line.split("│")[1].strip(): line for line in out.splitlines() if line.count("│") > 3}
    assert "--spaces" in rows["ridge"]
    assert "built-in" in rows["knn"]
    assert f"built-in families: {default_spaces_dir()}" in out

"""Row sketches read back from a registry row: the same sketch, or the toolkit's one-line error."""

from __future__ import annotations

import pandas as pd
import pytest

from automl._core import ArtifactError
from automl.data import RowSketch, row_sketch


def test_a_row_sketch_survives_its_dict_form() -> None:
    X = pd.DataFrame({"a": range(50), "b": [str(i % 7) for i in range(50)]})
    y = pd.Series([i % 2 for i in range(50)], name="y")
    sketch = row_sketch(X, y)
    assert RowSketch.from_dict(sketch.to_dict()) == sketch
    assert sketch.containment(X, y) == (1.0, 50)


def test_a_damaged_row_sketch_is_an_artifact_error() -> None:
    with pytest.raises(ArtifactError, match=r"row sketch: 'hashes' must be a list of integers, got int"):
        RowSketch.from_dict({"hashes": 5, "complete": True})

"""HistGradientBoosting's trees as a few arrays while a model is saved, and back after loading.

A fitted HistGradientBoosting model keeps one ``TreePredictor`` per iteration and class, each
with its own node and bitset arrays: a 2,000-iteration model of 4 classes is 8,000 objects and
24,000 arrays. skops checks every array it writes against the names already in its zip (a list
scan), so saving is quadratic in the number of arrays: five such fold models took three minutes
to save after a 30 s search. Packed, the trees of one model are four arrays, whatever their number.

The packed form is an allow-listed automl type holding only arrays; loading rebuilds the
predictors from it and the structure check (``_structure``) then walks every tree as before.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

import numpy as np

from automl.models._structure import StructureError, reachable_objects


class PackedTreePredictors:
    """The ``_predictors`` of one HistGradientBoosting model, as concatenated arrays.

    ``counts`` has one row per iteration and one column per tree of that iteration; each entry
    holds how many nodes, binned bitset rows and raw bitset rows that tree has, in order.
    """

    def __init__(self, predictors: list[list[Any]]) -> None:
        """Pack non-empty ``predictors`` (one list of trees per iteration, as HistGradientBoosting holds them)."""
        trees = [tree for iteration in predictors for tree in iteration]
        per_iteration = len(predictors[0])
        self.counts = np.array(
            [[len(t.nodes), len(t.binned_left_cat_bitsets), len(t.raw_left_cat_bitsets)] for t in trees], dtype=np.int64
        ).reshape(len(predictors), per_iteration, 3)
        self.nodes = np.concatenate([t.nodes for t in trees])
        self.binned_bitsets = np.concatenate([t.binned_left_cat_bitsets for t in trees])
        self.raw_bitsets = np.concatenate([t.raw_left_cat_bitsets for t in trees])

    def unpack(self) -> list[list[Any]]:
        """The predictors again; :class:`StructureError` if the arrays do not add up (a damaged file)."""
        from sklearn.ensemble._hist_gradient_boosting.predictor import TreePredictor

        counts = np.asarray(self.counts)
        # At least one tree per iteration: the number of lists built is then bounded by the stored counts.
        if counts.ndim != 3 or counts.shape[1] < 1 or counts.shape[2] != 3 or counts.dtype.kind != "i":
            raise StructureError("packed HistGradientBoosting trees have a malformed count table")
        if np.any(counts[:, :, 0] < 1) or np.any(counts < 0):
            raise StructureError("a packed HistGradientBoosting tree has no nodes or a negative size")
        arrays = (self.nodes, self.binned_bitsets, self.raw_bitsets)
        for column, array in enumerate(arrays):
            if int(counts[:, :, column].sum()) != len(array):
                raise StructureError("packed HistGradientBoosting trees do not add up to their stored arrays")
        ends = counts.reshape(-1, 3).cumsum(axis=0)
        starts = ends - counts.reshape(-1, 3)
        trees = [
            TreePredictor(*(array[start[c] : end[c]] for c, array in enumerate(arrays)))
            for start, end in zip(starts, ends, strict=True)
        ]
        width = counts.shape[1]
        return [trees[i * width : (i + 1) * width] for i in range(counts.shape[0])]


def _hist_gradient_boosting_models(model: Any) -> list[Any]:
    from sklearn.ensemble import HistGradientBoostingClassifier, HistGradientBoostingRegressor

    kinds = (HistGradientBoostingClassifier, HistGradientBoostingRegressor)
    return [obj for obj in reachable_objects(model) if isinstance(obj, kinds) and hasattr(obj, "_predictors")]


@contextlib.contextmanager
def packed_for_saving(model: Any) -> Iterator[None]:
    """Inside the block, every HistGradientBoosting model in ``model`` holds its trees packed.

    The model is changed in place and restored on the way out, so it must not predict from
    another thread meanwhile (automl saves a model once it is built, before handing it out).
    """
    originals = [
        (estimator, estimator._predictors)
        for estimator in _hist_gradient_boosting_models(model)
        if isinstance(estimator._predictors, list) and estimator._predictors and estimator._predictors[0]
    ]
    try:
        for estimator, predictors in originals:
            estimator._predictors = PackedTreePredictors(predictors)
        yield
    finally:
        for estimator, predictors in originals:
            estimator._predictors = predictors


def unpack_loaded(model: Any) -> None:
    """Rebuild the predictors of every packed HistGradientBoosting model in a freshly loaded ``model``."""
    for estimator in _hist_gradient_boosting_models(model):
        if isinstance(estimator._predictors, PackedTreePredictors):
            estimator._predictors = estimator._predictors.unpack()

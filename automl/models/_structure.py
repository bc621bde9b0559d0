"""Check the arrays that compiled prediction code indexes without bounds checks, right after loading.

An allow-listed type can still carry hostile data. scikit-learn's decision trees, the
HistGradientBoosting predictors and the k-d/ball trees of k-NN walk node arrays in Cython with
bounds checks off: a child index out of range reads memory it should not, and a child that
points back at its parent loops forever. Everything else in a loaded model either goes through
numpy (which checks indices) or raises a Python error. So before a loaded model is handed to
anyone, every such array is checked: children point forward and inside the array, features
exist, sizes agree. A fitted model always passes (the builders number nodes depth-first).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import numpy as np

_MAX_OBJECTS = 5_000_000  # a walk through more objects than this is itself a sign of a hostile file


class StructureError(ValueError):
    """A loaded model holds an array that compiled prediction code cannot walk safely."""


def check_loaded_model(model: Any) -> None:
    """Raise :class:`StructureError` naming the first unsafe tree found anywhere inside ``model``."""
    from sklearn.ensemble import HistGradientBoostingClassifier, HistGradientBoostingRegressor
    from sklearn.neighbors import BallTree, KDTree
    from sklearn.tree import BaseDecisionTree

    for obj in _objects(model):
        if isinstance(obj, BaseDecisionTree) and hasattr(obj, "tree_"):
            _check_decision_tree(obj)
        elif isinstance(obj, (HistGradientBoostingClassifier, HistGradientBoostingRegressor)) and hasattr(obj, "_predictors"):
            _check_hist_gradient_boosting(obj)
        elif isinstance(obj, (KDTree, BallTree)):
            _check_binary_tree(obj)


def _objects(root: Any) -> Iterator[Any]:
    """Every object reachable through attributes, lists, tuples and dict values (each once)."""
    seen: set[int] = set()
    stack = [root]
    while stack:
        obj = stack.pop()
        if id(obj) in seen or isinstance(obj, (str, bytes, bytearray, int, float, bool, np.ndarray, np.generic, type(None))):
            continue
        seen.add(id(obj))
        if len(seen) > _MAX_OBJECTS:
            raise StructureError(f"the model holds more than {_MAX_OBJECTS:,} objects")
        yield obj
        if isinstance(obj, dict):
            stack.extend(obj.values())
        elif isinstance(obj, (list, tuple, set, frozenset)):
            stack.extend(obj)
        else:
            stack.extend(getattr(obj, "__dict__", {}).values())


def _check_decision_tree(estimator: Any) -> None:
    tree = estimator.tree_
    name = type(estimator).__name__
    if type(tree).__name__ != "Tree":
        raise StructureError(f"{name}.tree_ is a {type(tree).__name__}, not a sklearn Tree")
    if not 1 <= tree.node_count <= tree.capacity:
        raise StructureError(f"{name}: node_count {tree.node_count} does not fit its {tree.capacity} stored nodes")
    n_features = getattr(estimator, "n_features_in_", None)
    if tree.n_features != n_features:
        raise StructureError(f"{name}: its tree has {tree.n_features} features, the estimator {n_features}")
    _check_forward_children(name, tree.children_left, tree.children_right, leaf=-1)
    internal = tree.children_left != -1
    features = tree.feature
    if np.any((features[internal] < 0) | (features[internal] >= tree.n_features)) or np.any(features[~internal] != -2):
        raise StructureError(f"{name}: a split uses a feature outside 0..{tree.n_features - 1}")


def _check_forward_children(name: str, left: np.ndarray, right: np.ndarray, *, leaf: int, is_leaf: np.ndarray | None = None) -> None:
    """Children of inner nodes point to later nodes inside the array (no loop, no out-of-range read)."""
    n = len(left)
    index = np.arange(n)
    inner = (left != leaf) if is_leaf is None else ~is_leaf
    bad_inner = inner & ((left <= index) | (right <= index) | (left >= n) | (right >= n))
    if np.any(bad_inner):
        node = int(np.flatnonzero(bad_inner)[0])
        raise StructureError(f"{name}: node {node} points to children {int(left[node])}, {int(right[node])} outside {node + 1}..{n - 1}")
    if is_leaf is None and np.any(right[~inner] != leaf):
        raise StructureError(f"{name}: a leaf has a right child")


def _check_hist_gradient_boosting(estimator: Any) -> None:
    name = type(estimator).__name__
    n_features = int(estimator.n_features_in_)
    for iteration in estimator._predictors:
        for predictor in iteration:
            nodes = predictor.nodes
            if len(nodes) == 0:
                raise StructureError(f"{name}: a tree predictor has no nodes")
            is_leaf = nodes["is_leaf"].astype(bool)
            _check_forward_children(name, nodes["left"].astype(np.int64), nodes["right"].astype(np.int64), leaf=0, is_leaf=is_leaf)
            features = nodes["feature_idx"][~is_leaf]
            if np.any((features < 0) | (features >= n_features)):
                raise StructureError(f"{name}: a split uses a feature outside 0..{n_features - 1}")
            if np.any(nodes["is_categorical"][~is_leaf]):
                raise StructureError(f"{name}: categorical splits are not produced by automl models")


def _check_binary_tree(tree: Any) -> None:
    """A k-d or ball tree: node ranges inside the data, implicit children (2i+1, 2i+2) inside the nodes."""
    name = type(tree).__name__
    data, idx_array, node_data, node_bounds = tree.get_arrays()
    state = tree.__getstate__()
    leaf_size, n_levels, n_nodes = state[4], state[5], state[6]
    n_rows = data.shape[0] if data.ndim == 2 else -1
    if n_rows < 1 or idx_array.shape != (n_rows,) or np.any((idx_array < 0) | (idx_array >= n_rows)):
        raise StructureError(f"{name}: its index array does not index its {n_rows} data rows")
    if n_nodes != len(node_data) or n_nodes != 2**n_levels - 1 or leaf_size < 1:
        raise StructureError(f"{name}: {len(node_data)} nodes do not make a tree of {n_levels} levels")
    if node_bounds.ndim != 3 or node_bounds.shape[1:] != (n_nodes, data.shape[1]):
        raise StructureError(f"{name}: node bounds of shape {node_bounds.shape} do not match {n_nodes} nodes")
    start, end, leaf = node_data["idx_start"], node_data["idx_end"], node_data["is_leaf"].astype(bool)
    if np.any((start < 0) | (start > end) | (end > n_rows)):
        raise StructureError(f"{name}: a node's row range lies outside the {n_rows} data rows")
    if np.any(~leaf & (2 * np.arange(n_nodes) + 2 >= n_nodes)):
        raise StructureError(f"{name}: an inner node has no children inside the tree")

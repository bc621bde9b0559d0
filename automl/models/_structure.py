"""Check the arrays that compiled prediction code indexes without bounds checks, right after loading.

An allow-listed type can still carry hostile data. scikit-learn's decision trees, the
HistGradientBoosting predictors and the k-d/ball trees of k-NN walk node arrays in Cython with
bounds checks off, and XGBoost walks its trees in C++ the same way (a crafted booster crashes
the process at the first predict): a child index out of range reads memory it should not, and
a child that points back at its parent loops forever. Everything else in a loaded model either goes through
numpy (which checks indices) or raises a Python error. So before a loaded model is handed to
anyone, every such array is checked: children point forward and inside the array, features
exist, sizes agree. A fitted model always passes (the builders number nodes depth-first).
"""

from __future__ import annotations

import functools
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

    for obj in reachable_objects(model):
        if isinstance(obj, BaseDecisionTree) and hasattr(obj, "tree_"):
            _check_decision_tree(obj)
        elif isinstance(obj, (HistGradientBoostingClassifier, HistGradientBoostingRegressor)) and hasattr(obj, "_predictors"):
            _check_hist_gradient_boosting(obj)
        elif isinstance(obj, (KDTree, BallTree)):
            _check_binary_tree(obj)
        elif hasattr(getattr(obj, "model_", None), "get_booster"):  # an XGBoost wrapper (XGBoostModel)
            _check_xgboost(obj)


def reachable_objects(root: Any) -> Iterator[Any]:
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


def _check_forward_children(
    name: str, left: np.ndarray, right: np.ndarray, *, leaf: int, is_leaf: np.ndarray | None = None
) -> None:
    """Children of inner nodes point to later nodes inside the array (no loop, no out-of-range read)."""
    n = len(left)
    index = np.arange(n)
    inner = (left != leaf) if is_leaf is None else ~is_leaf
    bad_inner = inner & ((left <= index) | (right <= index) | (left >= n) | (right >= n))
    if np.any(bad_inner):
        node = int(np.flatnonzero(bad_inner)[0])
        raise StructureError(
            f"{name}: node {node} points to children {int(left[node])}, {int(right[node])} outside {node + 1}..{n - 1}"
        )
    if is_leaf is None and np.any(right[~inner] != leaf):
        raise StructureError(f"{name}: a leaf has a right child")


def _check_hist_gradient_boosting(estimator: Any) -> None:
    name = type(estimator).__name__
    n_features = int(estimator.n_features_in_)
    if int(getattr(estimator, "_n_features", n_features)) != n_features:
        raise StructureError(f"{name}: it predicts from {estimator._n_features} features but was fitted on {n_features}")
    categorical = np.asarray(estimator._bin_mapper.is_categorical_, dtype=bool).reshape(-1)
    if categorical.size != n_features:
        raise StructureError(f"{name}: its bin mapper marks {categorical.size} features, the model has {n_features}")
    for iteration in estimator._predictors:
        for predictor in iteration:
            nodes = predictor.nodes
            if len(nodes) == 0:
                raise StructureError(f"{name}: a tree predictor has no nodes")
            is_leaf = nodes["is_leaf"].astype(bool)
            _check_forward_children(
                name, nodes["left"].astype(np.int64), nodes["right"].astype(np.int64), leaf=0, is_leaf=is_leaf
            )
            features = nodes["feature_idx"][~is_leaf]
            if np.any((features < 0) | (features >= n_features)):
                raise StructureError(f"{name}: a split uses a feature outside 0..{n_features - 1}")
            _check_category_splits(name, predictor, nodes[~is_leaf], categorical)


def _check_category_splits(name: str, predictor: Any, splits: np.ndarray, categorical: np.ndarray) -> None:
    """A category split reads row ``bitset_idx`` of both bitset tables (8 words each) and the known
    categories of its feature, which exist only for features the bin mapper marks categorical."""
    on_categories = splits[splits["is_categorical"].astype(bool)]
    if len(on_categories) == 0:
        return
    if not np.all(categorical[on_categories["feature_idx"]]):
        raise StructureError(f"{name}: a category split uses a feature that is not categorical")
    for table in (predictor.binned_left_cat_bitsets, predictor.raw_left_cat_bitsets):
        if table.ndim != 2 or table.shape[1] != 8:
            raise StructureError(f"{name}: a category bitset table has shape {table.shape}, not (n, 8)")
        if np.any(on_categories["bitset_idx"].astype(np.int64) >= len(table)):
            raise StructureError(f"{name}: a category split points past its {len(table)} bitsets")


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


def _check_xgboost(estimator: Any) -> None:
    """The booster as XGBoost itself now holds it (saved again and read back)."""
    from automl.models import _ubjson

    raw = bytes(estimator.model_.get_booster().save_raw("ubj"))
    check_xgboost_document(_ubjson.loads(raw), getattr(estimator, "n_features_in_", None))


_OBJECTIVES = {"binary:logistic": "binary", "multi:softprob": "multiclass", "reg:squarederror": "regression"}


def check_xgboost_document(doc: Any, n_features: Any) -> None:
    """Check a decoded XGBoost booster before XGBoost parses it.

    XGBoost's loader dereferences keys without checking they exist (a booster with one key
    renamed crashes ``load_model``), trusts categorical split data, and its predictor trusts
    child indices, feature indices and output groups. So the document must have exactly the
    layout of a booster this XGBoost writes for the same objective (every key, every value's
    type), numeric splits only, and consistent trees.

    Raises:
        StructureError: naming the first problem.
    """
    try:
        objective = doc["learner"]["objective"]["name"]
    except (KeyError, TypeError) as exc:
        raise StructureError(f"the XGBoost model has no objective ({type(exc).__name__}: {exc})") from None
    if objective not in _OBJECTIVES:
        raise StructureError(f"XGBoost objective {str(objective)[:40]!r} is not produced by automl models")
    _check_layout(doc, _reference_layout(objective), "booster")
    try:
        learner = doc["learner"]
        params = learner["learner_model_param"]
        booster_features = int(params["num_feature"])
        n_groups = max(1, int(params.get("num_class", "0"))) * max(1, int(params.get("num_target", "1")))
        model = learner["gradient_booster"]["model"]
        trees, groups = model["trees"], np.asarray(model["tree_info"], dtype=np.int64)
        n_trees = int(model["gbtree_model_param"]["num_trees"])
        indptr = np.asarray(model.get("iteration_indptr", [0, n_trees]), dtype=np.int64)
        cats = model.get("cats", {})
    except StructureError:
        raise
    except (KeyError, TypeError, ValueError, IndexError, AttributeError) as exc:
        raise StructureError(f"the XGBoost model is malformed ({type(exc).__name__}: {exc})") from None
    if booster_features != n_features:
        raise StructureError(f"the XGBoost model expects {booster_features} features, the estimator {n_features}")
    if not isinstance(trees, list) or not (len(trees) == len(groups) == n_trees):
        raise StructureError(f"the XGBoost model declares {n_trees} trees but holds {len(trees)} with {len(groups)} groups")
    if np.any((groups < 0) | (groups >= n_groups)):
        raise StructureError(f"XGBoost trees write to output groups outside 0..{n_groups - 1}")
    if indptr.ndim != 1 or len(indptr) < 1 or indptr[0] != 0 or indptr[-1] != n_trees or np.any(np.diff(indptr) < 0):
        raise StructureError("the XGBoost model's iteration index does not cover its trees in order")
    if not isinstance(cats, dict) or any(len(v) for v in cats.values()):
        raise StructureError("categorical XGBoost encodings are not produced by automl models")
    for position, tree in enumerate(trees):
        _check_xgboost_tree(tree, booster_features, position)


_ROOT_PARENT = 2**31 - 1  # how XGBoost stores "no parent"


def _check_xgboost_tree(tree: Any, n_features: int, position: int) -> None:
    arrays = (
        "left_children",
        "right_children",
        "parents",
        "split_indices",
        "split_conditions",
        "default_left",
        "split_type",
        "base_weights",
        "loss_changes",
        "sum_hessian",
    )
    try:
        n = int(tree["tree_param"]["num_nodes"])
        leaf_vector = int(tree["tree_param"].get("size_leaf_vector", "1"))
        sizes = {len(tree[k]) for k in arrays}
        left, right = np.asarray(tree["left_children"], dtype=np.int64), np.asarray(tree["right_children"], dtype=np.int64)
        parents = np.asarray(tree["parents"], dtype=np.int64)
        split = np.asarray(tree["split_indices"], dtype=np.int64)
        deleted, tree_id = int(tree["tree_param"]["num_deleted"]), int(tree["id"])
        categorical = np.any(np.asarray(tree["split_type"], dtype=np.int64) != 0) or any(
            len(tree.get(k, ())) for k in ("categories", "categories_nodes", "categories_segments", "categories_sizes")
        )
    except (KeyError, TypeError, ValueError, IndexError, AttributeError) as exc:
        raise StructureError(f"an XGBoost tree is malformed ({type(exc).__name__}: {exc})") from None
    if sizes != {n} or n < 1 or leaf_vector > 1:
        raise StructureError(f"an XGBoost tree's arrays do not all hold its {n} nodes")
    if categorical:
        raise StructureError("categorical XGBoost splits are not produced by automl models")
    if deleted != 0 or tree_id != position:
        raise StructureError(f"XGBoost tree {position} has id {tree_id} and {deleted} deleted nodes")
    _check_forward_children("XGBoost tree", left, right, leaf=-1)
    child = np.arange(1, n)
    if parents[0] != _ROOT_PARENT or np.any((parents[1:] < 0) | (parents[1:] >= child)):
        raise StructureError(f"XGBoost tree {position}: a node's parent is not an earlier node")
    owner = parents[1:]
    if np.any((left[owner] != child) & (right[owner] != child)):
        raise StructureError(f"XGBoost tree {position}: parent and child links disagree")
    inner = left != -1
    if np.any((split[inner] < 0) | (split[inner] >= n_features)):
        raise StructureError(f"an XGBoost split uses a feature outside 0..{n_features - 1}")


@functools.cache
def _reference_layout(objective: str) -> Any:
    """The decoded booster this XGBoost writes for ``objective`` (a tiny model, built once)."""
    import xgboost as xgb

    from automl.models import _ubjson

    rng = np.random.default_rng(0)
    X = rng.normal(size=(30, 2))
    task = _OBJECTIVES[objective]
    y = np.arange(30) % (3 if task == "multiclass" else 2)
    model = (xgb.XGBRegressor if task == "regression" else xgb.XGBClassifier)(n_estimators=1, max_depth=1, n_jobs=1)
    model.fit(X, y.astype(float) if task == "regression" else y)
    return _ubjson.loads(bytes(model.get_booster().save_raw("ubj")))


def _check_layout(doc: Any, reference: Any, path: str) -> None:
    """``doc`` has ``reference``'s keys and value types everywhere (lists: each item like the first)."""
    if isinstance(reference, dict):
        if not isinstance(doc, dict):
            raise StructureError(f"XGBoost model: {path} is a {type(doc).__name__}, expected an object")
        if path.endswith("/attributes"):
            if not all(isinstance(v, str) for v in doc.values()):
                raise StructureError(f"XGBoost model: {path} holds a value that is not text")
            return
        if set(doc) != set(reference):
            odd = sorted(set(doc) ^ set(reference))[0]
            raise StructureError(f"XGBoost model: {path} {'lacks' if odd in reference else 'has an unexpected'} key '{odd[:40]}'")
        for key, value in reference.items():
            _check_layout(doc[key], value, f"{path}/{key}")
    elif isinstance(reference, np.ndarray):
        if not isinstance(doc, np.ndarray) or doc.dtype != reference.dtype:
            raise StructureError(f"XGBoost model: {path} is not an array of {reference.dtype}")
    elif isinstance(reference, list):
        if not isinstance(doc, list):
            raise StructureError(f"XGBoost model: {path} is a {type(doc).__name__}, expected a list")
        if not reference:
            if path.endswith(("/feature_names", "/feature_types")) and all(isinstance(v, str) for v in doc):
                return
            if doc:
                raise StructureError(f"XGBoost model: {path} should be empty")
            return
        for i, item in enumerate(doc):
            _check_layout(item, reference[0], f"{path}[{i}]")
    elif type(doc) is not type(reference):
        raise StructureError(f"XGBoost model: {path} is a {type(doc).__name__}, expected a {type(reference).__name__}")

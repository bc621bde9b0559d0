"""The allow-list itself: exact (node kind, type) pairs, every node kind skops can call, hostile trees."""

from __future__ import annotations

import importlib
import inspect
import zipfile
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sklearn.datasets import make_classification

from automl._core import ArtifactError
from automl.models import FUNCTIONS, MODEL_ALLOW_LIST, ModelCard, TabularModel, declare_trusted, load_model, save_model
from automl.models._trust import audit_schema
from tests.models import hostile


@pytest.fixture
def frame() -> pd.DataFrame:
    X, y = make_classification(n_samples=150, n_features=4, n_informative=3, n_redundant=0, random_state=0)
    data = pd.DataFrame(X, columns=["a", "b", "c", "d"])
    data["label"] = np.where(y == 1, "yes", "no")
    return data


def _card() -> ModelCard:
    return ModelCard(task="binary", metric="roc_auc", family="f", params={}, cv_score=None, data_fingerprint="x", target="label")


def _saved(model: object, tmp_path: Path) -> Path:
    return save_model(model, tmp_path / "m", _card())


def test_every_allowed_type_is_an_exact_importable_name() -> None:
    """No prefixes, no wildcards: each entry resolves to exactly one class."""
    for kind, names in MODEL_ALLOW_LIST.items():
        for name in names:
            if kind == "JsonNode" or name == "builtins.NoneType":
                continue
            module, _, attr = name.rpartition(".")
            assert isinstance(getattr(importlib.import_module(module), attr), type), f"{kind}: {name}"
    assert set(FUNCTIONS) == {"sklearn.utils.validation.check_array"}, "a function on the list needs a reason and a test"
    for name in FUNCTIONS:
        module, _, attr = name.rpartition(".")
        assert inspect.isfunction(getattr(importlib.import_module(module), attr)), name
    for kind in ("FunctionNode", "PartialNode", "MethodNode", "OperatorFuncNode", "ConstructorFromReduceNode", "DefaultDictNode"):
        assert kind not in MODEL_ALLOW_LIST


def test_declare_trusted_never_accepts_callable_nodes() -> None:
    with pytest.raises(ValueError, match="stated reason"):
        declare_trusted(["builtins.exec"], kind="FunctionNode")


def _node(loader: str, module: str, cls: str, **extra: object) -> dict:
    return {"__loader__": loader, "__module__": module, "__class__": cls, **extra}


@pytest.mark.parametrize(
    ("node", "refused"),
    [
        # skops calls a DictNode's key types on every key
        (
            hostile.dict_node()
            | {
                "key_types": {
                    **hostile.tuple_node(),
                    "__loader__": "ListNode",
                    "__class__": "list",
                    "content": [_node("TypeNode", "builtins", "eval")],
                }
            },
            "builtins.eval (TypeNode)",
        ),
        # a non-ndarray NdArrayNode type is called on the stored array
        (_node("NdArrayNode", "builtins", "eval", type="numpy", file="x.npy"), "builtins.eval (NdArrayNode)"),
        # ConstructorFromReduceNode calls its type with stored arguments
        (
            _node("ConstructorFromReduceNode", "os", "system", content=hostile.tuple_node(hostile.json_node("true"))),
            "os.system (ConstructorFromReduceNode)",
        ),
        (
            _node("OperatorFuncNode", "operator", "attrgetter", attrs=hostile.tuple_node()),
            "operator.attrgetter (OperatorFuncNode)",
        ),
        # a container node naming another type: skops calls it with the items
        (_node("ListNode", "builtins", "exec", content=[]), "builtins.exec (ListNode)"),
        # an allowed class in a kind that calls it
        (
            _node(
                "LossNode",
                "automl.models._tabular",
                "TabularModel",
                __reduce__={"args": hostile.tuple_node()},
                content=hostile.dict_node(),
            ),
            "automl.models._tabular.TabularModel (LossNode)",
        ),
        (
            _node(
                "RandomGeneratorNode",
                "numpy.random._generator",
                "Generator",
                content={
                    "bit_generator": {"content": {"bit_generator": hostile.json_node("BitGeneratorOfDoom")}},
                    "seed_seq": hostile.dict_node(),
                },
            ),
            "numpy.random.BitGeneratorOfDoom (RandomGeneratorNode)",
        ),
        (
            _node(
                "DefaultDictNode",
                "collections",
                "defaultdict",
                content={"main": hostile.dict_node(), "default_factory": hostile.function_node("os", "system")},
            ),
            "collections.defaultdict (DefaultDictNode)",
        ),
    ],
    ids=[
        "dict-key-type",
        "ndarray-type",
        "constructor-from-reduce",
        "operator",
        "list-type",
        "allowed-class-as-loss",
        "bit-generator",
        "defaultdict",
    ],
)
def test_node_kinds_that_call_their_type_are_checked(node: dict, refused: str, frame: pd.DataFrame, tmp_path: Path) -> None:
    folder = hostile.genuine_model(tmp_path / "m", frame)
    schema = hostile.read_schema(folder)
    hostile._replace_attr(schema, "random_state", node)
    assert refused in [r.describe() for r in audit_schema(schema)]
    hostile.rewrite_model(folder, schema)
    hostile.update_card_digest(folder)
    with pytest.raises(ArtifactError, match="does not trust"):
        load_model(folder)


def test_a_node_hidden_anywhere_in_the_document_is_seen(frame: pd.DataFrame, tmp_path: Path) -> None:
    """Nodes under keys the walker does not know (e.g. a SliceNode's raw fields) are checked anyway."""
    folder = hostile.genuine_model(tmp_path / "m", frame)
    schema = hostile.read_schema(folder)
    schema["unexpected"] = {"deeper": [hostile.function_node("builtins", "exec")]}
    assert "builtins.exec (FunctionNode)" in [r.describe() for r in audit_schema(schema)]


def test_state_as_a_list_of_pairs_is_refused(frame: pd.DataFrame, tmp_path: Path) -> None:
    """``__dict__.update`` accepts pairs too, which would hide a ``predict`` from the name check."""
    folder = hostile.genuine_model(tmp_path / "m", frame)
    schema = hostile.read_schema(folder)
    pairs = {
        "__class__": "list",
        "__module__": "builtins",
        "__loader__": "ListNode",
        "content": [hostile.tuple_node(hostile.json_node("predict"), hostile.json_node("x"))],
    }
    schema["content"] = pairs
    assert any("not stored as a mapping" in r.describe() for r in audit_schema(schema))


def test_json_state_keys_are_checked_too(frame: pd.DataFrame, tmp_path: Path) -> None:
    folder = hostile.genuine_model(tmp_path / "m", frame)
    schema = hostile.read_schema(folder)
    schema["content"] = hostile.json_node({"predict": "x"})
    assert any("attribute 'predict' shadows a method" in r.describe() for r in audit_schema(schema))


def test_every_refusal_is_reported_on_one_line(frame: pd.DataFrame, tmp_path: Path) -> None:
    folder = hostile.genuine_model(tmp_path / "m", frame)
    hostile.plant(folder, hostile.partial_as_predict, tmp_path / "marker")
    with pytest.raises(ArtifactError) as info:
        load_model(folder)
    message = str(info.value)
    assert len(message.splitlines()) == 1
    for expected in ("functools.partial (PartialNode)", "builtins.exec (FunctionNode)", "attribute 'predict' shadows a method"):
        assert expected in message


# --- trees that compiled code walks without bounds checks -----------------------------------


def _fitted(builder: str, params: dict, frame: pd.DataFrame) -> TabularModel:
    return TabularModel(builder, params, "binary", scale=builder == "knn", categorical="onehot").fit(
        frame.drop(columns="label"), frame["label"]
    )


def _loop_decision_tree(model: TabularModel) -> None:
    tree = model.estimator_.estimators_[0].tree_
    tree.children_left[0] = 0  # the root becomes its own child: predict would loop forever


def _out_of_range_tree(model: TabularModel) -> None:
    tree = model.estimator_.estimators_[0].tree_
    tree.children_right[0] = 10**9  # a read far outside the node array


def _bad_feature(model: TabularModel) -> None:
    tree = model.estimator_.estimators_[0].tree_
    tree.feature[0] = 10**6


def _loop_hgb(model: TabularModel) -> None:
    predictor = model.estimator_._predictors[0][0]
    predictor.nodes["left"][0] = 0


def _hgb_feature(model: TabularModel) -> None:
    predictor = model.estimator_._predictors[0][0]
    predictor.nodes["feature_idx"][0] = 999


def _kd_tree_range(model: TabularModel) -> None:
    _, idx_array, node_data, _ = model.estimator_._tree.get_arrays()
    node_data["idx_end"][-1] = len(idx_array) + 1000


def _kd_tree_index(model: TabularModel) -> None:
    _, idx_array, _, _ = model.estimator_._tree.get_arrays()
    idx_array[0] = 10**7


@pytest.mark.parametrize(
    ("builder", "params", "tamper"),
    [
        ("random_forest", {"n_estimators": 3}, _loop_decision_tree),
        ("random_forest", {"n_estimators": 3}, _out_of_range_tree),
        ("extra_trees", {"n_estimators": 3}, _bad_feature),
        ("hist_gradient_boosting", {"max_iter": 3}, _loop_hgb),
        ("hist_gradient_boosting", {"max_iter": 3}, _hgb_feature),
        ("knn", {"n_neighbors": 3, "algorithm": "kd_tree"}, _kd_tree_range),
        ("knn", {"n_neighbors": 3, "algorithm": "kd_tree"}, _kd_tree_index),
    ],
    ids=["tree-loop", "tree-out-of-range", "tree-feature", "hgb-loop", "hgb-feature", "kd-range", "kd-index"],
)
def test_hostile_tree_arrays_are_refused_before_predict(
    builder: str, params: dict, tamper, frame: pd.DataFrame, tmp_path: Path
) -> None:
    model = _fitted(builder, params, frame)
    assert load_model(_saved(model, tmp_path / "genuine"))[0] is not None
    tamper(model)  # what an attacker writes into the file, made here through the fitted object
    folder = _saved(model, tmp_path / "tampered")
    with pytest.raises(ArtifactError, match="damaged or hostile model") as info:
        load_model(folder)
    assert str(folder / "model.skops") in str(info.value)


def _categorical_hgb() -> tuple[TabularModel, pd.DataFrame]:
    rng = np.random.default_rng(0)
    frame = pd.DataFrame({"colour": rng.choice(list("abcdefgh"), 300), "x": rng.normal(size=300)})
    label = np.where(frame["colour"].isin(["a", "c", "f"]) ^ (frame["x"] > 1), "yes", "no")
    params = {"categorical_features": "encoded", "max_iter": 20}
    return TabularModel("hist_gradient_boosting", params, "binary", scale=False, categorical="ordinal").fit(frame, label), frame


def _category_splits(nodes: np.ndarray) -> np.ndarray:
    return nodes["is_categorical"].astype(bool) & ~nodes["is_leaf"].astype(bool)


def test_native_category_splits_load_and_predict_the_same(tmp_path: Path) -> None:
    model, frame = _categorical_hgb()
    assert any(_category_splits(iteration[0].nodes).any() for iteration in model.estimator_._predictors)
    loaded = load_model(_saved(model, tmp_path))[0]
    assert np.array_equal(loaded.predict_proba(frame), model.predict_proba(frame))


@pytest.mark.parametrize(
    ("field", "value", "refused"),
    [("bitset_idx", 10**6, "points past its"), ("feature_idx", 1, "not categorical")],
    ids=["bitset-past-table", "category-split-on-a-number"],
)
def test_hostile_category_splits_are_refused(field: str, value: int, refused: str, tmp_path: Path) -> None:
    model, _ = _categorical_hgb()
    for iteration in model.estimator_._predictors:  # what an attacker writes into the file
        nodes = iteration[0].nodes
        nodes[field][_category_splits(nodes)] = value
    with pytest.raises(ArtifactError, match=refused):
        load_model(_saved(model, tmp_path))


def test_mlp_architecture_larger_than_its_weights_is_refused(frame: pd.DataFrame, tmp_path: Path) -> None:
    folder = _saved(_fitted("mlp", {"hidden_sizes": (8,), "max_epochs": 2}, frame), tmp_path)
    schema = hostile.read_schema(folder)
    arch = _find(schema, "_architecture")
    arch["content"]["hidden_sizes"] = hostile.json_node([10**6, 10**6])
    hostile.rewrite_model(folder, schema)
    hostile.update_card_digest(folder)
    with pytest.raises(ArtifactError, match=r"needs .* weights but only"):
        load_model(folder)


def _find(node: object, key: str) -> dict:
    stack = [node]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            if item.get("__loader__") == "DictNode" and key in item.get("content", {}):
                return item["content"][key]
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    raise KeyError(key)


# --- XGBoost: its own parser and predictor crash the process on crafted boosters -------------


def _booster_edit_tree_param(doc: dict) -> None:
    params = doc["learner"]["gradient_booster"]["model"]["trees"][0]["tree_param"]
    params["num_daleted"] = params.pop("num_deleted")  # a missing key: XGBoost's load_model segfaulted


def _booster_categorical(doc: dict) -> None:
    tree = doc["learner"]["gradient_booster"]["model"]["trees"][0]
    tree["split_type"][0] = 1
    tree["categories_nodes"] = np.array([0], dtype=np.int32)
    tree["categories_segments"] = np.array([10**6], dtype=np.int64)
    tree["categories_sizes"] = np.array([5], dtype=np.int64)


def _booster_parent(doc: dict) -> None:
    doc["learner"]["gradient_booster"]["model"]["trees"][0]["parents"][1] = 131077


def _booster_cycle(doc: dict) -> None:
    tree = doc["learner"]["gradient_booster"]["model"]["trees"][0]
    leaf = int(np.flatnonzero(tree["left_children"] == -1)[0])
    tree["left_children"][leaf] = tree["right_children"][leaf] = 0  # predict would crash or loop


def _booster_feature(doc: dict) -> None:
    doc["learner"]["gradient_booster"]["model"]["trees"][0]["split_indices"][0] = 10**6


@pytest.mark.parametrize(
    "edit",
    [_booster_edit_tree_param, _booster_categorical, _booster_parent, _booster_cycle, _booster_feature],
    ids=["missing-key", "categorical", "parent", "cycle", "feature"],
)
def test_crafted_xgboost_booster_is_refused_before_xgboost_reads_it(edit, frame: pd.DataFrame, tmp_path: Path) -> None:
    """Each of these crashed the whole process (segmentation fault) in XGBoost before the check."""
    from automl.models import _ubjson

    folder = _saved(_fitted("xgboost", {"n_estimators": 3, "max_depth": 3}, frame), tmp_path)
    with zipfile.ZipFile(folder / "model.skops") as archive:
        booster_file = next(n for n in archive.namelist() if n.endswith(".bin"))
        doc = _ubjson.loads(archive.read(booster_file))
    edit(doc)
    hostile.rewrite_model(folder, members={booster_file: hostile.ubjson_dumps(doc)})
    hostile.update_card_digest(folder)
    with pytest.raises(ArtifactError, match="damaged or hostile"):
        load_model(folder)


def test_ubjson_reader_refuses_lengths_past_the_end_and_duplicate_keys() -> None:
    from automl.models import _ubjson

    with pytest.raises(_ubjson.UBJSONError, match="needs"):
        _ubjson.loads(b"[$l#L" + (10**6).to_bytes(8, "big") + b"\x00\x00")
    with pytest.raises(_ubjson.UBJSONError, match="duplicate key 'a'"):
        _ubjson.loads(hostile.ubjson_dumps({"a": 1})[:-1] + hostile.ubjson_dumps({"a": 2})[1:])
    with pytest.raises(_ubjson.UBJSONError, match="after the end"):
        _ubjson.loads(b"Zjunk")
    assert _ubjson.loads(hostile.ubjson_dumps({"x": [1, "s", None], "y": np.arange(3, dtype=np.int32)}))["x"] == [1, "s", None]

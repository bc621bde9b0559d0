"""Hostile model folders built from a genuine saved model, for the loader's security tests.

Each attack edits ``schema.json`` inside ``model.skops`` the way someone with write access to
the folder could; :func:`plant` optionally rewrites the card's digest too (an attacker who can
write the folder can rewrite the card), so that the type allow-list, not the digest, is what
has to refuse the file. The planted code only ever creates a marker file.
"""

from __future__ import annotations

import io
import json
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from automl._core import sha256_file
from automl.models import ModelCard, TabularModel, save_model

Node = dict[str, Any]
Attack = Callable[[Node, Path], None]


def genuine_model(folder: Path, frame: pd.DataFrame, builder: str = "logistic_regression") -> Path:
    """A real fitted pipeline saved as a model folder (what the attacks start from)."""
    X, y = frame.drop(columns="label"), frame["label"]
    model = TabularModel(builder, {}, "binary", scale=True, categorical="onehot").fit(X, y)
    card = ModelCard(
        task="binary", metric="roc_auc", family=builder, params={}, cv_score=0.9, data_fingerprint="f" * 64, target="label"
    )
    return save_model(model, folder, card)


def read_schema(folder: Path) -> Node:
    with zipfile.ZipFile(folder / "model.skops") as archive:
        return json.loads(archive.read("schema.json"))


def rewrite_model(folder: Path, schema: Node | None = None, members: dict[str, bytes] | None = None) -> None:
    """Write ``model.skops`` again with a new schema and/or replaced members (a valid zip)."""
    path = folder / "model.skops"
    with zipfile.ZipFile(path) as archive:
        contents = {name: archive.read(name) for name in archive.namelist()}
    if schema is not None:
        contents["schema.json"] = json.dumps(schema).encode()
    contents.update(members or {})
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, data in contents.items():
            archive.writestr(name, data)
    path.write_bytes(buffer.getvalue())


def update_card_digest(folder: Path) -> None:
    """What an attacker who rewrote ``model.skops`` does next: make the card agree with it."""
    card_path = folder / "model_card.json"
    card = json.loads(card_path.read_text())
    card["model_sha256"] = sha256_file(folder / "model.skops")
    card_path.write_text(json.dumps(card))


def plant(folder: Path, attack: Attack, marker: Path, *, fix_card: bool = True) -> Path:
    """Apply ``attack`` to the genuine folder's schema; the planted code would create ``marker``."""
    schema = read_schema(folder)
    attack(schema, marker)
    rewrite_model(folder, schema)
    if fix_card:
        update_card_digest(folder)
    return folder


# --- node builders (the shapes skops writes) -------------------------------------------------


def json_node(value: Any) -> Node:
    return {"__class__": "str", "__module__": "builtins", "__loader__": "JsonNode", "content": json.dumps(value), "is_json": True}


def tuple_node(*items: Node) -> Node:
    return {"__class__": "tuple", "__module__": "builtins", "__loader__": "TupleNode", "content": list(items)}


def dict_node(items: dict[str, Node] | None = None) -> Node:
    items = items or {}
    key_types = {
        "__class__": "list",
        "__module__": "builtins",
        "__loader__": "ListNode",
        "content": [{"__class__": "str", "__module__": "builtins", "__loader__": "TypeNode"} for _ in items],
    }
    return {"__class__": "dict", "__module__": "builtins", "__loader__": "DictNode", "key_types": key_types, "content": items}


def function_node(module: str, name: str) -> Node:
    return {"__class__": name, "__module__": module, "__loader__": "FunctionNode"}


def marker_code(marker: Path) -> str:
    return f"open({str(marker)!r}, 'w').write('planted code ran')"


def model_attrs(schema: Node) -> dict[str, Node]:
    """The attribute nodes of the saved TabularModel (the root ObjectNode)."""
    assert schema["__loader__"] == "ObjectNode", schema["__loader__"]
    return schema["content"]["content"]


def _replace_attr(schema: Node, name: str, node: Node) -> None:
    attrs = schema["content"]
    attrs["content"][name] = node
    attrs["key_types"]["content"] = [
        {"__class__": "str", "__module__": "builtins", "__loader__": "TypeNode"} for _ in attrs["content"]
    ]


# --- the attacks -----------------------------------------------------------------------------


def reduce_node_calling(function: str, argument: str) -> Callable[[Node, Path], Node]:
    """A loss node (skops calls its named type with the stored arguments while loading)."""

    def node(schema: Node, marker: Path) -> Node:
        return {
            "__class__": function,
            "__module__": "builtins",
            "__loader__": "LossNode",
            "__reduce__": {"args": tuple_node(json_node(argument))},
            "content": dict_node(),
        }

    return node


def loss_node_exec(schema: Node, marker: Path) -> None:
    _replace_attr(schema, "random_state", reduce_node_calling("exec", marker_code(marker))(schema, marker))


def loss_node_eval(schema: Node, marker: Path) -> None:
    code = f"__import__('pathlib').Path({str(marker)!r}).write_text('planted code ran')"
    _replace_attr(schema, "random_state", reduce_node_calling("eval", code)(schema, marker))


def loss_node_import(schema: Node, marker: Path) -> None:
    """``builtins.__import__`` of a module whose import creates the marker (see :func:`marker_module`)."""
    _replace_attr(schema, "random_state", reduce_node_calling("__import__", MARKER_MODULE)(schema, marker))


def tree_node_exec(schema: Node, marker: Path) -> None:
    """A TreeNode whose declared type is ``builtins.exec`` (skops calls sklearn's Tree, but the type must still be refused)."""
    node = reduce_node_calling("exec", marker_code(marker))(schema, marker)
    _replace_attr(schema, "random_state", {**node, "__loader__": "TreeNode"})


def partial_as_predict(schema: Node, marker: Path) -> None:
    """``predict = functools.partial(builtins.exec, CODE, {})``: runs on the first ``predict``."""
    partial = {
        "__class__": "partial",
        "__module__": "functools",
        "__loader__": "PartialNode",
        "content": {
            "func": function_node("builtins", "exec"),
            "args": tuple_node(json_node(marker_code(marker)), dict_node()),
            "kwds": dict_node(),
            "namespace": dict_node(),
        },
    }
    _replace_attr(schema, "predict", partial)


def function_as_predict(schema: Node, marker: Path) -> None:
    """``predict = builtins.exec``: a bare function node planted as the method."""
    _replace_attr(schema, "predict", function_node("builtins", "exec"))


def method_node(schema: Node, marker: Path) -> None:
    """A bound-method node (``TabularModel.fit`` of a copy of the model) planted as ``predict``."""
    obj = {
        "__class__": "TabularModel",
        "__module__": "automl.models._tabular",
        "__loader__": "ObjectNode",
        "content": dict_node(),
    }
    method = {
        "__class__": "TabularModel",
        "__module__": "automl.models._tabular",
        "__loader__": "MethodNode",
        "content": {"func": "fit", "obj": obj},
    }
    _replace_attr(schema, "predict", method)


def unknown_type(schema: Node, marker: Path) -> None:
    _replace_attr(
        schema,
        "random_state",
        {"__class__": "Popen", "__module__": "subprocess", "__loader__": "ObjectNode", "content": dict_node()},
    )


def data_shadowing_method(schema: Node, marker: Path) -> None:
    """Plain data under a method's name: harmless by itself, still never legitimate."""
    _replace_attr(schema, "predict_proba", json_node("not a method"))


MARKER_MODULE = "automl_hostile_marker_module"


def marker_module(folder: Path, marker: Path) -> Path:
    """Write a module that creates ``marker`` when imported; put ``folder`` on the path to arm it."""
    (folder / f"{MARKER_MODULE}.py").write_text(f"open({str(marker)!r}, 'w').write('planted import ran')\n")
    return folder


CODE_ATTACKS: dict[str, Attack] = {
    "loss-exec": loss_node_exec,
    "loss-eval": loss_node_eval,
    "loss-import": loss_node_import,
    "tree-exec": tree_node_exec,
    "partial-predict": partial_as_predict,
    "function-predict": function_as_predict,
    "method-node": method_node,
    "unknown-type": unknown_type,
}


def change_one_coefficient(folder: Path) -> None:
    """Flip the sign of one coefficient of the logistic regression: the zip stays valid."""
    with zipfile.ZipFile(folder / "model.skops") as archive:
        names = [n for n in archive.namelist() if n.endswith(".npy")]
        arrays = {n: np.load(io.BytesIO(archive.read(n)), allow_pickle=False) for n in names}
    schema = read_schema(folder)
    coef_file = _find_attr_file(schema, "coef_")
    coef = arrays[coef_file].copy()
    coef.flat[0] = -coef.flat[0]
    buffer = io.BytesIO()
    np.save(buffer, coef, allow_pickle=False)
    rewrite_model(folder, members={coef_file: buffer.getvalue()})


def _find_attr_file(node: Any, attr: str) -> str:
    stack = [node]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            content = item.get("content")
            if item.get("__loader__") == "DictNode" and isinstance(content, dict) and attr in content:
                return str(content[attr]["file"])
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    raise KeyError(attr)


# --- XGBoost boosters: UBJSON the way XGBoost writes it -------------------------------------

_UBJ_TYPED = {
    np.dtype("int8"): b"i",
    np.dtype("uint8"): b"U",
    np.dtype("int16"): b"I",
    np.dtype("int32"): b"l",
    np.dtype("int64"): b"L",
    np.dtype("float32"): b"d",
    np.dtype("float64"): b"D",
}


def ubjson_dumps(value: Any) -> bytes:
    """Encode a decoded booster again (what an attacker editing a saved booster would write)."""
    if isinstance(value, dict):
        parts = [b"{"]
        for key, item in value.items():
            raw = key.encode()
            parts += [b"L", len(raw).to_bytes(8, "big", signed=True), raw, ubjson_dumps(item)]
        return b"".join([*parts, b"}"])
    if isinstance(value, np.ndarray):
        marker = _UBJ_TYPED[value.dtype]
        return (
            b"[$"
            + marker
            + b"#L"
            + len(value).to_bytes(8, "big", signed=True)
            + value.astype(value.dtype.newbyteorder(">")).tobytes()
        )
    if isinstance(value, list):
        return b"[#L" + len(value).to_bytes(8, "big", signed=True) + b"".join(ubjson_dumps(v) for v in value)
    if isinstance(value, bool):
        return b"T" if value else b"F"
    if isinstance(value, int):
        return b"L" + value.to_bytes(8, "big", signed=True)
    if isinstance(value, float):
        return b"D" + np.array(value, dtype=">f8").tobytes()
    if isinstance(value, str):
        raw = value.encode()
        return b"SL" + len(raw).to_bytes(8, "big", signed=True) + raw
    if value is None:
        return b"Z"
    raise TypeError(type(value))

"""Fuzz the model loader with damaged and hand-edited model folders built from genuine ones:
truncated and bit-flipped ``model.skops``, edited zip members (valid zip, new CRC), mutated
``schema.json`` nodes, rewritten numpy headers, and edited model cards. Most edits also fix up
the card's digest (as someone who can write the folder would), so the loader's later checks
are what is fuzzed. Each folder loads or gets a one-line ``ArtifactError``; never a traceback,
never a hang. A folder that loads is also asked to predict (it may raise, but not crash or hang).
"""

from __future__ import annotations

import copy
import functools
import io
import json
import shutil
import tempfile
import zipfile
from datetime import timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings, strategies as st
from sklearn.datasets import make_classification

from automl._core import sha256_file
from automl.ensembles import BaggedModel, WeightedAverageEnsemble
from automl.models import ModelCard, TabularModel, load_model, save_model

DEFAULT_EXAMPLES = 150
SLOW_EXAMPLES = 2000

_FAMILIES = {
    "logistic": ("logistic_regression", {}),
    "forest": ("random_forest", {"n_estimators": 3, "max_depth": 4}),
    "hgb": ("hist_gradient_boosting", {"max_iter": 3}),
    "knn": ("knn", {"n_neighbors": 3, "algorithm": "kd_tree"}),
    "xgboost": ("xgboost", {"n_estimators": 4, "max_depth": 3}),
    "mlp": ("mlp", {"hidden_sizes": (8,), "max_epochs": 2}),
    "adaboost": ("adaboost", {"n_estimators": 3}),
}


def _frame() -> pd.DataFrame:
    X, y = make_classification(n_samples=80, n_features=3, n_informative=2, n_redundant=0, random_state=0)
    frame = pd.DataFrame(X, columns=["a", "b", "c"])
    frame["colour"] = np.where(X[:, 0] > 0, "red", "blue")
    frame["day"] = pd.date_range("2024-01-01", periods=80).astype(str)
    frame["label"] = np.where(y == 1, "yes", "no")
    return frame


FRAME = _frame()
FEATURES = FRAME.drop(columns="label")


@functools.cache
def genuine_folders() -> dict[str, Path]:
    """One saved folder per family plus two ensembles (built once per session)."""
    root = Path(tempfile.mkdtemp(prefix="automl-fuzz-models-"))
    card = ModelCard(
        task="binary", metric="roc_auc", family="f", params={}, cv_score=0.5, data_fingerprint="0" * 64, target="label"
    )
    fitted = {}
    for name, (builder, params) in _FAMILIES.items():
        scale = builder in ("knn", "mlp", "logistic_regression")
        fitted[name] = TabularModel(builder, params, "binary", scale=scale, categorical="onehot").fit(FEATURES, FRAME["label"])
    models: dict[str, Any] = dict(fitted)
    models["selection"] = WeightedAverageEnsemble([fitted["logistic"], fitted["hgb"]], [0.5, 0.5], "binary").fit()
    models["bagging"] = BaggedModel(TabularModel("ridge", {}, "regression"), n_estimators=2).fit(FEATURES, np.arange(80.0))
    return {name: save_model(model, root / name, card) for name, model in models.items()}


# --- mutations --------------------------------------------------------------------------------


def _members(path: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


def _zip(members: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def _flip(data: bytes, draw: st.DrawFn) -> bytes:
    out = bytearray(data)
    for _ in range(draw(st.integers(1, 8))):
        if out:
            out[draw(st.integers(0, len(out) - 1))] ^= 1 << draw(st.integers(0, 7))
    return bytes(out)


_NODE_KINDS = [
    "ObjectNode",
    "DictNode",
    "ListNode",
    "TupleNode",
    "JsonNode",
    "NdArrayNode",
    "TypeNode",
    "LossNode",
    "TreeNode",
    "FunctionNode",
    "PartialNode",
    "MethodNode",
    "BytesNode",
    "CachedNode",
    "RandomGeneratorNode",
    "DTypeNode",
    "SliceNode",
    "OperatorFuncNode",
    "ConstructorFromReduceNode",
    "NoSuchNode",
]
_TYPES = [
    ("builtins", "exec"),
    ("builtins", "dict"),
    ("builtins", "list"),
    ("builtins", "str"),
    ("numpy", "ndarray"),
    ("numpy", "float64"),
    ("sklearn.tree._tree", "Tree"),
    ("automl.models._tabular", "TabularModel"),
    ("sklearn.pipeline", "Pipeline"),
    ("os", "system"),
    ("functools", "partial"),
    ("numpy.random._generator", "Generator"),
]
_JSON = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**70), 2**70) | st.floats() | st.text(max_size=8),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner, max_size=3),
    max_leaves=10,
)


def _nodes(schema: Any) -> list[dict]:
    found, stack = [], [schema]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            if "__loader__" in item:
                found.append(item)
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    return found


def _mutate_schema(schema: dict, draw: st.DrawFn, members: dict[str, bytes]) -> None:
    nodes = _nodes(schema)
    for _ in range(draw(st.integers(1, 3))):
        node = draw(st.sampled_from(nodes))
        action = draw(st.sampled_from(["kind", "type", "delete", "value", "json", "file", "id", "content-swap"]))
        if action == "kind":
            node["__loader__"] = draw(st.sampled_from(_NODE_KINDS))
        elif action == "type":
            node["__module__"], node["__class__"] = draw(st.sampled_from(_TYPES))
        elif action == "delete" and node:
            node.pop(draw(st.sampled_from(sorted(node))), None)
        elif action == "value" and node:
            node[draw(st.sampled_from(sorted(node)))] = draw(_JSON)
        elif action == "json" and node.get("__loader__") == "JsonNode":
            node["content"] = json.dumps(draw(_JSON))
        elif action == "file" and "file" in node:
            node["file"] = draw(st.sampled_from([*sorted(members), "missing.npy"]))
        elif action == "id":
            node["__id__"] = draw(st.sampled_from([n.get("__id__") for n in nodes]))
        elif action == "content-swap" and "content" in node:
            node["content"] = copy.deepcopy(draw(st.sampled_from(nodes)))


def _npy_with_header(array_bytes: bytes, draw: st.DrawFn) -> bytes:
    """The same data under a changed header: another shape or dtype."""
    try:
        array = np.load(io.BytesIO(array_bytes), allow_pickle=False)
    except Exception:
        return array_bytes
    buffer = io.BytesIO()
    header_dtype = draw(st.sampled_from(["<f8", "<f4", "<i8", "|u1", "<U3", "|b1", str(array.dtype)]))
    shape = draw(
        st.sampled_from([(array.size * 4,), (10**12,), (0,), (array.size,), tuple(reversed(array.shape)), (1, array.size)])
    )
    np.lib.format.write_array_header_1_0(buffer, {"descr": header_dtype, "fortran_order": False, "shape": shape})
    return buffer.getvalue() + array.tobytes()


@st.composite
def damaged_folders(draw: st.DrawFn) -> tuple[str, str, dict[str, Any]]:
    """(family, mutation kind, instructions) — applied to a fresh copy of the genuine folder."""
    family = draw(st.sampled_from(sorted(genuine_folders())))
    folder = genuine_folders()[family]
    data = (folder / "model.skops").read_bytes()
    kind = draw(
        st.sampled_from(["truncate", "flip", "member", "member", "schema", "schema", "schema", "npy-header", "card", "booster"])
    )
    plan: dict[str, Any] = {"fix_card": draw(st.integers(0, 9)) < 9}
    if kind == "truncate":
        plan["model"] = data[: draw(st.integers(0, len(data) - 1))]
    elif kind == "flip":
        plan["model"] = _flip(data, draw)
    elif kind in ("member", "schema", "npy-header", "booster"):
        members = _members(folder / "model.skops")
        blobs = sorted(n for n in members if n.endswith(".bin"))  # XGBoost boosters, torch weights
        if kind == "booster" and blobs:
            name = draw(st.sampled_from(blobs))
            members[name] = _flip(members[name], draw)
            if draw(st.integers(0, 4)) == 0:
                members[name] = members[name][: draw(st.integers(0, len(members[name])))]
        elif kind in ("member", "booster"):
            name = draw(st.sampled_from(sorted(members)))
            members[name] = _flip(members[name], draw) if members[name] else b"x"
        elif kind == "schema":
            schema = json.loads(members["schema.json"])
            _mutate_schema(schema, draw, members)
            members["schema.json"] = json.dumps(schema).encode()
        else:
            arrays = sorted(n for n in members if n.endswith(".npy"))
            if arrays:
                name = draw(st.sampled_from(arrays))
                members[name] = _npy_with_header(members[name], draw)
        plan["model"] = _zip(members)
    else:
        card = json.loads((folder / "model_card.json").read_text())
        for _ in range(draw(st.integers(1, 3))):
            key = draw(st.sampled_from([*sorted(card), "unknown_field"]))
            if draw(st.booleans()):
                card.pop(key, None)
            else:
                card[key] = draw(_JSON)
        plan["card"] = json.dumps(card).encode() if draw(st.integers(0, 9)) else draw(st.binary(max_size=50))
        plan["fix_card"] = False
    return family, kind, plan


def _apply(family: str, plan: dict[str, Any], tmp: Path) -> Path:
    folder = tmp / family
    shutil.copytree(genuine_folders()[family], folder)
    if "model" in plan:
        (folder / "model.skops").write_bytes(plan["model"])
    if "card" in plan:
        (folder / "model_card.json").write_bytes(plan["card"])
    if plan["fix_card"]:
        card = json.loads((folder / "model_card.json").read_text())
        card["model_sha256"] = sha256_file(folder / "model.skops")
        (folder / "model_card.json").write_text(json.dumps(card))
    return folder


def _load_and_predict(family: str, kind: str, plan: dict[str, Any], tmp: Path, report) -> None:
    model, _ = load_model(_apply(family, plan, tmp))
    try:
        model.predict(FEATURES.head(5))
        report("loaded and predicted")
    except Exception as exc:  # a damaged model may fail at predict time; it must not crash or hang
        report(f"loaded, predict raised {type(exc).__name__}")


def _run(fuzz_stats, examples: int, derandomize: bool) -> None:
    genuine_folders()

    @settings(
        max_examples=examples,
        deadline=timedelta(seconds=20),
        derandomize=derandomize,
        database=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.large_base_example],
    )
    @given(damaged_folders())
    def fuzz(case: tuple[str, str, dict[str, Any]]) -> None:
        with tempfile.TemporaryDirectory() as tmp, fuzz_stats.example() as report:
            _load_and_predict(*case, Path(tmp), report)

    fuzz()


@pytest.mark.timeout(900)
def test_fuzz_model_loader(fuzz_stats) -> None:
    _run(fuzz_stats, DEFAULT_EXAMPLES, derandomize=True)


@pytest.mark.slow
@pytest.mark.timeout(2400)
def test_fuzz_model_loader_many(fuzz_stats) -> None:
    _run(fuzz_stats, SLOW_EXAMPLES, derandomize=False)
    assert fuzz_stats.tried >= SLOW_EXAMPLES

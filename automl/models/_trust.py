"""What a saved model may contain: exact (node kind, type) pairs, checked before skops builds anything.

skops rebuilds objects from a tree of *nodes* in ``schema.json``; each node names a type
(``__module__`` + ``__class__``) and a loader (``__loader__``), and the loader decides what is
done with the type:

- ``ObjectNode``: ``cls.__new__(cls)`` then ``__setstate__``/``__dict__.update`` with stored data;
- ``LossNode`` / ``TreeNode`` (skops' ``ReduceNode``s): the named type (LossNode) or sklearn's
  ``Tree`` (TreeNode) is *called* with stored arguments;
- ``NdArrayNode`` / ``TypeNode`` / ``DictNode`` ...: a numpy scalar type, a container or a type
  object is called with stored data (``DictNode`` calls its key types on each key);
- ``FunctionNode`` / ``PartialNode`` / ``MethodNode`` / ``OperatorFuncNode``: a callable is
  returned, to be called later by whoever uses the attribute.

So a type name alone says nothing: ``builtins.exec`` is harmless as a type object and runs code
when a LossNode calls it. This module therefore trusts *pairs*, exactly (no prefixes), walks
every node of the schema (any dict with a string ``__loader__``, wherever it sits, so no node
skops could reach is skipped), and refuses the file when one pair is not on the list. skops is
then given only this list. An instance attribute named like a method of its class (an
instance ``predict``) is refused whatever its value.
"""

from __future__ import annotations

import importlib
import inspect
import json
import logging
from collections.abc import Collection, Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from automl.data import DATA_TRUSTED_TYPES

log = logging.getLogger(__name__)

OBJECT = "ObjectNode"

# Plain containers: skops calls the exact type (``dict()``, ``list(items)``...).
_CONTAINERS = {
    "DictNode": {"builtins.dict", "collections.OrderedDict"},
    "ListNode": {"builtins.list"},
    "TupleNode": {"builtins.tuple"},
    "SetNode": {"builtins.set"},
    "SliceNode": {"builtins.slice"},
    "BytesNode": {"builtins.bytes"},
    "BytearrayNode": {"builtins.bytearray"},
}
# numpy scalar types: NdArrayNode calls them on a stored 0-d array; TypeNode returns them as
# ``dtype=`` values. Each one only converts numbers or text.
_NUMPY_SCALARS = {
    f"numpy.{name}"
    for name in (
        "bool",
        "int8",
        "int16",
        "int32",
        "int64",
        "uint8",
        "uint16",
        "uint32",
        "uint64",
        "float16",
        "float32",
        "float64",
        "str_",
    )
}
# Types returned as type objects (TypeNode), and called by DictNode on its keys (key types).
_TYPE_OBJECTS = {"builtins.str", "builtins.int", "builtins.float", "builtins.bool"} | _NUMPY_SCALARS

# Objects rebuilt with ``__new__`` + their stored attributes (ObjectNode).
_SKLEARN_OBJECTS = {
    "sklearn.compose._column_transformer.ColumnTransformer",
    "sklearn.pipeline.Pipeline",
    "sklearn.impute._base.SimpleImputer",
    "sklearn.impute._base.MissingIndicator",
    "sklearn.preprocessing._data.StandardScaler",
    "sklearn.preprocessing._encoders.OneHotEncoder",
    "sklearn.preprocessing._encoders.OrdinalEncoder",
    "sklearn.preprocessing._function_transformer.FunctionTransformer",  # its functions: FUNCTIONS only
    "sklearn.preprocessing._label.LabelEncoder",
    "sklearn.linear_model._logistic.LogisticRegression",
    "sklearn.linear_model._ridge.Ridge",
    "sklearn.linear_model._ridge.RidgeCV",
    "sklearn.linear_model._coordinate_descent.ElasticNet",
    "sklearn.neighbors._classification.KNeighborsClassifier",
    "sklearn.neighbors._regression.KNeighborsRegressor",
    "sklearn.neighbors._kd_tree.KDTree",
    "sklearn.neighbors._ball_tree.BallTree",
    "sklearn.metrics._dist_metrics.EuclideanDistance64",
    "sklearn.metrics._dist_metrics.ManhattanDistance64",
    "sklearn.ensemble._forest.RandomForestClassifier",
    "sklearn.ensemble._forest.RandomForestRegressor",
    "sklearn.ensemble._forest.ExtraTreesClassifier",
    "sklearn.ensemble._forest.ExtraTreesRegressor",
    "sklearn.ensemble._weight_boosting.AdaBoostClassifier",
    "sklearn.ensemble._weight_boosting.AdaBoostRegressor",
    "sklearn.tree._classes.DecisionTreeClassifier",
    "sklearn.tree._classes.DecisionTreeRegressor",
    "sklearn.tree._classes.ExtraTreeClassifier",
    "sklearn.tree._classes.ExtraTreeRegressor",
    "sklearn.ensemble._hist_gradient_boosting.gradient_boosting.HistGradientBoostingClassifier",
    "sklearn.ensemble._hist_gradient_boosting.gradient_boosting.HistGradientBoostingRegressor",
    "sklearn.ensemble._hist_gradient_boosting.binning._BinMapper",
    "sklearn.ensemble._hist_gradient_boosting.predictor.TreePredictor",
    "sklearn._loss.loss.HalfBinomialLoss",
    "sklearn._loss.loss.HalfMultinomialLoss",
    "sklearn._loss.loss.HalfSquaredError",
    "sklearn._loss.link.LogitLink",
    "sklearn._loss.link.MultinomialLogit",
    "sklearn._loss.link.IdentityLink",
    "sklearn._loss.link.Interval",
    "sklearn.isotonic.IsotonicRegression",
    "sklearn.calibration.CalibratedClassifierCV",
    "sklearn.calibration._CalibratedClassifier",
    "sklearn.calibration._SigmoidCalibration",
}
_OWN_OBJECTS = {
    "automl.models._tabular.TabularModel",
    "automl.models._packing.PackedTreePredictors",
    "automl.models._xgboost.XGBoostModel",
    "automl.models._trees.BudgetedAdaBoostClassifier",
    "automl.models._trees.BudgetedAdaBoostRegressor",
    "automl.models._mlp.MLPClassifier",
    "automl.models._mlp.MLPRegressor",
    *DATA_TRUSTED_TYPES,
}

#: The exact (node kind -> type names) a saved automl model may contain. Functions, partials,
#: methods and operator nodes have no entry: no saved automl model needs one (see ``FUNCTIONS``).
MODEL_ALLOW_LIST: Mapping[str, frozenset[str]] = {
    **{kind: frozenset(types) for kind, types in _CONTAINERS.items()},
    "JsonNode": frozenset(
        {"builtins.str", "builtins.int", "builtins.float", "builtins.bool", "builtins.NoneType", "builtins.list", "builtins.dict"}
    ),  # JSON text only: skops never imports this type
    "TypeNode": frozenset(_TYPE_OBJECTS),
    "NdArrayNode": frozenset({"numpy.ndarray"} | _NUMPY_SCALARS),
    "DTypeNode": frozenset({"numpy.dtype"}),
    "RandomStateNode": frozenset({"numpy.random.mtrand.RandomState"}),
    "RandomGeneratorNode": frozenset({"numpy.random._generator.Generator"}),
    # LossNode calls the named class with stored arguments: only sklearn's own compiled losses.
    "LossNode": frozenset(
        {
            "sklearn._loss._loss.CyHalfBinomialLoss",
            "sklearn._loss._loss.CyHalfMultinomialLoss",
            "sklearn._loss._loss.CyHalfSquaredError",
        }
    ),
    # TreeNode always calls sklearn's Tree; the declared type must say so too.
    "TreeNode": frozenset({"sklearn.tree._tree.Tree"}),
    OBJECT: frozenset(_SKLEARN_OBJECTS | _OWN_OBJECTS),
    "CachedNode": frozenset(),  # a reference to a node seen earlier; it carries no type of its own
}
#: Exact functions a FunctionNode (or a PartialNode's ``func``) may name, each with the reason
#: it is needed; every other function node is refused.
FUNCTIONS: Mapping[str, str] = {
    "sklearn.utils.validation.check_array": (
        "HistGradientBoosting with native categories validates its numeric columns with a"
        " FunctionTransformer of partial(check_array, ...); check_array only checks and converts an array"
    ),
}
#: numpy bit generators a RandomGeneratorNode may build (by name, inside its stored state).
BIT_GENERATORS = frozenset({"PCG64", "MT19937", "PCG64DXSM", "Philox", "SFC64"})

# Types that packages above this one (ensembles) declare when they are imported: a registry or
# serving code that loads a saved ensemble cannot import the ensembles package.
_DECLARED: dict[str, set[str]] = {}


def declare_trusted(names: Collection[str], kind: str = OBJECT) -> None:
    """Trust the exact type ``names`` in ``kind`` nodes for every load (``automl.ensembles`` calls this).

    Example:
        >>> declare_trusted(["automl.ensembles._average.WeightedAverageEnsemble"])
    """
    if kind in ("FunctionNode", "PartialNode", "MethodNode", "OperatorFuncNode"):
        raise ValueError(f"{kind} entries need a stated reason: add them to FUNCTIONS, not declare_trusted")
    _DECLARED.setdefault(kind, set()).update(names)


def allow_list() -> dict[str, frozenset[str]]:
    """The built-in pairs plus the declared ones (a fresh copy)."""
    pairs = dict(MODEL_ALLOW_LIST)
    for kind, names in _DECLARED.items():
        pairs[kind] = pairs.get(kind, frozenset()) | names
    return pairs


def trusted_type_names(extra: Iterable[str] = ()) -> list[str]:
    """Every type name on the allow-list (what skops is given as ``trusted``), plus ``extra``."""
    names = {name for kind, types in allow_list().items() if kind != "JsonNode" for name in types}
    partial = {"functools.partial"}  # the audit lets a PartialNode through only around a function in FUNCTIONS
    return sorted(names | set(FUNCTIONS) | partial | set(extra))


@dataclass(frozen=True)
class Refusal:
    """One reason a file is refused: a type in a node kind, or an attribute shadowing a method."""

    type_name: str
    kind: str
    detail: str = ""

    def describe(self) -> str:
        return self.detail or f"{self.type_name} ({self.kind})"


class SchemaError(ValueError):
    """``schema.json`` is not shaped like a skops schema (corrupt or hand-made)."""


MAX_DEPTH = 200  # genuine models nest about 30 levels; skops' recursive loader needs headroom


def audit_schema(schema: Any, trusted: Collection[str] = ()) -> list[Refusal]:
    """Every reason to refuse ``schema`` (empty: all pairs allowed). ``trusted`` types pass in any node.

    Raises:
        SchemaError: the schema is not a skops node tree (so it cannot be audited).
    """
    allowed = allow_list()
    user = set(trusted)
    refusals: dict[tuple[str, str, str], Refusal] = {}
    ids: dict[Any, dict[str, Any]] = {}
    nodes = list(_nodes(schema))
    for node in nodes:
        if "__id__" in node and isinstance(node["__id__"], (int, str)):
            ids.setdefault(node["__id__"], node)
    for node in nodes:
        for refusal in _check_node(node, allowed, user, ids):
            refusals[(refusal.type_name, refusal.kind, refusal.detail)] = refusal
    return sorted(refusals.values(), key=lambda r: (r.detail != "", r.type_name, r.kind))


def _nodes(schema: Any) -> Iterator[dict[str, Any]]:
    """Every dict with a string ``__loader__`` anywhere in the document (iteratively, depth-bounded)."""
    if not isinstance(schema, dict) or not isinstance(schema.get("__loader__"), str):
        raise SchemaError("the top of schema.json is not a skops node")
    stack: list[tuple[Any, int]] = [(schema, 0)]
    while stack:
        item, depth = stack.pop()
        if depth > MAX_DEPTH:
            raise SchemaError(f"schema.json nests deeper than {MAX_DEPTH} levels")
        if isinstance(item, dict):
            if isinstance(item.get("__loader__"), str):
                yield item
            stack.extend((value, depth + 1) for value in item.values())
        elif isinstance(item, list):
            stack.extend((value, depth + 1) for value in item)


def _type_name(node: Mapping[str, Any]) -> str:
    module, cls = node.get("__module__"), node.get("__class__")
    if not isinstance(module, str) or not isinstance(cls, str):
        raise SchemaError(f"a {node['__loader__']} node has no __module__/__class__ strings")
    return f"{module}.{cls}"


def _check_node(
    node: dict[str, Any], allowed: Mapping[str, frozenset[str]], user: set[str], ids: Mapping[Any, dict[str, Any]]
) -> list[Refusal]:
    kind = node["__loader__"]
    if kind == "CachedNode":
        return []
    name = _type_name(node)
    if kind == "FunctionNode":
        return [] if name in FUNCTIONS or name in user else [Refusal(name, kind)]
    if kind == "PartialNode":
        func = node.get("content", {}).get("func") if isinstance(node.get("content"), dict) else None
        func_name = _type_name(func) if isinstance(func, dict) and func.get("__loader__") == "FunctionNode" else "?"
        ok = name == "functools.partial" and (func_name in FUNCTIONS or {name, func_name} <= user)
        return [] if ok else [Refusal(name, kind)]
    if kind == "MethodNode":
        method = node.get("content", {}).get("func") if isinstance(node.get("content"), dict) else None
        return [] if f"{name}.{method}" in user else [Refusal(name, kind)]
    found: list[Refusal] = []
    if name not in allowed.get(kind, frozenset()) and name not in user:
        found.append(Refusal(name, kind))
    elif kind == "RandomGeneratorNode":
        found.extend(_check_bit_generator(node, name))
    elif kind == OBJECT:
        found.extend(_check_attributes(node, name, ids))
    return found


def _check_bit_generator(node: Mapping[str, Any], name: str) -> list[Refusal]:
    """skops builds ``numpy.random.<name>`` from a name stored in the generator's state."""
    try:
        text = node["content"]["bit_generator"]["content"]["bit_generator"]["content"]
        generator = json.loads(text)
    except (KeyError, TypeError, ValueError):
        return [Refusal(name, "RandomGeneratorNode", "a numpy Generator without a readable bit generator name")]
    if generator not in BIT_GENERATORS:
        return [Refusal(f"numpy.random.{generator}", "RandomGeneratorNode")]
    return []


def _check_attributes(node: Mapping[str, Any], name: str, ids: Mapping[Any, dict[str, Any]]) -> list[Refusal]:
    """An instance attribute named like a method (or property) of its class would replace it.

    The attributes must be stored as a mapping whose keys can be read here: ``__dict__.update``
    also accepts a list of pairs, which would hide the names. Only compiled classes that read a
    tuple state of their own (and have no instance ``__dict__`` to shadow) are exempt.
    """
    content = node.get("content")
    if isinstance(content, dict) and content.get("__loader__") == "CachedNode":
        content = ids.get(content.get("__id__"))
    if content is None:
        return []
    keys = _attribute_names(content)
    if keys is None:
        if name in _TUPLE_STATE:
            return []
        return [Refusal(name, OBJECT, f"the attributes of {name} are not stored as a mapping")]
    cls = _resolve(name)
    if cls is None:
        return [Refusal(name, OBJECT, f"{name} cannot be imported")]
    return [Refusal(name, OBJECT, f"attribute '{key}' shadows a method of {name}") for key in keys if _is_behaviour(cls, key)]


# Compiled (Cython) classes whose ``__setstate__`` takes a tuple; they have no instance ``__dict__``.
_TUPLE_STATE = frozenset(
    {
        "sklearn.neighbors._kd_tree.KDTree",
        "sklearn.neighbors._ball_tree.BallTree",
        "sklearn.metrics._dist_metrics.EuclideanDistance64",
        "sklearn.metrics._dist_metrics.ManhattanDistance64",
    }
)


def _attribute_names(content: Any) -> list[str] | None:
    """The attribute names of an ObjectNode's state: a DictNode's keys, or a JSON object's keys."""
    if not isinstance(content, dict):
        return None
    if content.get("__loader__") == "DictNode" and isinstance(content.get("content"), dict):
        return [str(key) for key in content["content"]]
    if content.get("__loader__") == "JsonNode" and isinstance(content.get("content"), str):
        try:
            value = json.loads(content["content"])
        except (ValueError, RecursionError):
            return None
        if value is None:
            return []  # skops sets no attributes for a null state
        if isinstance(value, dict):
            return [str(key) for key in value]
    return None


def _resolve(name: str) -> type | None:
    """Import an allow-listed class (its module is ours or sklearn's, so importing it runs no file data)."""
    module, _, attr = name.rpartition(".")
    try:
        cls = getattr(importlib.import_module(module), attr)
    except (ImportError, AttributeError, ValueError):
        return None
    return cls if isinstance(cls, type) else None


def _is_behaviour(cls: type, key: str) -> bool:
    """True when ``key`` names a method, property or other descriptor of ``cls`` (or is a dunder)."""
    if key.startswith("__") and key.endswith("__"):
        return True
    sentinel = object()
    found = inspect.getattr_static(cls, key, sentinel)
    if found is sentinel:
        return False
    return callable(found) or hasattr(type(found), "__get__")

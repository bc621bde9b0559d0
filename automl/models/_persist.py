"""Saving and loading models without unpickling untrusted code.

A model is a folder: ``model.skops`` (skops format; only types on an explicit
allow-list are instantiated at load time; XGBoost boosters and torch weights
travel as bytes in their own formats) and ``model_card.json``. The folder is
written under a temporary name and renamed into place, so a crash never leaves
a half-written model where a reader could find it.
"""

from __future__ import annotations

import io
import json
import logging
import zipfile
import os
import shutil
import tempfile
from collections.abc import Collection
from pathlib import Path
from typing import Any

from automl._core import ArtifactError, atomic_write_bytes, atomic_write_json, package_versions
from automl._core._atomic import DIR_MODE
from automl.data import DATA_TRUSTED_TYPES
from automl.models._card import ModelCard

log = logging.getLogger(__name__)

FORMAT_VERSION = 1
MODEL_FILE = "model.skops"
CARD_FILE = "model_card.json"

# sklearn pieces a saved model may contain. Everything else must be allowed by
# the caller (ensembles, MLPs) or loading refuses the file.
_SKLEARN_TYPES = [
    "sklearn.compose._column_transformer.ColumnTransformer",
    "sklearn.pipeline.Pipeline",
    "sklearn.impute._base.SimpleImputer",
    "sklearn.impute._base.MissingIndicator",
    "sklearn.preprocessing._data.StandardScaler",
    "sklearn.preprocessing._encoders.OneHotEncoder",
    "sklearn.preprocessing._encoders.OrdinalEncoder",
    "sklearn.linear_model._logistic.LogisticRegression",
    "sklearn.linear_model._ridge.Ridge",
    "sklearn.linear_model._coordinate_descent.ElasticNet",
    "sklearn.neighbors._classification.KNeighborsClassifier",
    "sklearn.neighbors._regression.KNeighborsRegressor",
    "sklearn.neighbors._kd_tree.KDTree",
    "sklearn.neighbors._ball_tree.BallTree",
    "sklearn.metrics._dist_metrics.EuclideanDistance64",
    "sklearn.metrics._dist_metrics.ManhattanDistance64",
    "sklearn.metrics._dist_metrics.MinkowskiDistance64",
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
    "sklearn.tree._tree.Tree",
    "sklearn.ensemble._hist_gradient_boosting.gradient_boosting.HistGradientBoostingClassifier",
    "sklearn.ensemble._hist_gradient_boosting.gradient_boosting.HistGradientBoostingRegressor",
    "sklearn.ensemble._hist_gradient_boosting.binning._BinMapper",
    "sklearn.ensemble._hist_gradient_boosting.predictor.TreePredictor",
    "sklearn._loss.loss.HalfBinomialLoss",
    "sklearn._loss._loss.CyHalfBinomialLoss",
    "sklearn._loss._loss.CyHalfMultinomialLoss",
    "sklearn._loss._loss.CyHalfSquaredError",
    "numpy.random._generator.Generator",
    "numpy.random._pcg64.PCG64",
    "numpy.random.mtrand.RandomState",
    "sklearn._loss.loss.HalfMultinomialLoss",
    "sklearn._loss.loss.HalfSquaredError",
    "sklearn._loss.link.LogitLink",
    "sklearn._loss.link.MultinomialLogit",
    "sklearn._loss.link.IdentityLink",
    "sklearn._loss.link.Interval",
    "sklearn.utils._bunch.Bunch",
    "sklearn.linear_model._ridge.RidgeCV",
    "sklearn.linear_model._ridge._RidgeGCV",
    "sklearn.preprocessing._label.LabelEncoder",
    "sklearn.isotonic.IsotonicRegression",
    "sklearn.calibration.CalibratedClassifierCV",
    "sklearn.calibration._CalibratedClassifier",
    "sklearn.calibration._SigmoidCalibration",
    "sklearn.utils._tags.Tags",
    "numpy.ndarray",
    "numpy.dtype",
    "builtins.slice",
    "builtins.functools.partial",
    "functools.partial",
    "collections.OrderedDict",
]
_OWN_TYPES = [
    "automl.models._tabular.TabularModel",
    "automl.models._xgboost.XGBoostModel",
    "automl.models._mlp.MLPClassifier",
    "automl.models._mlp.MLPRegressor",
]
MODEL_TRUSTED_TYPES: list[str] = _SKLEARN_TYPES + _OWN_TYPES + DATA_TRUSTED_TYPES
# Types that packages above this one (ensembles) declare trusted when they are imported: a
# registry or serving code that loads a saved ensemble cannot import the ensembles package.
_DECLARED_TRUSTED: set[str] = set()


def declare_trusted(names: Collection[str]) -> None:
    """Add exact type names that :func:`load_model` accepts in every call (used by ``automl.ensembles``)."""
    _DECLARED_TRUSTED.update(names)


def prepare_saving() -> None:
    """Import skops now: its import takes seconds (it scans sklearn), and a search
    must pay that inside its budget, not after the deadline when it saves."""
    import skops.io  # noqa: F401


def save_model(model: Any, directory: str | Path, card: ModelCard) -> Path:
    """Write ``model`` and ``card`` to the new folder ``directory`` (atomically); return it."""
    final = Path(directory)
    if final.exists():
        raise ArtifactError(f"refusing to overwrite existing model folder '{final}'")
    final.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{final.name}.", dir=final.parent))
    import skops.io as sio  # imported here: it takes seconds to import (it scans sklearn)

    try:
        atomic_write_bytes(staging / MODEL_FILE, sio.dumps(model))
        atomic_write_json(staging / CARD_FILE, {"format_version": FORMAT_VERSION, **card.to_dict()})
        os.chmod(staging, DIR_MODE)  # mkdtemp creates 0700
        os.rename(staging, final)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    log.info("saved model to %s", final)
    return final


def load_card(directory: str | Path) -> ModelCard:
    path = Path(directory) / CARD_FILE
    if not path.is_file():
        raise ArtifactError(f"no model card at '{path}': not a saved automl model folder")
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise ArtifactError(f"model card '{path}' is corrupt: {exc}") from None
    version = data.pop("format_version", None)
    if version != FORMAT_VERSION:
        raise ArtifactError(f"model card '{path}' has format version {version!r}; this automl reads {FORMAT_VERSION}")
    return ModelCard.from_dict(data, source=str(path))


def load_model(directory: str | Path, trusted: Collection[str] = ()) -> tuple[Any, ModelCard]:
    """Load a saved model folder, instantiating only allow-listed types.

    Raises:
        ArtifactError: missing/corrupt files, or a type outside ``MODEL_TRUSTED_TYPES`` + ``trusted``.
    """
    directory = Path(directory)
    if not directory.is_dir():
        raise ArtifactError(f"model folder not found: '{directory}'")
    import skops.io as sio

    card = load_card(directory)
    path = directory / MODEL_FILE
    try:
        data = path.read_bytes()
        found = _types_in(data) | set(sio.get_untrusted_types(data=data))
    except FileNotFoundError:
        raise ArtifactError(f"model file missing: '{path}'") from None
    except Exception as exc:  # skops raises zipfile/json errors on corrupt files
        raise ArtifactError(f"model file '{path}' is corrupt or not a skops file: {exc}") from None
    allowed = set(MODEL_TRUSTED_TYPES) | _DECLARED_TRUSTED | set(trusted)
    refused = sorted(t for t in found - allowed if not t.startswith(_ALWAYS_SAFE))
    if refused:
        raise ArtifactError(f"'{path}' contains types automl does not trust: {', '.join(refused[:5])}")
    _warn_on_version_drift(card, path)
    try:
        model = sio.loads(data, trusted=sorted(found))
    except Exception as exc:
        raise ArtifactError(f"cannot load '{path}': {exc}") from None
    return model, card


# Plain containers and numpy scalars/arrays carry data, not behaviour.
_ALWAYS_SAFE = ("builtins.", "numpy.float", "numpy.int", "numpy.uint", "numpy.bool", "numpy.str", "numpy.object")


def _types_in(data: bytes) -> set[str]:
    """Every type named in a skops file's schema (skops itself trusts many sklearn types by default;
    we do not: everything must be on our list)."""
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        schema = json.loads(archive.read("schema.json"))
    found: set[str] = set()
    stack: list[Any] = [schema]
    while stack:
        node = stack.pop()
        if isinstance(node, dict):
            if "__class__" in node and "__module__" in node:
                found.add(f"{node['__module__']}.{node['__class__']}")
            stack.extend(node.values())
        elif isinstance(node, list):
            stack.extend(node)
    return found


def _warn_on_version_drift(card: ModelCard, path: Path) -> None:
    current = package_versions()
    for name in ("scikit-learn", "xgboost", "torch", "skops"):
        saved = card.package_versions.get(name)
        if saved and saved != current.get(name):
            log.warning("%s was saved with %s %s; this environment has %s", path, name, saved, current.get(name))

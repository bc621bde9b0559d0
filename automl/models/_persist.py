"""Saving and loading models without running code that came with the file.

A model is a folder: ``model.skops`` (skops format; XGBoost boosters and torch weights travel
as bytes in their own formats) and ``model_card.json``. The folder is written under a
temporary name and renamed into place, so a crash never leaves a half-written model where a
reader could find it.

Loading reads each file once and checks, in this order, before anything is built:

1. sizes (``Limits.max_model_bytes``, also for the zip's decompressed members);
2. digests: the card's SHA-256 of ``model.skops`` and, when given, ``expected_digests`` from a
   record the folder's writer cannot rewrite (the study, the registry);
3. every skops node's (kind, type) pair against the allow-list (``_trust``), attributes that
   would shadow methods, and the headers of the stored numpy arrays;

then skops builds the model from those same bytes, given only the allow-list, and the trees
that compiled code walks are checked (``_structure``). HistGradientBoosting trees are stored
packed (``_packing``: a few arrays instead of three per tree, which skops saves in quadratic time).
"""

from __future__ import annotations

import dataclasses
import hashlib
import io
import json
import logging
import os
import shutil
import sys
import tempfile
import threading
import zipfile
from collections.abc import Collection, Mapping
from pathlib import Path
from typing import Any

import numpy as np

from automl._core import (
    ArtifactError,
    AutomlError,
    Limits,
    atomic_write_bytes,
    atomic_write_json,
    describe_bytes,
    package_versions,
    sha256_file,
)
from automl._core._atomic import DIR_MODE
from automl.models._card import ModelCard
from automl.models._packing import packed_for_saving, unpack_loaded
from automl.models._structure import StructureError, check_loaded_model
from automl.models._trust import Refusal, SchemaError, audit_schema, trusted_type_names

log = logging.getLogger(__name__)

FORMAT_VERSION = 2  # 2: the card carries model_sha256, checked on every load
MODEL_FILE = "model.skops"
CARD_FILE = "model_card.json"
ARTIFACT_FILES = (MODEL_FILE, CARD_FILE)
MAX_CARD_BYTES = 16 << 20
MAX_SCHEMA_BYTES = 128 << 20  # parsed JSON takes ~10x its text in memory; genuine schemas are a few MB
MAX_ZIP_MEMBERS = 1_000_000

#: Every type name a built-in saved model may contain (what skops is told to trust).
MODEL_TRUSTED_TYPES: list[str] = trusted_type_names()


def prepare_saving() -> None:
    """Import skops now, inside the search's budget rather than after the deadline when it saves."""
    skops_io()


_SKOPS_IMPORT = threading.Lock()


def skops_io() -> Any:
    """``skops.io``, imported without the scan of every scikit-learn estimator it does at import.

    That scan (``sklearn.utils.all_estimators``, which imports all of sklearn) only builds
    skops' *default* trusted list, which automl never relies on: it passes its own allow-list.
    Skipping it takes the import from ~3 s to ~0.3 s (and from ~9 s to ~1 s on a loaded
    machine, where it used to eat a small search budget), and skops trusts nothing by default.
    """
    if "skops.io" in sys.modules:
        return sys.modules["skops.io"]
    import sklearn.utils

    with _SKOPS_IMPORT:
        original = sklearn.utils.all_estimators
        sklearn.utils.all_estimators = lambda *args, **kwargs: []
        try:
            import skops.io as sio
        finally:
            sklearn.utils.all_estimators = original
    return sio


def save_model(model: Any, directory: str | Path, card: ModelCard) -> Path:
    """Write ``model`` and ``card`` (with the model file's SHA-256) to the new folder ``directory``, atomically."""
    final = Path(directory)
    if final.exists():
        raise ArtifactError(f"refusing to overwrite existing model folder '{final}'")
    final.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{final.name}.", dir=final.parent))
    try:
        with packed_for_saving(model):
            data = skops_io().dumps(model)
        card = dataclasses.replace(card, model_sha256=hashlib.sha256(data).hexdigest())
        atomic_write_bytes(staging / MODEL_FILE, data)
        atomic_write_json(staging / CARD_FILE, {"format_version": FORMAT_VERSION, **card.to_dict()})
        os.chmod(staging, DIR_MODE)  # mkdtemp creates 0700
        os.rename(staging, final)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    log.info("saved model to %s", final)
    return final


def artifact_digests(directory: str | Path) -> dict[str, str]:
    """SHA-256 of every file of a saved model folder, keyed by file name (what a study or registry records).

    Raises:
        ArtifactError: a file of the folder is missing.
    """
    directory = Path(directory)
    digests = {}
    for name in ARTIFACT_FILES:
        path = directory / name
        if not path.is_file():
            raise ArtifactError(f"model folder '{directory}' has no {name}")
        digests[name] = sha256_file(path)
    return digests


def load_card(directory: str | Path) -> ModelCard:
    """The model card of a saved folder (no digest check: use :func:`load_model` to use the model)."""
    path = Path(directory) / CARD_FILE
    return _parse_card(_read(path, MAX_CARD_BYTES, "model card"), path)


def load_model(
    directory: str | Path,
    trusted: Collection[str] = (),
    *,
    expected_digests: Mapping[str, str] | None = None,
    digest_source: str | None = None,
    limits: Limits | None = None,
) -> tuple[Any, ModelCard]:
    """Load a saved model folder after checking its digests, its types and its trees.

    Args:
        directory: the model folder.
        trusted: extra exact type names the caller accepts in any node kind (``--trust``), a
            named risk: each one lets the file build that type.
        expected_digests: ``{file name: sha256}`` recorded elsewhere (study, registry); each
            listed file must match.
        digest_source: who recorded ``expected_digests``, for the error message
            (``"study 'churn'"``, ``"registry version churn@3"``).
        limits: size limits (default: ``Limits.from_env()``).

    Raises:
        ArtifactError: one line naming the file: missing, too large, corrupt, changed since a
            digest was recorded (and which record disagrees), or containing a type/node pair
            automl does not trust (each listed with its node kind).
    """
    directory = Path(directory)
    limits = limits or Limits.from_env()
    if not directory.is_dir():
        raise ArtifactError(f"model folder not found: '{directory}'")
    card_path, model_path = directory / CARD_FILE, directory / MODEL_FILE
    if expected_digests is not None:  # name the record that expected a file the folder lacks
        _check_present(directory, expected_digests, digest_source or "the caller's record")
    card_bytes = _read(card_path, MAX_CARD_BYTES, "model card")
    data = _read(model_path, limits.max_model_bytes, "model file")
    actual = {CARD_FILE: hashlib.sha256(card_bytes).hexdigest(), MODEL_FILE: hashlib.sha256(data).hexdigest()}
    if expected_digests is not None:
        _check_expected(directory, actual, expected_digests, digest_source or "the caller's record")
    card = _parse_card(card_bytes, card_path)
    _check_digest(model_path, actual[MODEL_FILE], card.model_sha256, "its model card")
    schema = _checked_schema(data, model_path, limits)
    try:
        refusals = audit_schema(schema, trusted)
    except SchemaError as exc:
        raise ArtifactError(f"model file '{model_path}' is corrupt or not a skops file: {exc}") from None
    if refusals:
        raise ArtifactError(_refusal_message(model_path, refusals))
    _warn_on_version_drift(card, model_path)
    model = _build(data, model_path, trusted)
    return model, card


def _refusal_message(path: Path, refusals: list[Refusal]) -> str:
    """One line: the refused (type, node kind) pairs, then other reasons (attributes shadowing methods)."""
    types = [r.describe() for r in refusals if not r.detail]
    others = [r.describe() for r in refusals if r.detail]

    def listed(items: list[str]) -> str:
        return ", ".join(items[:8]) + (f" and {len(items) - 8} more" if len(items) > 8 else "")

    parts = []
    if types:
        parts.append(
            f"contains types automl does not trust: {listed(types)}; load it only if you accept that risk, "
            "with --trust TYPE (Python: trust=[...])"
        )
    if others:
        parts.append(f"{'also ' if types else 'is refused: '}{listed(others)}")
    return f"'{path}' " + "; ".join(parts)


def _read(path: Path, max_bytes: int, what: str) -> bytes:
    """The file's bytes, read once (what is checked is what is loaded), refusing oversized files."""
    try:
        with open(path, "rb") as handle:
            size = os.fstat(handle.fileno()).st_size
            if size > max_bytes:
                raise ArtifactError(f"{what} '{path}' is {describe_bytes(size)}, over the {describe_bytes(max_bytes)} limit")
            data = handle.read(max_bytes + 1)
    except FileNotFoundError:
        if what == "model card":
            raise ArtifactError(f"no model card at '{path}': not a saved automl model folder") from None
        raise ArtifactError(f"{what} missing: '{path}'") from None
    except IsADirectoryError:
        raise ArtifactError(f"{what} '{path}' is a directory") from None
    except OSError as exc:
        raise ArtifactError(f"cannot read {what} '{path}': {exc.strerror or exc}") from None
    if len(data) > max_bytes:
        raise ArtifactError(f"{what} '{path}' grew over the {describe_bytes(max_bytes)} limit while it was read")
    return data


def _short(digest: str | None) -> str:
    return "none" if not digest else str(digest)[:12]


def _check_digest(path: Path, actual: str, recorded: str | None, source: str) -> None:
    if recorded != actual:
        raise ArtifactError(
            f"'{path}' does not match the SHA-256 {source} records: file {_short(actual)}, {source} records "
            f"{_short(recorded)}; the file was changed (or replaced) after it was saved"
        )


def _check_present(directory: Path, expected: Mapping[str, str], source: str) -> None:
    for name, digest in sorted(expected.items()):
        if not (directory / name).is_file():
            raise ArtifactError(f"'{directory / name}' is missing, but {source} records its SHA-256 {_short(digest)}")


def _check_expected(directory: Path, actual: Mapping[str, str], expected: Mapping[str, str], source: str) -> None:
    for name, digest in sorted(expected.items()):
        path = directory / name
        found = actual.get(name)
        _check_digest(path, sha256_file(path) if found is None else found, digest, source)


def _parse_card(data: bytes, path: Path) -> ModelCard:
    try:
        content = json.loads(data.decode("utf-8"))
    except (ValueError, UnicodeDecodeError, RecursionError) as exc:
        raise ArtifactError(f"model card '{path}' is corrupt: {_first_line(exc)}") from None
    if not isinstance(content, dict):
        raise ArtifactError(f"model card '{path}' is corrupt: not a JSON object")
    version = content.pop("format_version", None)
    if version != FORMAT_VERSION:
        raise ArtifactError(
            f"model card '{path}' has format version {version!r}; this automl reads {FORMAT_VERSION} (save the model again)"
        )
    return ModelCard.from_dict(content, source=str(path))


def _checked_schema(data: bytes, path: Path, limits: Limits) -> Any:
    """The parsed ``schema.json``, after checking the zip's sizes and the stored arrays' headers."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            members = archive.infolist()
            if len(members) > MAX_ZIP_MEMBERS:
                raise ArtifactError(f"'{path}' has {len(members):,} members, over the {MAX_ZIP_MEMBERS:,} limit")
            unpacked = sum(m.file_size for m in members)
            if unpacked > limits.max_model_bytes:
                raise ArtifactError(
                    f"'{path}' unpacks to {describe_bytes(unpacked)}, over the {describe_bytes(limits.max_model_bytes)} limit"
                )
            info = archive.getinfo("schema.json")
            if info.file_size > MAX_SCHEMA_BYTES:
                raise ArtifactError(
                    f"'{path}': schema.json is {describe_bytes(info.file_size)}, "
                    f"over the {describe_bytes(MAX_SCHEMA_BYTES)} limit"
                )
            schema = json.loads(archive.read(info).decode("utf-8"))
            for member in members:
                if member.filename.endswith(".npy"):
                    _check_npy_header(archive, member, path)
    except ArtifactError:
        raise
    except KeyError:
        raise ArtifactError(f"model file '{path}' is corrupt or not a skops file: it has no schema.json") from None
    except (
        zipfile.BadZipFile,
        zipfile.LargeZipFile,
        ValueError,
        UnicodeDecodeError,
        RecursionError,
        EOFError,
        OSError,
        NotImplementedError,
    ) as exc:
        raise ArtifactError(f"model file '{path}' is corrupt or not a skops file: {_first_line(exc)}") from None
    if not isinstance(schema, dict) or not isinstance(schema.get("__loader__"), str):
        raise ArtifactError(f"model file '{path}' is corrupt or not a skops file: schema.json is not a skops node")
    return schema


def _check_npy_header(archive: zipfile.ZipFile, member: zipfile.ZipInfo, path: Path) -> None:
    """An array must fit in its member: numpy allocates what the header claims before reading."""
    from numpy.lib import format as npy

    try:
        with archive.open(member) as handle:
            version = npy.read_magic(handle)
            header = npy.read_array_header_1_0(handle) if version == (1, 0) else npy.read_array_header_2_0(handle)
            offset = handle.tell()
    except zipfile.BadZipFile:
        raise
    except Exception as exc:  # numpy parses the header with ast/tokenize: ValueError, SyntaxError, TokenError...
        raise ArtifactError(f"'{path}': array {member.filename} has an unreadable header: {_first_line(exc)}") from None
    shape, _, dtype = header
    if dtype.hasobject:
        raise ArtifactError(f"'{path}': array {member.filename} holds Python objects")
    claimed = int(np.prod(shape, dtype=object)) * dtype.itemsize
    if claimed > member.file_size - offset:
        raise ArtifactError(
            f"'{path}': array {member.filename} claims {describe_bytes(claimed)} "
            f"but stores {describe_bytes(member.file_size - offset)}"
        )


def _build(data: bytes, path: Path, trusted: Collection[str]) -> Any:
    """Let skops build the audited file (given only the allow-list), then check the compiled trees."""
    sio = skops_io()
    try:
        model = sio.loads(data, trusted=trusted_type_names(trusted))
        unpack_loaded(model)
        check_loaded_model(model)
    except StructureError as exc:
        raise ArtifactError(f"'{path}' holds a damaged or hostile model: {exc}") from None
    except MemoryError:
        raise ArtifactError(f"'{path}' needs more memory to load than is available") from None
    except RecursionError:
        raise ArtifactError(f"'{path}' nests its objects too deeply to load") from None
    except AutomlError as exc:
        raise ArtifactError(f"cannot load '{path}': {exc}") from None
    except Exception as exc:  # the loader's boundary: whatever a corrupt file makes a library raise
        raise ArtifactError(f"cannot load '{path}': {type(exc).__name__}: {_first_line(exc)}") from None
    if not callable(getattr(model, "predict", None)):
        raise ArtifactError(f"'{path}' does not hold a model (a {type(model).__name__} without predict)")
    return model


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    line = text.splitlines()[0] if text else type(exc).__name__
    return line if len(line) <= 200 else line[:197] + "..."


def _warn_on_version_drift(card: ModelCard, path: Path) -> None:
    current = package_versions()
    for name in ("scikit-learn", "xgboost", "torch", "skops"):
        saved = card.package_versions.get(name)
        if saved and saved != current.get(name):
            log.warning("%s was saved with %s %s; this environment has %s", path, name, saved, current.get(name))

"""Shared foundations: errors, the deadline, atomic writes, seeds and versions."""

from automl._core._atomic import atomic_write, atomic_write_bytes, atomic_write_json
from automl._core._deadline import Clock, Deadline
from automl._core._digest import sha256_file
from automl._core._errors import (
    ArtifactError,
    AutomlError,
    DataFileNotFoundError,
    DeadlineExceeded,
    InputError,
    SpaceError,
    did_you_mean,
    printable,
    quote,
)
from automl._core._limits import Limits, describe_bytes, parse_size
from automl._core._secrets import MASK, mask_secrets, url_password
from automl._core._urls import normalize_db_url, sqlite_path
from automl._core._versions import __version__, package_versions

__all__ = [
    "MASK",
    "ArtifactError",
    "AutomlError",
    "Clock",
    "DataFileNotFoundError",
    "Deadline",
    "DeadlineExceeded",
    "InputError",
    "Limits",
    "SpaceError",
    "__version__",
    "atomic_write",
    "atomic_write_bytes",
    "atomic_write_json",
    "describe_bytes",
    "did_you_mean",
    "mask_secrets",
    "normalize_db_url",
    "package_versions",
    "parse_size",
    "printable",
    "quote",
    "sha256_file",
    "sqlite_path",
    "url_password",
]

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
)
from automl._core._urls import POSTGRES_SCHEME, mask_url, normalize_db_url, sqlite_path
from automl._core._versions import __version__, package_versions

__all__ = [
    "POSTGRES_SCHEME",
    "__version__",
    "ArtifactError",
    "AutomlError",
    "Clock",
    "DataFileNotFoundError",
    "Deadline",
    "DeadlineExceeded",
    "InputError",
    "SpaceError",
    "atomic_write",
    "atomic_write_bytes",
    "atomic_write_json",
    "did_you_mean",
    "mask_url",
    "normalize_db_url",
    "package_versions",
    "sha256_file",
    "sqlite_path",
]

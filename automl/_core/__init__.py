"""Shared foundations: errors, the deadline, atomic writes, seeds and versions."""

from automl._core._atomic import atomic_write, atomic_write_bytes, atomic_write_json
from automl._core._deadline import Clock, Deadline
from automl._core._digest import sha256_file
from automl._core._limits import Limits, describe_bytes, parse_size
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
from automl._core._versions import package_versions

__all__ = [
    "ArtifactError",
    "AutomlError",
    "Clock",
    "DataFileNotFoundError",
    "Deadline",
    "DeadlineExceeded",
    "InputError",
    "Limits",
    "SpaceError",
    "atomic_write",
    "atomic_write_bytes",
    "atomic_write_json",
    "describe_bytes",
    "did_you_mean",
    "package_versions",
    "parse_size",
    "printable",
    "quote",
    "sha256_file",
]

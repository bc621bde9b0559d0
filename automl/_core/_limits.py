"""Size limits for everything read from a file, so a hostile or broken file cannot exhaust memory.

The defaults are generous for real tables and models, and small enough that a machine with
16 GB of memory survives an input that hits them:

- ``max_input_bytes`` 2 GiB (after decompression): a 2 GiB CSV becomes a DataFrame of roughly
  2-6 GB, and a search holds it, its preprocessed copies and a CV fold at once; beyond that
  the in-memory design of the toolkit is the wrong tool anyway.
- ``max_rows`` 50 million and ``max_columns`` 10,000: far beyond the tables this toolkit is
  built for (the dev suite's largest has 49k rows and 57 columns), and each one alone bounds
  the parsed frame even when its bytes are few (one-character fields).
- ``max_line_bytes`` 16 MiB: a CSV row of 10,000 columns of 100 characters is 1 MB; a line
  of 16 MiB is a single giant field (or a file without newlines), not a row.
- ``max_model_bytes`` 4 GiB: a saved model is read into memory to be checked and loaded; the
  largest dev-suite forests are tens of MB.

Each limit can be changed per call (``Limits(...)``), by environment variable
(``AUTOML_MAX_INPUT_BYTES=4G`` ...) or by CLI flag (``--max-input-bytes 4G``).
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, fields, replace
from typing import Any

from automl._core._errors import InputError

_UNITS = {"": 1, "K": 1 << 10, "M": 1 << 20, "G": 1 << 30, "T": 1 << 40}
_SIZE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([KMGT]?)(?:I?B)?\s*$", re.IGNORECASE)


@dataclass(frozen=True)
class Limits:
    """Upper bounds on input files (bytes after decompression, rows, columns, line length) and model files."""

    max_input_bytes: int = 2 << 30
    max_rows: int = 50_000_000
    max_columns: int = 10_000
    max_line_bytes: int = 16 << 20
    max_model_bytes: int = 4 << 30

    def __post_init__(self) -> None:
        for f in fields(self):
            value = getattr(self, f.name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise InputError(f"limit {f.name} must be a positive integer, got {value!r}")

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None, **overrides: int | None) -> Limits:
        """Defaults, then ``AUTOML_MAX_*`` environment variables, then ``overrides`` that are not None."""
        env = os.environ if environ is None else environ
        values: dict[str, Any] = {}
        for f in fields(cls):
            variable = f"AUTOML_{f.name.upper()}"
            if variable in env:
                values[f.name] = parse_size(env[variable], variable)
        values.update({k: v for k, v in overrides.items() if v is not None})
        return replace(cls(), **values)


def parse_size(text: str, what: str) -> int:
    """``"2G"`` -> 2147483648; plain numbers are counts (rows) or bytes. Raises InputError naming ``what``."""
    match = _SIZE.match(str(text))
    if not match:
        raise InputError(f"{what}: '{text}' is not a size; use a number with an optional K, M, G or T suffix")
    value = int(float(match.group(1)) * _UNITS[match.group(2).upper()])
    if value < 1:
        raise InputError(f"{what}: '{text}' must be at least 1")
    return value


def describe_bytes(n: int) -> str:
    for unit, size in (("GiB", 1 << 30), ("MiB", 1 << 20), ("KiB", 1 << 10)):
        if n >= size:
            return f"{n / size:.3g} {unit}"
    return f"{n} bytes"

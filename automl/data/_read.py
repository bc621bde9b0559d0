"""Read CSV (plain or compressed) and Parquet files within size limits, with one-line errors.

A hostile or broken file must not exhaust memory before it is refused, so bytes are counted
as they are decompressed and parsed: a gzip bomb stops at ``max_input_bytes`` of output, a
single giant field stops at ``max_line_bytes``, a header of a million columns is refused
before pandas builds them, and no more than ``max_rows`` + 1 rows are parsed. Parquet files
declare their sizes in their footer, which is checked before any data is read.
"""

from __future__ import annotations

import bz2
import csv
import gzip
import io
import logging
import lzma
import zipfile
from pathlib import Path
from typing import IO, Any

import pandas as pd

from automl._core import DataFileNotFoundError, InputError, Limits, describe_bytes

log = logging.getLogger(__name__)

CSV_SUFFIXES = (".csv", ".csv.gz", ".csv.bz2", ".csv.zip", ".csv.xz", ".tsv", ".txt")
PARQUET_SUFFIXES = (".parquet", ".pq")
_BOMS = (
    (b"\xef\xbb\xbf", "utf-8-sig"),
    (b"\xff\xfe\x00\x00", "utf-32"),
    (b"\x00\x00\xfe\xff", "utf-32"),
    (b"\xff\xfe", "utf-16"),
    (b"\xfe\xff", "utf-16"),
)


class LimitExceeded(InputError):
    """An input file is larger (bytes, rows, columns, line length) than the configured limit."""


def read_table(path: str | Path, limits: Limits | None = None) -> pd.DataFrame:
    """Read a CSV (optionally gzip/bz2/xz/zip compressed) or Parquet file into a DataFrame.

    Args:
        path: the file; ``.parquet``/``.pq`` is Parquet, anything else CSV (``.tsv``: tab-separated).
        limits: size limits (default ``Limits.from_env()``: 2 GiB, 50M rows, 10k columns, 16 MiB lines).

    Raises:
        DataFileNotFoundError: no such file.
        InputError: unreadable, not UTF-8/UTF-16 text, or over a limit (``LimitExceeded``), in one line.

    Example:
        >>> read_table("train.csv").shape  # doctest: +SKIP
        (1000, 12)
    """
    path = Path(path)
    limits = limits or Limits.from_env()
    if not path.exists():
        raise DataFileNotFoundError(f"data file not found: '{path}'")
    if path.is_dir():
        raise InputError(f"'{path}' is a directory, expected a CSV or Parquet file")
    size = path.stat().st_size
    if size > limits.max_input_bytes:
        raise LimitExceeded(
            f"'{path}' is {describe_bytes(size)}, over the {describe_bytes(limits.max_input_bytes)} input limit "
            "(raise it with --max-input-bytes or AUTOML_MAX_INPUT_BYTES)"
        )
    name = path.name.lower()
    if name.endswith(PARQUET_SUFFIXES):
        return _read_parquet(path, limits)
    if not name.endswith(CSV_SUFFIXES):
        log.info("'%s' has no known suffix; read it as CSV", path)
    return _read_csv(path, "\t" if name.endswith(".tsv") else ",", limits)


# --- CSV ------------------------------------------------------------------------------------


class _CountingReader(io.RawIOBase):
    """Bytes from ``source``, refusing more than ``max_bytes`` in all or ``max_line`` in one line."""

    def __init__(self, source: io.BufferedIOBase | IO[bytes], path: Path, limits: Limits) -> None:
        self.source, self.path, self.limits = source, path, limits
        self.total = 0
        self.line = 0

    def readable(self) -> bool:
        return True

    def _longest_line(self, chunk: bytes) -> int:
        """The longest line seen so far that ends in (or runs through) ``chunk``; updates the open line."""
        lines = chunk.replace(b"\r", b"\n").split(b"\n")
        if len(lines) == 1:
            self.line += len(chunk)
            return self.line
        longest = max(self.line + len(lines[0]), max(len(line) for line in lines[1:]))
        self.line = len(lines[-1])
        return longest

    def readinto(self, buffer: Any) -> int:
        chunk = self.source.read(len(buffer))
        if not chunk:
            return 0
        self.total += len(chunk)
        if self.total > self.limits.max_input_bytes:
            raise LimitExceeded(
                f"'{self.path}' holds more than {describe_bytes(self.limits.max_input_bytes)} of data "
                "(after decompression), over the input limit (raise it with --max-input-bytes)"
            )
        if self._longest_line(chunk) > self.limits.max_line_bytes:
            raise LimitExceeded(
                f"'{self.path}' has a line longer than {describe_bytes(self.limits.max_line_bytes)} "
                "(one giant field, or no line breaks); raise --max-line-bytes if it is real"
            )
        buffer[: len(chunk)] = chunk
        return len(chunk)


def _open_decompressed(path: Path) -> io.BufferedIOBase | IO[bytes]:
    """The file's bytes, decompressed by suffix (a zip must hold exactly one file)."""
    name = path.name.lower()
    if name.endswith(".gz"):
        return gzip.open(path, "rb")
    if name.endswith(".bz2"):
        return bz2.open(path, "rb")
    if name.endswith(".xz"):
        return lzma.open(path, "rb")
    if name.endswith(".zip"):
        archive = zipfile.ZipFile(path)
        members = [m for m in archive.infolist() if not m.is_dir()]
        if len(members) != 1:
            raise InputError(f"'{path}' must hold exactly one file, it holds {len(members)}")
        return archive.open(members[0])
    return open(path, "rb")


def _open_counted(path: Path, limits: Limits) -> io.BufferedReader:
    return io.BufferedReader(_CountingReader(_open_decompressed(path), path, limits), buffer_size=1 << 16)


def _encoding(stream: io.BufferedReader) -> str:
    """UTF-8 unless a byte-order mark says UTF-16/32 (the BOM is consumed by the codec)."""
    head = stream.peek(4)[:4]
    return next((codec for bom, codec in _BOMS if head.startswith(bom)), "utf-8")


def _check_header(path: Path, sep: str, limits: Limits) -> str:
    """The file's encoding; refuses a header with more fields than ``max_columns`` before pandas
    builds a column per field (the header is read on its own, bounded by the line limit)."""
    with _open_counted(path, limits) as stream:
        encoding = _encoding(stream)
        line = io.TextIOWrapper(stream, encoding=encoding, errors="replace", newline="").readline(limits.max_line_bytes)
    width = max((len(row) for row in csv.reader([line.splitlines()[0] if line.strip() else ""], delimiter=sep)), default=0)
    if width > limits.max_columns:
        raise LimitExceeded(
            f"'{path}' has {width:,} columns, over the {limits.max_columns:,} column limit (raise it with --max-columns)"
        )
    return encoding


def _read_csv(path: Path, sep: str, limits: Limits) -> pd.DataFrame:
    try:
        encoding = _check_header(path, sep, limits)
        with _open_counted(path, limits) as stream:
            frame = pd.read_csv(stream, sep=sep, encoding=encoding, nrows=limits.max_rows + 1)
    except InputError:
        raise
    except pd.errors.EmptyDataError:
        raise InputError(f"'{path}' is empty: no header row and no data") from None
    except UnicodeDecodeError as exc:
        raise InputError(
            f"'{path}' is not UTF-8 text (it has the byte 0x{exc.object[exc.start]:02x}); "
            "save it as UTF-8 (or UTF-16 with a byte-order mark)"
        ) from None
    except (pd.errors.ParserError, OSError, EOFError, ValueError, zipfile.BadZipFile, lzma.LZMAError, MemoryError) as exc:
        raise InputError(f"cannot read '{path}' as CSV: {_reason(exc)}") from None
    _check_shape(frame, path, limits)
    return frame


# --- Parquet --------------------------------------------------------------------------------


def _read_parquet(path: Path, limits: Limits) -> pd.DataFrame:
    import pyarrow
    import pyarrow.parquet as pq

    try:
        source = pq.ParquetFile(path)
        meta = source.metadata
        if meta.num_rows > limits.max_rows:
            raise LimitExceeded(
                f"'{path}' has {meta.num_rows:,} rows, over the {limits.max_rows:,} row limit (raise it with --max-rows)"
            )
        if meta.num_columns > limits.max_columns:
            raise LimitExceeded(
                f"'{path}' has {meta.num_columns:,} columns, "
                f"over the {limits.max_columns:,} column limit (raise it with --max-columns)"
            )
        # Encoded sizes understate memory (dictionary/run-length encoding): a decoded value takes >= 8 bytes.
        unpacked = max(
            sum(meta.row_group(i).total_byte_size for i in range(meta.num_row_groups)), 8 * meta.num_rows * meta.num_columns
        )
        if unpacked > limits.max_input_bytes:
            raise LimitExceeded(
                f"'{path}' unpacks to at least {describe_bytes(unpacked)}, over the {describe_bytes(limits.max_input_bytes)} "
                "input limit (raise it with --max-input-bytes)"
            )
        table = source.read()
        frame = _to_pandas(table, path)
    except InputError:
        raise
    except (pyarrow.ArrowException, OSError, ValueError, KeyError, TypeError, IndexError, EOFError, MemoryError) as exc:
        raise InputError(f"cannot read '{path}' as Parquet: {_reason(exc)}") from None
    _check_shape(frame, path, limits)
    return frame


def _to_pandas(table: Any, path: Path) -> pd.DataFrame:
    """The table as a DataFrame; if its pandas metadata (index, dtypes) is damaged, without it."""
    frame: pd.DataFrame
    try:
        frame = table.to_pandas()
    except (KeyError, TypeError, ValueError, IndexError) as exc:
        log.warning("'%s': ignoring damaged pandas metadata (%s)", path, _reason(exc))
        frame = table.to_pandas(ignore_metadata=True)
    return frame


def _check_shape(frame: pd.DataFrame, path: Path, limits: Limits) -> None:
    if len(frame) > limits.max_rows:
        raise LimitExceeded(f"'{path}' has more than {limits.max_rows:,} rows, over the row limit (raise it with --max-rows)")
    if frame.shape[1] > limits.max_columns:
        raise LimitExceeded(
            f"'{path}' has {frame.shape[1]:,} columns, over the {limits.max_columns:,} column limit (raise it with --max-columns)"
        )


def _reason(exc: BaseException) -> str:
    text = str(exc).strip()
    line = text.splitlines()[0] if text else type(exc).__name__
    return line if len(line) <= 200 else line[:197] + "..."

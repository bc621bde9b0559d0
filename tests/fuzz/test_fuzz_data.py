"""Fuzz the data loader: random CSV bytes, odd encodings, huge or empty fields, mixed types,
duplicate column names, broken compression and Parquet. Each input loads or gets a one-line
``InputError``; never a library traceback, never a hang."""

from __future__ import annotations

import gzip
import io
import tempfile
from datetime import timedelta
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from automl.data import fingerprint, infer_schema, load_dataset

DEFAULT_EXAMPLES = 300
SLOW_EXAMPLES = 2000

_NAMES = st.one_of(
    st.sampled_from(["label", "x", "x", "a b", "", " ", "0", "1.5", "NaN", "Unnamed: 0", "y\n", 'q"uote', "é", "列"]),
    st.text(max_size=8),
)
_CELL = st.one_of(
    st.integers(-(10**20), 10**20).map(str),
    st.floats(allow_nan=True, allow_infinity=True).map(repr),
    st.sampled_from(
        [
            "",
            "NA",
            "nan",
            "inf",
            "-inf",
            "True",
            "false",
            "2021-02-30",
            "2020-01-01 10:00",
            "1e400",
            "0x1F",
            '"',
            '""',
            ",",
            "\n",
            "\r",
        ]
    ),
    st.text(max_size=12),
    st.integers(1_000, 200_000).map(lambda n: "z" * n),  # a huge field
)
_ENCODINGS = st.sampled_from(["utf-8", "utf-8-sig", "utf-16", "latin-1", "cp1252", "ascii"])


_LABEL = st.one_of(st.sampled_from(["yes", "no", "0", "1", "", "nan", "1.5", "inf"]), _CELL)


@st.composite
def csv_tables(draw: st.DrawFn) -> tuple[bytes, list[str]]:
    """A table written as CSV text: random header (duplicates allowed), rows of mixed cells.

    Most tables are well-formed enough to reach past the parser (a 'label' column, rectangular,
    UTF-8), so the checks after parsing (target, task, schema, fingerprint) get fuzzed too.
    """
    header = draw(st.lists(_NAMES, min_size=0, max_size=6))
    if draw(st.integers(0, 9)) < 7:
        header.insert(draw(st.integers(0, len(header))), "label")
    n_rows = draw(st.integers(0, 25))
    width = max(len(header), 1)
    ragged = draw(st.integers(0, 9)) < 1
    label_at = header.index("label") if "label" in header else -1
    rows = [
        [draw(_LABEL if j == label_at else _CELL) for j in range(draw(st.integers(0, width + 1)) if ragged else width)]
        for _ in range(n_rows)
    ]
    sep = draw(st.sampled_from([",", ",", ",", ";", "\t", ", "]))
    newline = draw(st.sampled_from(["\n", "\r\n", "\r"]))
    quote = draw(st.integers(0, 9)) < 7  # quoted cells survive commas, quotes and line breaks

    def cell(value: str) -> str:
        return '"' + value.replace('"', '""') + '"' if quote else value

    text = newline.join(sep.join(cell(v) for v in row) for row in [header, *rows])
    encoding = draw(st.sampled_from(["utf-8"] * 6) | _ENCODINGS)
    return text.encode(encoding, errors="replace"), header


def _parquet_bytes(seed: int) -> bytes:
    rng = np.random.default_rng(seed)
    frame = pd.DataFrame({"a": rng.normal(size=20), "b": rng.choice(["u", "v"], size=20), "label": rng.integers(0, 2, size=20)})
    buffer = io.BytesIO()
    frame.to_parquet(buffer)
    return buffer.getvalue()


_PARQUET = _parquet_bytes(0)


@st.composite
def data_files(draw: st.DrawFn) -> tuple[str, bytes, str]:
    """(file suffix, file bytes, target column name)."""
    kind = draw(
        st.sampled_from(["table"] * 8 + ["raw", "gzip", "gzip-broken", "parquet-flipped", "parquet-truncated", "parquet-raw"])
    )
    names = ["label"]
    if kind == "raw":
        data, suffix = draw(st.binary(max_size=3000)), draw(st.sampled_from([".csv", ".tsv", ".txt", ""]))
    elif kind.startswith("gzip"):
        data, names = draw(csv_tables())
        data, suffix = gzip.compress(data), ".csv.gz"
        if kind == "gzip-broken":
            data = data[: draw(st.integers(0, max(len(data) - 1, 0)))]
    elif kind.startswith("parquet"):
        suffix, data = ".parquet", bytearray(_PARQUET)
        if kind == "parquet-flipped":
            for _ in range(draw(st.integers(1, 8))):
                position = draw(st.integers(0, len(data) - 1))
                data[position] ^= 1 << draw(st.integers(0, 7))
        elif kind == "parquet-truncated":
            data = data[: draw(st.integers(0, len(data) - 1))]
        else:
            data = bytearray(b"PAR1" + draw(st.binary(max_size=500)) + b"PAR1")
        data = bytes(data)
    else:
        (data, names), suffix = draw(csv_tables()), draw(st.sampled_from([".csv", ".tsv", ".txt"]))
    target = "label" if draw(st.integers(0, 9)) < 8 else draw(st.sampled_from(names or ["label"]) | _NAMES)
    return suffix, data, target


def _load(suffix: str, data: bytes, target: str, tmp: Path, report) -> None:
    path = tmp / f"fuzz{suffix}"
    path.write_bytes(data)
    dataset = load_dataset(path, target, "auto")
    infer_schema(dataset.X)
    fingerprint(dataset.X, dataset.y)
    report(f"loaded as {dataset.task}")


def _run(fuzz_stats, examples: int, derandomize: bool) -> None:
    @settings(
        max_examples=examples,
        deadline=timedelta(seconds=10),
        derandomize=derandomize,
        database=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.large_base_example],
    )
    @given(data_files())
    def fuzz(case: tuple[str, bytes, str]) -> None:
        with tempfile.TemporaryDirectory() as tmp, fuzz_stats.example() as report:
            _load(*case, Path(tmp), report)

    fuzz()


@pytest.mark.timeout(600)
def test_fuzz_data_loader(fuzz_stats) -> None:
    _run(fuzz_stats, DEFAULT_EXAMPLES, derandomize=True)


@pytest.mark.slow
@pytest.mark.timeout(1800)
def test_fuzz_data_loader_many(fuzz_stats) -> None:
    _run(fuzz_stats, SLOW_EXAMPLES, derandomize=False)
    assert fuzz_stats.tried >= SLOW_EXAMPLES

"""Input limits: a hostile or oversized file is refused, with one line, before it fills memory."""

from __future__ import annotations

import gzip
import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from automl._core import InputError, Limits, parse_size
from automl.cli import main
from automl.data import LimitExceeded, read_table

REPO = Path(__file__).resolve().parents[2]


def _csv(tmp_path: Path, rows: int = 20, columns: int = 3, name: str = "t.csv") -> Path:
    frame = pd.DataFrame(np.arange(rows * columns).reshape(rows, columns), columns=[f"c{i}" for i in range(columns)])
    path = tmp_path / name
    frame.to_csv(path, index=False)
    return path


@pytest.mark.parametrize(
    ("limits", "message"),
    [
        (Limits(max_rows=10), r"has more than 10 rows, over the row limit \(raise it with --max-rows\)"),
        (Limits(max_columns=2), r"has 3 columns, over the 2 column limit"),
        (Limits(max_input_bytes=50), r"over the 50 bytes input limit"),
        (Limits(max_line_bytes=4), r"has a line longer than 4 bytes"),
    ],
    ids=["rows", "columns", "bytes", "line"],
)
def test_csv_over_a_limit_is_refused(limits: Limits, message: str, tmp_path: Path) -> None:
    with pytest.raises(LimitExceeded, match=message) as info:
        read_table(_csv(tmp_path), limits)
    assert str(tmp_path / "t.csv") in str(info.value) and "\n" not in str(info.value)
    assert len(read_table(_csv(tmp_path))) == 20  # the defaults accept it


@pytest.mark.parametrize(
    ("limits", "message"),
    [
        (Limits(max_rows=10), "has 20,000 rows, over the 10 row limit"),
        (Limits(max_columns=2), "has 3 columns, over the 2 column limit"),
        (Limits(max_input_bytes=100_000), "unpacks to .* over the 97.7 KiB input limit"),
    ],
    ids=["rows", "columns", "bytes"],
)
def test_parquet_limits_are_checked_from_its_footer(limits: Limits, message: str, tmp_path: Path) -> None:
    """The footer's counts are checked before any column is read (a compressed Parquet can be tiny on disk)."""
    path = tmp_path / "t.parquet"
    pd.DataFrame({"a": np.zeros(20_000), "b": np.arange(20_000) % 3, "c": ["x"] * 20_000}).to_parquet(path)
    assert path.stat().st_size < 100_000
    with pytest.raises(LimitExceeded, match=message):
        read_table(path, limits)


def test_wide_header_is_refused_before_pandas_builds_columns(tmp_path: Path) -> None:
    path = tmp_path / "wide.csv"
    path.write_text(",".join(f"c{i}" for i in range(20_000)) + "\n" + ",".join("1" * 20_000) + "\n")
    with pytest.raises(LimitExceeded, match="has 20,000 columns, over the 10,000 column limit"):
        read_table(path)


def _peak_memory_of_reading(path: Path, env: dict[str, str] | None = None) -> dict:
    """Read ``path`` in a fresh interpreter; return its outcome and peak resident memory (MB).

    The peak is the interpreter's own address space's high-water mark (``VmHWM``), not
    ``ru_maxrss``: Linux keeps ``ru_maxrss`` across exec, so a child forked from a large pytest
    process most likely reported the parent's size (1,085 MB once in a full run; 247 MB alone).
    """
    code = (
        "import json, re, sys\n"
        "from automl.data import read_table\n"
        "from automl._core import InputError\n"
        "try:\n    read_table(sys.argv[1]); outcome = 'loaded'\n"
        "except InputError as exc:\n    outcome = str(exc)\n"
        "peak_kb = int(re.search(r'VmHWM:\\s+(\\d+) kB', open('/proc/self/status').read()).group(1))\n"
        "print(json.dumps({'outcome': outcome, 'peak_mb': peak_kb / 1024}))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code, str(path)], capture_output=True, text=True, cwd=REPO, env=env, timeout=300, check=True
    )
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_gzip_bomb_is_refused_without_filling_memory(tmp_path: Path) -> None:
    """3 GiB of CSV in a 3 MB gzip file: refused once 256 MiB are decompressed."""
    import os

    member = gzip.compress(b"1234567890," * 6 + b"1234567890\n" * 1 + (b"1234567890," * 6 + b"1234567890\n") * (1 << 20), 1)
    path = tmp_path / "bomb.csv.gz"
    with open(path, "wb") as out:
        out.write(gzip.compress(b"a,b,c,d,e,f,g\n"))
        for _ in range(40):  # gzip members concatenate: ~3 GiB once decompressed
            out.write(member)
    assert path.stat().st_size < 40 << 20
    result = _peak_memory_of_reading(path, {**os.environ, "AUTOML_MAX_INPUT_BYTES": "256M"})
    assert "holds more than 256 MiB of data (after decompression), over the input limit" in result["outcome"]
    assert result["peak_mb"] < 1500, result


def test_one_gigabyte_field_is_refused_at_the_line_limit(tmp_path: Path) -> None:
    """A CSV whose second line is a single 1 GiB field (as gzip: 1 MB on disk), default limits."""
    member = gzip.compress(b"z" * (64 << 20), 1)
    path = tmp_path / "field.csv.gz"
    with open(path, "wb") as out:
        out.write(gzip.compress(b"a,b\n1,"))
        for _ in range(16):
            out.write(member)
    result = _peak_memory_of_reading(path)
    assert "has a line longer than 16 MiB" in result["outcome"]
    assert result["peak_mb"] < 1000, result


def test_limits_come_from_the_environment_and_flags(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    assert Limits.from_env({"AUTOML_MAX_ROWS": "10", "AUTOML_MAX_INPUT_BYTES": "1.5G"}) == Limits(
        max_rows=10, max_input_bytes=3 << 29
    )
    assert Limits.from_env({"AUTOML_MAX_ROWS": "10"}, max_rows=7).max_rows == 7
    with pytest.raises(InputError, match="AUTOML_MAX_ROWS: 'lots' is not a size"):
        Limits.from_env({"AUTOML_MAX_ROWS": "lots"})
    assert parse_size("2G", "x") == 2 << 30 and parse_size("16MiB", "x") == 16 << 20
    monkeypatch.setenv("AUTOML_MAX_ROWS", "5")
    with pytest.raises(LimitExceeded, match="more than 5 rows"):
        read_table(_csv(tmp_path))


def test_cli_flags_set_the_limits(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    data = _csv(tmp_path)
    with pytest.raises(SystemExit) as exited:
        main(["predict", "--model", str(tmp_path / "none"), str(data), "--out", str(tmp_path / "p.csv"), "--max-rows", "abc"])
    assert exited.value.code == 2
    assert "--max-rows: 'abc' is not a size" in capsys.readouterr().err
    frame = pd.read_csv(data)
    frame["label"] = np.arange(len(frame)) % 2
    frame.to_csv(data, index=False)
    code = main(
        [
            "search",
            str(data),
            "--target",
            "label",
            "--n-trials",
            "1",
            "--max-rows",
            "10",
            "--storage",
            f"sqlite:///{tmp_path}/s.db",
            "--output",
            str(tmp_path / "runs"),
        ]
    )
    err = capsys.readouterr().err.strip()
    assert (
        code == 2
        and err.endswith("has more than 10 rows, over the row limit (raise it with --max-rows)")
        and len(err.splitlines()) == 1
    )

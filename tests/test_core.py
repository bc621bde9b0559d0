"""Core helpers: atomic writes and the deadline."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from automl._core import Deadline, DeadlineExceeded, InputError, atomic_write_bytes, atomic_write_json


def test_atomic_write_replaces_whole_files_with_shareable_permissions(tmp_path: Path) -> None:
    target = tmp_path / "sub" / "f.json"
    atomic_write_json(target, {"a": 1})
    atomic_write_bytes(target, b"new")
    assert target.read_bytes() == b"new"
    assert stat.S_IMODE(target.stat().st_mode) == 0o644
    assert [p.name for p in target.parent.iterdir()] == ["f.json"], "no temp file left behind"


def test_failed_write_keeps_the_old_file(tmp_path: Path) -> None:
    target = tmp_path / "f.bin"
    atomic_write_bytes(target, b"old")

    def explode(handle: object) -> None:
        raise RuntimeError("disk full")

    from automl._core import atomic_write

    with pytest.raises(RuntimeError):
        atomic_write(target, explode)
    assert target.read_bytes() == b"old"
    assert len(list(tmp_path.iterdir())) == 1


def test_deadline_with_a_fake_clock() -> None:
    now = [0.0]
    deadline = Deadline.after(10, clock=lambda: now[0])
    assert deadline.remaining() == 10 and not deadline.expired()
    assert deadline.earlier(4).remaining() == 6
    now[0] = 10.0
    with pytest.raises(DeadlineExceeded, match="fit stopped: the time budget ran out"):
        deadline.check("fit")
    assert not Deadline.unlimited().is_limited


def test_error_messages_stay_on_one_line_whatever_the_input_holds() -> None:
    """A user's value with line breaks, embedded unquoted, still gives a one-line message."""
    task = "\n\n  "
    error = InputError(f"unknown task '{task}'")
    assert str(error) == "unknown task '\\n\\n  '"
    assert str(InputError(str(error))) == str(error)  # idempotent: re-raising does not escape twice

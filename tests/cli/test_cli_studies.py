"""``automl studies list`` and ``automl studies delete``: real studies, real folders, real storage."""

from __future__ import annotations

import io
from pathlib import Path

import optuna
import pandas as pd
import pytest

import automl
from automl.cli import main


def _run(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    code = main(args)
    captured = capsys.readouterr()
    return code, captured.out, captured.err.strip()


@pytest.fixture
def two_studies(binary_frame: pd.DataFrame, tmp_path: Path) -> tuple[str, Path]:
    """Studies 'first' and 'second' (two trials each, models saved) in one SQLite file."""
    storage = f"sqlite:///{tmp_path}/s.db"
    for name in ("first", "second"):
        automl.search(
            binary_frame,
            "label",
            time_budget=None,
            n_trials=2,
            families=["logistic_regression"],
            storage=storage,
            study_name=name,
            output_dir=str(tmp_path / "runs"),
        )
    return storage, tmp_path / "runs"


def _names(storage: str) -> list[str]:
    return sorted(s.study_name for s in optuna.get_all_study_summaries(storage, include_best_trial=False))


def test_list_shows_every_study_with_its_trials_and_folder(
    two_studies: tuple[str, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    storage, runs = two_studies
    code, out, _ = _run(["studies", "list", "--storage", storage], capsys)
    assert code == 0
    rows = {line.split("│")[1].strip(): line for line in out.splitlines() if line.count("│") > 3}
    assert set(rows) == {"first", "second"}
    assert "roc_auc" in rows["first"] and "binary" in rows["first"] and str(runs)[:20] in rows["first"]
    assert rows["first"].split("│")[2].strip() == "2"


def test_study_is_another_name_for_studies(two_studies: tuple[str, Path], capsys: pytest.CaptureFixture[str]) -> None:
    storage, _ = two_studies
    assert _run(["study", "list", "--storage", storage], capsys) == _run(["studies", "list", "--storage", storage], capsys)


def test_delete_without_a_name_is_a_usage_error(two_studies: tuple[str, Path], capsys: pytest.CaptureFixture[str]) -> None:
    storage, _ = two_studies
    with pytest.raises(SystemExit) as exit_info:
        _run(["studies", "delete", "--storage", storage], capsys)
    assert exit_info.value.code == 2 and "the following arguments are required: name" in capsys.readouterr().err
    assert _names(storage) == ["first", "second"]


def test_delete_with_yes_removes_the_study_and_its_folder_only(
    two_studies: tuple[str, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    storage, runs = two_studies
    assert (runs / "first" / "models").is_dir()
    code, out, _ = _run(["studies", "delete", "first", "--storage", storage, "--yes"], capsys)
    assert code == 0 and "deleted study 'first' (2 trials) and its folder" in out
    assert _names(storage) == ["second"]
    assert sorted(p.name for p in runs.iterdir()) == ["second"]  # no leftover, hidden or not
    automl.load_best_model("second", storage)  # the other study is untouched


@pytest.mark.parametrize(("answer", "deleted"), [("y\n", True), ("n\n", False), ("", False)], ids=["yes", "no", "eof"])
def test_delete_asks_first(
    answer: str, deleted: bool, two_studies: tuple[str, Path], capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    storage, runs = two_studies
    monkeypatch.setattr("sys.stdin", io.StringIO(answer))
    code, out, _ = _run(["studies", "delete", "first", "--storage", storage], capsys)
    assert f"delete study 'first' (2 trials) and the folder {runs / 'first'}? [y/N]" in out
    assert (code, "first" not in _names(storage), not (runs / "first").exists()) == (0 if deleted else 1, deleted, deleted)


def test_unknown_study_is_a_one_line_error(two_studies: tuple[str, Path], capsys: pytest.CaptureFixture[str]) -> None:
    storage, _ = two_studies
    code, _, err = _run(["studies", "delete", "thrid", "--storage", storage, "--yes"], capsys)
    assert code == 2 and err == "automl studies: error: no study named 'thrid'; studies in this storage: first, second"


def test_missing_database_is_an_error_and_is_not_created(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = _run(["studies", "list", "--storage", f"sqlite:///{tmp_path}/none.db"], capsys)
    assert (
        code == 2 and err == f"automl studies: error: no database at '{tmp_path}/none.db' (storage sqlite:///{tmp_path}/none.db)"
    )
    assert not (tmp_path / "none.db").exists()


def test_a_folder_a_search_did_not_write_is_never_deleted(
    two_studies: tuple[str, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    """artifact_dir is data from the database: pointing it elsewhere must not delete other files."""
    storage, runs = two_studies
    precious = runs.parent / "precious"
    precious.mkdir()
    (precious / "thesis.tex").write_text("years of work")
    optuna.load_study(study_name="first", storage=storage).set_user_attr("artifact_dir", str(precious))
    code, _, err = _run(["studies", "delete", "first", "--storage", storage, "--yes"], capsys)
    assert code == 2 and len(err.splitlines()) == 1 and "is not named after the study ('first')" in err
    (runs / "second" / "notes.txt").write_text("mine")
    code, _, err = _run(["studies", "delete", "second", "--storage", storage, "--yes"], capsys)
    assert code == 2 and "holds files a search does not write (notes.txt)" in err
    assert (precious / "thesis.tex").is_file() and _names(storage) == ["first", "second"]
    assert (runs / "second" / "models").is_dir()


def test_a_study_without_folder_is_deleted_alone(
    binary_frame: pd.DataFrame, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    storage = f"sqlite:///{tmp_path}/s.db"
    automl.search(
        binary_frame,
        "label",
        time_budget=None,
        n_trials=1,
        families=["logistic_regression"],
        storage=storage,
        study_name="bare",
        output_dir=None,
    )
    code, out, _ = _run(["studies", "delete", "bare", "--storage", storage, "--yes"], capsys)
    assert code == 0 and "deleted study 'bare' (1 trials) (it recorded no artifact folder)" in out
    assert _names(storage) == []

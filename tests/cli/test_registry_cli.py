"""``automl registry`` / ``challenge`` / ``split`` from the command line: output, errors, concurrency."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
import sqlalchemy as sa

from automl.cli import main
from automl.registry import Registry, _tables as tables
from tests.registry.conftest import card_for, fit_model, make_table, search_lineage


def _run(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    code = main(argv)
    out, err = capsys.readouterr()
    return code, out, err


def dump(url: str) -> dict[str, list[tuple[object, ...]]]:
    """Every registry table's rows: compared before and after a command that must change nothing."""
    engine = sa.create_engine(url)
    try:
        with engine.connect() as conn:
            return {t.name: sorted(map(tuple, conn.execute(sa.select(t)).all()), key=repr) for t in tables.metadata.sorted_tables}
    finally:
        engine.dispose()


@pytest.fixture
def populated(tmp_path: Path) -> tuple[str, Path, pd.DataFrame]:
    """A registry with churn@1 (champion, one weak column) and churn@2 (challenger), and a holdout CSV."""
    table = make_table(1500, seed=5)
    train, holdout = table.iloc[:1000], table.iloc[1000:]
    url = f"sqlite:///{tmp_path}/reg.db"
    with Registry(url) as reg:
        reg.register("churn", fit_model(train, columns=["e"]), card=card_for(train), lineage=search_lineage(train))
        reg.register("churn", fit_model(train), card=card_for(train), lineage=search_lineage(train, parent=1))
    path = tmp_path / "holdout.csv"
    holdout.to_csv(path, index=False)
    return url, path, holdout


def test_list_show_history_lineage_and_json(
    populated: tuple[str, Path, pd.DataFrame], capsys: pytest.CaptureFixture[str]
) -> None:
    url = populated[0]
    code, out, _ = _run(["registry", "list", "--registry", url], capsys)
    assert code == 0 and "churn" in out
    code, out, _ = _run(["registry", "show", "churn@2", "--registry", url, "--json"], capsys)
    shown = json.loads(out)
    assert code == 0 and shown["aliases"] == ["challenger"] and shown["lineage"]["parent_version"] == 1
    code, out, _ = _run(["registry", "history", "churn", "--registry", url, "--json"], capsys)
    assert [e["kind"] for e in json.loads(out)] == ["registered", "alias_moved", "registered", "alias_moved"]
    code, out, _ = _run(["registry", "lineage", "churn@2", "--registry", url, "--json"], capsys)
    assert [v["version"] for v in json.loads(out)] == [2, 1]


def test_challenge_promote_rollback_and_alias_from_the_cli(
    populated: tuple[str, Path, pd.DataFrame], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    url, holdout, _ = populated
    code, out, _ = _run(
        [
            "challenge",
            "churn",
            "--challenger",
            "2",
            "--data",
            str(holdout),
            "--registry",
            url,
            "--slices",
            "group",
            "--promote",
            "--out",
            str(tmp_path / "report"),
            "--n-bootstrap",
            "300",
        ],
        capsys,
    )
    assert code == 0 and "PROMOTE" in out and "churn@2 is now the champion" in out
    assert (tmp_path / "report" / "report.html").exists()
    code, out, _ = _run(["registry", "history", "churn", "--registry", url, "--alias", "champion", "--at", "2999-01-01"], capsys)
    assert code == 0 and "version 2" in out and "promoted" in out
    code, out, _ = _run(["registry", "rollback", "churn", "--registry", url, "--reason", "pager"], capsys)
    assert code == 0 and "churn@1 is the champion of churn again" in out
    code, out, _ = _run(["registry", "alias", "churn", "shadow", "2", "--registry", url], capsys)
    assert code == 0
    code, out, _ = _run(["registry", "check", "--registry", url], capsys)
    assert code == 0 and "churn: ok" in out
    with Registry(url) as reg:
        assert reg.aliases("churn") == {"champion": 1, "shadow": 2}


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["registry", "show", "nope@1"], "no registered model named 'nope'"),
        (["registry", "show", "churn@9"], "churn has no version 9"),
        (["registry", "show", "churn@"], "is not valid"),
        (["registry", "promote", "churn@champion"], "already the champion"),
        (["registry", "promote", "churn@2", "--expect-champion", "2"], "is now version 1, not 2"),
        (["registry", "rollback", "churn"], "no earlier champion"),
        (["registry", "alias", "churn", "latest", "1"], "reserved"),
        (["challenge", "churn", "--challenger", "7", "--data", "{holdout}"], "churn has no version 7"),
        (["challenge", "nope", "--challenger", "2", "--data", "{holdout}"], "no registered model named 'nope'"),
        (
            ["challenge", "churn", "--challenger", "2", "--data", "{missing_column}"],
            "lacks column\\(s\\) the model was trained on: a",
        ),
        (["challenge", "churn", "--challenger", "2", "--data", "{empty}"], "is empty|no rows"),
        (["challenge", "churn", "--challenger", "2", "--data", "{holdout}", "--holdout-fraction", "0.5"], "not a sealed holdout"),
        (
            ["challenge", "churn", "--challenger", "2", "--data", "{holdout}", "--time-col", "nope", "--holdout-fraction", "0.5"],
            "time column 'nope' not found",
        ),
        (["challenge", "churn", "--challenger", "2", "--data", "{new_label}"], "label\\(s\\) the model never saw: 'maybe'"),
    ],
)
def test_bad_input_is_one_line_exit_2_and_changes_nothing(
    argv: list[str], message: str, populated: tuple[str, Path, pd.DataFrame], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    url, holdout, frame = populated
    files = {
        "holdout": holdout,
        "missing_column": tmp_path / "missing.csv",
        "empty": tmp_path / "empty.csv",
        "new_label": tmp_path / "label.csv",
    }
    frame.drop(columns=["a"]).to_csv(files["missing_column"], index=False)
    files["empty"].write_text("")
    frame.assign(y=["maybe", *list(frame["y"].iloc[1:])]).to_csv(files["new_label"], index=False)
    before = dump(url)
    code, out, err = _run([a.format(**{k: str(v) for k, v in files.items()}) for a in argv] + ["--registry", url], capsys)
    assert code == 2, out + err
    assert len(err.strip().splitlines()) == 1, err
    assert re.search(message, err), err
    assert dump(url) == before


def test_two_concurrent_promotions_exactly_one_wins(storage_url: str, tmp_path: Path) -> None:
    """Two real ``automl registry promote`` processes decided against the same champion (SQLite and PostgreSQL)."""
    train = make_table(300, seed=2)
    url = storage_url
    with Registry(url, artifacts=tmp_path / "registry_artifacts") as reg:
        for C in (1.0, 0.1, 0.01):
            reg.register("churn", fit_model(train, C=C), card=card_for(train), lineage=search_lineage(train))
    procs = [
        subprocess.Popen(
            [sys.executable, "-m", "automl", "registry", "promote", f"churn@{v}", "--expect-champion", "1", "--registry", url],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            cwd=tmp_path,
        )
        for v in (2, 3)
    ]
    results = [(p.wait(timeout=120), p.stdout.read(), p.stderr.read()) for p in procs]  # type: ignore[union-attr]
    codes = sorted(code for code, _, _ in results)
    assert codes == [0, 2], results
    loser = next(err for code, _, err in results if code == 2)
    assert len(loser.strip().splitlines()) == 1 and ("nothing was changed" in loser), loser
    with Registry(url) as reg:
        assert reg.check("churn") == []
        assert len([e for e in reg.history("churn") if e.kind == "promoted"]) == 1


def test_split_writes_a_time_ordered_holdout(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    frame = make_table(200, seed=1).assign(t=range(200, 0, -1))
    frame.to_csv(tmp_path / "data.csv", index=False)
    code, out, _ = _run(
        [
            "split",
            str(tmp_path / "data.csv"),
            "--target",
            "y",
            "--time-col",
            "t",
            "--holdout",
            "0.25",
            "--validation",
            "0.1",
            "--out",
            str(tmp_path / "parts"),
        ],
        capsys,
    )
    assert code == 0
    holdout = pd.read_csv(tmp_path / "parts" / "holdout.csv")
    train = pd.read_csv(tmp_path / "parts" / "train.csv")
    assert len(holdout) == 50 and holdout["t"].min() > train["t"].max()
    assert "fingerprint" in out

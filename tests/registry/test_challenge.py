"""``challenge``: sealed holdouts, decisions recorded with their evidence, reports and dashboard notes."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import optuna
import pandas as pd
import pytest
from optuna_dashboard import get_note

import automl
from automl._core import InputError
from automl.data import fingerprint, row_sketch
from automl.registry import GateConfig, Lineage, Registry, challenge

from .conftest import card_for, fit_model, make_table


def _lineage(frame: pd.DataFrame, parent: int | None = None) -> Lineage:
    X, y = frame.drop(columns="y"), frame["y"]
    return Lineage(
        "search",
        parent_version=parent,
        data_fingerprints=(fingerprint(X, y).content,),
        data_sketch=row_sketch(X, y).to_dict(),
        notes={"feature_columns": list(X.columns)},
    )


@pytest.fixture
def frames() -> dict[str, pd.DataFrame]:
    table = make_table(3000, seed=11)
    return {
        "train": table.iloc[:1000].reset_index(drop=True),
        "more": table.iloc[:2000].reset_index(drop=True),
        "holdout": table.iloc[2000:].reset_index(drop=True),
    }


def _register(registry: Registry, frame: pd.DataFrame, columns: list[str] | None = None, parent: int | None = None) -> int:
    model = fit_model(frame, columns=columns)
    return registry.register("churn", model, card=card_for(frame), lineage=_lineage(frame, parent)).version


def test_a_challenger_is_refused_on_the_data_it_was_trained_on(registry: Registry, frames: dict[str, pd.DataFrame]) -> None:
    _register(registry, frames["train"], columns=["e"])
    _register(registry, frames["more"], parent=1)
    more = frames["more"]
    with pytest.raises(InputError, match="churn@2 was trained or tuned on this holdout"):
        challenge(registry, "churn", "2", more.drop(columns="y"), more["y"])
    inside = more.iloc[100:900]  # not the same file, but rows it was trained on
    with pytest.raises(InputError, match=r"about \d+% of the holdout rows .* are in the data churn@2 was trained"):
        challenge(registry, "churn", "2", inside.drop(columns="y"), inside["y"])
    assert [e.kind for e in registry.history("churn")].count("evaluated") == 0  # refused before any verdict


def test_verdicts_are_recorded_with_evidence_and_the_promotion_moves_the_champion(
    registry: Registry, frames: dict[str, pd.DataFrame], tmp_path: Path
) -> None:
    _register(registry, frames["train"], columns=["e"])  # a clearly weak champion: one uninformative column
    _register(registry, frames["more"], parent=1)
    holdout = frames["holdout"]
    X, y = holdout.drop(columns="y"), holdout["y"]
    held = challenge(registry, "churn", "2", X, y, GateConfig(n_bootstrap=300), out=tmp_path / "r1")
    assert held.decision.verdict == "PROMOTE" and not held.promoted  # without promote=True only the verdict is kept
    assert registry.aliases("churn")["champion"] == 1
    done = challenge(registry, "churn", "challenger", X, y, GateConfig(n_bootstrap=300), promote=True, out=tmp_path / "r2")
    assert done.promoted and registry.aliases("churn") == {"champion": 2}
    evaluated = [e for e in registry.history("churn") if e.kind == "evaluated"]
    assert len(evaluated) == 2
    evidence = evaluated[-1].evidence
    assert evidence["decision"]["verdict"] == "PROMOTE"
    assert evidence["holdout_fingerprint"] == fingerprint(X, y).content
    assert evidence["decision"]["difference"]["ci_low"] > 0
    report = json.loads((tmp_path / "r2" / "report.json").read_text())
    assert report["champion"] == "churn@1" and report["challenger"] == "churn@2"
    html = (tmp_path / "r2" / "report.html").read_text()
    for expected in ("PROMOTE", "churn@1", "churn@2", "side by side", "Calibration", "<img"):
        assert expected in html
    assert registry.check("churn") == []


def test_a_rejected_challenger_loses_its_alias(registry: Registry, frames: dict[str, pd.DataFrame]) -> None:
    _register(registry, frames["more"])
    _register(registry, frames["train"], columns=["e"], parent=1)
    holdout = frames["holdout"]
    result = challenge(registry, "churn", "challenger", holdout.drop(columns="y"), holdout["y"], GateConfig(n_bootstrap=300))
    assert result.decision.verdict == "REJECT"
    assert registry.aliases("churn") == {"champion": 1}
    rejected = [e for e in registry.history("churn") if e.kind == "rejected"]
    assert len(rejected) == 1 and rejected[0].version == 2 and "significantly worse" in rejected[0].reason


def test_challenging_the_champion_itself_or_another_name_is_refused(registry: Registry, frames: dict[str, pd.DataFrame]) -> None:
    _register(registry, frames["train"])
    holdout = frames["holdout"]
    with pytest.raises(InputError, match="is the champion itself"):
        challenge(registry, "churn", "1", holdout.drop(columns="y"), holdout["y"])
    with pytest.raises(InputError, match="no rows"):
        challenge(registry, "churn", "1", holdout.drop(columns="y").iloc[:0], holdout["y"].iloc[:0])


def test_search_register_and_challenge_leave_notes_on_the_dashboard(tmp_path: Path, frames: dict[str, pd.DataFrame]) -> None:
    url = f"sqlite:///{tmp_path}/automl.db"
    common = dict(
        n_trials=2,
        time_budget=None,
        storage=url,
        output_dir=str(tmp_path / "runs"),
        families=["logistic_regression"],
        register="churn",
    )
    first = automl.search(frames["train"], "y", study_name="first", **common)
    second = automl.search(frames["more"], "y", study_name="second", **common)
    assert first.registered is not None and first.registered.aliases == ("champion",)
    assert second.registered is not None and second.registered.aliases == ("challenger",)
    assert second.registered.lineage.parent_version == 1 and second.registered.lineage.study_name == "second"
    assert second.registered.lineage.fit_seconds and second.registered.lineage.rows_seen == 2000
    with Registry(url) as registry:
        holdout = frames["holdout"]
        result = challenge(registry, "churn", "2", holdout.drop(columns="y"), holdout["y"], GateConfig(n_bootstrap=200))
    study = optuna.load_study(study_name="second", storage=url)
    note = get_note(study)
    assert "automl registry: `churn`" in note and "evaluated" in note and result.decision.verdict in note
    X = holdout.drop(columns="y")
    served = automl.load_model("churn@champion", registry=url)
    np.testing.assert_array_equal(served.predict(X), first.best_model.predict(X))


def test_the_report_html_is_self_contained(registry: Registry, frames: dict[str, pd.DataFrame], tmp_path: Path) -> None:
    _register(registry, frames["train"])
    _register(registry, frames["more"], parent=1)
    holdout = frames["holdout"]
    challenge(
        registry,
        "churn",
        "2",
        holdout.drop(columns="y"),
        holdout["y"],
        GateConfig(n_bootstrap=200, slices=("group",)),
        out=tmp_path / "report",
    )
    html = (tmp_path / "report" / "report.html").read_text()
    assert "http://" not in html and "https://" not in html
    assert html.count("<img") == 2  # the interval and the reliability diagrams
    assert "group" in html and "Slices" in html

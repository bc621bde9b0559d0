"""``update``: stateful / stateless / search / auto challengers, lineage, fallbacks and schema checks."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import optuna
import pandas as pd
import pytest
from sklearn.datasets import make_classification

import automl
import automl.cli
from automl._core import Deadline, DeadlineExceeded, InputError
from automl.continual import UpdateConfig, _update as update_module, update
from automl.registry import GateConfig, Registry
from tests.cli.test_registry_cli import dump


def stream(n: int = 3000, seed: int = 0) -> pd.DataFrame:
    X, y = make_classification(n_samples=n, n_features=5, n_informative=4, n_redundant=0, random_state=seed)
    frame = pd.DataFrame(X, columns=[f"f{i}" for i in range(5)])
    frame["shop"] = np.where(X[:, 1] > 0, "web", "store")
    frame["y"] = np.where(y == 1, "buy", "skip")
    return frame


@pytest.fixture
def registered(tmp_path: Path) -> tuple[str, pd.DataFrame, Path]:
    """churn@1 from a real search on the first 1500 rows (a CSV, so the lineage can read it again)."""
    data = stream()
    old = tmp_path / "old.csv"
    data.iloc[:1500].to_csv(old, index=False)
    url = f"sqlite:///{tmp_path}/automl.db"
    automl.search(
        str(old),
        "y",
        n_trials=3,
        time_budget=None,
        families=["xgboost", "logistic_regression"],
        study_name="first",
        storage=url,
        output_dir=str(tmp_path / "runs"),
        register="churn",
        ensemble="none",
    )
    return url, data, old


def test_stateful_update_continues_the_champion_and_records_its_lineage(
    registered: tuple[str, pd.DataFrame, Path], tmp_path: Path
) -> None:
    url, data, _ = registered
    new = tmp_path / "new.csv"
    data.iloc[1500:2100].to_csv(new, index=False)
    result = automl.update("churn", str(new), mode="stateful", registry=url, gate=GateConfig(n_bootstrap=200))
    version = result.version
    assert version.version == 2 and version.lineage.mode == "stateful" and version.lineage.parent_version == 1
    assert version.lineage.rows_seen == 1500 + 480  # the newest 20% of the new rows are the gate's
    assert len(version.lineage.data_sources) == 2 and version.lineage.data_sources[1]["stop"] == 480
    assert len(version.lineage.data_fingerprints) == 2
    assert result.challenge.decision.verdict in ("PROMOTE", "HOLD", "REJECT")
    with Registry(url) as reg:
        events = [e.kind for e in reg.history("churn")]
        assert events[-1] == "evaluated" or "rejected" in events
        assert reg.check("churn") == []


def test_stateless_update_retrains_on_everything_the_champion_saw_plus_the_new_rows(
    registered: tuple[str, pd.DataFrame, Path],
) -> None:
    url, data, old = registered
    with Registry(url) as reg:
        result = update(reg, "churn", data.iloc[1500:2100], "y", UpdateConfig(mode="stateless", gate=GateConfig(n_bootstrap=200)))
    assert result.version.lineage.mode == "stateless" and result.version.lineage.rows_seen == 1500 + 480
    windowed = None
    with Registry(url) as reg:
        windowed = update(
            reg, "churn", data.iloc[1500:2100], "y", UpdateConfig(mode="stateless", window=700, gate=GateConfig(n_bootstrap=200))
        )
    assert windowed.version.lineage.rows_seen == 700
    old.write_text(old.read_text() + "\n")  # the champion's training file changes: its rows are no longer what it saw
    with Registry(url) as reg, pytest.raises(InputError, match=r"training data of churn@1 changed: '.*old\.csv'"):
        update(reg, "churn", data.iloc[1500:2100], "y", UpdateConfig(mode="stateless"))


def test_auto_compares_candidates_at_a_corrected_confidence(registered: tuple[str, pd.DataFrame, Path]) -> None:
    url, data, _ = registered
    with Registry(url) as reg:
        result = update(reg, "churn", data.iloc[1500:2500], "y", UpdateConfig(mode="auto", gate=GateConfig(n_bootstrap=200)))
    assert set(result.candidates) == {"stateful", "stateless"}
    assert result.challenge.decision.config.confidence == pytest.approx(0.975)
    assert result.version.lineage.notes["strategy"] == result.built.strategy
    assert set(result.version.lineage.notes["auto_candidates"]) == {"stateful", "stateless"}


def test_search_update_starts_from_the_champion_studys_best_configurations(registered: tuple[str, pd.DataFrame, Path]) -> None:
    url, data, _ = registered
    champion_best = optuna.load_study(study_name="first", storage=url).best_trial.params
    with Registry(url) as reg:
        result = update(
            reg,
            "churn",
            data.iloc[1500:2100],
            "y",
            UpdateConfig(mode="search", time_budget=15, gate=GateConfig(n_bootstrap=200)),
            storage=url,
        )
    study_name = result.version.lineage.study_name
    assert result.version.lineage.mode == "search" and study_name != "first"
    assert optuna.load_study(study_name=study_name, storage=url).trials[0].params == champion_best


def test_a_family_that_cannot_continue_falls_back_and_says_so(tmp_path: Path) -> None:
    data = stream(1500, seed=1)
    url = f"sqlite:///{tmp_path}/automl.db"
    automl.search(
        data.iloc[:900],
        "y",
        n_trials=1,
        time_budget=None,
        families=["adaboost"],
        storage=url,
        output_dir=str(tmp_path / "runs"),
        register="ada",
        ensemble="none",
    )
    with Registry(url) as reg:
        result = update(reg, "ada", data.iloc[900:], "y", UpdateConfig(mode="stateful", gate=GateConfig(n_bootstrap=200)))
    lineage = result.version.lineage
    assert lineage.mode == "stateless"  # nothing could continue: in effect a retrain
    assert "AdaBoost" in lineage.notes["fallback_to_stateless"][0]
    assert "not on record" in lineage.notes["window"]  # the champion was trained on a DataFrame


@pytest.mark.parametrize(
    ("mutate", "message"),
    [
        (lambda f: f.drop(columns=["f2"]), "missing column\\(s\\) f2"),
        (lambda f: f.assign(extra=1.0), "extra column\\(s\\) extra"),
        (lambda f: f.assign(f3=f["f3"].astype(str) + "x"), "retyped column\\(s\\) f3 \\(numeric -> categorical\\)"),
        (lambda f: f.assign(y=["maybe"] * 10 + list(f["y"].iloc[10:])), "target class\\(es\\) churn@1 never saw: maybe"),
        (lambda f: f.iloc[:20], "too few"),
    ],
)
def test_mismatched_new_data_is_refused_and_nothing_is_registered(
    registered: tuple[str, pd.DataFrame, Path], mutate: object, message: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    url, data, _ = registered
    bad = tmp_path / "bad.csv"
    mutate(data.iloc[1500:2100].reset_index(drop=True)).to_csv(bad, index=False)  # type: ignore[operator]
    before = dump(url)
    code = automl.cli.main(["update", "churn", "--data", str(bad), "--registry", url])
    err = capsys.readouterr().err
    assert code == 2 and len(err.strip().splitlines()) == 1, err
    assert re.search(message, err), err
    assert dump(url) == before


def test_auto_gives_each_candidate_its_share_of_the_time(monkeypatch: pytest.MonkeyPatch) -> None:
    """A retrain that uses up its share is left out, and the search after it still gets the rest
    (it used to get whatever the retrain left: 1 s in the elec2 replay)."""
    now = [0.0]
    given: dict[str, float] = {}

    def fake_build(mode: str, champion: object, rows: object, config: object, deadline: Deadline, storage: object) -> str:
        given[mode] = deadline.remaining()
        if mode == "stateless":  # runs out of its share
            now[0] += deadline.remaining()
            raise DeadlineExceeded("fit stopped: the time budget ran out")
        now[0] += 1.0
        return mode

    monkeypatch.setattr(update_module, "_build", fake_build)
    config = UpdateConfig(mode="auto", time_budget=31)
    builds, unfinished = update_module._build_all(
        ["stateful", "stateless", "search"],
        None,
        None,
        config,
        Deadline(31.0, lambda: now[0]),
        None,  # type: ignore[arg-type]
    )
    assert given == pytest.approx({"stateful": 31 / 3, "stateless": 15.0, "search": 15.0})
    assert set(builds) == {"stateful", "search"} and set(unfinished) == {"stateless"}

"""Champion/challenger end to end on the time-ordered dev dataset, and SIGKILLs during registry writes.

Both drive real ``automl`` processes on a real SQLite registry; they are slow (minutes) and run in CI's slow suite.
"""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from automl.models import ModelCard, TabularModel
from automl.registry import Lineage, Registry
from tests.conftest import shared_dataset
from tests.registry.conftest import card_for, fit_model, make_table, search_lineage

pytestmark = [pytest.mark.slow, pytest.mark.integration]


def automl(*args: str, cwd: Path, check: bool = True) -> subprocess.CompletedProcess[str]:
    done = subprocess.run([sys.executable, "-m", "automl", *args], capture_output=True, text=True, cwd=cwd, timeout=600)
    if check:
        assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    return done


def test_champion_challenger_on_elec2_from_the_cli(tmp_path: Path) -> None:
    path, entry = shared_dataset("elec2")
    frame = pd.read_csv(path)
    n, target = len(frame), entry["target"]
    frame.iloc[: n // 3].to_csv(tmp_path / "first.csv", index=False)
    frame.iloc[: 2 * n // 3].to_csv(tmp_path / "more.csv", index=False)
    recent = frame.iloc[2 * n // 3 :].copy()
    recent.insert(0, "t", np.arange(2 * n // 3, n))
    recent.to_csv(tmp_path / "recent.csv", index=False)
    registry = ["--registry", "sqlite:///automl.db"]
    holdout = ["--data", "recent.csv", "--time-col", "t", "--holdout-fraction", "0.5"]

    # 1. a search on the first third becomes the champion; 2. a search on more data the challenger
    automl(
        "search", "first.csv", "--target", target, "--time-budget", "25", "--study", "first", "--register", "elec", cwd=tmp_path
    )
    automl("search", "more.csv", "--target", target, "--time-budget", "25", "--study", "more", "--register", "elec", cwd=tmp_path)
    with Registry(f"sqlite:///{tmp_path}/automl.db") as reg:
        assert reg.aliases("elec") == {"champion": 1, "challenger": 2}

    # 3. the challenge on the newest rows records a verdict with its interval
    automl("challenge", "elec", "--challenger", "2", *holdout, "--promote", "--slices", "period", *registry, cwd=tmp_path)
    with Registry(f"sqlite:///{tmp_path}/automl.db") as reg:
        first_verdict = [e for e in reg.history("elec") if e.kind == "evaluated"][-1].evidence["decision"]
        assert first_verdict["verdict"] in ("PROMOTE", "HOLD", "REJECT")
        assert first_verdict["difference"]["ci_low"] is not None and first_verdict["difference"]["ci_high"] is not None
        champion = reg.aliases("elec")["champion"]
        # 4. a clearly worse challenger (one feature, registered through the API) is rejected
        train = pd.read_csv(tmp_path / "first.csv")
        weak = TabularModel("logistic_regression", {"C": 1.0}, "binary", True, "onehot").fit(train[["period"]], train[target])
        reg.register(
            "elec",
            weak,
            card=_card(train, target, "one-feature logistic"),
            lineage=Lineage("external", parent_version=champion, notes={"feature_columns": ["period"]}),
        )
    automl("challenge", "elec", "--challenger", "3", *holdout, *registry, cwd=tmp_path)
    with Registry(f"sqlite:///{tmp_path}/automl.db") as reg:
        assert reg.history("elec", kinds=("rejected",))[-1].version == 3
        # 5. with the weak model made champion by hand, the first search's model is promoted by the gate
        reg.promote("elec@3", reason="test: a weak champion to beat")
        X = pd.read_csv(tmp_path / "recent.csv").drop(columns=[target])
        before = reg.get("elec@champion").model.predict_proba(X)
    done = automl("challenge", "elec", "--challenger", "1", *holdout, "--promote", *registry, cwd=tmp_path)
    assert "PROMOTE" in done.stdout and "elec@1 is now the champion" in done.stdout
    # 6. the lineage shows the chain, 7. rollback restores the previous champion with identical predictions
    lineage = json.loads(automl("registry", "lineage", "elec@3", "--json", *registry, cwd=tmp_path).stdout)
    chain = [v["version"] for v in lineage]
    assert chain[:2] == [3, champion] and chain[-1] == 1
    automl("registry", "rollback", "elec", "--reason", "test", *registry, cwd=tmp_path)
    with Registry(f"sqlite:///{tmp_path}/automl.db") as reg:
        assert reg.aliases("elec")["champion"] == 3
        np.testing.assert_array_equal(reg.get("elec@champion").model.predict_proba(X), before)
        verdicts = [e.evidence["decision"]["verdict"] for e in reg.history("elec", kinds=("evaluated",))]
        assert "PROMOTE" in verdicts and ("REJECT" in verdicts or "HOLD" in verdicts)
        assert reg.check("elec") == []
    history = automl("registry", "history", "elec", *registry, cwd=tmp_path).stdout
    for kind in ("registered", "evaluated", "rejected", "promoted", "rolled_back"):
        assert kind in history


def _card(train: pd.DataFrame, target: str, family: str) -> ModelCard:
    return ModelCard(
        task="binary",
        metric="roc_auc",
        family=family,
        params={},
        cv_score=None,
        data_fingerprint="external",
        target=target,
        classes=sorted(train[target].unique().tolist()),
    )


def _run_and_kill(argv: list[str], kind: str, windows: dict[str, float], rng: random.Random, cwd: Path) -> int:
    """Run ``automl *argv``; the first run of a ``kind`` goes unkilled and times it (start-up, the work,
    then the registry transaction), later ones are SIGKILLed at a random moment inside that time.
    Measured, not fixed: a fixed window is too long on a fast machine (the process ends first) and
    too short on a slow one. Returns 1 when the process was killed, else 0."""
    started = time.monotonic()
    proc = subprocess.Popen(
        [sys.executable, "-m", "automl", *argv], cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    if kind not in windows:
        assert proc.wait() == 0, f"an unkilled {kind} failed"
        windows[kind] = time.monotonic() - started
        return 0
    time.sleep(rng.uniform(0.3, 0.97 * windows[kind]))
    killed = proc.poll() is None
    if killed:
        os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    return int(killed)


def test_sigkill_during_promote_or_search_register_never_breaks_the_registry(tmp_path: Path) -> None:
    """>= 30 real processes killed at random moments: the champion always loads and the history matches the aliases."""
    train = make_table(400, seed=3)
    train.to_csv(tmp_path / "train.csv", index=False)
    url = f"sqlite:///{tmp_path}/reg.db"
    with Registry(url) as reg:
        for C in (1.0, 0.3, 0.1):
            reg.register("churn", fit_model(train, C=C), card=card_for(train), lineage=search_lineage(train))
    X = train.drop(columns="y")
    rng = random.Random(0)
    kills: dict[str, int] = {"promote": 0, "search": 0}
    windows: dict[str, float] = {}  # how long each kind takes on this machine (see _run_and_kill)
    attempt = 0
    while sum(kills.values()) < 30:
        attempt += 1
        assert attempt <= 80, f"only {kills} kills in 80 attempts: the processes finish before the kill window"
        kind = "promote" if attempt % 2 == 0 else "search"
        with Registry(url) as reg:
            versions = [v.version for v in reg.versions("churn")]
            champion = reg.aliases("churn")["champion"]
        if kind == "promote":
            target = rng.choice([v for v in versions if v != champion])
            argv = ["registry", "promote", f"churn@{target}", "--registry", url]
        else:
            argv = [
                "search",
                "train.csv",
                "--target",
                "y",
                "--n-trials",
                "1",
                "--families",
                "logistic_regression",
                "--study",
                f"s{attempt}",
                "--storage",
                f"sqlite:///{tmp_path}/studies.db",
                "--register",
                "churn",
                "--registry",
                url,
            ]
        kills[kind] += _run_and_kill(argv, kind, windows, rng, tmp_path)
        with Registry(url) as reg:
            assert reg.get("churn@champion").model.predict(X).shape == (len(X),)
            assert reg.check("churn", artifacts=False) == [], f"after attempt {attempt} ({kind})"
        if attempt % 8 == 0:  # the CLI parses the same history
            events = json.loads(automl("registry", "history", "churn", "--json", "--registry", url, cwd=tmp_path).stdout)
            assert events and all("kind" in e for e in events)
    with Registry(url) as reg:
        assert reg.check("churn") == []
        versions_now = len(reg.versions("churn"))
    print(
        f"\nSIGKILLed {kills['promote']} promote and {kills['search']} search --register processes in {attempt} attempts "
        f"(unkilled: promote {windows['promote']:.1f} s, search {windows['search']:.1f} s); "
        f"{versions_now} versions registered, history consistent after every kill"
    )


def test_sigkill_during_update_never_leaves_a_half_registered_version(tmp_path: Path) -> None:
    """>= 30 real ``automl update`` processes killed at random moments: no version without its artifact,
    the champion always loads, the history always matches the aliases."""
    from tests.continual.test_update import stream

    data = stream(2400, seed=9)
    data.iloc[:1200].to_csv(tmp_path / "old.csv", index=False)
    data.iloc[1200:].to_csv(tmp_path / "new.csv", index=False)
    url = f"sqlite:///{tmp_path}/reg.db"
    automl(
        "search",
        "old.csv",
        "--target",
        "y",
        "--n-trials",
        "2",
        "--families",
        "logistic_regression,xgboost",
        "--study",
        "first",
        "--storage",
        url,
        "--register",
        "churn",
        cwd=tmp_path,
    )
    X = data.drop(columns="y")
    rng = random.Random(1)
    windows: dict[str, float] = {}  # each mode's unkilled duration on this machine
    kills, attempt = 0, 0
    while kills < 30:
        attempt += 1
        assert attempt <= 80, f"only {kills} kills in 80 attempts"
        mode = rng.choice(["stateful", "stateless", "auto"])
        argv = ["update", "churn", "--data", "new.csv", "--mode", mode, "--registry", url, "--n-bootstrap", "200", "--promote"]
        kills += _run_and_kill(argv, f"{mode} update", windows, rng, tmp_path)
        with Registry(url) as reg:
            assert reg.get("churn@champion").model.predict(X).shape == (len(X),)
            assert reg.check("churn") == [], f"after attempt {attempt}"  # artifacts of every version verify too
    with Registry(url) as reg:
        versions = reg.versions("churn")
    durations = ", ".join(f"{mode} {seconds:.1f} s" for mode, seconds in sorted(windows.items()))
    print(
        f"\nSIGKILLed {kills} update processes in {attempt} attempts (unkilled: {durations}); "
        f"{len(versions)} versions, every one complete"
    )

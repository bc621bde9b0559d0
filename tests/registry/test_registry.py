"""The registry: versions, aliases, history, lineage, digests and concurrent writers (real SQLite files)."""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import sqlalchemy as sa

import automl
from automl._core import ArtifactError, InputError
from automl.registry import Lineage, Registry, RegistryConflict, parse_time

from .conftest import card_for, fit_model, search_lineage


def test_register_sets_champion_then_challenger_and_loads_what_was_saved(
    registry: Registry, model_folder: Callable[..., Path], train_frame: pd.DataFrame
) -> None:
    first = registry.register("churn", model_folder(), lineage=search_lineage(train_frame))
    second = registry.register("churn", model_folder(C=0.01), lineage=search_lineage(train_frame, parent=1))
    assert (first.version, first.aliases) == (1, ("champion",))
    assert (second.version, second.aliases) == (2, ("challenger",))
    assert registry.aliases("churn") == {"champion": 1, "challenger": 2}
    X = train_frame.drop(columns="y")
    loaded = registry.get("churn@champion")
    np.testing.assert_allclose(loaded.model.predict_proba(X), fit_model(train_frame).predict_proba(X))
    assert loaded.version.ref == "churn@1" and loaded.card.task == "binary"
    assert registry.version("churn@latest").version == 2
    assert registry.version("churn").version == 1  # a bare name is its champion


def test_artifacts_are_stored_under_their_digest_and_deduplicated(
    registry: Registry, model_folder: Callable[..., Path], train_frame: pd.DataFrame
) -> None:
    folder = model_folder()
    a = registry.register("a", folder, lineage=search_lineage(train_frame))
    b = registry.register("b", folder, lineage=search_lineage(train_frame))
    assert a.digest == b.digest
    assert registry.store.path(a.digest).is_dir()
    assert set(a.files) == {"model.skops", "model_card.json"}


def test_a_one_byte_change_to_a_registered_artifact_is_refused(
    registry: Registry, model_folder: Callable[..., Path], train_frame: pd.DataFrame
) -> None:
    version = registry.register("churn", model_folder(), lineage=search_lineage(train_frame))
    path = registry.store.path(version.digest) / "model.skops"
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0x01
    path.write_bytes(bytes(data))
    with pytest.raises(ArtifactError, match=r"model\.skops' does not match the SHA-256 registry version churn@1 records"):
        registry.get("churn@1")
    with pytest.raises(ArtifactError, match="does not match the SHA-256"):
        automl.load_model("churn@champion", registry=registry.url)
    assert any("was changed" in p for p in registry.check("churn"))


def test_a_missing_artifact_file_is_refused(
    registry: Registry, model_folder: Callable[..., Path], train_frame: pd.DataFrame
) -> None:
    version = registry.register("churn", model_folder(), lineage=search_lineage(train_frame))
    (registry.store.path(version.digest) / "model_card.json").unlink()
    with pytest.raises(ArtifactError, match=re.escape("model_card.json' is missing, but registry version churn@1 records")):
        registry.get("churn@1")


def test_promote_and_rollback_move_the_champion_and_record_why(
    registry: Registry, model_folder: Callable[..., Path], train_frame: pd.DataFrame
) -> None:
    registry.register("churn", model_folder(), lineage=search_lineage(train_frame))
    registry.register("churn", model_folder(C=0.01), lineage=search_lineage(train_frame, parent=1))
    X = train_frame.drop(columns="y")
    before = registry.get("churn@champion").model.predict_proba(X)
    registry.promote("churn@2", reason="better on last week", evidence={"delta": 0.01})
    assert registry.aliases("churn") == {"champion": 2}  # the challenger alias went with the promotion
    promoted = next(e for e in registry.history("churn") if e.kind == "promoted")
    assert (promoted.alias, promoted.from_version, promoted.to_version) == ("champion", 1, 2)
    assert promoted.reason == "better on last week" and promoted.evidence == {"delta": 0.01}
    restored = registry.rollback("churn", reason="alerts fired")
    assert restored.version == 1
    np.testing.assert_array_equal(registry.get("churn@champion").model.predict_proba(X), before)
    assert registry.history("churn")[-1].kind == "rolled_back"
    assert registry.check("churn") == []
    with pytest.raises(InputError, match="already the champion"):
        registry.promote("churn@1")


def test_rollback_without_an_earlier_champion_is_refused(
    registry: Registry, model_folder: Callable[..., Path], train_frame: pd.DataFrame
) -> None:
    registry.register("churn", model_folder(), lineage=search_lineage(train_frame))
    with pytest.raises(InputError, match="no earlier champion"):
        registry.rollback("churn")


def test_alias_history_answers_who_was_champion_when_and_why(
    registry: Registry, model_folder: Callable[..., Path], train_frame: pd.DataFrame
) -> None:
    registry.register("churn", model_folder(), lineage=search_lineage(train_frame))
    registry.register("churn", model_folder(C=0.01), lineage=search_lineage(train_frame, parent=1))
    time.sleep(0.01)
    between = parse_time(pd.Timestamp.now(tz="UTC").isoformat())
    time.sleep(0.01)
    registry.promote("churn@2", reason="won the gate")
    version, since, change = registry.alias_at("churn", "champion", between)
    assert version == 1 and since is not None and since.kind == "alias_moved"
    assert change is not None and change.kind == "promoted" and change.reason == "won the gate" and change.to_version == 2
    assert registry.alias_at("churn", "champion", "2000-01-01T00:00:00.000000Z")[0] is None


def test_lineage_walks_parents(registry: Registry, model_folder: Callable[..., Path], train_frame: pd.DataFrame) -> None:
    registry.register("churn", model_folder(), lineage=search_lineage(train_frame))
    registry.register("churn", model_folder(C=0.5), lineage=Lineage("stateful", parent_version=1))
    registry.register("churn", model_folder(C=0.1), lineage=Lineage("stateless", parent_version=2))
    assert [v.version for v in registry.lineage("churn@3")] == [3, 2, 1]
    assert [v.lineage.mode for v in registry.lineage("churn@latest")] == ["stateless", "stateful", "search"]


def test_register_a_fitted_model_with_its_card(registry: Registry, train_frame: pd.DataFrame) -> None:
    model = fit_model(train_frame, columns=["a"])
    version = registry.register("one_feature", model, card=card_for(train_frame), lineage=Lineage("external"), alias="baseline")
    assert version.aliases == ("baseline",)
    X = train_frame.drop(columns="y")
    np.testing.assert_array_equal(registry.get("one_feature@baseline").model.predict(X), model.predict(X))
    with pytest.raises(InputError, match="needs its ModelCard"):
        registry.register("one_feature", model, lineage=Lineage("external"))


def test_unknown_names_versions_and_aliases_are_one_line_errors(
    registry: Registry, model_folder: Callable[..., Path], train_frame: pd.DataFrame
) -> None:
    registry.register("churn", model_folder(), lineage=search_lineage(train_frame))
    with pytest.raises(InputError, match="no registered model named 'chrun' \\(did you mean 'churn'\\?\\)"):
        registry.version("chrun@1")
    with pytest.raises(InputError, match="churn has no version 7"):
        registry.get("churn@7")
    with pytest.raises(InputError, match=r"churn has no challenger .*aliases: champion"):
        registry.version("churn@challenger")
    with pytest.raises(InputError, match="has no version 9"):
        registry.set_alias("churn", "shadow", 9)


def test_check_finds_an_alias_table_that_disagrees_with_the_history(
    registry: Registry, model_folder: Callable[..., Path], train_frame: pd.DataFrame
) -> None:
    registry.register("churn", model_folder(), lineage=search_lineage(train_frame))
    registry.register("churn", model_folder(C=0.01), lineage=search_lineage(train_frame))
    with registry.engine.begin() as conn:
        conn.execute(sa.text("UPDATE automl_registry_aliases SET version = 2 WHERE alias = 'champion'"))
    assert any("differ from the history" in p for p in registry.check("churn"))


def test_an_interrupted_registration_leaves_only_an_unreferenced_artifact(
    registry: Registry, model_folder: Callable[..., Path], train_frame: pd.DataFrame
) -> None:
    registry.register("churn", model_folder(), lineage=search_lineage(train_frame))
    registry.store.put(model_folder(C=0.3))  # the artifact step of a registration whose transaction never ran
    assert len(registry.orphan_artifacts()) == 1
    assert registry.check("churn") == [] and len(registry.versions("churn")) == 1


def test_in_memory_registry_works_and_cleans_up(model_folder: Callable[..., Path], train_frame: pd.DataFrame) -> None:
    with Registry("sqlite://") as reg:
        reg.register("m", model_folder(), lineage=search_lineage(train_frame))
        root = reg.store.root
        assert reg.get("m@champion").version.version == 1
    assert not root.exists()


def test_concurrent_promotions_against_the_same_champion_exactly_one_wins(
    registry_url: str, model_folder: Callable[..., Path], train_frame: pd.DataFrame
) -> None:
    url = registry_url
    with Registry(url) as reg:
        for C in (1.0, 0.1, 0.01):
            reg.register("churn", model_folder(C=C), lineage=search_lineage(train_frame))
    barrier = threading.Barrier(2)
    outcomes: dict[int, str] = {}

    def promote(version: int) -> None:
        with Registry(url) as reg:
            champion = reg.aliases("churn")["champion"]  # what each decision was made against
            barrier.wait()
            try:
                reg.promote(f"churn@{version}", reason=f"thread {version}", expected_champion=champion)
                outcomes[version] = "won"
            except RegistryConflict as exc:
                outcomes[version] = str(exc)

    threads = [threading.Thread(target=promote, args=(v,)) for v in (2, 3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(o == "won" for o in outcomes.values()) == [False, True], outcomes
    loser = next(o for o in outcomes.values() if o != "won")
    assert "nothing was changed" in loser
    with Registry(url) as reg:
        winner = next(v for v, o in outcomes.items() if o == "won")
        assert reg.aliases("churn")["champion"] == winner
        assert reg.check("churn") == []
        assert len([e for e in reg.history("churn") if e.kind == "promoted"]) == 1


def test_concurrent_registrations_get_distinct_versions(
    registry_url: str, model_folder: Callable[..., Path], train_frame: pd.DataFrame
) -> None:
    url = registry_url
    folders = [model_folder(C=c) for c in (1.0, 0.5, 0.2, 0.1)]
    barrier = threading.Barrier(len(folders))
    versions: list[int] = []

    def register(folder: Path) -> None:
        with Registry(url) as reg:
            barrier.wait()
            versions.append(reg.register("churn", folder, lineage=search_lineage(train_frame)).version)

    threads = [threading.Thread(target=register, args=(f,)) for f in folders]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(versions) == [1, 2, 3, 4]
    with Registry(url) as reg:
        assert reg.aliases("churn")["champion"] in versions
        assert reg.check("churn") == []


def test_an_unreachable_database_is_a_one_line_error_without_the_password() -> None:
    with pytest.raises(InputError) as raised:
        Registry("postgresql://nobody:hunter2@127.0.0.1:1/none")
    message = str(raised.value)
    assert "\n" not in message and "hunter2" not in message and "nobody:***@127.0.0.1:1" in message


def test_lineage_round_trips_through_the_registry(registry: Registry, model_folder: Callable[..., Path]) -> None:
    lineage = Lineage(
        "stateful",
        parent_version=None,
        data_fingerprints=("abc",),
        trial_numbers=(3, 4),
        fit_seconds=1.5,
        cpu_seconds=2.0,
        rows_seen=50,
        notes={"fallback": "none"},
    )
    registry.register("m", model_folder(), lineage=lineage)
    assert registry.version("m@1").lineage == lineage

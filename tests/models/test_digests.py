"""Digests of saved model folders: recorded at save time, checked on every load, mismatches named."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pandas as pd
import pytest

from automl._core import ArtifactError, sha256_file
from automl.models import _persist, artifact_digests, load_card, load_model
from tests.models import hostile


@pytest.fixture
def folder(binary_frame: pd.DataFrame, tmp_path: Path) -> Path:
    return hostile.genuine_model(tmp_path / "m", binary_frame.drop(columns="colour"))


def test_artifact_digests_cover_every_file_of_the_folder(folder: Path) -> None:
    digests = artifact_digests(folder)
    assert digests == {name: sha256_file(folder / name) for name in ("model.skops", "model_card.json")}
    assert load_card(folder).model_sha256 == digests["model.skops"]
    load_model(folder, expected_digests=digests, digest_source="registry version churn@3")


def test_mismatch_names_the_file_both_digests_and_the_record(folder: Path) -> None:
    digests = artifact_digests(folder)
    wrong = {**digests, "model_card.json": "0" * 64}
    with pytest.raises(ArtifactError) as info:
        load_model(folder, expected_digests=wrong, digest_source="registry version churn@3")
    message = str(info.value)
    assert str(folder / "model_card.json") in message and "registry version churn@3 records 000000000000" in message
    assert digests["model_card.json"][:12] in message and len(message.splitlines()) == 1


def test_card_mismatch_says_the_card_disagrees(folder: Path) -> None:
    hostile.change_one_coefficient(folder)
    with pytest.raises(
        ArtifactError,
        match=r"model\.skops' does not match the SHA-256 its model card records: "
        r"file [0-9a-f]{12}, its model card records [0-9a-f]{12}",
    ):
        load_model(folder)


def test_a_recorded_file_that_is_missing_is_named(folder: Path) -> None:
    with pytest.raises(ArtifactError, match=r"extra\.bin' is missing, but study 'x' records its SHA-256 abcdefabcdef"):
        load_model(folder, expected_digests={"extra.bin": "abcdef" * 10 + "abcd"}, digest_source="study 'x'")


def test_card_without_a_digest_is_refused(folder: Path) -> None:
    card = json.loads((folder / "model_card.json").read_text())
    card["model_sha256"] = None
    (folder / "model_card.json").write_text(json.dumps(card))
    with pytest.raises(ArtifactError, match="its model card records none"):
        load_model(folder)


def test_each_file_is_read_once_and_its_bytes_are_what_is_checked(folder: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """No time-of-check/time-of-use gap: the digest is of the bytes skops then loads."""
    recorded = artifact_digests(folder)
    reads: list[str] = []
    original = _persist._read

    def counting(path: Path, max_bytes: int, what: str) -> bytes:
        reads.append(path.name)
        return original(path, max_bytes, what)

    monkeypatch.setattr(_persist, "_read", counting)
    monkeypatch.setattr(_persist, "sha256_file", lambda path: pytest.fail(f"{path} was digested from disk a second time"))
    loaded: list[bytes] = []
    real_loads = __import__("skops.io", fromlist=["loads"]).loads
    monkeypatch.setattr("skops.io.loads", lambda data, trusted: loaded.append(data) or real_loads(data, trusted=trusted))
    load_model(folder, expected_digests=recorded, digest_source="test")
    assert sorted(reads) == ["model.skops", "model_card.json"]
    assert hashlib.sha256(loaded[0]).hexdigest() == load_card(folder).model_sha256


def test_oversized_model_file_is_refused_before_it_is_read(folder: Path) -> None:
    from automl._core import Limits

    with pytest.raises(ArtifactError, match=r"model file '.*model\.skops' is .* over the 1 KiB limit"):
        load_model(folder, limits=Limits(max_model_bytes=1024))

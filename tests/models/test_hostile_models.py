"""A model folder written by someone else must never run code: every entry point refuses hostile files.

The folders start from a genuine saved model (a real search's best model); each attack edits the
skops schema the way an attacker with write access to the folder could, and also fixes up the
card's digest (and, for ``load_best_model``, the study's record), so that the type allow-list is
what has to refuse the file. The planted code would create a marker file; it must not exist.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import optuna
import pandas as pd
import pytest

import automl
from automl._core import ArtifactError
from automl.cli import main
from automl.models import artifact_digests, load_model
from tests.models import hostile

ENTRY_POINTS = ["load_model", "load_best_model", "cli-predict", "cli-evaluate"]


@pytest.fixture(scope="module")
def searched(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    """One real search whose best model the attacks start from (copied per test)."""
    root = tmp_path_factory.mktemp("genuine")
    frame = _frame()
    frame.to_csv(root / "data.csv", index=False)
    automl.search(
        root / "data.csv",
        "label",
        n_trials=1,
        time_budget=None,
        families=["logistic_regression"],
        ensemble="none",
        study_name="genuine",
        storage=f"sqlite:///{root}/s.db",
        output_dir=str(root / "runs"),
    )
    return root, "genuine"


def _frame() -> pd.DataFrame:
    from sklearn.datasets import make_classification

    X, y = make_classification(n_samples=120, n_features=4, n_informative=3, n_redundant=0, random_state=0)
    frame = pd.DataFrame(X, columns=["a", "b", "c", "d"])
    frame["label"] = ["yes" if v else "no" for v in y]
    return frame


class _Copy:
    """A private copy of the genuine search: storage, data and the saved best model."""

    def __init__(self, source: tuple[Path, str], tmp_path: Path) -> None:
        root, self.study_name = source
        shutil.copytree(root, tmp_path / "run")
        self.root = tmp_path / "run"
        self.storage = f"sqlite:///{self.root}/s.db"
        study = optuna.load_study(study_name=self.study_name, storage=self.storage)
        old = Path(study.user_attrs["best_model_path"])
        self.folder = self.root / "runs" / self.study_name / "models" / old.name
        study.set_user_attr("best_model_path", str(self.folder))
        self.data = self.root / "data.csv"

    def restamp_study(self) -> None:
        """An attacker who can also write the study storage records the tampered digests there."""
        study = optuna.load_study(study_name=self.study_name, storage=self.storage)
        study.set_user_attr("best_model_digests", artifact_digests(self.folder))


@pytest.fixture
def run(searched: tuple[Path, str], tmp_path: Path) -> _Copy:
    return _Copy(searched, tmp_path)


def _use(entry: str, run: _Copy, capsys: pytest.CaptureFixture[str]) -> str:
    """Load (and predict with) the model through ``entry``; return the one-line error it raised."""
    frame = pd.read_csv(run.data).drop(columns="label")
    if entry in ("load_model", "load_best_model"):
        load: Callable[[], Any] = (
            (lambda: load_model(run.folder)[0])
            if entry == "load_model"
            else (lambda: automl.load_best_model(run.study_name, run.storage))
        )
        with pytest.raises(ArtifactError) as info:
            model = load()
            model.predict(frame)  # where a planted ``predict`` would run
        return str(info.value)
    out = run.root / "out"
    args = (
        ["predict", "--model", str(run.folder), str(run.data), "--out", str(out / "p.csv")]
        if entry == "cli-predict"
        else ["evaluate", "--model", str(run.folder), "--data", str(run.data), "--out", str(out), "--bootstrap", "5"]
    )
    code = main(args)
    err = capsys.readouterr().err.strip()
    assert code == 2, err
    return err.removeprefix(f"automl {args[0]}: error: ")


@pytest.mark.parametrize("entry", ENTRY_POINTS)
@pytest.mark.parametrize("attack", list(hostile.CODE_ATTACKS))
def test_hostile_model_is_refused_and_its_code_never_runs(
    attack: str, entry: str, run: _Copy, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    marker = tmp_path / "planted-code-ran"
    monkeypatch.syspath_prepend(str(hostile.marker_module(tmp_path, marker)))
    hostile.plant(run.folder, hostile.CODE_ATTACKS[attack], marker)
    run.restamp_study()
    message = _use(entry, run, capsys)
    assert not marker.exists(), f"{attack}: the planted code ran"
    assert len(message.splitlines()) == 1, message
    assert str(run.folder / "model.skops") in message
    assert "does not trust" in message, message


@pytest.mark.parametrize(
    ("attack", "refused"),
    [
        ("loss-exec", "builtins.exec (LossNode)"),
        ("loss-eval", "builtins.eval (LossNode)"),
        ("loss-import", "builtins.__import__ (LossNode)"),
        ("tree-exec", "builtins.exec (TreeNode)"),
        ("partial-predict", "functools.partial (PartialNode)"),
        ("function-predict", "builtins.exec (FunctionNode)"),
        ("method-node", "automl.models._tabular.TabularModel (MethodNode)"),
        ("unknown-type", "subprocess.Popen (ObjectNode)"),
    ],
)
def test_error_names_each_refused_type_with_its_node_kind(attack: str, refused: str, run: _Copy, tmp_path: Path) -> None:
    hostile.plant(run.folder, hostile.CODE_ATTACKS[attack], tmp_path / "marker")
    with pytest.raises(ArtifactError, match="does not trust") as info:
        load_model(run.folder)
    assert refused in str(info.value)
    assert "--trust" in str(info.value)


def test_attribute_shadowing_a_method_is_refused(run: _Copy, tmp_path: Path) -> None:
    hostile.plant(run.folder, hostile.data_shadowing_method, tmp_path / "marker")
    with pytest.raises(
        ArtifactError, match=r"attribute 'predict_proba' shadows a method of automl\.models\._tabular\.TabularModel"
    ):
        load_model(run.folder)


def test_one_coefficient_change_is_refused_naming_the_file(run: _Copy) -> None:
    genuine = load_model(run.folder)[0]
    hostile.change_one_coefficient(run.folder)
    path = run.folder / "model.skops"
    with pytest.raises(ArtifactError, match="model card") as info:
        load_model(run.folder)
    assert str(path) in str(info.value) and len(str(info.value).splitlines()) == 1
    with pytest.raises(ArtifactError, match=f"study '{run.study_name}' records") as info:
        automl.load_best_model(run.study_name, run.storage)
    assert str(path) in str(info.value)
    assert genuine is not None


def test_tampered_folder_with_a_fixed_card_is_caught_by_the_study_record(run: _Copy) -> None:
    """The attacker rewrote model.skops and the card's digest, but cannot write the study."""
    hostile.change_one_coefficient(run.folder)
    hostile.update_card_digest(run.folder)
    load_model(run.folder)  # the folder alone cannot tell (its card was rewritten too) ...
    with pytest.raises(ArtifactError, match=f"study '{run.study_name}' records") as info:
        automl.load_best_model(run.study_name, run.storage)  # ... the study can
    assert "model_card.json" in str(info.value) or "model.skops" in str(info.value)


def test_trust_accepts_a_named_risk(run: _Copy, tmp_path: Path) -> None:
    """``trust=[...]`` lets a user load a type they accept; here a harmless extra type."""
    schema = hostile.read_schema(run.folder)
    hostile._replace_attr(
        schema,
        "extra_",
        {"__class__": "Counter", "__module__": "collections", "__loader__": "ObjectNode", "content": hostile.dict_node()},
    )
    hostile.rewrite_model(run.folder, schema)
    hostile.update_card_digest(run.folder)
    with pytest.raises(ArtifactError, match=r"collections\.Counter \(ObjectNode\)"):
        load_model(run.folder)
    model, _ = load_model(run.folder, trusted=["collections.Counter"])
    assert type(model.extra_).__name__ == "Counter"
    message = json.dumps(artifact_digests(run.folder))
    assert "model.skops" in message and "model_card.json" in message

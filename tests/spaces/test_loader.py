"""YAML search spaces: every shipped file loads, suggestions respect the space, errors name file/line/key."""

from __future__ import annotations

from pathlib import Path

import optuna
import pytest

from automl._core import SpaceError
from automl.models import builder_names
from automl.spaces import (
    default_spaces_dir,
    default_trial_params,
    load_space,
    load_spaces,
    load_spaces_with_overrides,
    parse_space,
    suggest,
    trial_key,
)

REPO = Path(__file__).resolve().parents[2]

GOOD = """
name: toy
builder: ridge
tasks: [regression]
params:
  n_layers: {type: int, low: 1, high: 3}
  units_l{i}: {type: int, low: 4, high: 64, log: true, repeat: n_layers}
  kind: {type: categorical, choices: [a, b]}
  only_b: {type: float, low: 0.0, high: 1.0, when: {kind: b}}
  flag: {type: bool}
defaults: {n_layers: 2, units_l0: 8, units_l1: 16, kind: b, only_b: 0.5, flag: true}
"""


def _write(tmp_path: Path, text: str, name: str = "toy.yaml") -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


def test_a_checkout_reads_the_top_level_search_spaces_folder() -> None:
    """The one copy in the repository; the wheel carries it as package data (tests/test_wheel.py)."""
    assert default_spaces_dir() == REPO / "search_spaces"
    sources = {Path(s.source) for s in load_spaces().values()}
    assert sources == set((REPO / "search_spaces").glob("*.yaml"))


def test_every_shipped_space_is_valid_and_its_defaults_replay() -> None:
    spaces = load_spaces(known_builders=builder_names())
    assert {
        "logistic_regression",
        "ridge",
        "elastic_net",
        "knn",
        "random_forest",
        "extra_trees",
        "hist_gradient_boosting",
        "adaboost",
        "xgboost",
        "mlp",
    } <= set(spaces)
    for space in spaces.values():
        params = suggest(optuna.trial.FixedTrial(default_trial_params(space)), space)
        for key, value in space.defaults.items():
            assert params[key] == value, (space.name, key)


def test_conditional_and_repeated_parameters(tmp_path: Path) -> None:
    space = load_space(_write(tmp_path, GOOD))
    fixed = {
        trial_key("toy", k): v
        for k, v in {"n_layers": 3, "units_l0": 4, "units_l1": 5, "units_l2": 6, "kind": "a", "flag": False}.items()
    }
    params = suggest(optuna.trial.FixedTrial(fixed), space)
    assert params == {"n_layers": 3, "units_l0": 4, "units_l1": 5, "units_l2": 6, "kind": "a", "flag": False}


def test_suggestions_stay_inside_the_space(tmp_path: Path) -> None:
    space = load_space(_write(tmp_path, GOOD))
    study = optuna.create_study(sampler=optuna.samplers.RandomSampler(seed=0))
    for _ in range(30):
        trial = study.ask()
        params = suggest(trial, space)
        assert len([k for k in params if k.startswith("units_l")]) == params["n_layers"]
        assert ("only_b" in params) == (params["kind"] == "b")
        study.tell(trial, 0.0)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            "name: x\nbuilder: ridge\ntasks: [regression]\nparams:\n  a: {type: int, low: 5, high: 1}\n",
            r"toy\.yaml:5: params\.a\.high: high \(1\) must be greater than low \(5\)",
        ),
        (
            "name: x\nbuilder: ridge\ntasks: [regression]\nparams:\n  a: {type: float, low: 0, high: 1, log: true}\n",
            r"toy\.yaml:5: params\.a\.low: log scale needs low > 0",
        ),
        (
            "name: x\nbuilder: ridge\ntasks: [regresion]\nparams: {}\n",
            r"toy\.yaml:3: tasks: unknown task 'regresion' \(did you mean 'regression'\?\)",
        ),
        (
            "name: x\nbuilder: ridge\ntasks: [regression]\nparams:\n  a: {type: categorical, choices: [p]}\n"
            "  b: {type: int, low: 1, high: 2, when: {a: q}}\n",
            r"toy\.yaml:6: params\.b\.when\.a: 'q' is not a possible value of 'a'",
        ),
        (
            "name: x\nbuilder: ridge\ntasks: [regression]\nparams:\n  a: {type: int, low: 1, high: 2}\ndefaults: {a: 9}\n",
            r"toy\.yaml:6: defaults\.a: value 9 is outside the parameter's range",
        ),
        (
            "name: x\nbuilder: ridge\ntasks: [regression]\nparams:\n  a: {type: int, lo: 1, high: 2}\n",
            r"params\.a\.lo: unknown key \(did you mean 'low'\?\)",
        ),
        ("name: x\nbuilder: nope\ntasks: [regression]\nparams: {}\n", r"toy\.yaml:2: builder: unknown builder 'nope'"),
        ("name: x\nbuilder: ridge\ntasks: [regression\nparams: {}\n", r"toy\.yaml:\d+: not valid YAML"),
        (
            "name: x\nbuilder: ridge\ntasks: [regression]\nparams:\n  u{i}: {type: int, low: 1, high: 2}\n",
            r"'\{i\}' in a name needs 'repeat",
        ),
    ],
)
def test_validator_names_file_line_and_key(tmp_path: Path, text: str, message: str) -> None:
    with pytest.raises(SpaceError, match=message):
        load_space(_write(tmp_path, text), builder_names())


def test_user_folder_adds_and_overrides_families(tmp_path: Path) -> None:
    _write(
        tmp_path,
        "name: ridge\nbuilder: ridge\ntasks: [regression]\nparams:\n  alpha: {type: float, low: 0.5, high: 2.0}\n",
        "ridge.yaml",
    )
    _write(tmp_path, GOOD, "toy.yaml")
    spaces = load_spaces([tmp_path], builder_names())
    assert spaces["ridge"].param("alpha").low == 0.5
    assert "toy" in spaces and "xgboost" in spaces


def test_folder_overriding_a_builtin_family_is_reported(tmp_path: Path) -> None:
    _write(tmp_path, GOOD.replace("name: toy", "name: ridge"), "ridge.yaml")
    spaces, overrides = load_spaces_with_overrides([tmp_path], builder_names())
    assert spaces["ridge"].source == str(tmp_path / "ridge.yaml")
    assert [(o.family, o.builtin) for o in overrides] == [("ridge", True)]
    assert "overrides the built-in family from" in overrides[0].describe()


def test_spaces_cli_says_when_a_folder_overrides_a_builtin(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from automl.cli import main

    _write(tmp_path, GOOD.replace("name: toy", "name: ridge"), "ridge.yaml")
    assert main(["spaces", "validate", "--spaces", str(tmp_path)]) == 0
    out = " ".join(capsys.readouterr().out.split())
    assert f"family 'ridge' from {tmp_path / 'ridge.yaml'} overrides the built-in family" in out
    assert main(["spaces", "list", "--spaces", str(tmp_path)]) == 0
    assert "overrides the built-in family" in " ".join(capsys.readouterr().out.split())
    assert main(["spaces", "validate", str(tmp_path / "ridge.yaml")]) == 0
    assert "would override the built-in family" in " ".join(capsys.readouterr().out.split())


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("name: !!python/object/apply:os.system ['true']\n", "not valid YAML"),
        ("a: &x {b: 1}\nc: *x\n", "anchors and aliases are not allowed"),
        ("a: &x [*x]\n", "anchors and aliases are not allowed"),
    ],
    ids=["python-tag", "alias", "recursive-alias"],
)
def test_yaml_that_could_run_code_or_expand_is_refused(text: str, message: str, tmp_path: Path) -> None:
    with pytest.raises(SpaceError, match=message):
        load_space(_write(tmp_path, text))


def test_non_utf8_and_oversized_files_are_refused(tmp_path: Path) -> None:
    path = tmp_path / "latin.yaml"
    path.write_bytes("name: caf\u00e9\n".encode("latin-1"))
    with pytest.raises(SpaceError, match="not UTF-8"):
        load_space(path)
    path.write_bytes(b"# " + b"x" * (2 << 20))
    with pytest.raises(SpaceError, match="too large for a search-space file"):
        load_space(path)


_BASE = "name: toy\nbuilder: ridge\ntasks: [regression]\nparams:\n"


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ("  a: {type: int, low: .nan, high: 3}\n", r"params\.a\.low: an int parameter needs a finite numeric 'low', got nan"),
        ("  a: {type: float, low: 0, high: .inf}\n", r"params\.a\.high: a float parameter needs a finite numeric 'high'"),
        ("  a: {type: int, low: 0, high: 10, step: 0.5}\n", r"params\.a\.step: an int parameter needs an integer step"),
        (
            "  n: {type: int, low: 1, high: 3}\n  u{i}: {type: int, low: 1, high: 3, repeat: [n]}\n",
            r"repeat: must name an earlier int parameter",
        ),
        (
            "  n: {type: int, low: 1, high: 100000000}\n  u{i}: {type: int, low: 1, high: 3, repeat: n}\n",
            r"'n' must range within 0\.\.64",
        ),
        (
            "  n: {type: int, low: 1, high: 3}\n  u{i}{0}: {type: int, low: 1, high: 3, repeat: n}\n",
            r"no other '\{\.\.\.\}' field",
        ),
        ("  a: {type: categorical, choices: [[1], {x: 1}]}\n", r"choices must be strings, numbers, booleans or null"),
    ],
    ids=["int-nan", "float-inf", "int-step-fraction", "repeat-unhashable", "repeat-millions", "template-field", "choice-list"],
)
def test_validator_refuses_what_the_fuzzer_found(params: str, message: str, tmp_path: Path) -> None:
    """Each of these used to pass validation and then fail (or hang) when a trial sampled it."""
    with pytest.raises(SpaceError, match=message):
        load_space(_write(tmp_path, _BASE + params))


def test_yaml_reader_errors_are_one_line(tmp_path: Path) -> None:
    """Found by the fuzzer: PyYAML's reader errors span two lines."""
    with pytest.raises(SpaceError) as info:
        load_space(_write(tmp_path, "\x1f"))
    assert "unacceptable character" in str(info.value) and "\n" not in str(info.value)


def test_a_key_with_a_line_break_is_escaped_in_the_one_line_error() -> None:
    """Found by the fuzzer: a YAML key holding a line break broke the one-line error."""
    with pytest.raises(SpaceError) as raised:
        parse_space("? '\n\n  '\n: null\n", "fuzz/random.yaml")
    assert str(raised.value) == "fuzz/random.yaml:1: \\n: unknown key"

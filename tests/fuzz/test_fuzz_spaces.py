"""Fuzz the YAML search-space validator: random YAML documents, and mutations of the shipped
``search_spaces/*.yaml`` (structure and text). Each input is accepted or gets a one-line
``SpaceError`` naming the file; an accepted space must also be usable (its defaults replay and
a random sampler can draw from it), so the validator never passes on something that breaks later."""

from __future__ import annotations

import copy
from datetime import timedelta
from pathlib import Path
from typing import Any

import optuna
import pytest
import yaml
from hypothesis import HealthCheck, given, settings, strategies as st

from automl.models import builder_names
from automl.spaces import default_spaces_dir, default_trial_params, parse_space, suggest

DEFAULT_EXAMPLES = 300
SLOW_EXAMPLES = 2000
SHIPPED = {p.name: p.read_text(encoding="utf-8") for p in sorted(default_spaces_dir().glob("*.yaml"))}
BUILDERS = builder_names()

_SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(10**30), 10**30),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=10),
    st.sampled_from(
        [
            "int",
            "float",
            "categorical",
            "bool",
            "binary",
            "regression",
            "multiclass",
            "ridge",
            "xgboost",
            "low",
            "high",
            "log",
            "step",
            "choices",
            "when",
            "repeat",
            "n_layers",
            "units_l{i}",
            "{i}",
            "onehot",
            "none",
        ]
    ),
)
_DOCUMENTS = st.recursive(
    _SCALARS,
    lambda inner: (
        st.lists(inner, max_size=4)
        | st.dictionaries(_SCALARS.filter(lambda k: k is None or isinstance(k, (str, int, bool))), inner, max_size=4)
    ),
    max_leaves=25,
)


@st.composite
def structural_mutation(draw: st.DrawFn) -> tuple[str, str]:
    """A shipped file, parsed, with a few keys deleted, replaced, retyped or added."""
    name = draw(st.sampled_from(sorted(SHIPPED)))
    data = copy.deepcopy(yaml.safe_load(SHIPPED[name]))
    for _ in range(draw(st.integers(1, 4))):
        path = _random_path(draw, data)
        parent, key = path[-1] if path else (None, None)
        action = draw(st.sampled_from(["delete", "replace", "add", "swap-type"]))
        if parent is None:
            data = draw(_DOCUMENTS)
        elif action == "delete" and isinstance(parent, dict):
            parent.pop(key, None)
        elif action == "add" and isinstance(parent, dict):
            parent[draw(_SCALARS.map(str))] = draw(_DOCUMENTS)
        elif action == "swap-type":
            parent[key] = [parent[key]] if not isinstance(parent[key], list) else {"x": parent[key]}
        else:
            parent[key] = draw(_DOCUMENTS)
    return name, yaml.safe_dump(data, allow_unicode=True)


def _random_path(draw: st.DrawFn, data: Any) -> list[tuple[Any, Any]]:
    """A chain of (container, key) from the root to a random node."""
    path: list[tuple[Any, Any]] = []
    node = data
    while isinstance(node, (dict, list)) and node and (not path or draw(st.integers(0, 3)) > 0):
        key = draw(st.sampled_from(list(node) if isinstance(node, dict) else list(range(len(node)))))
        path.append((node, key))
        node = node[key]
    return path


@st.composite
def text_mutation(draw: st.DrawFn) -> tuple[str, str]:
    """A shipped file's text with a span deleted, duplicated or replaced by random characters."""
    name = draw(st.sampled_from(sorted(SHIPPED)))
    text = SHIPPED[name]
    for _ in range(draw(st.integers(1, 3))):
        start = draw(st.integers(0, len(text)))
        end = draw(st.integers(start, min(len(text), start + 40)))
        insert = draw(
            st.sampled_from(
                ["", text[start:end] * 2, ": ", "\n  ", "- ", "&a ", "*a", "!!python/name:os.system ", "\t", "{", "["]
            )
            | st.text(max_size=6)
        )
        text = text[:start] + insert + text[end:]
    return name, text


_CASES = st.one_of(
    structural_mutation(),
    structural_mutation(),
    text_mutation(),
    _DOCUMENTS.map(lambda d: ("random.yaml", yaml.safe_dump(d, allow_unicode=True))),
    st.text(max_size=300).map(lambda t: ("text.yaml", t)),
)


def _validate(name: str, text: str, report) -> None:
    space = parse_space(text, Path("fuzz") / name, BUILDERS)
    # A space the validator accepts must be usable the way a search uses it: its defaults are
    # enqueued as the first trial, then a sampler draws from it.
    study = optuna.create_study(sampler=optuna.samplers.RandomSampler(seed=0))
    study.enqueue_trial(default_trial_params(space))
    for _ in range(3):
        suggest(study.ask(), space)
    report("sampled")


def _run(fuzz_stats, examples: int, derandomize: bool) -> None:
    @settings(
        max_examples=examples,
        deadline=timedelta(seconds=5),
        derandomize=derandomize,
        database=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.large_base_example],
    )
    @given(_CASES)
    def fuzz(case: tuple[str, str]) -> None:
        with fuzz_stats.example() as report:
            _validate(*case, report)

    optuna.logging.set_verbosity(optuna.logging.ERROR)
    fuzz()


@pytest.mark.timeout(600)
def test_fuzz_space_validator(fuzz_stats) -> None:
    _run(fuzz_stats, DEFAULT_EXAMPLES, derandomize=True)


@pytest.mark.slow
@pytest.mark.timeout(1800)
def test_fuzz_space_validator_many(fuzz_stats) -> None:
    _run(fuzz_stats, SLOW_EXAMPLES, derandomize=False)
    assert fuzz_stats.tried >= SLOW_EXAMPLES

"""The time budget: the stop rule with a fake clock, and a real search that respects its budget."""

from __future__ import annotations

import time
from pathlib import Path

import optuna
import pytest

import automl
from automl._core import Deadline
from automl.evaluation import get_metric
from automl.search._final import RunMemory
from automl.search._runner import SAVE_BYTES_PER_SECOND, SearchConfig, _RefitWouldOverrun, _triage
from tests.conftest import shared_dataset

_MEMORY = RunMemory(get_metric(None, "regression"), n_splits=5, train_fraction=0.8)


class _Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


class _StudyStub:
    """A real study with one finished trial, recording ``stop()`` (which Optuna only allows inside optimize)."""

    def __init__(self, fit_seconds: float, model_bytes: int = 0) -> None:
        self.study = optuna.create_study()
        attrs = {"fit_seconds": fit_seconds, "model_bytes": model_bytes}
        self.study.add_trial(optuna.trial.create_trial(value=1.0, params={}, distributions={}, user_attrs=attrs))
        self.directions = self.study.directions
        self.get_trials = self.study.get_trials
        self.best_trial = self.study.best_trial
        self.stopped = False

    def stop(self) -> None:
        self.stopped = True


def test_search_stops_when_only_refit_time_is_left() -> None:
    clock = _Clock()
    rule = _RefitWouldOverrun(Deadline(100.0, clock), _MEMORY, members=lambda study: study.get_trials())
    study = _StudyStub(fit_seconds=50.0, model_bytes=40_000_000)  # 10 s per fold -> ~16 s to refit on all rows
    # refit (fold time scaled to all rows) + saving 50 MB (a fold model scaled to all rows) at the planned rate + 0.5 s
    needed = 1.3 * 10 / 0.8 + 50e6 / SAVE_BYTES_PER_SECOND + 0.5
    assert rule.refit_seconds(study) == pytest.approx(needed)  # type: ignore[arg-type]
    clock.now = 100.0 - needed - 1.0
    assert rule(study) is None  # type: ignore[arg-type]
    clock.now = 100.0 - needed + 1.0
    assert rule(study) == "the time left is needed to refit the final model"  # type: ignore[arg-type]
    not_saving = _RefitWouldOverrun(Deadline(100.0, clock), _MEMORY, members=lambda study: study.get_trials(), saving=False)
    assert not_saving.refit_seconds(study) == pytest.approx(1.3 * 10 / 0.8)  # type: ignore[arg-type]


def test_members_after_the_best_are_forecast_refit_side_by_side() -> None:
    """The best trial is refit first, alone; the other members two at a time on two workers."""
    study = optuna.create_study()
    for _ in range(3):  # 10 s per fold each -> 16.25 s to refit each on all rows
        study.add_trial(optuna.trial.create_trial(value=1.0, params={}, distributions={}, user_attrs={"fit_seconds": 50.0}))
    rule = _RefitWouldOverrun(Deadline.unlimited(), _MEMORY, members=lambda s: s.get_trials(), saving=False, workers=2)
    assert rule.refit_seconds(study) == pytest.approx(16.25 + 2 * 16.25 / 2)


def test_after_an_ensemble_is_forecast_only_its_families_are_sampled() -> None:
    study = optuna.create_study()
    family = {"family": optuna.distributions.CategoricalDistribution(["xgboost", "knn", "ridge"])}
    for name in ("xgboost", "knn"):
        attrs = {"fit_seconds": 5.0}
        study.add_trial(optuna.trial.create_trial(value=1.0, params={"family": name}, distributions=family, user_attrs=attrs))
    rule = _RefitWouldOverrun(Deadline.unlimited(), _MEMORY, members=lambda s: s.get_trials()[:1], saving=False)
    assert rule.skips_family("ridge") is None  # nothing forecast yet
    rule.refit_seconds(study)
    assert rule.skips_family("ridge") is None  # the best trial alone: no ensemble to choose families by
    rule.members = lambda s: s.get_trials()
    rule(study)
    assert rule.skips_family("xgboost") is None and rule.skips_family("knn") is None
    assert rule.skips_family("ridge") == "skipped: no ridge trial is among the ensemble's members (knn, xgboost)"


@pytest.mark.parametrize(
    ("budget", "n_trials", "ensemble", "on"),
    [
        (300.0, None, "blend", True),
        (120.0, None, "selection", True),
        (60.0, None, "selection", False),
        (300.0, 50, "blend", False),
        (300.0, None, "none", False),
        (300.0, None, "stacking", False),
        (None, 50, "selection", False),
    ],
)
def test_families_are_triaged_in_long_searches_bounded_by_time_that_end_in_a_selection(
    budget: float | None, n_trials: int | None, ensemble: str, on: bool
) -> None:
    assert _triage(SearchConfig(time_budget=budget, n_trials=n_trials, ensemble=ensemble), ensemble) is on


@pytest.mark.slow
def test_real_search_respects_its_budget(tmp_path: Path) -> None:
    path, entry = shared_dataset("phoneme")
    budget = 15.0
    started = time.monotonic()
    result = automl.search(
        path, entry["target"], time_budget=budget, storage=f"sqlite:///{tmp_path}/b.db", output_dir=str(tmp_path)
    )
    elapsed = time.monotonic() - started
    assert elapsed <= budget * 1.05 + 5
    assert len(result.leaderboard) >= 1

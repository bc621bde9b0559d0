"""The final model of a search: the refit best trial, or an ensemble of trials when it wins.

Ensembles are chosen on out-of-fold (OOF) scores only, so no candidate is refit
just to be scored; members are refit on all rows only once chosen, within the
remaining budget. A member whose refit does not fit is left out: the ensemble is chosen
again among the members at hand, and the best single model is kept when that one does
not win. (Members are not replaced by their fold models: five fold models make the
ensemble five times larger to hold, save and predict with.) The search keeps back the
time to refit the members it forecasts (:func:`planned_members`), not more.

A boosting configuration that stopped early in every fold is refit with its folds' mean
rounds instead of stopping early again (:func:`refit_params`, ``models.with_fixed_rounds``).
Every refit goes through :func:`refit_bounded`, which never runs past its deadline:
when a refit of the best configuration would overrun, the trial's fold models (kept in
memory by this run) are averaged instead, or the refit an earlier run saved is loaded.
When neither is at hand (a best trial that finished last, with fold models too large to
keep), the next-best trials stand in (their fold models, or a refit that fits the time
left), and only then is the best configuration fit on a subsample sized to the time left.
"""

from __future__ import annotations

import dataclasses
import logging
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import numpy as np
import optuna

from automl._core import ArtifactError, Deadline, DeadlineExceeded, InputError
from automl.data import Dataset
from automl.ensembles import (
    STACKING_FOLDS,
    BaggedModel,
    StackedEnsemble,
    WeightedAverageEnsemble,
    cross_fitted_selection,
    fit_stacking,
    greedy_selection,
    select_diverse,
    stacking_oof,
    stacking_oof_score,
)
from automl.evaluation import Metric
from automl.models import TabularModel, load_card, load_model, with_fixed_rounds
from automl.search._cv import CVResult
from automl.search._objective import FAMILY_PARAM, make_model, params_of
from automl.search._resampling import Resampling
from automl.search._trials import ranked, score
from automl.spaces import FamilySpace

log = logging.getLogger(__name__)

EnsembleKind = Literal["none", "selection", "stacking", "bagging", "auto", "blend"]
ENSEMBLE_KINDS: tuple[str, ...] = ("none", "selection", "stacking", "bagging", "auto", "blend")
# Ensembles draw on the best trials only (bounded selection time), plus each family's best few:
# a long search converges on one family, and its top 20 then held nothing else (a 300 s satimage
# search chose among 20 XGBoost trials and scored worse on the test rows than the 60 s one, whose
# ensemble held XGBoost, HGB, a forest and KNN).
LIBRARY_SIZE = 20
LIBRARY_PER_FAMILY = 3
STACKING_MEMBERS = 5
# ``ensemble="blend"``: the selection's members also feed a trees meta-learner that sees the features
# (a second layer, as AutoGluon stacks), and the two predictions are blended at the meta-learner's
# share among these that scores best on cross-fitted OOF predictions of both (0: the selection alone).
# Both sides are cross-fitted because the selection's own OOF score flatters it: its weights were
# chosen on those rows. Offline, on 60 s searches of 8 dev datasets (2 seeds), the meta-learner alone
# beat the selection on 13 of 16 test splits but scored worse on OOF in most: a blend chosen on
# honest estimates keeps most of the gain without betting on either.
BLEND_SHARES = (0.0, 0.25, 0.5, 0.75, 1.0)
# The share of the time budget a blend search keeps back from its trials for the meta-learner's fits.
BLEND_RESERVE_SHARE = 0.1
# A blend is kept only when it beats the selection in at least this share of paired bootstrap
# resamples of the cross-fitted OOF rows: on tiny tables (stop 28: penguins, car) the best
# share's OOF gain rested on a handful of rows and reversed on the test rows.
BLEND_BOOTSTRAPS = 100
BLEND_MIN_WIN_RATE = 0.9
# The default final model: the blend from this time budget (seconds) up, the plain selection
# below it and for searches bounded by trials only. At 60 s the budget kept back for the
# meta-learner cost binary tables more trials than the blend gained (stop 28); at 300 s the
# blend scored better on every table measured.
BLEND_DEFAULT_MIN_BUDGET = 120.0
BAGGING_COPIES = 5
PLAN_ROUNDS = 20  # ensemble selection rounds when forecasting, during the search, which trials will be members
# Selection keeps the earliest round with this share of the best round's OOF gain: the last 1 % came
# from rounds that added members at 1/50 weight each. On one 60 s search each of car, spambase and
# credit_data (same trials), this dropped 0-3 members and 5-11 % of the predict time, with test
# scores within 0.7 % (car log loss, worse) and 0.01 % (ROC AUC, one better, one worse).
SELECTION_GAIN_SHARE = 0.99
# A resumed study's best trial has no fold models in memory: a quarter of the time left is
# kept back from its full refit, for a refit on a subsample if the full one overruns.
SUBSAMPLE_SHARE = 0.25
MIN_SUBSAMPLE_ROWS = 50
# When the best trial cannot be refit in time, the next best trials of these ranks stand in for it:
# their CV scores are close to the best's, and a model fit on all rows (or on the CV folds) beats the
# best configuration fit on the few rows the time left allows (a houses search refit its best trial,
# which finished last, on 769 of 15,480 rows: RMSE 61,136 where its runner-up scored ~45,000).
STAND_IN_RANKS = 5
FOLD_TO_FULL_SCALE = 1.3  # all rows take a little longer to fit than a fold's share of them
LOAD_BYTES_PER_SECOND = 50e6  # skops loads ~130 MB/s on a quiet machine; plan with less
# From this time budget (seconds) up, on shuffled k-fold CV, a trial of a family built by one of
# ``BAGGED_BUILDERS`` keeps its fold models, and the final model uses their average instead of a
# refit on all rows (AutoGluon's bagging). A network's fit depends on its initialisation and its
# early-stopping rows; five of them average out what one refit leaves to chance, and they are
# what the trial's OOF score measured. On a satimage split (seed 0) three MLP configurations
# scored a test log loss of 0.245, 0.266 and 0.290 refit on all rows, 0.219, 0.228 and 0.294 as
# their fold models' average (0.226, 0.235, 0.287 for five refits with other seeds); an XGBoost
# and an extra-trees configuration gained nothing (0.243 and 0.256 refit vs 0.243 and 0.260), so
# the other families keep their refits, which predict five times faster. Measured at 300 s only:
# below 120 s the 60 s results stand for the refits.
BAGGED_BUILDERS = frozenset({"mlp"})
BAG_MIN_BUDGET = 120.0
# The fold models kept for bagging, all trials together: the worst-scoring trial's go first.
BAG_MAX_BYTES = 128 * 2**20
# An ensemble's members are held, saved and predicted together: they may add up to this many bytes
# (each member's fold model as the trial measured it; a refit on all rows is a little larger), or
# to the best member's own size when that alone is larger. Without it, five forests of a 34,000-row
# search were chosen together and took the search's memory from 0.8 to 1.4 GB while being refit.
ENSEMBLE_MAX_BYTES = 256 * 2**20


@dataclass(frozen=True)
class FinalModel:
    """The model to save, what it is, and the evidence it was chosen on.

    ``single`` is the best single model when this one is an ensemble: the runner saves it
    instead when the ensemble could not be saved within the budget.
    """

    model: Any
    kind: str
    oof_score: float | None
    best_single_score: float
    members: list[dict[str, Any]] = field(default_factory=list)
    notes: dict[str, Any] = field(default_factory=dict)
    single: FinalModel | None = None


@dataclass
class RunMemory:
    """What this run keeps in memory: OOF predictions per trial, and the fold models of its best
    trial that has them (the fallback when refitting on all rows would overrun the budget; a trial
    keeps its fold models only up to ``search._cv.KEEP_FOLD_MODELS_MAX_BYTES``, so a later, better
    trial without them leaves the earlier ones in place).

    ``n_splits`` and ``train_fraction`` describe the resampling plan: a trial's refit time is
    forecast from its fold fits with them. Trials of the ``bagged`` families keep their fold models
    (``bags``, up to ``BAG_MAX_BYTES`` in all): the final model averages them instead of a refit."""

    metric: Metric
    n_splits: int = 1
    train_fraction: float = 1.0
    oof: dict[int, np.ndarray] = field(default_factory=dict)
    kept_trial: int | None = None
    kept_fold_scores: tuple[float, ...] = ()
    kept_fold_models: tuple[Any, ...] = ()
    bagged: frozenset[str] = frozenset()
    bags: dict[int, tuple[float, int, tuple[Any, ...]]] = field(default_factory=dict)  # trial -> (score, bytes, models)
    lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def offer(self, trial_number: int, result: CVResult, family: str = "") -> None:
        """Called by the objective after every completed trial (from Optuna's worker threads)."""
        with self.lock:
            self.oof[trial_number] = result.oof
            kept = self.kept_fold_scores
            if result.fold_models and (not kept or self.metric.better(result.mean, float(np.mean(kept)))):
                self.kept_trial, self.kept_fold_scores = trial_number, result.fold_scores
                self.kept_fold_models = result.fold_models
            if family in self.bagged and len(result.fold_models) == self.n_splits:
                self._keep_bag(trial_number, result)

    def wants_fold_models(self, family: str, fold: int, running_mean: float) -> bool:
        """Whether a running trial's fold models may still be used, after fold ``fold`` (0-based):
        always for a ``bagged`` family; otherwise while the trial scores better on its first folds
        than the kept trial did on the same folds (a paired comparison, so fold-to-fold noise
        cancels), or when nothing is kept yet. The others would be let go once they finish anyway;
        held until then, they add up to ``search._cv.KEEP_FOLD_MODELS_MAX_BYTES`` per trial in flight."""
        with self.lock:
            if family in self.bagged or not self.kept_fold_scores:
                return True
            reference = float(np.mean(self.kept_fold_scores[: fold + 1]))
        if not (np.isfinite(running_mean) and np.isfinite(reference)):
            return True
        return self.metric.better(running_mean, reference)

    def _keep_bag(self, trial_number: int, result: CVResult) -> None:
        """Keep ``result``'s fold models, then let go of the worst-scoring bags past ``BAG_MAX_BYTES``."""
        self.bags[trial_number] = (result.mean, result.model_bytes * self.n_splits, result.fold_models)
        worst_first = sorted(self.bags, key=lambda n: self.bags[n][0], reverse=not self.metric.greater_is_better)
        while sum(b[1] for b in self.bags.values()) > BAG_MAX_BYTES and worst_first:
            del self.bags[worst_first.pop(0)]

    def bag_of(self, trial_number: int) -> tuple[Any, ...]:
        """The fold models to average instead of refitting ``trial_number`` (empty: refit it)."""
        with self.lock:
            return self.bags.get(trial_number, (0.0, 0, ()))[2]

    def fold_models_of(self, trial_number: int) -> tuple[Any, ...]:
        """The fold models this run kept for ``trial_number`` (one trial's at most)."""
        return self.kept_fold_models if trial_number == self.kept_trial else ()

    def let_go_of_fold_models(self) -> None:
        """Once the best trial is refit, the fold models are no fallback any more."""
        with self.lock:
            self.kept_fold_models = ()

    def refit_seconds(self, trial: optuna.trial.FrozenTrial) -> float:
        """Forecast of ``trial``'s refit on all rows: its mean fold fit, scaled to all rows, with a margin
        (none for a trial whose fold models are averaged instead)."""
        if trial.number in self.bags:
            return 0.0
        fold_seconds = float(trial.user_attrs.get("fit_seconds", 0.0)) / self.n_splits
        return FOLD_TO_FULL_SCALE * fold_seconds / self.train_fraction


def bagged_families(spaces: Mapping[str, FamilySpace], resampling: Resampling, time_budget: float | None) -> frozenset[str]:
    """The families whose fold models the final model averages instead of refitting (``BAGGED_BUILDERS``):
    only with a time budget of ``BAG_MIN_BUDGET`` or more, and on shuffled k-fold CV, whose fold
    models together saw every row (a holdout's one model saw fewer, a forward split's the oldest)."""
    if time_budget is None or time_budget < BAG_MIN_BUDGET or resampling.kind != "cv" or resampling.n_splits < 2:
        return frozenset()
    return frozenset(name for name, space in spaces.items() if space.builder in BAGGED_BUILDERS)


def check_ensemble(kind: str) -> None:
    if kind not in ENSEMBLE_KINDS:
        raise InputError(f"unknown ensemble '{kind}'; use one of {', '.join(ENSEMBLE_KINDS)}")


def default_ensemble(time_budget: float | None) -> str:
    """The final model a search makes when none is asked for (``BLEND_DEFAULT_MIN_BUDGET``)."""
    return "blend" if time_budget is not None and time_budget >= BLEND_DEFAULT_MIN_BUDGET else "selection"


def build_final_model(
    study: optuna.Study,
    best: optuna.trial.FrozenTrial,
    spaces: Mapping[str, FamilySpace],
    dataset: Dataset,
    metric: Metric,
    ensemble: str,
    seed: int,
    threads: int,
    deadline: Deadline,
    memory: RunMemory,
    store: optuna.artifacts.FileSystemArtifactStore | None,
    promise: Deadline | None = None,
    workers: int = 1,
) -> FinalModel:
    """Refit ``best``, then try the requested ensemble; return whichever is chosen (within ``deadline``).

    ``promise`` is the hard end of the whole search (budget x 1.05 + 5 s): a model an earlier
    run saved is loaded as a fallback as long as that fits before it. ``workers`` ensemble
    members are refit at a time (each with ``threads``), as the trials ran.
    """
    single = _final_single(study, best, spaces, dataset, seed, threads, deadline, memory, promise or deadline)
    if ensemble == "none" or single.kind != "single":
        return single
    memory.let_go_of_fold_models()
    if deadline.expired():
        return _with_note(single, "ensemble", "skipped: the time budget ran out")
    if ensemble == "bagging":
        return _bagging(best, spaces, dataset, seed, threads, deadline, single)
    trials = _library(study, memory, store)
    if len(trials) < 2:
        return _with_note(single, "ensemble", "skipped: fewer than two trials with out-of-fold predictions")
    candidates = []
    if ensemble in ("selection", "auto", "blend"):
        candidates.append(_selection_plan(trials, memory, dataset, metric))
    if ensemble in ("stacking", "auto") and not deadline.expired():
        candidates.append(_stacking_plan(trials, memory, dataset, metric, seed))
    plan = min(candidates, key=lambda p: -p.score if metric.greater_is_better else p.score)
    reference = _pooled_score(best, memory, dataset, metric)
    if not metric.better(plan.score, reference):
        return _with_note(
            single, "ensemble", f"{plan.kind} OOF {plan.score:.6g} did not beat the best single trial's {reference:.6g}"
        )
    models = _member_models(plan, single.model, best.number, spaces, dataset, seed, threads, deadline, memory, workers)
    if len(models) < len(plan.used()) and plan.kind == "selection":  # choose again among the members at hand
        plan = _selection_plan([t for t in trials if t.number in models], memory, dataset, metric)
        if not metric.better(plan.score, reference):
            return _with_note(single, "ensemble", "selection won on OOF but its members could not be refit within the budget")
    elif len(models) < len(plan.used()):
        return _with_note(single, "ensemble", f"{plan.kind} won on OOF but its members could not be refit within the budget")
    if ensemble == "blend" and plan.kind == "selection":
        plan = _blended(plan, trials, memory, dataset, metric, seed, deadline)
    final = plan.realise(models, dataset, score(best))
    return dataclasses.replace(final, single=single, notes={**final.notes, "best_single_pooled_oof": reference})


def _member_models(
    plan: _Plan,
    best_model: Any,
    best_number: int,
    spaces: Mapping[str, FamilySpace],
    dataset: Dataset,
    seed: int,
    threads: int,
    deadline: Deadline,
    memory: RunMemory | None = None,
    workers: int = 1,
) -> dict[int, Any]:
    """Each member of ``plan`` refit on all rows (or its fold models averaged, ``RunMemory.bags``),
    by trial number; a member whose refit would overrun the budget is left out. ``workers`` refits
    run at a time, the heaviest-weighted members first: they get the refits when time is short."""

    def fit(trial: optuna.trial.FrozenTrial) -> Any | None:
        if trial.number == best_number:
            return best_model
        try:
            return refit_bounded(trial, spaces, dataset, seed, threads, deadline, memory)[0]
        except DeadlineExceeded:
            log.warning("ensemble member trial %d left out: no time to refit it", trial.number)
            return None

    members = [t for t, _ in sorted(plan.used(), key=lambda tw: -tw[1])]
    with ThreadPoolExecutor(max_workers=max(1, workers)) as pool:
        fitted = list(pool.map(fit, members))
    return {t.number: model for t, model in zip(members, fitted, strict=True) if model is not None}


def planned_members(
    study: optuna.Study, memory: RunMemory, dataset: Dataset, metric: Metric, ensemble: str
) -> list[optuna.trial.FrozenTrial]:
    """The trials the final model would be built from if the search stopped now, best first.

    The search keeps back the time to refit these (and only these: a selection ensemble
    usually weights a few of the best trials, not all of them).
    """
    top = ranked(study)
    if ensemble in ("none", "bagging") or len(top) < 2:
        return top[:1]
    if ensemble not in ("selection", "blend"):
        return top[:STACKING_MEMBERS]
    with memory.lock:
        oof = dict(memory.oof)
    library = pick_library(top, lambda t: t.number in oof)
    if len(library) < 2:
        return top[:1]
    try:
        result = greedy_selection(
            [oof[t.number] for t in library],
            dataset.y.to_numpy(),
            metric,
            dataset.classes,
            max_rounds=PLAN_ROUNDS,
            gain_share=SELECTION_GAIN_SHARE,
            **_size_budget(library),
        )
    except (InputError, ValueError) as exc:  # a forecast must never end the search: assume the larger ensemble
        log.warning("cannot forecast the ensemble's members (%s); keeping back time for the best %d", exc, STACKING_MEMBERS)
        return top[:STACKING_MEMBERS]
    chosen = {t.number for t, w in zip(library, result.weights, strict=True) if w > 0}
    return [t for t in top if t.number in chosen or t.number == top[0].number]


def _pooled_score(best: optuna.trial.FrozenTrial, memory: RunMemory, dataset: Dataset, metric: Metric) -> float:
    """The best trial scored as the ensembles are: on its OOF predictions pooled over the folds.

    A trial's value is the mean of its fold scores; for RMSE or ROC AUC that differs from the
    pooled score (RMSE's mean of folds is never above the pooled one), so comparing an
    ensemble's pooled score with it would favour one side.
    """
    oof = memory.oof.get(best.number)
    if oof is None:  # no OOF predictions at hand: the fold mean is all there is
        return score(best)
    return greedy_selection([oof], dataset.y.to_numpy(), metric, dataset.classes, max_rounds=0).score


def use_threads(final: FinalModel, n_jobs: int) -> None:
    """Let every member of ``final`` (and of its single-model fallback) predict with ``n_jobs`` threads.

    The members were fit with the search's per-trial share of the cores (see
    ``TabularModel.use_threads``); once the search is over, the model has the machine to itself.
    """
    for model in (final.model, final.single.model if final.single is not None else None):
        for member in _tabular_members(model):
            member.use_threads(n_jobs)


def _tabular_members(model: Any) -> list[TabularModel]:
    """The ``TabularModel`` s in ``model``: itself, or the members of (nested) ensembles."""
    if isinstance(model, TabularModel):
        return [model]
    inner = getattr(model, "estimators_", None) or getattr(model, "estimators", None) or []
    return [member for part in inner for member in _tabular_members(part)]


def _with_note(final: FinalModel, key: str, value: str) -> FinalModel:
    return dataclasses.replace(final, notes={**final.notes, key: value})


def refit_bounded(
    trial: optuna.trial.FrozenTrial,
    spaces: Mapping[str, FamilySpace],
    dataset: Dataset,
    seed: int,
    threads: int,
    deadline: Deadline,
    memory: RunMemory | None = None,
    *,
    fallback: bool = False,
    previous: Callable[[Deadline], Any | None] | None = None,
) -> tuple[Any, str, str]:
    """``trial``'s configuration fitted on all rows, never past ``deadline``: ``(model, kind, note)``.

    A refit that would overrun raises :class:`DeadlineExceeded`. With ``fallback``, the average
    of the trial's fold models when this run kept them (``kind="fold-average"``), or the refit an
    earlier run saved (``previous(deadline)``, ``kind="saved"``), is delivered instead; without
    fold models, a part of the time is kept back from the full refit for the caller's fallbacks.
    """
    bag = memory.bag_of(trial.number) if memory is not None else ()
    if bag:
        model = fold_average(bag, dataset)
        return model, "single", f"average of its {len(bag)} fold models (bagged instead of a refit on all rows)"
    space = spaces[trial.params[FAMILY_PARAM]]
    folds = memory.fold_models_of(trial.number) if memory is not None else ()
    reserve = 0.0 if (not fallback or folds or not deadline.is_limited) else SUBSAMPLE_SHARE * max(deadline.remaining(), 0.0)
    started = time.perf_counter()
    try:
        params, how = refit_params(trial, space)
        model = make_model(space, params, dataset.task, seed, threads)
        model.fit(dataset.X, dataset.y, deadline=deadline.earlier(reserve))
        return model, "single", f"refit on all rows{how} in {time.perf_counter() - started:.1f} s"
    except DeadlineExceeded:
        if not fallback:
            raise
    if folds:
        log.warning("refit of trial %d would overrun the budget; averaging its %d fold models", trial.number, len(folds))
        return (
            fold_average(folds, dataset),
            "fold-average",
            (f"average of {len(folds)} fold models (a refit would overrun the budget)"),
        )
    saved = previous(deadline) if previous is not None else None
    if saved is not None:
        log.warning("refit of trial %d would overrun the budget; using the refit an earlier run saved", trial.number)
        return saved, "saved", "the refit on all rows saved by an earlier run of this study (a new one would overrun the budget)"
    raise DeadlineExceeded(f"trial {trial.number} cannot be refit on all rows in the time left")


def fold_average(folds: tuple[Any, ...], dataset: Dataset) -> WeightedAverageEnsemble:
    """The equal-weight average of a trial's fold models: the model its OOF score measured."""
    return WeightedAverageEnsemble(list(folds), None, dataset.task).fit()


def refit_params(trial: optuna.trial.FrozenTrial, space: FamilySpace) -> tuple[dict[str, Any], str]:
    """The parameters to refit ``trial`` on all rows with, and how they differ from the trial's.

    A boosting configuration that stopped early in every fold boosts its folds' mean rounds
    (scaled up for the extra rows, ``models.with_fixed_rounds``) instead of stopping early again."""
    params = params_of(trial, space)
    rounds = trial.user_attrs.get("fold_rounds")
    fixed = with_fixed_rounds(params, rounds) if isinstance(rounds, list) else None
    if fixed is None:
        return params, ""
    count = fixed.get("n_estimators", fixed.get("max_iter"))
    return fixed, f" ({count} boosting rounds, from its folds' early stopping)"


def saved_refit_of(
    study: optuna.Study, trial: optuna.trial.FrozenTrial | None, promise: Deadline
) -> Callable[[Deadline], Any | None]:
    """A loader for the model an earlier run of ``study`` saved as its best (checked against the study's
    digests): only when it is the full refit of ``trial`` (any saved best model when ``trial`` is None).
    It returns None when there is none, or it cannot be loaded before ``promise`` (loading is cheap
    next to a refit, so it is measured against the search's hard end)."""

    def load(deadline: Deadline) -> Any | None:
        path, digests = study.user_attrs.get("best_model_path"), study.user_attrs.get("best_model_digests")
        if not path or not isinstance(digests, dict):
            return None
        try:
            card = load_card(path)
            if trial is not None:
                single = [m.get("trial") for m in card.members] == [trial.number]
                if (
                    card.trial_number != trial.number
                    or not single
                    or not str(card.notes.get("final_model", "")).startswith("refit on all rows")
                ):
                    return None
            if 0.5 + Path(path, "model.skops").stat().st_size / LOAD_BYTES_PER_SECOND > promise.remaining():
                return None
            return load_model(path, expected_digests=digests, digest_source=f"study '{study.study_name}'")[0]
        except (ArtifactError, OSError) as exc:
            log.warning("the model an earlier run saved cannot be reused: %s", exc)
            return None

    return load


def _subsample_refit(
    trial: optuna.trial.FrozenTrial,
    space: FamilySpace,
    dataset: Dataset,
    seed: int,
    threads: int,
    deadline: Deadline,
) -> tuple[Any, str, str]:
    """Fit on as many rows as the trial's recorded fold times say fit in the time left."""
    n_rows = len(dataset.y)
    # fit_seconds sums the trial's folds; per row of *all* folds it would be smaller, so this overestimates: safe.
    per_row = float(trial.user_attrs.get("fit_seconds", 0.0)) / max(n_rows, 1) * FOLD_TO_FULL_SCALE
    fraction = min(1.0, 0.5 * max(deadline.remaining(), 0.0) / max(per_row * n_rows, 1e-9))
    rows = _subsample(dataset.y.to_numpy(), int(fraction * n_rows), seed)
    if len(rows) < min(n_rows, MIN_SUBSAMPLE_ROWS):
        raise DeadlineExceeded(f"trial {trial.number} cannot be refit on enough rows in the time left")
    log.warning("refit of trial %d would overrun the budget; fitting it on %d of %d rows", trial.number, len(rows), n_rows)
    model = make_model(space, params_of(trial, space), dataset.task, seed, threads)
    model.fit(dataset.X.iloc[rows], dataset.y.iloc[rows], deadline=deadline)
    return model, "subsample", f"refit on {len(rows)} of {n_rows} rows (a full refit would overrun the budget)"


def _subsample(y: np.ndarray, n: int, seed: int) -> np.ndarray:
    """``n`` rows drawn with ``seed``, plus one row of any class they miss (classifiers need every class)."""
    rows = np.sort(np.random.default_rng(seed).permutation(len(y))[:n])
    if y.dtype.kind not in "fc" and n > 0:
        _, first = np.unique(y, return_index=True)
        rows = np.union1d(rows, first)
    return rows


def _final_single(
    study: optuna.Study,
    best: optuna.trial.FrozenTrial,
    spaces: Mapping[str, FamilySpace],
    dataset: Dataset,
    seed: int,
    threads: int,
    deadline: Deadline,
    memory: RunMemory,
    promise: Deadline,
) -> FinalModel:
    """The best configuration as one model. When it cannot be refit in time (nor its fold models or
    an earlier run's refit of it are at hand): a next-best trial standing in, then the best
    configuration on a subsample, then the best model an earlier run of the study saved; an error
    only when there is none of these."""
    try:
        previous = saved_refit_of(study, best, promise)
        return _one_trial(
            best, *refit_bounded(best, spaces, dataset, seed, threads, deadline, memory, fallback=True, previous=previous)
        )
    except DeadlineExceeded:
        pass
    stand_in = _stand_in(study, best, spaces, dataset, seed, threads, deadline, memory)
    if stand_in is not None:
        return stand_in
    try:
        return _one_trial(best, *_subsample_refit(best, spaces[best.params[FAMILY_PARAM]], dataset, seed, threads, deadline))
    except DeadlineExceeded:
        pass
    saved = saved_refit_of(study, None, promise)(deadline)
    if saved is not None:
        log.warning(
            "trial %d could not be refit in time and this run kept no fold models: keeping the study's saved best model",
            best.number,
        )
        return _one_trial(best, saved, "saved", "the model saved by an earlier run")
    raise InputError(
        f"the time budget ran out before trial {best.number} could be refit, "
        "and this run kept no fold models; raise --time-budget"
    )


def _stand_in(
    study: optuna.Study,
    best: optuna.trial.FrozenTrial,
    spaces: Mapping[str, FamilySpace],
    dataset: Dataset,
    seed: int,
    threads: int,
    deadline: Deadline,
    memory: RunMemory,
) -> FinalModel | None:
    """The best of the next :data:`STAND_IN_RANKS` trials that is at hand in time: its kept fold
    models averaged, or its refit on all rows when the forecast says it fits (a quarter of the time
    left is kept back from it for the subsample of the best). None when no such trial is at hand.

    Its kind is not ``"single"``: an ensemble built around it would count it as ``best``.
    """
    for trial in ranked(study)[:STAND_IN_RANKS]:
        if trial.number == best.number:
            continue
        why = f"trial {best.number} could not be refit in time"
        folds = memory.fold_models_of(trial.number)
        if folds:
            model = fold_average(folds, dataset)
            return _one_trial(
                trial, model, "fold-average", f"average of {len(folds)} fold models of trial {trial.number} ({why})"
            )
        left = max(deadline.remaining(), 0.0)
        if memory.refit_seconds(trial) > (1 - SUBSAMPLE_SHARE) * left:
            continue
        log.warning("%s; refitting trial %d in its place", why, trial.number)
        space = spaces[trial.params[FAMILY_PARAM]]
        model = make_model(space, refit_params(trial, space)[0], dataset.task, seed, threads)
        try:
            model.fit(dataset.X, dataset.y, deadline=deadline.earlier(SUBSAMPLE_SHARE * left))
        except DeadlineExceeded:
            continue
        return _one_trial(trial, model, "stand-in", f"trial {trial.number} refit on all rows ({why})")
    return None


def _one_trial(trial: optuna.trial.FrozenTrial, model: Any, kind: str, note: str) -> FinalModel:
    """``model`` as the final model made from ``trial``'s configuration alone (scored by its CV)."""
    member = [{"family": trial.params[FAMILY_PARAM], "trial": trial.number, "weight": 1.0}]
    return FinalModel(model, kind, score(trial), score(trial), member, {"final_model": note})


def pick_library(
    trials: list[optuna.trial.FrozenTrial], available: Callable[[optuna.trial.FrozenTrial], bool]
) -> list[optuna.trial.FrozenTrial]:
    """The ensemble's candidates among ``trials`` (best first): the best ``LIBRARY_SIZE``, then the
    best ``LIBRARY_PER_FAMILY`` of every family not yet that well represented; only trials for
    which ``available`` (their OOF predictions can be had) is true, and it is asked no more than needed."""
    library: list[optuna.trial.FrozenTrial] = []
    per_family: Counter[str] = Counter()
    for trial in trials:
        family = trial.params[FAMILY_PARAM]
        if len(library) >= LIBRARY_SIZE and per_family[family] >= LIBRARY_PER_FAMILY:
            continue
        if available(trial):
            library.append(trial)
            per_family[family] += 1
    return library


def _library(
    study: optuna.Study, memory: RunMemory, store: optuna.artifacts.FileSystemArtifactStore | None
) -> list[optuna.trial.FrozenTrial]:
    """The ensemble's candidates (``pick_library``) with their OOF predictions (this run's, or the artifact store's)."""

    def available(trial: optuna.trial.FrozenTrial) -> bool:
        if trial.number not in memory.oof and store is not None and "oof_artifact" in trial.user_attrs:
            memory.oof[trial.number] = _download_oof(store, trial.user_attrs["oof_artifact"])
        return trial.number in memory.oof

    return pick_library(ranked(study), available)


def _download_oof(store: optuna.artifacts.FileSystemArtifactStore, artifact_id: str) -> np.ndarray:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "oof.npy"
        optuna.artifacts.download_artifact(artifact_store=store, file_path=str(path), artifact_id=artifact_id)
        oof: np.ndarray = np.load(path)
        return oof.astype(np.float64)


@dataclass(frozen=True)
class _Plan:
    """An ensemble chosen on OOF scores, not yet refit. A stacking plan with ``meta_share`` below 1
    blends its meta-learner with the ``weights``-weighted average of the members."""

    kind: str
    score: float
    trials: list[optuna.trial.FrozenTrial]
    weights: np.ndarray
    meta: Any = None
    meta_share: float = 1.0
    passthrough: bool = False
    notes: dict[str, Any] = field(default_factory=dict)

    def used(self) -> list[tuple[optuna.trial.FrozenTrial, float]]:
        """The members with a positive weight."""
        return [(t, float(w)) for t, w in zip(self.trials, self.weights, strict=True) if w > 0]

    def realise(self, models: Mapping[int, Any], dataset: Dataset, best_score: float) -> FinalModel:
        """The ensemble of ``models`` (trial number -> model refit on all rows), one per member."""
        used = self.used()
        fitted = [models[t.number] for t, _ in used]
        weights = np.asarray([w for _, w in used])
        if self.kind == "selection":
            model = WeightedAverageEnsemble(fitted, weights, dataset.task).fit()
        else:
            model = StackedEnsemble(fitted, self.meta, dataset.task, self.passthrough, weights, self.meta_share).fit()
        members = [{"family": t.params[FAMILY_PARAM], "trial": t.number, "weight": round(w, 6)} for t, w in used]
        bagged = sum(isinstance(models[t.number], WeightedAverageEnsemble) for t, _ in used)
        made = f"trials ({len(used) - bagged} refit, {bagged} averaging their fold models)" if bagged else "refit trials"
        notes = {"final_model": f"{self.kind} ensemble of {len(used)} {made}", "ensemble": self.kind, **self.notes}
        return FinalModel(model, self.kind, self.score, best_score, members, notes)


def _size_budget(trials: list[optuna.trial.FrozenTrial]) -> dict[str, Any]:
    """``greedy_selection``'s size arguments for ``trials`` (best first): ``ENSEMBLE_MAX_BYTES``,
    or the best trial's size when larger."""
    sizes = [float(t.user_attrs.get("model_bytes", 0)) for t in trials]
    return {"sizes": sizes, "max_size": max(float(ENSEMBLE_MAX_BYTES), sizes[0] if sizes else 0.0)}


def _selection_plan(trials: list[optuna.trial.FrozenTrial], memory: RunMemory, dataset: Dataset, metric: Metric) -> _Plan:
    oof = [memory.oof[t.number] for t in trials]
    result = greedy_selection(
        oof, dataset.y.to_numpy(), metric, dataset.classes, gain_share=SELECTION_GAIN_SHARE, **_size_budget(trials)
    )
    return _Plan("selection", result.score, trials, result.weights)


def _stacking_plan(
    trials: list[optuna.trial.FrozenTrial], memory: RunMemory, dataset: Dataset, metric: Metric, seed: int
) -> _Plan:
    picked = select_diverse([score(t) for t in trials], [t.params[FAMILY_PARAM] for t in trials], STACKING_MEMBERS, metric)
    members = _within_size_budget([trials[i] for i in picked])
    oof = [memory.oof[t.number] for t in members]
    y = dataset.y.to_numpy()
    oof_score = stacking_oof_score(oof, y, metric, dataset.task, dataset.classes, seed)
    meta = fit_stacking(oof, y, task=dataset.task, classes=dataset.classes, seed=seed)
    return _Plan("stacking", oof_score, members, np.ones(len(members)), meta)


def _blended(
    selection: _Plan,
    library: list[optuna.trial.FrozenTrial],
    memory: RunMemory,
    dataset: Dataset,
    metric: Metric,
    seed: int,
    deadline: Deadline,
) -> _Plan:
    """``selection`` blended with a trees meta-learner over its members and the features
    (``BLEND_SHARES``), or ``selection`` itself when no blend scores better on cross-fitted OOF
    predictions, or when the meta-learner's fits would overrun ``deadline``."""
    members = [t for t, _ in selection.used()]
    y = dataset.y.to_numpy()
    member_oof = [memory.oof[t.number] for t in members]
    try:
        chosen = cross_fitted_selection(
            [memory.oof[t.number] for t in library],
            y,
            metric,
            dataset.classes,
            seed=seed,
            gain_share=SELECTION_GAIN_SHARE,
            **_size_budget(library),
        )
        started = time.monotonic()
        stacked = stacking_oof(
            member_oof, y, dataset.task, dataset.classes, seed, X=dataset.X, passthrough=True, learner="trees", deadline=deadline
        )
        per_fit = (time.monotonic() - started) / STACKING_FOLDS
        shares = _blend_scores(chosen, stacked, y, metric, dataset.classes)
        share = min(shares, key=lambda a: (-shares[a] if metric.greater_is_better else shares[a], a))
        blend = (1 - share) * chosen + share * stacked
        wins = bootstrap_win_rate(chosen, blend, y, metric, dataset.classes, seed) if share else 0.0
        kept = share if wins >= BLEND_MIN_WIN_RATE else 0.0
        notes = {"blend": f"meta-learner share {kept:g}; cross-fitted OOF: {_shown(shares)}"}
        if share:
            notes["blend"] += f"; share {share:g} better than the selection in {wins:.0%} of bootstrap resamples"
        if kept == 0.0:
            return dataclasses.replace(selection, notes=notes)
        if deadline.remaining() < FOLD_TO_FULL_SCALE * per_fit:
            raise DeadlineExceeded("no time left to fit the meta-learner on all rows")
        meta = fit_stacking(
            member_oof, y, task=dataset.task, classes=dataset.classes, X=dataset.X, passthrough=True, seed=seed, learner="trees"
        )
    except (InputError, DeadlineExceeded) as exc:
        log.info("no blend: %s", exc)
        return dataclasses.replace(selection, notes={"blend": f"skipped: {exc}"})
    return _Plan("stacking", shares[share], members, selection.weights[selection.weights > 0], meta, share, True, notes)


def _blend_scores(
    chosen: np.ndarray, stacked: np.ndarray, y: np.ndarray, metric: Metric, classes: np.ndarray | None
) -> dict[float, float]:
    """The metric of each ``BLEND_SHARES`` blend of two OOF predictions, on the rows both predict."""
    rows = _finite_rows(chosen, len(y)) & _finite_rows(stacked, len(y))
    return {a: metric.score(y[rows], (1 - a) * chosen[rows] + a * stacked[rows], classes) for a in BLEND_SHARES}


def bootstrap_win_rate(
    base: np.ndarray,
    other: np.ndarray,
    y: np.ndarray,
    metric: Metric,
    classes: np.ndarray | None,
    seed: int,
    n_resamples: int = BLEND_BOOTSTRAPS,
) -> float:
    """The share of paired bootstrap resamples of the rows both predict where ``other`` scores
    better than ``base``: how much of a gain survives another draw of the same rows. Classes are
    resampled within themselves, so every resample holds each class its rows hold."""
    rows = np.flatnonzero(_finite_rows(base, len(y)) & _finite_rows(other, len(y)))
    groups = [rows[y[rows] == c] for c in classes] if classes is not None else [rows]
    rng = np.random.default_rng(seed)
    wins = 0
    for _ in range(n_resamples):
        drawn = np.concatenate([rng.choice(g, size=len(g)) for g in groups if len(g)])
        wins += metric.better(metric.score(y[drawn], other[drawn], classes), metric.score(y[drawn], base[drawn], classes))
    return wins / n_resamples


def _finite_rows(pred: np.ndarray, n_rows: int) -> np.ndarray:
    finite: np.ndarray = np.isfinite(pred).reshape(n_rows, -1).all(axis=1)
    return finite


def _shown(shares: Mapping[float, float]) -> str:
    return ", ".join(f"{a:g}: {v:.6g}" for a, v in shares.items())


def _within_size_budget(trials: list[optuna.trial.FrozenTrial]) -> list[optuna.trial.FrozenTrial]:
    """``trials`` in order, leaving out each one that would take their sizes past the budget."""
    budget = _size_budget(trials)
    kept: list[optuna.trial.FrozenTrial] = []
    held = 0.0
    for trial, size in zip(trials, budget["sizes"], strict=True):
        if not kept or held + size <= budget["max_size"]:
            kept.append(trial)
            held += size
    return kept


def _bagging(
    best: optuna.trial.FrozenTrial,
    spaces: Mapping[str, FamilySpace],
    dataset: Dataset,
    seed: int,
    threads: int,
    deadline: Deadline,
    single: FinalModel,
) -> FinalModel:
    """Bootstrap copies of the best configuration (no OOF score: that would need a CV of the bag)."""
    space = spaces[best.params[FAMILY_PARAM]]
    base = make_model(space, params_of(best, space), dataset.task, seed, threads)
    try:
        model = BaggedModel(base, n_estimators=BAGGING_COPIES, random_state=seed).fit(dataset.X, dataset.y, deadline=deadline)
    except DeadlineExceeded:
        return _with_note(single, "ensemble", "bagging could not be fit within the budget")
    members = [{"family": space.name, "trial": best.number, "weight": 1 / BAGGING_COPIES, "copies": BAGGING_COPIES}]
    notes = {"final_model": f"bagging: {BAGGING_COPIES} bootstrap copies of trial {best.number}", "ensemble": "bagging"}
    return FinalModel(model, "bagging", None, score(best), members, notes, single=single)

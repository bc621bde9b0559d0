"""The public face: ``search()``, the ``AutoML`` estimator and ``load_best_model()``."""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import optuna
import pandas as pd
from sklearn.base import BaseEstimator
from sklearn.utils.validation import check_is_fitted

from automl._core import ArtifactError, InputError, Limits, mask_secrets
from automl.continual import UpdateConfig, UpdateResult, update as run_update
from automl.data import Dataset, as_frame, load_dataset, read_table, row_sketch, sklearn_score, split_target, summarize
from automl.evaluation import EvaluationConfig, EvaluationReport, EvaluationThresholds, evaluate as evaluate_model, write_report
from automl.models import ModelCard, load_model as load_model_folder
from automl.registry import (
    CHAMPION,
    DEFAULT_REGISTRY,
    GateConfig,
    Lineage,
    ModelVersion,
    Registry,
    feature_notes,
    file_source,
    publish_history,
)
from automl.search import (
    DEFAULT_PRUNER,
    ProgressReporter,
    SearchConfig,
    SearchOutcome,
    WorkerConfig,
    WorkerOutcome,
    create_study as _create_study,
    default_ensemble,
    finalize_study,
    load_existing_study,
    open_storage as open_storage,  # re-exported: the CLI uses api.open_storage
    ranked,
    run_search,
    run_worker as _run_worker,
)


@dataclass(frozen=True)
class SearchResult:
    """A finished search.

    Attributes:
        leaderboard: one row per completed trial, best first.
        best_model: the refit best pipeline (preprocessing included).
        best_params: the best trial's family and hyperparameters.
        study: the Optuna study (open it in ``automl dashboard``).
        model_card: what was saved next to the model.
        model_path: the saved model folder (``None`` when nothing was saved).
        family_summary: effort and best score per family.
        elapsed_seconds: wall time of the search.
        registered: the registry version the final model became (``register=NAME``), else ``None``.
    """

    leaderboard: pd.DataFrame
    best_model: Any
    best_params: dict[str, Any]
    study: optuna.Study
    model_card: ModelCard
    model_path: Path | None
    family_summary: pd.DataFrame
    elapsed_seconds: float
    registered: ModelVersion | None = None

    @classmethod
    def from_outcome(cls, outcome: SearchOutcome) -> SearchResult:
        return cls(
            leaderboard=outcome.leaderboard,
            best_model=outcome.best_model,
            best_params={"family": outcome.best_trial.params["family"], **outcome.card.params},
            study=outcome.study,
            model_card=outcome.card,
            model_path=outcome.model_path,
            family_summary=outcome.family_summary,
            elapsed_seconds=outcome.elapsed_seconds,
        )


def search(
    data: str | Path | pd.DataFrame,
    target: str | pd.Series | np.ndarray | None = None,
    *,
    task: str = "auto",
    metric: str | None = None,
    time_budget: float | None = 60,
    n_trials: int | None = None,
    families: Sequence[str] | None = None,
    study_name: str | None = None,
    storage: str | optuna.storages.BaseStorage | None = None,
    seed: int = 0,
    n_jobs: int = -1,
    spaces: Sequence[str] = (),
    output_dir: str | None = "automl_runs",
    cv_folds: int | None = None,
    time_col: str | None = None,
    ensemble: str | None = None,
    sampler: str = "tpe",
    pruner: str = DEFAULT_PRUNER,
    objectives: Sequence[str] = ("score",),
    reporter: ProgressReporter | None = None,
    register: str | None = None,
    registry: str | None = None,
    registry_artifacts: str | None = None,
    limits: Limits | None = None,
) -> SearchResult:
    """Search model families and hyperparameters for ``data`` within ``time_budget`` seconds.

    ``n_trials`` counts the study's finished trials: re-running a study that
    already has them runs only the missing ones. The study lives in ``storage``
    (default: ``sqlite:///automl.db`` in the working directory) under
    ``study_name`` (default: derived from the file name, target and data
    fingerprint, so the same command resumes the same study).

    Candidates are scored by cross-validation (``cv_folds``; default by rows: 5, 3 from
    10,000 rows, one 80/20 holdout split from 30,000), adapted to rare classes (a class
    seen once is trained on, never validated) and said so on the model card
    (``notes["resampling"]``). ``time_col`` names a column that orders the rows in time:
    every split then validates on rows that come after the rows it trains on.

    ``n_jobs`` is the number of cores to use (default ``-1``: all): several trials at once on
    small tables, threads inside each model on large ones.

    ``ensemble`` picks the final model: ``"selection"`` (greedy ensemble selection over
    the best trials' out-of-fold predictions, used when it beats the best single trial),
    ``"blend"`` (the selection's members also feed extremely randomised trees that see the
    features, a second layer; its prediction is blended with the selection's at the share
    that scores best on cross-fitted OOF predictions of both, kept only when that gain
    holds in 90 % of bootstrap resamples), ``"stacking"``, ``"bagging"``, ``"auto"``
    (selection or stacking, whichever scores best out of fold) or ``"none"``. The default
    is ``"blend"`` for time budgets of 120 s and more (the blend needs time for its own
    fits and pays with more trials to draw on), else ``"selection"``.

    ``sampler`` is ``tpe`` (multivariate), ``random``, ``cmaes``, ``nsga2`` or ``qmc``;
    ``pruner`` is ``none``, ``median``, ``sha`` or ``hyperband``. ``objectives=("score",
    "latency")`` (or ``"size"``) runs a multi-objective study: the leaderboard marks the
    Pareto front and every front trial is saved, for ``load_best_model(choose=...)``.

    ``register="NAME"`` adds the final model to the model registry at ``registry`` (default:
    the study's database URL) as NAME's champion when it has none, else as its challenger,
    with its lineage (data fingerprint and row sketch, study and trials, compute spent).

    ``limits`` bounds what is read from a file (bytes, rows, columns, line length; default
    ``Limits.from_env()``), so a hostile or broken file is refused before it fills memory.

    Example:
        >>> from sklearn.datasets import load_iris
        >>> frame = load_iris(as_frame=True).frame
        >>> result = search(frame, "target", n_trials=3, time_budget=None,
        ...                 storage=optuna.storages.InMemoryStorage(), output_dir=None)
        >>> len(result.leaderboard) >= 1
        True
    """
    started, cpu_started = time.monotonic(), time.process_time()  # the budget covers loading the data too
    dataset = load_dataset(data, target, task, limits)
    config = SearchConfig(
        metric=metric,
        time_budget=time_budget,
        n_trials=n_trials,
        families=tuple(families) if families else None,
        study_name=study_name,
        storage=storage,
        seed=seed,
        n_jobs=n_jobs,
        spaces_dirs=tuple(spaces),
        output_dir=output_dir,
        cv_folds=cv_folds,
        time_col=time_col,
        ensemble=ensemble or default_ensemble(time_budget),
        sampler=sampler,
        pruner=pruner,
        objectives=tuple(objectives),
    )
    result = SearchResult.from_outcome(run_search(dataset, config, reporter, started=started))
    if register is None:
        return result
    if result.model_path is None:
        raise InputError("registering needs the model saved: give an output folder (--output), not None")
    url = registry or (storage if isinstance(storage, str) and "://" in storage else DEFAULT_REGISTRY)
    with Registry(url, registry_artifacts) as reg:
        parent = _champion_version(reg, register)
        lineage = search_lineage(result, dataset, time.process_time() - cpu_started, storage, parent, data)
        version = reg.register(
            register, result.model_path, lineage=lineage, reason=f"final model of study '{result.study.study_name}'"
        )
        publish_history(reg, register)
    return dataclasses.replace(result, registered=version)


def _champion_version(registry: Registry, name: str) -> int | None:
    """The version a new registration of ``name`` would challenge (its parent in the lineage)."""
    return registry.aliases(name).get(CHAMPION) if name in registry.names() else None


def search_lineage(
    result: SearchResult,
    dataset: Dataset,
    cpu_seconds: float,
    storage: object = None,
    parent: int | None = None,
    data: object = None,
) -> Lineage:
    """Where a search's final model came from: its data (fingerprint, row sketch, columns), its study
    and trials, the compute it took (every trial's fits plus the final refit), and the champion it
    was trained to replace (``parent``)."""
    card = result.model_card
    trials = result.study.get_trials(deepcopy=False)
    fit_seconds = sum(float(t.user_attrs.get("fit_seconds", 0.0)) for t in trials) + float(card.notes.get("refit_seconds", 0.0))
    return Lineage(
        mode="search",
        parent_version=parent,
        data_fingerprints=(card.data_fingerprint,),
        data_sketch=row_sketch(dataset.X, dataset.y).to_dict(),
        data_sources=(file_source(data, len(dataset.y)),) if isinstance(data, (str, Path)) else (),
        study_name=result.study.study_name,
        study_storage=mask_secrets(storage) if isinstance(storage, str) else None,
        trial_numbers=tuple(int(m["trial"]) for m in card.members)
        or ((card.trial_number,) if card.trial_number is not None else ()),
        fit_seconds=round(fit_seconds, 3),
        cpu_seconds=round(cpu_seconds, 3),
        wall_seconds=round(result.elapsed_seconds, 3),
        rows_seen=len(dataset.y),
        data_summary=summarize(dataset.X),
        notes={**feature_notes(dataset.X), "final_model": card.notes.get("final_model")},
    )


def load_model(ref: str, registry: str | None = None, *, registry_artifacts: str | None = None) -> Any:
    """Load a registered model for serving: ``load_model("churn@champion", registry="sqlite:///automl.db")``.

    ``ref`` is ``NAME@champion`` (or any alias), ``NAME@3``, ``NAME@latest``, or a bare
    ``NAME`` (its champion). Every artifact file is checked against the SHA-256 its
    registry row records before anything is deserialised.

    Raises:
        InputError: unknown name, version or alias.
        ArtifactError: a missing, changed or untrusted artifact file.
    """
    with Registry(registry, registry_artifacts) as reg:
        return reg.get(ref).model


def create_study(
    data: str | Path | pd.DataFrame,
    target: str | pd.Series | np.ndarray | None = None,
    *,
    task: str = "auto",
    metric: str | None = None,
    n_trials: int | None = None,
    families: Sequence[str] | None = None,
    study_name: str | None = None,
    storage: str | optuna.storages.BaseStorage | None = None,
    seed: int = 0,
    spaces: Sequence[str] = (),
    output_dir: str | None = "automl_runs",
    cv_folds: int | None = None,
    time_col: str | None = None,
    ensemble: str | None = None,
    sampler: str = "tpe",
    pruner: str = DEFAULT_PRUNER,
    objectives: Sequence[str] = ("score",),
) -> optuna.Study:
    """Create a study for workers to join (:func:`run_worker`), without running a trial.

    Takes :func:`search`'s options; ``n_trials`` becomes the study's target, the default of
    its workers. The study records everything a worker needs (data location and
    fingerprint, families and their space hashes, CV plan, seed, artifact folder
    ``output_dir/<study>``, which must be shared by every worker's machine).

    Example:
        >>> study = create_study("train.csv", "y", n_trials=200, study_name="churn",
        ...                      storage="postgresql://automl@db/automl")  # doctest: +SKIP
    """
    dataset = load_dataset(data, target, task)
    config = SearchConfig(
        metric=metric,
        time_budget=None,
        n_trials=n_trials,
        families=tuple(families) if families else None,
        study_name=study_name,
        storage=storage,
        seed=seed,
        spaces_dirs=tuple(spaces),
        output_dir=output_dir,
        cv_folds=cv_folds,
        time_col=time_col,
        ensemble=ensemble or "selection",
        sampler=sampler,
        pruner=pruner,
        objectives=tuple(objectives),
    )
    return _create_study(dataset, config.settings(dataset), study_name=study_name, storage=storage, output_dir=output_dir).study


def run_worker(
    study_name: str,
    storage: str | optuna.storages.BaseStorage | None = None,
    *,
    time_budget: float | None = None,
    n_trials: int | None = None,
    n_jobs: int = 1,
    seed: int | None = None,
    data: str | None = None,
    spaces: Sequence[str] | None = None,
    reporter: ProgressReporter | None = None,
) -> WorkerOutcome:
    """Join an existing study and add trials until it has ``n_trials`` finished ones (default:
    the study's target) or ``time_budget`` seconds pass. Run as many workers as you like,
    on any machines that reach the storage, the data and the artifact folder.

    ``data`` and ``spaces`` override where this machine finds the study's table and
    search-space folders; they must hold the very same data and spaces.

    Example:
        >>> outcome = run_worker("churn", "postgresql://automl@db/automl", time_budget=600)  # doctest: +SKIP
        >>> outcome.trials_run  # doctest: +SKIP
        14
    """
    config = WorkerConfig(
        time_budget=time_budget,
        n_trials=n_trials,
        n_jobs=n_jobs,
        seed=seed,
        data=data,
        spaces_dirs=None if spaces is None else tuple(spaces),
    )
    return _run_worker(study_name, storage, config, reporter)


def finalize(
    study_name: str,
    storage: str | optuna.storages.BaseStorage | None = None,
    *,
    ensemble: str | None = None,
    time_budget: float | None = None,
    n_jobs: int = 1,
    data: str | None = None,
    spaces: Sequence[str] | None = None,
) -> SearchResult:
    """Build a study's final model once, from every worker's finished trials, and save it.

    ``ensemble`` defaults to the study's; the out-of-fold predictions of all workers'
    trials are read from the study's artifact folder.

    Example:
        >>> result = finalize("churn", "postgresql://automl@db/automl")  # doctest: +SKIP
        >>> result.model_card.members  # doctest: +SKIP
    """
    outcome = finalize_study(
        study_name,
        storage,
        ensemble=ensemble,
        time_budget=time_budget,
        n_jobs=n_jobs,
        data=data,
        spaces_dirs=None if spaces is None else tuple(spaces),
    )
    return SearchResult.from_outcome(outcome)


def load_best_model(
    study_name: str,
    storage: str | optuna.storages.BaseStorage | None = None,
    *,
    choose: str | None = None,
    trust: Sequence[str] = (),
) -> Any:
    """Load the refit best model of a study from its artifact store.

    ``choose`` applies to multi-objective studies: ``"latency<=X"`` (ms per 1,000
    rows) or ``"size<=X"`` (bytes) picks the best-scoring saved Pareto-front trial
    within that limit; by default the best-scoring trial is returned.

    The model files must match the SHA-256 digests the search recorded in the study, and
    may contain only the types automl trusts; ``trust`` names extra types (exact
    ``module.Class`` names) you accept the risk of loading.

    Raises:
        ArtifactError: the study has no saved model, or the files are missing, changed since
            the search saved them, or contain untrusted types.
        InputError: a malformed ``choose`` rule, or no front trial satisfies it.

    Example:
        >>> model = load_best_model("churn", "sqlite:///automl.db", choose="latency<=5")  # doctest: +SKIP
    """
    model, _ = load_best_model_and_card(study_name, storage, choose=choose, trust=trust)
    return model


def load_best_model_and_card(
    study_name: str,
    storage: str | optuna.storages.BaseStorage | None = None,
    *,
    choose: str | None = None,
    trust: Sequence[str] = (),
) -> tuple[Any, ModelCard]:
    study = load_study(study_name, storage)
    if choose is None:
        path, digests = study.user_attrs.get("best_model_path"), study.user_attrs.get("best_model_digests")
    else:
        number, path = _chosen(study, choose)
        digests = study.user_attrs.get("pareto_model_digests", {}).get(str(number))
    if not path:
        raise ArtifactError(f"study '{study_name}' has no saved model (was it run with an output folder?)")
    if not isinstance(digests, dict) or not digests:
        raise ArtifactError(
            f"study '{study_name}' records no SHA-256 digests for its model '{path}' (saved by an older automl?); "
            "run the search again to save a verifiable model"
        )
    return load_model_folder(path, trust, expected_digests=digests, digest_source=f"study '{study_name}'")


_CHOOSE_ATTRS = {"latency": "predict_ms_per_1k", "size": "model_bytes"}


def _chosen(study: optuna.Study, rule: str) -> tuple[int, str]:
    """The saved Pareto-front model that ``rule`` (``latency<=X`` / ``size<=X``) selects."""
    name, _, limit_text = rule.partition("<=")
    name = name.strip()
    try:
        limit = float(limit_text)
    except ValueError:
        limit = float("nan")
    if name not in _CHOOSE_ATTRS or limit != limit:
        raise InputError(f"choose rule '{rule}' not understood; use latency<=MS_PER_1K_ROWS or size<=BYTES")
    saved = {int(n): p for n, p in study.user_attrs.get("pareto_models", {}).items()}
    if not saved:
        raise InputError(f"study '{study.study_name}' is not a multi-objective study with saved Pareto-front models")
    objectives = study.user_attrs.get("objectives", ["score"])

    def measured(trial: optuna.trial.FrozenTrial) -> float:
        """The objective value when it was an objective of the study, else the trial's record."""
        if name in objectives:
            return float(trial.values[objectives.index(name)])
        return float(trial.user_attrs.get(_CHOOSE_ATTRS[name], float("inf")))

    fits = [t for t in ranked(study) if t.number in saved and measured(t) <= limit]
    if not fits:
        raise InputError(f"no saved Pareto-front trial of '{study.study_name}' has {name} <= {limit:g}")
    return fits[0].number, saved[fits[0].number]


def load_saved_model(path: str | Path, trust: Sequence[str] = ()) -> tuple[Any, ModelCard]:
    """Load a model folder written by a search (``model.skops`` + ``model_card.json``).

    The folder's card must agree with the model file's SHA-256; ``trust`` names extra types
    you accept the risk of loading (see :func:`load_best_model`).
    """
    return load_model_folder(path, trust)


def load_study(study_name: str, storage: str | optuna.storages.BaseStorage | None = None) -> optuna.Study:
    """Open an existing study, with a clear error naming the known ones when it is not there.

    Raises:
        InputError: no such study, or a SQLite storage file that does not exist.
    """
    return load_existing_study(study_name, storage)


class AutoML(BaseEstimator):  # type: ignore[misc]  # sklearn has no type hints
    """Model search as an sklearn estimator: ``fit`` runs a search and keeps its best model.

    By default the study is kept in memory and nothing is written to disk, so the
    estimator behaves like any other inside ``cross_val_score`` or a ``Pipeline``.

    Example:
        >>> from sklearn.datasets import load_iris
        >>> X, y = load_iris(return_X_y=True, as_frame=True)
        >>> model = AutoML(time_budget=None, n_trials=3).fit(X, y)
        >>> model.predict(X).shape
        (150,)
    """

    def __init__(
        self,
        task: str = "auto",
        metric: str | None = None,
        time_budget: float | None = 60,
        n_trials: int | None = None,
        families: Sequence[str] | None = None,
        seed: int = 0,
        n_jobs: int = -1,
        storage: str | None = None,
        study_name: str | None = None,
        output_dir: str | None = None,
        cv_folds: int | None = None,
        ensemble: str | None = None,
        time_col: str | None = None,
    ) -> None:
        self.task = task
        self.metric = metric
        self.time_budget = time_budget
        self.n_trials = n_trials
        self.families = families
        self.seed = seed
        self.n_jobs = n_jobs
        self.storage = storage
        self.study_name = study_name
        self.output_dir = output_dir
        self.cv_folds = cv_folds
        self.ensemble = ensemble
        self.time_col = time_col

    def __sklearn_tags__(self) -> Any:
        tags = super().__sklearn_tags__()
        tags.input_tags.allow_nan = True
        tags.input_tags.string = True
        tags.input_tags.categorical = True
        return tags

    def fit(self, X: Any, y: Any) -> AutoML:
        frame = as_frame(X)
        result = search(
            frame,
            pd.Series(np.asarray(y), name=getattr(y, "name", None) or "target"),
            task=self.task,
            metric=self.metric,
            time_budget=self.time_budget,
            n_trials=self.n_trials,
            families=self.families,
            study_name=self.study_name,
            storage=self.storage or optuna.storages.InMemoryStorage(),
            seed=self.seed,
            n_jobs=self.n_jobs,
            output_dir=self.output_dir,
            cv_folds=self.cv_folds,
            time_col=self.time_col,
            ensemble=self.ensemble,
        )
        self.result_ = result
        self.best_model_ = result.best_model
        self.task_ = result.model_card.task
        if self.task_ != "regression":
            self.classes_ = np.asarray(result.best_model.classes_)
        self.n_features_in_ = frame.shape[1]
        return self

    def _frame(self, X: Any) -> pd.DataFrame:
        check_is_fitted(self, "best_model_")
        return as_frame(X)

    def predict(self, X: Any) -> np.ndarray:
        return np.asarray(self.best_model_.predict(self._frame(X)))

    def predict_proba(self, X: Any) -> np.ndarray:
        return np.asarray(self.best_model_.predict_proba(self._frame(X)))

    def score(self, X: Any, y: Any) -> float:
        """Accuracy for classification, R^2 for regression (the sklearn convention)."""
        return sklearn_score(self.task_, y, self.predict(X))


def evaluate(
    model: Any,
    X: str | Path | pd.DataFrame,
    y: str | pd.Series | np.ndarray | None = None,
    *,
    task: str | None = None,
    metric: str | None = None,
    slices: Sequence[str] = (),
    invariant: Sequence[str] = (),
    directional: str | dict[str, Any] | None = None,
    champion: Any = None,
    X_train: str | Path | pd.DataFrame | None = None,
    y_train: str | pd.Series | np.ndarray | None = None,
    cost_fp: float | None = None,
    cost_fn: float | None = None,
    config: EvaluationConfig | None = None,
    thresholds: EvaluationThresholds | None = None,
    seed: int = 0,
    out: str | Path | None = None,
    model_name: str | None = None,
    trust: Sequence[str] = (),
    limits: Limits | None = None,
) -> EvaluationReport:
    """Evaluate a fitted model offline: baselines, behavioural tests, calibration, slices, ...

    A thin layer over :func:`automl.evaluation.evaluate` that also accepts paths:
    ``model``/``champion`` may be saved model folders (their card supplies the
    task, metric and target), ``X``/``X_train`` CSV or Parquet files, and
    ``y``/``y_train`` a column name of them (default: the card's target).
    With ``out``, report.json and report.html are written there. ``model_name``
    titles the report (default: the card's family and path, or the class name).
    ``trust`` names extra types to accept when loading model folders (see :func:`load_best_model`);
    ``limits`` bounds the tables read from files (see :func:`search`).

    Returns:
        automl.evaluation.EvaluationReport

    Example:
        >>> report = evaluate("runs/best_model", "test.csv", "y", slices=["region"], out="eval")  # doctest: +SKIP
        >>> report.status  # doctest: +SKIP
        'pass'
    """
    name = model_name
    if isinstance(model, (str, Path)):
        path = model
        model, card = load_saved_model(path, trust)
        task, metric, name = task or card.task, metric or card.metric, name or f"{card.family} ({path})"
        y = card.target if y is None else y
    if isinstance(champion, (str, Path)):
        champion, _ = load_saved_model(champion, trust)
    if y is None:
        raise InputError("no target given; pass the target values or the name of the column to predict")
    frame, target = split_target(_table(X, "X", limits), y, str(X) if isinstance(X, (str, Path)) else "X")
    train_frame = train_target = None
    if X_train is not None:
        train_target_spec = (y if isinstance(y, str) else None) if y_train is None else y_train
        if train_target_spec is None:
            raise InputError("no target given for X_train; pass y_train")
        train_frame, train_target = split_target(_table(X_train, "X_train", limits), train_target_spec, "X_train")
    report = evaluate_model(
        model,
        frame,
        target,
        task=task,
        metric=metric,
        slices=slices,
        invariant=invariant,
        directional=directional,
        champion=champion,
        X_train=train_frame,
        y_train=train_target,
        cost_fp=cost_fp,
        cost_fn=cost_fn,
        config=config,
        thresholds=thresholds,
        seed=seed,
        model_name=name,
    )
    if out is not None:
        write_report(report, out)
    return report


def _table(data: str | Path | pd.DataFrame, name: str, limits: Limits | None = None) -> pd.DataFrame:
    if isinstance(data, (str, Path)):
        return read_table(data, limits)
    if not isinstance(data, pd.DataFrame):
        raise InputError(f"{name} must be a path or a pandas DataFrame, got {type(data).__name__}")
    return data


def update(
    name: str,
    data: str | Path | pd.DataFrame,
    target: str | None = None,
    *,
    mode: str = "auto",
    window: int | None = None,
    holdout: float = 0.2,
    time_col: str | None = None,
    time_budget: float | None = None,
    gate: GateConfig | None = None,
    promote: bool = False,
    history: pd.DataFrame | None = None,
    registry: str | None = None,
    registry_artifacts: str | None = None,
    seed: int = 0,
) -> UpdateResult:
    """Update the champion of ``name`` with new labelled rows, register the challenger and run the gate.

    ``data`` holds the new rows (a CSV/Parquet path or a DataFrame with the target
    column; ``target`` defaults to the champion card's). The newest ``holdout`` share
    is sealed for the gate; ``mode`` is ``stateful``, ``stateless``, ``search`` or
    ``auto`` (see ``automl.continual.UpdateConfig``). With ``promote=True`` a PROMOTE
    verdict moves the champion alias.

    Example:
        >>> result = automl.update("churn", "this_week.csv", mode="stateful", promote=True)  # doctest: +SKIP
        >>> result.challenge.decision.verdict  # doctest: +SKIP
        'PROMOTE'
    """
    frame = read_table(data) if isinstance(data, (str, Path)) else data
    if not isinstance(frame, pd.DataFrame):
        raise InputError(f"data must be a path or a pandas DataFrame, got {type(frame).__name__}")
    config = UpdateConfig(
        mode=mode,
        window=window,
        holdout=holdout,
        time_col=time_col,
        time_budget=time_budget,
        gate=gate or GateConfig(seed=seed),
        promote=promote,
        seed=seed,
    )
    url = registry or DEFAULT_REGISTRY
    with Registry(url, registry_artifacts) as reg:
        champion = reg.version(f"{name}@{CHAMPION}")
        result = run_update(
            reg,
            name,
            frame,
            target or champion.card.target,
            config,
            history=history,
            source_path=data if isinstance(data, (str, Path)) else None,
            storage=url,
        )
        publish_history(reg, name)
    return result

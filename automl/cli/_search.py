"""``automl search``: run a study, print the leaderboard, the family summary and where things went."""

from __future__ import annotations

import argparse
import shlex
from typing import Any

from automl import api
from automl.cli._limits import add_limit_arguments, limits_from_args
from automl.cli._render import RichReporter, console, frame_table, print_leaderboard
from automl.search import DEFAULT_PRUNER, DEFAULT_STORAGE, ENSEMBLE_KINDS, PRUNERS, SAMPLERS, describe_storage


def csv_list(text: str) -> list[str]:
    return [part.strip() for part in text.split(",") if part.strip()]


def add_study_arguments(parser: argparse.ArgumentParser) -> None:
    """What defines a study: shared by ``automl search`` and ``automl studies create``."""
    parser.add_argument("data", help="CSV or Parquet file")
    parser.add_argument("--target", required=True, help="column to predict")
    parser.add_argument("--task", default="auto", choices=["auto", "binary", "multiclass", "regression"])
    parser.add_argument("--metric", help="roc_auc, log_loss, accuracy, f1, rmse, mae, r2, ... (default by task)")
    parser.add_argument("--families", type=csv_list, help="comma-separated families (default: all that fit the task)")
    parser.add_argument("--study", help="study name (default: from file name, target and data fingerprint)")
    parser.add_argument(
        "--storage",
        default=DEFAULT_STORAGE,
        help=f"sqlite:///FILE, postgresql://USER@HOST/DB or journal:FILE (default {DEFAULT_STORAGE})",
    )
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--cv-folds", type=int, help="folds for cross-validation (default: 5, 3 from 10,000 rows, one holdout split from 30,000)"
    )
    parser.add_argument(
        "--time-col", metavar="COL", help="rows are ordered in time by COL: validate only on rows after those trained on"
    )
    parser.add_argument(
        "--ensemble",
        choices=list(ENSEMBLE_KINDS),
        help="final model: greedy ensemble selection, blend (the selection blended with a trees stacker, "
        "as cross-validation favours), stacking, bagging, auto, or none "
        "(default: blend for a time budget of 120 s and more, else selection)",
    )
    parser.add_argument("--sampler", default="tpe", choices=list(SAMPLERS))
    parser.add_argument("--pruner", default=DEFAULT_PRUNER, choices=list(PRUNERS), help=f"default {DEFAULT_PRUNER}")
    parser.add_argument(
        "--objectives", type=csv_list, default=["score"], help="score (default), or score,latency / score,size for a Pareto front"
    )
    parser.add_argument("--spaces", action="append", default=[], metavar="DIR", help="extra search-space folder (repeatable)")
    parser.add_argument("--output", default="automl_runs", help="folder for models and artifacts (default automl_runs)")


def study_options(args: argparse.Namespace) -> dict[str, Any]:
    """The keyword arguments of ``api.search`` / ``api.create_study`` that ``add_study_arguments``
    (and each command's ``--n-trials``) define."""
    return {
        "task": args.task,
        "metric": args.metric,
        "n_trials": args.n_trials,
        "families": args.families,
        "study_name": args.study,
        "storage": args.storage,
        "seed": args.seed,
        "spaces": args.spaces,
        "output_dir": args.output,
        "cv_folds": args.cv_folds,
        "time_col": args.time_col,
        "ensemble": args.ensemble,
        "sampler": args.sampler,
        "pruner": args.pruner,
        "objectives": args.objectives,
    }


class SearchCommand:
    help = "search model families and hyperparameters for a table"

    def add_arguments(self, parser: argparse.ArgumentParser) -> None:
        add_study_arguments(parser)
        parser.add_argument(
            "--time-budget", type=float, default=60.0, help="seconds for the whole search, refit included (default 60)"
        )
        parser.add_argument("--n-trials", type=int, help="stop once the study has this many finished trials")
        parser.add_argument(
            "--n-jobs",
            type=int,
            default=-1,
            help="cores to use (default -1: all): trials at once on small tables, model threads on large ones",
        )
        parser.add_argument(
            "--register", metavar="NAME", help="register the final model: NAME's champion if it has none, else its challenger"
        )
        parser.add_argument("--registry", help="registry database URL (default: the --storage URL)")
        parser.add_argument(
            "--registry-artifacts", metavar="DIR", help="registry artifact folder (default: beside the SQLite file)"
        )
        add_limit_arguments(parser)

    def run(self, args: argparse.Namespace) -> int:
        # The promise is about the whole command, so start-up time comes out of the budget.
        budget = None if args.time_budget is None else max(args.time_budget - args.startup_seconds, 1.0)
        result = api.search(
            args.data,
            args.target,
            **study_options(args),
            time_budget=budget,
            n_jobs=args.n_jobs,
            reporter=RichReporter(),
            register=args.register,
            registry=args.registry,
            registry_artifacts=args.registry_artifacts,
            limits=limits_from_args(args),
        )
        print_result(result, args.storage)
        if result.registered is not None:
            aliases = ", ".join(result.registered.aliases) or "no alias"
            console.print(
                f"registered as {result.registered.ref} ({aliases}); see: automl registry show {result.registered.ref}",
                soft_wrap=True,
            )
        return 0


def print_result(result: api.SearchResult, storage_url: str) -> None:
    """Leaderboard, families, the final model and where it went (``search`` and ``finalize``)."""
    card = result.model_card
    storage = describe_storage(storage_url)  # never print a password
    print_leaderboard(result.leaderboard)
    console.print(frame_table(result.family_summary, "Families (effort and best score)"))
    console.print(
        f"best trial: {card.trial_number}, out-of-fold {card.metric} = {card.notes['best_single_score']:.5g} "
        f"[{card.notes.get('resampling')}]"
    )
    if len(card.members) > 1:
        members = ", ".join(f"{m['family']}#{m['trial']} x{m['weight']:.2f}" for m in card.members)
        console.print(f"final model: {card.family} ensemble, out-of-fold {card.metric} = {card.cv_score:.5g}: {members}")
    else:
        console.print(f"final model: {card.notes.get('final_model')} ({card.notes.get('ensemble', 'single model')})")
    console.print(f"study: {result.study.study_name} in {storage}  ({result.elapsed_seconds:.1f} s)")
    console.print(f"model saved to: {result.model_path}  (card: {result.model_path}/model_card.json)", soft_wrap=True)
    console.print(f"load it in Python: automl.load_best_model({result.study.study_name!r}, {storage!r})", soft_wrap=True)
    console.print(f"open the dashboard: automl dashboard --storage {shlex.quote(storage)}", soft_wrap=True)

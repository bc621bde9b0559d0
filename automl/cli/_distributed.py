"""``automl worker`` and ``automl finalize``: one study, many workers.

``automl studies create`` (``_studies``) records everything a worker needs with the study; any number of
``worker`` processes, on any machines that reach the storage, the data and the
artifact folder, add trials; ``finalize`` builds the final model once from all of them.
"""

from __future__ import annotations

import argparse

from automl import api
from automl.cli._clock import process_age_seconds
from automl.cli._render import RichReporter, console
from automl.cli._search import print_result
from automl.search import DEFAULT_STORAGE, ENSEMBLE_KINDS

_STORAGE_HELP = f"the study's storage: sqlite:///FILE, postgresql://USER@HOST/DB or journal:FILE (default {DEFAULT_STORAGE})"


def _add_join_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--study", required=True, help="name of the study to join")
    parser.add_argument("--storage", default=DEFAULT_STORAGE, help=_STORAGE_HELP)
    parser.add_argument("--data", help="where this machine reads the study's table (default: the path recorded with the study)")
    parser.add_argument(
        "--spaces",
        action="append",
        metavar="DIR",
        help="where this machine finds the study's extra search-space folders (default: the recorded ones)",
    )


def _budget(seconds: float | None) -> float | None:
    """The promise is about the whole command, so start-up time comes out of the budget."""
    return None if seconds is None else max(seconds - process_age_seconds(), 1.0)


class WorkerCommand:
    help = "join a study and add trials to it (no final model: see automl finalize)"

    def add_arguments(self, parser: argparse.ArgumentParser) -> None:
        _add_join_arguments(parser)
        parser.add_argument("--time-budget", type=float, help="seconds this worker works (default: until the trial target)")
        parser.add_argument("--n-trials", type=int, help="the study's target of finished trials (default: the study's own)")
        parser.add_argument("--n-jobs", type=int, default=1, help="trials run in parallel in this worker")
        parser.add_argument("--seed", type=int, help="sampler seed (default: the study's seed mixed with this worker's id)")

    def run(self, args: argparse.Namespace) -> int:
        outcome = api.run_worker(
            args.study,
            args.storage,
            time_budget=_budget(args.time_budget),
            n_trials=args.n_trials,
            n_jobs=args.n_jobs,
            seed=args.seed,
            data=args.data,
            spaces=args.spaces,
            reporter=RichReporter(),
        )
        running = f", {outcome.study_running} running" if outcome.study_running else ""
        console.print(
            f"worker {outcome.worker} ran {outcome.trials_run} trials in {outcome.elapsed_seconds:.1f} s; "
            f"study {outcome.study.study_name} has {outcome.study_finished} finished trials{running}",
            soft_wrap=True,
        )
        return 0


class FinalizeCommand:
    help = "build a study's final model once, from every worker's trials, and save it"

    def add_arguments(self, parser: argparse.ArgumentParser) -> None:
        _add_join_arguments(parser)
        parser.add_argument("--ensemble", choices=list(ENSEMBLE_KINDS), help="final model (default: the study's)")
        parser.add_argument("--time-budget", type=float, help="seconds for refitting and saving (default: no limit)")
        parser.add_argument("--n-jobs", type=int, default=1, help="threads for the refit")

    def run(self, args: argparse.Namespace) -> int:
        result = api.finalize(
            args.study,
            args.storage,
            ensemble=args.ensemble,
            time_budget=_budget(args.time_budget),
            n_jobs=args.n_jobs,
            data=args.data,
            spaces=args.spaces,
        )
        print_result(result, args.storage)
        return 0

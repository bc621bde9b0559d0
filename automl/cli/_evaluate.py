"""``automl evaluate``: offline evaluation of a saved model, written as report.json + report.html."""

from __future__ import annotations

import argparse
from pathlib import Path

from rich.table import Table

from automl import api
from automl._core import InputError
from automl.cli._limits import add_limit_arguments, limits_from_args
from automl.cli._model_source import add_model_source, load_model_source
from automl.cli._render import console
from automl.data import read_table
from automl.evaluation import EvaluationConfig, EvaluationThresholds, parse_columns, write_report

#: Exit code when ``--fail-on-check`` is given and a check failed (1 is an unexpected error, 2 bad input).
EXIT_CHECKS_FAILED = 3
_STYLE = {"pass": "green", "fail": "bold red", "skipped": "dim"}


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got '{text}'") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {value}")
    return value


class EvaluateCommand:
    help = "evaluate a saved model on labelled data: baselines, robustness, calibration, slices (report.json + report.html)"

    def add_arguments(self, parser: argparse.ArgumentParser) -> None:
        add_model_source(parser)
        parser.add_argument(
            "--data", type=Path, required=True, help="labelled evaluation table (CSV or Parquet), never used for training"
        )
        parser.add_argument("--target", help="target column (default: the model card's)")
        parser.add_argument("--slices", default="", metavar="COL,...", help="columns to slice the metric by")
        parser.add_argument("--invariant", default="", metavar="COL,...", help="columns whose value must not change predictions")
        parser.add_argument(
            "--directional", default="", metavar="COL:+|-,...", help="raising COL must not lower (+) / raise (-) the score"
        )
        parser.add_argument("--cost-fp", type=float, help="cost of a false positive (binary; with --cost-fn)")
        parser.add_argument("--cost-fn", type=float, help="cost of a false negative (binary; with --cost-fp)")
        parser.add_argument("--train", type=Path, help="training table: enables the learning curve, fits the heuristic baselines")
        parser.add_argument(
            "--against", type=Path, metavar="CHAMPION_MODEL_PATH", help="saved champion model folder to compare with"
        )
        parser.add_argument("--out", type=Path, default=Path("evaluation"), help="output folder (default: ./evaluation)")
        parser.add_argument("--metric", help="primary metric (default: the model card's)")
        parser.add_argument("--positive-class", help="class whose probability is the score (default: the last class)")
        parser.add_argument("--threshold", type=float, default=0.5, help="decision threshold on P(positive) (default 0.5)")
        parser.add_argument(
            "--target-accuracy", type=float, default=0.9, help="accuracy the confidence section aims for (default 0.9)"
        )
        parser.add_argument(
            "--recalibrate",
            choices=("isotonic", "sigmoid", "none"),
            default="isotonic",
            help="recalibration method to study (default isotonic)",
        )
        parser.add_argument("--bootstrap", type=_positive_int, default=200, help="bootstrap resamples per interval (default 200)")
        parser.add_argument("--importance-repeats", type=_positive_int, default=5, help="shuffles per column (default 5)")
        parser.add_argument("--seed", type=int, default=0)
        parser.add_argument(
            "--fail-on-check",
            action="store_true",
            help=f"exit with code {EXIT_CHECKS_FAILED} when any check fails (for CI gates)",
        )
        add_limit_arguments(parser)

    def run(self, args: argparse.Namespace) -> int:
        if (args.cost_fp is None) != (args.cost_fn is None):
            raise InputError("give both --cost-fp and --cost-fn (or neither)")
        model, card, name = load_model_source(args)
        limits = limits_from_args(args)
        target = args.target or card.target
        config = EvaluationConfig(
            n_bootstrap=args.bootstrap,
            importance_repeats=args.importance_repeats,
            recalibration=None if args.recalibrate == "none" else args.recalibrate,
            threshold=args.threshold,
            target_accuracy=args.target_accuracy,
            positive_class=args.positive_class,
        )
        champion = api.load_saved_model(args.against, args.trust)[0] if args.against else None
        report = api.evaluate(
            model,
            read_table(args.data, limits),
            target,
            task=card.task,
            metric=args.metric or card.metric,
            slices=parse_columns(args.slices),
            invariant=parse_columns(args.invariant),
            directional=args.directional or None,
            champion=champion,
            X_train=read_table(args.train, limits) if args.train else None,
            cost_fp=args.cost_fp,
            cost_fn=args.cost_fn,
            config=config,
            thresholds=EvaluationThresholds(),
            seed=args.seed,
            model_name=name,
        )
        paths = write_report(report, args.out)
        table = Table(title=f"Evaluation of {name} on {args.data} ({report.n_rows} rows)", title_justify="left")
        table.add_column("section")
        table.add_column("status")
        table.add_column("failed checks", overflow="fold")
        for section, result in report.sections.items():
            failed = "; ".join(c.name for c in result.checks if not c.passed)
            table.add_row(section, f"[{_STYLE[result.status]}]{result.status}[/]", failed)
        console.print(table)
        console.print(f"overall: [{_STYLE[report.status]}]{report.status}[/]; wrote {paths.json} and {paths.html}")
        return EXIT_CHECKS_FAILED if args.fail_on_check and not report.passed else 0

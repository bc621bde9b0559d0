"""``automl challenge`` (the promotion gate on registered versions) and ``automl split`` (a sealed holdout)."""

from __future__ import annotations

import argparse
from pathlib import Path

import pandas as pd

from automl._core import InputError, atomic_write_bytes
from automl.cli._registry import add_registry_options, open_registry
from automl.cli._render import console, frame_table
from automl.cli._search import csv_list
from automl.data import fingerprint, read_table, split_frame, split_target
from automl.evaluation import Estimate
from automl.registry import ChallengeResult, GateConfig, challenge

_VERDICT_STYLE = {"PROMOTE": "bold green", "HOLD": "bold yellow", "REJECT": "bold red"}
_CHECK_STYLE = {"pass": "green", "warn": "yellow", "fail": "bold red"}


class ChallengeCommand:
    help = "score a challenger against the champion on a sealed holdout: PROMOTE / HOLD / REJECT, with evidence"

    def add_arguments(self, parser: argparse.ArgumentParser) -> None:
        parser.add_argument("name", help="registered model name")
        parser.add_argument("--challenger", required=True, help="version number or reference (e.g. 4, NAME@challenger)")
        parser.add_argument("--champion", help="reference to compare against (default NAME@champion)")
        parser.add_argument(
            "--data", required=True, type=Path, help="labelled holdout (CSV or Parquet) neither model was trained on"
        )
        parser.add_argument("--target", help="target column (default: the champion card's)")
        parser.add_argument(
            "--time-col", help="order rows by this column; with --holdout-fraction the newest rows are the holdout"
        )
        parser.add_argument(
            "--holdout-fraction",
            type=float,
            default=1.0,
            help="share of the newest rows used (needs --time-col when below 1; default 1: all rows)",
        )
        parser.add_argument("--metric", help="primary metric (default: the champion card's)")
        add_gate_options(parser)
        parser.add_argument("--out", type=Path, help="report folder (default: reports/ in the registry's artifact folder)")
        add_registry_options(parser)

    def run(self, args: argparse.Namespace) -> int:
        config = gate_config(args)
        with open_registry(args) as registry:
            champion = registry.version(args.champion or f"{args.name}@champion")
            X, y = holdout_rows(args.data, args.target or champion.card.target, args.time_col, args.holdout_fraction)
            result = challenge(
                registry,
                args.name,
                args.challenger,
                X,
                y,
                config,
                champion=args.champion,
                metric=args.metric,
                promote=args.promote,
                out=args.out,
                source=str(args.data),
            )
        print_decision(result)
        return 0


def add_gate_options(parser: argparse.ArgumentParser) -> None:
    """The promotion policy's options, shared by ``challenge`` and ``update``."""
    parser.add_argument("--margin", type=float, default=0.0, help="required improvement in metric units (default 0)")
    parser.add_argument("--confidence", type=float, default=0.95, help="interval level (default 0.95)")
    parser.add_argument("--n-bootstrap", type=int, default=1000, help="paired bootstrap resamples (default 1000)")
    parser.add_argument("--slices", type=csv_list, default=[], metavar="COL,...", help="slices that must not regress")
    parser.add_argument(
        "--invariant", type=csv_list, default=[], metavar="COL,...", help="columns predictions must not depend on"
    )
    parser.add_argument("--max-ece-increase", type=float, default=0.02, help="tolerated calibration loss (default 0.02)")
    parser.add_argument(
        "--max-slice-drop",
        type=float,
        default=0.05,
        help="tolerated loss on a slice, share of the champion's score there (default 0.05)",
    )
    parser.add_argument("--min-slice-size", type=int, default=30, help="smaller slices are not checked (default 30)")
    parser.add_argument("--promote", action="store_true", help="move the champion alias when the verdict is PROMOTE")
    parser.add_argument("--seed", type=int, default=0)


def gate_config(args: argparse.Namespace) -> GateConfig:
    return GateConfig(
        margin=args.margin,
        confidence=args.confidence,
        n_bootstrap=args.n_bootstrap,
        slices=tuple(args.slices),
        invariant=tuple(args.invariant),
        max_ece_increase=args.max_ece_increase,
        max_slice_drop=args.max_slice_drop,
        min_slice_size=args.min_slice_size,
        seed=args.seed,
    )


def print_decision(result: ChallengeResult) -> None:
    """The two models side by side, every check, the verdict and where the report is."""
    decision = result.decision
    champion, challenger = result.context.champion.ref, result.context.challenger.ref
    rows = [
        {
            "metric": m,
            champion: _estimate_text(decision.champion.metrics[m]),
            challenger: _estimate_text(decision.challenger.metrics[m]),
        }
        for m in decision.champion.metrics
    ]
    console.print(
        frame_table(pd.DataFrame(rows), f"{result.context.name}: champion vs challenger on {decision.n_rows} rows", wide=())
    )
    for check in decision.checks:
        console.print(f"  [{_CHECK_STYLE[check.status]}]{check.status}[/] {check.name}: {check.detail}", soft_wrap=True)
    console.print(
        f"[{_VERDICT_STYLE[decision.verdict]}]{decision.verdict}[/]: {decision.summary().split(': ', 1)[1]}", soft_wrap=True
    )
    if decision.rows_needed is not None:
        console.print(
            f"about {decision.rows_needed:,} holdout rows would let this difference clear the margin "
            f"({max(decision.rows_needed - decision.n_rows, 0):,} more)"
        )
    if result.promoted:
        console.print(f"{challenger} is now the champion")
    elif decision.verdict == "PROMOTE":
        console.print("verdict recorded; rerun with --promote to move the champion alias")
    if result.report is not None:
        console.print(f"report: {result.report.html}", soft_wrap=True)


def holdout_rows(path: Path, target: str, time_col: str | None, fraction: float) -> tuple[pd.DataFrame, pd.Series]:
    """The holdout's features and target: all rows, or the newest ``fraction`` by ``time_col``."""
    frame = read_table(path)
    if frame.empty:
        raise InputError(f"'{path}' has no rows to use as a holdout")
    if not 0 < fraction <= 1:
        raise InputError(f"--holdout-fraction must be in (0, 1], got {fraction}")
    if fraction < 1:
        if time_col is None:
            raise InputError(
                "a share of unordered rows is not a sealed holdout: give --time-col, or split first with 'automl split'"
            )
        frame = split_frame(frame, holdout=fraction, time_col=time_col, source=str(path)).holdout
    X, y = split_target(frame, target, str(path))
    return X, y


class SplitCommand:
    help = "split a table into train / validation / holdout files (newest rows as holdout with --time-col)"

    def add_arguments(self, parser: argparse.ArgumentParser) -> None:
        parser.add_argument("data", type=Path)
        parser.add_argument("--target", required=True)
        parser.add_argument("--out", type=Path, required=True, help="folder for train.csv, validation.csv, holdout.csv")
        parser.add_argument("--holdout", type=float, default=0.2, help="holdout share (default 0.2)")
        parser.add_argument("--validation", type=float, default=0.0, help="validation share (default 0)")
        parser.add_argument("--time-col", help="order by this column: the newest rows become the holdout")
        parser.add_argument("--seed", type=int, default=0)

    def run(self, args: argparse.Namespace) -> int:
        frame = read_table(args.data)
        split_target(frame, args.target, str(args.data))  # names a missing target column before any work
        parts = split_frame(
            frame,
            holdout=args.holdout,
            validation=args.validation,
            time_col=args.time_col,
            stratify=frame[args.target] if args.time_col is None else None,
            seed=args.seed,
            source=str(args.data),
        )
        rows = []
        for part, table in (("train", parts.train), ("validation", parts.validation), ("holdout", parts.holdout)):
            if table.empty:
                continue
            path = atomic_write_bytes(args.out / f"{part}.csv", table.to_csv(index=False).encode())
            X, y = split_target(read_table(path), args.target, str(path))  # as a search on the file will see it
            rows.append({"part": part, "rows": len(table), "fingerprint": fingerprint(X, y).short, "file": str(path)})
        console.print(frame_table(pd.DataFrame(rows), f"Split of {args.data}", wide=()))
        return 0


def _estimate_text(estimate: Estimate) -> str:
    if estimate.value is None:
        return "n/a"
    interval = "" if estimate.ci_low is None or estimate.ci_high is None else f" [{estimate.ci_low:.4g}, {estimate.ci_high:.4g}]"
    return f"{estimate.value:.5g}{interval}"

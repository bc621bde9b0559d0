"""``automl update``: a challenger from the champion on new rows, then the gate."""

from __future__ import annotations

import argparse
from pathlib import Path

import pandas as pd

from automl import api
from automl.cli._challenge import add_gate_options, gate_config, print_decision
from automl.cli._registry import add_registry_options
from automl.cli._render import console, frame_table
from automl.continual import MODES


def add_update_options(parser: argparse.ArgumentParser) -> None:
    """How a challenger is built and judged: shared by ``update`` and ``watch``."""
    parser.add_argument(
        "--mode",
        default="auto",
        choices=list(MODES),
        help="stateful: continue from the champion; stateless: its configuration from scratch; "
        "search: a short warm-started study; auto (default): the gate picks",
    )
    parser.add_argument("--window", type=int, metavar="ROWS", help="train stateless/search on the last ROWS rows only")
    parser.add_argument(
        "--holdout", type=float, default=0.2, help="newest share of the new rows sealed for the gate (default 0.2)"
    )
    parser.add_argument("--time-col", help="orders the new rows (default: file order is arrival order)")
    parser.add_argument("--time-budget", type=float, help="seconds for building challengers (a search gets 60 without it)")
    add_gate_options(parser)
    add_registry_options(parser)


class UpdateCommand:
    help = "update a registered champion on new labelled rows (stateful, stateless, search or auto) and run the gate"

    def add_arguments(self, parser: argparse.ArgumentParser) -> None:
        parser.add_argument("name", help="registered model name")
        parser.add_argument("--data", required=True, type=Path, help="new labelled rows (CSV or Parquet)")
        parser.add_argument("--target", help="target column (default: the champion card's)")
        add_update_options(parser)

    def run(self, args: argparse.Namespace) -> int:
        result = api.update(
            args.name,
            args.data,
            args.target,
            mode=args.mode,
            window=args.window,
            holdout=args.holdout,
            time_col=args.time_col,
            time_budget=args.time_budget,
            gate=gate_config(args),
            promote=args.promote,
            registry=args.registry,
            registry_artifacts=args.registry_artifacts,
            seed=args.seed,
        )
        built, lineage = result.built, result.version.lineage
        console.print(
            f"{result.version.ref}: {built.strategy} update of {args.name}@{lineage.parent_version} "
            f"({built.fit_seconds:.2f} s fitting, {built.cpu_seconds:.2f} s CPU, {lineage.rows_seen:,} rows seen)"
        )
        for key in ("continued", "fallback_to_stateless", "window"):
            for line in [lineage.notes[key]] if isinstance(lineage.notes.get(key), str) else lineage.notes.get(key, []):
                console.print(f"  {key.replace('_', ' ')}: {line}", soft_wrap=True)
        if result.candidates:
            rows = [
                {"strategy": k, "better by": v.value, "low": v.ci_low, "high": v.ci_high} for k, v in result.candidates.items()
            ]
            console.print(
                frame_table(pd.DataFrame(rows), "Auto: candidates against the champion (Bonferroni-corrected)", wide=())
            )
        print_decision(result.challenge)
        return 0

"""``automl simulate``: replay a time-ordered table and compare update policies."""

from __future__ import annotations

import argparse
from pathlib import Path

import pandas as pd

from automl.cli._challenge import add_gate_options, gate_config
from automl.cli._registry import open_registry
from automl.cli._render import console, frame_table
from automl.cli._search import csv_list
from automl.continual import (
    POLICIES,
    SimulationConfig,
    TriggerConfig,
    parse_drift,
    simulate,
    summary_rows,
    write_simulation_report,
)
from automl.data import read_table


class SimulateCommand:
    help = "replay a time-ordered table: never-updated vs stateless vs stateful vs search vs auto (metric, compute, promotions)"

    def add_arguments(self, parser: argparse.ArgumentParser) -> None:
        parser.add_argument("--data", required=True, type=Path, help="time-ordered labelled table (CSV or Parquet)")
        parser.add_argument("--target", required=True)
        parser.add_argument("--time-col", help="order by this column (default: the rows' order in the file)")
        parser.add_argument("--window", required=True, type=int, metavar="ROWS", help="rows per window")
        parser.add_argument("--policies", type=csv_list, default=list(POLICIES), help=f"default: {','.join(POLICIES)}")
        parser.add_argument("--every-rows", type=int, metavar="N", help="update when N new rows arrived (default: every window)")
        parser.add_argument(
            "--on-growth", type=float, metavar="SHARE", help="update when new rows reach this share of the rows seen"
        )
        parser.add_argument("--on-drop", type=float, metavar="X", help="update when the champion's metric drops by more than X")
        parser.add_argument("--on-drift", type=parse_drift, metavar="psi:T|ks:A", help="update on feature drift")
        parser.add_argument("--holdout", type=float, default=0.2, help="newest share of each update's rows sealed for the gate")
        parser.add_argument("--train-window", type=int, metavar="ROWS", help="stateless/search train on the last ROWS rows only")
        parser.add_argument(
            "--initial-budget", type=float, default=30.0, help="seconds of the first champion's search (default 30)"
        )
        parser.add_argument("--search-budget", type=float, default=15.0, help="seconds per search update (default 15)")
        parser.add_argument("--families", type=csv_list, help="families of the first champion's search (default: all)")
        parser.add_argument("--out", type=Path, default=Path("simulation"), help="report folder (default ./simulation)")
        parser.add_argument("--registry", help="keep the replay's versions in this registry (default: in memory)")
        parser.add_argument("--registry-artifacts", metavar="DIR")
        add_gate_options(parser)

    def run(self, args: argparse.Namespace) -> int:
        any_trigger = any(v is not None for v in (args.every_rows, args.on_growth, args.on_drop, args.on_drift))
        triggers = (
            TriggerConfig(every_rows=args.every_rows, on_growth=args.on_growth, on_drop=args.on_drop, drift=args.on_drift)
            if any_trigger
            else None
        )
        config = SimulationConfig(
            window=args.window,
            policies=tuple(args.policies),
            triggers=triggers,
            holdout=args.holdout,
            initial_budget=args.initial_budget,
            search_budget=args.search_budget,
            train_window=args.train_window,
            gate=gate_config(args),
            seed=args.seed,
            families=tuple(args.families) if args.families else None,
        )
        frame = read_table(args.data)
        with console.status("replaying") as status:

            def progress(window: object) -> None:
                status.update(f"replaying: window {getattr(window, 'index', '?')} done")

            if args.registry:
                with open_registry(args) as registry:
                    result = simulate(frame, args.target, config, time_col=args.time_col, registry=registry, on_window=progress)
            else:
                result = simulate(frame, args.target, config, time_col=args.time_col, on_window=progress)
        paths = write_simulation_report(result, args.out)
        console.print(
            frame_table(
                pd.DataFrame(summary_rows(result)),
                f"Replay of {args.data}: {len(result.windows)} windows of {result.window}",
                wide=(),
            )
        )
        console.print(f"wrote {paths.json} and {paths.html}")
        return 0

"""``automl watch``: check retrain triggers on newly arrived labelled data; update when one fires."""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from automl.cli._challenge import gate_config, print_decision
from automl.cli._registry import open_registry
from automl.cli._render import console
from automl.cli._update import add_update_options
from automl.continual import TriggerConfig, UpdateConfig, WatchOutcome, parse_drift, watch_once
from automl.registry import Registry, publish_history


class WatchCommand:
    help = "check retrain triggers (schedule, drop, growth, drift) on new labelled data and update when one fires"

    def add_arguments(self, parser: argparse.ArgumentParser) -> None:
        parser.add_argument("name", help="registered model name")
        parser.add_argument(
            "--data", required=True, type=Path, help="a labelled file that grows, or a folder new files arrive in"
        )
        parser.add_argument("--target", help="target column (default: the champion card's)")
        parser.add_argument("--every-rows", type=int, metavar="N", help="fire once N new labelled rows arrived")
        parser.add_argument("--every", type=float, metavar="SECONDS", help="fire when the champion is older than this")
        parser.add_argument(
            "--on-drop", type=float, metavar="X", help="fire when the champion's metric is worse by more than X (with confidence)"
        )
        parser.add_argument(
            "--on-growth",
            type=float,
            default=0.05,
            metavar="SHARE",
            help="fire when new rows reach this share of the rows the champion saw (default 0.05; 0 turns it off)",
        )
        parser.add_argument(
            "--on-drift", type=parse_drift, metavar="psi:T|ks:A", help="fire on feature drift (e.g. psi:0.2 or ks:0.01)"
        )
        parser.add_argument("--once", action="store_true", help="check once and exit (for cron)")
        parser.add_argument("--poll", type=float, default=60.0, help="seconds between checks without --once (default 60)")
        add_update_options(parser)

    def run(self, args: argparse.Namespace) -> int:
        triggers = TriggerConfig(
            every_rows=args.every_rows,
            every_seconds=args.every,
            on_drop=args.on_drop,
            on_growth=args.on_growth or None,
            drift=args.on_drift,
        )
        config = UpdateConfig(
            mode=args.mode,
            window=args.window,
            holdout=args.holdout,
            time_col=args.time_col,
            time_budget=args.time_budget,
            gate=gate_config(args),
            promote=args.promote,
            seed=args.seed,
        )
        with open_registry(args) as registry:
            if args.once:
                self._report(self._check(registry, args, triggers, config))
                return 0
            with console.status("watching") as status:
                while True:
                    outcome = self._check(registry, args, triggers, config)
                    if outcome.update is not None:
                        self._report(outcome)
                    status.update(
                        f"watching {args.data} for {args.name}: {outcome.pending_rows} pending rows, "
                        f"last check {time.strftime('%H:%M:%S')}, next in {args.poll:g} s (Ctrl+C stops)"
                    )
                    time.sleep(args.poll)

    @staticmethod
    def _check(registry: Registry, args: argparse.Namespace, triggers: TriggerConfig, config: UpdateConfig) -> WatchOutcome:
        outcome = watch_once(registry, args.name, args.data, args.target, triggers, config, storage=args.registry)
        if outcome.update is not None:
            publish_history(registry, args.name)
        return outcome

    @staticmethod
    def _report(outcome: WatchOutcome) -> None:
        console.print(f"{outcome.new_rows} new rows read, {outcome.pending_rows} pending")
        for check in outcome.checks:
            style = "bold yellow" if check.fired else "dim"
            console.print(f"  [{style}]{'FIRED' if check.fired else 'quiet'}[/] {check.kind}: {check.detail}", soft_wrap=True)
        if outcome.update is None:
            console.print("no trigger fired: nothing updated" if outcome.checks else "no new rows: nothing to check")
            return
        result = outcome.update
        console.print(f"{result.version.ref}: {result.built.strategy} update ({result.built.fit_seconds:.2f} s fitting)")
        print_decision(result.challenge)

"""The ``automl`` command line: one small command class per sub-command, no logic of its own."""

from __future__ import annotations

import logging
import os
import sys
from collections.abc import Sequence

from automl.cli._app import Command, run
from automl.cli._challenge import ChallengeCommand, SplitCommand
from automl.cli._distributed import FinalizeCommand, WorkerCommand
from automl.cli._evaluate import EvaluateCommand
from automl.cli._registry import RegistryCommand
from automl.cli._search import SearchCommand
from automl.cli._simulate import SimulateCommand
from automl.cli._spaces import SpacesCommand
from automl.cli._studies import StudiesCommand
from automl.cli._study_commands import DashboardCommand, LeaderboardCommand, PredictCommand
from automl.cli._update import UpdateCommand
from automl.cli._watch import WatchCommand

COMMANDS: dict[str, Command] = {
    "search": SearchCommand(),
    "leaderboard": LeaderboardCommand(),
    "predict": PredictCommand(),
    "dashboard": DashboardCommand(),
    "spaces": SpacesCommand(),
    "evaluate": EvaluateCommand(),
    "registry": RegistryCommand(),
    "challenge": ChallengeCommand(),
    "split": SplitCommand(),
    "update": UpdateCommand(),
    "watch": WatchCommand(),
    "simulate": SimulateCommand(),
    "studies": StudiesCommand(),
    "worker": WorkerCommand(),
    "finalize": FinalizeCommand(),
}


def main(argv: Sequence[str] | None = None, *, process_entry: bool = False) -> int:
    """Run one command. ``process_entry``: this process was started for it, so the time the
    interpreter took to start counts against ``search --time-budget`` (a caller that runs
    commands in a long-lived process, like a test, leaves it False)."""
    return run(COMMANDS, argv, process_entry=process_entry)


__all__ = ["COMMANDS", "console_main", "main"]

if __name__ == "__main__":
    sys.exit(main())


def console_main() -> None:
    """Console-script entry point (and ``python -m automl``): exit with the command's code."""
    exit_now(main(process_entry=True))


def exit_now(code: int) -> None:
    """End the process without the interpreter's teardown.

    Freeing every module and object of torch, sklearn, pandas and friends takes 0.5-3 s (the
    longer on a busy machine), and ``automl search`` promises to end within its budget. All
    results are written by then (atomic, fsynced writes), so only logging and the standard
    streams need flushing.
    """
    logging.shutdown()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)

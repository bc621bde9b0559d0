"""The ``automl`` command line: one small command class per sub-command, no logic of its own."""

from __future__ import annotations

import sys
from collections.abc import Sequence

from automl.cli._app import Command, run
from automl.cli._challenge import ChallengeCommand, SplitCommand
from automl.cli._distributed import FinalizeCommand, StudyCommand, WorkerCommand
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
    "study": StudyCommand(),
    "worker": WorkerCommand(),
    "finalize": FinalizeCommand(),
}


def main(argv: Sequence[str] | None = None) -> int:
    return run(COMMANDS, argv)


__all__ = ["COMMANDS", "console_main", "main"]

if __name__ == "__main__":
    sys.exit(main())


def console_main() -> None:
    """Console-script entry point: exit with the command's code."""
    sys.exit(main())

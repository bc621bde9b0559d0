"""Argument parsing, logging set-up and the error contract of every command.

Bad input exits with code 2 and one line on stderr naming the problem;
unexpected failures exit 1. Commands live in a name -> command table.
"""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Sequence
from typing import NoReturn, Protocol

from automl._core import AutomlError, __version__, mask_secrets, printable
from automl.cli._clock import process_age_seconds

log = logging.getLogger("automl.cli")

EXIT_OK, EXIT_FAILURE, EXIT_USAGE = 0, 1, 2


class Command(Protocol):
    """A CLI command: declares its arguments, then runs with the parsed namespace."""

    help: str  # an optional ``aliases`` tuple gives the command other names

    def add_arguments(self, parser: argparse.ArgumentParser) -> None: ...
    def run(self, args: argparse.Namespace) -> int: ...


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:  # one line, exit 2 (argparse's usage-error code)
        self.exit(EXIT_USAGE, f"{self.prog}: error: {message}\n")


def build_parser(commands: dict[str, Command]) -> argparse.ArgumentParser:
    parser = _Parser(prog="automl", description="Automated model search and continual updates for tables.")
    parser.add_argument("--version", action="version", version=f"automl {__version__}")
    parser.add_argument("-v", "--verbose", action="store_true", help="log progress details")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    for name, command in commands.items():
        aliases = getattr(command, "aliases", ())
        command_parser = sub.add_parser(name, aliases=aliases, help=command.help, description=command.help)
        command_parser.set_defaults(command=name)  # an alias runs the command it names
        command.add_arguments(command_parser)
    return parser


def run(commands: dict[str, Command], argv: Sequence[str] | None = None, *, process_entry: bool = False) -> int:
    parser = build_parser(commands)
    args = parser.parse_args(argv)
    # How long this process ran before the command: the budget of `search` covers the whole command.
    args.startup_seconds = process_age_seconds() if process_entry else 0.0
    if args.command is None:
        parser.print_help()
        return EXIT_USAGE
    _configure_logging(args.verbose)
    try:
        return commands[args.command].run(args)
    except AutomlError as exc:  # printable(): a name from the input cannot break the one-line contract
        print(mask_secrets(f"automl {args.command}: error: {printable(str(exc), 4000)}"), file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        print(f"automl {args.command}: interrupted", file=sys.stderr)
        return 130
    except Exception as exc:  # the last line of defence: still one line, details with -v
        log.debug("unexpected failure", exc_info=True)
        message = f"automl {args.command}: unexpected error: {type(exc).__name__}: {exc} (rerun with -v for details)"
        print(mask_secrets(message), file=sys.stderr)
        return EXIT_FAILURE


class _MaskingFormatter(logging.Formatter):
    """Masks URL passwords in every log line (tracebacks included), whichever library logged it."""

    def format(self, record: logging.LogRecord) -> str:
        return mask_secrets(super().format(record))


def _configure_logging(verbose: bool) -> None:
    import optuna

    handler = logging.StreamHandler()
    handler.setFormatter(_MaskingFormatter("%(levelname)s %(name)s: %(message)s"))
    logging.basicConfig(level=logging.INFO if verbose else logging.WARNING, handlers=[handler])
    optuna.logging.set_verbosity(optuna.logging.INFO if verbose else optuna.logging.WARNING)
    optuna.logging.disable_default_handler()
    optuna.logging.enable_propagation()

"""``--max-input-bytes / --max-rows / --max-columns / --max-line-bytes`` for commands that read tables."""

from __future__ import annotations

import argparse
from collections.abc import Callable

from automl._core import InputError, Limits, parse_size


def _size(what: str) -> Callable[[str], int]:
    """An argparse ``type=`` function for a size option named ``what``."""

    def parse(text: str) -> int:
        try:
            return parse_size(text, what)
        except InputError as exc:
            raise argparse.ArgumentTypeError(str(exc)) from None

    return parse


def add_limit_arguments(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group(
        "input limits (defaults: 2G bytes, 50M rows, 10k columns, 16M per line; "
        "also AUTOML_MAX_INPUT_BYTES, AUTOML_MAX_ROWS, AUTOML_MAX_COLUMNS, AUTOML_MAX_LINE_BYTES)"
    )
    group.add_argument(
        "--max-input-bytes", type=_size("--max-input-bytes"), metavar="SIZE", help="largest table, after decompression (e.g. 4G)"
    )
    group.add_argument("--max-rows", type=_size("--max-rows"), metavar="N", help="most rows a table may have")
    group.add_argument("--max-columns", type=_size("--max-columns"), metavar="N", help="most columns a table may have")
    group.add_argument("--max-line-bytes", type=_size("--max-line-bytes"), metavar="SIZE", help="longest CSV line")


def limits_from_args(args: argparse.Namespace) -> Limits:
    """Defaults, then the environment, then the flags given."""
    return Limits.from_env(
        max_input_bytes=args.max_input_bytes,
        max_rows=args.max_rows,
        max_columns=args.max_columns,
        max_line_bytes=args.max_line_bytes,
    )

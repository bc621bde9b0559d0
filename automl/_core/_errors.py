"""One error hierarchy for everything the toolkit raises on purpose.

Each subclass also inherits the builtin a caller would naturally catch
(``ValueError``, ``FileNotFoundError``...), so code written against sklearn or
pandas conventions keeps working. Messages name the input, the value and the fix,
on one line, because the CLI prints them as they are.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable


class AutomlError(Exception):
    """Base of every error raised on purpose by automl.

    Its message is always one line: a value from the user's input (a task name, a
    column, a class) can hold line breaks, and a message that embeds it unquoted
    would otherwise break the CLI's one-line output. Escaping here, once, keeps
    that promise for every message without relying on each call site.
    """

    def __init__(self, *args: object) -> None:
        super().__init__(*(printable(a, limit=None) if isinstance(a, str) else a for a in args))


class InputError(AutomlError, ValueError):
    """The user's input (data, option, file) cannot be used as given."""


class DataFileNotFoundError(InputError, FileNotFoundError):
    """A data or config file that was named does not exist."""


class SpaceError(InputError):
    """A search-space YAML file is malformed."""


class ArtifactError(AutomlError, RuntimeError):
    """A saved model is missing, corrupt, foreign or untrusted."""


class DeadlineExceeded(AutomlError, TimeoutError):
    """Work was stopped because the time budget ran out."""


def did_you_mean(value: str, options: Iterable[str]) -> str:
    """Return ' (did you mean 'x'?)' for the closest option, or '' when nothing is close."""
    matches = difflib.get_close_matches(str(value), [str(o) for o in options], n=1)
    return f" (did you mean {quote(matches[0])}?)" if matches else ""


def quote(value: object, limit: int = 80) -> str:
    """A value from the user's input, fit for a one-line message: text in quotes with line breaks
    and other control characters escaped, numpy scalars as plain numbers, long values cut.

    Example:
        >>> quote("y\\n")
        "'y\\\\n'"
    """
    item = getattr(value, "item", None)
    if type(value).__module__ == "numpy" and callable(item):
        value = item()
    text = printable(value if isinstance(value, str) else repr(value), limit)
    return f"'{text}'" if isinstance(value, str) else text


def printable(text: str, limit: int | None = 80) -> str:
    """``text`` with control characters escaped (``\\n``), cut to ``limit`` characters (None: whole)."""
    text = "".join(c if c.isprintable() else repr(c)[1:-1] for c in str(text))
    return text if limit is None or len(text) <= limit else text[: limit - 3] + "..."

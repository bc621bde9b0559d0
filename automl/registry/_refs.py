"""Model references: ``NAME@champion``, ``NAME@3``, ``NAME@latest``, or a bare ``NAME``."""

from __future__ import annotations

import re
from dataclasses import dataclass

from automl._core import InputError

_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.\-]{0,99}$")
LATEST = "latest"
CHAMPION = "champion"
CHALLENGER = "challenger"


@dataclass(frozen=True)
class ModelRef:
    """A registered name plus a selector: a version number, an alias or ``latest``."""

    name: str
    selector: str

    @property
    def version(self) -> int | None:
        """The version number when the selector is one, else ``None``."""
        return int(self.selector) if self.selector.isdigit() else None

    def __str__(self) -> str:
        return f"{self.name}@{self.selector}"


def check_name(name: str, what: str = "model name") -> str:
    """Names travel in URLs, file names and shells: letters, digits, ``_ . -``, up to 100 characters."""
    if not isinstance(name, str) or not _NAME.match(name):
        raise InputError(f"{what} {name!r} is not valid; use letters, digits, '_', '.' or '-' (up to 100 characters)")
    return name


def check_alias(alias: str) -> str:
    """An alias is a name that is neither a number nor ``latest`` (those already select versions)."""
    check_name(alias, "alias")
    if alias.isdigit() or alias == LATEST:
        raise InputError(f"alias {alias!r} is reserved: numbers and 'latest' already select versions")
    return alias


def parse_ref(text: str, default: str = CHAMPION) -> ModelRef:
    """Parse ``NAME@SELECTOR``; a bare ``NAME`` selects ``default`` (the champion: what serving wants).

    Example:
        >>> parse_ref("churn@3").version
        3
        >>> str(parse_ref("churn"))
        'churn@champion'
    """
    name, sep, selector = str(text).partition("@")
    check_name(name)
    selector = selector if sep else default
    if not selector.isdigit() and selector != LATEST:
        check_alias(selector)
    if selector.isdigit() and int(selector) < 1:
        raise InputError(f"version numbers start at 1, got '{text}'")
    return ModelRef(name, selector)

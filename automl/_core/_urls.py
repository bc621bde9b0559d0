"""Database URLs as users type them, and as they may be shown.

Studies and the registry share one database URL. A password in it must never
reach a log line, a model card, a report or a study attribute, so everything
that displays or records a URL goes through :func:`mask_url`.
"""

from __future__ import annotations

import re

_CREDENTIALS = re.compile(r"^(?P<scheme>[A-Za-z][A-Za-z0-9+.\-]*://)(?P<user>[^:@/]*):(?P<password>[^@/]*)@")
# The PostgreSQL driver the toolkit installs; a bare postgresql:// would ask SQLAlchemy for psycopg2.
_POSTGRES_PREFIXES = ("postgresql://", "postgres://")
POSTGRES_SCHEME = "postgresql+psycopg://"


def mask_url(url: str) -> str:
    """``postgresql://user:secret@host/db`` -> ``postgresql://user:***@host/db`` (other URLs unchanged)."""
    return _CREDENTIALS.sub(lambda m: f"{m['scheme']}{m['user']}:***@", str(url))


def normalize_db_url(url: str) -> str:
    """Give PostgreSQL URLs the psycopg (v3) driver; leave every other URL as it is."""
    for prefix in _POSTGRES_PREFIXES:
        if url.startswith(prefix):
            return POSTGRES_SCHEME + url[len(prefix):]
    return url


def sqlite_path(url: str) -> str | None:
    """The file of a ``sqlite:///path`` URL; ``None`` for in-memory SQLite and other databases."""
    if not url.startswith("sqlite:///"):
        return None
    path = url[len("sqlite:///"):].split("?", 1)[0]
    return None if path in ("", ":memory:") else path

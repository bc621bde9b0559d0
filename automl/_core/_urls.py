"""Database URLs as users type them: the driver to use, the file of a SQLite URL.

Studies and the registry share one database URL; both open it through these
helpers (showing it goes through :func:`automl._core.mask_secrets`).
"""

from __future__ import annotations

# A bare postgresql:// would ask SQLAlchemy for psycopg2; the toolkit installs psycopg 3.
_POSTGRES_SCHEMES = ("postgres", "postgresql")


def normalize_db_url(url: str) -> str:
    """``postgres://`` and ``postgresql://`` use the psycopg 3 driver; other URLs are kept as given."""
    scheme, sep, rest = url.partition("://")
    if sep and scheme.lower() in _POSTGRES_SCHEMES:
        return f"postgresql+psycopg://{rest}"
    return url


def sqlite_path(url: str) -> str | None:
    """The file of a ``sqlite:///path`` URL; ``None`` for in-memory SQLite and other databases."""
    if not url.startswith("sqlite:///"):
        return None
    path = url[len("sqlite:///") :].split("?", 1)[0]
    return None if path in ("", ":memory:") else path

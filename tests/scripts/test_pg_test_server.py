"""The throwaway PostgreSQL server the storage tests run against (``scripts/pg_test_server.py``)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import psycopg
import pytest
import sqlalchemy

pytestmark = pytest.mark.integration


def _plain(url: str) -> str:
    """libpq spelling of a SQLAlchemy URL."""
    return url.replace("postgresql+psycopg://", "postgresql://")


def test_server_accepts_the_password_and_each_test_gets_its_own_database(postgres_server: Any, postgres_url: str) -> None:
    engine = sqlalchemy.create_engine(postgres_url)
    with engine.connect() as conn:
        user, database = conn.execute(sqlalchemy.text("select current_user, current_database()")).one()
    engine.dispose()
    assert user == postgres_server.user
    assert database.startswith("t_") and database != postgres_server.database
    assert postgres_url.startswith(f"postgresql+psycopg://{postgres_server.user}:{postgres_server.password}@127.0.0.1:")


def test_server_rejects_a_wrong_password(postgres_server: Any) -> None:
    wrong = _plain(postgres_server.url).replace(postgres_server.password, "not-the-password")
    with pytest.raises(psycopg.OperationalError, match="password authentication failed"):
        psycopg.connect(wrong, connect_timeout=10)


def test_server_listens_on_loopback_only(postgres_server: Any) -> None:
    with psycopg.connect(_plain(postgres_server.url), connect_timeout=10) as conn:
        listen = conn.execute("show listen_addresses").fetchone()
        encryption = conn.execute("show password_encryption").fetchone()
    assert listen == ("127.0.0.1",)
    assert encryption == ("scram-sha-256",)


def test_stop_removes_the_cluster(postgres_server: Any) -> None:
    server = type(postgres_server).start()  # a second, private server: stopping it leaves the session's alone
    root: Path = server.root
    assert (root / "data" / "postmaster.pid").exists()
    server.stop()
    assert not root.exists()
    with pytest.raises(psycopg.OperationalError):
        psycopg.connect(_plain(server.url), connect_timeout=5)

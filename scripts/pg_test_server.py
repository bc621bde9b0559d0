#!/usr/bin/env python3
"""A throwaway PostgreSQL server for tests and local trials of distributed search.

It creates a fresh cluster in a temporary folder with ``initdb``, starts it on
127.0.0.1 on a free port with password (scram-sha-256) authentication, creates a
database and a login role with a random password, and removes everything on stop.
The server never runs as root: under root it runs as the ``postgres`` account that
Debian's package creates (through ``runuser``). Install the binaries first with
``scripts/ensure-postgresql.sh`` (``make test`` does).

Standard library only, so that it runs before the project's virtual environment exists.

Command line::

    eval "$(python3 scripts/pg_test_server.py start)"    # exports AUTOML_TEST_POSTGRES_URL and _DIR
    python3 scripts/pg_test_server.py stop "$AUTOML_TEST_POSTGRES_DIR"

From Python (``tests/conftest.py`` does this once per test session)::

    server = PostgresServer.start()
    url = server.create_database("t1")   # postgresql+psycopg://automl_test:...@127.0.0.1:PORT/t1
    server.stop()
"""

from __future__ import annotations

import argparse
import glob
import json
import os
import pwd
import re
import secrets
import shutil
import socket
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

USER = "automl_test"
DATABASE = "automl_test"
_STATE_FILE = "server.json"
_NAME = re.compile(r"[a-z_][a-z0-9_]{0,62}")
_SETTINGS = """
listen_addresses = '127.0.0.1'
port = {port}
unix_socket_directories = '{socket_dir}'
password_encryption = 'scram-sha-256'
max_connections = 200
# A throwaway cluster: durability is not needed, speed is.
fsync = off
synchronous_commit = off
full_page_writes = off
"""


class PostgresUnavailable(RuntimeError):
    """The server binaries are missing or the server did not start; the message says why."""


def bin_dir() -> Path:
    """Folder of the newest installed server binaries (Debian keeps them off the PATH)."""
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=lambda p: int(Path(p).parts[-3]))
    if found:
        return Path(found[-1]).parent
    initdb = shutil.which("initdb")
    if initdb:
        return Path(initdb).resolve().parent
    raise PostgresUnavailable(
        "PostgreSQL server binaries not found; run scripts/ensure-postgresql.sh (installs Debian's postgresql)"
    )


def _server_account() -> str | None:
    """The account the server runs as: ``postgres`` under root (PostgreSQL refuses root), else ourselves."""
    if os.geteuid() != 0:
        return None
    try:
        pwd.getpwnam("postgres")
    except KeyError:
        raise PostgresUnavailable("running as root but there is no 'postgres' account to run the server as") from None
    return "postgres"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass(frozen=True)
class PostgresServer:
    """A running throwaway cluster (see the module docstring)."""

    root: Path
    port: int
    password: str
    user: str = USER
    database: str = DATABASE

    @property
    def url(self) -> str:
        """SQLAlchemy URL of the default database, with the psycopg (v3) driver."""
        return self.url_for(self.database)

    def url_for(self, database: str) -> str:
        return f"postgresql+psycopg://{self.user}:{self.password}@127.0.0.1:{self.port}/{database}"

    @classmethod
    def start(cls, attempts: int = 3) -> PostgresServer:
        """Create and start a cluster; retry on another port when the chosen one was taken meanwhile."""
        binaries = bin_dir()
        account = _server_account()
        root = Path(tempfile.mkdtemp(prefix="automl-pg-"))
        try:
            (root / "sock").mkdir()
            if account is not None:
                shutil.chown(root, account)
                shutil.chown(root / "sock", account)
            _run(
                account,
                [
                    str(binaries / "initdb"),
                    "-D",
                    str(root / "data"),
                    "-E",
                    "UTF8",
                    "--no-locale",
                    "--auth-local=peer",
                    "--auth-host=scram-sha-256",
                    "--no-sync",
                ],
                root,
            )
            error = ""
            for _ in range(attempts):
                port = _free_port()
                with open(root / "data" / "postgresql.auto.conf", "a", encoding="utf-8") as conf:
                    conf.write(_SETTINGS.format(port=port, socket_dir=root / "sock"))
                try:
                    _run(
                        account,
                        [
                            str(binaries / "pg_ctl"),
                            "-D",
                            str(root / "data"),
                            "-l",
                            str(root / "server.log"),
                            "-w",
                            "-t",
                            "60",
                            "start",
                        ],
                        root,
                    )
                except PostgresUnavailable as exc:
                    error = f"{exc}; server log: {_tail(root / 'server.log')}"
                    continue
                server = cls(root=root, port=port, password=secrets.token_urlsafe(18))
                server._create_role_and_database()
                server._write_state()
                return server
            raise PostgresUnavailable(f"the server did not start after {attempts} attempts: {error}")
        except BaseException:
            _stop_cluster(root)
            raise

    def create_database(self, name: str) -> str:
        """A new empty database owned by the test role; returns its URL (one per test keeps tests apart)."""
        if not _NAME.fullmatch(name):
            raise ValueError(f"database name '{name}' must match {_NAME.pattern}")
        self._psql(f"CREATE DATABASE {name} OWNER {self.user};")
        return self.url_for(name)

    def stop(self) -> None:
        """Stop the server and delete the cluster folder."""
        _stop_cluster(self.root)

    def _create_role_and_database(self) -> None:
        # The SQL goes through stdin, so the password never shows in a process list.
        self._psql(f"CREATE ROLE {self.user} LOGIN PASSWORD '{self.password}';")
        self._psql(f"CREATE DATABASE {self.database} OWNER {self.user};")

    def _psql(self, sql: str) -> None:
        psql = bin_dir() / "psql"
        _run(
            _server_account(),
            [
                str(psql),
                "-X",
                "-q",
                "-v",
                "ON_ERROR_STOP=1",
                "-h",
                str(self.root / "sock"),
                "-p",
                str(self.port),
                "-d",
                "postgres",
            ],
            self.root,
            stdin=sql,
        )

    def _write_state(self) -> None:
        path = self.root / _STATE_FILE
        path.write_text(json.dumps({"port": self.port, "password": self.password, "user": self.user, "database": self.database}))
        path.chmod(0o600)

    @classmethod
    def attach(cls, root: Path) -> PostgresServer:
        """The server started earlier in ``root`` (for the ``stop`` command)."""
        state = json.loads((root / _STATE_FILE).read_text())
        return cls(root=root, **state)


def _run(account: str | None, command: list[str], cwd: Path, stdin: str | None = None) -> None:
    name = Path(command[0]).name
    if account is not None:
        command = ["runuser", "-u", account, "--", *command]
    done = subprocess.run(
        command, cwd=cwd, input=stdin, capture_output=True, text=True, timeout=120, env={**os.environ, "LC_ALL": "C", "LANG": "C"}
    )
    if done.returncode != 0:
        lines = (done.stderr or done.stdout).strip().splitlines()
        raise PostgresUnavailable(f"{name} failed: {lines[-1] if lines else f'exit code {done.returncode}'}")


def _tail(path: Path) -> str:
    try:
        lines = path.read_text(errors="replace").strip().splitlines()
    except OSError:
        return "(no log)"
    return " | ".join(lines[-3:])


def _stop_cluster(root: Path) -> None:
    data = root / "data"
    if (data / "postmaster.pid").exists():
        try:
            _run(_server_account(), [str(bin_dir() / "pg_ctl"), "-D", str(data), "-m", "immediate", "-w", "stop"], root)
        except (PostgresUnavailable, subprocess.TimeoutExpired) as exc:
            print(f"pg_test_server: could not stop the server in {root}: {exc}", file=sys.stderr)
    shutil.rmtree(root, ignore_errors=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Start or stop a throwaway PostgreSQL server on 127.0.0.1.")
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("start", help="start a server; print shell export lines for its URL and folder")
    stop = sub.add_parser("stop", help="stop the server started in DIR and delete DIR")
    stop.add_argument("dir", type=Path)
    args = parser.parse_args(argv)
    try:
        if args.command == "start":
            server = PostgresServer.start()
            print(f"export AUTOML_TEST_POSTGRES_URL='{server.url}'")
            print(f"export AUTOML_TEST_POSTGRES_DIR='{server.root}'")
        else:
            PostgresServer.attach(args.dir).stop()
    except (PostgresUnavailable, OSError, ValueError) as exc:
        print(f"pg_test_server: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())

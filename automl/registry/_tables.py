"""The registry's SQL tables, beside Optuna's in the same database.

Every write on a name is one transaction that first bumps ``models.revision``
from the value the writer read (``UPDATE ... WHERE revision = :seen``). A writer
that raced another sees zero rows updated and stops before changing anything,
so concurrent writers never interleave and a crash mid-transaction changes
nothing: SQLite and PostgreSQL both roll it back.
"""

from __future__ import annotations

from sqlalchemy import Column, ForeignKeyConstraint, Index, Integer, MetaData, String, Table, Text

SCHEMA_VERSION = 1
PREFIX = "automl_registry_"

metadata = MetaData()

meta = Table(
    f"{PREFIX}meta",
    metadata,
    Column("key", String(64), primary_key=True),
    Column("value", Text, nullable=False),
)

models = Table(
    f"{PREFIX}models",
    metadata,
    Column("name", String(100), primary_key=True),
    Column("revision", Integer, nullable=False),
    Column("created_at", String(32), nullable=False),
    Column("created_by", String(128), nullable=False),
)

versions = Table(
    f"{PREFIX}versions",
    metadata,
    Column("name", String(100), primary_key=True),
    Column("version", Integer, primary_key=True, autoincrement=False),
    Column("digest", String(64), nullable=False),
    Column("files", Text, nullable=False),  # JSON {file name: sha256}
    Column("card", Text, nullable=False),  # JSON ModelCard
    Column("lineage", Text, nullable=False),  # JSON Lineage
    Column("created_at", String(32), nullable=False),
    Column("created_by", String(128), nullable=False),
    ForeignKeyConstraint(["name"], [models.c.name]),
)

aliases = Table(
    f"{PREFIX}aliases",
    metadata,
    Column("name", String(100), primary_key=True),
    Column("alias", String(100), primary_key=True),
    Column("version", Integer, nullable=False),
    Column("updated_at", String(32), nullable=False),
    Column("updated_by", String(128), nullable=False),
    ForeignKeyConstraint(["name", "version"], [versions.c.name, versions.c.version]),
)

events = Table(
    f"{PREFIX}events",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("name", String(100), nullable=False),
    Column("seq", Integer, nullable=False),
    Column("at", String(32), nullable=False),
    Column("username", String(128), nullable=False),
    Column("kind", String(32), nullable=False),
    Column("version", Integer),
    Column("alias", String(100)),
    Column("from_version", Integer),
    Column("to_version", Integer),
    Column("reason", Text, nullable=False),
    Column("evidence", Text, nullable=False),  # JSON
    ForeignKeyConstraint(["name"], [models.c.name]),
    Index(f"{PREFIX}events_name_seq", "name", "seq"),
)

"""The model registry: named versions, aliases, lineage and an append-only history in SQL tables.

The tables live in the same database as the studies (``sqlite:///automl.db`` by
default, PostgreSQL for teams), so every change is one transaction: a version
row, the aliases it moves and the events that explain them are committed
together or not at all. Artifacts are copied into a content-addressed folder
*before* that transaction, so a crash at any point leaves the previous
champion loadable and the history consistent with the aliases.
"""

from __future__ import annotations

import json
import logging
import shutil
import tempfile
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.pool import StaticPool

from automl._core import (
    ArtifactError,
    AutomlError,
    InputError,
    did_you_mean,
    mask_secrets,
    normalize_db_url,
    sqlite_path,
    url_password,
)
from automl.evaluation import to_jsonable
from automl.models import ModelCard, load_card, load_model, save_model
from automl.registry import _tables as t
from automl.registry._records import Event, Lineage, ModelVersion, current_user, utc_now
from automl.registry._refs import CHALLENGER, CHAMPION, LATEST, ModelRef, check_alias, check_name, parse_ref
from automl.registry._store import ArtifactStore

log = logging.getLogger(__name__)

DEFAULT_REGISTRY = "sqlite:///automl.db"
ARTIFACTS_FOLDER = "automl_registry"
AUTO = "auto"
# A registration that raced another writer on the same name re-reads and tries again this often.
_REGISTER_ATTEMPTS = 20


class RegistryConflict(AutomlError, RuntimeError):
    """Another writer changed the name between reading its state and writing; nothing was changed."""


class _Unset:
    """Marks "not given" where ``None`` is a meaningful value (a name with no champion)."""


UNSET: Any = _Unset()


@dataclass(frozen=True)
class LoadedModel:
    """A registered model ready to predict, with its card and version record."""

    model: Any
    card: ModelCard
    version: ModelVersion


@dataclass(frozen=True)
class _State:
    """A name as one reader saw it: the revision a writer must find unchanged."""

    revision: int
    aliases: dict[str, int]
    latest: int


class Registry:
    """Named, versioned models with aliases and lineage.

    Args:
        url: SQLAlchemy database URL (default ``sqlite:///automl.db``, the studies' default);
            ``sqlite://`` is an in-memory registry (artifacts in a temporary folder).
        artifacts: folder for the model artifacts. Default: ``automl_registry/`` beside the
            SQLite file. A PostgreSQL registry needs one the first time; it is recorded in the
            database, so later calls find it.

    Example:
        >>> reg = Registry("sqlite://")
        >>> v = reg.register("churn", "runs/study/models/trial-3", lineage=Lineage("search"))  # doctest: +SKIP
        >>> reg.get("churn@champion").model.predict(X)  # doctest: +SKIP
    """

    def __init__(self, url: str | None = None, artifacts: str | Path | None = None) -> None:
        self.url = normalize_db_url(url or DEFAULT_REGISTRY)
        self._temporary: Path | None = None
        self.engine = _engine(self.url)
        self._ensure_schema()
        self.store = ArtifactStore(self._artifact_root(artifacts))

    @property
    def display_url(self) -> str:
        """The URL with any password masked: safe to print, log or record."""
        return mask_secrets(self.url)

    def close(self) -> None:
        self.engine.dispose()
        if self._temporary is not None:
            shutil.rmtree(self._temporary, ignore_errors=True)

    def __enter__(self) -> Registry:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # ----- reading -----------------------------------------------------------------------------

    def names(self) -> list[str]:
        with self._read() as conn:
            return [row.name for row in conn.execute(sa.select(t.models.c.name).order_by(t.models.c.name))]

    def aliases(self, name: str) -> dict[str, int]:
        """``{alias: version}`` of ``name`` right now."""
        with self._read() as conn:
            self._require_name(conn, name)
            return _flat(self._aliases(conn, name))

    def versions(self, name: str) -> list[ModelVersion]:
        """Every version of ``name``, oldest first."""
        with self._read() as conn:
            self._require_name(conn, name)
            aliases = self._aliases(conn, name)
            rows = conn.execute(sa.select(t.versions).where(t.versions.c.name == name).order_by(t.versions.c.version))
            return [_version_of(row, aliases) for row in rows]

    def version(self, ref: str | ModelRef) -> ModelVersion:
        """The version a reference selects (``NAME@champion``, ``NAME@3``, ``NAME@latest``, ``NAME``)."""
        parsed = parse_ref(ref) if isinstance(ref, str) else ref
        with self._read() as conn:
            number = self._resolve(conn, parsed)
            aliases = self._aliases(conn, parsed.name)
            row = conn.execute(
                sa.select(t.versions).where(t.versions.c.name == parsed.name, t.versions.c.version == number)
            ).one()
            return _version_of(row, aliases)

    def get(self, ref: str | ModelRef) -> LoadedModel:
        """Load a version after checking every artifact file against the digests its row records.

        Raises:
            ArtifactError: a missing or changed artifact file (named), or an untrusted model file.
            InputError: an unknown name, version or alias.
        """
        record = self.version(ref)
        # the loader hashes the very bytes it deserialises, so a file swapped after a check cannot slip in
        model, card = load_model(
            self.store.path(record.digest), expected_digests=record.files, digest_source=f"registry version {record.ref}"
        )
        return LoadedModel(model, card, record)

    def history(
        self,
        name: str,
        *,
        alias: str | None = None,
        since: str | None = None,
        until: str | None = None,
        kinds: Sequence[str] = (),
    ) -> list[Event]:
        """Events of ``name`` in order, optionally only those moving ``alias`` or of some ``kinds``,
        between the UTC times ``since`` and ``until`` (stored form, see ``parse_time``)."""
        query = sa.select(t.events).where(t.events.c.name == name)
        if alias is not None:
            query = query.where(t.events.c.alias == alias)
        if since is not None:
            query = query.where(t.events.c.at >= since)
        if until is not None:
            query = query.where(t.events.c.at <= until)
        if kinds:
            query = query.where(t.events.c.kind.in_(list(kinds)))
        with self._read() as conn:
            self._require_name(conn, name)
            return [_event_of(row) for row in conn.execute(query.order_by(t.events.c.seq, t.events.c.id))]

    def alias_at(self, name: str, alias: str, when: str) -> tuple[int | None, Event | None, Event | None]:
        """Which version held ``alias`` at ``when``, the event that gave it, and the next change after.

        Answers "who was champion on date D, and why did that change".
        """
        moves = self.history(name, alias=alias)
        before = [e for e in moves if e.at <= when]
        after = [e for e in moves if e.at > when]
        current = before[-1] if before else None
        return (current.to_version if current else None), current, (after[0] if after else None)

    def lineage(self, ref: str | ModelRef) -> list[ModelVersion]:
        """The version and its ancestors (parent, grandparent, ...), newest first."""
        record = self.version(ref)
        chain = [record]
        by_number = {v.version: v for v in self.versions(record.name)}
        seen = {record.version}
        while chain[-1].lineage.parent_version is not None:
            parent = chain[-1].lineage.parent_version
            if parent in seen or parent not in by_number:
                break
            seen.add(parent)
            chain.append(by_number[parent])
        return chain

    # ----- writing -----------------------------------------------------------------------------

    def register(
        self,
        name: str,
        source: str | Path | Any,
        *,
        lineage: Lineage,
        card: ModelCard | None = None,
        alias: str | None = AUTO,
        reason: str = "",
        evidence: Mapping[str, Any] | None = None,
    ) -> ModelVersion:
        """Add a version of ``name`` from a saved model folder (or a fitted model plus its ``card``).

        ``alias="auto"`` makes it the champion when ``name`` has none, else the challenger;
        ``None`` sets no alias. The artifact is stored first, then one transaction adds the
        version, moves the alias and records the events.
        """
        check_name(name)
        if alias not in (None, AUTO):
            check_alias(alias)
        digest, files = self._store_source(source, card)
        stored_card = load_card(self.store.path(digest))
        for attempt in range(_REGISTER_ATTEMPTS):
            state = self._state(name)
            target = alias if alias != AUTO else (CHALLENGER if state and CHAMPION in state.aliases else CHAMPION)
            number = (state.latest if state else 0) + 1
            try:
                with self._write(name, state) as txn:
                    txn.add_version(number, digest, files, stored_card, lineage)
                    txn.event("registered", number, reason=reason or f"registered ({lineage.mode})", evidence=evidence)
                    if target is not None:
                        txn.move_alias(target, number, "alias_moved", reason=f"registered as {target}")
                break
            except RegistryConflict:
                if attempt == _REGISTER_ATTEMPTS - 1:
                    raise
        log.info("registered %s@%d (%s)", name, number, target or "no alias")
        return self.version(ModelRef(name, str(number)))

    def set_alias(self, name: str, alias: str, version: int | None, *, reason: str = "", expected: Any = UNSET) -> Event:
        """Point ``alias`` at ``version`` (``None`` removes it); ``expected`` is the version the caller
        believes holds it now, and a mismatch is a :class:`RegistryConflict`."""
        check_alias(alias)
        state = self._require_state(name)
        if version is not None:
            self._require_version(name, version, state)
        self._check_expected(name, alias, state, expected)
        with self._write(name, state) as txn:
            return txn.move_alias(alias, version, "alias_moved", reason=reason or f"{alias} set by hand")

    def promote(
        self,
        ref: str | ModelRef,
        *,
        reason: str = "",
        evidence: Mapping[str, Any] | None = None,
        expected_champion: Any = UNSET,
    ) -> ModelVersion:
        """Make the referenced version the champion (and clear ``challenger`` if it pointed there).

        ``expected_champion`` is the champion the decision was made against: if another
        promotion moved it meanwhile, this one fails with :class:`RegistryConflict` and
        changes nothing, so two concurrent promotions never both win.
        """
        record = self.version(ref)
        name, number = record.name, record.version
        state = self._require_state(name)
        self._check_expected(name, CHAMPION, state, expected_champion)
        if state.aliases.get(CHAMPION) == number:
            raise InputError(f"{name}@{number} is already the champion")
        with self._write(name, state) as txn:
            txn.move_alias(CHAMPION, number, "promoted", reason=reason or "promoted by hand", evidence=evidence)
            if txn.alias(CHALLENGER) == number:
                txn.move_alias(CHALLENGER, None, "alias_moved", reason=f"{name}@{number} became champion")
        log.info("promoted %s@%d to champion", name, number)
        return self.version(ModelRef(name, str(number)))

    def rollback(self, name: str, *, to: int | None = None, reason: str = "", expected_champion: Any = UNSET) -> ModelVersion:
        """Give ``champion`` back to the version that held it before the current one (or to ``to``)."""
        state = self._require_state(name)
        current = state.aliases.get(CHAMPION)
        self._check_expected(name, CHAMPION, state, expected_champion)
        target = to if to is not None else self._previous_champion(name, current)
        self._require_version(name, target, state)
        if target == current:
            raise InputError(f"{name}@{target} is already the champion")
        with self._write(name, state) as txn:
            txn.move_alias(CHAMPION, target, "rolled_back", reason=reason or f"rolled back from {name}@{current}")
        log.info("rolled %s back to version %d", name, target)
        return self.version(ModelRef(name, str(target)))

    def record(
        self,
        name: str,
        kind: str,
        *,
        version: int | None = None,
        reason: str = "",
        evidence: Mapping[str, Any] | None = None,
        remove_alias: str | None = None,
    ) -> Event:
        """Append an event that moves no alias (``evaluated``, ``rejected``, ``triggered``), optionally
        removing ``remove_alias`` when it points at ``version`` (a rejected challenger is discarded)."""
        for attempt in range(_REGISTER_ATTEMPTS):
            state = self._require_state(name)
            try:
                with self._write(name, state) as txn:
                    event = txn.event(kind, version, reason=reason, evidence=evidence)
                    if remove_alias is not None and version is not None and txn.alias(remove_alias) == version:
                        txn.move_alias(remove_alias, None, "alias_moved", reason=f"{name}@{version} {kind}")
                    return event
            except RegistryConflict:
                if attempt == _REGISTER_ATTEMPTS - 1:
                    raise
        raise AssertionError("unreachable")

    # ----- integrity ---------------------------------------------------------------------------

    def check(self, name: str, *, artifacts: bool = True) -> list[str]:
        """Problems found in ``name``'s records (empty when consistent).

        Replays the alias moves of the history and compares the result with the alias
        table (every move must start where the previous one ended), checks that aliases
        point at existing versions and, with ``artifacts``, re-hashes every artifact.
        """
        problems: list[str] = []
        records = {v.version: v for v in self.versions(name)}
        replayed: dict[str, int] = {}
        for event in self.history(name):
            if event.alias is None:
                continue
            if replayed.get(event.alias) != event.from_version:
                problems.append(
                    f"event {event.id} moves {event.alias} from {event.from_version}, but it was at {replayed.get(event.alias)}"
                )
            if event.to_version is None:
                replayed.pop(event.alias, None)
            else:
                replayed[event.alias] = event.to_version
        with self._read() as conn:
            table = self._aliases(conn, name)
        if _flat(table) != replayed:
            problems.append(
                f"aliases {dict(sorted(_flat(table).items()))} differ from the history's {dict(sorted(replayed.items()))}"
            )
        problems += [f"alias {a} points at missing version {v}" for a, v in _flat(table).items() if v not in records]
        if artifacts:
            for record in records.values():
                try:
                    self.store.verify(record.digest, record.files, f"registry version {record.ref}")
                except ArtifactError as exc:
                    problems.append(str(exc))
        return problems

    def orphan_artifacts(self) -> list[Path]:
        """Artifact folders no version references (a registration that crashed before its row)."""
        with self._read() as conn:
            referenced = {row.digest for row in conn.execute(sa.select(t.versions.c.digest))}
        return self.store.orphans(referenced)

    # ----- internals ---------------------------------------------------------------------------

    @contextmanager
    def _read(self) -> Iterator[Connection]:
        try:
            with self.engine.connect() as conn:
                yield conn
        except sa.exc.SQLAlchemyError as exc:
            raise InputError(f"registry {self.display_url}: {_describe(exc, self.url)}") from None

    @contextmanager
    def _write(self, name: str, state: _State | None) -> Iterator[_Transaction]:
        """One transaction on ``name`` that first claims the next revision.

        Its first statement is the revision bump, so on SQLite the write lock is taken
        before anything is read, and on PostgreSQL the row lock serialises writers.
        """
        try:
            with self.engine.begin() as conn:
                if state is None:
                    conn.execute(
                        sa.insert(t.models).values(name=name, revision=1, created_at=utc_now(), created_by=current_user())
                    )
                    revision = 1
                else:
                    claimed = conn.execute(
                        sa.update(t.models)
                        .where(t.models.c.name == name, t.models.c.revision == state.revision)
                        .values(revision=state.revision + 1)
                    )
                    if claimed.rowcount != 1:
                        raise RegistryConflict(
                            f"'{name}' was changed by another writer at the same time; nothing was changed, try again"
                        )
                    revision = state.revision + 1
                yield _Transaction(conn, name, revision)
        except sa.exc.IntegrityError:
            raise RegistryConflict(
                f"'{name}' was created by another writer at the same time; nothing was changed, try again"
            ) from None
        except sa.exc.SQLAlchemyError as exc:
            raise InputError(f"registry {self.display_url}: {_describe(exc, self.url)}") from None

    def _state(self, name: str) -> _State | None:
        with self._read() as conn:
            row = conn.execute(sa.select(t.models.c.revision).where(t.models.c.name == name)).first()
            if row is None:
                return None
            latest = conn.execute(sa.select(sa.func.max(t.versions.c.version)).where(t.versions.c.name == name)).scalar()
            return _State(row.revision, _flat(self._aliases(conn, name)), int(latest or 0))

    def _require_state(self, name: str) -> _State:
        state = self._state(name)
        if state is None:
            raise InputError(self._unknown_name(name))
        return state

    def _require_name(self, conn: Connection, name: str) -> None:
        if conn.execute(sa.select(t.models.c.name).where(t.models.c.name == name)).first() is None:
            raise InputError(self._unknown_name(name, conn))

    def _unknown_name(self, name: str, conn: Connection | None = None) -> str:
        names = self.names() if conn is None else [r.name for r in conn.execute(sa.select(t.models.c.name))]
        known = f"; registered names: {', '.join(sorted(names)[:10])}" if names else "; the registry is empty"
        return f"no registered model named '{name}'{did_you_mean(name, names)}{known}"

    def _require_version(self, name: str, version: int, state: _State) -> None:
        if not 1 <= version <= state.latest:
            raise InputError(f"{name} has no version {version} (versions 1-{state.latest})")

    def _check_expected(self, name: str, alias: str, state: _State, expected: Any) -> None:
        if expected is not UNSET and state.aliases.get(alias) != expected:
            raise RegistryConflict(
                f"{alias} of '{name}' is now version {state.aliases.get(alias)}, not {expected} as expected: "
                "it moved meanwhile; nothing was changed"
            )

    def _previous_champion(self, name: str, current: int | None) -> int:
        moves = self.history(name, alias=CHAMPION)
        if not moves or moves[-1].from_version is None:
            raise InputError(f"'{name}' has no earlier champion to roll back to (current: {current})")
        return moves[-1].from_version

    def _resolve(self, conn: Connection, ref: ModelRef) -> int:
        self._require_name(conn, ref.name)
        if ref.version is not None:
            found = conn.execute(
                sa.select(t.versions.c.version).where(t.versions.c.name == ref.name, t.versions.c.version == ref.version)
            ).first()
            if found is None:
                raise InputError(f"{ref.name} has no version {ref.version}")
            return ref.version
        if ref.selector == LATEST:
            return int(
                conn.execute(sa.select(sa.func.max(t.versions.c.version)).where(t.versions.c.name == ref.name)).scalar_one()
            )
        aliases = _flat(self._aliases(conn, ref.name))
        if ref.selector not in aliases:
            known = ", ".join(sorted(aliases)) or "none"
            raise InputError(f"{ref.name} has no {ref.selector}{did_you_mean(ref.selector, aliases)} (aliases: {known})")
        return aliases[ref.selector]

    @staticmethod
    def _aliases(conn: Connection, name: str) -> dict[int, list[str]]:
        rows = conn.execute(sa.select(t.aliases.c.alias, t.aliases.c.version).where(t.aliases.c.name == name))
        found: dict[int, list[str]] = {}
        for row in rows:
            found.setdefault(row.version, []).append(row.alias)
        return found

    def _store_source(self, source: str | Path | Any, card: ModelCard | None) -> tuple[str, dict[str, str]]:
        """Copy a model folder, or save a fitted model with its card, into the artifact store."""
        if isinstance(source, (str, Path)):
            if card is not None:
                raise InputError("give a card only with a fitted model; a model folder carries its own")
            return self.store.put(source)
        if card is None:
            raise InputError("registering a fitted model needs its ModelCard (card=...)")
        staging_root = self.store.root / ".staging"
        staging_root.mkdir(parents=True, exist_ok=True)
        scratch = Path(tempfile.mkdtemp(prefix="save.", dir=staging_root))
        try:
            return self.store.put(save_model(source, scratch / "model", card))
        finally:
            shutil.rmtree(scratch, ignore_errors=True)

    def _ensure_schema(self) -> None:
        for attempt in range(2):
            try:
                t.metadata.create_all(self.engine, checkfirst=True)
                break
            except sa.exc.OperationalError as exc:  # cannot connect: wrong host, password, database
                raise InputError(f"registry {self.display_url}: {_describe(exc, self.url)}") from None
            except sa.exc.SQLAlchemyError as exc:
                if attempt:  # a concurrent first use creating the same tables is the only expected failure
                    raise InputError(f"registry {self.display_url}: {_describe(exc, self.url)}") from None
        with self._read() as conn:
            found = conn.execute(sa.select(t.meta.c.value).where(t.meta.c.key == "schema_version")).scalar()
        if found is None:
            self._set_meta("schema_version", str(t.SCHEMA_VERSION))
        elif int(found) > t.SCHEMA_VERSION:
            raise InputError(
                f"registry {self.display_url} has schema version {found}; "
                f"this automl reads up to {t.SCHEMA_VERSION}: upgrade automl"
            )

    def _set_meta(self, key: str, value: str) -> None:
        try:
            with self.engine.begin() as conn:
                conn.execute(sa.insert(t.meta).values(key=key, value=value))
        except sa.exc.IntegrityError:
            pass  # set by a concurrent first use

    def _artifact_root(self, given: str | Path | None) -> Path:
        """Where artifacts live: given (and then recorded), recorded, beside the SQLite file, or temporary."""
        with self._read() as conn:
            recorded = conn.execute(sa.select(t.meta.c.value).where(t.meta.c.key == "artifact_root")).scalar()
        if given is not None:
            root = Path(given).resolve()
            if recorded is None:
                self._set_meta("artifact_root", str(root))
            elif Path(recorded) != root:
                log.warning("registry %s records artifacts in %s; using %s for this call", self.display_url, recorded, root)
            return root
        if recorded is not None:
            return Path(recorded)
        path = sqlite_path(self.url)
        if path is not None:
            return Path(path).resolve().parent / ARTIFACTS_FOLDER
        if self.url.startswith("sqlite"):
            self._temporary = Path(tempfile.mkdtemp(prefix="automl-registry-"))
            return self._temporary
        raise InputError(
            f"registry {self.display_url} has no artifact folder yet: pass --registry-artifacts DIR "
            "(a folder every user of the registry can read; it is recorded for later calls)"
        )


class _Transaction:
    """The writes of one registry transaction on one name (all share its revision as ``seq``)."""

    def __init__(self, conn: Connection, name: str, revision: int) -> None:
        self.conn, self.name, self.revision = conn, name, revision
        self.user, self.at = current_user(), utc_now()

    def add_version(self, number: int, digest: str, files: dict[str, str], card: ModelCard, lineage: Lineage) -> None:
        self.conn.execute(
            sa.insert(t.versions).values(
                name=self.name,
                version=number,
                digest=digest,
                files=_dumps(files),
                card=_dumps(card.to_dict()),
                lineage=_dumps(lineage.to_dict()),
                created_at=self.at,
                created_by=self.user,
            )
        )

    def alias(self, alias: str) -> int | None:
        return self.conn.execute(
            sa.select(t.aliases.c.version).where(t.aliases.c.name == self.name, t.aliases.c.alias == alias)
        ).scalar()

    def move_alias(
        self, alias: str, version: int | None, kind: str, *, reason: str, evidence: Mapping[str, Any] | None = None
    ) -> Event:
        """Point ``alias`` at ``version`` (or remove it) and record the move as a ``kind`` event."""
        before = self.alias(alias)
        where = (t.aliases.c.name == self.name) & (t.aliases.c.alias == alias)
        if version is None:
            self.conn.execute(sa.delete(t.aliases).where(where))
        elif before is None:
            self.conn.execute(
                sa.insert(t.aliases).values(
                    name=self.name, alias=alias, version=version, updated_at=self.at, updated_by=self.user
                )
            )
        else:
            self.conn.execute(sa.update(t.aliases).where(where).values(version=version, updated_at=self.at, updated_by=self.user))
        return self.event(kind, version, reason=reason, evidence=evidence, alias=alias, from_version=before, to_version=version)

    def event(
        self,
        kind: str,
        version: int | None,
        *,
        reason: str,
        evidence: Mapping[str, Any] | None = None,
        alias: str | None = None,
        from_version: int | None = None,
        to_version: int | None = None,
    ) -> Event:
        values = dict(
            name=self.name,
            seq=self.revision,
            at=self.at,
            username=self.user,
            kind=kind,
            version=version,
            alias=alias,
            from_version=from_version,
            to_version=to_version,
            reason=reason,
            evidence=_dumps(dict(evidence or {})),
        )
        # SQLAlchemy types inserted_primary_key as optional; an INSERT of one row always has it.
        new_id = self.conn.execute(sa.insert(t.events).values(**values)).inserted_primary_key[0]  # type: ignore[index]
        return _event_of(SimpleNamespace(id=new_id, **values))


def _engine(url: str) -> Engine:
    try:
        if url in ("sqlite://", "sqlite:///:memory:"):
            return sa.create_engine("sqlite://", poolclass=StaticPool, connect_args={"check_same_thread": False})
        path = sqlite_path(url)
        if path is not None:
            Path(path).parent.mkdir(parents=True, exist_ok=True)
            return sa.create_engine(url, connect_args={"timeout": 60})
        return sa.create_engine(url, pool_pre_ping=True)
    except (sa.exc.ArgumentError, sa.exc.NoSuchModuleError, ImportError) as exc:
        raise InputError(f"registry URL {mask_secrets(url)} cannot be used: {_describe(exc, url)}") from None


def _describe(exc: BaseException, url: str) -> str:
    """The first line of a database error, with the URL's password (also decoded, as drivers quote it) masked."""
    origin = getattr(exc, "orig", None) or exc
    text = (str(origin).strip().splitlines() or [type(origin).__name__])[0]
    return mask_secrets(text, url_password(url))


def _dumps(obj: Any) -> str:
    return json.dumps(to_jsonable(obj), sort_keys=True, allow_nan=False)


def _flat(by_version: Mapping[int, list[str]]) -> dict[str, int]:
    return {alias: version for version, names in by_version.items() for alias in names}


def _version_of(row: Any, aliases: Mapping[int, list[str]]) -> ModelVersion:
    return ModelVersion(
        name=row.name,
        version=row.version,
        digest=row.digest,
        files=json.loads(row.files),
        card=ModelCard.from_dict(json.loads(row.card), source=f"registry row {row.name}@{row.version}"),
        lineage=Lineage.from_dict(json.loads(row.lineage)),
        created_at=row.created_at,
        created_by=row.created_by,
        aliases=tuple(sorted(aliases.get(row.version, []))),
    )


def _event_of(row: Any) -> Event:
    return Event(
        id=int(row.id),
        name=row.name,
        seq=int(row.seq),
        at=row.at,
        user=row.username,
        kind=row.kind,
        version=row.version,
        alias=row.alias,
        from_version=row.from_version,
        to_version=row.to_version,
        reason=row.reason,
        evidence=json.loads(row.evidence) if isinstance(row.evidence, str) else dict(row.evidence),
    )

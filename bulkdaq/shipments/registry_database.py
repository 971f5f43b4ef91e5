"""Where the shipment registry lives: one SQLite file (a terminal, the demo) or a PostgreSQL database (a
customs office over many terminals), behind one code path.

The registry speaks SQLAlchemy Core to either; the schema is kept by Alembic migrations
(`bulkdaq/shipments/registry_migrations/`). What differs between the two is said here and nowhere else:

* **Opening.** A SQLite file is opened read-write without creating it unless asked, and must already be
  a registry (a spool or another program's database is refused, never written to). A PostgreSQL registry
  is named by a URL whose password comes from the environment or a file, never from the site file.
* **Migrating.** A SQLite registry is brought to the newest schema by its first write, as it always was.
  An office database is migrated only by its owner (`bulkdaq office migrate`): the roles terminals and
  officers write with may not change the schema, and a registry behind the code is refused with the
  command that brings it up to date.
* **One writer per shipment.** SQLite takes the file's write lock (``BEGIN IMMEDIATE``); PostgreSQL takes
  a transaction-scoped advisory lock on the shipment, so writers of other shipments (other terminals) go
  on in parallel. The unique index on (shipment, number) and the chain trigger hold even where a writer
  skips the lock.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache
from pathlib import Path

import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.pool import StaticPool

from bulkdaq.errors import BulkdaqError

REGISTRY_TABLES = frozenset({"shipments", "evidence", "events"})
_MIGRATIONS = "bulkdaq.shipments:registry_migrations"
_INSUFFICIENT_PRIVILEGE = "42501"  # PostgreSQL's SQLSTATE for a missing grant, row-level security, and the append-only triggers


class RegistryUnavailable(BulkdaqError):
    """The registry is missing (and is not to be created), a folder, not SQLite, another program's database,
    locked, unreachable, or behind the code: the message names it and what was expected."""


class WriteRefused(BulkdaqError, PermissionError):
    """The database refused a write: the role lacks the right (PostgreSQL grants, row-level security), or the
    write would change history (the append-only triggers)."""


def is_database_url(location: str | Path) -> bool:
    """Whether `location` names a PostgreSQL registry (a URL) rather than a SQLite file."""
    return isinstance(location, str) and location.startswith(("postgresql://", "postgresql+psycopg://"))


def _alembic_config(connection: Connection | None = None) -> Config:
    config = Config()
    config.set_main_option("script_location", _MIGRATIONS)
    config.attributes["connection"] = connection
    return config


@cache
def newest_revision() -> str:
    """The schema revision this code writes (the head of the migrations)."""
    head = ScriptDirectory.from_config(_alembic_config()).get_current_head()
    assert head is not None
    return head


class RegistryDatabase:
    """An open registry database: a SQLAlchemy engine and the dialect's way to write one shipment at a time.

    Parameters
    ----------
    location
        A SQLite file path, or a ``postgresql+psycopg://user@host:port/database`` URL.
    create
        SQLite only: create the file (and its folder) if missing, and make an empty file a registry.
    password
        PostgreSQL only: the role's password (from the environment or a file; never in the URL of a site file).
    owner_migrating
        PostgreSQL only: the owner opens a database that may not be a registry yet, to migrate it.
    """

    def __init__(self, location: str | Path, *, create: bool = True, password: str | None = None, owner_migrating: bool = False) -> None:
        self.dialect = "postgresql" if is_database_url(location) else "sqlite"
        self._writing: Connection | None = None
        self._schema_current = False
        if self.dialect == "postgresql":
            url = sa.make_url(str(location)).set(drivername="postgresql+psycopg")
            if password is not None:
                url = url.set(password=password)
            self.where = url.render_as_string(hide_password=True)
            self.engine: Engine = sa.create_engine(url, pool_pre_ping=True, pool_size=2, max_overflow=2)
            try:
                with self.engine.connect() as connection:
                    tables = set(sa.inspect(connection).get_table_names())
            except sa.exc.OperationalError as error:
                raise RegistryUnavailable(f"{self.where}: cannot reach the office registry ({_first_line(error)})") from None
            if not REGISTRY_TABLES <= tables and not owner_migrating:
                raise RegistryUnavailable(
                    f"{self.where}: not a shipment registry (no tables events, evidence, shipments); "
                    "its owner makes it one with `bulkdaq office migrate`"
                )
            self.path: Path | None = None
            return
        self.path = Path(location)
        self.where = str(self.path)
        self.engine = self._open_sqlite(self.path, create)

    def _open_sqlite(self, path: Path, create: bool) -> Engine:
        if path.is_dir():
            raise RegistryUnavailable(f"{path}: is a folder; the shipment registry is one SQLite file (e.g. var/shipments.sqlite)")
        if not path.exists():
            if not create:
                raise RegistryUnavailable(
                    f"{path}: no shipment registry there (reading creates none); give the registry with --registry "
                    "or $BULKDAQ_REGISTRY, or declare a shipment into a new one with `bulkdaq shipment declare FILE --registry PATH`"
                )
            try:
                path.parent.mkdir(parents=True, exist_ok=True)
            except OSError as error:
                raise RegistryUnavailable(f"{path}: cannot make its folder ({error.strerror or error})") from None
        uri = f"{path.absolute().as_uri()}?mode={'rwc' if create else 'rw'}"

        def connect() -> sqlite3.Connection:
            # isolation_level=None: transactions are explicit (BEGIN IMMEDIATE) so a check and its write are one unit.
            # check_same_thread=False: a command may hand the registry to a worker thread (one user at a time).
            # mode=rw never creates the file; rwc only where creating is asked for.
            connection = sqlite3.connect(uri, uri=True, isolation_level=None, timeout=30.0, check_same_thread=False)
            connection.execute("PRAGMA foreign_keys=ON")
            return connection

        # One connection for the registry's life, as before: the file's locks are SQLite's, not a pool's.
        engine = sa.create_engine("sqlite://", creator=connect, poolclass=StaticPool)
        try:
            with engine.connect() as connection:
                tables = set(sa.inspect(connection).get_table_names()) - {"sqlite_sequence", "alembic_version"}
        except sa.exc.OperationalError as error:  # no permission, a read-only folder, locked
            engine.dispose()
            raise RegistryUnavailable(f"{path}: cannot open the registry ({_first_line(error)})") from None
        except sa.exc.DatabaseError as error:
            engine.dispose()
            raise RegistryUnavailable(f"{path}: not a shipment registry: cannot read it as SQLite ({_first_line(error)})") from None
        if not tables and create:
            self.engine = engine
            self.migrate()  # a new (or empty) file becomes a registry
        elif not REGISTRY_TABLES <= tables:
            engine.dispose()
            held = f"its tables: {', '.join(sorted(tables))}" if tables else "an empty database"
            raise RegistryUnavailable(f"{path}: not a shipment registry ({held}; a registry has the tables events, evidence, shipments)")
        return engine

    # -- schema --------------------------------------------------------------------------------------

    def revision(self) -> str | None:
        """The schema revision the database is at (None: a registry from before migrations were kept)."""
        with self.engine.connect() as connection:
            return MigrationContext.configure(connection).get_current_revision()

    def up_to_date(self) -> bool:
        return self.revision() == newest_revision()

    def migrate(self) -> None:
        """Bring the schema to the newest revision (idempotent), in one transaction. On PostgreSQL only the owner may."""
        try:
            with self.engine.connect() as connection:
                if self.dialect == "sqlite":
                    # The journal mode cannot change inside a transaction; the migration itself is one (SQLite's DDL is transactional).
                    connection.exec_driver_sql("PRAGMA journal_mode=WAL")
                    connection.exec_driver_sql("BEGIN IMMEDIATE")
                    try:
                        command.upgrade(_alembic_config(connection), "head")
                    except BaseException:
                        connection.exec_driver_sql("ROLLBACK")
                        raise
                    connection.exec_driver_sql("COMMIT")
                else:
                    with connection.begin():
                        command.upgrade(_alembic_config(connection), "head")
        except sa.exc.OperationalError as error:
            raise RegistryUnavailable(f"{self.where}: cannot bring the registry's schema up to date ({_first_line(error)})") from None
        except sa.exc.ProgrammingError as error:  # PostgreSQL: not the owner
            raise RegistryUnavailable(
                f"{self.where}: cannot change the registry's schema as this role ({_first_line(error)}); "
                "its owner runs `bulkdaq office migrate`"
            ) from None

    def ensure_writable_schema(self) -> None:
        """Before a write: SQLite is brought up to date; an office database behind the code is refused. Once
        found up to date it is not asked again (a schema never goes back)."""
        if self._schema_current or self.up_to_date():
            self._schema_current = True
            return
        if self.dialect == "sqlite":
            self.migrate()
            return
        raise RegistryUnavailable(
            f"{self.where}: the registry's schema is at revision {self.revision()}, this bulkdaq writes {newest_revision()}; "
            "its owner runs `bulkdaq office migrate`"
        )

    # -- transactions --------------------------------------------------------------------------------

    @contextmanager
    def reading(self) -> Iterator[Connection]:
        """A connection to read with: inside a write, the writing one, so a check made before the commit
        (the workflow publishing the new state) sees what the write has recorded."""
        if self._writing is not None:
            yield self._writing
            return
        with self.engine.connect() as connection:
            yield connection

    @contextmanager
    def writing(self, shipment: str | None = None) -> Iterator[Connection]:
        """One write: everything inside is recorded together, or (on any exception) nothing is. `shipment`:
        the shipment whose chain is written, held against other writers until the end."""
        self.ensure_writable_schema()
        if self.dialect == "sqlite":
            with self.engine.connect() as connection:
                try:
                    connection.exec_driver_sql("BEGIN IMMEDIATE")
                except sa.exc.OperationalError as error:  # locked for longer than the timeout, read-only, disk full
                    raise RegistryUnavailable(f"{self.where}: cannot write to the registry ({_first_line(error)})") from None
                try:
                    self._writing = connection
                    yield connection
                except BaseException:
                    connection.exec_driver_sql("ROLLBACK")
                    raise
                finally:
                    self._writing = None
                connection.exec_driver_sql("COMMIT")
            return
        try:
            transaction = self.engine.begin()
            connection = transaction.__enter__()
        except sa.exc.OperationalError as error:
            raise RegistryUnavailable(f"{self.where}: cannot reach the office registry ({_first_line(error)})") from None
        try:
            if shipment is not None:
                connection.execute(sa.text("SELECT pg_advisory_xact_lock(hashtextextended(:shipment, 0))"), {"shipment": shipment})
            self._writing = connection
            yield connection
        except BaseException as error:
            self._writing = None
            transaction.__exit__(type(error), error, error.__traceback__)
            if isinstance(error, sa.exc.DBAPIError) and getattr(error.orig, "sqlstate", None) == _INSUFFICIENT_PRIVILEGE:
                raise WriteRefused(
                    f"{self.where}: the database refused the write ({_first_line(error)}); each role may do only what "
                    "`bulkdaq office grant` gave it, and history is never changed"
                ) from None
            raise
        self._writing = None
        transaction.__exit__(None, None, None)

    def dispose(self) -> None:
        self.engine.dispose()


def _first_line(error: BaseException) -> str:
    detail = getattr(error, "orig", None) or error
    return str(detail).strip().splitlines()[0] if str(detail).strip() else type(detail).__name__


def migrate_registry(location: str | Path, password: str | None = None) -> str:
    """Bring a registry's schema to the newest revision (an office's: as its owner); return the revision."""
    database = RegistryDatabase(location, password=password, owner_migrating=True)
    try:
        database.migrate()
        return database.revision() or ""
    finally:
        database.dispose()


__all__ = ["REGISTRY_TABLES", "RegistryDatabase", "RegistryUnavailable", "WriteRefused", "is_database_url", "migrate_registry", "newest_revision"]

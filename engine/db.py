"""Database connection and transactions.

Each engine service call runs in exactly one transaction that this module opens and the engine
commits; nothing outside the engine commits. On SQLite every write transaction starts with
``BEGIN IMMEDIATE`` so two writers queue on the database lock instead of both reading and then
failing to upgrade their lock ("database is locked" half-way through a step); readers use WAL.
"""
from __future__ import annotations

import contextlib
from typing import Iterator

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.orm import Session, sessionmaker

from .errors import ConfigurationError, ConflictError, PathwaysError

DEFAULT_URL = "sqlite:///pathways.sqlite"


def normalise_url(url: str | None) -> str:
    """Accept ``postgresql://`` URLs as well as SQLAlchemy's ``postgresql+psycopg://``."""
    url = url or DEFAULT_URL
    if url.startswith("postgres://"):
        url = "postgresql://" + url[len("postgres://"):]
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://"):]
    return url


def make_engine(url: str | None) -> sa.Engine:
    """Create the SQLAlchemy engine for ``url``.

    Raises:
        ConfigurationError: the URL cannot be understood.
    """
    url = normalise_url(url)
    try:
        if url.startswith("sqlite"):
            engine = sa.create_engine(url, connect_args={"timeout": 30, "check_same_thread": False})
            _configure_sqlite(engine)
        else:
            engine = sa.create_engine(url, pool_pre_ping=True, pool_size=10, max_overflow=20)
    except (sa.exc.ArgumentError, ImportError) as exc:
        raise ConfigurationError(f"cannot use database URL {redact(url)!r}: {exc}") from exc
    return engine


def _configure_sqlite(engine: sa.Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record):
        # Let SQLAlchemy, not pysqlite, decide when transactions begin (see module docstring).
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=30000")
        # 64 MB of page cache per connection (the default is 2 MB): inbox queries over large
        # work-item tables otherwise keep re-reading index pages from disk.
        cursor.execute("PRAGMA cache_size=-65536")
        if engine.url.database not in (None, "", ":memory:"):
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection):
        mode = connection.get_execution_options().get("sqlite_begin", "IMMEDIATE")
        connection.exec_driver_sql(f"BEGIN {mode}")


def redact(url: str) -> str:
    """The URL without its password, fit for messages and logs."""
    try:
        return sa.engine.make_url(url).render_as_string(hide_password=True)
    except sa.exc.ArgumentError:
        return "<unparseable database URL>"


class Database:
    """The engine's handle on one database: a SQLAlchemy engine and its sessions."""

    def __init__(self, url: str | None):
        self.url = normalise_url(url)
        self.engine = make_engine(self.url)
        self._write = sessionmaker(bind=self.engine, expire_on_commit=False)
        read_bind = self.engine.execution_options(sqlite_begin="DEFERRED") if self.is_sqlite else self.engine
        self._read = sessionmaker(bind=read_bind, expire_on_commit=False)

    @property
    def is_sqlite(self) -> bool:
        return self.engine.dialect.name == "sqlite"

    @property
    def is_postgres(self) -> bool:
        return self.engine.dialect.name == "postgresql"

    @contextlib.contextmanager
    def transaction(self) -> Iterator[Session]:
        """One write transaction: committed when the block ends, rolled back if it raises.

        Raises:
            ConflictError: a uniqueness race, a lock timeout or a serialization failure.
            ConfigurationError: the schema is missing (run ``pathways init``) or the database fails.
        """
        session = self._write()
        try:
            with session.begin():
                yield session
        except sa.exc.DBAPIError as exc:
            raise translate_db_error(exc) from exc
        finally:
            session.close()

    @contextlib.contextmanager
    def reading(self) -> Iterator[Session]:
        """A read-only transaction (never commits; does not take SQLite's write lock).

        Raises:
            ConfigurationError: the schema is missing (run ``pathways init``) or the database fails.
        """
        session = self._read()
        try:
            yield session
        except sa.exc.DBAPIError as exc:
            raise translate_db_error(exc) from exc
        finally:
            session.rollback()
            session.close()

    def dispose(self) -> None:
        self.engine.dispose()


def translate_db_error(exc: sa.exc.DBAPIError) -> PathwaysError:
    """A typed engine error for a database failure (the transaction is already rolled back)."""
    text = str(exc.orig).lower() if exc.orig is not None else str(exc).lower()
    if isinstance(exc, sa.exc.IntegrityError):
        return ConflictError("someone else changed the same record at the same moment; reload and try again")
    if ("no such table" in text or "undefinedtable" in type(exc.orig).__name__.lower()
            or ("relation" in text and "does not exist" in text)):
        return ConfigurationError("the database has no Pathways schema yet: run `pathways init`")
    if ("database is locked" in text or "could not serialize" in text or "deadlock" in text
            or "lock timeout" in text):
        return ConflictError("the database was busy with the same case; try again")
    return ConfigurationError(f"database error: {str(exc.orig or exc).splitlines()[0]}")

"""Shared fixtures: a fresh database per test, on SQLite and (when reachable) on PostgreSQL.

The PostgreSQL leg runs every test marked ``postgres`` a second time in a schema of its own,
created for the test and dropped after it. Where no PostgreSQL is reachable the leg is skipped
with a message, unless PATHWAYS_REQUIRE_POSTGRES=1 (set by .ci/run), which turns that into a failure.
"""
from __future__ import annotations

import datetime as dt
import os
import uuid
from pathlib import Path

import pytest
import sqlalchemy as sa
from argon2 import PasswordHasher
from argon2.profiles import CHEAPEST

import engine.users

FIXTURES = Path(__file__).parent / "fixtures"
POSTGRES_URL = os.environ.get("PATHWAYS_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
REQUIRE_POSTGRES = os.environ.get("PATHWAYS_REQUIRE_POSTGRES") == "1"
START = dt.datetime(2026, 11, 23, 9, 0, tzinfo=dt.timezone.utc)  # a Monday morning

_pg_state: dict = {}

# Hashing passwords the production way costs about 0.1 s each, and the suite hashes thousands: tests
# use argon2's cheapest parameters. The production hasher is kept here for the test that checks it.
PRODUCTION_HASHER = engine.users._hasher
engine.users._hasher = PasswordHasher.from_parameters(CHEAPEST)


def _postgres_available() -> str | None:
    """None if PostgreSQL answers, else the reason it does not."""
    if "reason" not in _pg_state:
        try:
            engine = sa.create_engine(POSTGRES_URL, connect_args={"connect_timeout": 3})
            with engine.connect() as connection:
                connection.execute(sa.text("select 1"))
            engine.dispose()
            _pg_state["reason"] = None
        except Exception as exc:  # noqa: BLE001 - any failure means "not available"
            _pg_state["reason"] = f"{type(exc).__name__}: {str(exc).splitlines()[0]}"
    return _pg_state["reason"]


def pytest_generate_tests(metafunc):
    if "database_url" in metafunc.fixturenames:
        backends = ["sqlite", "postgres"] if metafunc.definition.get_closest_marker("postgres") else ["sqlite"]
        metafunc.parametrize("backend", backends, indirect=False)


@pytest.fixture
def database_url(backend, tmp_path):
    if backend == "sqlite":
        yield f"sqlite:///{tmp_path / 'pathways.sqlite'}"
        return
    reason = _postgres_available()
    if reason is not None:
        message = f"PostgreSQL not reachable at {POSTGRES_URL} ({reason}); the PostgreSQL leg is skipped"
        if REQUIRE_POSTGRES:
            pytest.fail(message.replace("is skipped", "is required (PATHWAYS_REQUIRE_POSTGRES=1)"))
        pytest.skip(message)
    schema = f"t_{uuid.uuid4().hex[:12]}"
    admin = sa.create_engine(POSTGRES_URL)
    with admin.begin() as connection:
        connection.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
    sep = "&" if "?" in POSTGRES_URL else "?"
    try:
        yield f"{POSTGRES_URL}{sep}options=-csearch_path%3D{schema}"
    finally:
        with admin.begin() as connection:
            connection.execute(sa.text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()

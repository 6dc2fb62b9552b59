"""What the benchmark scripts share: command line, database set-up, machine description, engine set-up,
statistics and printing, and a fast bulk copy of a case's rows.

Benchmarks print figures; they are not tests and assert nothing about time. See benchmarks/README.md.
"""
from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import gc
import importlib.metadata
import math
import os
import platform
import sqlite3
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Callable, Iterable, Iterator, Sequence
from urllib.parse import unquote

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import sqlalchemy as sa  # noqa: E402

from engine import Engine, FixedClock  # noqa: E402

FIXTURES = Path(__file__).resolve().parent / "fixtures"
FORMS = FIXTURES / "forms"
# A Monday morning, as in tests/conftest.py: every benchmark runs on a FixedClock so that due dates
# and timers do not depend on when it is run.
START = dt.datetime(2026, 11, 23, 9, 0, tzinfo=dt.timezone.utc)


# -- command line -----------------------------------------------------------------------------------

def parser(description: str) -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(description=description)
    p.add_argument("--database", metavar="URL", default=None,
                   help="SQLAlchemy URL (default: a fresh SQLite file in a temporary directory, removed "
                        "afterwards). A PostgreSQL URL without a search_path option gets a schema of its own, "
                        "dropped at the end; with one, the schema is used as it is and left in place.")
    p.add_argument("--quick", action="store_true", help="tiny sizes: a smoke run that takes seconds")
    return p


# -- the database under test --------------------------------------------------------------------------

def url_kind(url: str) -> str:
    if url.startswith("sqlite"):
        return "sqlite (file)" if sa.make_url(url).database not in (None, "", ":memory:") else "sqlite (memory)"
    if url.startswith("postgresql"):
        return "postgresql"
    return sa.make_url(url).get_backend_name()


def _has_search_path(url: str) -> bool:
    options = sa.make_url(url).query.get("options", "")
    options = " ".join(options) if isinstance(options, tuple) else options
    return "search_path" in unquote(options)


@contextlib.contextmanager
def database(url: str | None) -> Iterator[str]:
    """The URL to benchmark on: a fresh SQLite file by default, or ``url`` (see :func:`parser`)."""
    if url is None:
        with tempfile.TemporaryDirectory(prefix="pathways-bench-") as tmp:
            yield f"sqlite:///{Path(tmp) / 'bench.sqlite'}"
        return
    if url.startswith("postgres://") or url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url.split("://", 1)[1]
    if not url.startswith("postgresql") or _has_search_path(url):
        yield url
        return
    schema = f"bench_{uuid.uuid4().hex[:10]}"
    admin = sa.create_engine(url)
    with admin.begin() as connection:
        connection.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
    sep = "&" if "?" in url else "?"
    try:
        yield f"{url}{sep}options=-csearch_path%3D{schema}"
    finally:
        with admin.begin() as connection:
            connection.execute(sa.text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()
        print(f"(dropped schema {schema})")


# -- machine ---------------------------------------------------------------------------------------------

def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def _memory() -> str:
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                return f"{int(line.split()[1]) / 1024 / 1024:.1f} GiB"
    except (OSError, ValueError):
        pass
    return "unknown"


def loadavg() -> str:
    """The 1, 5 and 15 minute load averages: other work on the machine makes the figures noisier."""
    try:
        return " ".join(Path("/proc/loadavg").read_text().split()[:3])
    except OSError:
        return "unknown"


def print_load(label: str = "load average at the end") -> None:
    print(f"{label}: {loadavg()} (on {os.cpu_count()} cores)")


def _version(dist: str) -> str:
    try:
        return importlib.metadata.version(dist)
    except importlib.metadata.PackageNotFoundError:
        return "?"


def print_machine(title: str, engine: Engine) -> None:
    url = engine.database_url
    server = ""
    if engine.database.is_postgres:
        with engine.database.reading() as session:
            server = " " + session.scalar(sa.text("select version()")).split(",")[0]
    print(f"== {title}")
    print(f"platform      {platform.platform()}")
    print(f"cpu           {_cpu_model()} x {os.cpu_count()} cores, memory {_memory()}, load average {loadavg()}")
    print(f"python        {platform.python_version()} ({platform.python_implementation()})")
    print(f"sqlite        {sqlite3.sqlite_version} (library used by Python's sqlite3)")
    print(f"libraries     SpiffWorkflow {_version('SpiffWorkflow')}, SQLAlchemy {_version('SQLAlchemy')}, "
          f"psycopg {_version('psycopg')}")
    print(f"database      {url_kind(url)}{server}")
    print(f"run at        {dt.datetime.now().isoformat(timespec='seconds')} (engine clock fixed at "
          f"{START.isoformat()})")
    print()


# -- engine set-up ------------------------------------------------------------------------------------------

def make_engine(url: str, clock: FixedClock | None = None) -> Engine:
    """An engine on ``url`` with the schema upgraded and the benchmark pathways (benchmarks/fixtures) loaded."""
    engine = Engine(url, clock=clock or FixedClock(START), expression_time_limit=2.0)
    engine.upgrade_database()
    engine.load_pathways(FIXTURES, FORMS)
    return engine


def analyze(engine: Engine) -> None:
    """Bring the planner's statistics up to date after a bulk load, as a maintained database would have them:
    ANALYZE on SQLite; VACUUM ANALYZE on PostgreSQL (otherwise autovacuum starts on the freshly loaded
    tables in the middle of the measurements and competes for the CPU)."""
    if engine.database.is_postgres:
        with engine.database.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            connection.exec_driver_sql("VACUUM ANALYZE")
        return
    with engine.database.engine.connect() as connection:
        connection.exec_driver_sql("ANALYZE")
        connection.commit()


# -- statistics and timing ------------------------------------------------------------------------------------

def percentile(values: Sequence[float], p: float) -> float:
    """The ``p``-th percentile (0..100) with linear interpolation between closest ranks."""
    if not values:
        return math.nan
    ordered = sorted(values)
    if len(ordered) == 1:
        return ordered[0]
    rank = (len(ordered) - 1) * p / 100.0
    lo, hi = math.floor(rank), math.ceil(rank)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (rank - lo)


def median(values: Sequence[float]) -> float:
    return statistics.median(values) if values else math.nan


def timed_ms(fn: Callable[[], object], *, collect: bool = True) -> tuple[float, object]:
    """Run ``fn`` once; return (milliseconds, result). Garbage is collected first, outside the timing."""
    if collect:
        gc.collect()
    t0 = time.perf_counter()
    result = fn()
    return (time.perf_counter() - t0) * 1000.0, result


def ratio(a: float, b: float) -> float:
    return a / b if b else math.inf


def yes_no(ok: bool) -> str:
    return "yes" if ok else "NO"


def print_table(headers: Sequence[str], rows: Iterable[Sequence[object]]) -> None:
    rows = [[_cell(v) for v in row] for row in rows]
    widths = [max(len(h), *(len(r[i]) for r in rows)) if rows else len(h) for i, h in enumerate(headers)]
    print("  ".join(h.rjust(w) for h, w in zip(headers, widths)))
    print("  ".join("-" * w for w in widths))
    for row in rows:
        print("  ".join(v.rjust(w) for v, w in zip(row, widths)))


def _cell(value: object) -> str:
    if isinstance(value, float):
        if math.isnan(value):
            return "-"
        return f"{value:.3f}" if abs(value) < 1 else f"{value:.2f}" if abs(value) < 100 else f"{value:.0f}"
    return str(value)


class Stopwatch:
    """Wall-clock time of a phase, printed as ``label ... s``."""

    def __init__(self, label: str):
        self.label = label
        self.seconds = 0.0

    def __enter__(self) -> "Stopwatch":
        self._t0 = time.perf_counter()
        return self

    def __exit__(self, *exc) -> None:
        self.seconds = time.perf_counter() - self._t0
        if exc[0] is None:
            print(f"  {self.label}: {self.seconds:.1f} s")


# -- SQL seen by the database ----------------------------------------------------------------------------------

@contextlib.contextmanager
def capture_sql(engine: Engine) -> Iterator[list[tuple[str, object, bool]]]:
    """Record ``(statement, parameters, executemany)`` of every statement the engine sends in the block."""
    seen: list[tuple[str, object, bool]] = []

    def listener(_conn, _cursor, statement, parameters, _context, executemany):
        seen.append((statement, parameters, executemany))

    sa.event.listen(engine.database.engine, "before_cursor_execute", listener)
    try:
        yield seen
    finally:
        sa.event.remove(engine.database.engine, "before_cursor_execute", listener)


def parameter_bytes(parameters) -> int:
    """Bytes of text and binary values in one statement's parameters (a list for executemany)."""
    if isinstance(parameters, (list, tuple)) and parameters and isinstance(parameters[0], (list, tuple, dict)):
        return sum(parameter_bytes(p) for p in parameters)
    values = parameters.values() if isinstance(parameters, dict) else (parameters or ())
    return sum(len(v.encode()) if isinstance(v, str) else len(v) if isinstance(v, (bytes, bytearray)) else 0
               for v in values)


def explain(engine: Engine, statement: str, parameters, *, analyze_pg: bool = True) -> list[str]:
    """The database's plan for one captured statement: EXPLAIN QUERY PLAN on SQLite, EXPLAIN on PostgreSQL
    (with ANALYZE, so actual row counts and times show too)."""
    with engine.database.engine.connect() as connection:
        if engine.database.is_sqlite:
            rows = connection.exec_driver_sql("EXPLAIN QUERY PLAN " + statement, parameters).all()
            depth = {0: 0}
            lines = []
            for node_id, parent, _unused, detail in rows:
                depth[node_id] = depth.get(parent, 0) + 1
                lines.append("  " * (depth[node_id] - 1) + detail)
            return lines
        prefix = "EXPLAIN (ANALYZE, BUFFERS) " if analyze_pg else "EXPLAIN "
        lines = [r[0] for r in connection.exec_driver_sql(prefix + statement, parameters).all()]
        connection.rollback()
        return lines


# -- bulk copies of a case ----------------------------------------------------------------------------------------

def _series(engine: Engine, n: int) -> str:
    """A FROM item ``g`` with column ``i`` = 1..n."""
    if engine.database.is_postgres:
        return f"generate_series(1, {int(n)}) AS g(i)"
    return (f"(WITH RECURSIVE s(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM s WHERE i < {int(n)}) "
            "SELECT i FROM s) AS g")


def copy_cases(engine: Engine, templates: Sequence[int], n: int, *, reference_prefix: str) -> list[int]:
    """Add ``n`` cases whose rows are byte-for-byte copies of the ``templates`` (used in turn).

    Copied: the ``cases`` row (new id and reference, everything else equal), its ``case_tasks``,
    ``work_items`` and ``timers`` rows. Not copied: audit events (a copy starts a fresh chain) and API
    state. The workflow state inside the rows (task data, ``case['reference']``) still names the
    template: the engine never reads it back from there, so a copy runs exactly like its template.
    Returns the new case ids, in order. One transaction of four INSERT ... SELECT statements.
    """
    from engine.models import Case, CaseTask, Timer, WorkItem

    if n <= 0:
        return []
    db = engine.database
    mapping = " UNION ALL ".join(f"SELECT {k} AS k, {int(t)} AS tid" for k, t in enumerate(templates))
    k = len(templates)
    with db.engine.begin() as connection:
        base = connection.execute(sa.text("SELECT COALESCE(MAX(id), 0) FROM cases")).scalar()
        source = f"{_series(engine, n)} JOIN ({mapping}) AS m ON m.k = (g.i - 1) % {k}"
        new_id = f"({base} + g.i)"

        def copy(table, alias: str, key: str, overrides: dict[str, str], skip: set[str]) -> None:
            cols = [c.name for c in table.columns if c.name not in skip]
            values = [overrides.get(c, f"{alias}.{c}") for c in cols]
            connection.execute(sa.text(
                f"INSERT INTO {table.name} ({', '.join(cols)}) SELECT {', '.join(values)} "
                f"FROM {source} JOIN {table.name} {alias} ON {alias}.{key} = m.tid"))

        copy(Case.__table__, "c", "id", {"id": new_id, "reference": f"'{reference_prefix}' || {new_id}"}, set())
        copy(CaseTask.__table__, "t", "case_id", {"case_id": new_id}, set())
        copy(WorkItem.__table__, "w", "case_id", {"case_id": new_id, "case_reference": f"'{reference_prefix}' || {new_id}"},
             {"id"})
        copy(Timer.__table__, "tm", "case_id", {"case_id": new_id}, {"id"})
        if db.is_postgres:
            connection.execute(sa.text("SELECT setval(pg_get_serial_sequence('cases', 'id'), "
                                       "(SELECT MAX(id) FROM cases))"))
    return list(range(base + 1, base + n + 1))


def scalar(engine: Engine, sql: str, **params):
    """The first column of the first row of ``sql`` (outside the engine's service calls)."""
    with engine.database.engine.connect() as connection:
        return connection.execute(sa.text(sql), params).scalar()

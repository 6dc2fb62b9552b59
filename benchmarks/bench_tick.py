"""Tick: 1,000 due timers among 100,000 waiting ones. Target: the time does not depend on the 100,000.

Pathway benchmarks/fixtures/wait: start (form: child_name, days) -> intermediate timer
``duration(days=days)`` -> user task "Hold the review". The engine's clock is a FixedClock.

  waiting cases  20 real cases started through the engine with waits of 30 to 372 days, then bulk copies
                 of their rows (cases, case_tasks, timers; new ids and references; see
                 common.copy_cases) up to 1,000 and later 100,000 waiting cases. Starting 100,000 real
                 cases would take a quarter of an hour; a copy is byte-for-byte the rows the engine wrote.
  due cases      real cases started through the engine (``start_case``) with a 1-day wait; the clock is
                 then moved 2 days on. 1,000 for each measurement (a tick fires them, so the second
                 measurement gets 1,000 new ones).

Measured, in three rounds: A) ``Engine.tick()`` with 1,000 due among 1,000 waiting (baseline); B) 1,000
due among 100,000 waiting; A again) the copies made for B deleted, 1,000 due among 1,000 waiting once more,
so that drift during the run (machine load, a grown database file) shows as a difference between the two
baselines instead of in the ratio. Each tick runs after ``Engine.forget_cached_cases()`` (every due case is
rebuilt from its rows). The due-timer selection query alone (``engine.timers.due_case_ids``) is timed in
each round. ANALYZE (VACUUM ANALYZE on PostgreSQL) runs after each bulk load; in round B the query is also
timed before it (statistics from the 1,000-waiting database).

Target: tick(B) / mean(tick(A), tick(A again)) <= 1.5.

    python benchmarks/bench_tick.py [--database URL] [--quick] [--due N] [--waiting N] [--profile]
"""
from __future__ import annotations

import cProfile
import datetime as dt
import io
import pstats
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import sqlalchemy as sa  # noqa: E402

from benchmarks import common  # noqa: E402
from engine import timers  # noqa: E402
from engine.models import UTCDateTime  # noqa: E402

PATHWAY = "bench_wait"
ROLE = "Independent Reviewing Officer"
TEMPLATES = 20
TARGET_RATIO = 1.5
QUERY_CALLS = 30


def start_due(engine, actor, n: int, tag: str) -> float:
    with common.Stopwatch(f"start {n:,} due cases through the engine ({tag})") as sw:
        for i in range(n):
            engine.start_case(PATHWAY, {"child_name": f"Due {tag} {i}", "days": 1}, actor)
    return sw.seconds


def due_query_ms(engine, limit: int) -> float:
    rt = engine._rt
    timers.due_case_ids(rt, limit)  # warm-up
    return common.median([common.timed_ms(lambda: timers.due_case_ids(rt, limit), collect=False)[0]
                          for _ in range(QUERY_CALLS)])


def due_query_plan(engine) -> list[str]:
    with common.capture_sql(engine) as seen:
        timers.due_case_ids(engine._rt, 200)
    statement, params, _many = next(s for s in seen if "timers" in s[0])
    return [" ".join(statement.split()), f"params: {params!r}", *common.explain(engine, statement, params)]


def waiting_count(engine) -> int:
    """Cases with a timer that is not yet due."""
    query = sa.text("SELECT COUNT(DISTINCT case_id) FROM timers WHERE fire_at >= :now").bindparams(
        sa.bindparam("now", engine.clock.now(), type_=UTCDateTime()))
    with engine.database.engine.connect() as connection:
        return connection.execute(query).scalar()


def delete_cases(engine, first: int, last: int) -> None:
    """Remove the cases with ids first..last and their rows (child tables first, by id range)."""
    with engine.database.engine.begin() as connection:
        for table in ("case_tasks", "timers", "work_items", "audit_events"):
            connection.execute(sa.text(f"DELETE FROM {table} WHERE case_id BETWEEN :a AND :b"), {"a": first, "b": last})
        connection.execute(sa.text("DELETE FROM cases WHERE id BETWEEN :a AND :b"), {"a": first, "b": last})


def measure_tick(engine, profile: bool) -> tuple[float, object, str]:
    engine.forget_cached_cases()
    prof = cProfile.Profile() if profile else None
    if prof:
        prof.enable()
    ms, result = common.timed_ms(engine.tick)
    text = ""
    if prof:
        prof.disable()
        out = io.StringIO()
        pstats.Stats(prof, stream=out).sort_stats("cumulative").print_stats(35)
        text = "\n".join(line for line in out.getvalue().splitlines() if line.strip())
    return ms, result, text


def main(argv=None) -> int:
    p = common.parser(__doc__.splitlines()[0])
    p.add_argument("--due", type=int, default=None, help="due cases per tick (default 1,000; 30 with --quick)")
    p.add_argument("--waiting", type=int, default=None,
                   help="waiting cases of the large measurement (default 100,000; 3,000 with --quick); "
                        "the baseline has as many waiting as due")
    p.add_argument("--profile", action="store_true", help="print a cProfile of the large tick")
    args = p.parse_args(argv)
    due = args.due or (30 if args.quick else 1_000)
    waiting = args.waiting or (3_000 if args.quick else 100_000)
    with common.database(args.database) as url:
        clock = common.FixedClock(common.START)
        engine = common.make_engine(url, clock)
        try:
            common.print_machine("bench_tick: firing due timers among many waiting ones", engine)
            return run(engine, clock, due, waiting, args.profile)
        finally:
            common.print_load()
            engine.dispose()


def run(engine, clock, due: int, waiting: int, profile: bool) -> int:
    engine.add_user("iro1", "Ira Reviewer", [ROLE])
    actor = engine.actor("iro1")
    small = max(due, TEMPLATES)
    print(f"setting up: {TEMPLATES} real waiting cases, copied to {small:,} waiting; {due:,} real due cases")
    templates = [engine.start_case(PATHWAY, {"child_name": f"Waiting {j}", "days": 30 + 18 * j}, actor).id
                 for j in range(TEMPLATES)]
    with common.Stopwatch(f"copy {small - TEMPLATES:,} waiting cases (bulk INSERT ... SELECT)"):
        common.copy_cases(engine, templates, small - TEMPLATES, reference_prefix="BW-")
    # Warm-up (not measured): a few cases through a whole tick, so that the first measured tick does not
    # pay for first-time imports and caches (holidays tables, compiled expressions, the version's spec).
    warm = min(20, due)
    for i in range(warm):
        engine.start_case(PATHWAY, {"child_name": f"Warm-up {i}", "days": 1}, actor)
    clock.set(common.START + dt.timedelta(days=2))
    engine.forget_cached_cases()
    assert engine.tick().timers_fired == warm
    start_s = start_due(engine, actor, due, "A")
    common.analyze(engine)

    rows = []

    def measure_round(label: str, days: int, stale: bool, prof: bool) -> str:
        """Move the clock to START+days (the due cases are due), time the due query and a fresh tick."""
        clock.set(common.START + dt.timedelta(days=days))
        n_wait = waiting_count(engine)
        stale_ms = plan_stale = None
        if stale:
            stale_ms, plan_stale = due_query_ms(engine, 200), due_query_plan(engine)
            common.analyze(engine)
        q200, qall = due_query_ms(engine, 200), due_query_ms(engine, 200 + due)
        plans.append((f"{label}" + (", statistics from before the copy" if stale else ""), plan_stale or due_query_plan(engine)))
        if stale:
            plans.append((f"{label}, after ANALYZE", due_query_plan(engine)))
        ms, result, text = measure_tick(engine, prof)
        rows.append((label, n_wait, result, ms, q200, qall, stale_ms))
        return text

    plans: list = []
    # -- A: `due` due among `small` waiting (baseline)
    measure_round(f"A: {small:,} waiting", 4, False, False)

    # -- B: `due` due among `waiting` waiting
    print(f"growing to {waiting:,} waiting cases")
    with common.Stopwatch(f"copy {waiting - small:,} waiting cases (bulk INSERT ... SELECT)"):
        copies = common.copy_cases(engine, templates, waiting - small, reference_prefix="BW-")
    start_due(engine, actor, due, "B")
    prof_text = measure_round(f"B: {waiting:,} waiting", 6, True, profile)

    # -- A again: delete the copies made for B, so drift during the run (machine load, a grown database
    # file) shows up as a difference between the two baselines rather than in the ratio.
    print(f"back to {small:,} waiting cases")
    with common.Stopwatch(f"delete the {len(copies):,} copies"):
        delete_cases(engine, copies[0], copies[-1])
        common.analyze(engine)
    start_due(engine, actor, due, "C")
    measure_round(f"A again: {small:,} waiting", 8, False, False)
    print()

    print(f"starting one due case through the engine: {start_s / due * 1000:.1f} ms per case")
    print("tick after forget_cached_cases(): every due case rebuilt from its rows, fired, saved, audited")
    common.print_table(
        ["round", "waiting cases", "due cases", "cases fired", "timers fired", "errors", "tick s", "per due case ms",
         "due query ms (limit 200)", f"due query ms (limit {200 + due})", "due query ms, stale stats"],
        [(label, f"{w:,}", f"{due:,}", r.cases, r.timers_fired, len(r.errors), ms / 1000, ms / max(1, r.cases), q1, q2,
          "-" if st is None else st) for label, w, r, ms, q1, q2, st in rows])
    a1, b, a2 = rows
    base_ms = (a1[3] + a2[3]) / 2
    tick_ratio = common.ratio(b[3], base_ms)
    print()
    print(f"tick ratio B / mean(A, A again) ({waiting:,} vs {small:,} waiting): {tick_ratio:.2f}x   "
          f"(B / A {common.ratio(b[3], a1[3]):.2f}x, B / A again {common.ratio(b[3], a2[3]):.2f}x)")
    print(f"due-query ratio B / A: {common.ratio(b[4], a1[4]):.2f}x (limit 200), "
          f"{common.ratio(b[5], a1[5]):.2f}x (limit {200 + due}); a tick runs the query "
          f"{-(-due // 200) + 1} times for {due:,} due cases")
    ok_counts = all(r.cases == due and r.timers_fired == due and not r.errors for _l, _w, r, *_ in rows)
    print(f"every due timer fired exactly once, no errors: {common.yes_no(ok_counts)}")
    print(f"target: tick time independent of the waiting cases (ratio <= {TARGET_RATIO:g}): "
          f"{common.yes_no(tick_ratio <= TARGET_RATIO)} ({tick_ratio:.2f}x)")
    for _l, _w, r, *_ in rows:
        for error in r.errors[:5]:
            print(f"  error: {error}")
    print()
    for label, plan in plans:
        print(f"due-timer query plan, {label}:")
        for line in plan:
            print("  " + line)
    if prof_text:
        print(f"\n-- cProfile of the tick among {waiting:,} waiting (cumulative, top 35)")
        print(prof_text)
    return 0 if ok_counts else 1


if __name__ == "__main__":
    sys.exit(main())

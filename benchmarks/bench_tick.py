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

Measured: ``Engine.tick()`` with 1,000 due among 1,000 waiting (baseline), then 1,000 due among 100,000
waiting, each after ``Engine.forget_cached_cases()`` (every due case is rebuilt from its rows), and the
due-timer selection query alone (``engine.timers.due_case_ids``) at both sizes. ANALYZE runs after each
bulk load; at 100,000 the query is also timed before it (statistics from the 1,000-waiting database).

Target: tick(100,000 waiting) / tick(1,000 waiting) <= 1.5.

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
    # -- baseline: `due` due among `small` waiting
    clock.set(common.START + dt.timedelta(days=4))
    n_wait = waiting_count(engine)
    q200, qall = due_query_ms(engine, 200), due_query_ms(engine, 200 + due)
    plan_small = due_query_plan(engine)
    ms, result, _ = measure_tick(engine, False)
    rows.append((n_wait, due, result, ms, q200, qall, None))

    # -- large: `due` due among `waiting` waiting
    print(f"growing to {waiting:,} waiting cases")
    with common.Stopwatch(f"copy {waiting - small:,} waiting cases (bulk INSERT ... SELECT)"):
        common.copy_cases(engine, templates, waiting - small, reference_prefix="BW-")
    start_due(engine, actor, due, "B")
    clock.set(common.START + dt.timedelta(days=6))
    n_wait = waiting_count(engine)
    stale = due_query_ms(engine, 200)
    plan_stale = due_query_plan(engine)
    common.analyze(engine)
    q200, qall = due_query_ms(engine, 200), due_query_ms(engine, 200 + due)
    plan_large = due_query_plan(engine)
    ms, result, prof_text = measure_tick(engine, profile)
    rows.append((n_wait, due, result, ms, q200, qall, stale))
    print()

    print(f"starting one due case through the engine: {start_s / due * 1000:.1f} ms per case")
    print("tick after forget_cached_cases(): every due case rebuilt from its rows, fired, saved, audited")
    common.print_table(
        ["waiting cases", "due cases", "cases fired", "timers fired", "errors", "tick s", "per due case ms",
         "due query ms (limit 200)", f"due query ms (limit {200 + due})", "due query ms, stale stats"],
        [(f"{w:,}", f"{d:,}", r.cases, r.timers_fired, len(r.errors), ms / 1000, ms / max(1, r.cases), q1, q2,
          "-" if st is None else st) for w, d, r, ms, q1, q2, st in rows])
    (_, _, r_small, t_small, q_small, qa_small, _), (_, _, r_large, t_large, q_large, qa_large, _) = rows
    tick_ratio = common.ratio(t_large, t_small)
    print()
    print(f"tick ratio ({waiting:,} waiting / {small:,} waiting): {tick_ratio:.2f}x   "
          f"due-query ratio: {common.ratio(q_large, q_small):.2f}x (limit 200), "
          f"{common.ratio(qa_large, qa_small):.2f}x (limit {200 + due})")
    ok_counts = all(r.cases == due and r.timers_fired == due and not r.errors for r in (r_small, r_large))
    print(f"every due timer fired exactly once, no errors: {common.yes_no(ok_counts)}")
    print(f"target: tick time independent of the waiting cases (ratio <= {TARGET_RATIO:g}): "
          f"{common.yes_no(tick_ratio <= TARGET_RATIO)} ({tick_ratio:.2f}x)")
    for r in (r_small, r_large):
        for error in r.errors[:5]:
            print(f"  error: {error}")
    print()
    for label, plan in ((f"{small:,} waiting", plan_small), (f"{waiting:,} waiting, statistics from before the copy",
                                                             plan_stale), (f"{waiting:,} waiting, after ANALYZE", plan_large)):
        print(f"due-timer query plan, {label}:")
        for line in plan:
            print("  " + line)
    if prof_text:
        print(f"\n-- cProfile of the tick among {waiting:,} waiting (cumulative, top 35)")
        print(prof_text)
    return 0 if ok_counts else 1


if __name__ == "__main__":
    sys.exit(main())

"""Completion: SpiffWorkflow in memory against the engine's persisted completion, as a case's history grows.

One case of the loop pathway (benchmarks/fixtures/loop: "Record a visit" loops back through an
exclusive gateway while ``more == True``) is driven through the engine to 10, 100 and 200 completed
visits. At each point, each of R repetitions measures one completion that advances the case by one task:

  in memory    SpiffWorkflow alone: ``deserialize_json`` of the case's full JSON (spec included, as
               SpiffWorkflow writes it), set the form data, ``task.run()``, ``do_engine_steps()``,
               ``serialize_json``; with the engine's sandbox script engine.
  warm         ``Engine.complete_task`` through the service layer (form validation, role check, one DB
               transaction: task rows, work items, timers, audit) with the workflow in the live cache.
  cold         the same after ``Engine.forget_cached_cases()``: the workflow is rebuilt from its rows.

By default each repetition works on its own copy of the case taken at the point (the cases, case_tasks
and work_items rows copied byte for byte, see common.copy_cases), so every measured completion starts
from exactly N completed visits; ``--same-case`` instead runs every measured completion on the one case,
which then moves on by 2 tasks a repetition (N .. N+2R).

Targets: persisted <= 2x in memory; cost at 200 <= 3x cost at 10.

    python benchmarks/bench_completion.py [--database URL] [--quick] [--repeat R] [--same-case] [--profile]
"""
from __future__ import annotations

import cProfile
import io
import pstats
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import sqlalchemy as sa  # noqa: E402
from SpiffWorkflow.util.task import TaskState  # noqa: E402

from benchmarks import common  # noqa: E402
from engine import codec, store  # noqa: E402
from engine.models import Case, CaseTask  # noqa: E402
from engine.sandbox import make_script_engine  # noqa: E402

PATHWAY = "bench_loop"
ROLE = "Family Support Worker"
NOTE = "Visited at home; spoke with the child and both parents; next visit agreed."
WARM_LIMIT, COLD_LIMIT, GROWTH_LIMIT = 2.0, 2.0, 3.0


def form_data(i: int) -> dict:
    return {"more": True, "note": f"{NOTE} ({i})"}


def ready_task(engine, case_id: int) -> str:
    return common.scalar(engine, "SELECT task_id FROM work_items WHERE case_id = :c", c=case_id)


def case_rows(engine, case_id: int) -> tuple[str, dict[str, str]]:
    with engine.database.reading() as session:
        header = session.scalar(sa.select(Case.state_json).where(Case.id == case_id))
        bodies = dict(session.execute(sa.select(CaseTask.task_id, CaseTask.body).where(CaseTask.case_id == case_id)).all())
    return header, bodies


def full_json(engine, case_id: int) -> str:
    """SpiffWorkflow's own serialization of the case (spec included), rebuilt from its rows."""
    rt = engine._rt
    with engine.database.reading() as session:
        case = session.get(Case, case_id)
        spec, subs = store.version_spec(session, rt, case.version_id)
        rows = session.execute(sa.select(CaseTask.task_id, CaseTask.workflow_id, CaseTask.body)
                               .where(CaseTask.case_id == case_id).order_by(CaseTask.seq)).all()
        workflow = codec.load(spec, subs, case.state_json, [tuple(r) for r in rows],
                              script_engine=rt.script_engine())
    return codec.full_json(workflow)


def in_memory_step(js: str, data: dict, time_limit: float) -> str:
    """What SpiffWorkflow alone does for one completion: restore, run the task, run on, serialize."""
    ser = codec.serializer()
    workflow = ser.deserialize_json(js)
    workflow.script_engine = make_script_engine(time_limit=time_limit)
    task = workflow.get_tasks(state=TaskState.READY, manual=True)[0]
    task.data.update(data)
    task.run()
    workflow.do_engine_steps()
    return ser.serialize_json(workflow)


def bytes_written(engine, case_id: int, actor, i: int) -> dict:
    """One warm completion of ``case_id``: rows and bytes that changed, and bytes sent in statements."""
    header_before, before = case_rows(engine, case_id)
    task_id = ready_task(engine, case_id)
    with common.capture_sql(engine) as seen:
        engine.complete_task(case_id, task_id, form_data(i), actor)
    header_after, after = case_rows(engine, case_id)
    changed = [t for t in after if t in before and after[t] != before[t]]
    inserted = [t for t in after if t not in before]
    deleted = [t for t in before if t not in after]
    task_bytes = sum(len(after[t].encode()) for t in changed + inserted)
    writes = [(s, p, many) for s, p, many in seen if "case_tasks" in s and not s.lstrip().upper().startswith("SELECT")]
    sent_tasks = sum(common.parameter_bytes(p) for _s, p, _m in writes)
    rewritten = sum(len(p) if many else 1 for s, p, many in writes if s.lstrip().upper().startswith("UPDATE"))
    return {"rows": len(after), "changed": len(changed), "inserted": len(inserted), "deleted": len(deleted),
            "task_bytes": task_bytes, "header_bytes": len(header_after.encode()), "total": task_bytes + len(header_after.encode()),
            "statements": len(seen), "sent_task_bytes": sent_tasks, "rewritten_rows": rewritten,
            "sent_all_bytes": sum(common.parameter_bytes(p) for _s, p, _m in seen)}


def main(argv=None) -> int:
    p = common.parser(__doc__.splitlines()[0])
    p.add_argument("--repeat", type=int, default=None, help="completions measured per point and column (default 30; 5 with --quick)")
    p.add_argument("--same-case", action="store_true", help="measure on the one case instead of copies of it")
    p.add_argument("--profile", action="store_true",
                   help="also print a cProfile of 20 warm and 20 cold completions at the first and last points")
    args = p.parse_args(argv)
    points = [3, 6, 12] if args.quick else [10, 100, 200]
    repeat = args.repeat or (5 if args.quick else 30)

    with common.database(args.database) as url:
        engine = common.make_engine(url)
        try:
            common.print_machine("bench_completion: one completion, in memory vs persisted, as history grows", engine)
            return run(engine, points, repeat, args.same_case, args.profile)
        finally:
            common.print_load()
            engine.dispose()


def run(engine, points: list[int], repeat: int, same_case: bool, profile: bool) -> int:
    engine.add_user("fsw1", "Fran Support", [ROLE])
    actor = engine.actor("fsw1")
    time_limit = engine._rt.expression_time_limit
    main_case = engine.start_case(PATHWAY, {"child_name": "Sam"}, actor).id
    done = 0  # completed visits of the main case
    print(f"pathway {PATHWAY}: one user task looping through an exclusive gateway; {repeat} completions per point "
          f"and column; {'all on the one case (N .. N+2R)' if same_case else 'each on a copy of the case at exactly N'}")
    print("times are per completion, in milliseconds (median); 'rows' is the case's case_tasks rows at N\n")

    results, sizes, written = [], {}, {}
    step = 0
    for n in points:
        while done < n:
            step += 1
            engine.complete_task(main_case, ready_task(engine, main_case), form_data(step), actor)
            done += 1
        rows_at_n = common.scalar(engine, "SELECT COUNT(*) FROM case_tasks WHERE case_id = :c", c=main_case)
        js_at_n = full_json(engine, main_case)
        at = done  # = n, except with --same-case when an earlier point's window already went past n
        sizes[at] = (rows_at_n, len(js_at_n))
        targets = [main_case] * repeat if same_case else common.copy_cases(engine, [main_case], repeat, reference_prefix="BC-")
        mem, warm, cold = [], [], []
        for k, case_id in enumerate(targets):
            js = js_at_n if not same_case else full_json(engine, case_id)
            ms, _ = common.timed_ms(lambda: in_memory_step(js, form_data(k), time_limit))
            mem.append(ms)
            engine.forget_cached_cases()
            task_id = ready_task(engine, case_id)
            ms, _ = common.timed_ms(lambda: engine.complete_task(case_id, task_id, form_data(k), actor))
            cold.append(ms)
            task_id = ready_task(engine, case_id)
            ms, _ = common.timed_ms(lambda: engine.complete_task(case_id, task_id, form_data(k), actor))
            warm.append(ms)
        if same_case:
            done += 2 * repeat
        results.append((at, common.median(mem), common.median(warm), common.median(cold),
                        common.percentile(mem, 95), common.percentile(warm, 95), common.percentile(cold, 95)))
        if n in (points[0], points[-1]):
            # The main case is warm here (it was just driven); this completion moves it to N+1.
            written[done] = bytes_written(engine, main_case, actor, 10_000 + n)
            done += 1
        if profile and n in (points[0], points[-1]):
            print_profile(engine, main_case, actor, done)
            done += 2 * 20

    common.print_table(
        ["completed tasks", "rows", "full JSON bytes", "in-memory ms", "persisted warm ms", "cold ms",
         "warm/in-memory", "cold/in-memory"],
        [(n, sizes[n][0], sizes[n][1], m, w, c, common.ratio(w, m), common.ratio(c, m))
         for n, m, w, c, *_ in results])
    print()
    common.print_table(["completed tasks", "in-memory p95 ms", "warm p95 ms", "cold p95 ms"],
                       [(n, pm, pw, pc) for n, _m, _w, _c, pm, pw, pc in results])
    first, last = results[0], results[-1]
    growth = [common.ratio(last[i], first[i]) for i in (1, 2, 3)]
    print()
    print(f"cost({last[0]})/cost({first[0]}):  in memory {growth[0]:.2f}x   persisted warm {growth[1]:.2f}x   "
          f"cold {growth[2]:.2f}x")
    print()
    print("targets")
    for n, m, w, c, *_ in results:
        print(f"  at {n:>3}: persisted warm <= {WARM_LIMIT:g}x in memory: {common.yes_no(w <= WARM_LIMIT * m)} "
              f"({common.ratio(w, m):.2f}x)   cold <= {COLD_LIMIT:g}x in memory: {common.yes_no(c <= COLD_LIMIT * m)} "
              f"({common.ratio(c, m):.2f}x)")
    print(f"  cost at {last[0]} <= {GROWTH_LIMIT:g}x cost at {first[0]}:  persisted warm "
          f"{common.yes_no(growth[1] <= GROWTH_LIMIT)} ({growth[1]:.2f}x)   cold {common.yes_no(growth[2] <= GROWTH_LIMIT)} "
          f"({growth[2]:.2f}x)   in memory (baseline, no target) {growth[0]:.2f}x")
    print()
    print("what one completion writes (a warm completion of the case at N; rows compared before and after)")
    common.print_table(
        ["completed tasks", "rows", "rows changed", "rows inserted", "rows deleted", "task bytes", "header bytes",
         "written bytes", "UPDATE rows sent", "case_tasks bytes sent", "all bytes sent", "statements"],
        [(n, w["rows"], w["changed"], w["inserted"], w["deleted"], w["task_bytes"], w["header_bytes"], w["total"],
          w["rewritten_rows"], w["sent_task_bytes"], w["sent_all_bytes"], w["statements"]) for n, w in written.items()])
    (at_a, a), (at_b, b) = list(written.items())[0], list(written.items())[-1]
    print(f"  written bytes at {at_b} / at {at_a}: {common.ratio(b['total'], a['total']):.2f}x "
          f"(does not grow with history: {common.yes_no(b['total'] <= 1.5 * a['total'])})")
    print("  (written = bodies of changed and inserted case_tasks rows + the case's state_json; 'sent' counts the "
          "text parameters of the statements, which also re-send unfinished tasks whose body did not change)")
    return 0


def print_profile(engine, case_id: int, actor, n: int) -> None:
    for label, cold in (("warm", False), ("cold", True)):
        prof = cProfile.Profile()
        for i in range(20):
            if cold:
                engine.forget_cached_cases()
            task_id = ready_task(engine, case_id)
            prof.enable()
            engine.complete_task(case_id, task_id, form_data(20_000 + i), actor)
            prof.disable()
        out = io.StringIO()
        stats = pstats.Stats(prof, stream=out).sort_stats("cumulative")
        stats.print_stats(30)
        stats.print_callers(r"workflow.py:\d+\(get_tasks\)")
        print(f"\n-- cProfile: 20 {label} completions of the case from {n} completed tasks (cumulative, top 30; "
              "then who walks the task tree with get_tasks)")
        print("\n".join(line for line in out.getvalue().splitlines() if line.strip())[:20000])
    print()


if __name__ == "__main__":
    sys.exit(main())

"""Audit chain verification, concurrent completion, the storage codec and schema migrations."""
from __future__ import annotations

import json
import threading

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from engine import ConflictError, Engine
from engine import codec, store
from engine.models import Base, Case
from tests.integration.conftest import task_of

pytestmark = pytest.mark.postgres


def _flow(engine, actors):
    case = engine.start_case("mini", {"child_name": "Lee"}, actors["dsw1"])
    s = task_of(engine, case.id, actors["dsw1"], "screening")
    engine.complete_task(case.id, s.id, {"decision": "early_help", "rationale": "support"}, actors["dsw1"])
    return case


def test_verify_passes_then_detects_an_edited_row(engine, actors):
    case = _flow(engine, actors)
    result = engine.verify_case(case.id)
    assert result.ok and result.events == 2
    with engine.database.engine.begin() as c:
        c.execute(sa.text("update audit_events set summary = 'nothing happened' where chain = :c and seq = 1"),
                  {"c": f"case:{case.id}"})
    broken = engine.verify_case(case.id)
    assert not broken.ok and broken.first_bad_seq == 1 and "changed" in broken.reason


def test_verify_detects_a_deleted_event(engine, actors):
    case = _flow(engine, actors)
    engine.complete_task(case.id, task_of(engine, case.id, actors["tm2"], "signoff").id, {"agree": True}, actors["tm2"])
    with engine.database.engine.begin() as c:
        c.execute(sa.text("delete from audit_events where chain = :c and seq = 2"), {"c": f"case:{case.id}"})
    broken = engine.verify_case(case.id)
    assert not broken.ok and broken.first_bad_seq == 3


def test_publication_is_audited(engine):
    chains = [r for r in engine.verify_all() if r.chain.startswith("pathway:")]
    assert len(chains) == 3 and all(r.ok and r.events == 1 for r in chains)  # mini, asker, helper


@pytest.mark.parametrize("workers", [6])
def test_racing_completions_give_exactly_one_success(engine, actors, database_url, clock, workers):
    case = engine.start_case("mini", {"child_name": "Ray"}, actors["dsw1"])
    screening = task_of(engine, case.id, actors["dsw1"], "screening")
    engines = [Engine(database_url, clock=clock) for _ in range(workers)]
    barrier = threading.Barrier(workers)
    outcomes: list = []

    def complete(eng, n):
        actor = eng.actor("dsw1" if n % 2 else "dsw2")
        barrier.wait()
        try:
            outcomes.append(eng.complete_task(case.id, screening.id, {"decision": "nfa", "rationale": f"reason {n}"}, actor))
        except ConflictError as exc:
            outcomes.append(exc)

    threads = [threading.Thread(target=complete, args=(e, n)) for n, e in enumerate(engines)]
    [t.start() for t in threads]
    [t.join() for t in threads]
    [e.dispose() for e in engines]
    wins = [o for o in outcomes if isinstance(o, int)]
    assert len(outcomes) == workers and len(wins) == 1, outcomes
    engine.forget_cached_cases()
    view = engine.get_case(case.id, actors["tm2"])
    assert view.row_version == wins[0] and [t.element_id for t in view.ready_tasks] == ["signoff"]
    completions = [e for e in engine.audit_trail(case.id, actors["tm2"]) if e.action == "task_completed"]
    assert len(completions) == 1


def test_incremental_rows_rebuild_the_same_workflow(engine, actors):
    """After every step, the workflow rebuilt from stored rows equals SpiffWorkflow's own serialization."""
    case = engine.start_case("mini", {"child_name": "Ada"}, actors["dsw1"])
    steps = [("dsw1", "screening", {"decision": "nfa", "rationale": "first"}),
             ("tm2", "signoff", {"agree": False, "reason": "ask school"}),
             ("dsw1", "screening", {"decision": "early_help", "rationale": "second"}),
             ("tm2", "signoff", {"agree": True}), ("ehc1", "early_help", {"note": "plan"})]
    for user, element, data in steps:
        live = engine._rt._live.get(case.id)
        assert live is not None
        rebuilt = _rebuild(engine, case.id)
        assert _normalised(rebuilt) == _normalised(live.workflow)
        engine.complete_task(case.id, task_of(engine, case.id, actors[user], element).id, data, actors[user])
    assert _normalised(_rebuild(engine, case.id)) == _normalised(engine._rt._live.get(case.id).workflow)


def _rebuild(engine, case_id):
    with engine.database.reading() as session:
        row = session.get(Case, case_id)
        row_version = row.row_version
        engine._rt._live.pop(case_id)  # force the cold path...
        live = store.load(session, engine._rt, row)
    live.row_version = row_version
    engine._rt.keep_live(case_id, live)  # ...and leave the rebuilt one as the live one
    return live.workflow


def _normalised(workflow) -> dict:
    dct = json.loads(codec.full_json(workflow))
    for task in dct["tasks"].values():
        task.pop("last_state_change")
    return dct


def test_migrations_match_the_models_and_upgrade_in_place(engine, actors, database_url):
    case = engine.start_case("mini", {"child_name": "Mo"}, actors["dsw1"])
    assert engine.upgrade_database() == engine.schema_revision()  # a second upgrade is a no-op
    with engine.database.engine.connect() as connection:
        diff = compare_metadata(MigrationContext.configure(connection), Base.metadata)
    assert diff == []
    again = Engine(database_url)
    again.upgrade_database()
    assert again.get_case(case.id, again.actor("dsw1")).data["child_name"] == "Mo"
    again.dispose()

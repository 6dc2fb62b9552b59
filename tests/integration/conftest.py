from __future__ import annotations

import pytest

from engine import Engine, FixedClock
from tests.conftest import FIXTURES, START

PROCESSES = FIXTURES / "engine"
FORMS = FIXTURES / "engine" / "forms"


@pytest.fixture
def clock():
    return FixedClock(START)


@pytest.fixture
def engine(database_url, clock):
    eng = Engine(database_url, clock=clock, expression_time_limit=2.0)
    eng.upgrade_database()
    eng.load_pathways(PROCESSES, FORMS)
    eng.add_user("dsw1", "Dee Duty", ["Duty Social Worker"], password="pw-dsw1")
    eng.add_user("dsw2", "Dan Duty", ["Duty Social Worker"])
    eng.add_user("tm1", "Tess Manager", ["Team Manager", "Duty Social Worker"])
    eng.add_user("tm2", "Tom Manager", ["Team Manager"])
    eng.add_user("ehc1", "Eve Coordinator", ["Early Help Coordinator"])
    yield eng
    eng.dispose()


@pytest.fixture
def actors(engine):
    return {name: engine.actor(name) for name in ("dsw1", "dsw2", "tm1", "tm2", "ehc1")}


def ready(engine, case_id, actor, element_id=None):
    view = engine.get_case(case_id, actor)
    tasks = [t for t in view.ready_tasks if element_id is None or t.element_id == element_id]
    return view, tasks


def task_of(engine, case_id, actor, element_id):
    _, tasks = ready(engine, case_id, actor, element_id)
    assert len(tasks) == 1, f"expected one ready {element_id}, got {[t.element_id for t in tasks]}"
    return tasks[0]

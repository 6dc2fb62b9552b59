"""Pathway versions: content-hashed, immutable, cases stay on their version for life."""
from __future__ import annotations

import shutil

import pytest

from engine import Actor, PathwayInvalidError, PermissionDeniedError, TaskNotFoundError, TaskNotReadyError
from tests.integration.conftest import FORMS, PROCESSES, task_of

pytestmark = pytest.mark.postgres


def _mini(results):
    [result] = [r for r in results if r.pathway_key == "mini"]
    return result


def _copy(tmp_path):
    target = tmp_path / "processes"
    shutil.copytree(PROCESSES, target)
    return target


def test_unchanged_pathway_makes_no_new_version(engine):
    again = _mini(engine.load_pathways(PROCESSES, FORMS))
    assert (again.created, again.version.number) == (False, 1)


def test_changed_pathway_is_a_new_version_and_running_cases_keep_theirs(engine, actors, tmp_path):
    old = engine.start_case("mini", {"child_name": "Old"}, actors["dsw1"])
    folder = _copy(tmp_path)
    bpmn = folder / "mini" / "mini.bpmn"
    bpmn.write_text(bpmn.read_text().replace('name="Initial screening"', 'name="Screen the contact"'))
    result = _mini(engine.load_pathways(folder, folder / "forms"))
    assert (result.created, result.version.number) == (True, 2)
    new = engine.start_case("mini", {"child_name": "New"}, actors["dsw1"])
    assert (old.version_number, new.version_number) == (1, 2)
    assert engine.get_case(old.id, actors["dsw1"]).ready_tasks[0].title == "Initial screening"
    assert engine.get_case(new.id, actors["dsw1"]).ready_tasks[0].title == "Screen the contact"
    engine.forget_cached_cases()  # the old case rebuilt from storage still runs on version 1
    s = task_of(engine, old.id, actors["dsw1"], "screening")
    engine.complete_task(old.id, s.id, {"decision": "nfa", "rationale": "fine"}, actors["dsw1"])
    assert [t.element_id for t in engine.get_case(old.id, actors["tm2"]).ready_tasks] == ["signoff"]


def test_a_changed_form_is_a_new_version_too(engine, tmp_path):
    folder = _copy(tmp_path)
    form = folder / "forms" / "mini-note.schema.json"
    form.write_text(form.read_text().replace('"Note"', '"A note"'))
    result = _mini(engine.load_pathways(folder, folder / "forms"))
    assert result.created and "forms/mini-note.schema.json" in result.version.files


def test_an_invalid_pathway_is_refused_with_its_problems(engine, tmp_path):
    folder = _copy(tmp_path)
    bpmn = folder / "mini" / "mini.bpmn"
    bpmn.write_text(bpmn.read_text().replace("decision == 'early_help'", "decision == "))
    with pytest.raises(PathwayInvalidError) as err:
        engine.load_pathways(folder, folder / "forms")
    [problem] = err.value.problems
    assert problem.element_id == "f_eh" and problem.line and "mini.bpmn" in problem.file
    current = _mini(engine.load_pathways(PROCESSES, FORMS))
    assert current.version.number == 1  # nothing was published


def test_claiming_unknown_and_closed_tasks(engine, actors):
    case = engine.start_case("mini", {"child_name": "Cy"}, actors["dsw1"])
    s = task_of(engine, case.id, actors["dsw1"], "screening")
    with pytest.raises(TaskNotFoundError):
        engine.claim_task(case.id, "00000000-0000-0000-0000-000000000000", actors["dsw1"])
    engine.complete_task(case.id, s.id, {"decision": "nfa", "rationale": "fine"}, actors["dsw1"])
    with pytest.raises(TaskNotReadyError):
        engine.claim_task(case.id, s.id, actors["dsw1"])


def test_starting_needs_the_start_events_lane_role(engine):
    with pytest.raises(PermissionDeniedError, match="Duty Social Worker"):
        engine.start_case("mini", {"child_name": "Z"}, Actor.system("referral-form"))
    form = Actor.system("referral-form", frozenset({"Duty Social Worker"}))
    assert engine.start_case("mini", {"child_name": "Z"}, form).status == "active"

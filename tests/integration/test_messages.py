"""Cases talking through BPMN messages: a case throws, the engine starts a linked case; the linked
case answers and the first case runs on. Uses the fixture pathways `asker` and `helper`."""
from __future__ import annotations

import pytest
import sqlalchemy as sa

from engine import WorkflowRunError
from tests.integration.conftest import task_of

pytestmark = pytest.mark.postgres


@pytest.fixture
def ehc(engine):
    return engine.actor("ehc1")


def _cases(engine):
    with engine.database.engine.connect() as c:
        return c.execute(sa.text("select id, reference, status from cases order by id")).all()


def test_a_thrown_message_starts_a_linked_case_and_its_answer_comes_back(engine, actors, ehc):
    asker = engine.start_case("asker", {"child_name": "Noor"}, ehc)
    engine.complete_task(asker.id, task_of(engine, asker.id, ehc, "ask").id, {"note": "worried about school"}, ehc)
    (_, _, _), (helper_id, helper_ref, status) = _cases(engine)
    assert status == "active"
    helper = engine.get_case(helper_id, actors["dsw1"])
    assert helper.title == "Noor" and helper.data["concern"] == "worried about school"
    assert helper.data["case"]["raised_by"] == asker.reference
    assert [(l.reference, l.pathway_key, l.direction, l.message) for l in helper.links] == [
        (asker.reference, "asker", "raised_by", "help_request")]
    assert [(l.reference, l.direction) for l in engine.get_case(asker.id, ehc).links] == [(helper_ref, "raised")]
    assert [t.element_id for t in helper.ready_tasks] == ["decide"]
    assert engine.case_trace(asker.id, ehc).waiting == ("wait_outcome",)

    engine.complete_task(helper_id, helper.ready_tasks[0].id, {"note": "section 47 enquiry"}, actors["dsw1"])
    asker_now = engine.get_case(asker.id, ehc)
    assert [t.element_id for t in asker_now.ready_tasks] == ["read_outcome"]
    assert asker_now.data["help_outcome"] == {"result": "section 47 enquiry", "case": helper_ref}
    assert engine.get_case(helper_id, actors["dsw1"]).status == "completed"

    asker_audit = [(e.action, e.summary) for e in engine.audit_trail(asker.id, ehc)]
    assert ("case_linked", f"help_request: started case {helper_ref}") in asker_audit
    assert ("message_sent", f"help_request to {helper_ref}") in asker_audit
    assert ("message_received", f"help_outcome from case {helper_ref}") in asker_audit
    assert all(engine.verify_case(cid).ok for cid, _, _ in _cases(engine))


def test_a_message_start_pathway_can_also_be_started_by_hand(engine, actors):
    helper = engine.start_case("helper", {"child_name": "Ola", "concern": "phone call"}, actors["dsw1"])
    assert [t.element_id for t in helper.ready_tasks] == ["decide"]
    engine.complete_task(helper.id, helper.ready_tasks[0].id, {"note": "advice given"}, actors["dsw1"])
    view = engine.get_case(helper.id, actors["dsw1"])
    assert view.status == "completed"
    assert ("message_sent", "help_outcome sent; no linked case was waiting for it") in [
        (e.action, e.summary) for e in engine.audit_trail(helper.id, actors["dsw1"])]


def test_a_payload_that_does_not_fit_the_start_form_rolls_everything_back(engine, ehc):
    asker = engine.start_case("asker", {"child_name": "Pia"}, ehc)
    ask = task_of(engine, asker.id, ehc, "ask")
    with pytest.raises(WorkflowRunError, match="does not fit the start form of Gives help"):
        # The note becomes the helper's `concern`, which its start form wants at least 5 characters long.
        engine.complete_task(asker.id, ask.id, {"note": "sad"}, ehc)
    assert len(_cases(engine)) == 1
    assert [t.element_id for t in engine.get_case(asker.id, ehc).ready_tasks] == ["ask"]

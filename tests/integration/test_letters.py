"""Outcome letters on front door cases: offered, previewed, recorded (audited, conflict-checked), read back."""
from __future__ import annotations

import datetime as dt
import shutil

import pytest

from engine import (Actor, ConflictError, FixedClock, LetterNotFoundError, LetterNotReadyError, LetterTemplateError,
                    PathwayInvalidError, PermissionDeniedError, StaleCaseError)
from tests.conftest import START
from tests.integration.front_door_cases import FORMS, LETTER, PROCESSES, early_help_case, front_door_engine

pytestmark = pytest.mark.postgres
KEY = "referrer_outcome"


@pytest.fixture
def clock():
    return FixedClock(START)


@pytest.fixture
def engine(database_url, clock):
    eng = front_door_engine(database_url, clock)
    yield eng
    eng.dispose()


def test_the_letter_is_offered_only_once_the_outcome_is_recorded(engine):
    case_id = early_help_case(engine)
    dsw = engine.actor("dsw")
    [offer] = engine.case_letters(case_id, dsw).offers
    assert offer.key == KEY and not offer.available and offer.may_produce and "not defined" in offer.reason
    with pytest.raises(LetterNotReadyError):
        engine.preview_letter(case_id, KEY, dsw)
    engine_case = engine.get_case(case_id, dsw)
    [task] = [t for t in engine_case.ready_tasks if t.element_id == "outcome_recorded"]
    engine.complete_task(case_id, task.id, {**LETTER, "referrer_advised_how": "not_possible"}, dsw)
    assert not engine.case_letters(case_id, dsw).offers[0].available  # no one to write to


@pytest.mark.parametrize("duty_outcome, template, words", [
    ("early_help_assessment", "letters/early_help_assessment.txt", "Early Help Assessment"),
    ("advice_and_guidance", "letters/advice_and_guidance.txt", "universal services"),
])
def test_the_template_is_chosen_by_the_signed_off_response(engine, duty_outcome, template, words):
    case_id = early_help_case(engine, duty_outcome=duty_outcome, outcome=LETTER)
    letter = engine.preview_letter(case_id, KEY, engine.actor("dsw"))
    assert letter.template == template and words in letter.body and letter.version_number == 1
    assert letter.body.startswith("Ms Józefa Nowak, Class teacher\nOakham Primary School\nOakham\n\nDear Józefa Nowak,")
    assert "Further to our telephone conversation on 24 November 2026" in letter.body
    assert "We agreed the family’s “early help” plan with them." in letter.paragraphs
    assert letter.body.endswith("Yours sincerely,\n\nDee Duty\nChildren's Duty and Assessment Team")
    assert letter.letter_date == dt.date(2026, 11, 23) and letter.id is None


def test_recording_stores_exactly_the_preview_and_appends_a_verified_audit_event(engine):
    case_id = early_help_case(engine, outcome=LETTER)
    dsw = engine.actor("dsw")
    preview = engine.preview_letter(case_id, KEY, dsw)
    events_before = len(engine.audit_trail(case_id, dsw))
    recorded = engine.record_letter(case_id, KEY, dsw, expected_version=preview.case_row_version,
                                    expected_hash=preview.content_hash)
    assert recorded.id is not None and recorded.recorded_by == "dsw" and recorded.recorded_at == START
    assert (recorded.text, recorded.content_hash, recorded.template) == (preview.text, preview.content_hash,
                                                                         preview.template)
    assert engine.get_letter(case_id, recorded.id, engine.actor("ehc")).text == preview.text  # readers may read
    events = engine.audit_trail(case_id, dsw)
    assert len(events) == events_before + 1
    assert events[-1].action == "letter_recorded" and events[-1].after["content_hash"] == preview.content_hash
    assert events[-1].after["template"] == "letters/early_help_assessment.txt" and events[-1].after["version"] == 1
    assert engine.verify_case(case_id).ok
    # The same letter again (a double click) is the letter already recorded, not a second one.
    again = engine.record_letter(case_id, KEY, dsw, expected_version=preview.case_row_version)
    assert again.id == recorded.id and len(engine.audit_trail(case_id, dsw)) == events_before + 1
    listed = engine.case_letters(case_id, dsw)
    assert [letter.id for letter in listed.recorded] == [recorded.id] and listed.recorded[0].body == preview.body


def test_a_stale_preview_is_a_conflict_and_records_nothing(engine, clock):
    case_id = early_help_case(engine, outcome=LETTER)
    dsw = engine.actor("dsw")
    preview = engine.preview_letter(case_id, KEY, dsw)
    with pytest.raises(StaleCaseError, match="preview it again"):
        engine.record_letter(case_id, KEY, dsw, expected_version=preview.case_row_version - 1)
    clock.set(START + dt.timedelta(days=1))  # the letter would now carry another date
    with pytest.raises(ConflictError, match="no longer the one previewed"):
        engine.record_letter(case_id, KEY, dsw, expected_version=preview.case_row_version,
                             expected_hash=preview.content_hash)
    assert engine.case_letters(case_id, dsw).recorded == ()
    assert not [e for e in engine.audit_trail(case_id, dsw) if e.action == "letter_recorded"]


def test_only_the_letters_roles_may_produce_it_and_only_readers_may_see_it(engine):
    case_id = early_help_case(engine, outcome=LETTER)
    ehc, tm, outsider = engine.actor("ehc"), engine.actor("tm"), engine.actor("yw")
    assert not engine.case_letters(case_id, ehc).offers[0].may_produce  # reads the case, not one of its roles
    with pytest.raises(PermissionDeniedError, match="needs one of the roles Duty Social Worker, Team Manager"):
        engine.preview_letter(case_id, KEY, ehc)
    version = engine.get_case(case_id, ehc).row_version
    with pytest.raises(PermissionDeniedError):
        engine.record_letter(case_id, KEY, ehc, expected_version=version)
    recorded = engine.record_letter(case_id, KEY, tm, expected_version=version)
    for call in (lambda: engine.case_letters(case_id, outsider), lambda: engine.preview_letter(case_id, KEY, outsider),
                 lambda: engine.get_letter(case_id, recorded.id, outsider)):
        with pytest.raises(PermissionDeniedError):
            call()
    with pytest.raises(LetterNotFoundError):
        engine.preview_letter(case_id, "no_such_letter", tm)
    other = early_help_case(engine, child="Ada")
    with pytest.raises(LetterNotFoundError):
        engine.get_letter(other, recorded.id, tm)


def test_a_template_change_is_a_new_version_and_a_broken_template_is_not_published(engine, tmp_path):
    folder = tmp_path / "front_door"
    shutil.copytree(PROCESSES / "front_door", folder)
    case_id = early_help_case(engine, outcome=LETTER)  # on version 1
    template = folder / "letters" / "early_help_assessment.txt"
    template.write_text(template.read_text(encoding="utf-8").replace("Yours sincerely,", "Yours faithfully,"),
                        encoding="utf-8")
    assert engine.publish_folder(folder, FORMS, Actor.system()).version.number == 2
    later = early_help_case(engine, child="Bea", outcome=LETTER)
    dsw = engine.actor("dsw")
    assert "Yours sincerely," in engine.preview_letter(case_id, KEY, dsw).body  # a case keeps its version
    newer = engine.preview_letter(later, KEY, dsw)
    assert "Yours faithfully," in newer.body and newer.version_number == 2
    template.write_text("{{ letter_to.__class__ }}\n", encoding="utf-8")
    with pytest.raises(PathwayInvalidError) as caught:
        engine.publish_folder(folder, FORMS, Actor.system())
    assert any(p.file.endswith("early_help_assessment.txt") and "names starting with _" in p.message
               for p in caught.value.problems)


def test_a_template_naming_a_field_the_case_lacks_fails_plainly(engine, tmp_path):
    folder = tmp_path / "front_door"
    shutil.copytree(PROCESSES / "front_door", folder)
    (folder / "letters" / "early_help_assessment.txt").write_text("Dear {{ head_teacher }},\n", encoding="utf-8")
    engine.publish_folder(folder, FORMS, Actor.system())
    case_id = early_help_case(engine, outcome=LETTER)
    with pytest.raises(LetterTemplateError, match="letters/early_help_assessment.txt.*'head_teacher' is undefined"):
        engine.preview_letter(case_id, KEY, engine.actor("dsw"))

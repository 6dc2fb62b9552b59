"""Starting a case from the public (the online referral form): only pathways whose manifest says
``public_start: true``, as the system actor, with the start form still validating the data."""
from __future__ import annotations

import shutil

import pytest

from engine import (Actor, PathwayInvalidError, FormValidationError, InboxFilter, PathwayNotFoundError, PermissionDeniedError,
                    parse_manifest)
from tests.integration.conftest import FORMS, PROCESSES

pytestmark = pytest.mark.postgres


def make_public(engine, tmp_path, key="helper", extra=""):
    """Publish a new version of the fixture pathway ``key`` whose manifest says ``public_start: true``
    (and ``extra`` manifest lines)."""
    folder = tmp_path / key
    shutil.copytree(PROCESSES / key, folder)
    with (folder / "pathway.yaml").open("a") as manifest:
        manifest.write("\npublic_start: true\n" + extra)
    return engine.publish_folder(folder, FORMS, Actor.system())


def test_the_manifest_reads_public_start():
    assert parse_manifest(b"key: abc\nname: A\nprocess: p\npublic_start: true\n").public_start is True
    assert parse_manifest(b"key: abc\nname: A\nprocess: p\n").public_start is False


def test_the_manifest_reads_start_fields():
    manifest = parse_manifest(b"key: abc\nname: A\nprocess: p\n"
                              b"start_fields: {now: [received_at], public: {method: online_form}}\n")
    assert (manifest.start_now, manifest.start_public) == (("received_at",), {"method": "online_form"})
    assert parse_manifest(b"key: abc\nname: A\nprocess: p\n").start_now == ()
    with pytest.raises(PathwayInvalidError, match="start_fields"):
        parse_manifest(b"key: abc\nname: A\nprocess: p\nstart_fields: {now: [1, 2]}\n")
    manifest = parse_manifest(b"key: abc\nname: A\nprocess: p\nstart_fields: {public_autocomplete: {who: name}}\n")
    assert manifest.start_autocomplete == {"who": "name"}
    with pytest.raises(PathwayInvalidError, match="public_autocomplete"):
        parse_manifest(b"key: abc\nname: A\nprocess: p\nstart_fields: {public_autocomplete: {who: '\"><x'}}\n")


def test_start_presets_come_from_the_published_manifest(engine, tmp_path):
    assert engine.start_presets("helper").public == {}
    make_public(engine, tmp_path, "helper", "start_fields:\n  now: [concern]\n  public: {child_name: Anon}\n")
    presets = engine.start_presets("helper")
    assert (presets.now, presets.public) == (("concern",), {"child_name": "Anon"})


def test_a_public_pathway_starts_as_the_online_referral_actor(engine, tmp_path, actors):
    make_public(engine, tmp_path)
    case = engine.start_public_case("helper", {"child_name": "Ria", "concern": "not eating at school"})
    assert case.reference.startswith("PW-") and case.pathway_key == "helper" and case.data["child_name"] == "Ria"
    assert case.data["case"]["started_by"] == "online referral"
    [event] = [e for e in engine.audit_trail(case.id, actors["dsw1"]) if e.action == "case_started"]
    assert event.actor == "online referral"
    work = engine.inbox(actors["dsw1"], InboxFilter())
    assert any(item.case_id == case.id for item in work.items)


def test_a_pathway_without_public_start_is_refused(engine):
    with pytest.raises(PermissionDeniedError):
        engine.start_public_case("mini", {"child_name": "Sam", "concern": "bruise"})
    with pytest.raises(PathwayNotFoundError):
        engine.start_public_case("no_such_pathway", {})


def test_bad_data_is_refused_field_by_field(engine, tmp_path):
    make_public(engine, tmp_path)
    with pytest.raises(FormValidationError) as error:
        engine.start_public_case("helper", {"child_name": "", "concern": "hi", "extra": "x"})
    assert {"child_name", "concern"} <= set(error.value.field_errors)
    assert any("extra" in k or "extra" in " ".join(v) for k, v in error.value.field_errors.items())


def test_the_start_form_is_the_start_events_schema(engine):
    schema = engine.start_form("mini")
    assert schema["required"] == ["child_name"] and set(schema["properties"]) == {"child_name", "concern"}
    with pytest.raises(PathwayNotFoundError):
        engine.start_form("no_such_pathway")

"""What pathways declare for the case page: the manifest's ``summary`` and a form's ``x-pathways-consent``;
how recorded values are shown (engine/form_records.py); and that the shipped pathways declare both soundly."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from engine import PathwayInvalidError, parse_manifest, read_folder
from engine.form_records import consent_declaration_problems, consent_parts, display_items
from engine.validation import check_bundle
from tests.conftest import FIXTURES

ROOT = Path(__file__).resolve().parents[2]
RECORDS = FIXTURES / "records"
BASE = b"key: demo\nname: Demo\nprocess: demo\n"


def test_summary_is_parsed_into_headings_and_fields():
    manifest = parse_manifest(BASE + b"summary:\n  - heading: Child\n    fields: [child_name, child_dob]\n"
                                     b"  - heading: ' Referrer '\n    fields: [referrer_name]\n")
    assert manifest.summary == (("Child", ("child_name", "child_dob")), ("Referrer", ("referrer_name",)))
    assert parse_manifest(BASE).summary == ()


@pytest.mark.parametrize("summary, message", [
    ("summary: Child", "summary must be a list"),
    ("summary: [child_name]", "summary must be a list of {heading: text, fields: [field names]} (section 1)"),
    ("summary:\n  - {heading: Child, fields: [a], colour: red}", "(section 1)"),
    ("summary:\n  - {fields: [child_name]}", "summary section 1 needs a heading"),
    ("summary:\n  - {heading: '  ', fields: [child_name]}", "summary section 1 needs a heading"),
    ("summary:\n  - {heading: Child}", "summary section 'Child' needs fields"),
    ("summary:\n  - {heading: Child, fields: []}", "summary section 'Child' needs fields"),
    ("summary:\n  - {heading: Child, fields: child_name}", "summary section 'Child' needs fields"),
    ("summary:\n  - {heading: Child, fields: [child name]}", "summary section 'Child' needs fields"),
])
def test_a_malformed_summary_is_a_problem_of_the_manifest(summary, message):
    with pytest.raises(PathwayInvalidError) as caught:
        parse_manifest(BASE + summary.encode() + b"\n", "processes/demo/pathway.yaml")
    [problem] = caught.value.problems
    assert problem.file == "processes/demo/pathway.yaml" and message in problem.message


def _fixture_files() -> dict[str, bytes]:
    return dict(read_folder(RECORDS / "parallel", RECORDS / "forms").files)


def test_summary_fields_must_be_fields_of_the_pathways_forms():
    files = _fixture_files()
    assert check_bundle(files, known_roles=None) == []
    files["pathway.yaml"] = files["pathway.yaml"].replace(b"referrer_name", b"referer_name")
    [problem] = check_bundle(files, known_roles=None)
    assert problem.file == "pathway.yaml" and "'Referrer'" in problem.message and "'referer_name'" in problem.message
    assert problem.line == files["pathway.yaml"].decode().splitlines().index(
        "    fields: [referer_name, referral_source, seen]") + 1


def _form(declaration) -> dict:
    return {"type": "object", "x-pathways-consent": declaration,
            "properties": {"ok": {"type": "boolean"}, "who": {"type": "string"}}}


@pytest.mark.parametrize("declaration, message", [
    ("ok", "must map what a consent record shows"),
    ({}, "must map what a consent record shows"),
    ({"who": "who"}, "needs \"agreed\""),
    ({"agreed": "ok", "colour": "who"}, "unknown part 'colour'"),
    ({"agreed": "nope"}, "'agreed' names 'nope', which is not a field of this form"),
    ({"agreed": "ok", "given_by": ["who", "x", "y"]}, "names 'x', 'y', which are not fields"),
    ({"agreed": "ok", "given_by": []}, "'given_by' must be a field name or a list of field names"),
    ({"agreed": 3}, "'agreed' must be a field name"),
])
def test_a_malformed_consent_declaration_is_a_problem_of_the_form(declaration, message):
    files = _fixture_files()
    files["forms/rec-consent.schema.json"] = json.dumps(_form(declaration)).encode()
    problems = [p for p in check_bundle(files, known_roles=None) if p.file == "forms/rec-consent.schema.json"]
    assert problems and any(message in p.message for p in problems), problems
    assert consent_parts(_form(declaration)) is None  # a broken declaration is never read as one


def test_a_sound_consent_declaration():
    schema = _form({"agreed": "ok", "given_by": "who"})
    assert consent_declaration_problems(schema) == []
    assert consent_parts(schema) == {"agreed": ("ok",), "given_by": ("who",)}
    assert consent_parts({"type": "object", "properties": {}}) is None


def test_display_values():
    one_of = {"oneOf": [{"const": "1A", "title": "Individual"}, {"const": 1, "title": "One"},
                        {"const": True, "title": "Agreed"}]}
    assert display_items(one_of, "1A") == ("Individual",)
    assert display_items(one_of, True) == ("Agreed",) and display_items(one_of, 1) == ("One",)
    assert display_items({"enum": ["step_parent"]}, "step_parent") == ("Step parent",)
    assert display_items({"enum": ["a"]}, "not listed") == ("not listed",)
    assert display_items({"type": "boolean"}, False) == ("No",)
    assert display_items({"format": "date"}, "2026-02-03") == ("3 February 2026",)
    assert display_items({"format": "date"}, "soon") == ("soon",)
    assert display_items({"items": {"enum": ["x_y", "z"]}}, ["x_y", "z"]) == ("X y", "Z")
    assert display_items({"items": {"properties": {"what": {"title": "What"}}}}, [{"what": "call", "by": None}]) == (
        "What: call",)
    assert display_items({"items": {"enum": ["x"]}}, []) == ("None",)  # nothing ticked is not "not recorded"
    assert display_items({}, None) == () and display_items({}, 12) == ("12",) and display_items(None, "t") == ("t",)


CONSENT_FORMS = {"front-door-consent", "young-carers-consent", "ccd-consent", "step-down-family-agreement",
                 "step-up-safeguarding-procedures", "young-carers-transition-review"}


def test_the_shipped_consent_forms_declare_their_consent():
    declared = set()
    for path in sorted((ROOT / "forms").glob("*.schema.json")):
        schema = json.loads(path.read_text())
        assert consent_declaration_problems(schema) == [], path.name
        if consent_parts(schema) is not None:
            declared.add(path.name.removesuffix(".schema.json"))
    assert declared == CONSENT_FORMS


def test_the_shipped_pathways_summaries_name_their_forms_fields():
    folders = sorted(p.parent for p in (ROOT / "processes").glob("*/pathway.yaml"))
    assert len(folders) >= 8
    for folder in folders:
        bundle = read_folder(folder, ROOT / "forms")
        assert bundle.manifest.summary, f"{folder.name} has no summary"
        assert bundle.manifest.summary[0][1][0] == "child_name"
        assert [p for p in check_bundle(bundle.files, known_roles=None) if p.file == "pathway.yaml"] == []

"""web.ui_forms without a database: UI schema hints, nested objects, GOV.UK date inputs, lists of objects,
one-per-line lists, confirmation checkboxes; and the form macros' markup for each."""
from __future__ import annotations

import json
import re

import pytest
from flask import render_template_string
from werkzeug.datastructures import MultiDict

from web.app import create_app
from web.ui_forms import (add_item, build_fields, engine_errors, error_summary, field_of, initial_values,
                          read_submission, safe_id)

SCHEMA = {
    "type": "object",
    "properties": {
        "decision": {"type": "string", "title": "Decision", "enum": ["a", "b"]},
        "short": {"type": "string", "title": "Short", "maxLength": 20},
        "notes": {"type": "string", "title": "Notes", "description": "From the schema."},
        "urgent": {"type": "boolean", "title": "Urgent"},
        "seen_on": {"type": "string", "format": "date", "title": "Date seen"},
        "hidden_one": {"type": "string"},
        "count": {"type": "integer"},
    },
    "required": ["decision"],
}
UI = {
    "ui:order": ["notes", "*", "decision"],
    "notes": {"ui:widget": "text", "ui:title": "Your notes", "ui:description": "Replaced.", "ui:help": "Be brief.",
              "ui:options": {"width": "one-half"}, "ui:autocomplete": "off"},
    "short": {"ui:widget": "textarea", "ui:options": {"rows": 3}},
    "urgent": {"ui:widget": "select"},
    "decision": {"ui:widget": "radio", "ui:options": {"inline": True}},
    "seen_on": {"ui:widget": "text"},
    "hidden_one": {"ui:widget": "hidden"},
    "count": {"ui:widget": "no-such-widget", "ui:options": {"width": "wide", "rows": "many"}, "ui:nonsense": 1},
    "not_a_field": {"ui:widget": "textarea"},
    "ui:unknown": [1, 2],
}


def by_name(fields):
    out = {}
    for f in fields:
        out[f.name] = f
        out.update(by_name(f.children))
    return out


@pytest.fixture(scope="module")
def app():
    return create_app({"TESTING": True, "SECRET_KEY": "test", "DATABASE_URL": "sqlite://"})


def render(app, fields) -> str:
    with app.test_request_context():
        return render_template_string('{% from "govuk.html" import form_field %}'
                                      '{% for f in fields %}{{ form_field(f) }}{% endfor %}', fields=fields)


# -- UI schema ---------------------------------------------------------------------------------------

def test_ui_order_with_a_star_puts_the_rest_in_schema_order():
    assert [f.name for f in build_fields(SCHEMA, {}, ui=UI)] == [
        "notes", "short", "urgent", "seen_on", "hidden_one", "count", "decision"]
    no_star = {"ui:order": ["count", "nowhere", "short"]}
    assert [f.name for f in build_fields(SCHEMA, {}, ui=no_star)][:2] == ["count", "short"]
    assert [f.name for f in build_fields(SCHEMA, {}, ui={"ui:order": "not a list"})][0] == "decision"


def test_ui_widgets_titles_hints_and_options():
    f = by_name(build_fields(SCHEMA, {}, ui=UI))
    assert f["notes"].kind == "text" and f["notes"].label == "Your notes" and f["notes"].hint == "Replaced. Be brief."
    assert f["notes"].width == "govuk-!-width-one-half" and f["notes"].autocomplete == "off"
    assert f["short"].kind == "textarea" and f["short"].rows == 3
    assert f["urgent"].kind == "select" and f["urgent"].options[0] == ("", "Choose an option")
    assert f["decision"].kind == "radios" and f["decision"].inline is True
    assert f["seen_on"].kind == "text"  # ui:widget text turns the date input back into a text input
    assert f["hidden_one"].kind == "hidden"
    # unknown widgets, options and keys are ignored: the default widget, no error
    assert f["count"].kind == "number" and f["count"].width == "govuk-input--width-10" and f["count"].rows == 5


def test_ui_hints_in_the_markup(app):
    text = render(app, build_fields(SCHEMA, {"hidden_one": "kept", "short": "s"}, ui=UI))
    assert '<label class="govuk-label govuk-label--s" for="notes">Your notes (optional)</label>' in text
    assert '<div id="notes-hint" class="govuk-hint">Replaced. Be brief.</div>' in text
    assert re.search(r'class="govuk-input govuk-!-width-one-half" id="notes" name="notes" type="text" '
                     r'autocomplete="off" aria-describedby="notes-hint"', text)
    assert re.search(r'<textarea class="govuk-textarea" id="short" name="short" rows="3">s</textarea>', text)
    assert '<select class="govuk-select" id="urgent" name="urgent">' in text
    assert 'govuk-radios govuk-radios--inline' in text
    assert '<input type="hidden" id="hidden_one" name="hidden_one" value="kept">' in text


def test_hidden_and_select_values_read_back_as_their_types():
    form = MultiDict([("decision", "a"), ("urgent", "yes"), ("hidden_one", "kept"), ("count", "4")])
    data, _, errors = read_submission(SCHEMA, form, UI)
    assert errors == {} and data == {"decision": "a", "urgent": True, "hidden_one": "kept", "count": 4}


# -- nested objects ----------------------------------------------------------------------------------

NESTED = {
    "type": "object",
    "properties": {
        "referrer": {"type": "object", "title": "Referrer", "description": "Who told us.",
                     "properties": {"name": {"type": "string", "title": "Name", "maxLength": 100},
                                    "phone": {"type": "string", "title": "Phone", "maxLength": 30},
                                    "address": {"type": "object", "title": "Address",
                                                "properties": {"line_1": {"type": "string", "maxLength": 50},
                                                               "moved_on": {"type": "string", "format": "date"}}}},
                     "required": ["name"]},
        "other": {"$ref": "#/$defs/person"},
    },
    "required": ["referrer"],
    "$defs": {"person": {"type": "object", "title": "Other person",
                         "properties": {"name": {"type": "string", "maxLength": 100}}}},
}


def test_nested_objects_render_as_fieldsets_with_dotted_names_and_safe_ids(app):
    fields = build_fields(NESTED, {"referrer.name": "Ann", "referrer.address.moved_on-month": "4"})
    f = by_name(fields)
    assert fields[0].kind == "fieldset" and [c.name for c in fields[0].children] == [
        "referrer.name", "referrer.phone", "referrer.address"]
    assert f["referrer.name"].id == "referrer-name" and f["referrer.address.line_1"].id == "referrer-address-line_1"
    assert not f["referrer.name"].optional and f["referrer.phone"].optional
    assert f["other"].kind == "fieldset" and f["other"].label == "Other person" and "other.name" in f  # $ref
    assert [p.id for p in f["referrer.address.moved_on"].parts] == [
        "referrer-address-moved_on", "referrer-address-moved_on-month", "referrer-address-moved_on-year"]
    text = render(app, fields)
    assert '<legend class="govuk-fieldset__legend govuk-fieldset__legend--m">Referrer</legend>' in text
    assert '<div id="referrer-hint" class="govuk-hint">Who told us.</div>' in text
    assert '<label class="govuk-label" for="referrer-name">Name</label>' in text  # plain label inside
    assert 'name="referrer.name" type="text" value="Ann"' in text
    assert '<legend class="govuk-fieldset__legend govuk-fieldset__legend--s">Address (optional)</legend>' in text
    assert 'name="referrer.address.moved_on-month" type="text" inputmode="numeric" value="4"' in text


def test_nested_objects_read_back_into_nested_dicts():
    form = MultiDict([("referrer.name", "Ann"), ("referrer.phone", ""), ("referrer.address.line_1", "1 Road"),
                      ("referrer.address.moved_on", "2"), ("referrer.address.moved_on-month", "3"),
                      ("referrer.address.moved_on-year", "2024"), ("other.name", "")])
    data, typed, errors = read_submission(NESTED, form)
    assert errors == {}
    assert data == {"referrer": {"name": "Ann", "address": {"line_1": "1 Road", "moved_on": "2024-03-02"}}}
    assert typed["referrer.phone"] == "" and typed["referrer.address.moved_on-year"] == "2024"
    # a required object is sent even when empty (the engine names its missing fields); an optional one is not
    data, _, _ = read_submission(NESTED, MultiDict())
    assert data == {"referrer": {}}
    values = initial_values(NESTED, {"referrer": {"name": "Ann", "address": {"moved_on": "2024-03-02"}}})
    assert values == {"referrer.name": "Ann", "referrer.address.moved_on": "2",
                      "referrer.address.moved_on-month": "3", "referrer.address.moved_on-year": "2024"}


def test_engine_errors_on_nested_fields_land_beside_them_and_in_the_summary():
    typed = {"referrer.name": ""}
    fields = {f.name: f for f in build_fields(NESTED, typed)}
    errors = engine_errors(NESTED, {"referrer.name": ["this field is required"],
                                    "referrer.phone": ["'x' is too short"], "stranger": ["no such field"]}, fields)
    assert errors == {"referrer.name": "Enter name", "referrer.phone": "Phone: 'x' is too short",
                      "": "no such field"}
    shown = build_fields(NESTED, typed, errors)
    assert by_name(shown)["referrer.name"].error == "Enter name"
    assert error_summary(shown, errors[""]) == [("referrer-name", "no such field"), ("referrer-name", "Enter name"),
                                                ("referrer-phone", "Phone: 'x' is too short")]


def test_field_of_names_the_top_level_field_of_an_input():
    assert field_of(NESTED, "referrer.address.moved_on-month") == "referrer"
    assert field_of(SCHEMA, "seen_on-year") == "seen_on" and field_of(SCHEMA, "short-year") is None
    assert field_of(SCHEMA, "nothing") is None


def test_safe_ids():
    assert safe_id("actions[0].by_when") == "actions-0-by_when"
    assert safe_id("9 lives") == "field-9-lives" and safe_id("a b\"c") == "a-b-c"


# -- dates -------------------------------------------------------------------------------------------

DATES = {"type": "object", "properties": {"dob": {"type": "string", "format": "date", "title": "Date of birth"}}}


def date_of(day="", month="", year=""):
    return read_submission(DATES, MultiDict([("dob", day), ("dob-month", month), ("dob-year", year)]))


@pytest.mark.parametrize("typed, message, bad", [
    (("", "3", "2007"), "Date of birth must include a day", ["day"]),
    (("27", "", "2007"), "Date of birth must include a month", ["month"]),
    (("27", "3", ""), "Date of birth must include a year", ["year"]),
    (("", "", "2007"), "Date of birth must include a day and month", ["day", "month"]),
    (("27", "", ""), "Date of birth must include a month and year", ["month", "year"]),
    (("31", "2", "2007"), "Date of birth must be a real date", ["day", "month", "year"]),
    (("27", "13", "2007"), "Date of birth must be a real date", ["day", "month", "year"]),
    (("x", "3", "2007"), "Date of birth must be a real date", ["day"]),
    (("27", "3", "07"), "Date of birth: year must include 4 numbers", ["year"]),
])
def test_date_errors_are_the_gov_uk_messages_and_keep_what_was_typed(app, typed, message, bad):
    data, values, errors = date_of(*typed)
    assert data == {} and errors == {"dob": message}
    assert (values["dob"], values["dob-month"], values["dob-year"]) == typed
    [f] = build_fields(DATES, values, errors)
    assert [p.label.lower() for p in f.parts if p.error] == bad
    assert f.link == ("dob" if bad[0] == "day" else f"dob-{bad[0]}")
    text = render(app, [f])
    assert f'<p id="dob-error" class="govuk-error-message"><span class="govuk-visually-hidden">Error:</span> {message}</p>' in text
    assert text.count("govuk-input--error") == len(bad)


def test_dates_convert_to_iso_with_month_names_and_spaces():
    assert date_of("7", "3", "2026")[0] == {"dob": "2026-03-07"}
    assert date_of(" 07 ", "Mar", "2026")[0] == {"dob": "2026-03-07"}
    assert date_of("29", "february", "2024")[0] == {"dob": "2024-02-29"}
    assert date_of()[0] == {} and date_of()[2] == {}  # empty: left out; the form says if it was required


def test_date_markup_and_initial_values(app):
    values = initial_values(DATES, {"dob": "2007-03-27"})
    assert values == {"dob": "27", "dob-month": "3", "dob-year": "2007"}
    text = render(app, build_fields(DATES, values))
    assert '<fieldset class="govuk-fieldset" role="group" aria-describedby="dob-hint">' in text
    assert '<div id="dob-hint" class="govuk-hint">For example, 27 3 2007</div>' in text
    for part, name, value, width in (("Day", "dob", "27", 2), ("Month", "dob-month", "3", 2),
                                     ("Year", "dob-year", "2007", 4)):
        assert f'<label class="govuk-label govuk-date-input__label" for="{name}">{part}</label>' in text
        assert (f'<input class="govuk-input govuk-date-input__input govuk-input--width-{width}" id="{name}" '
                f'name="{name}" type="text" inputmode="numeric" value="{value}">') in text


def test_a_required_date_left_empty_says_enter():
    fields = {f.name: f for f in build_fields(DATES, {})}
    assert engine_errors(DATES, {"dob": ["this field is required"]}, fields) == {"dob": "Enter date of birth"}
    [f] = build_fields(DATES, {}, {"dob": "Enter date of birth"})
    assert all(p.error for p in f.parts) and f.link == "dob"


# -- lists, confirmations, defaults ------------------------------------------------------------------

LISTS = {
    "type": "object",
    "properties": {
        "actions": {"type": "array", "title": "Actions", "maxItems": 3,
                    "items": {"type": "object", "required": ["what"],
                              "properties": {"what": {"type": "string", "title": "What", "maxLength": 100},
                                             "by": {"type": "string", "format": "date", "title": "By when"}}}},
        "partners": {"type": "array", "title": "Partners", "items": {"type": "string", "minLength": 2}},
        "scores": {"type": "array", "items": {"type": "integer"}},
        "followed": {"const": True, "title": "Procedures followed"},
        "letter": {"type": "string", "default": "Dear family", "maxLength": 10000},
    },
}


def test_lists_of_objects_repeat_with_add_another(app):
    fields = build_fields(LISTS, {}, ui={"actions": {"ui:options": {"itemTitle": "Action"}}})
    actions = fields[0]
    assert actions.kind == "repeat" and [i.label for i in actions.children] == ["Action 1"]
    assert [c.name for c in actions.children[0].children] == ["actions[0].what", "actions[0].by"]
    assert actions.add_label == "Add another action" and actions.add_value == "add:actions"
    text = render(app, fields)
    assert '<button type="submit" class="govuk-button govuk-button--secondary" data-module="govuk-button" ' \
           'name="action" value="add:actions">Add another action</button>' in text
    assert 'id="actions-0-what" name="actions[0].what"' in text and 'id="actions-0-by-month"' in text


def test_list_items_read_back_blank_ones_dropped_and_renumbered():
    form = MultiDict([("actions[0].what", ""), ("actions[0].by", ""), ("actions[2].what", "Call GP"),
                      ("actions[2].by", "1"), ("actions[2].by-month", "12"), ("actions[2].by-year", "2026"),
                      ("actions[5].what", "Visit"), ("actions[5].by-month", "13")])
    data, typed, errors = read_submission(LISTS, form)
    assert data["actions"] == [{"what": "Call GP", "by": "2026-12-01"}, {"what": "Visit"}]
    assert errors == {"actions[1].by": "By when must include a day and year"}
    assert typed["actions[0].what"] == "Call GP" and typed["actions[1].what"] == "Visit"
    f = by_name(build_fields(LISTS, typed, errors))
    assert [i.name for i in f["actions"].children] == ["actions[0]", "actions[1]"]
    assert f["actions[1].by"].error and f["actions[1].by"].link == "actions-1-by"
    # the engine's paths for list items land on the item's field
    fields = {x.name: x for x in build_fields(LISTS, typed)}
    assert engine_errors(LISTS, {"actions[1].what": ["'V' is too short"]}, fields) == {
        "actions[1].what": "What: 'V' is too short"}


def test_add_another_adds_a_blank_item_up_to_max_items():
    typed = {"actions[0].what": "Call GP"}
    assert add_item(LISTS, typed, "actions") and [i.name for i in build_fields(LISTS, typed)[0].children] == [
        "actions[0]", "actions[1]"]
    assert add_item(LISTS, typed, "actions") and not add_item(LISTS, typed, "actions")  # maxItems 3
    assert not add_item(LISTS, {}, "partners") and not add_item(LISTS, {}, "nothing")
    assert build_fields(LISTS, typed)[0].add_value == ""  # full: no button


def test_lists_of_strings_are_one_per_line():
    values = initial_values(LISTS, {"partners": ["School", "GP"]})
    assert values["partners"] == "School\nGP"
    [partners] = [f for f in build_fields(LISTS, values) if f.name == "partners"]
    assert partners.kind == "lines" and "new line" in partners.hint
    data, _, errors = read_submission(LISTS, MultiDict([("partners", "School\r\n\r\n GP "), ("scores", "1\nx")]))
    assert data["partners"] == ["School", "GP"] and errors == {"scores": "Scores, line 2: Enter a whole number, like 3"}
    fields = {f.name: f for f in build_fields(LISTS, {})}
    assert engine_errors(LISTS, {"partners[1]": ["'G' is too short"]}, fields) == {
        "partners": "Partners, item 2: 'G' is too short"}


def test_a_lone_const_is_one_confirmation_checkbox(app):
    fields = {f.name: f for f in build_fields(LISTS, {})}
    assert fields["followed"].kind == "confirm" and fields["followed"].options == [("yes", "Procedures followed")]
    text = render(app, [fields["followed"]])
    assert ('<input class="govuk-checkboxes__input" id="followed" name="followed" type="checkbox" value="yes">'
            in text) and "Procedures followed</label>" in text
    assert read_submission(LISTS, MultiDict([("followed", "yes")]))[0] == {"followed": True}
    assert read_submission(LISTS, MultiDict())[0] == {}
    assert engine_errors(LISTS, {"followed": ["this field is required"]}, fields) == {
        "followed": "Select the box to confirm: Procedures followed"}


def test_defaults_fill_empty_forms():
    assert initial_values(LISTS, {})["letter"] == "Dear family"
    assert initial_values(LISTS, {"letter": "Hello"})["letter"] == "Hello"


# -- conditional reveals -----------------------------------------------------------------------------

REVEALS = {
    "type": "object",
    "properties": {
        "agreement": {"type": "string", "title": "Agreement", "enum": ["given", "refused"]},
        "given_by": {"type": "string", "title": "Given by", "maxLength": 100},
        "given_on": {"type": "string", "format": "date", "title": "Date given"},
        "refusal": {"type": "string", "title": "Why refused", "maxLength": 100},
        "urgent": {"type": "boolean", "title": "Urgent"},
        "both": {"type": "string", "maxLength": 10},
        "later": {"type": "string", "title": "Later", "maxLength": 10},
    },
    "required": ["agreement"],
    "allOf": [
        {"if": {"properties": {"agreement": {"const": "given"}}, "required": ["agreement"]},
         "then": {"required": ["given_on", "given_by", "both"]}},
        {"if": {"properties": {"agreement": {"const": "refused"}}}, "then": {"required": ["refusal", "both"]}},
        {"if": {"properties": {"urgent": {"const": True}}}, "then": {"required": ["later"]}},
    ],
}


def test_fields_an_option_requires_are_revealed_under_it(app):
    fields = build_fields(REVEALS, {"agreement": "refused", "refusal": "no"})
    assert [f.name for f in fields] == ["agreement", "urgent", "both"]  # "both" is required by two options
    agreement, urgent = fields[0], fields[1]
    assert [(c.name, c.reveal_for) for c in agreement.children] == [
        ("given_by", "given"), ("given_on", "given"), ("refusal", "refused")]
    assert [(c.name, c.reveal_for) for c in urgent.children] == [("later", "yes")]
    assert not agreement.children[0].optional  # required when revealed
    text = render(app, fields)
    assert 'value="given" data-aria-controls="conditional-agreement">' in text
    assert ('<div class="govuk-radios__conditional govuk-radios__conditional--hidden" id="conditional-agreement">'
            in text)
    assert 'value="refused" checked data-aria-controls="conditional-agreement-2">' in text
    assert '<div class="govuk-radios__conditional" id="conditional-agreement-2">' in text  # chosen: not hidden
    assert text.index('name="given_on-month"') < text.index('value="refused"') < text.index('name="refusal"')
    assert '<label class="govuk-label" for="refusal">Why refused</label>' in text
    # revealed fields are read, restored and found like any other
    form = MultiDict([("agreement", "given"), ("given_by", "Mum"), ("given_on", "1"), ("given_on-month", "2"),
                      ("given_on-year", "2026"), ("later", "soon")])
    data, typed, errors = read_submission(REVEALS, form)
    assert errors == {} and data == {"agreement": "given", "given_by": "Mum", "given_on": "2026-02-01",
                                     "later": "soon"}
    assert initial_values(REVEALS, data)["given_on-year"] == "2026" and field_of(REVEALS, "given_on-month") == "given_on"
    fields = {f.name: f for f in build_fields(REVEALS, typed)}
    assert engine_errors(REVEALS, {"refusal": ["this field is required"]}, fields) == {"refusal": "Enter why refused"}


def test_reveals_can_be_turned_off_and_only_apply_to_radios():
    ui = {"agreement": {"ui:options": {"reveal": False}}, "urgent": {"ui:widget": "select"}}
    assert [f.name for f in build_fields(REVEALS, {}, ui=ui)] == list(REVEALS["properties"])


def test_every_shipped_form_renders_and_reads_back(app):
    from pathlib import Path

    forms = sorted((Path(__file__).parents[2] / "forms").glob("*.schema.json"))
    assert len(forms) > 50
    for path in forms:
        schema = json.loads(path.read_text())
        fields = build_fields(schema, {})
        text = render(app, fields)
        assert 'name="' in text, path.name
        ids = re.findall(r' id="([^"]+)"', text)
        assert len(ids) == len(set(ids)), f"{path.name}: duplicate ids"
        assert 'Enter the value as JSON' not in text, path.name  # every shipped field has a proper widget
        data, typed, errors = read_submission(schema, MultiDict())
        assert errors == {}, path.name


def test_ids_stay_unique_when_names_would_collide():
    schema = {"type": "object", "properties": {
        "a": {"type": "object", "properties": {"b": {"type": "string", "maxLength": 5}}},
        "a-b": {"type": "string", "maxLength": 5},
        "pick": {"enum": ["x", "y"]}, "pick-2": {"type": "string", "maxLength": 5}}}
    fields = by_name(build_fields(schema, {}))
    assert fields["a.b"].id == "a-b" and fields["a-b"].id == "a-b-2"
    assert fields["pick"].id == "pick" and fields["pick-2"].id == "pick-2-2"  # "pick-2" is pick's second radio


def test_the_engines_messages_in_gov_uk_words():
    schema = {"type": "object", "properties": {
        "why": {"type": "string", "title": "Reason", "minLength": 10, "maxLength": 20},
        "count": {"type": "integer", "title": "Visits", "minimum": 1, "maximum": 5},
        "kinds": {"type": "array", "title": "Kinds", "minItems": 2, "maxItems": 3, "items": {"enum": ["a", "b"]}},
        "scope": {"type": "array", "title": "What it covers", "minItems": 1, "items": {"enum": ["a", "b"]}},
        "when": {"type": "string", "format": "date", "title": "Date"},
        "ok": {"const": True, "title": "Checked"},
        "other": {"type": "string", "title": "Other", "pattern": "^x"}}}
    fields = {f.name: f for f in build_fields(schema, {})}
    errors = engine_errors(schema, {
        "why": ["'short' is too short"], "count": ["9 is greater than the maximum of 5"],
        "kinds": ["['a'] is too short"], "scope": ["[] should be non-empty"], "when": ["'2026-02-30' is not a 'date'"],
        "ok": ["True was expected"], "other": ["'y' does not match '^x'"]}, fields)
    assert errors == {"why": "Reason must be 10 characters or more", "count": "Visits must be 5 or less",
                      "kinds": "Kinds: select at least 2", "scope": "Select what it covers",
                      "when": "Date must be a real date", "ok": "Select the box to confirm: Checked",
                      "other": "Other: 'y' does not match '^x'"}
    assert engine_errors(schema, {"why": ["'x' * 30 is too long"]}, fields) == {
        "why": "Reason must be 20 characters or less"}

"""Letters in the manifest (parsing, validation) and the letter template sandbox (no database)."""
from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import pytest
import yaml

from engine import LetterTemplateError, PathwayInvalidError, check_paths, parse_manifest, read_folder
from engine.letter_templates import MAX_LETTER_CHARS, check_template, render
from engine.validation import check_bundle

ROOT = Path(__file__).resolve().parents[2]
FRONT_DOOR = ROOT / "processes" / "front_door"
FORMS = ROOT / "forms"
BASE = {"key": "demo", "name": "Demo", "process": "demo"}
LETTER = {"key": "outcome", "title": "Outcome letter", "choose_by": "response",
          "templates": {"yes": "letters/yes.txt"}, "default": "letters/other.txt"}


def manifest(**letter) -> bytes:
    return yaml.safe_dump({**BASE, "letters": [{**LETTER, **letter}]}).encode()


def problem_text(content: bytes) -> str:
    with pytest.raises(PathwayInvalidError) as caught:
        parse_manifest(content)
    return str(caught.value)


# -- the manifest --------------------------------------------------------------------------------------

def test_the_shipped_front_door_declares_a_template_per_duty_outcome():
    [letter] = read_folder(FRONT_DOOR, FORMS).manifest.letters
    assert letter.key == "referrer_outcome" and letter.choose_by == "response"
    assert {value for value, _ in letter.templates} == {
        "single_assessment", "section_47_enquiry", "lado_referral", "early_help_assessment",
        "targeted_intervention", "information_sharing", "advice_and_guidance"}
    assert letter.default == "letters/outcome.txt" and "Team Manager" in letter.roles
    assert any("(0116) 305 0005" in line for line in letter.footer)


def test_the_template_is_chosen_by_the_declared_field_with_a_fallback():
    [letter] = parse_manifest(manifest(templates={"yes": "letters/yes.txt", "true": "letters/true.txt",
                                                  "12": "letters/twelve.txt"})).letters
    assert letter.template_for({"response": "yes"}) == ("letters/yes.txt", "yes")
    assert letter.template_for({"response": True}) == ("letters/true.txt", "true")
    assert letter.template_for({"response": 12}) == ("letters/twelve.txt", "12")
    assert letter.template_for({"response": "no"}) == ("letters/other.txt", "no")
    assert letter.template_for({}) == ("letters/other.txt", None)


@pytest.mark.parametrize("letters, message", [
    ("not a list", "letters must be a list"),
    ([{**LETTER, "key": "Bad Key"}], "key must be lower-case"),
    ([LETTER, LETTER], "letter keys must be unique: outcome"),
    ([{**LETTER, "choose_by": None}], "templates are chosen by a case field: add choose_by"),
    ([{**LETTER, "templates": {True: "letters/yes.txt"}}], "must be text; put it in quotes"),
    ([{**LETTER, "default": "../secrets.txt"}], "must be a path inside the pathway folder"),
    ([{**LETTER, "default": "letters/outcome.html"}], "ending in .txt"),
    ([{"key": "outcome", "title": "Outcome"}], "give templates (with choose_by) or a default template"),
    ([{**LETTER, "sender": ["x"] * 13}], "sender must be a list of at most 12 lines"),
    ([{**LETTER, "colour": "blue"}], "unknown field(s) colour"),
    ([{**LETTER, "available_when": 3}], "available_when must be an expression"),
])
def test_malformed_letters_are_refused_with_a_clear_message(letters, message):
    assert message in problem_text(yaml.safe_dump({**BASE, "letters": letters}).encode())


def _front_door_files(**changes: bytes | None) -> dict[str, bytes]:
    files = dict(read_folder(FRONT_DOOR, FORMS).files)
    for path, content in changes.items():
        path = path.replace("__", "/")
        if content is None:
            files.pop(path)
        else:
            files[path] = content
    return files


def test_the_shipped_letters_pass_validation():
    assert check_bundle(read_folder(FRONT_DOOR, FORMS).files, known_roles=None) == []


def test_validation_names_a_missing_template_a_broken_one_a_bad_condition_and_an_unknown_role():
    text = (FRONT_DOOR / "pathway.yaml").read_text(encoding="utf-8")
    text = text.replace("available_when: \"referrer_advised_how != 'not_possible' and letter_to and letter_address\"",
                        "available_when: \"__import__('os')\"").replace("roles: [Duty Social Worker, Team Manager]",
                                                                          "roles: [Duty Social Worker, Chief Cook]")
    files = _front_door_files(**{"pathway.yaml": text.encode(), "letters__lado_referral.txt": None,
                                 "letters__outcome.txt": b"Dear {{ letter_to }},\n\n{% if x %}never closed\n",
                                 "letters__section_47_enquiry.txt": b"Hi\n{{ ''.__class__.__mro__ }}\n"})
    roles = {"Duty Social Worker", "Team Manager", "Early Help Coordinator", "Social Worker"}
    problems = check_bundle(files, known_roles=roles)
    found = {(p.file, p.line, p.element_id): p.message for p in problems if p.file.startswith("letters/")}
    messages = "\n".join(p.message for p in problems if p.file == "pathway.yaml")
    assert "template 'letters/lado_referral.txt' is not in the pathway folder" in messages
    assert found[("letters/outcome.txt", 3, "referrer_outcome")].startswith("syntax error")
    assert "names starting with _ are not allowed" in found[("letters/section_47_enquiry.txt", 2, "referrer_outcome")]
    assert 'available_when "__import__(' in messages and "roles 'Chief Cook' are not in roles.yaml" in messages


def test_pathways_check_reads_the_manifest_and_the_templates(tmp_path):
    folder = tmp_path / "processes" / "front_door"
    shutil.copytree(FRONT_DOOR, folder)
    shutil.copytree(FORMS, tmp_path / "forms")
    shutil.copy(ROOT / "processes" / "roles.yaml", tmp_path / "processes" / "roles.yaml")
    assert check_paths([str(folder)]) == []
    (folder / "letters" / "advice_and_guidance.txt").write_text("{{ x.upper() }}\n", encoding="utf-8")
    [problem] = check_paths([str(folder)])
    assert problem.file.endswith("letters/advice_and_guidance.txt") and problem.line == 1
    assert problem.element_id == "referrer_outcome" and "calls such as x.upper()" in problem.message


# -- the template sandbox --------------------------------------------------------------------------

@pytest.mark.parametrize("source, message", [
    ("{{ ''.__class__.__mro__ }}", "names starting with _ are not allowed"),
    ("{{ x['__globals__'] }}", "names starting with _ are not allowed"),
    ("{{ ''|attr('__class__') }}", "the filter 'attr' is not allowed"),
    ("{{ range(10) }}", "calls such as"),
    ("{{ child_name.format(1) }}", "calls such as"),
    ("{% set x = 1 %}", "{% set %} is not allowed"),
    ("{% include 'pathway.yaml' %}", "{% include %} is not allowed"),
    ("{% macro m() %}{% endmacro %}", "macros are not allowed"),
    ("{{ 'x' * 1000000000 }}", "* is not allowed"),
    ("{{ x | center(1000000000) }}", "the filter 'center' is not allowed"),
    ("{{ xs | join(separator) }}", "takes constants only"),
    ("{% for x in xs recursive %}{{ loop(x) }}{% endfor %}", "recursive loops are not allowed"),
    ("{{ " + " ~ ".join(["x"] * 80) + " }}", "an expression is too long"),
])
def test_hostile_templates_are_refused_before_they_run(source, message):
    problems = check_template(source)
    assert any(message in text for _, text in problems), problems
    with pytest.raises(LetterTemplateError, match="is not usable"):
        render(source, {"x": "", "xs": [], "separator": ","}, time_limit=1, template="t.txt")


def test_the_sandbox_refuses_an_unsafe_attribute_reached_at_run_time():
    with pytest.raises(LetterTemplateError, match="not allowed.*__class__"):
        render("{{ x[key] }}", {"x": "", "key": "__class__"}, time_limit=1, template="t.txt")


def test_a_template_that_runs_too_long_or_writes_too_much_is_stopped():
    many = list(range(100_000))
    with pytest.raises(LetterTemplateError, match="time limit"):
        render("{% for a in xs %}{% for b in xs %}{% endfor %}{% endfor %}", {"xs": many}, time_limit=0.2,
               template="t.txt")
    with pytest.raises(LetterTemplateError, match=f"more than {MAX_LETTER_CHARS:,} characters"):
        render("{% for a in xs %}{{ text }}{% endfor %}", {"xs": many, "text": "x" * 100}, time_limit=5,
               template="t.txt")


def test_a_name_the_case_lacks_is_an_error_unless_the_template_gives_a_default():
    with pytest.raises(LetterTemplateError, match="'letter_next_steps' is undefined"):
        render("{{ letter_next_steps }}", {}, time_limit=1, template="letters/x.txt")
    text = render("{{ letter_next_steps | default('We will write again.') }}"
                  "{% if note is defined %} {{ note }}{% endif %}", {}, time_limit=1, template="t.txt")
    assert text == "We will write again."


def test_lines_of_tags_vanish_paragraphs_stay_and_dates_read_as_in_letters():
    source = ("{# a comment #}\nDear {{ name }},\n\n\n  {% if late %}\nSorry for the delay.\n{% endif %}\n"
              "Seen on {{ seen | long_date }} and {{ today | long_date }}.{% if never %} x{% endif %}\n\nBye")
    text = render(source, {"name": "Zoë", "late": True, "seen": "2026-11-23T09:00:00+00:00", "never": False,
                           "today": dt.date(2026, 12, 2)}, time_limit=1, template="t.txt")
    assert text == "Dear Zoë,\n\nSorry for the delay.\nSeen on 23 November 2026 and 2 December 2026.\n\nBye"

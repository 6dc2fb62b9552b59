"""The pathway validator: a valid bundle passes, and each kind of broken diagram gives a located problem.

Each bad case starts from the valid fixture bundle in ``tests/fixtures/check/valid`` and changes one
thing, then asserts the problem's file, exact line, element id and a fragment of the message.
"""
from __future__ import annotations

import os
from pathlib import Path

import pytest

from engine.errors import PathwayInvalidError, Problem
from engine.validation import build_specs, check_bundle, check_paths, form_names, load_roles, process_ids

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "check"
VALID = FIXTURES / "valid"
ROLES = {"Duty Social Worker", "Team Manager"}
MAIN = "screening.bpmn"
SUB = "assessment.bpmn"
DMN = "priority.dmn"


def valid_files() -> dict[str, bytes]:
    return {p.relative_to(VALID).as_posix(): p.read_bytes() for p in sorted(VALID.rglob("*")) if p.is_file()}


def changed(path: str, old: str, new: str, files: dict[str, bytes] | None = None) -> dict[str, bytes]:
    """The valid bundle with the first ``old`` in ``path`` replaced by ``new``."""
    files = dict(files or valid_files())
    text = files[path].decode()
    assert old in text, f"fixture {path} has no {old!r}"
    files[path] = text.replace(old, new, 1).encode()
    return files


def line_of(files: dict[str, bytes], path: str, marker: str) -> int:
    text = files[path].decode()
    assert marker in text, f"{path} has no {marker!r}"
    return text[: text.index(marker)].count("\n") + 1


def the_problem(problems: list[Problem], file: str, line: int | None, element_id: str, fragment: str) -> Problem:
    """The one problem at ``file:line`` for ``element_id`` whose message holds ``fragment``."""
    matches = [p for p in problems if p.file == file and p.line == line and p.element_id == element_id
               and fragment in p.message]
    assert matches, f"no problem {file}:{line}: {element_id}: ...{fragment}... in:\n" + "\n".join(map(str, problems))
    return matches[0]


def check(files: dict[str, bytes], roles: set[str] | None = ROLES) -> list[Problem]:
    return check_bundle(files, known_roles=roles)


# -- the valid bundle ---------------------------------------------------------------------------

def test_valid_bundle_has_no_problems():
    assert check(valid_files()) == []


def test_build_specs_returns_spec_and_called_process():
    spec, subprocess_specs = build_specs(valid_files(), "screening")
    assert spec.name == "screening"
    assert {"screen", "escalate", "decide_priority", "gw_decision", "call_assessment"} <= set(spec.task_specs)
    assert spec.task_specs["screen"].lane == "Duty Social Worker"
    assert list(subprocess_specs) == ["assessment"]


def test_build_specs_unknown_process_raises():
    with pytest.raises(PathwayInvalidError) as info:
        build_specs(valid_files(), "nope")
    assert "no executable process 'nope'" in info.value.problems[0].message


def test_build_specs_raises_with_all_problems():
    files = changed(MAIN, '"PT2H"', "PT2H")
    with pytest.raises(PathwayInvalidError) as info:
        build_specs(files, "screening")
    assert [p.element_id for p in info.value.problems] == ["screen_overdue"]


def test_process_ids_and_form_names():
    files = valid_files()
    assert process_ids(files) == ["assessment", "screening"]
    assert form_names(files) == {"screening-decision.schema.json", "screening-decision.uischema.json",
                                 "escalation.schema.json", "assessment.schema.json"}
    assert form_names(files, "assessment") == {"assessment.schema.json"}
    assert "assessment.schema.json" in form_names(files, "screening")  # through the call activity


def test_process_ids_and_form_names_skip_broken_files():
    files = {**valid_files(), "broken.bpmn": b"<not xml"}
    assert process_ids(files) == ["assessment", "screening"]
    assert "assessment.schema.json" in form_names(files)


def test_problem_prints_as_file_line_id_message():
    assert str(Problem("a.bpmn", 12, "gw", "no condition")) == "a.bpmn:12: gw: no condition"


# -- gateways and conditions -------------------------------------------------------------------

def test_gateway_flow_without_condition():
    files = changed(MAIN, 'default="flow_no_action"', "")
    problems = check(files)
    the_problem(problems, MAIN, line_of(files, MAIN, '<bpmn:sequenceFlow id="flow_no_action"'), "flow_no_action",
                "without a condition")


def test_gateway_condition_that_is_empty():
    files = changed(MAIN, 'decision == "assessment" and priority in ("high", "medium")', "  ")
    problems = check(files)
    the_problem(problems, MAIN, line_of(files, MAIN, "<bpmn:conditionExpression"), "flow_assess",
                "condition is empty")


def test_gateway_default_must_be_an_outgoing_flow():
    files = changed(MAIN, 'default="flow_no_action"', 'default="flow_start"')
    problems = check(files)
    the_problem(problems, MAIN, line_of(files, MAIN, '<bpmn:exclusiveGateway'), "gw_decision",
                "default flow 'flow_start' is not one of this gateway's outgoing flows")


def test_condition_with_syntax_error():
    files = changed(MAIN, 'decision == "assessment"', 'decision === "assessment"')
    problems = check(files)
    the_problem(problems, MAIN, line_of(files, MAIN, "<bpmn:conditionExpression"), "flow_assess", "condition")


def test_condition_calling_import_is_refused():
    files = changed(MAIN, 'decision == "assessment" and priority in ("high", "medium")',
                    "__import__('os').system('id')")
    problems = check(files)
    found = the_problem(problems, MAIN, line_of(files, MAIN, "<bpmn:conditionExpression"), "flow_assess",
                        "condition \"__import__('os').system('id')\": ")
    assert len(found.message) > len("condition \"__import__('os').system('id')\": ")


# -- timers ------------------------------------------------------------------------------------

def test_unquoted_timer_duration():
    files = changed(MAIN, '"PT2H"', "PT2H")
    problems = check(files)
    the_problem(problems, MAIN, line_of(files, MAIN, "<bpmn:timeDuration"), "screen_overdue",
                'put it in quotes: "PT2H"')


@pytest.mark.parametrize("tag, value", [("timeDuration", "P3D"), ("timeCycle", "R3/PT1H"),
                                        ("timeDate", "2026-01-01T09:00:00Z")])
def test_other_bare_iso_timer_values(tag, value):
    files = changed(MAIN, '<bpmn:timeDuration xsi:type="bpmn:tFormalExpression">"PT2H"</bpmn:timeDuration>',
                    f"<bpmn:{tag}>{value}</bpmn:{tag}>")
    problems = check(files)
    the_problem(problems, MAIN, line_of(files, MAIN, f"<bpmn:{tag}>"), "screen_overdue", "put it in quotes")


def test_invalid_quoted_duration():
    files = changed(MAIN, '"PT2H"', '"PT2X"')
    problems = check(files)
    the_problem(problems, MAIN, line_of(files, MAIN, "<bpmn:timeDuration"), "screen_overdue",
                "'PT2X' is not a valid ISO 8601 duration")


def test_timer_date_without_offset():
    files = changed(MAIN, '<bpmn:timeDuration xsi:type="bpmn:tFormalExpression">"PT2H"</bpmn:timeDuration>',
                    '<bpmn:timeDate>"2026-01-01T09:00:00"</bpmn:timeDate>')
    problems = check(files)
    the_problem(problems, MAIN, line_of(files, MAIN, "<bpmn:timeDate>"), "screen_overdue", "no UTC offset")


def test_timer_expression_over_case_data_is_accepted():
    files = changed(MAIN, '"PT2H"', 'f"PT{hours}H"')
    assert check(files) == []


# -- scripts and other expressions -------------------------------------------------------------

def test_script_with_import():
    files = changed(SUB, 'outcome = "assessed"', 'import os\noutcome = "assessed"')
    problems = check(files)
    the_problem(problems, SUB, line_of(files, SUB, "<bpmn:script>"), "record_outcome", "script 'import os")


def test_post_script_and_due_at_are_checked():
    files = changed(MAIN, "screened = True", "screened = = True")
    files = changed(MAIN, "received_at + timedelta(hours=24)", "received_at +", files)
    problems = check(files)
    the_problem(problems, MAIN, line_of(files, MAIN, "<spiffworkflow:postScript>"), "screen", "post-script")
    the_problem(problems, MAIN, line_of(files, MAIN, 'name="dueAt"'), "screen", "dueAt 'received_at +'")


def test_message_payload_is_checked():
    files = changed(MAIN, '{"decision": decision, "priority": priority}', '{"decision": decision,')
    problems = check(files)
    the_problem(problems, MAIN, line_of(files, MAIN, "<spiffworkflow:messagePayload>"), "end_assessed",
                "message payload")


def test_actor_field_must_be_a_plain_name():
    files = changed(MAIN, 'value="screened_by" />', 'value="_screened by" />')
    problems = check(files)
    the_problem(problems, MAIN, line_of(files, MAIN, 'name="actorField"'), "screen", "actorField '_screened by'")


# -- lanes, roles and forms --------------------------------------------------------------------

def test_user_task_with_no_lane():
    files = changed(MAIN, "<bpmn:flowNodeRef>screen</bpmn:flowNodeRef>", "")
    problems = check(files)
    the_problem(problems, MAIN, line_of(files, MAIN, '<bpmn:userTask id="screen"'), "screen", "not in a lane")


def test_lane_not_a_known_role():
    files = valid_files()
    problems = check(files, roles={"Duty Social Worker"})
    the_problem(problems, MAIN, line_of(files, MAIN, '<bpmn:lane id="Lane_manager"'), "Lane_manager",
                "lane 'Team Manager' is not a known role")
    assert len(problems) == 1


def test_roles_are_not_checked_without_known_roles():
    assert check(valid_files(), roles=None) == []


def test_user_task_with_no_form():
    files = changed(MAIN, '<spiffworkflow:property name="formJsonSchemaFilename" value="escalation.schema.json" />', "")
    problems = check(files)
    the_problem(problems, MAIN, line_of(files, MAIN, '<bpmn:userTask id="escalate"'), "escalate", "names no form")


def test_form_missing_from_bundle():
    files = valid_files()
    del files["forms/escalation.schema.json"]
    problems = check(files)
    the_problem(problems, MAIN, line_of(files, MAIN, 'value="escalation.schema.json"'), "escalate",
                "form 'escalation.schema.json' is not in this pathway's files")


def test_ui_schema_missing_from_bundle():
    files = valid_files()
    del files["forms/screening-decision.uischema.json"]
    problems = check(files)
    the_problem(problems, MAIN, line_of(files, MAIN, 'value="screening-decision.uischema.json"'), "screen",
                "is not in this pathway's files")


def test_form_not_valid_json():
    files = valid_files()
    files["forms/escalation.schema.json"] = b'{\n  "type": "object",\n  "properties": {\n}\n'
    problems = check(files)
    the_problem(problems, "forms/escalation.schema.json", 5, "", "not valid JSON")


def test_form_not_valid_json_schema():
    files = changed("forms/escalation.schema.json", '"note": {"type": "string"}', '"note": {"type": "text"}')
    problems = check(files)
    the_problem(problems, "forms/escalation.schema.json", 5, "", "not a valid JSON Schema")


def test_form_root_must_be_an_object_schema():
    files = changed("forms/escalation.schema.json", '"type": "object"', '"type": "array"')
    problems = check(files)
    the_problem(problems, "forms/escalation.schema.json", 3, "", "root must be an object schema")


def test_standalone_form_is_checked_too():
    files = {**valid_files(), "forms/unused.schema.json": b'{"type": "object", "required": "name"}'}
    problems = check(files)
    the_problem(problems, "forms/unused.schema.json", 1, "", "not a valid JSON Schema")


def test_form_with_remote_ref():
    files = changed("forms/escalation.schema.json", '"note": {"type": "string"}',
                    '"note": {"$ref": "https://example.org/note.json"}')
    problems = check(files)
    the_problem(problems, "forms/escalation.schema.json", 5, "", "only local references")


def test_start_event_form_is_checked():
    files = changed(MAIN, '<bpmn:startEvent id="start" name="Referral received">',
                    '<bpmn:startEvent id="start" name="Referral received">\n      <bpmn:extensionElements>'
                    '<spiffworkflow:properties><spiffworkflow:property name="formJsonSchemaFilename" '
                    'value="referral.schema.json" /></spiffworkflow:properties></bpmn:extensionElements>')
    problems = check(files)
    the_problem(problems, MAIN, line_of(files, MAIN, 'value="referral.schema.json"'), "start",
                "form 'referral.schema.json' is not in this pathway's files")


def test_task_in_a_sub_process_takes_the_sub_process_lane():
    files = changed(SUB, '<bpmn:userTask id="assess" name="Assess the child\'s needs">',
                    '<bpmn:subProcess id="assess">\n      <bpmn:startEvent id="inner_start" />\n'
                    '      <bpmn:userTask id="inner_task">\n      <bpmn:extensionElements><spiffworkflow:properties>'
                    '<spiffworkflow:property name="formJsonSchemaFilename" value="assessment.schema.json" />'
                    '</spiffworkflow:properties></bpmn:extensionElements></bpmn:userTask>\n'
                    '      <bpmn:endEvent id="inner_end" />\n'
                    '      <bpmn:sequenceFlow id="inner_1" sourceRef="inner_start" targetRef="inner_task" />\n'
                    '      <bpmn:sequenceFlow id="inner_2" sourceRef="inner_task" targetRef="inner_end" />\n'
                    '    </bpmn:subProcess>\n    <bpmn:userTask id="unused_assess">')
    files = changed(SUB, '<bpmn:flowNodeRef>assess</bpmn:flowNodeRef>',
                    '<bpmn:flowNodeRef>assess</bpmn:flowNodeRef>\n'
                    '        <bpmn:flowNodeRef>unused_assess</bpmn:flowNodeRef>', files)
    problems = check(files)
    assert [p for p in problems if p.element_id == "inner_task"] == []
    _, subs = build_specs(files, "screening")
    assert subs["assess"].task_specs["inner_task"].lane == "Duty Social Worker"


def test_multi_instance_and_correlation_expressions_are_checked():
    files = changed(SUB, '<bpmn:userTask id="assess" name="Assess the child\'s needs">',
                    '<bpmn:userTask id="assess" name="Assess the child\'s needs">\n'
                    '      <bpmn:multiInstanceLoopCharacteristics>\n'
                    '        <bpmn:loopCardinality>len(children) +</bpmn:loopCardinality>\n'
                    '        <bpmn:completionCondition>done ==</bpmn:completionCondition>\n'
                    '      </bpmn:multiInstanceLoopCharacteristics>')
    files = changed(MAIN, '<bpmn:message id="msg_screened" name="referral_screened" />',
                    '<bpmn:message id="msg_screened" name="referral_screened" />\n'
                    '  <bpmn:correlationProperty id="case_ref" name="case_ref">\n'
                    '    <bpmn:correlationPropertyRetrievalExpression messageRef="msg_screened">\n'
                    '      <bpmn:formalExpression>case[ref</bpmn:formalExpression>\n'
                    '    </bpmn:correlationPropertyRetrievalExpression>\n'
                    '  </bpmn:correlationProperty>', files)
    problems = check(files)
    the_problem(problems, SUB, line_of(files, SUB, "<bpmn:loopCardinality>"), "assess", "loop cardinality")
    the_problem(problems, SUB, line_of(files, SUB, "<bpmn:completionCondition>"), "assess", "completion condition")
    the_problem(problems, MAIN, line_of(files, MAIN, "<bpmn:formalExpression>"), "case_ref", "correlation expression")


# -- references --------------------------------------------------------------------------------

def test_call_activity_to_missing_process():
    files = changed(MAIN, 'calledElement="assessment"', 'calledElement="assesment"')
    problems = check(files)
    the_problem(problems, MAIN, line_of(files, MAIN, "<bpmn:callActivity"), "call_assessment",
                "calls process 'assesment', which is in none of this pathway's files")


def test_missing_dmn_decision():
    files = changed(MAIN, ">priority_decision<", ">priority_decisions<")
    problems = check(files)
    the_problem(problems, MAIN, line_of(files, MAIN, "<spiffworkflow:calledDecisionId>"), "decide_priority",
                "decision 'priority_decisions' is in none of this pathway's DMN files")


def test_message_ref_missing():
    files = changed(MAIN, 'messageRef="msg_screened"', 'messageRef="msg_screend"')
    problems = check(files)
    the_problem(problems, MAIN, line_of(files, MAIN, "<bpmn:messageEventDefinition"), "end_assessed",
                "messageRef 'msg_screend' names no bpmn:message")


def test_duplicate_ids_across_two_files():
    files = changed(SUB, '<bpmn:scriptTask id="record_outcome"', '<bpmn:scriptTask id="decide_priority"')
    files = changed(SUB, "<bpmn:flowNodeRef>record_outcome<", "<bpmn:flowNodeRef>decide_priority<", files)
    for _ in range(2):
        files = changed(SUB, '"record_outcome"', '"decide_priority"', files)
    sub_line = line_of(files, SUB, '<bpmn:scriptTask id="decide_priority"')
    main_line = line_of(files, MAIN, '<bpmn:businessRuleTask id="decide_priority"')
    problems = check(files)
    the_problem(problems, SUB, sub_line, "decide_priority", f"also used at {MAIN}:{main_line}")
    the_problem(problems, MAIN, main_line, "decide_priority", f"also used at {SUB}:{sub_line}")


def test_sequence_flow_to_missing_element():
    files = changed(MAIN, 'sourceRef="call_assessment" targetRef="end_assessed"',
                    'sourceRef="call_assessment" targetRef="end_asessed"')
    problems = check(files)
    the_problem(problems, MAIN, line_of(files, MAIN, '<bpmn:sequenceFlow id="flow_assessed"'), "flow_assessed",
                "leads to 'end_asessed', which does not exist")


# -- DMN ---------------------------------------------------------------------------------------

def test_dmn_cell_that_does_not_compile():
    files = changed(DMN, "<text>&lt; 5</text>", "<text>&gt;= = 5</text>")
    problems = check(files)
    the_problem(problems, DMN, line_of(files, DMN, '<inputEntry id="rule_young_in2"'), "rule_young_in2",
                "evaluated as 'child_age>= = 5'")


def test_dmn_output_cell_with_forbidden_name():
    files = changed(DMN, '<text>"low"</text>', "<text>__import__('os')</text>")
    problems = check(files)
    the_problem(problems, DMN, line_of(files, DMN, '<outputEntry id="rule_other_out"'), "rule_other_out",
                "output cell")


def test_dmn_word_operator_needs_leading_space():
    files = changed(DMN, "<text>True</text>", '<text>in (True, 1)</text>')
    problems = check(files)
    the_problem(problems, DMN, line_of(files, DMN, '<inputEntry id="rule_risk_in1"'), "rule_risk_in1",
                "start the cell with a space")


def test_dmn_two_decisions_in_one_file():
    text = valid_files()[DMN].decode()
    second = text[text.index("  <decision"):text.index("</definitions>")].replace('id="', 'id="copy_')
    files = {**valid_files(), DMN: text.replace("</definitions>", second + "</definitions>").encode()}
    problems = check(files)
    the_problem(problems, DMN, line_of(files, DMN, 'id="copy_priority_decision"'), "copy_priority_decision",
                "only one decision per DMN file")


# -- files that are not BPMN -------------------------------------------------------------------

def test_not_xml():
    files = {**valid_files(), MAIN: b"this is not XML"}
    problems = check(files)
    the_problem(problems, MAIN, 1, "", "not well-formed XML")


def test_xml_but_not_bpmn():
    files = {**valid_files(), MAIN: b"<?xml version='1.0'?>\n<html><body><p>hello</p></body></html>"}
    problems = check(files)
    the_problem(problems, MAIN, 2, "", "not a BPMN diagram: the root element is <html>")


def test_dmn_saved_as_bpmn():
    files = valid_files()
    files["decision.bpmn"] = files.pop(DMN)
    problems = check(files)
    the_problem(problems, "decision.bpmn", 2, "Definitions_priority", "give it the .dmn extension")


def test_empty_file():
    files = {**valid_files(), MAIN: b""}
    problems = check(files)
    the_problem(problems, MAIN, None, "", "the file is empty")


def test_xsd_violation_reports_its_line():
    files = changed(SUB, '<bpmn:endEvent id="assessment_end" />',
                    '<bpmn:endEvent id="assessment_end" />\n    <bpmn:fooTask id="foo" />')
    problems = check(files)
    the_problem(problems, SUB, line_of(files, SUB, "<bpmn:fooTask"), "foo",
                "schema: Element 'bpmn:fooTask': This element is not expected")


def test_dmn_xsd_violation_reports_its_line():
    files = changed(DMN, '<rule id="rule_other">', '<rule id="rule_other">\n        <bogus id="b" />')
    problems = check(files)
    the_problem(problems, DMN, line_of(files, DMN, "<bogus"), "b", "schema: Element 'dmn:bogus'")


def test_all_xsd_errors_are_reported():
    files = changed(SUB, '<bpmn:startEvent id="assessment_start" />',
                    '<bpmn:startEvent id="assessment_start" bogus="1" />')
    files = changed(SUB, '<bpmn:endEvent id="assessment_end" />', '<bpmn:endEvent id="assessment_end" other="2" />',
                    files)
    problems = check(files)
    the_problem(problems, SUB, line_of(files, SUB, 'bogus="1"'), "assessment_start", "attribute 'bogus'")
    the_problem(problems, SUB, line_of(files, SUB, 'other="2"'), "assessment_end", "attribute 'other'")


# -- hostile XML -------------------------------------------------------------------------------

BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
]>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" id="D">&lol3;</bpmn:definitions>
"""


def test_doctype_billion_laughs():
    problems = check({**valid_files(), MAIN: BILLION_LAUGHS})
    the_problem(problems, MAIN, 2, "", "DOCTYPE")


def test_external_entity_never_leaks_the_file(tmp_path):
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET-CASE-NOTE-4711")
    xml = (f'<?xml version="1.0"?>\n<!DOCTYPE d [<!ENTITY xxe SYSTEM "file://{secret}">]>\n'
           '<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" id="D">'
           '<bpmn:process id="p" name="&xxe;"/>&xxe;</bpmn:definitions>').encode()
    problems = check({**valid_files(), MAIN: xml})
    the_problem(problems, MAIN, 2, "", "DOCTYPE")
    assert all("TOP-SECRET" not in str(p) for p in problems)


def test_parameter_entity():
    xml = (b'<?xml version="1.0"?>\n<!DOCTYPE d [<!ENTITY % remote SYSTEM "http://127.0.0.1:9/evil.dtd"> %remote;]>\n'
           b'<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" id="D"/>')
    problems = check({**valid_files(), MAIN: xml})
    the_problem(problems, MAIN, 2, "", "DOCTYPE")


def test_oversize_input():
    big = valid_files()[MAIN] + b"<!--" + b"x" * 2_000_000 + b"-->"
    problems = check({**valid_files(), MAIN: big})
    the_problem(problems, MAIN, None, "", "the limit is 2,000,000 bytes")


def test_hostile_nesting_is_a_problem_not_a_crash():
    deep_xml = (b'<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" id="D">'
                + b"<a>" * 5000 + b"</a>" * 5000 + b"</bpmn:definitions>")
    files = {MAIN: deep_xml, "forms/deep.schema.json": b"[" * 100_000 + b"]" * 100_000,
             "forms/deeper.schema.json": b'{"type": "object", "properties": {"a": ' + b'{"items": ' * 400 + b"{}"
             + b"}" * 400 + b"}}"}
    problems = check(files)
    the_problem(problems, MAIN, 1, "", "nested more than 256 levels deep")
    the_problem(problems, "forms/deep.schema.json", None, "", "nested too deeply")
    the_problem(problems, "forms/deeper.schema.json", None, "", "nested too deeply")


# -- SpiffWorkflow's own checks, located ------------------------------------------------------

def test_engine_error_gets_the_elements_line():
    files = changed(SUB, '<bpmn:sequenceFlow id="a_flow_1" sourceRef="assessment_start" targetRef="assess" />',
                    '<bpmn:sequenceFlow id="a_flow_1" sourceRef="assessment_start" targetRef="assess" />\n'
                    '    <bpmn:sequenceFlow id="a_flow_x" sourceRef="assess" targetRef="assessment_end" />')
    problems = check(files)
    the_problem(problems, SUB, line_of(files, SUB, '<bpmn:userTask id="assess"'), "assess",
                "only one outgoing flow")


def test_process_without_start_event():
    files = changed(SUB, '<bpmn:startEvent id="assessment_start" />', '<bpmn:task id="assessment_start" />')
    problems = check(files)
    the_problem(problems, SUB, line_of(files, SUB, '<bpmn:process id="assessment"'), "assessment",
                "no start event")


def test_very_long_process_is_a_problem_not_a_crash():
    tasks = "".join(f'<bpmn:task id="t{i}"/><bpmn:sequenceFlow id="f{i}" sourceRef="t{i}" targetRef="t{i + 1}"/>'
                    for i in range(1000))
    xml = ('<?xml version="1.0"?>\n<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" '
           'id="D" targetNamespace="http://x">\n<bpmn:process id="long" isExecutable="true">\n'
           '<bpmn:startEvent id="s"/><bpmn:sequenceFlow id="f_s" sourceRef="s" targetRef="t0"/>'
           f'{tasks}<bpmn:endEvent id="t1000"/>\n</bpmn:process>\n</bpmn:definitions>').encode()
    problems = check({"long.bpmn": xml})
    the_problem(problems, "long.bpmn", 3, "long", "too long")


def test_problems_are_sorted_and_all_reported():
    files = changed(MAIN, '"PT2H"', "PT2H")
    files = changed(DMN, "<text>&lt; 5</text>", "<text>&gt;= = 5</text>", files)
    files["forms/escalation.schema.json"] = b"{"
    problems = check(files)
    assert [p.file for p in problems] == sorted(p.file for p in problems)
    assert {p.file for p in problems} == {MAIN, DMN, "forms/escalation.schema.json"}


# -- check_paths and roles ---------------------------------------------------------------------

def test_check_paths_on_the_valid_fixture_folder():
    assert check_paths([str(VALID)], known_roles=ROLES) == []


def test_check_paths_on_one_file_of_a_pathway_uses_its_siblings():
    # The call activity and the decision live in sibling files of the pathway folder.
    assert check_paths([str(VALID / MAIN)], known_roles=ROLES) == []


def test_check_paths_reports_every_bad_file(tmp_path):
    folder = tmp_path / "bad"
    folder.mkdir()
    (folder / "one.bpmn").write_bytes(b"not xml")
    (folder / "two.dmn").write_bytes(b"")
    (folder / "three.schema.json").write_bytes(b'{"type": 3}')
    (folder / "four.bpmn").write_bytes(changed(MAIN, '"PT2H"', "PT2H")[MAIN])
    (folder / "notes.txt").write_bytes(b"ignored")
    problems = check_paths([str(folder)], known_roles=None)
    files = {p.file for p in problems}
    assert {str(folder / n) for n in ("one.bpmn", "two.dmn", "three.schema.json", "four.bpmn")} <= files
    assert all(not p.file.endswith("notes.txt") for p in problems)


def test_check_paths_keeps_relative_paths_and_finds_sibling_forms(tmp_path, monkeypatch):
    (tmp_path / "processes" / "screening").mkdir(parents=True)
    (tmp_path / "forms").mkdir()
    files = valid_files()
    for name, content in files.items():
        target = (tmp_path / "forms" / Path(name).name) if name.startswith("forms/") else \
            tmp_path / "processes" / "screening" / name
        target.write_bytes(content)
    (tmp_path / "forms" / "escalation.schema.json").write_bytes(b"{")
    (tmp_path / "roles.yaml").write_text('roles:\n  - name: "Duty Social Worker"\n    description: "x"\n')
    monkeypatch.chdir(tmp_path)
    problems = check_paths(["processes/"])
    assert {(p.file, p.element_id) for p in problems} == {
        ("forms/escalation.schema.json", ""),
        (os.path.join("processes/", "screening", MAIN), "Lane_manager"),
    }


def test_check_paths_nonexistent_path():
    problems = check_paths(["no/such/folder"], known_roles=ROLES)
    assert problems == [Problem("no/such/folder", None, "", "no such file or folder")]


def test_load_roles(tmp_path):
    path = tmp_path / "roles.yaml"
    path.write_text('roles:\n  - name: "Duty Social Worker"\n    description: "Takes referrals"\n'
                    '  - name: Team Manager\n')
    assert load_roles(path) == {"Duty Social Worker", "Team Manager"}


@pytest.mark.parametrize("content", ["roles: nope", "- a\n- b", "roles:\n  - description: no name", "roles: [\n"])
def test_load_roles_rejects_bad_files(tmp_path, content):
    from engine.errors import ConfigurationError

    path = tmp_path / "roles.yaml"
    path.write_text(content)
    with pytest.raises(ConfigurationError):
        load_roles(path)

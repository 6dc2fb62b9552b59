"""The pathway sandbox: escapes are refused, denial of service is stopped quickly, real work runs.

Every escape payload tries to leave a mark (create a file in tmp_path, reveal an internal object,
set a variable, change a helper); each is run through :func:`evaluate`/:func:`execute` *and* as a
gateway condition or script task of a real SpiffWorkflow workflow, and the tests check that the
mark was not left, not only that something was raised.
"""
from __future__ import annotations

import datetime as dt
import signal
import sys
import threading
import time
from xml.sax.saxutils import escape

import pytest
from SpiffWorkflow.bpmn import BpmnWorkflow
from SpiffWorkflow.bpmn.exceptions import WorkflowTaskException
from SpiffWorkflow.spiff.parser.process import SpiffBpmnParser
from SpiffWorkflow.util.task import TaskState

from engine import clock, sandbox, sandbox_helpers, sandbox_policy
from engine.clock import FixedClock
from engine.errors import ExpressionError, ExpressionSizeError, ExpressionTimeoutError, SandboxViolationError
from engine.sandbox import (HELPER_NAMES, SandboxEnvironment, SandboxScriptEngine, check_source, evaluate,
                            execute, make_script_engine)
from engine.sandbox_policy import FILENAME

UTC = dt.timezone.utc
LIMIT = 0.2  # seconds: small, so that the denial-of-service tests stay quick
MARKER = "@MARKER@"  # replaced by a path in the test's tmp_path
_PARSE_DATE_CODE = sandbox_helpers.parse_date.__code__

# -- BPMN for the workflow tests ------------------------------------------------------------------

_DEFS = ('<?xml version="1.0" encoding="UTF-8"?>\n<bpmn:definitions '
         'xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" '
         'xmlns:spiffworkflow="http://spiffworkflow.org/bpmn/schema/1.0/core" '
         'id="defs" targetNamespace="http://bpmn.io/schema/bpmn">{body}</bpmn:definitions>')

GATEWAY = _DEFS.format(body="""
  <bpmn:process id="proc" isExecutable="true">
    <bpmn:startEvent id="start"/>
    <bpmn:exclusiveGateway id="decide" default="f_no"/>
    <bpmn:endEvent id="e_yes"/>
    <bpmn:endEvent id="e_no"/>
    <bpmn:sequenceFlow id="f0" sourceRef="start" targetRef="decide"/>
    <bpmn:sequenceFlow id="f_yes" sourceRef="decide" targetRef="e_yes">
      <bpmn:conditionExpression>{code}</bpmn:conditionExpression>
    </bpmn:sequenceFlow>
    <bpmn:sequenceFlow id="f_no" sourceRef="decide" targetRef="e_no"/>
  </bpmn:process>""")

SCRIPT = _DEFS.format(body="""
  <bpmn:process id="proc" isExecutable="true">
    <bpmn:startEvent id="start"/>
    <bpmn:scriptTask id="run_script"><bpmn:script>{code}</bpmn:script></bpmn:scriptTask>
    <bpmn:endEvent id="end"/>
    <bpmn:sequenceFlow id="f0" sourceRef="start" targetRef="run_script"/>
    <bpmn:sequenceFlow id="f1" sourceRef="run_script" targetRef="end"/>
  </bpmn:process>""")

TIMER = _DEFS.format(body="""
  <bpmn:process id="proc" isExecutable="true">
    <bpmn:startEvent id="start"/>
    <bpmn:intermediateCatchEvent id="wait">
      <bpmn:timerEventDefinition><bpmn:{kind}>{code}</bpmn:{kind}></bpmn:timerEventDefinition>
    </bpmn:intermediateCatchEvent>
    <bpmn:endEvent id="end"/>
    <bpmn:sequenceFlow id="f0" sourceRef="start" targetRef="wait"/>
    <bpmn:sequenceFlow id="f1" sourceRef="wait" targetRef="end"/>
  </bpmn:process>""")

RULES = _DEFS.format(body="""
  <bpmn:process id="proc" isExecutable="true">
    <bpmn:startEvent id="start"/>
    <bpmn:businessRuleTask id="triage">
      <bpmn:extensionElements>
        <spiffworkflow:calledDecisionId>priority</spiffworkflow:calledDecisionId>
      </bpmn:extensionElements>
    </bpmn:businessRuleTask>
    <bpmn:endEvent id="end"/>
    <bpmn:sequenceFlow id="f0" sourceRef="start" targetRef="triage"/>
    <bpmn:sequenceFlow id="f1" sourceRef="triage" targetRef="end"/>
  </bpmn:process>""")

DMN = """<?xml version="1.0" encoding="UTF-8"?>
<definitions xmlns="https://www.omg.org/spec/DMN/20191111/MODEL/" id="defs_priority" name="Priority"
             namespace="http://camunda.org/schema/1.0/dmn">
  <decision id="priority" name="Priority">
    <decisionTable id="table" hitPolicy="UNIQUE">
      <input id="in_age" label="Age">
        <inputExpression id="ie_age" typeRef="number"><text>age(dob)</text></inputExpression>
      </input>
      <input id="in_kind" label="Kind">
        <inputExpression id="ie_kind" typeRef="string"><text>kind</text></inputExpression>
      </input>
      <output id="out_priority" label="Priority" name="priority" typeRef="string"/>
      <output id="out_due" label="Due" name="due" typeRef="string"/>
      <rule id="r1">
        <inputEntry id="r1_age"><text>&lt; 5</text></inputEntry>
        <inputEntry id="r1_kind"><text>-</text></inputEntry>
        <outputEntry id="r1_p"><text>"urgent"</text></outputEntry>
        <outputEntry id="r1_d"><text>iso(add_working_days(referred, 1))</text></outputEntry>
      </rule>
      <rule id="r2">
        <inputEntry id="r2_age"><text>5 &lt;= ? &lt; 18</text></inputEntry>
        <inputEntry id="r2_kind"><text>{kind_entry}</text></inputEntry>
        <outputEntry id="r2_p"><text>"high"</text></outputEntry>
        <outputEntry id="r2_d"><text>iso(add_working_days(referred, 10))</text></outputEntry>
      </rule>
      <rule id="r3">
        <inputEntry id="r3_age"><text>-</text></inputEntry>
        <inputEntry id="r3_kind"><text>-</text></inputEntry>
        <outputEntry id="r3_p"><text>"standard"</text></outputEntry>
        <outputEntry id="r3_d"><text>iso(add_working_days(referred, 45))</text></outputEntry>
      </rule>
    </decisionTable>
  </decision>
</definitions>"""


def _workflow(template: str, code: str, data: dict | None = None, *, dmn: str | None = None,
              time_limit: float = LIMIT, **fields: str) -> BpmnWorkflow:
    parser = SpiffBpmnParser()
    parser.add_bpmn_str(template.format(code=escape(code), **fields).encode())
    if dmn is not None:
        parser.add_dmn_str(dmn.encode())
    workflow = BpmnWorkflow(parser.get_spec("proc"), script_engine=make_script_engine(time_limit=time_limit))
    workflow.get_next_task(state=TaskState.READY).data.update(data or {})
    return workflow


def _completed(workflow: BpmnWorkflow) -> set[str]:
    return {t.task_spec.bpmn_id for t in workflow.get_tasks(state=TaskState.COMPLETED) if t.task_spec.bpmn_id}


def _all_data_keys(workflow: BpmnWorkflow) -> set[str]:
    return {key for task in workflow.get_tasks() for key in task.data} | set(workflow.data)


def _helpers_intact() -> None:
    assert sandbox_helpers.parse_date.__code__ is _PARSE_DATE_CODE
    assert sandbox_helpers.parse_date.__doc__
    assert not hasattr(sandbox_helpers.parse_date, "marker")

# -- escapes --------------------------------------------------------------------------------------


_WALK = ("[c for c in {base}.__subclasses__() if c.__name__ == '_wrap_close'][0]"
         ".__init__.__globals__['system']('touch " + MARKER + "') == 0")
_GETATTR_WALK = ("getattr(getattr([c for c in getattr(getattr(getattr((), {cls}), '__base__'), '__subclasses__')() "
                 "if getattr(c, '__name__') == '_wrap_close'][0], '__init__'), '__globals__')['system']"
                 "('touch " + MARKER + "') == 0")

# (id, mode, code, expected error). Each one, if it worked, would create MARKER, make the gateway
# take the "yes" flow (a true condition), set a variable, or change a helper.
ESCAPES = [
    ("subclasses_walk_to_os_system", "eval", _WALK.format(base="().__class__.__base__"), SandboxViolationError),
    ("dunder_import", "eval", f"__import__('os').system('touch {MARKER}') == 0", SandboxViolationError),
    ("import_statement", "exec", f"import os\nos.system('touch {MARKER}')", SandboxViolationError),
    ("from_import", "exec", f"from os import system\nsystem('touch {MARKER}')", SandboxViolationError),
    ("import_subprocess_as", "exec", f"import subprocess as sp\nsp.run(['touch', '{MARKER}'])", SandboxViolationError),
    ("open", "eval", f"open('{MARKER}', 'w').write('x') > 0", SandboxViolationError),
    ("eval", "eval", f"eval(\"__import__('os').system('touch {MARKER}')\") == 0", SandboxViolationError),
    ("exec", "exec", f"exec(\"import os\\nos.system('touch {MARKER}')\")", SandboxViolationError),
    ("compile", "eval", f"compile(\"open('{MARKER}', 'w')\", 'x', 'eval') is not None", SandboxViolationError),
    ("globals", "eval", f"globals()['__builtins__']['open']('{MARKER}', 'w') is not None", SandboxViolationError),
    ("locals", "eval", f"locals()['__builtins__']['open']('{MARKER}', 'w') is not None", SandboxViolationError),
    ("vars", "eval", f"vars()['__builtins__']['open']('{MARKER}', 'w') is not None", SandboxViolationError),
    ("getattr_dunder", "eval", _GETATTR_WALK.format(cls="'__class__'"), SandboxViolationError),
    ("getattr_concatenated_name", "eval", _GETATTR_WALK.format(cls="'__cla' + 'ss__'"), SandboxViolationError),
    ("type_subclasses", "eval", _WALK.format(base="type(()).__base__"), SandboxViolationError),
    ("str_format_class", "eval", "'{0.__class__}'.format(1) == \"<class 'int'>\"", SandboxViolationError),
    ("str_format_globals", "eval", "'{0.__globals__}'.format(parse_date) != ''", SandboxViolationError),
    ("str_format_map", "eval", "'{x.__class__}'.format_map({'x': 1}) != ''", SandboxViolationError),
    ("str_format_unbound", "eval", "str.format('{0.__class__}', 1) != ''", SandboxViolationError),
    ("fstring_dunder", "eval", "f'{amount.__class__}' != ''", SandboxViolationError),
    ("lambda_globals", "eval", f"(lambda: 0).__globals__['__builtins__']['open']('{MARKER}', 'w') is not None",
     SandboxViolationError),
    ("lambda_code", "eval", "(lambda: 0).__code__.co_consts is not None", SandboxViolationError),
    ("generator_frame_globals", "eval",
     f"(x for x in [1]).gi_frame.f_globals['__builtins__']['open']('{MARKER}', 'w') is not None",
     SandboxViolationError),
    ("generator_frame_back", "exec",
     "def g():\n    yield 1\ngen = g()\nnext(gen)\nleaked = gen.gi_frame.f_back.f_globals", SandboxViolationError),
    ("helper_globals", "eval",
     f"add_working_days.__globals__['__builtins__']['open']('{MARKER}', 'w') is not None", SandboxViolationError),
    ("date_today_self", "eval", "date.today.__self__.__subclasses__() is not None", SandboxViolationError),
    ("datetime_subclasses", "eval", "datetime.__subclasses__() is not None", SandboxViolationError),
    ("builtins_subscript", "eval", f"__builtins__['eval'](\"__import__('os').system('touch {MARKER}')\") == 0",
     SandboxViolationError),
    ("setattr_helper_code", "exec",
     f"setattr(parse_date, '__code__', (lambda s: open('{MARKER}', 'w')).__code__)", SandboxViolationError),
    ("setattr_plain", "exec", "setattr(parse_date, 'marker', 1)", SandboxViolationError),
    ("attribute_assignment", "exec", "parse_date.marker = 1", ExpressionError),
    ("delattr", "exec", "delattr(parse_date, '__doc__')", SandboxViolationError),
    ("breakpoint", "eval", "breakpoint() is None", SandboxViolationError),
    ("help", "eval", "help() is None", SandboxViolationError),
    ("input", "eval", "input() == ''", SandboxViolationError),
    ("object_getattribute", "eval", "object.__getattribute__(1, '__class__') is not None", SandboxViolationError),
    ("dict_class", "eval", "dict.__class__.__subclasses__(dict.__class__) is not None", SandboxViolationError),
    ("print_to_file", "exec", f"print('x', file=open('{MARKER}', 'w'))", SandboxViolationError),
    ("direct_getattr_guard", "eval", "_getattr_((), '__class__') is not None", SandboxViolationError),
    ("class_init_subclass", "exec",
     f"class Base:\n    def __init_subclass__(cls):\n        open('{MARKER}', 'w')\nclass Child(Base):\n    pass",
     SandboxViolationError),
    ("decorator", "exec", "def deco(f):\n    return f\n@deco\ndef g():\n    return 1\nleaked = g()",
     SandboxViolationError),
    ("datetime_sys_module", "eval", f"datetime.sys.modules['os'].system('touch {MARKER}') == 0", ExpressionError),
    ("module_attribute", "eval", "date.__module__ == 'datetime'", SandboxViolationError),
    ("timedelta_reduce", "eval", "timedelta.max.__reduce__() is not None", SandboxViolationError),
    ("try_traceback_frames", "exec",
     f"try:\n    1 / 0\nexcept Exception as e:\n    e.__traceback__.tb_frame.f_back.f_globals['__builtins__']"
     f"['open']('{MARKER}', 'w')", SandboxViolationError),
    ("mro_walk", "eval", "int.mro()[-1] is not None", SandboxViolationError),
    ("fullwidth_eval", "eval", f"ｅｖａｌ(\"__import__('os').system('touch {MARKER}')\") == 0", SandboxViolationError),
    ("type_builtin", "eval", "type(1) is not None", SandboxViolationError),
    ("with_open", "exec", f"with open('{MARKER}', 'w') as f:\n    pass", SandboxViolationError),
]
assert len(ESCAPES) >= 25


@pytest.mark.parametrize("mode, code, expected", [e[1:] for e in ESCAPES], ids=[e[0] for e in ESCAPES])
def test_escape_is_refused(tmp_path, mode, code, expected):
    marker = tmp_path / "pwned"
    source = code.replace(MARKER, str(marker))
    names = {"amount": 1}
    with pytest.raises(expected) as info:
        if mode == "eval":
            evaluate(source, names, time_limit=LIMIT)
        else:
            execute(source, names, time_limit=LIMIT)
    assert str(info.value)
    assert not marker.exists()
    assert names == {"amount": 1}
    _helpers_intact()


@pytest.mark.parametrize("mode, code, expected", [e[1:] for e in ESCAPES], ids=[e[0] for e in ESCAPES])
def test_escape_is_refused_inside_a_workflow(tmp_path, mode, code, expected):
    marker = tmp_path / "pwned"
    source = code.replace(MARKER, str(marker))
    workflow = _workflow(GATEWAY if mode == "eval" else SCRIPT, source, {"amount": 1})
    with pytest.raises(expected) as info:
        workflow.do_engine_steps()
    assert info.value.element_id == ("decide" if mode == "eval" else "run_script")
    assert info.value.expression.strip() == source.strip()
    assert isinstance(info.value.__cause__, expected)
    assert not marker.exists()
    assert "e_yes" not in _completed(workflow) and "end" not in _completed(workflow)
    assert "leaked" not in _all_data_keys(workflow)
    _helpers_intact()


def test_escape_in_a_dmn_input_entry_is_refused(tmp_path):
    marker = tmp_path / "pwned"
    entry = f"__import__('os').system('touch {marker}') == 0"
    workflow = _workflow(RULES, "", {"dob": "2015-01-01", "kind": "x", "referred": "2026-12-24"},
                         dmn=DMN.replace("{kind_entry}", escape(entry)))
    with clock.using(FixedClock(dt.datetime(2026, 6, 1, tzinfo=UTC))):
        # SpiffWorkflow's DMN engine wraps whatever a rule raises; the entry never ran.
        with pytest.raises(WorkflowTaskException, match="Failed to execute DMN Rule on row 2"):
            workflow.do_engine_steps()
    assert not marker.exists()
    assert "priority" not in _all_data_keys(workflow)

# -- denial of service ----------------------------------------------------------------------------


DOS = [
    ("while_true", "exec", "while True: pass", ExpressionTimeoutError),
    ("while_one_continue", "exec", "while 1:\n    continue", ExpressionTimeoutError),
    ("loop_in_a_function", "exec", "def spin():\n    while True:\n        pass\nspin()", ExpressionTimeoutError),
    ("list_comprehension_over_infinite_iter", "eval", "[x for x in iter(int, 1)]", ExpressionTimeoutError),
    ("generator_sum_over_infinite_iter", "eval", "sum(1 for _ in iter(int, 1))", ExpressionTimeoutError),
    ("c_level_sum_over_infinite_iter", "eval", "sum(iter(int, 1))", ExpressionTimeoutError),
    ("string_repeat", "eval", "'x' * 10**9", ExpressionSizeError),
    ("list_repeat", "eval", "[0] * 10**9", ExpressionSizeError),
    ("power_tower", "eval", "10 ** 10 ** 10", ExpressionSizeError),
    ("left_shift", "eval", "1 << 10**9", ExpressionSizeError),
    ("string_doubling_loop", "exec", "s = 'x'\nwhile True:\n    s = s + s", ExpressionSizeError),
    ("string_doubling_in_place", "exec", "s = 'x'\nfor i in range(64):\n    s += s", ExpressionSizeError),
    ("list_doubling_extend", "exec", "l = [0]\nfor i in range(64):\n    l.extend(l)", ExpressionSizeError),
    ("percent_width", "eval", "'%0999999999d' % 1", ExpressionSizeError),
    ("percent_star_width", "eval", "'%*d' % (999999999, 1)", ExpressionSizeError),
    ("fstring_width_from_data", "eval", "f'{1:>{width}}'", ExpressionSizeError),
    # A constant width is refused when compiling, so the validator reports it before publication.
    ("fstring_constant_width", "eval", 'f"{1:>999999999}"', SandboxViolationError),
    ("huge_range", "eval", "range(10**12)", ExpressionSizeError),
    ("replace_amplification", "eval", "('x' * 1000).replace('', 'y' * 1000)", ExpressionSizeError),
    ("join_amplification", "eval", "('x' * 50000).join(['a'] * 50000)", ExpressionSizeError),
    ("copies_in_a_loop", "eval", "[text.upper() for _ in range(10000)]", ExpressionSizeError),
    ("list_copies_in_a_loop", "eval", "[list(items) for _ in range(10000)]", ExpressionSizeError),
    ("nested_repeat", "eval", "str([['x' * 1000] * 99] * 99)", ExpressionSizeError),
    ("round_digits", "eval", "round(5, -10**9)", ExpressionSizeError),
    ("deep_nesting", "exec", "x = []\nfor i in range(200):\n    x = [x]", ExpressionSizeError),
    ("to_bytes", "eval", "(1).to_bytes(10**9, 'big')", SandboxViolationError),
    ("ljust", "eval", "'x'.ljust(10**9)", SandboxViolationError),
    ("recursion", "exec", "def f(n):\n    return f(n + 1)\nf(0)", ExpressionError),
]


@pytest.mark.parametrize("mode, code, expected", [d[1:] for d in DOS], ids=[d[0] for d in DOS])
def test_denial_of_service_is_stopped_quickly(mode, code, expected):
    names = {"width": 999_999_999, "text": "x" * 90_000, "items": list(range(90_000))}
    tracer = sys.gettrace()
    started = time.monotonic()
    with pytest.raises(expected):
        if mode == "eval":
            evaluate(code, names, time_limit=LIMIT)
        else:
            execute(code, names, time_limit=LIMIT)
    assert time.monotonic() - started < 1.5
    assert sys.gettrace() is tracer


def test_an_infinite_gateway_condition_times_out_in_a_workflow():
    workflow = _workflow(GATEWAY, "sum(1 for _ in iter(int, 1)) > 0")
    started = time.monotonic()
    with pytest.raises(ExpressionTimeoutError) as info:
        workflow.do_engine_steps()
    assert time.monotonic() - started < 1.5
    assert info.value.element_id == "decide"
    assert "time limit of 0.2 seconds" in str(info.value)


class _Hung(BaseException):
    """Raised by a SIGALRM watchdog: a BaseException, so the sandbox's error handling lets it through."""


def test_closing_abandoned_generators_cannot_switch_the_time_limit_off():
    # Each dropped, suspended generator is closed by CPython, which resumes its frame and swallows
    # any exception raised there; a tracer that raised at that moment would be switched off and
    # the loop would never end. The watchdog turns such a regression into a failure, not a hang.
    churn = ("def g():\n    yield 1\nwhile True:\n    gens = [g() for _ in range(5000)]\n"
             "    for gen in gens:\n        next(gen)\n    gens = None")

    def hung(signum, frame):
        raise _Hung("the sandbox did not stop the loop")

    previous = signal.signal(signal.SIGALRM, hung)
    signal.setitimer(signal.ITIMER_REAL, 5.0)
    try:
        for _ in range(5):
            with pytest.raises(ExpressionTimeoutError):
                execute(churn, {}, time_limit=0.05)
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def test_timeouts_name_the_script_line():
    with pytest.raises(ExpressionTimeoutError, match=r"\(line 3\)"):
        execute("x = 1\ny = 2\nwhile True: pass", {}, time_limit=LIMIT)


def test_the_time_limit_is_per_thread():
    errors: list[BaseException] = []

    def spin():
        try:
            evaluate("[x for x in iter(int, 1)]", time_limit=LIMIT)
        except BaseException as exc:  # noqa: BLE001 - collected for the assertion below
            errors.append(exc)

    before = sys.gettrace()
    thread = threading.Thread(target=spin)
    thread.start()
    assert evaluate("1 + 1") == 2  # runs meanwhile on this thread, under its own limit
    thread.join(5)
    assert [type(e) for e in errors] == [ExpressionTimeoutError]
    assert sys.gettrace() is before  # the other thread's tracer never touched this one

# -- legitimate use -------------------------------------------------------------------------------


@pytest.mark.parametrize("data, expected", [
    ({"amount": 500, "status": "new"}, True),
    ({"amount": 500, "status": "closed"}, False),
    ({"amount": 50, "status": "open"}, False),
])
def test_a_plain_condition(data, expected):
    assert evaluate("amount > 100 and status in ('new', 'open')", data) is expected


def test_a_condition_chooses_the_flow_in_a_workflow():
    workflow = _workflow(GATEWAY, "amount > 100 and status in ('new', 'open')", {"amount": 500, "status": "new"})
    workflow.do_engine_steps()
    assert workflow.is_completed() and "e_yes" in _completed(workflow)
    workflow = _workflow(GATEWAY, "amount > 100 and status in ('new', 'open')", {"amount": 5, "status": "new"})
    workflow.do_engine_steps()
    assert "e_no" in _completed(workflow) and "e_yes" not in _completed(workflow)


def test_a_script_with_a_generator_expression_and_an_f_string():
    names = {"items": [1, 2, 3]}
    execute("total = sum(x * 2 for x in items)\nlabel = f'{total:.2f} from {len(items)} items'", names)
    assert names == {"items": [1, 2, 3], "total": 12, "label": "12.00 from 3 items"}


def test_a_script_task_updates_the_task_data_in_a_workflow():
    code = ("total = sum(x * 2 for x in items)\nlabel = f'{total:.2f}'\n"
            "due = iso(add_working_days(referred, 45))\ndel obsolete")
    workflow = _workflow(SCRIPT, code, {"items": [1, 2, 3], "referred": "2026-03-02", "obsolete": 1, "_meta": 7})
    workflow.do_engine_steps()
    assert workflow.is_completed()
    assert workflow.data == {"items": [1, 2, 3], "referred": "2026-03-02", "total": 12, "label": "12.00",
                             "due": "2026-05-07", "_meta": 7}


def test_deleting_a_variable_propagates():
    names = {"keep": 1, "obsolete": 2}
    execute("del obsolete\nfresh = keep + 1", names)
    assert names == {"keep": 1, "fresh": 2}


def test_in_place_changes_and_rebinding():
    names = {"items": [1], "tags": {"a": 1}}
    execute("items.append(2)\ntags['b'] = 2\nn = 0\nn += 5\nn *= 3\nwords = ['a']\nwords += ['b']", names)
    assert names == {"items": [1, 2], "tags": {"a": 1, "b": 2}, "n": 15, "words": ["a", "b"]}


def test_what_a_script_leaves_that_is_not_data_is_dropped():
    names = {"date": "2026-01-01"}
    execute("def helper(x):\n    return x + 1\nf = lambda: 1\ng = (x for x in [1])\nsum = 5\n"
            "n = helper(sum)\ndate = '2026-02-02'", names)
    # Functions and generators are not data; a new variable named like a helper is not stored;
    # but "date" was already case data, so the script's new value for it is.
    assert names == {"date": "2026-02-02", "n": 6}


def test_add_working_days_over_christmas():
    assert evaluate("add_working_days(date(2026, 12, 24), 1) == date(2026, 12, 29)") is True
    assert evaluate("add_working_days('2026-12-24', 1)") == dt.date(2026, 12, 29)
    assert evaluate("working_days_between('2026-12-24', '2026-12-29')") == 1
    assert evaluate("is_working_day('2026-12-28')") is False


@pytest.mark.parametrize("on, expected", [
    (dt.datetime(2026, 4, 30, 12, 0, tzinfo=UTC), 15),
    (dt.datetime(2026, 5, 1, 0, 0, tzinfo=UTC), 16),
])
def test_age_under_a_fixed_clock(on, expected):
    with clock.using(FixedClock(on)):
        assert evaluate("age('2010-05-01')") == expected
        assert evaluate("today()") == on.date()
        assert evaluate("now()") == on


def test_age_on_a_leap_day_birthday():
    assert evaluate("age_on('2008-02-29', '2026-02-28')") == 17
    assert evaluate("age_on('2008-02-29', '2026-03-01')") == 18
    with pytest.raises(ExpressionError, match="is after"):
        evaluate("age_on('2030-01-01', '2026-01-01')")


@pytest.mark.parametrize("call, expected", [
    ("duration(hours=2)", "PT2H"),
    ("duration(days=3)", "P3D"),
    ("duration(weeks=2)", "P14D"),
    ("duration(days=1, hours=12)", "P1DT12H"),
    ("duration(years=1, months=2, minutes=30)", "P1Y2MT30M"),
    ("duration(minutes=1.5)", "PT1.5M"),
    ("duration()", "PT0S"),
])
def test_duration(call, expected):
    assert evaluate(call) == expected


@pytest.mark.parametrize("call, message", [
    ("duration(hours=-1)", "must not be negative"),
    ("duration(fortnights=1)", "does not take 'fortnights'"),
    ("duration(hours=1.5, minutes=10)", "only the smallest unit"),
])
def test_duration_refuses_bad_parts(call, message):
    with pytest.raises(ExpressionError, match=message):
        evaluate(call)


def test_date_helpers_accept_iso_text():
    assert evaluate("parse_date('2026-01-31T23:30:00Z')") == dt.date(2026, 1, 31)
    assert evaluate("parse_datetime('2026-01-31')") == dt.datetime(2026, 1, 31, tzinfo=UTC)
    assert evaluate("iso(date(2026, 1, 31))") == "2026-01-31"
    assert evaluate("iso(datetime(2026, 1, 31, 9, 0))") == "2026-01-31T09:00:00+00:00"
    assert evaluate("iso(parse_datetime('2026-06-01T09:00:00+01:00'))") == "2026-06-01T09:00:00+01:00"
    assert evaluate("add_days('2026-01-31', 1)") == dt.date(2026, 2, 1)
    assert evaluate("add_hours('2026-01-31T23:00:00Z', 2)") == dt.datetime(2026, 2, 1, 1, 0, tzinfo=UTC)
    assert evaluate("timedelta(days=2).days") == 2
    with pytest.raises(ExpressionError, match="is not an ISO 8601 date"):
        evaluate("parse_date('31/01/2026')")


def test_builtins_that_stand_in_for_types_still_work_as_types():
    assert evaluate("isinstance(name, str) and not isinstance(name, (list, dict))", {"name": "x"}) is True
    assert evaluate("sorted(['b', 'A'], key=str.lower)") == ["A", "b"]
    assert evaluate("str.join(', ', ['a', 'b']) + ' ' + str(12)") == "a, b 12"
    assert evaluate("dict.fromkeys(['a'], 0) | {'b': 1}") == {"a": 0, "b": 1}
    assert evaluate("list(range(3)) + [x for x in iter([7])]") == [0, 1, 2, 7]
    assert evaluate("max(3, 9, 4) - min([5, 2])") == 7
    assert evaluate("'%s has %d items' % ('case', 3)") == "case has 3 items"
    assert evaluate("f'{d:%d/%m/%Y}'", {"d": dt.date(2026, 1, 2)}) == "02/01/2026"


def test_dmn_style_expressions_with_dmninputexpr():
    environment = SandboxEnvironment(time_limit=LIMIT)
    assert environment.evaluate("100 <= dmninputexpr < 1000", {"amount": 500}, {"dmninputexpr": 500}) is True
    assert environment.evaluate("(amount) == (500)", {"amount": 500}) is True
    assert environment.evaluate("amount>= 1000", {"amount": 500}) is False
    assert environment.evaluate('status in ("new", "open")', {"status": "new"}) is True
    # Task data wins over the external context, as in SpiffWorkflow's own environment.
    assert environment.evaluate("x", {"x": 1}, {"x": 2}) == 1


@pytest.mark.parametrize("data, priority, due", [
    ({"dob": "2024-01-01", "kind": "other"}, "urgent", "2026-12-29"),
    ({"dob": "2015-01-01", "kind": "neglect"}, "high", "2027-01-12"),
    ({"dob": "2015-01-01", "kind": "other"}, "standard", "2027-03-02"),
])
def test_a_dmn_decision_runs_in_the_sandbox(data, priority, due):
    workflow = _workflow(RULES, "", {**data, "referred": "2026-12-24"},
                         dmn=DMN.replace("{kind_entry}", escape(' in ("neglect", "abuse")')))
    with clock.using(FixedClock(dt.datetime(2026, 6, 1, tzinfo=UTC))):
        workflow.do_engine_steps()
    assert workflow.is_completed()
    assert (workflow.data["priority"], workflow.data["due"]) == (priority, due)


def test_a_timer_duration_from_a_helper_fires_when_the_clock_moves():
    clock.install()  # SpiffWorkflow's timers read engine.clock from now on
    fixed = FixedClock(dt.datetime(2026, 3, 2, 9, 0, tzinfo=UTC))
    with clock.using(fixed):
        workflow = _workflow(TIMER, "duration(hours=2)", kind="timeDuration")
        workflow.do_engine_steps()
        [waiting] = workflow.get_tasks(state=TaskState.WAITING, spec_name="wait")
        assert waiting.internal_data["event_value"] == "2026-03-02T11:00:00+00:00"
        fixed.advance(dt.timedelta(hours=1, minutes=59))
        workflow.refresh_timers()
        workflow.do_engine_steps()
        assert not workflow.is_completed()
        fixed.advance(dt.timedelta(minutes=2))
        workflow.refresh_timers()
        workflow.do_engine_steps()
        assert workflow.is_completed()


def test_a_timer_date_from_working_days_fires_after_the_holidays():
    clock.install()
    fixed = FixedClock(dt.datetime(2026, 12, 24, 9, 0, tzinfo=UTC))
    with clock.using(fixed):
        workflow = _workflow(TIMER, "iso(add_working_days(now(), 1))", kind="timeDate")
        workflow.do_engine_steps()
        fixed.set(dt.datetime(2026, 12, 28, 12, 0, tzinfo=UTC))  # the Boxing Day substitute
        workflow.refresh_timers()
        workflow.do_engine_steps()
        assert not workflow.is_completed()
        fixed.set(dt.datetime(2026, 12, 29, 9, 0, 1, tzinfo=UTC))
        workflow.refresh_timers()
        workflow.do_engine_steps()
        assert workflow.is_completed()

# -- names, sizes and errors ----------------------------------------------------------------------


def test_underscore_keys_are_invisible_and_untouched():
    assert evaluate("x", {"_secret": 1, "x": 2}) == 2
    with pytest.raises(SandboxViolationError, match="starts with"):
        evaluate("_secret", {"_secret": 1})
    names = {"_secret": 1, "x": 2}
    execute("x = 3\ndel x\ny = 1", names)
    assert names == {"_secret": 1, "y": 1}


def test_case_data_shadows_helpers():
    assert evaluate("date", {"date": "2026-01-01"}) == "2026-01-01"
    assert evaluate("type == 'urgent'", {"type": "urgent"}) is True  # a withheld builtin's name as a field


def test_results_and_variables_over_the_size_limit():
    with pytest.raises(ExpressionSizeError, match="the result is too large"):
        evaluate("[[0] * 1000 for _ in range(101)]")
    names = {"keep": 1}
    with pytest.raises(ExpressionSizeError, match="the variable 'big' is too large"):
        execute("big = [[0] * 1000 for _ in range(101)]", names)
    assert names == {"keep": 1}
    names = {"items": [1]}
    with pytest.raises(ExpressionSizeError, match="the variable 'items'"):
        execute("for _ in range(101):\n    items.append([0] * 1000)", names)
    assert names == {"items": [1]}


def test_a_failing_script_changes_nothing():
    names = {"items": [1], "tags": {"a": 1}, "n": 1}
    with pytest.raises(ExpressionError, match="division by zero"):
        execute("items.append(2)\ntags['b'] = 2\nn = 5\ndel tags\nx = 1 / 0", names)
    assert names == {"items": [1], "tags": {"a": 1}, "n": 1}
    with pytest.raises(ExpressionError, match="holds a function"):
        execute("items.append(x for x in [1])", names)
    assert names == {"items": [1], "tags": {"a": 1}, "n": 1}


def test_an_expression_must_give_a_value_not_a_function():
    with pytest.raises(ExpressionError, match="not a value"):
        evaluate("lambda: 1")
    with pytest.raises(ExpressionError, match="not a value"):
        evaluate("iter([1])")
    with pytest.raises(ExpressionError, match="holds a function"):
        evaluate("{'f': lambda: 1}")
    names: dict = {}
    with pytest.raises(ExpressionError, match="the variable 'handlers' holds a function"):
        execute("handlers = [(x for x in [1])]", names)
    assert names == {}


@pytest.mark.parametrize("mode, code, message", [
    ("eval", "missing + 1", "name 'missing' is not defined"),
    ("exec", "x = 1\ny = missing", r"name 'missing' is not defined \(line 2\)"),
    ("eval", "1 / 0", "division by zero"),
    ("eval", "1 + 'a'", "unsupported operand"),
    ("eval", "{}['k']", "there is no item 'k'"),
    ("exec", "assert 1 == 2, 'numbers differ'", "assertion failed: numbers differ"),
])
def test_runtime_errors_become_expression_errors_with_plain_messages(mode, code, message):
    with pytest.raises(ExpressionError, match=message) as info:
        evaluate(code) if mode == "eval" else execute(code, {})
    assert type(info.value) is ExpressionError
    assert info.value.__cause__ is not None
    assert info.value.expression == code


def test_syntax_errors_say_so_and_name_the_line():
    with pytest.raises(SandboxViolationError, match="syntax error on line 2"):
        execute("x = 1\ny = (", {})
    [message] = check_source("amount >", "eval")
    assert message.startswith("syntax error on line 1")
    assert check_source("return 1", "exec") == ["syntax error on line 1: 'return' outside function"]


def test_check_source_accepts_good_code():
    assert check_source("amount > 100 and status in ('new', 'open')", "eval") == []
    assert check_source("duration(hours=2)", "eval") == []
    assert check_source("PT2H", "eval") == []  # a name that will not exist: not the compiler's job
    assert check_source("\n      amount > 1\n    ", "eval") == []  # indented inside the XML
    assert check_source("total = sum(x for x in items)\nlabel = f'{total:>5}'", "exec") == []


@pytest.mark.parametrize("mode, code, fragment", [
    ("eval", "__import__('os')", "__import__"),
    ("eval", "x.__class__", "__class__"),
    ("exec", "import os", "import statements are not allowed"),
    ("eval", "open('/etc/passwd')", "'open' is not available"),
    ("exec", "try:\n    pass\nexcept:\n    pass", "try statements are not allowed"),
    ("eval", "'{0.__class__}'.format(x)", "'format' is not available"),
    ("eval", "(x for x in y).gi_frame", "gi_frame"),
    ("eval", "[*items]", "unpacking with *"),
])
def test_check_source_reports_refused_code(mode, code, fragment):
    messages = check_source(code, mode)
    assert messages and any(fragment in m for m in messages), messages
    assert all(m.startswith("Line ") for m in messages)


def test_check_source_refuses_a_bad_mode():
    with pytest.raises(ValueError, match="mode must be"):
        check_source("1", "single")


def test_compiled_code_is_cached():
    source = "amount * 2 + 1  # cache test"
    evaluate(source, {"amount": 1})
    hits = sandbox_policy._compile_cached.cache_info().hits
    assert evaluate(source, {"amount": 2}) == 5
    assert sandbox_policy._compile_cached.cache_info().hits == hits + 1


def test_the_tracer_is_restored_after_success_error_and_timeout():
    before = sys.gettrace()
    evaluate("1 + 1")
    assert sys.gettrace() is before
    with pytest.raises(ExpressionError):
        evaluate("missing")
    assert sys.gettrace() is before
    with pytest.raises(ExpressionTimeoutError):
        execute("while True: pass", {}, time_limit=0.05)
    assert sys.gettrace() is before


def test_a_previous_tracer_is_restored_and_keeps_seeing_other_code():
    seen: list[tuple[str, str]] = []

    def outer(frame, event, arg):
        if event == "call":
            seen.append((frame.f_code.co_filename, frame.f_code.co_name))
        return None

    original = sys.gettrace()  # e.g. coverage's, when the suite runs under it
    sys.settrace(outer)
    try:
        assert evaluate("add_days('2026-01-01', 1)") == dt.date(2026, 1, 2)
        assert sys.gettrace() is outer
        with pytest.raises(ExpressionTimeoutError):
            evaluate("[x for x in iter(int, 1)]", time_limit=0.05)
        assert sys.gettrace() is outer
    finally:
        sys.settrace(original)
    assert any(name == "add_days" for _, name in seen)
    assert not any(filename == FILENAME for filename, _ in seen)


def test_time_limit_must_be_positive():
    with pytest.raises(ValueError):
        evaluate("1", time_limit=0)
    with pytest.raises(ValueError):
        make_script_engine(time_limit=-1)
    assert sandbox.DEFAULT_TIME_LIMIT == 1.0

# -- the SpiffWorkflow engine ---------------------------------------------------------------------


def test_validate_uses_the_sandbox_compiler():
    engine = make_script_engine()
    engine.validate("amount > 1")
    with pytest.raises(SyntaxError):
        engine.validate(">= 1000")
    with pytest.raises(SyntaxError, match="__class__"):
        engine.validate("x.__class__")


def test_spiffworkflow_exceptions_pass_unchanged():
    class Failing(SandboxEnvironment):
        def evaluate(self, expression, context, external_context=None):
            raise original

    workflow = _workflow(GATEWAY, "True")
    task = workflow.get_next_task(state=TaskState.READY)
    original = WorkflowTaskException("from SpiffWorkflow", task=task)
    with pytest.raises(WorkflowTaskException) as info:
        SandboxScriptEngine(environment=Failing()).evaluate(task, "True")
    assert info.value is original


def test_service_tasks_are_refused():
    workflow = _workflow(SCRIPT, "x = 1")
    workflow.do_engine_steps()
    [task] = workflow.get_tasks(spec_name="run_script")
    with pytest.raises(SandboxViolationError, match="service tasks are not available") as info:
        make_script_engine().call_service(task, operation_name="send")
    assert info.value.element_id == "run_script"


def test_environment_execute_mutates_the_context_in_place():
    context = {"a": 1, "gone": 2}
    assert SandboxEnvironment().execute("b = a + 1\ndel gone", context, {"helper_value": 5}) is True
    assert context == {"a": 1, "b": 2}


def test_helper_names():
    for name in ("date", "datetime", "timedelta", "today", "now", "parse_date", "parse_datetime", "iso", "add_days",
                 "add_hours", "add_working_days", "working_days_between", "is_working_day", "age", "age_on",
                 "duration", "len", "min", "max", "sum", "sorted", "range", "str", "isinstance"):
        assert name in HELPER_NAMES
    assert not HELPER_NAMES & {"open", "eval", "exec", "getattr", "type", "__import__", "print"}

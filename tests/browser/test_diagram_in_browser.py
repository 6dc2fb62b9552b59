"""The case page's diagram in Chromium: bpmn-js draws the pathway under the app's own
Content-Security-Policy, the case's tokens are marked on the right elements (loops counted), the
drawing has a name and lets keyboard focus move on, and axe finds nothing serious.

Cases are driven through the engine with the shipped scenarios' steps (no clock steps: the live
server runs on the real clock). Screenshots: tests/browser/screenshots/case-diagram-*.png.
"""
from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import yaml
from playwright.sync_api import expect

from engine.scenarios import _Run
from tests.browser.helpers import check_accessibility, screenshot, sign_in

PROCESSES = Path(__file__).resolve().parents[2] / "processes"
# Recorded before any page script runs (an init script is not subject to the page's CSP).
WATCH_CSP = """document.addEventListener('securitypolicyviolation', (e) => {
  (window.__cspViolations = window.__cspViolations || []).push(e.violatedDirective + ' ' + (e.blockedURI || ''))
})"""


def drive(live_server, scenario: str, steps: int, **start_data) -> int:
    """The first ``steps`` steps of ``processes/<scenario>`` on the live server's engine; the case id.

    ``start_data`` overrides the start step's data (the scenario's dates are on its simulated clock);
    its assertions are skipped for the same reason (timers due on that clock have fired on this one).
    """
    path = PROCESSES / scenario
    doc = yaml.safe_load(path.read_text(encoding="utf-8"))
    run = _Run(live_server.engine, path.parts[-3], doc.get("users") or {})
    for step in doc["steps"][:steps]:
        assert "clock" not in step, "the live server runs on the real clock"
        if "start" in step:
            step["start"]["data"].update(start_data)
        if "assert" not in step:
            run.step(step)
    return run.cases["main"]


def open_case(page, case_id: int, username: str) -> None:
    page.add_init_script(WATCH_CSP)
    sign_in(page, username)
    page.goto(f"/cases/{case_id}")
    # The module names the drawing once it is drawn and marked.
    expect(page.locator("#case-diagram svg[role='img']")).to_have_count(1)


def shape(page, element_id: str):
    return page.locator(f"#case-diagram g.djs-element[data-element-id='{element_id}']")


def badges(page, element_id: str):
    return page.locator(f"#case-diagram .djs-overlays[data-container-id='{element_id}'] .app-case-diagram__badge")


def has(marker: str):
    return re.compile(rf"(^|\s){marker}(\s|$)")


def test_a_refused_sign_off_is_marked_with_its_loop(page, live_server):
    case_id = drive(live_server, "front_door/scenarios/refused-sign-off-nfa.yaml", 9,  # reconsidered
                    contact_received_at=dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"))
    open_case(page, case_id, "duty-social-worker")

    expect(shape(page, "sign_off")).to_have_class(has("app-done"))
    expect(shape(page, "reconsider_decision")).to_have_class(has("app-done"))
    # Back round the loop: the decision was made once and is to be made again.
    expect(shape(page, "early_help_decision")).to_have_class(has("app-active"))
    expect(shape(page, "early_help_decision")).to_have_class(has("app-done"))
    expect(badges(page, "early_help_decision")).to_have_text(["✓", "Now"])
    expect(badges(page, "check_against_suggestion")).to_have_text(["✓ 2"])
    expect(shape(page, "early_help_decision_overdue")).to_have_class(has("app-waiting"))
    expect(badges(page, "early_help_decision_overdue")).to_have_text(["Waiting"])
    expect(shape(page, "flow_refused")).to_have_class(has("app-taken"))
    expect(shape(page, "single_assessment")).not_to_have_class(re.compile(r"app-(done|active|waiting)"))
    expect(shape(page, "flow_single_assessment")).not_to_have_class(has("app-taken"))

    svg = page.locator("#case-diagram svg[role='img']")
    expect(svg).to_have_attribute("aria-label", re.compile(r"^Diagram of the pathway"))
    expect(page.locator("#case-steps-now")).to_contain_text(re.compile(r"Decide whether early help.*\(again\)"))
    expect(page.locator("#case-steps-done")).to_contain_text("(2 times)")
    assert page.evaluate("window.__cspViolations || []") == []

    # Focus goes into the drawing (its arrow keys move it) and Tab moves on: no trap.
    svg.focus()
    viewport = page.locator("#case-diagram .viewport")
    before = viewport.get_attribute("transform")
    page.keyboard.press("ArrowRight")
    expect(viewport).not_to_have_attribute("transform", before)
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.tagName.toLowerCase()") != "svg"
    page.keyboard.press("Shift+Tab")
    assert page.evaluate("document.activeElement.tagName.toLowerCase()") == "svg"

    page.locator("#where-the-case-is").scroll_into_view_if_needed()
    screenshot(page, "case-diagram-front-door-loop")
    check_accessibility(page, "case diagram (front door, refused sign-off)")


def test_the_zoom_buttons_and_a_collapsed_subprocess(page, live_server):
    # Step up: the referral is sent and the Early Help Assessment stays open (a collapsed
    # subprocess) waiting for the outcome message inside it.
    case_id = drive(live_server, "step_up/scenarios/no-outcome-escalation.yaml", 4)
    open_case(page, case_id, "lead-professional")
    expect(shape(page, "await_outcome")).to_have_class(has("app-active"))
    expect(page.locator("#case-steps-waiting")).to_contain_text("Referral outcome received")
    drill = page.locator("#case-diagram button.bjs-drilldown")
    expect(drill).to_have_attribute("aria-label", "Show what is inside this step")

    before = page.locator("#case-diagram .viewport").get_attribute("transform")
    page.get_by_role("button", name="Show the whole pathway").click()
    expect(page.locator("#case-diagram .viewport")).not_to_have_attribute("transform", before)
    page.get_by_role("button", name="Show where the case is now").click()
    expect(page.locator("#case-diagram .viewport")).to_have_attribute("transform", before)
    screenshot(page, "case-diagram-step-up")
    check_accessibility(page, "case diagram (step up, collapsed subprocess)")

    drill.click()  # the subprocess's own plane: the message waited for is marked there
    expect(shape(page, "outcome_received")).to_have_class(has("app-waiting"))
    expect(shape(page, "outcome_received")).to_be_visible()
    screenshot(page, "case-diagram-step-up-inside")
    page.get_by_role("button", name="Show where the case is now").click()  # back to the pathway's plane
    expect(shape(page, "await_outcome")).to_be_visible()
    expect(page.locator("#case-diagram .viewport")).to_have_attribute("transform", before)
    assert page.evaluate("window.__cspViolations || []") == []

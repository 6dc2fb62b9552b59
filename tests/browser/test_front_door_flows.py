"""The front door through the browser, as the people who work it (processes/front_door):

* a contact recorded by a duty social worker, screened, routed to early help, signed off by a team
  manager, supported by an early help coordinator, the outcome recorded and the referrer's letter
  produced;
* an online referral sent from /referral (no sign-in) arriving in the duty social worker's inbox;
* a refused sign-off coming back to the duty social worker, who sees why and decides again.

Only clicks and typing: no request is posted by hand. Screenshots at the key steps go to
tests/browser/screenshots/flow-*.png; axe runs on the pages seen on the way.
"""
from __future__ import annotations

import datetime as dt
import re

from playwright.sync_api import expect

from tests.browser.helpers import (check_accessibility, fill_form, inbox_row, open_inbox_task, screenshot, sign_in,
                                   sign_out, submit)

DUTY, MANAGER, COORDINATOR = "duty-social-worker", "team-manager", "early-help-coordinator"
CONSENT = "Record the family's agreement to talk to others"
INDICATORS = "Record the threshold indicators"
SCREENING = "Initial screening of the enquiry"
EARLY_HELP_DECISION = "Decide whether early help support is needed"
SIGN_OFF = "Sign off the decision"
RECONSIDER = "Reconsider the screening decision"
EARLY_HELP = "Support the referral and signpost to early help"
SIGNPOSTING = "Advise and signpost to universal services"
OUTCOME = "Record the outcome and advise the referrer"


def today() -> str:
    return dt.date.today().isoformat()


def record_contact(page, child: str, concern: str, **extra) -> str:
    """Record a contact from the menu; returns the new case's reference (the case page is shown).

    "When received" is left as the page filled it in (now).
    """
    page.get_by_role("link", name="Record a contact").click()
    fill_form(page, {"child_name": child, "referral_source": "5A", "contact_method": "phone", "concern": concern,
                     **extra})
    submit(page, "Record contact")
    banner = page.locator(".govuk-notification-banner--success")
    expect(banner).to_contain_text("Contact recorded")
    expect(page.get_by_role("heading", level=1)).to_have_text(child)
    return re.search(r"PW-\d+", banner.inner_text()).group(0)


def do_task(page, title: str, values: dict, *, shot: str | None = None) -> None:
    """From the case page: open the task, fill its form, complete it, and be back on the case page."""
    page.locator("#ready-tasks").get_by_role("link", name=title, exact=True).click()
    complete_open_task(page, title, values, shot=shot)


def complete_open_task(page, title: str, values: dict, *, shot: str | None = None) -> None:
    expect(page.get_by_role("heading", level=1)).to_have_text(title)
    fill_form(page, values)
    if shot:
        screenshot(page, shot)
    submit(page, "Complete task")
    expect(page.locator(".govuk-notification-banner--success")).to_contain_text(f"‘{title}’ completed")


def consent_and_indicators(page, **indicators) -> None:
    do_task(page, CONSENT, {"consent_status": "given", "consent_given_by": "parent_or_carer",
                            "consent_relationship": "Mother", "consent_date": today(),
                            "consent_scope": ["contact_other_professionals", "share_information"]})
    do_task(page, INDICATORS, {"developmental_needs": [], "family_environmental_factors": [], "parents_and_carers": [],
                               "significant_harm_suspected": False, "child_in_need_concern": False,
                               "multi_agency_needed": False, **indicators})


def case_detail(page, key: str):
    """The value cell of a row of the case page's "Case details"."""
    return page.locator("#case-data .govuk-summary-list__row").filter(
        has=page.locator("dt", has_text=re.compile(f"^{re.escape(key)}$"))).locator("dd")


def test_contact_screened_signed_off_and_supported_by_early_help(page):
    sign_in(page, DUTY)
    reference = record_contact(page, "Cleo Early", "School says mum is struggling since losing her job.")
    screenshot(page, "flow-early-help-1-contact-recorded")
    consent_and_indicators(page, family_environmental_factors=["early_help.parent_needs_support",
                                                               "early_help.low_income_unemployment"],
                           multi_agency_needed=True)

    page.locator("#ready-tasks").get_by_role("link", name=SCREENING).click()
    suggestion = page.locator("#for-this-decision")
    expect(suggestion).to_contain_text("Suggested level")
    check_accessibility(page, "initial screening with the threshold suggestion")
    complete_open_task(page, SCREENING, {"agrees_with_suggestion": True, "safeguarding_or_cin": False,
                                         "rationale": "No safeguarding concern; the family needs support."},
                       shot="flow-early-help-2-screening")
    do_task(page, EARLY_HELP_DECISION, {"duty_outcome": "early_help_assessment",
                                        "rationale": "Several agencies are needed around the family."})
    expect(page.locator("#ready-tasks")).to_contain_text(SIGN_OFF)
    sign_out(page)

    sign_in(page, MANAGER)
    open_inbox_task(page, reference, SIGN_OFF)
    expect(page.locator("#four-eyes")).to_contain_text(DUTY)  # who decided, and that they cannot sign off
    check_accessibility(page, "sign-off")
    complete_open_task(page, SIGN_OFF, {"signed_off": True}, shot="flow-early-help-3-sign-off")
    expect(case_detail(page, "Signed off")).to_have_text("Yes")
    sign_out(page)

    sign_in(page, COORDINATOR)
    open_inbox_task(page, reference, EARLY_HELP)
    complete_open_task(page, EARLY_HELP, {"route": "early_help_assessment", "signposted_to": "Early Help service"},
                       shot="flow-early-help-4-early-help")
    sign_out(page)

    sign_in(page, DUTY)
    open_inbox_task(page, reference, OUTCOME)
    complete_open_task(page, OUTCOME, {
        "referrer_advised_on": today(), "referrer_advised_how": "letter", "letter_to": "Ms Head Teacher",
        "letter_address": "Hill School, 1 High Street, Leicester LE1 1AA",
        "letter_outcome_summary": "The family has been offered an early help assessment.",
        "letter_next_steps": "The Early Help service will contact the family this week."},
        shot="flow-early-help-5-outcome")
    expect(page.locator("#case-summary")).to_contain_text("Completed")
    expect(page.locator("#no-ready-tasks")).to_be_visible()
    screenshot(page, "flow-early-help-6-case-completed")
    produce_referrer_letter(page, reference)


def produce_referrer_letter(page, reference: str) -> None:
    """From the completed case page: preview the referrer's letter, record it, download its PDF."""
    offer = page.locator("#letter-offer-referrer_outcome")
    expect(offer).to_contain_text("Ready to be produced")
    offer.get_by_role("link", name=re.compile("^Preview and record")).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Outcome letter to the referrer")
    letter = page.locator("#letter")
    expect(letter).to_contain_text(reference)
    expect(letter).to_contain_text("Ms Head Teacher")
    expect(letter).to_contain_text("early help assessment")
    check_accessibility(page, "letter preview")
    screenshot(page, "flow-early-help-7-letter-preview")

    page.get_by_role("button", name="Record letter").click()
    expect(page.locator(".govuk-notification-banner--success")).to_contain_text("recorded on the case")
    expect(page.locator("#letter-details")).to_contain_text(DUTY)
    check_accessibility(page, "recorded letter")
    screenshot(page, "flow-early-help-8-letter-recorded")
    with page.expect_download() as download_info:
        page.get_by_role("button", name="Download PDF").click()
    download = download_info.value
    assert reference in download.suggested_filename and download.suggested_filename.endswith(".pdf")
    with open(download.path(), "rb") as pdf:
        assert pdf.read(5) == b"%PDF-"

    page.get_by_role("link", name=f"Back to case {reference}").click()
    expect(page.locator("#letters-recorded")).to_contain_text("Outcome letter to the referrer")


def test_online_referral_arrives_in_the_duty_inbox(new_page):
    public = new_page()
    public.goto("/referral")
    expect(public.get_by_text("call 999")).to_be_visible()
    fill_form(public, {"child_name": "Dev Online", "child_dob": "2016-05-04", "referrer_name": "Sam Neighbour",
                       "referrer_contact": "07700 900123", "referral_source": "9",
                       "concern": "Dev is often left alone at home late at night."})
    screenshot(public, "flow-referral-1-form")
    submit(public, "Send referral")
    expect(public.locator("#confirmation")).to_contain_text("Referral sent")
    reference = public.locator("#reference").inner_text().strip()
    expect(public.get_by_role("heading", name="What happens next")).to_be_visible()
    screenshot(public, "flow-referral-2-sent")

    duty = new_page()
    sign_in(duty, DUTY)
    row = inbox_row(duty, reference, CONSENT)
    expect(row).to_contain_text("Dev Online")
    expect(row).to_contain_text("Not assigned")
    row.get_by_role("button", name=re.compile("^Claim")).click()
    expect(duty.locator(".govuk-notification-banner--success")).to_be_visible()
    row = inbox_row(duty, reference, CONSENT)
    expect(row).to_contain_text("You")
    screenshot(duty, "flow-referral-3-duty-inbox")
    row.get_by_role("link", name=reference).click()
    expect(case_detail(duty, "Contact method")).to_have_text("online_form")
    expect(case_detail(duty, "Referrer name")).to_have_text("Sam Neighbour")
    expect(duty.locator("#timeline")).to_contain_text(re.compile("started front door referral", re.IGNORECASE))


def test_refused_sign_off_comes_back_with_its_reason(new_page):
    duty, manager = new_page(), new_page()
    sign_in(duty, DUTY)
    reference = record_contact(duty, "Eve Refused", "A neighbour heard shouting once.")
    consent_and_indicators(duty)
    do_task(duty, SCREENING, {"agrees_with_suggestion": True, "safeguarding_or_cin": False,
                              "rationale": "A single incident; the school has no concerns."})
    do_task(duty, EARLY_HELP_DECISION, {"duty_outcome": "advice_and_guidance",
                                        "rationale": "Universal services can support the family."})

    sign_in(manager, MANAGER)
    open_inbox_task(manager, reference, SIGN_OFF)
    fill_form(manager, {"signed_off": False})
    submit(manager, "Complete task")  # no reason given: refused by the form, nothing lost
    expect(manager.locator(".govuk-error-summary")).to_be_visible()
    expect(manager.locator('input[name="signed_off"][value="no"]')).to_be_checked()
    check_accessibility(manager, "sign-off refused without a reason")
    screenshot(manager, "flow-refused-1-reason-missing")
    complete_open_task(manager, SIGN_OFF, {"signed_off": False,
                                           "sign_off_reason": "Check with the health visitor first."},
                       shot="flow-refused-2-reason-given")

    open_inbox_task(duty, reference, RECONSIDER)
    expect(duty.get_by_role("heading", level=1)).to_have_text(RECONSIDER)
    # Why it came back is on the task itself, in the sign-off form's words.
    expect(duty.locator("#for-this-decision")).to_contain_text("Check with the health visitor first.")
    expect(duty.locator("#for-this-decision")).to_contain_text("Do you agree with the decision?")
    screenshot(duty, "flow-refused-3-reconsider")
    duty.get_by_role("link", name="Back to the case").click()
    expect(case_detail(duty, "Signed off")).to_have_text("No")
    expect(case_detail(duty, "Sign off reason")).to_have_text("Check with the health visitor first.")
    screenshot(duty, "flow-refused-4-back-to-duty")
    do_task(duty, RECONSIDER, {"agrees_with_suggestion": True, "safeguarding_or_cin": False,
                               "rationale": "The health visitor has no concerns either."})
    expect(duty.locator("#ready-tasks")).to_contain_text(EARLY_HELP_DECISION)

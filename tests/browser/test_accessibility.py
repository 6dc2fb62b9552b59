"""axe-core (WCAG 2.2 AA) on every page of the app, each as a user who may see it, errors shown too.

Each page is also screenshotted (tests/browser/screenshots/a11y-*.png). ``test_every_page_is_checked``
fails when a page (an HTML GET route) is added without being listed in ``CHECKED`` here.
"""
from __future__ import annotations

import re

from playwright.sync_api import expect

from tests.browser.helpers import check_accessibility, fill_form, inbox_row, screenshot, sign_in, submit

# Every HTML GET route of the app, and the test (of this module unless named) that checks it with axe.
CHECKED = {
    "/": "test_public_pages (redirects to /login)",
    "/login": "test_public_pages",
    "/referral": "test_public_pages",
    "/referral/sent": "test_public_pages",
    "/inbox": "test_practitioner_pages",
    "/contacts/new": "test_practitioner_pages",
    "/cases/<int:case_id>": "test_practitioner_pages",
    "/cases/<int:case_id>/tasks/<task_id>": "test_practitioner_pages",
    "/admin/users": "test_admin_pages",
    "/admin/users/new": "test_admin_pages",
    "/admin/users/<username>": "test_admin_pages",
    "/cases/<int:case_id>/letters/<key>/preview": "test_front_door_flows.py, the referrer's letter",
    "/cases/<int:case_id>/letters/<int:letter_id>": "test_front_door_flows.py, the referrer's letter",
}
NOT_PAGES = ("/api", "/static")
NOT_HTML = (".pdf",)  # downloads, not pages

REFERRAL = {"child_name": "Ada Referral", "referrer_name": "Pat Teacher", "referrer_contact": "pat@school.example",
            "referral_source": "3A", "concern": "Ada came to school hungry three days this week."}


def look(page, name: str) -> None:
    """axe, then a screenshot of the page as it was checked."""
    check_accessibility(page, name)
    screenshot(page, f"a11y-{name}")


def test_public_pages(page):
    page.goto("/")
    expect(page).to_have_url(re.compile(r"/login$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Sign in to Pathways")
    look(page, "login")

    submit(page, "Sign in")
    expect(page.locator(".govuk-error-summary")).to_contain_text("Enter your username")
    expect(page).to_have_title(re.compile(r"^Error: "))
    look(page, "login-errors")

    page.goto("/referral")
    expect(page.get_by_role("heading", level=1)).to_have_text("Tell us you are worried about a child")
    look(page, "referral")

    submit(page, "Send referral")
    expect(page.locator(".govuk-error-summary")).to_be_visible()
    expect(page).to_have_title(re.compile(r"^Error: "))
    look(page, "referral-errors")

    fill_form(page, REFERRAL)
    submit(page, "Send referral")
    expect(page.locator("#confirmation")).to_contain_text("Referral sent")
    look(page, "referral-sent")


def test_practitioner_pages(page):
    sign_in(page, "duty-social-worker")
    page.get_by_role("link", name="Record a contact").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Record a contact")
    look(page, "contact")

    submit(page, "Record contact")
    expect(page.locator(".govuk-error-summary")).to_be_visible()
    look(page, "contact-errors")

    fill_form(page, {"child_name": "Bo Accessible", "referral_source": "1A", "contact_method": "phone",
                     "concern": "Health visitor worried about weight loss."})
    submit(page, "Record contact")
    expect(page.get_by_role("heading", level=1)).to_have_text("Bo Accessible")
    reference = re.search(r"PW-\d+", page.locator(".govuk-notification-banner").inner_text()).group(0)
    look(page, "case")

    page.get_by_role("link", name="Record the family's agreement to talk to others").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Record the family's agreement to talk to others")
    look(page, "task")
    # What only "Given" needs appears under it once chosen: aria-controls on the radio, no aria-expanded
    # (which ARIA does not allow on a radio; web/static/pathways/conditional-reveal.mjs).
    given = page.locator('input[name="consent_status"][value="given"]')
    revealed = page.locator(f'#{given.get_attribute("aria-controls")}')
    expect(revealed).to_be_hidden()
    given.check()
    expect(revealed).to_be_visible()
    expect(revealed.locator('input[name="consent_relationship"]')).to_be_visible()
    assert given.get_attribute("aria-expanded") is None
    look(page, "task-revealed")

    submit(page, "Complete task")
    expect(page.locator(".govuk-error-summary")).to_be_visible()
    look(page, "task-errors")

    row = inbox_row(page, reference, "Record the family's agreement to talk to others")  # the inbox, with items
    expect(row).to_contain_text("Bo Accessible")
    look(page, "inbox")

    page.goto("/admin/users")  # not an administrator: the GOV.UK error page, 403
    expect(page.get_by_role("heading", level=1)).to_have_text("You cannot see this page")
    look(page, "error-403")
    page.goto("/cases/999999")
    expect(page.get_by_role("heading", level=1)).to_have_text("Sorry, there is a problem")
    look(page, "error-case-not-found")
    page.goto("/no-such-page")
    look(page, "error-404")


def test_task_completed_meanwhile(new_page):
    """Someone else completes the task while it is open: said plainly, what was typed kept, axe clean."""
    first, second = new_page(), new_page()
    sign_in(first, "duty-social-worker")
    sign_in(second, "duty-social-worker")
    first.get_by_role("link", name="Record a contact").click()
    fill_form(first, {"child_name": "Cy Conflict", "referral_source": "1A", "contact_method": "phone",
                      "concern": "Two workers open the same task."})
    submit(first, "Record contact")
    first.get_by_role("link", name="Record the family's agreement to talk to others").click()
    second.goto(first.url)
    consent = {"consent_status": "given", "consent_given_by": "parent_or_carer", "consent_relationship": "Father",
               "consent_date": "2026-11-23", "consent_scope": ["contact_other_professionals"]}
    fill_form(second, consent)
    submit(second, "Complete task")
    expect(second.locator(".govuk-notification-banner--success")).to_be_visible()

    fill_form(first, {**consent, "consent_relationship": "Uncle"})
    submit(first, "Complete task")
    expect(first.locator("#conflict")).to_contain_text("Someone else has changed this case")
    # What was typed comes back in the task's own form, with who completed it meanwhile.
    expect(first.locator('input[name="consent_relationship"]')).to_have_value("Uncle")
    expect(first.locator("#completed-by")).to_contain_text("completed it on")
    look(first, "task-conflict")


def test_admin_pages(page):
    sign_in(page, "admin")
    page.get_by_role("link", name="Users", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Users")
    look(page, "admin-users")

    page.get_by_role("button", name="Add a user").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Add a user")
    look(page, "admin-user-new")

    submit(page, "Add user")
    expect(page.locator(".govuk-error-summary")).to_be_visible()
    look(page, "admin-user-new-errors")

    page.get_by_role("link", name="Back to users").click()
    page.get_by_role("link", name="duty-social-worker", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Demo Duty Social Worker")
    look(page, "admin-user")


def test_every_page_is_checked(live_server):
    pages = sorted({rule.rule for rule in live_server.app.url_map.iter_rules()
                    if "GET" in (rule.methods or ()) and not rule.rule.startswith(NOT_PAGES)
                    and not rule.rule.endswith(NOT_HTML)})
    unchecked = [p for p in pages if p not in CHECKED]
    assert not unchecked, f"pages with no accessibility check (add them to CHECKED and a test): {unchecked}"

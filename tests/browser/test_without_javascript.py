"""Every page works without JavaScript: the public referral and a practitioner's contact, JS off."""
from __future__ import annotations

import re

from playwright.sync_api import expect

from tests.browser.helpers import fill_form, screenshot, sign_in, sign_out, submit


def test_referral_and_contact_without_javascript(new_page):
    page = new_page(java_script_enabled=False)
    page.goto("/referral")
    submit(page, "Send referral")
    expect(page.locator(".govuk-error-summary")).to_contain_text("Enter child's name")
    fill_form(page, {"child_name": "Flo NoScript", "referral_source": "1A",
                     "concern": "Flo's grandmother is worried about her."})
    submit(page, "Send referral")
    expect(page.locator("#confirmation")).to_contain_text("Referral sent")
    expect(page.locator("body")).not_to_have_class(re.compile(r"\bjs-enabled\b"))  # really without JavaScript

    sign_in(page, "duty-social-worker")
    page.get_by_role("link", name="Record a contact").click()
    fill_form(page, {"child_name": "Gus NoScript", "referral_source": "8", "contact_method": "email",
                     "concern": "Housing officer found the flat very cold."})
    submit(page, "Record contact")
    expect(page.get_by_role("heading", level=1)).to_have_text("Gus NoScript")
    screenshot(page, "nojs-case")
    sign_out(page)

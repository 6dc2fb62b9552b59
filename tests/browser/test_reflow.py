"""WCAG 2.2 1.4.10 Reflow: at 320 CSS pixels wide the pages need no sideways scrolling.

(A wide data table may scroll sideways inside its own focusable box: the page itself does not.)
"""
from __future__ import annotations

from playwright.sync_api import expect

from tests.browser.helpers import check_accessibility, fill_form, screenshot, sign_in, submit

NARROW = {"width": 320, "height": 640}


def overflow(page) -> int:
    """How far the page is wider than the viewport, in CSS pixels."""
    return page.evaluate("() => document.documentElement.scrollWidth - document.documentElement.clientWidth")


def test_pages_reflow_at_320_pixels(new_page):
    page = new_page(viewport=NARROW)
    wide = {}
    page.goto("/referral")
    wide["referral"] = overflow(page)
    screenshot(page, "reflow-referral")
    sign_in(page, "duty-social-worker")
    page.goto("/contacts/new")
    wide["contact"] = overflow(page)
    fill_form(page, {"child_name": "Ria Narrow", "referral_source": "1A", "contact_method": "phone",
                     "concern": "Checking the pages on a small screen."})
    submit(page, "Record contact")
    expect(page.get_by_role("heading", level=1)).to_have_text("Ria Narrow")
    wide["case"] = overflow(page)
    screenshot(page, "reflow-case")
    page.get_by_role("link", name="Record the family's agreement to talk to others").click()
    wide["task"] = overflow(page)
    screenshot(page, "reflow-task")
    page.goto("/inbox")
    wide["inbox"] = overflow(page)
    check_accessibility(page, "inbox on a narrow screen")  # the table's scrolling box is keyboard-reachable
    screenshot(page, "reflow-inbox")
    assert {k: v for k, v in wide.items() if v > 0} == {}, "pages wider than the screen (CSS pixels too wide)"


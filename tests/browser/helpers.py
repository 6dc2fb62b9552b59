"""Helpers for the browser tests: signing in and out, filling GOV.UK forms, axe, screenshots.

Import them from here (``from tests.browser.helpers import sign_in, fill_form``); they are documented
with the fixtures in ``tests/browser/conftest.py``. They take Playwright pages but do not import
Playwright, so the conftest can load them on a machine without it (and skip with a message).
"""
from __future__ import annotations

import datetime as dt
import json
import re
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
AXE_SOURCE = HERE / "vendor" / "axe.min.js"
SCREENSHOTS = HERE / "screenshots"
DEMO_PASSWORD = "pathways-demo"  # `pathways init --demo` (web/cli.py DEMO_PASSWORD)
# WCAG 2.2 AA, as axe-core tags its rules (wcag22a has no axe rule of its own).
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]
FAILING_IMPACTS = frozenset({"serious", "critical"})
DATE_PARTS = ("day", "month", "year", "hour", "minute", "second")


# -- signing in and out ------------------------------------------------------------------------------

def sign_in(page, username: str, password: str = DEMO_PASSWORD) -> None:
    """Sign in through /login as ``username`` (a demo user by default) and wait for the next page.

    Fails the test if the sign-in page is still shown afterwards (wrong password, unknown user).
    """
    page.goto("/login")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_load_state()
    if page.url.split("?")[0].endswith("/login"):
        pytest.fail(f"signing in as {username!r} failed: still on {page.url}", pytrace=False)


def sign_out(page) -> None:
    """Press "Sign out" in the service navigation and wait for the sign-in page."""
    page.get_by_role("button", name="Sign out").click()
    page.wait_for_url(re.compile(r"/login(\?|$)"))


# -- GOV.UK forms ----------------------------------------------------------------------------------------

def _css_string(value: str) -> str:
    return json.dumps(value)  # a double-quoted CSS string with quotes and backslashes escaped


def _as_text(value: object) -> str:
    """What the browser would send for ``value``: booleans are the Yes/No radios' yes/no."""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    return str(value)


def _date_parts(value: object) -> dict[str, str]:
    """``2026-11-23`` (or a date, datetime, ``2026-11-23T14:30``) as GOV.UK date input parts."""
    if isinstance(value, str):
        text = value.strip().replace("Z", "+00:00")
        value = dt.datetime.fromisoformat(text) if "T" in text or " " in text else dt.date.fromisoformat(text)
    parts = {"day": str(value.day), "month": str(value.month), "year": str(value.year)}
    if isinstance(value, dt.datetime):
        parts.update(hour=f"{value.hour:02d}", minute=f"{value.minute:02d}", second=f"{value.second:02d}")
    return parts


def _date_inputs(root, name: str) -> dict[str, object]:
    """The part inputs of a GOV.UK date (or date and time) input for field ``name``, by part.

    Accepts the usual namings: ``name-day``, ``name_day``, ``name[day]``, ``name.day``.
    """
    found: dict[str, object] = {}
    candidates = root.locator(f"input[name^={_css_string(name)}]")
    pattern = re.compile(re.escape(name) + r"(?:[-_.]|\[)(" + "|".join(DATE_PARTS) + r")\]?$")
    for i in range(candidates.count()):
        control = candidates.nth(i)
        match = pattern.fullmatch(control.get_attribute("name") or "")
        if match:
            found[match.group(1)] = control
    return found


def fill_form(page, values: dict, scope=None) -> None:
    """Fill GOV.UK form fields by their ``name``, whatever the widget on the page.

    * text inputs and textareas: ``str(value)`` (dates as ISO text);
    * radios: the option whose ``value`` is ``str(value)``; ``True``/``False`` pick ``yes``/``no``
      (the Yes/No radios of boolean fields);
    * checkboxes: a list (or tuple/set) of values to tick, every other box of the field unticked; a
      single checkbox takes ``True``/``False``;
    * selects: the option with that value;
    * GOV.UK date inputs (``<name>-day``/``-month``/``-year``, or ``_day``, ``[day]``, ``.day``; the day
      input may be named ``<name>`` itself; ``hour``/``minute`` parts where the page has them): an ISO
      string, ``date`` or ``datetime``, typed as day, month and year numbers.

    ``scope`` is a locator to search within (default: the whole page; pass the form when field names
    repeat). Fails the test, naming the field, when the page has no such field.
    """
    root = scope if scope is not None else page
    # A link clicked just before does not wait for its page: wait until the form is there, so the
    # fields are looked for on the page meant, not the one being left.
    page.wait_for_load_state()
    first = next(iter(values), None)
    if first is not None:
        try:
            root.locator(f"[name^={_css_string(first)}]").first.wait_for(state="attached")
        except Exception:  # noqa: BLE001 - not there after the timeout: the check below names the field
            pass
    for name, value in values.items():
        controls = root.locator(f"[name={_css_string(name)}]")
        parts = _date_inputs(root, name)
        if parts:
            # A GOV.UK date input. Its day input may carry the field's own name (so the error summary's
            # link lands on it), the other parts a suffix.
            if "day" not in parts and controls.count() == 1:
                parts["day"] = controls.first
            wanted = _date_parts(value)
            for part, control in parts.items():
                if part in wanted:
                    control.fill(wanted[part])
            continue
        if controls.count() == 0:
            pytest.fail(f"fill_form: no field named {name!r} on {page.url}", pytrace=False)
        tag, kind = controls.first.evaluate(
            "e => [e.tagName.toLowerCase(), (e.getAttribute('type') || '').toLowerCase()]")
        if kind == "radio":
            option = root.locator(f"input[type=radio][name={_css_string(name)}][value={_css_string(_as_text(value))}]")
            if option.count() == 0:
                pytest.fail(f"fill_form: field {name!r} has no option {_as_text(value)!r} on {page.url}", pytrace=False)
            option.check()
        elif kind == "checkbox":
            if isinstance(value, bool):
                controls.first.set_checked(value)
                continue
            wanted = {_as_text(v) for v in ([value] if isinstance(value, str) else value)}
            present = set()
            for i in range(controls.count()):
                box = controls.nth(i)
                box_value = box.get_attribute("value") or "on"
                present.add(box_value)
                box.set_checked(box_value in wanted)
            if wanted - present:
                pytest.fail(f"fill_form: field {name!r} has no options {sorted(wanted - present)} on {page.url}",
                            pytrace=False)
        elif tag == "select":
            controls.first.select_option(value=_as_text(value))
        elif kind == "hidden":
            pytest.fail(f"fill_form: field {name!r} is hidden on {page.url}: the page sets it, not the user",
                        pytrace=False)
        else:
            controls.first.fill(_as_text(value))


def submit(page, label: str) -> None:
    """Press the button called ``label`` and wait for the page that comes back."""
    page.get_by_role("button", name=label, exact=True).click()
    page.wait_for_load_state()


# -- finding work -----------------------------------------------------------------------------------

def inbox_row(page, reference: str, title: str, max_pages: int = 20):
    """The inbox row of the task ``title`` on case ``reference``, following "Next" page links.

    Opens /inbox first. Returns the row's locator; fails the test if no page lists it.
    """
    page.goto("/inbox")
    for _ in range(max_pages):
        rows = page.locator("table tbody tr").filter(has_text=reference).filter(
            has=page.get_by_role("link", name=title, exact=True))
        if rows.count():
            return rows.first
        following = page.locator(".govuk-pagination__next a")
        if not following.count():
            break
        following.click()
        page.wait_for_load_state()
    pytest.fail(f"no task {title!r} for case {reference} in the inbox ({page.url})", pytrace=False)


def open_inbox_task(page, reference: str, title: str) -> None:
    """Open the task ``title`` of case ``reference`` from the signed-in user's inbox."""
    inbox_row(page, reference, title).get_by_role("link", name=title, exact=True).click()
    page.wait_for_load_state()


# -- accessibility ------------------------------------------------------------------------------------

def _axe_source() -> str:
    if not AXE_SOURCE.exists():
        pytest.fail(f"{AXE_SOURCE} is missing: run `npm ci && bash scripts/build-frontend.sh`", pytrace=False)
    return AXE_SOURCE.read_text(encoding="utf-8")


def check_accessibility(page, name: str) -> dict:
    """Run axe-core (WCAG 2.2 AA tags) on the page as it is; fail on any serious or critical violation.

    axe is evaluated through the DevTools protocol (``page.evaluate``), not added as a ``<script>``:
    the app's Content-Security-Policy (``script-src 'self'``) rightly blocks inline scripts, and the
    page under test keeps that policy. Returns axe's results (violations of every impact).
    """
    if not page.evaluate("() => typeof window.axe === 'object'"):
        page.evaluate(_axe_source())
    results = page.evaluate(
        """async (tags) => {
             const r = await axe.run(document, {runOnly: {type: 'tag', values: tags}, resultTypes: ['violations']});
             return {violations: r.violations.map(v => ({id: v.id, impact: v.impact, help: v.help, helpUrl: v.helpUrl,
                      nodes: v.nodes.map(n => ({target: n.target.join(' '), impact: n.impact, html: n.html,
                                               summary: n.failureSummary}))}))};
           }""",
        AXE_TAGS)
    failing = [v for v in results["violations"] if v["impact"] in FAILING_IMPACTS]
    minor = [f"{v['id']} ({v['impact']})" for v in results["violations"] if v["impact"] not in FAILING_IMPACTS]
    if minor:
        print(f"axe on {name}: minor or moderate: {', '.join(minor)}")
    if failing:
        lines = [f"axe: {len(failing)} serious or critical violation(s) on {name} ({page.url}):"]
        for v in failing:
            lines.append(f"- {v['id']} [{v['impact']}]: {v['help']} ({v['helpUrl']})")
            for node in v["nodes"][:10]:
                lines.append(f"    {node['target']}: {(node['summary'] or '').splitlines()[-1].strip()}")
        pytest.fail("\n".join(lines), pytrace=False)
    return results


# -- screenshots ---------------------------------------------------------------------------------------

def screenshot(page, name: str) -> Path:
    """A full-page PNG at ``tests/browser/screenshots/<name>.png`` (ignored by git); prints its path."""
    SCREENSHOTS.mkdir(exist_ok=True)
    path = SCREENSHOTS / f"{re.sub(r'[^A-Za-z0-9_.-]+', '-', name)}.png"
    page.screenshot(path=str(path), full_page=True)
    print(f"screenshot {name}: {path}")
    return path

"""Browser tests: the real app in a real Chromium (Playwright), with axe-core for accessibility.

Needs Debian's chromium (``$PATHWAYS_CHROMIUM``, default ``/usr/bin/chromium``; ``apt-get install
chromium``) and the Python package playwright (a pinned test dependency). Without either, every test
file here is skipped with a message saying what is missing; ``PATHWAYS_REQUIRE_BROWSER=1`` (set by
``.ci/run``) turns that into a failure. No browser is ever downloaded (never ``playwright install``).

Fixtures:

* ``live_server`` (session): the app of :func:`web.app.create_app` on a temporary SQLite database set
  up by ``pathways init --demo`` itself (the click command: migrations, ``processes/`` and ``forms/``,
  one demo user per role, password ``pathways-demo``), served by Werkzeug in a background thread on a
  port the OS picks. Attributes: ``url`` (``http://127.0.0.1:<port>``), ``engine`` (the app's
  :class:`engine.Engine`, for reading what a test did: ``engine.actor("team-manager")``...),
  ``app``. Shared by every test: make your own cases, and find them by their reference.
* ``browser`` (session): Chromium, headless, launched by path with a fresh profile.
* ``new_page`` (test): a factory; each call gives a page in a fresh browser context (its own
  cookies: one per user when two people work at once), whose relative URLs go to the live server
  (``page.goto("/inbox")``) and whose waits (and ``expect``'s) time out after 10 seconds. Keyword arguments go to
  ``browser.new_context`` (``new_page(java_script_enabled=False)``, another ``viewport``...).
* ``page`` (test): the first such page.
* ``console_errors`` (test): what the test's pages reported: JavaScript errors, console errors
  (Content-Security-Policy violations included), failed requests for page assets, and any 5xx
  answer. The test fails at teardown if there is any; ``console_errors.allow("substring")`` accepts
  an expected one, ``console_errors.check()`` fails at once.

Helpers (``from tests.browser.helpers import ...``):

* ``sign_in(page, username, password="pathways-demo")``: through /login; fails if refused.
* ``sign_out(page)``: the "Sign out" button.
* ``fill_form(page, {field: value}, scope=None)``: fills GOV.UK fields by name whatever the widget:
  text, textarea, radios by value (``True``/``False`` for Yes/No), checkboxes by a list of values,
  select, and GOV.UK date inputs (``<field>-day``/``-month``/``-year`` or similar) from an ISO date.
* ``submit(page, "Button text")``: press a button and wait for the page that comes back.
* ``inbox_row(page, reference, task_title)`` / ``open_inbox_task(page, reference, task_title)``: the
  signed-in user's inbox row for a task of a case (following the pages), or open that task.
* ``check_accessibility(page, name)``: axe-core with the WCAG 2.2 AA tags; fails listing each
  serious or critical violation with its targets. axe is evaluated over the DevTools protocol, so the
  page keeps its Content-Security-Policy (never ``bypass_csp``: CSP breakage is part of the test).
  No serious or critical finding is excused (conditional reveals use our own module, without GOV.UK's
  aria-expanded); minor and moderate ones are printed.
* ``screenshot(page, name)``: a full-page PNG in ``tests/browser/screenshots/`` (ignored by git).
"""
from __future__ import annotations

import os
import shutil
import threading
from dataclasses import dataclass
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
CHROMIUM = os.environ.get("PATHWAYS_CHROMIUM", "/usr/bin/chromium")
REQUIRE_BROWSER = os.environ.get("PATHWAYS_REQUIRE_BROWSER") == "1"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
TIMEOUT_MS = 10_000
# The app as the tests run it: production settings except plain-http cookies and a rate limit on
# /referral that the tests' many referrals from 127.0.0.1 do not reach.
APP_CONFIG = {"SECRET_KEY": "browser-tests", "SESSION_COOKIE_SECURE": False, "REFERRAL_RATE_LIMIT": (10_000, 600),
              "REFERRAL_POST_LIMIT": (10_000, 600)}


def _unavailable() -> str | None:
    """None when the browser tests can run, else what is missing."""
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError as exc:
        return f"the Python package playwright is not installed ({exc}); `bash scripts/test.sh` installs it"
    path = shutil.which(CHROMIUM) if os.sep not in CHROMIUM else (CHROMIUM if os.access(CHROMIUM, os.X_OK) else None)
    if path is None:
        return (f"Chromium not found at {CHROMIUM} (set PATHWAYS_CHROMIUM, or `sudo apt-get install chromium` "
                "on Debian)")
    return None


UNAVAILABLE = _unavailable()


class _BrowserUnavailable(pytest.File):
    """Stands in for a test module of this directory when the browser tests cannot run."""

    def collect(self):
        message = f"browser tests skipped: {UNAVAILABLE}"
        if REQUIRE_BROWSER:
            pytest.fail(message.replace("skipped", "required (PATHWAYS_REQUIRE_BROWSER=1)"), pytrace=False)
        pytest.skip(message, allow_module_level=True)


def pytest_pycollect_makemodule(module_path, parent):
    # Replaces the module before it is imported: test modules may import playwright at the top.
    if UNAVAILABLE is not None and Path(module_path).resolve().is_relative_to(HERE):
        return _BrowserUnavailable.from_parent(parent, path=module_path)
    return None


# -- the live server -----------------------------------------------------------------------------------

@dataclass
class LiveServer:
    url: str
    app: object
    engine: object


def _init_demo_database(url: str) -> None:
    """``pathways init --demo`` on ``url``: the same code path as the README's first command."""
    from click.testing import CliRunner

    from web.cli import main
    result = CliRunner().invoke(main, ["--database", url, "init", "--demo"], obj={})
    if result.exit_code != 0:
        raise RuntimeError(f"pathways init --demo failed ({result.exit_code}):\n{result.output}") from result.exception


@pytest.fixture(scope="session")
def live_server(tmp_path_factory):
    from werkzeug.serving import WSGIRequestHandler, make_server

    from engine import Engine
    from web.app import create_app

    class QuietHandler(WSGIRequestHandler):
        def log_request(self, *args, **kwargs):  # one line per request would drown pytest's output
            pass

    url = f"sqlite:///{tmp_path_factory.mktemp('browser') / 'pathways.sqlite'}"
    _init_demo_database(url)
    engine = Engine(url)
    app = create_app({**APP_CONFIG, "ENGINE": engine})
    server = make_server("127.0.0.1", 0, app, threaded=True, request_handler=QuietHandler)
    thread = threading.Thread(target=server.serve_forever, name="live-server", daemon=True)
    thread.start()
    try:
        yield LiveServer(url=f"http://127.0.0.1:{server.server_port}", app=app, engine=engine)
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)
        engine.dispose()


# -- the browser ------------------------------------------------------------------------------------------

@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import expect, sync_playwright

    expect.set_options(timeout=TIMEOUT_MS)  # as the pages' own waits: a busy machine is not a failure
    with sync_playwright() as playwright:
        # launch() gives a fresh temporary profile (--user-data-dir) and removes it on close.
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        yield chromium
        chromium.close()


class ConsoleErrors:
    """JavaScript errors, console errors (CSP violations among them) and failed asset requests."""

    def __init__(self):
        self.messages: list[str] = []
        self._allowed: list[str] = []
        self.recording = True  # off while the test's contexts close (their last requests are aborted)

    def allow(self, substring: str) -> None:
        """Accept messages containing ``substring`` (an error the test provokes on purpose)."""
        self._allowed.append(substring)

    def unexpected(self) -> list[str]:
        return [m for m in self.messages if not any(a in m for a in self._allowed)]

    def check(self) -> None:
        """Fail the test now if the pages reported anything not allowed."""
        found = self.unexpected()
        if found:
            pytest.fail("the browser reported errors:\n" + "\n".join(f"- {m}" for m in found), pytrace=False)

    def watch(self, page) -> None:
        def record(text: str) -> None:
            if self.recording:
                self.messages.append(text)

        def on_console(message):
            # "Failed to load resource" repeats what on_response reports, and is also logged for a
            # document answered with 400 on purpose (a form sent back with its errors).
            if message.type == "error" and not message.text.startswith("Failed to load resource"):
                record(f"console error on {page.url}: {message.text}")

        def on_response(response):
            # Pages may answer 4xx on purpose (a form sent back with its errors); a 5xx never.
            if response.status >= 500 or (response.status >= 400 and response.request.resource_type != "document"):
                record(f"{response.status} for {response.request.resource_type} {response.url}")

        page.on("console", on_console)
        page.on("pageerror", lambda error: record(f"JavaScript error on {page.url}: {error}"))
        page.on("response", on_response)
        def on_request_failed(request):
            # ERR_ABORTED: the page moved on (a click navigated) before an asset such as the favicon came.
            if "ERR_ABORTED" not in (request.failure or ""):
                record(f"request failed: {request.url} ({request.failure})")

        page.on("requestfailed", on_request_failed)


@pytest.fixture
def console_errors():
    errors = ConsoleErrors()
    yield errors
    errors.check()


@pytest.fixture
def new_page(browser, live_server, console_errors):
    contexts = []

    def make(**options):
        settings = {"base_url": live_server.url, "locale": "en-GB", "timezone_id": "Europe/London",
                    "viewport": {"width": 1280, "height": 900}, **options}
        context = browser.new_context(**settings)
        context.set_default_timeout(TIMEOUT_MS)
        contexts.append(context)
        page = context.new_page()
        console_errors.watch(page)
        return page

    yield make
    console_errors.recording = False
    for context in contexts:
        context.close()


@pytest.fixture
def page(new_page):
    return new_page()

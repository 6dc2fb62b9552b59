"""The Flask application factory.

``create_app`` wires the engine, the JSON API blueprints, the error handlers and the security
headers together. It neither creates nor migrates the database schema: ``pathways init`` does.
"""
from __future__ import annotations

import os
import secrets

from flask import Flask, Response, render_template, request
from flask_wtf.csrf import CSRFError, CSRFProtect
from werkzeug.middleware.proxy_fix import ProxyFix

from engine import Engine
from web import api, api_cases, api_errors, ui_admin, ui_auth, ui_cases, ui_inbox, ui_letters, ui_start
from web.auth import ENGINE_EXTENSION

SECRET_KEY_SETTING = "PATHWAYS_SECRET_KEY"
# Session cookies carry the Secure flag unless this says otherwise ("0", "false", "no", "off"):
# only for trying the app out over plain http on 127.0.0.1 (scripts/start.sh turns it off).
SECURE_COOKIES_SETTING = "PATHWAYS_SECURE_COOKIES"
FALSE_WORDS = frozenset({"0", "false", "no", "off"})
MAX_CONTENT_LENGTH = 1024 * 1024  # 1 MB: forms are small; anything bigger is a mistake or an attack

# Applied to every response unless a view set its own (the HTML app will need a different CSP).
SECURITY_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
    # JSON needs no scripts, styles, frames or anything else a browser might load.
    "Content-Security-Policy": "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'",
    "Cross-Origin-Resource-Policy": "same-origin",
}
# The HTML pages load their own CSS, JS, fonts and images only, and post forms to themselves.
# "same-origin" referrers (not "no-referrer") because Flask-WTF checks the Referer of HTTPS posts.
PAGE_HEADERS = {
    "Content-Security-Policy": "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
                               "font-src 'self'; object-src 'none'; form-action 'self'; frame-ancestors 'none'; "
                               "base-uri 'none'",
    "Referrer-Policy": "same-origin",
}

csrf = CSRFProtect()


def create_app(config: dict | None = None) -> Flask:
    """Build the Pathways web application.

    Args:
        config: Flask settings (``SESSION_COOKIE_SECURE`` defaults to ``$PATHWAYS_SECURE_COOKIES``, on
            unless that says ``0``/``false``, and off when ``TESTING``) plus ``DATABASE_URL`` (default ``$PATHWAYS_DATABASE_URL``, see
            :class:`engine.Engine`), ``SECRET_KEY`` (default ``$PATHWAYS_SECRET_KEY``), ``TESTING``,
            and ``ENGINE``: an already built :class:`engine.Engine` to use instead of making one
            (tests and the scenario runner pass theirs so the app shares their clock),
            ``CONTACT_PATHWAY`` (the pathway "Record a contact" starts, default ``front_door``),
            ``REFERRAL_PATHWAY`` (the pathway the public ``/referral`` form starts, default ``front_door``;
            its manifest must say ``public_start: true``), ``REFERRAL_RATE_LIMIT`` (``(referrals sent,
            seconds)`` per client IP, default 5 per 600; forms sent back with errors do not count),
            ``REFERRAL_POST_LIMIT`` (``(posts of any kind, seconds)`` per client IP, default 50 per 600) and ``PROXY_FIX_X_FOR`` (how many trusted reverse proxies
            set ``X-Forwarded-For``; 0, the default, never trusts it). See :mod:`web.ui_start`.
            ``LOGIN_RATE_LIMIT_PER_USERNAME`` and ``LOGIN_RATE_LIMIT_PER_ADDRESS`` (``(failures, seconds)``,
            default 5 per 900 and 20 per 900): failed sign-ins after which a username or a client address
            is refused until the window passes; see :mod:`web.ui_auth`. Rate limits are counted in the
            database, shared by every worker and instance that shares the database and ``SECRET_KEY``.

    Returns:
        The configured app; its engine is ``app.extensions["pathways_engine"]``.

    Raises:
        TypeError: ``ENGINE`` is not an :class:`engine.Engine`.
        ConfigurationError: the database URL cannot be used.
    """
    settings = dict(config or {})
    given_engine = settings.pop("ENGINE", None)
    if given_engine is not None and not isinstance(given_engine, Engine):
        raise TypeError(f"ENGINE must be an engine.Engine, not {type(given_engine).__name__}")

    app = Flask(__name__)
    app.config.update(MAX_CONTENT_LENGTH=MAX_CONTENT_LENGTH, SESSION_COOKIE_HTTPONLY=True,
                      SESSION_COOKIE_SAMESITE="Lax", SESSION_COOKIE_NAME="pathways_session",
                      PERMANENT_SESSION_LIFETIME=ui_auth.SESSION_LIFETIME,
                      # A form may stay open as long as the session lasts.
                      WTF_CSRF_TIME_LIMIT=int(ui_auth.SESSION_LIFETIME.total_seconds()),
                      REMEMBER_COOKIE_HTTPONLY=True, REMEMBER_COOKIE_SAMESITE="Lax")
    app.config.update(settings)
    if "SESSION_COOKIE_SECURE" not in settings:
        app.config["SESSION_COOKIE_SECURE"] = _secure_cookies(bool(settings.get("TESTING")))
    app.config.setdefault("REMEMBER_COOKIE_SECURE", app.config["SESSION_COOKIE_SECURE"])
    app.config["SECRET_KEY"] = _secret_key(app, settings)
    app.extensions[ENGINE_EXTENSION] = given_engine or Engine(settings.get("DATABASE_URL"))

    app.register_blueprint(api.bp)
    app.register_blueprint(api_cases.bp)
    api_errors.register(app)
    # Every form is CSRF-protected; the JSON API takes bearer tokens only (never the session
    # cookie), so a cross-site page cannot make a browser call it, and it is exempt.
    csrf.init_app(app)
    csrf.exempt(api.bp)
    csrf.exempt(api_cases.bp)
    ui_auth.install(app)
    app.register_blueprint(ui_inbox.bp)
    app.register_blueprint(ui_cases.bp)
    app.register_blueprint(ui_start.bp)
    app.register_blueprint(ui_admin.bp)
    app.register_blueprint(ui_letters.bp)
    if int(app.config.get("PROXY_FIX_X_FOR") or 0) > 0:
        # Behind N trusted reverse proxies, the client address comes from X-Forwarded-For (the
        # referral form's rate limit is per client IP); never trusted unless configured.
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=int(app.config["PROXY_FIX_X_FOR"]))
    app.register_error_handler(CSRFError, _csrf_error)
    app.after_request(_security_headers)
    return app


def _secret_key(app: Flask, settings: dict) -> str:
    key = settings.get("SECRET_KEY") or os.environ.get(SECRET_KEY_SETTING)
    if key:
        return key
    # Sessions signed with a per-process key do not survive a restart nor work across workers:
    # fine for trying things out, wrong for production, hence the warning.
    app.logger.warning("no SECRET_KEY or $%s set: using a random key for this process only (sessions will "
                       "not survive a restart or be shared between workers)", SECRET_KEY_SETTING)
    return secrets.token_hex(32)


def _secure_cookies(testing: bool) -> bool:
    setting = os.environ.get(SECURE_COOKIES_SETTING)
    if setting is None:
        return not testing  # the test client speaks plain http
    return setting.strip().lower() not in FALSE_WORDS


def _csrf_error(error: CSRFError):
    # A missing or stale token: the form was open too long, or the post came from another site.
    return render_template("error.html", title="The form could not be sent",
                           message="The page you sent the form from was out of date. Go back, reload the page "
                                   "and try again."), 400


def _security_headers(response: Response) -> Response:
    is_api = api_errors.is_api_request()
    if not is_api:
        for name, value in PAGE_HEADERS.items():
            response.headers.setdefault(name, value)
        if not request.path.startswith("/static/"):
            # Pages show case data about children: no browser or proxy may keep a copy.
            response.headers["Cache-Control"] = "no-store"
    for name, value in SECURITY_HEADERS.items():
        response.headers.setdefault(name, value)
    if is_api:
        # API answers hold case data about children: no browser or proxy may keep a copy.
        response.headers["Cache-Control"] = "no-store"
        response.headers["Pragma"] = "no-cache"
    return response

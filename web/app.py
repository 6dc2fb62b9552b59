"""The Flask application factory.

``create_app`` wires the engine, the JSON API blueprints, the error handlers and the security
headers together. It neither creates nor migrates the database schema: ``pathways init`` does.
"""
from __future__ import annotations

import os
import secrets

from flask import Flask, Response

from engine import Engine
from web import api, api_cases, api_errors
from web.auth import ENGINE_EXTENSION

SECRET_KEY_SETTING = "PATHWAYS_SECRET_KEY"
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


def create_app(config: dict | None = None) -> Flask:
    """Build the Pathways web application.

    Args:
        config: Flask settings plus ``DATABASE_URL`` (default ``$PATHWAYS_DATABASE_URL``, see
            :class:`engine.Engine`), ``SECRET_KEY`` (default ``$PATHWAYS_SECRET_KEY``), ``TESTING``,
            and ``ENGINE``: an already built :class:`engine.Engine` to use instead of making one
            (tests and the scenario runner pass theirs so the app shares their clock).

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
                      SESSION_COOKIE_SAMESITE="Lax")
    app.config.update(settings)
    app.config["SECRET_KEY"] = _secret_key(app, settings)
    app.extensions[ENGINE_EXTENSION] = given_engine or Engine(settings.get("DATABASE_URL"))

    app.register_blueprint(api.bp)
    app.register_blueprint(api_cases.bp)
    api_errors.register(app)
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


def _security_headers(response: Response) -> Response:
    for name, value in SECURITY_HEADERS.items():
        response.headers.setdefault(name, value)
    if api_errors.is_api_request():
        # API answers hold case data about children: no browser or proxy may keep a copy.
        response.headers["Cache-Control"] = "no-store"
        response.headers["Pragma"] = "no-cache"
    return response

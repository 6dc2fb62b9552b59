"""Signing in and out of the practitioner web app (HTML pages, browser sessions).

* Flask-Login keeps the signed-in username in Flask's signed session cookie. The :class:`engine.Actor`
  is read again from the engine on every request (:func:`_load_user`), so a change of roles takes
  effect at once and a deactivated user is signed out on their next request.
* Passwords are checked by :meth:`engine.Engine.authenticate_password` (argon2 hashes); a wrong
  password and an unknown user get the same message.
* A session lasts :data:`SESSION_LIFETIME` from sign-in, whatever the activity (also enforced on the
  server side, since a cookie's own expiry is only advice to the browser).
* Every form is protected by Flask-WTF's ``CSRFProtect`` (installed in :func:`web.app.create_app`);
  the JSON API authenticates with bearer tokens only and is exempt. Sign-out is a POST form.
* Failed sign-ins are counted in the database (:meth:`engine.Engine.rate_limit_record`), shared by
  every worker and app instance: after ``LOGIN_RATE_LIMIT_PER_USERNAME`` failures for one username
  (default 5 per 15 minutes) or ``LOGIN_RATE_LIMIT_PER_ADDRESS`` from one client address (default 20
  per 15 minutes), further attempts for that key are refused, right password or not, with a 429 and
  a message that does not say whether the username exists (unknown usernames are counted alike),
  until the oldest counted failure is a window old. A successful sign-in is not counted. Keys reach
  the engine as :func:`limit_key` digests, never as addresses or usernames.

The JSON API does not accept the session cookie: :data:`web.auth.ACTOR_SOURCES` stays bearer-only.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import math
import time
from urllib.parse import urlsplit

from flask import Blueprint, Flask, current_app, flash, redirect, render_template, request, session, url_for
from flask_login import LoginManager, UserMixin, current_user, login_required, login_user, logout_user

from engine import Actor, AuthenticationError, PathwaysError, UserNotFoundError
from web.api_errors import status_of
from web.auth import current_engine

SESSION_LIFETIME = dt.timedelta(hours=8)
SIGNED_IN_AT = "pathways_signed_in_at"
CREDENTIAL = "pathways_credential"  # the actor's credential stamp at sign-in (engine.Actor.credential)
MAX_USERNAME = 150
BAD_CREDENTIALS = "Enter a correct username and password"
# (failures, seconds): sign-in attempts are refused for a key once it has this many failures in the window.
DEFAULT_LOGIN_LIMIT_PER_USERNAME = (5, 900)
DEFAULT_LOGIN_LIMIT_PER_ADDRESS = (20, 900)

bp = Blueprint("ui_auth", __name__)
login_manager = LoginManager()


class SessionUser(UserMixin):
    """The signed-in user as Flask-Login sees it: a wrapper round the engine's :class:`engine.Actor`."""

    def __init__(self, actor: Actor):
        self.actor = actor

    def get_id(self) -> str:
        return self.actor.username

    @property
    def display_name(self) -> str:
        return self.actor.display_name or self.actor.username


def current_ui_actor() -> Actor:
    """The signed-in actor (call only from a :func:`flask_login.login_required` view)."""
    return current_user.actor


@login_manager.user_loader
def _load_user(username: str) -> SessionUser | None:
    signed_in_at = session.get(SIGNED_IN_AT)
    if not isinstance(signed_in_at, (int, float)) or time.time() - signed_in_at > SESSION_LIFETIME.total_seconds():
        session.clear()  # expired (or never stamped): sign in again
        return None
    try:
        actor = current_engine().actor(username)
    except UserNotFoundError:
        session.clear()  # deactivated or removed since signing in
        return None
    if session.get(CREDENTIAL) != actor.credential:
        session.clear()  # the password was reset since signing in (perhaps because it was stolen)
        return None
    return SessionUser(actor)


def limit_key(value: str) -> str:
    """A rate-limit key for ``value`` (a client address, a username): an HMAC under the app's secret key.

    The engine stores only a hash of a key; keying it first means a leaked table cannot be reversed by
    hashing every IPv4 address. Every worker and instance must share ``SECRET_KEY`` to share limits
    (as they must to share sessions).
    """
    secret = str(current_app.config["SECRET_KEY"]).encode()
    return hmac.new(secret, value.encode("utf-8", "surrogatepass"), hashlib.sha256).hexdigest()


def _login_limits(username: str) -> list[tuple[str, str, int, float]]:
    """``(bucket, key, failures, seconds)`` for this attempt: per username (case-folded) and per address."""
    config = current_app.config
    per_user = config.get("LOGIN_RATE_LIMIT_PER_USERNAME") or DEFAULT_LOGIN_LIMIT_PER_USERNAME
    per_address = config.get("LOGIN_RATE_LIMIT_PER_ADDRESS") or DEFAULT_LOGIN_LIMIT_PER_ADDRESS
    return [("login-username", limit_key(username.casefold()), *per_user),
            ("login-address", limit_key(request.remote_addr or "unknown"), *per_address)]


def _too_many_attempts(limits) -> str:
    minutes = math.ceil(max(window for *_, window in limits) / 60)
    wait = f"{minutes} minute{'' if minutes == 1 else 's'}"
    return f"There have been too many attempts to sign in. Wait {wait}, then try again"


def safe_next(target: str | None, default: str) -> str:
    """``target`` if it is a path on this site (``/inbox?page=2``), else ``default``.

    Refuses absolute URLs, scheme-relative ``//host`` and the ``/\\host`` form browsers read as one,
    and anything with control characters, so a link cannot send a signed-in user elsewhere.
    """
    if not target or len(target) > 2000 or not target.startswith("/") or target.startswith(("//", "/\\")):
        return default
    if any(ord(ch) < 32 or ch == "\\" for ch in target):
        return default
    parts = urlsplit(target)
    if parts.scheme or parts.netloc:
        return default
    return target


def engine_error_page(error: PathwaysError):
    """An engine error raised by a page, as a GOV.UK error page (never a traceback or JSON)."""
    status = status_of(error)
    if status >= 500:
        current_app.logger.error("%s on %s %s: %s", type(error).__name__, request.method, request.path, error)
        message = "Something went wrong. Try again later; if it keeps happening, tell the service desk."
    else:
        message = str(error)
    return render_template("error.html", title="Sorry, there is a problem", message=message), status


bp.register_error_handler(PathwaysError, engine_error_page)


@bp.route("/login", methods=["GET", "POST"])
def login():
    """The sign-in form; on success, on to the (same-site) ``next`` page or the inbox."""
    next_url = safe_next(request.values.get("next"), url_for("ui_inbox.inbox"))
    if current_user.is_authenticated:
        return redirect(next_url)
    errors: dict[str, str] = {}
    username = ""
    status = 200
    if request.method == "POST":
        username = request.form.get("username", "").strip()[:MAX_USERNAME]
        password = request.form.get("password", "")
        if not username:
            errors["username"] = "Enter your username"
        if not password:
            errors["password"] = "Enter your password"
        engine, limits = current_engine(), _login_limits(username)
        if not errors and any(engine.rate_limit_blocked(*limit) for limit in limits):
            # Refused before the password is checked: a right guess must not be told apart.
            errors["username"], status = _too_many_attempts(limits), 429
        elif not errors:
            try:
                actor = engine.authenticate_password(username, password)  # refuses over-long ones unhashed
            except AuthenticationError:
                for bucket, key, _, window in limits:
                    engine.rate_limit_record(bucket, key, window)
                errors["username"] = BAD_CREDENTIALS
            else:
                session.clear()  # a fresh session (and CSRF token) on sign-in: no session fixation
                login_user(SessionUser(actor))
                session.permanent = True
                session[SIGNED_IN_AT] = time.time()
                session[CREDENTIAL] = actor.credential
                return redirect(next_url, code=303)
    return render_template("login.html", errors=errors, has_errors=bool(errors), username=username,
                           next_url=next_url if next_url != url_for("ui_inbox.inbox") else None), status


@bp.post("/logout")
@login_required
def logout():
    """Sign out (POST only, with the CSRF token): the whole session is cleared."""
    logout_user()
    session.clear()
    flash("You have signed out.", "success")
    return redirect(url_for("ui_auth.login"), code=303)


@bp.get("/")
def home():
    return redirect(url_for("ui_inbox.inbox") if current_user.is_authenticated else url_for("ui_auth.login"))


def install(app: Flask) -> None:
    """Set up Flask-Login on ``app`` and register the sign-in pages."""
    login_manager.init_app(app)
    login_manager.login_view = "ui_auth.login"
    login_manager.login_message = None  # the sign-in page says what to do; no extra banner
    login_manager.session_protection = "basic"
    app.register_blueprint(bp)

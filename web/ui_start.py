"""Starting cases from pages: practitioners recording a contact, and the public online referral form.

* ``/contacts/new`` (signed in): "Record a contact". The start form of the pathway named by
  ``?pathway=`` or, by default, the app config ``CONTACT_PATHWAY`` ("front_door"), rendered from its
  JSON Schema by :mod:`web.ui_forms`; the case is started as the signed-in practitioner.
* ``/referral`` (no sign-in): the online referral form (seed 001 s5.1, the online Multi Agency
  Referral Form). The start form of the pathway named by ``REFERRAL_PATHWAY`` ("front_door"), which
  must say ``public_start: true`` in its manifest (:meth:`engine.Engine.start_public_case`). Internal
  fields are set by the page, not shown: the pathway's manifest names them (``start_fields``:
  ``now`` fields get the current time, ``public`` fields a fixed value), so no Python names a form
  field (each is set only when the form declares it). The emergency numbers come first (seed 000).

Hostile input on ``/referral``: the engine's form validation is the gate (the page also refuses fields
the form does not declare); the body size is capped by ``MAX_CONTENT_LENGTH``; POSTs are rate limited
per client IP (app config ``REFERRAL_RATE_LIMIT`` = ``(posts, seconds)``, default 5 per 10 minutes)
with a 429 page giving the phone numbers. The count is kept in the database
(:meth:`engine.Engine.rate_limit_hit`), so every worker and every app instance shares one allowance;
the address is passed as a keyed digest (:func:`web.ui_auth.limit_key`), never as itself. The client IP is
``request.remote_addr``: behind a reverse proxy that is the proxy's address, so every visitor would
share one allowance. Set the app config ``PROXY_FIX_X_FOR`` to the number of trusted proxies in front
of the app (see :func:`web.app.create_app`) so Werkzeug's ``ProxyFix`` takes the address from
``X-Forwarded-For``; without it that header is never trusted (anyone can send it).
"""
from __future__ import annotations

from flask import (Blueprint, abort, current_app, flash, redirect, render_template, request, session, url_for)
from flask_login import current_user, login_required

from engine import FormValidationError, PathwaysError, PermissionDeniedError
from web.auth import current_engine
from web.ui_auth import current_ui_actor, engine_error_page, limit_key
from web.ui_forms import (ADD, add_item, build_fields, engine_errors, error_summary, field_of, initial_values,
                          read_submission)

DEFAULT_PATHWAY = "front_door"
DEFAULT_RATE_LIMIT = (5, 600)  # referrals sent per client IP, per this many seconds
DEFAULT_POST_LIMIT = (50, 600)  # POSTs of any kind (errors, "add another") per client IP, per seconds
RATE_LIMIT_BUCKET = "referral"
POST_LIMIT_BUCKET = "referral-posts"
MAX_PATHWAY_KEY = 64
REFERENCE_KEY = "pathways_referral_reference"
FORM_KEYS = frozenset({"csrf_token", "action"})  # "action": an "Add another" button

bp = Blueprint("ui_start", __name__)
bp.register_error_handler(PathwaysError, engine_error_page)


def _limits() -> tuple[str, tuple, tuple]:
    key = limit_key(request.remote_addr or "unknown")
    return (key, current_app.config.get("REFERRAL_RATE_LIMIT") or DEFAULT_RATE_LIMIT,
            current_app.config.get("REFERRAL_POST_LIMIT") or DEFAULT_POST_LIMIT)


def post_allowed() -> bool:
    """Count this POST against the client address's allowance of posts (a flood guard); False when used up.

    Raises: ConfigurationError (``REFERRAL_POST_LIMIT`` is not a sensible ``(posts, seconds)``).
    """
    key, _sent, (limit, window) = _limits()
    return current_engine().rate_limit_hit(POST_LIMIT_BUCKET, key, limit, window)


def sending_allowed() -> bool:
    """Whether the client address may send another referral (``REFERRAL_RATE_LIMIT``); counts nothing.

    A referral that fails the form's checks is not counted: only those sent (:func:`count_sent`).
    Raises: ConfigurationError.
    """
    key, (limit, window), _posts = _limits()
    return not current_engine().rate_limit_blocked(RATE_LIMIT_BUCKET, key, limit, window)


def count_sent() -> None:
    """Count a referral sent against the client address's allowance. Raises: ConfigurationError."""
    key, (_limit, window), _posts = _limits()
    current_engine().rate_limit_record(RATE_LIMIT_BUCKET, key, window)


def _now_text() -> str:
    return current_engine().clock.now().isoformat(timespec="seconds")


def _properties(schema: dict | None) -> dict:
    return (schema or {}).get("properties") or {}


def _summary(fields, errors: dict[str, str]) -> list[tuple[str, str]]:
    return error_summary(fields, errors.get("", ""))  # nested fields' errors too, linked to their inputs


def _adding(schema: dict | None, typed: dict) -> bool:
    """An "Add another" button (a list of objects) was pressed: add the item; the page shows the form again."""
    action = request.form.get("action", "")
    return action.startswith(ADD) and add_item(schema, typed, action[len(ADD):])


# -- recording a contact (practitioners) ------------------------------------------------------------

def _default_contact_pathway() -> str:
    return current_app.config.get("CONTACT_PATHWAY") or DEFAULT_PATHWAY


def _contact_pathway() -> str:
    key = request.args.get("pathway") or _default_contact_pathway()
    if len(key) > MAX_PATHWAY_KEY:
        abort(404)
    return key


def _render_contact(pathway: str, schema: dict | None, values: dict, errors: dict[str, str] | None = None,
                    status: int = 200, refused: str = ""):
    errors = errors or {}
    fields = build_fields(schema, values, errors)
    summary = _summary(fields, errors)
    return render_template("contact.html", fields=fields, error_list=summary, has_errors=bool(summary),
                           pathway=pathway, refused=refused,
                           form_title=(schema or {}).get("title") or "Record a contact"), status


@bp.route("/contacts/new", methods=["GET", "POST"])
@login_required
def new_contact():
    """Record a contact: the pathway's start form; the case is started as the signed-in practitioner."""
    engine, pathway = current_engine(), _contact_pathway()
    if not engine.may_start(pathway, current_ui_actor()):
        # Refused before the form is shown: nobody fills in a form only to be told they could not.
        return render_template("error.html", title="You cannot record this contact",
                               message="Recording a contact starts a case, and your roles cannot start this "
                                       "pathway. Ask a colleague who can, or your manager."), 403
    schema = engine.start_form(pathway)
    if request.method == "GET":
        declared = _properties(schema)
        values = {name: _now_text() for name in engine.start_presets(pathway).now if name in declared}
        return _render_contact(pathway, schema, initial_values(schema, values))
    data, typed, errors = read_submission(schema, request.form)
    if _adding(schema, typed):
        return _render_contact(pathway, schema, typed)
    if errors:
        return _render_contact(pathway, schema, typed, errors, 400)
    try:
        case = engine.start_case(pathway, data, current_ui_actor())
    except FormValidationError as error:
        fields = {f.name: f for f in build_fields(schema, typed)}
        return _render_contact(pathway, schema, typed, engine_errors(schema, error.field_errors, fields), 400)
    except PermissionDeniedError as error:
        return _render_contact(pathway, schema, typed, status=403, refused=str(error))
    flash(f"Contact recorded: case {case.reference} started", "success")
    return redirect(url_for("ui_cases.case_page", case_id=case.id), code=303)


@bp.app_context_processor
def _navigation() -> dict:
    """Whether the menu offers "Record a contact": only to those whose roles may start its pathway."""
    def can_record_contact() -> bool:
        if not current_user.is_authenticated:
            return False
        try:
            return current_engine().may_start(_default_contact_pathway(), current_ui_actor())
        except PathwaysError:
            return False  # no such pathway published: nothing to record a contact in
        except Exception:  # noqa: BLE001 - the menu must not break the page (an error page, say) it is on
            current_app.logger.exception("could not work out the Record a contact menu item")
            return False
    return {"can_record_contact": can_record_contact}


# -- the public online referral form -----------------------------------------------------------------

def _referral_pathway() -> str:
    return current_app.config.get("REFERRAL_PATHWAY") or DEFAULT_PATHWAY


def _set_by_page(pathway: str, schema: dict | None) -> dict:
    """The fields the page fills in itself (the manifest's ``start_fields``), for those the form declares."""
    declared, presets = _properties(schema), current_engine().start_presets(pathway)
    preset = {k: v for k, v in presets.public.items() if k in declared}
    preset.update({name: _now_text() for name in presets.now if name in declared})
    return preset


def _render_referral(pathway: str, schema: dict | None, values: dict, errors: dict[str, str] | None = None,
                     status: int = 200, limited: bool = False):
    errors = errors or {}
    hidden = set(_set_by_page(pathway, schema))
    # The fields about the person typing, with their autocomplete purpose (the manifest's
    # start_fields.public_autocomplete), so their browser can fill them in (WCAG 1.3.5).
    ui = {name: {"ui:autocomplete": token}
          for name, token in current_engine().start_presets(pathway).autocomplete.items()}
    fields = [f for f in build_fields(schema, values, errors, ui) if f.name not in hidden]
    summary = _summary(fields, errors)
    return render_template("referral.html", fields=fields, error_list=summary, has_errors=bool(summary),
                           limited=limited), status


@bp.route("/referral", methods=["GET", "POST"])
def referral():
    """The online referral form: no sign-in; rate limited per client IP; the engine validates.

    Two limits per client address: referrals sent (``REFERRAL_RATE_LIMIT``; a form sent back with
    errors does not count), and posts of any kind (``REFERRAL_POST_LIMIT``, a flood guard). Over either,
    the form comes back with what was typed, the phone numbers and status 429: nothing typed is lost.
    """
    engine = current_engine()
    pathway = _referral_pathway()
    schema = engine.start_form(pathway)
    if request.method == "GET":
        return _render_referral(pathway, schema, {})
    if not post_allowed():
        return _limited(pathway, schema)
    preset = _set_by_page(pathway, schema)
    shown = set(_properties(schema)) - set(preset)
    # Inputs are named by field path (a date's month is "<field>-month"): each must belong to a shown field.
    unknown = sorted(k for k in request.form if field_of(schema, k) not in shown and k not in FORM_KEYS)
    data, typed, errors = read_submission(schema, request.form)
    typed = {k: v for k, v in typed.items() if field_of(schema, k) in shown}
    errors = {k: v for k, v in errors.items() if field_of(schema, k) in shown}
    if _adding(schema, typed) and not unknown:
        return _render_referral(pathway, schema, typed)
    if unknown:
        errors[""] = "The form was sent with fields it does not have. Reload the page and try again."
    if errors:
        return _render_referral(pathway, schema, typed, errors, 400)
    if not sending_allowed():
        return _limited(pathway, schema, typed)
    data.update(preset)
    try:
        case = engine.start_public_case(pathway, data)
    except FormValidationError as error:
        fields = {f.name: f for f in build_fields(schema, typed) if f.name in shown}
        return _render_referral(pathway, schema, typed, engine_errors(schema, error.field_errors, fields), 400)
    count_sent()
    session[REFERENCE_KEY] = case.reference
    return redirect(url_for("ui_start.referral_sent"), code=303)


def _limited(pathway: str, schema: dict | None, typed: dict | None = None):
    """Over a limit: the form again, with what was typed (read if not yet), the reason and the phone numbers."""
    if typed is None:
        preset = _set_by_page(pathway, schema)
        shown = set(_properties(schema)) - set(preset)
        _data, typed, _errors = read_submission(schema, request.form)
        typed = {k: v for k, v in typed.items() if field_of(schema, k) in shown}
    message = ("Too many referrals have been sent from this connection recently. What you typed is kept: wait a "
               "few minutes and send it again, or phone the Duty team")
    return _render_referral(pathway, schema, typed, {"": message}, 429, limited=True)


@bp.get("/referral/sent")
def referral_sent():
    """The confirmation: the acknowledgement reference and what happens next (once per referral)."""
    reference = session.pop(REFERENCE_KEY, None)
    if not reference:
        return redirect(url_for("ui_start.referral"))
    return render_template("referral_sent.html", reference=reference)

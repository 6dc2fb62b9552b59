"""User administration pages, for administrators only.

* ``/admin/users``: every user (username, name, roles, active, administrator).
* ``/admin/users/new``: add a user (username, name, password, roles from the known roles, administrator).
* ``/admin/users/<username>``: change roles and the administrator flag, reset the password, deactivate
  or reactivate (``POST .../roles``, ``.../password``, ``.../active``).

The engine decides (:meth:`engine.Engine.add_user` with an actor, ``change_user_roles``,
``set_user_active``, ``reset_password``): it re-checks in the same transaction that the actor is
an active administrator, applies the password rules, refuses self-deactivation and removing the last
administrator, and writes the audit event. These pages turn its errors into the GOV.UK error summary
and field errors, keep what was typed (never a password), and follow POST-redirect-GET with a success
banner. Signed-out visitors go to ``/login``; signed-in users who are not administrators get a 403
page. Every form carries the CSRF token (``CSRFProtect`` checks it before any view runs).
"""
from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import current_user

from engine import (MIN_PASSWORD_LENGTH, FormValidationError, PathwaysError, PermissionDeniedError, UserView,
                    check_password)
from web.auth import current_engine
from web.ui_auth import current_ui_actor, engine_error_page, login_manager
from web.ui_forms import YES_NO, FormField

MAX_TEXT = 300  # characters of a name or username echoed back into a page (the engine's limits are lower)
RESERVED_USERNAMES = frozenset({"new"})  # /admin/users/new is the form, not a user's page
PASSWORD_HINT = (f"At least {MIN_PASSWORD_LENGTH} characters. Three random words make a strong password "
                 "that is easy to remember.")
ROLES_HINT = "The pathway lanes this person works in. Select all that apply. An administrator needs none."
ADMIN_HINT = "Administrators add users, give roles and reset passwords. It gives no access to cases."
NEW_USER_FIELDS = ("username", "display_name", "password", "roles", "admin")  # page order

bp = Blueprint("ui_admin", __name__, url_prefix="/admin")
bp.register_error_handler(PathwaysError, engine_error_page)


@bp.before_request
def _administrators_only():
    if not current_user.is_authenticated:
        return login_manager.unauthorized()  # to /login?next=...
    if not current_ui_actor().admin:
        return render_template("error.html", title="You cannot see this page",
                               message="Only administrators can manage users."), 403
    return None


# -- form pieces -------------------------------------------------------------------------------------

def _sentence(message: str) -> str:
    return message[:1].upper() + message[1:]


def _roles_field(chosen, error: str = "") -> FormField:
    known = sorted(current_engine().known_roles())
    return FormField(name="roles", kind="checkboxes", label="Roles", hint=ROLES_HINT, optional=False,
                     options=[(role, role) for role in known], value=list(chosen), error=error)


def _admin_field(value: str, error: str = "") -> FormField:
    return FormField(name="admin", kind="radios", label="Is this person an administrator?", hint=ADMIN_HINT,
                     optional=False, options=list(YES_NO), value=value, error=error)


def _admin_choice(errors: dict[str, str]) -> bool | None:
    choice = request.form.get("admin", "")
    if choice not in ("yes", "no"):
        errors["admin"] = "Select yes if this person is an administrator"
        return None
    return choice == "yes"


def _field_errors(error: FormValidationError, fallback: str) -> dict[str, str]:
    """The engine's ``{field: [messages]}`` as ``{field: first message}`` (form-level ones on ``fallback``)."""
    found: dict[str, str] = {}
    for name, messages in error.field_errors.items():
        found.setdefault(name or fallback, _sentence(messages[0] if messages else "Check this answer"))
    return found


def _summary(errors: dict[str, str], order) -> list[tuple[str, str]]:
    return sorted(errors.items(), key=lambda item: order.index(item[0]) if item[0] in order else len(order))


# -- the list ------------------------------------------------------------------------------------------

@bp.get("/users")
def users():
    """Every user, by username."""
    return render_template("admin_users.html", users=current_engine().list_users(current_ui_actor()))


# -- adding a user ------------------------------------------------------------------------------------

def _render_new(values: dict, roles, admin: str, errors: dict[str, str] | None = None, status: int = 200):
    errors = errors or {}
    return render_template("admin_user_new.html", values=values, errors=errors, has_errors=bool(errors),
                           error_list=_summary(errors, NEW_USER_FIELDS), password_hint=PASSWORD_HINT,
                           roles_field=_roles_field(roles, errors.get("roles", "")),
                           admin_field=_admin_field(admin, errors.get("admin", ""))), status


@bp.route("/users/new", methods=["GET", "POST"])
def new_user():
    """The form to add a user; on success, on to the new user's page with a banner."""
    if request.method == "GET":
        return _render_new({}, [], "")
    form = request.form
    values = {"username": form.get("username", "").strip()[:MAX_TEXT],
              "display_name": form.get("display_name", "").strip()[:MAX_TEXT]}
    password, roles = form.get("password", ""), form.getlist("roles")
    errors: dict[str, str] = {}
    admin = _admin_choice(errors)
    if values["username"].lower() in RESERVED_USERNAMES:
        errors["username"] = "Choose another username"
    if errors:
        # The engine is not asked (the user would be added): say now what else is wrong.
        if not values["username"]:
            errors.setdefault("username", "Enter a username")
        if not values["display_name"]:
            errors["display_name"] = "Enter the person's name"
        try:
            check_password(password, values["username"])
        except FormValidationError as error:
            errors.update(_field_errors(error, "password"))
        return _render_new(values, roles, form.get("admin", ""), errors, 400)
    try:
        view = current_engine().add_user(values["username"], values["display_name"], roles, password, admin=admin,
                                         actor=current_ui_actor())
    except FormValidationError as error:
        return _render_new(values, roles, form.get("admin", ""), _field_errors(error, "username"), 400)
    flash(f"{view.display_name} ({view.username}) has been added", "success")
    return redirect(url_for("ui_admin.user", username=view.username), code=303)


# -- one user --------------------------------------------------------------------------------------------

def _render_user(view: UserView, *, roles=None, admin: str | None = None, errors: dict[str, str] | None = None,
                 status: int = 200):
    errors = errors or {}
    return render_template(
        "admin_user.html", user=view, errors=errors, has_errors=bool(errors),
        error_list=_summary(errors, ("roles", "admin", "password", "active")), password_hint=PASSWORD_HINT,
        is_me=view.username == current_ui_actor().username,
        roles_field=_roles_field(view.roles if roles is None else roles, errors.get("roles", "")),
        admin_field=_admin_field(("yes" if view.admin else "no") if admin is None else admin,
                                 errors.get("admin", ""))), status


@bp.get("/users/<username>")
def user(username: str):
    """One user: their details and the forms to change roles, reset the password, (de)activate."""
    return _render_user(current_engine().get_user(username, current_ui_actor()))


@bp.post("/users/<username>/roles")
def change_roles(username: str):
    """Save a user's roles and administrator flag; the page again with errors (400) or the refusal of
    one's own or the last administrator flag (403). UserNotFoundError becomes a 404 page."""
    engine, actor = current_engine(), current_ui_actor()
    view = engine.get_user(username, actor)
    roles, errors = request.form.getlist("roles"), {}
    admin = _admin_choice(errors)
    if not errors:
        try:
            view = engine.change_user_roles(username, roles, actor, admin=admin)
        except FormValidationError as error:
            errors = _field_errors(error, "roles")
        except PermissionDeniedError as error:  # one's own or the last administrator flag
            return _render_user(view, roles=roles, admin=request.form.get("admin", ""),
                                errors={"admin": _sentence(str(error))}, status=403)
    if errors:
        return _render_user(view, roles=roles, admin=request.form.get("admin", ""), errors=errors, status=400)
    flash(f"The roles of {view.display_name} ({view.username}) have been saved", "success")
    return redirect(url_for("ui_admin.user", username=username), code=303)


@bp.post("/users/<username>/password")
def reset_password(username: str):
    """Set a new password (their sessions end: engine.Actor.credential); the rules' errors as a 400 page."""
    engine, actor = current_engine(), current_ui_actor()
    view = engine.get_user(username, actor)
    try:
        engine.reset_password(username, request.form.get("password", ""), actor)
    except FormValidationError as error:
        return _render_user(view, errors=_field_errors(error, "password"), status=400)
    flash(f"The password of {view.display_name} ({view.username}) has been reset. Tell them in a safe way, "
          "not by email", "success")
    return redirect(url_for("ui_admin.user", username=username), code=303)


@bp.post("/users/<username>/active")
def set_active(username: str):
    """Deactivate (signed out at once, tokens refused) or reactivate a user; oneself or the last
    administrator is refused (403)."""
    engine, actor = current_engine(), current_ui_actor()
    view = engine.get_user(username, actor)
    active = request.form.get("active") == "yes"
    try:
        view = engine.set_user_active(username, active, actor)
    except PermissionDeniedError as error:  # oneself, or the last administrator
        return _render_user(view, errors={"active": _sentence(str(error))}, status=403)
    if active:
        flash(f"{view.display_name} ({view.username}) has been reactivated", "success")
    else:
        flash(f"{view.display_name} ({view.username}) has been deactivated: they are signed out and cannot "
              "sign in or use API tokens", "success")
    return redirect(url_for("ui_admin.user", username=username), code=303)

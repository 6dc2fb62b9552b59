"""Users, roles, administrators and API tokens.

Passwords are hashed with argon2 (argon2-cffi); API tokens are random and stored only as SHA-256.

Two ways to manage users:

* **The system** (``actor=None``): ``pathways init --demo``, ``pathways user add``, tests and the
  scenario runner. They run with the operator's own access to the database, so nothing is checked
  about who they are, and a password they give is only held to the upper length limit (the CLI
  applies :func:`check_password` itself before calling).
* **An administrator** (``actor`` given): the admin pages. Every call refuses an actor who is not,
  in the database at that moment, an active administrator (:class:`PermissionDeniedError`), applies
  :func:`check_password` to new passwords, and refuses to leave the service without an active
  administrator or to let an administrator deactivate or demote themself.

Every change to a user appends an audit event to the ``users`` chain (who did it, what changed:
username, display name, roles, administrator, active) in the same transaction; never a password or
a hash. On PostgreSQL user changes are serialised by a transaction-scoped advisory lock, so two
administrators acting at once cannot both remove "the other" last administrator, and the audit
chain's next number is never taken twice (SQLite serialises write transactions already).
"""
from __future__ import annotations

import functools
import hashlib
import secrets

import sqlalchemy as sa
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy.orm import Session

from . import audit
from .errors import (AuthenticationError, ConflictError, FormValidationError, PermissionDeniedError,
                     UserNotFoundError)
from .models import ApiToken, Role, User, UserRole
from .runtime import Runtime
from .views import Actor, UserView

# argon2id with argon2-cffi's default parameters (RFC 9106's low-memory profile). The test suite swaps
# in the cheapest profile (tests/conftest.py), as frameworks' test settings do, and checks this one.
_hasher = PasswordHasher()

AUDIT_CHAIN = "users"
# NCSC password guidance: length, not composition rules (no "one capital, one digit..."). Twelve
# characters fits three random words, the NCSC's own advice; 1024 is a ceiling so that a megabyte
# "password" cannot be used to burn CPU in argon2 (web/ui_auth.py refuses longer ones unhashed).
MIN_PASSWORD_LENGTH = 12
MAX_PASSWORD_LENGTH = 1024
MAX_USERNAME = 80
MAX_DISPLAY_NAME = 200
_USERS_LOCK = (0x55_53_52_00, 0)  # "USR": the advisory lock serialising user changes on PostgreSQL


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


# -- rules ----------------------------------------------------------------------------------------

def check_password(password: str | None, username: str = "") -> None:
    """Apply the password rules: 12 to 1024 characters, not the username; no composition rules.

    Raises:
        FormValidationError: ``{"password": [message]}`` saying what to change.
    """
    problem = _password_problem(password, username)
    if problem:
        raise FormValidationError({"password": [problem]})


def _password_problem(password: str | None, username: str = "") -> str | None:
    if not password:
        return "Enter a password"
    if len(password) < MIN_PASSWORD_LENGTH:
        return f"The password must be {MIN_PASSWORD_LENGTH} characters or more"
    if len(password) > MAX_PASSWORD_LENGTH:
        return f"The password must be {MAX_PASSWORD_LENGTH} characters or fewer"
    if username and password.strip().lower() == username.strip().lower():
        return "The password must not be the username"
    return None


def _username_problem(username: str) -> str | None:
    if not username:
        return "Enter a username"
    if len(username) > MAX_USERNAME:
        return f"The username must be {MAX_USERNAME} characters or fewer"
    # It is typed at sign-in and appears in page addresses (/admin/users/<username>).
    if any(ch.isspace() or ord(ch) < 32 or ch in "/\\" for ch in username):
        return "The username must not contain spaces, slashes or control characters"
    return None


def _roles_problem(session: Session, roles: list[str]) -> str | None:
    known = set(session.scalars(sa.select(Role.name)))
    unknown = sorted(set(roles) - known)
    if unknown:
        return f"unknown role(s): {', '.join(unknown)}; known: {', '.join(sorted(known))}"
    return None


# -- helpers --------------------------------------------------------------------------------------

def _view(session: Session, user: User) -> UserView:
    roles = tuple(sorted(session.scalars(sa.select(UserRole.role).where(UserRole.user_id == user.id))))
    return UserView(user.id, user.username, user.display_name, roles, user.active, user.admin)


def _actor(session: Session, user: User) -> Actor:
    roles = frozenset(session.scalars(sa.select(UserRole.role).where(UserRole.user_id == user.id)))
    credential = hashlib.sha256(f"{user.id}:{user.password_hash or ''}".encode()).hexdigest()[:32]
    return Actor(user.id, user.username, roles, user.display_name, user.admin, credential)


def _state(view: UserView) -> dict:
    """What the audit trail records about a user (never a password or its hash)."""
    return {"username": view.username, "display_name": view.display_name, "roles": list(view.roles),
            "admin": view.admin, "active": view.active}


def _serialise(rt: Runtime, session: Session) -> None:
    if rt.db.is_postgres:
        session.execute(sa.select(sa.func.pg_advisory_xact_lock(*_USERS_LOCK)))


def _require_admin(session: Session, actor: Actor | None) -> User:
    """The acting administrator's row, re-read in this transaction (a stale Actor proves nothing).

    Raises: PermissionDeniedError.
    """
    me = session.get(User, actor.user_id) if actor is not None and actor.user_id is not None else None
    if me is None or not me.active or not me.admin:
        raise PermissionDeniedError("only an administrator may manage users")
    return me


def _user(session: Session, username: str) -> User:
    user = session.scalars(sa.select(User).where(User.username == username)).first()
    if user is None:
        raise UserNotFoundError(f"there is no user {username!r}")
    return user


def _other_active_admins(session: Session, user: User) -> int:
    return session.scalar(sa.select(sa.func.count()).select_from(User).where(
        User.admin.is_(True), User.active.is_(True), User.id != user.id)) or 0


def _audit(rt: Runtime, session: Session, actor: Actor | None, action: str, summary: str,
           before: UserView | None, after: UserView) -> None:
    who = actor or Actor.system()
    audit.append(session, chain=AUDIT_CHAIN, case_id=None, at=rt.now(), actor_id=who.user_id,
                 actor_name=who.username, action=action, summary=summary,
                 before=_state(before) if before else None, after=_state(after))


# -- administration -------------------------------------------------------------------------------

def add_user(rt: Runtime, username: str, display_name: str, roles: list[str], password: str | None = None, *,
             admin: bool = False, actor: Actor | None = None) -> UserView:
    """Create a user with roles (and the administrator flag).

    With ``actor`` (an administrator) the display name and a password meeting :func:`check_password`
    are required; without one (the system) the display name defaults to the username and the
    password is optional (a user without one can use API tokens only).

    Raises:
        PermissionDeniedError: ``actor`` is given and is not an active administrator.
        ConflictError: the username is taken (system path).
        FormValidationError: per field (``username``, ``display_name``, ``password``, ``roles``; with
            ``actor``, a taken username is a ``username`` field error), all at once.
    """
    username = (username or "").strip()
    display_name = (display_name or "").strip()
    roles = sorted(set(roles))
    errors: dict[str, list[str]] = {}
    if problem := _username_problem(username):
        errors["username"] = [problem]
    if actor is not None and not display_name:
        errors["display_name"] = ["Enter the person's name"]
    elif len(display_name) > MAX_DISPLAY_NAME:
        errors["display_name"] = [f"The name must be {MAX_DISPLAY_NAME} characters or fewer"]
    if actor is not None:
        if problem := _password_problem(password, username):
            errors["password"] = [problem]
    elif password and len(password) > MAX_PASSWORD_LENGTH:
        errors["password"] = [f"The password must be {MAX_PASSWORD_LENGTH} characters or fewer"]
    # Hashed before the transaction: argon2 takes tens of milliseconds, too long to hold a lock for.
    password_hash = _hasher.hash(password) if password and "password" not in errors else None
    with rt.db.transaction() as session:
        _serialise(rt, session)
        if actor is not None:
            _require_admin(session, actor)
        if problem := _roles_problem(session, roles):
            errors["roles"] = [problem]
        taken = session.scalar(sa.select(User.id).where(User.username == username)) is not None
        if taken and actor is None:
            raise ConflictError(f"the username {username!r} is taken")
        if taken:
            errors["username"] = [f"The username {username} is already taken"]
        if errors:
            raise FormValidationError(errors)
        user = User(username=username, display_name=display_name or username, active=True, admin=bool(admin),
                    created_at=rt.now(), password_hash=password_hash)
        session.add(user)
        session.flush()
        for role in roles:
            session.add(UserRole(user_id=user.id, role=role))
        session.flush()
        view = _view(session, user)
        _audit(rt, session, actor, "user_added", f"added user {username}", None, view)
        return view


def change_roles(rt: Runtime, actor: Actor, username: str, roles: list[str], admin: bool | None = None) -> UserView:
    """Set a user's roles (all of them) and, unless ``admin`` is None, their administrator flag.

    Raises:
        PermissionDeniedError: ``actor`` is not an active administrator, or would remove their own
            administrator flag or the last active administrator's.
        UserNotFoundError: no such user.
        FormValidationError: ``{"roles": [...]}`` naming unknown roles.
    """
    roles = sorted(set(roles))
    with rt.db.transaction() as session:
        _serialise(rt, session)
        me = _require_admin(session, actor)
        user = _user(session, username)
        if problem := _roles_problem(session, roles):
            raise FormValidationError({"roles": [problem]})
        before = _view(session, user)
        if admin is not None and not admin and user.admin:
            if user.id == me.id:
                raise PermissionDeniedError("you cannot remove your own administrator access; "
                                            "ask another administrator")
            if user.active and _other_active_admins(session, user) == 0:
                raise PermissionDeniedError(f"{username} is the last active administrator")
        session.execute(sa.delete(UserRole).where(UserRole.user_id == user.id))
        for role in roles:
            session.add(UserRole(user_id=user.id, role=role))
        if admin is not None:
            user.admin = bool(admin)
        session.flush()
        after = _view(session, user)
        if after != before:
            _audit(rt, session, actor, "user_roles_changed", f"changed the roles of {username}", before, after)
        return after


def set_active(rt: Runtime, actor: Actor, username: str, active: bool) -> UserView:
    """Deactivate (signed out on their next request, tokens refused) or reactivate a user.

    Raises:
        PermissionDeniedError: ``actor`` is not an active administrator, or would deactivate
            themself or the last active administrator.
        UserNotFoundError: no such user.
    """
    with rt.db.transaction() as session:
        _serialise(rt, session)
        me = _require_admin(session, actor)
        user = _user(session, username)
        before = _view(session, user)
        if not active and user.active:
            if user.id == me.id:
                raise PermissionDeniedError("you cannot deactivate yourself; ask another administrator")
            if user.admin and _other_active_admins(session, user) == 0:
                raise PermissionDeniedError(f"{username} is the last active administrator")
        user.active = bool(active)
        session.flush()
        after = _view(session, user)
        if after != before:
            verb = "reactivated" if active else "deactivated"
            _audit(rt, session, actor, f"user_{verb}", f"{verb} {username}", before, after)
        return after


def reset_password(rt: Runtime, actor: Actor, username: str, password: str) -> UserView:
    """Give a user a new password (they sign in with it from now on).

    Sessions already open are not ended (deactivate and reactivate the user for that).

    Raises:
        PermissionDeniedError: ``actor`` is not an active administrator.
        UserNotFoundError: no such user.
        FormValidationError: ``{"password": [...]}`` (see :func:`check_password`).
    """
    problem = _password_problem(password, username)
    password_hash = None if problem else _hasher.hash(password)  # before the transaction, as in add_user
    with rt.db.transaction() as session:
        _serialise(rt, session)
        _require_admin(session, actor)
        user = _user(session, username)
        if problem:
            raise FormValidationError({"password": [problem]})
        user.password_hash = password_hash
        view = _view(session, user)
        _audit(rt, session, actor, "user_password_reset", f"reset the password of {username}", view, view)
        return view


def get_user(rt: Runtime, actor: Actor, username: str) -> UserView:
    """Raises: PermissionDeniedError (not an administrator), UserNotFoundError."""
    with rt.db.reading() as session:
        _require_admin(session, actor)
        return _view(session, _user(session, username))


def list_users(rt: Runtime, actor: Actor | None = None) -> list[UserView]:
    """Every user, by username. With ``actor``, only for an active administrator.

    Raises: PermissionDeniedError.
    """
    with rt.db.reading() as session:
        if actor is not None:
            _require_admin(session, actor)
        roles: dict[int, list[str]] = {}
        for user_id, role in session.execute(sa.select(UserRole.user_id, UserRole.role).order_by(UserRole.role)):
            roles.setdefault(user_id, []).append(role)  # one query for everyone's roles, not one per user
        return [UserView(u.id, u.username, u.display_name, tuple(roles.get(u.id, ())), u.active, u.admin)
                for u in session.scalars(sa.select(User).order_by(User.username))]


# -- who is acting --------------------------------------------------------------------------------

def actor_for(rt: Runtime, username: str) -> Actor:
    """Raises: UserNotFoundError."""
    with rt.db.reading() as session:
        user = session.scalars(sa.select(User).where(User.username == username, User.active.is_(True))).first()
        if user is None:
            raise UserNotFoundError(f"there is no active user {username!r}")
        return _actor(session, user)


def create_token(rt: Runtime, username: str, label: str = "", token: str | None = None) -> str:
    """Issue an API token for ``username`` and return it (shown once; only its hash is kept).

    Raises:
        UserNotFoundError: no such active user.
    """
    token = token or secrets.token_urlsafe(32)
    with rt.db.transaction() as session:
        user_id = session.scalar(sa.select(User.id).where(User.username == username, User.active.is_(True)))
        if user_id is None:
            raise UserNotFoundError(f"there is no active user {username!r}")
        session.add(ApiToken(user_id=user_id, token_hash=_token_hash(token), label=label, created_at=rt.now()))
    return token


def authenticate_token(rt: Runtime, token: str) -> Actor:
    """Raises: AuthenticationError for an unknown or revoked token or an inactive user."""
    with rt.db.reading() as session:
        user = session.scalars(
            sa.select(User).join(ApiToken, ApiToken.user_id == User.id)
            .where(ApiToken.token_hash == _token_hash(token or ""), ApiToken.revoked_at.is_(None),
                   User.active.is_(True))).first()
        if user is None:
            raise AuthenticationError("unknown or revoked token")
        return _actor(session, user)


def authenticate_password(rt: Runtime, username: str, password: str) -> Actor:
    """Raises: AuthenticationError (the same message, and about the same time, whether the user or the
    password is wrong, so neither says which usernames exist)."""
    with rt.db.reading() as session:
        user = session.scalars(sa.select(User).where(User.username == username, User.active.is_(True))).first()
        stored = user.password_hash if user is not None else None
        actor = _actor(session, user) if user is not None else None
    # Hashed after the read, so no pooled connection waits on argon2; an unknown user is checked
    # against a dummy hash so that a wrong username costs what a wrong password does.
    try:
        if password is None or len(password) > MAX_PASSWORD_LENGTH:
            raise VerificationError()  # no account has one this long; hashing a megabyte burns CPU
        _hasher.verify(stored or _dummy_hash(), password)
        if actor is None or not stored:
            raise VerificationError()
    except (VerificationError, InvalidHashError):
        raise AuthenticationError("unknown user or wrong password") from None
    return actor


@functools.cache
def _dummy_hash() -> str:
    """A hash of nothing anyone knows, made once with the hasher in use (the same parameters, the same cost)."""
    return _hasher.hash(secrets.token_urlsafe(16))

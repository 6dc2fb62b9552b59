"""Users, roles and API tokens.

Passwords are hashed with argon2 (argon2-cffi); API tokens are random and stored only as SHA-256.
"""
from __future__ import annotations

import hashlib
import secrets

import sqlalchemy as sa
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from .errors import AuthenticationError, ConflictError, FormValidationError, UserNotFoundError
from .models import ApiToken, Role, User, UserRole
from .runtime import Runtime
from .views import Actor, UserView

_hasher = PasswordHasher()


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _view(session, user: User) -> UserView:
    roles = tuple(sorted(session.scalars(sa.select(UserRole.role).where(UserRole.user_id == user.id))))
    return UserView(user.id, user.username, user.display_name, roles, user.active)


def add_user(rt: Runtime, username: str, display_name: str, roles: list[str], password: str | None = None) -> UserView:
    """Create a user with roles.

    Raises:
        ConflictError: the username is taken.
        FormValidationError: the username is empty or too long, or a role is not a known role.
    """
    username = username.strip()
    if not username or len(username) > 80:
        raise FormValidationError({"username": ["a username must have 1 to 80 characters"]})
    with rt.db.transaction() as session:
        if session.scalar(sa.select(User.id).where(User.username == username)) is not None:
            raise ConflictError(f"the username {username!r} is taken")
        known = set(session.scalars(sa.select(Role.name)))
        unknown = [r for r in roles if r not in known]
        if unknown:
            raise FormValidationError({"roles": [f"unknown role(s): {', '.join(unknown)}; "
                                                 f"known: {', '.join(sorted(known))}"]})
        user = User(username=username, display_name=display_name or username, active=True, created_at=rt.now(),
                    password_hash=_hasher.hash(password) if password else None)
        session.add(user)
        session.flush()
        for role in sorted(set(roles)):
            session.add(UserRole(user_id=user.id, role=role))
        session.flush()
        return _view(session, user)


def actor_for(rt: Runtime, username: str) -> Actor:
    """Raises: UserNotFoundError."""
    with rt.db.reading() as session:
        user = session.scalars(sa.select(User).where(User.username == username, User.active.is_(True))).first()
        if user is None:
            raise UserNotFoundError(f"there is no active user {username!r}")
        return _actor(session, user)


def _actor(session, user: User) -> Actor:
    roles = frozenset(session.scalars(sa.select(UserRole.role).where(UserRole.user_id == user.id)))
    return Actor(user.id, user.username, roles, user.display_name)


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
    """Raises: AuthenticationError (the same message whether the user or the password is wrong)."""
    with rt.db.reading() as session:
        user = session.scalars(sa.select(User).where(User.username == username, User.active.is_(True))).first()
        try:
            if user is None or not user.password_hash:
                raise VerificationError()
            _hasher.verify(user.password_hash, password)
        except (VerificationError, InvalidHashError):
            raise AuthenticationError("unknown user or wrong password") from None
        return _actor(session, user)


def list_users(rt: Runtime) -> list[UserView]:
    with rt.db.reading() as session:
        return [_view(session, u) for u in session.scalars(sa.select(User).order_by(User.username))]

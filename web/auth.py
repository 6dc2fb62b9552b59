"""Who is calling: the :class:`engine.Actor` behind a request.

An actor comes from one of several *sources*, tried in order. Today there is one, the API's
``Authorization: Bearer <token>`` header; the HTML app will add a browser-session source by
appending to :data:`ACTOR_SOURCES` (a session source must come with CSRF protection, since a
cookie, unlike a bearer header, is sent by the browser on cross-site requests).

Tokens are secrets: nothing here logs them or puts them into an error message.
"""
from __future__ import annotations

from typing import Callable

from flask import Blueprint, current_app, g, request

from engine import Actor, AuthenticationError, Engine

ENGINE_EXTENSION = "pathways_engine"
BEARER_CHALLENGE = 'Bearer realm="pathways"'
_PUBLIC_FLAG = "_pathways_public"


def current_engine() -> Engine:
    """The app's :class:`engine.Engine` (set by :func:`web.app.create_app`)."""
    return current_app.extensions[ENGINE_EXTENSION]


def bearer_actor() -> Actor | None:
    """The actor of the request's bearer token, or None when the request carries no ``Authorization``.

    Raises:
        AuthenticationError: the header is not ``Bearer <token>`` or the token is unknown or revoked.
    """
    header = request.headers.get("Authorization")
    if header is None:
        return None
    scheme, _, token = header.strip().partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token:
        # Say what is wrong with the header's shape without echoing it: it may hold a secret.
        raise AuthenticationError("the Authorization header must be 'Bearer <token>'")
    return current_engine().authenticate_token(token)


# Tried in order; the first to return an Actor wins. A source returns None when its kind of
# credentials is absent and raises AuthenticationError when they are present but wrong, so a bad
# token is never silently ignored in favour of a later source.
ACTOR_SOURCES: list[Callable[[], Actor | None]] = [bearer_actor]


def current_actor() -> Actor:
    """The actor making this request (worked out once per request).

    Raises:
        AuthenticationError: no source recognised the request's credentials.
    """
    actor = g.get("pathways_actor")
    if actor is None:
        for source in ACTOR_SOURCES:
            actor = source()
            if actor is not None:
                break
        else:
            raise AuthenticationError("this needs an API token: send 'Authorization: Bearer <token>'")
        g.pathways_actor = actor
    return actor


def public(view: Callable) -> Callable:
    """Mark a view of a protected blueprint as open to anonymous callers."""
    setattr(view, _PUBLIC_FLAG, True)
    return view


def protect(blueprint: Blueprint) -> None:
    """Authenticate every request to ``blueprint`` before its view runs, except :func:`public` views.

    Protecting by default means a new endpoint cannot be left open by forgetting a decorator.
    """
    blueprint.before_request(_authenticate_unless_public)


def _authenticate_unless_public() -> None:
    view = current_app.view_functions.get(request.endpoint or "")
    if view is not None and not getattr(view, _PUBLIC_FLAG, False):
        current_actor()

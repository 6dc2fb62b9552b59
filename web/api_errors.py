"""Turning errors into responses: JSON under ``/api`` (engine errors everywhere), GOV.UK pages elsewhere.

Every body is ``{"error": message}`` plus details (``field_errors``, ``problems``, ``element_id``).
"""
from __future__ import annotations

from flask import Flask, Response, current_app, jsonify, render_template, request
from werkzeug.exceptions import HTTPException, InternalServerError

from engine import (AuthenticationError, ConfigurationError, ConflictError, ExpressionError, FormValidationError,
                    NotFoundError, PathwayInvalidError, PathwaysError, PermissionDeniedError, WorkflowRunError)
from web.auth import BEARER_CHALLENGE

API_PREFIX = "/api"

# Most specific first: the first class the error is an instance of decides its status.
STATUS_OF: tuple[tuple[type[PathwaysError], int], ...] = (
    (AuthenticationError, 401),
    (PermissionDeniedError, 403),
    (NotFoundError, 404),
    (ConflictError, 409),
    (FormValidationError, 422),
    (PathwayInvalidError, 422),
    (ExpressionError, 500),
    (WorkflowRunError, 500),
    (ConfigurationError, 500),
)


def status_of(error: PathwaysError) -> int:
    """The HTTP status an engine error maps to (500 for a kind the table does not know)."""
    return next((status for kind, status in STATUS_OF if isinstance(error, kind)), 500)


def error_body(error: PathwaysError) -> dict:
    """The JSON body for an engine error: its message and the details a client can act on."""
    if isinstance(error, ConfigurationError):
        # The message may name the database URL, password included: keep it in the log only.
        return {"error": "the server is misconfigured; the administrator has the details in the log"}
    body: dict = {"error": str(error)}
    if isinstance(error, FormValidationError):
        body["field_errors"] = {field: list(messages) for field, messages in error.field_errors.items()}
    elif isinstance(error, PathwayInvalidError):
        body["problems"] = [{"file": p.file, "line": p.line, "element_id": p.element_id, "message": p.message}
                            for p in error.problems]
    elif isinstance(error, (ExpressionError, WorkflowRunError)):
        body["element_id"] = error.element_id
    return body


def _engine_error(error: PathwaysError) -> tuple[Response, int]:
    status = status_of(error)
    if status >= 500:
        # Pathway bugs and misconfiguration need someone to act: log them with the element at fault.
        current_app.logger.error("%s on %s %s (element %r): %s", type(error).__name__, request.method,
                                 request.path, getattr(error, "element_id", ""), error)
    response = jsonify(error_body(error))
    if status == 401:
        response.headers["WWW-Authenticate"] = BEARER_CHALLENGE
    return response, status


def is_api_request() -> bool:
    """Whether the current request is for the JSON API (as opposed to an HTML page)."""
    return request.path == API_PREFIX or request.path.startswith(API_PREFIX + "/")


# Pages outside the API answer HTTP errors with a GOV.UK error page (the service's look, plain words).
PAGE_ERRORS = {
    400: ("Sorry, there is a problem with your request", "Go back, reload the page and try again."),
    403: ("You cannot see this page", "Your roles do not allow it. Ask your manager if you need it."),
    404: ("Page not found", "If you typed the web address, check it is correct. If you pasted the web address, "
                            "check you copied the entire address."),
    405: ("Sorry, there is a problem with your request", "This page cannot be used that way. Go back and try "
                                                         "again."),
    413: ("What you sent is too large", "Go back and shorten what you typed, then try again."),
}
SERVICE_PROBLEM = ("Sorry, there is a problem with the service",
                   "Try again later. If it keeps happening, tell the service desk.")


def _error_page(status: int, response=None):
    title, message = PAGE_ERRORS.get(status, SERVICE_PROBLEM if status >= 500 else PAGE_ERRORS[400])
    html = render_template("error.html", title=title, message=message)
    if response is None:
        return html, status
    response.set_data(html)  # keeps the status and headers (such as Allow on a 405)
    response.content_type = "text/html; charset=utf-8"
    return response


def _http_error(error: HTTPException):
    if not is_api_request():
        return _error_page(error.code or 500, error.get_response())
    response = error.get_response()  # keeps headers such as Allow on a 405
    response.set_data(jsonify({"error": error.description}).get_data())
    response.content_type = "application/json"
    return response


def _internal_error(error: InternalServerError):
    # Flask calls this for an unhandled exception (outside testing, which re-raises instead).
    if not is_api_request():
        return _error_page(500)
    return jsonify({"error": "internal server error"}), 500


def register(app: Flask) -> None:
    """Install the handlers on ``app``."""
    app.register_error_handler(PathwaysError, _engine_error)
    app.register_error_handler(InternalServerError, _internal_error)
    app.register_error_handler(HTTPException, _http_error)

"""The JSON API's general endpoints: health, the OpenAPI description, who am I, my inbox.

Case and task endpoints live in :mod:`web.api_cases`. Every endpoint needs a bearer token unless
marked :func:`web.auth.public`; the engine does all the reading and writing.
"""
from __future__ import annotations

from flask import Blueprint, jsonify

from engine import MAX_PER_PAGE, InboxFilter
from web import api_io, openapi
from web.auth import current_actor, current_engine, protect, public

# The engine clamps larger pages than MAX_PER_PAGE silently; the API refuses them so a client is
# never surprised.
DEFAULT_PER_PAGE = 50
# A bound on page numbers keeps the database's OFFSET within range (a huge one is a 500 on PostgreSQL).
MAX_PAGE = 100_000
INBOX_PARAMS = {"pathway", "task", "due_before", "mine", "page", "per_page"}

bp = Blueprint("api", __name__, url_prefix="/api")
protect(bp)


@bp.get("/health")
@public
def health():
    """Liveness: answers without touching the database, so a slow database does not fail it."""
    return jsonify({"status": "ok"})


@bp.get("/openapi.json")
@public
def openapi_json():
    """The OpenAPI 3.1 description of this API."""
    return jsonify(openapi.document())


@bp.get("/me")
def me():
    """The caller: username, display name, roles and how much work is waiting for them."""
    actor = current_actor()
    return jsonify({"username": actor.username, "display_name": actor.display_name, "roles": sorted(actor.roles),
                    "work_counts": current_engine().work_counts(actor)})


@bp.get("/tasks")
def inbox():
    """The caller's inbox: open tasks for their roles and tasks assigned to them, filtered and paged."""
    params = api_io.query_params(INBOX_PARAMS)
    flt = InboxFilter(pathway_key=api_io.text_param(params, "pathway"),
                      element_id=api_io.text_param(params, "task"),
                      due_before=api_io.datetime_param(params, "due_before"),
                      mine_only=api_io.bool_param(params, "mine"))
    page = api_io.int_param(params, "page", 1, 1, MAX_PAGE)
    per_page = api_io.int_param(params, "per_page", DEFAULT_PER_PAGE, 1, MAX_PER_PAGE)
    return jsonify(api_io.work_page_json(current_engine().inbox(current_actor(), flt, page=page, per_page=per_page)))

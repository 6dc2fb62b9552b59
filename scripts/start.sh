#!/usr/bin/env bash
# Set up and start Pathways on SQLite with the shipped pathways and demo users.
# Safe to run again: the database is upgraded in place and unchanged pathways make no new version.
set -euo pipefail
cd "$(dirname "$0")/.."
VENV="${PATHWAYS_VENV:-.venv}"
[ -x "$VENV/bin/python" ] || python3 -m venv "$VENV"
"$VENV/bin/pip" install --quiet --disable-pip-version-check -c requirements.lock -e .
export PATHWAYS_DATABASE_URL="${PATHWAYS_DATABASE_URL:-sqlite:///$PWD/pathways.sqlite}"
"$VENV/bin/pathways" init --demo
# This demo serves plain http on 127.0.0.1, where a browser drops cookies marked Secure, so signing
# in would not stick: turn the flag off here only. Behind HTTPS, leave PATHWAYS_SECURE_COOKIES unset.
export PATHWAYS_SECURE_COOKIES="${PATHWAYS_SECURE_COOKIES:-0}"
exec "$VENV/bin/pathways" serve --host "${HOST:-127.0.0.1}" --port "${PORT:-5000}"

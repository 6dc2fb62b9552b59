#!/usr/bin/env bash
# Run every check: the import rules (import-linter), then the test suite.
# PostgreSQL tests run when PostgreSQL is reachable (PATHWAYS_TEST_POSTGRES_URL, default
# postgresql+psycopg://postgres@127.0.0.1:5432/test) and are skipped with a message otherwise;
# PATHWAYS_REQUIRE_POSTGRES=1 makes an unreachable PostgreSQL a failure (CI sets it).
# Extra arguments go to pytest, e.g. `bash scripts/test.sh tests/integration -x`.
set -euo pipefail
cd "$(dirname "$0")/.."
VENV="${PATHWAYS_VENV:-.venv}"
[ -x "$VENV/bin/python" ] || python3 -m venv "$VENV"
"$VENV/bin/pip" install --quiet --disable-pip-version-check -c requirements.lock -e '.[test]'
"$VENV/bin/lint-imports"
# On every core (pytest-xdist; PATHWAYS_TEST_WORKERS=0 runs in one process), a test file per worker
# so module-scoped fixtures (the role matrix's world, the browser tests' server) are built once each.
# pytest exits 5 when it collects no test; under `set -e` that fails this script, as it should.
"$VENV/bin/python" -m pytest -n "${PATHWAYS_TEST_WORKERS:-auto}" --dist loadfile "$@"


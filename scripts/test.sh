#!/usr/bin/env bash
# `make test`: lint, then the whole suite. Storage tests also run on PostgreSQL when one answers
# on 127.0.0.1:5432 (or DIAGNOSE_TEST_POSTGRES_URL points at one).
set -euo pipefail
cd "$(dirname "$0")/.."
VENV="${VENV:-.venv}"
# Compiled modules and pytest's assertion-rewritten tests are kept between runs, outside the checkout: with
# PYTHONDONTWRITEBYTECODE set (as on the test machine) every xdist worker compiled and rewrote the whole suite
# again on each run (about 10 s of CPU per worker before the first test).
unset PYTHONDONTWRITEBYTECODE
export PYTHONPYCACHEPREFIX="${PYTHONPYCACHEPREFIX:-${XDG_CACHE_HOME:-$HOME/.cache}/diagnose-pycache}"
# `make test-fast` (--fast): lint, then only the tests without the broker, browser, postgres and slow markers.
FAST=""
if [ "${1:-}" = "--fast" ]; then
  shift
  FAST=1
  unset DIAGNOSE_TEST_POSTGRES_URL
  set -- -m "not broker and not browser and not postgres and not slow" "$@"
fi

if [ -z "$FAST" ] && [ -z "${DIAGNOSE_TEST_POSTGRES_URL:-}" ] && "$VENV/bin/python" - <<'PY'
import socket, sys
try:
    socket.create_connection(("127.0.0.1", 5432), timeout=1).close()
except OSError:
    sys.exit(1)
PY
then
  export DIAGNOSE_TEST_POSTGRES_URL="postgresql+psycopg://postgres@127.0.0.1:5432/test"
fi
if [ -n "${DIAGNOSE_TEST_POSTGRES_URL:-}" ]; then
  echo "PostgreSQL tests: on (${DIAGNOSE_TEST_POSTGRES_URL})"
elif [ -n "$FAST" ]; then
  echo "PostgreSQL tests: left out (make test-fast); 'make test' runs them"
else
  echo "PostgreSQL tests: SKIPPED — no server answers on 127.0.0.1:5432 and DIAGNOSE_TEST_POSTGRES_URL is not set;" \
    "run 'scripts/setup.sh dev' as root to install and start one (only SQLite is tested now)" >&2
fi

"$VENV/bin/ruff" check .
"$VENV/bin/ruff" format --check .
"$VENV/bin/mypy" scoring collectors  # strict on the pure core and the collectors (pyproject.toml)
"$VENV/bin/python" scripts/i18n.py --check
# pytest-xdist workers: most tests wait on brokers, sockets, subprocesses and PostgreSQL, so more workers than
# the 2 cores of the CI machine pay off. Tests that must not overlap share an xdist_group (--dist loadgroup).
exec "$VENV/bin/pytest" -q -p no:cacheprovider -n "${DIAGNOSE_TEST_WORKERS:-3}" --dist loadgroup "$@"

#!/usr/bin/env bash
# `make test`: lint, then the whole suite. Storage tests also run on PostgreSQL when one answers
# on 127.0.0.1:5432 (or DIAGNOSE_TEST_POSTGRES_URL points at one).
set -euo pipefail
cd "$(dirname "$0")/.."
VENV="${VENV:-.venv}"

if [ -z "${DIAGNOSE_TEST_POSTGRES_URL:-}" ] && "$VENV/bin/python" - <<'PY'
import socket, sys
try:
    socket.create_connection(("127.0.0.1", 5432), timeout=1).close()
except OSError:
    sys.exit(1)
PY
then
  export DIAGNOSE_TEST_POSTGRES_URL="postgresql+psycopg://postgres@127.0.0.1:5432/test"
fi
echo "PostgreSQL tests: ${DIAGNOSE_TEST_POSTGRES_URL:-off (no server on 127.0.0.1:5432)}"

"$VENV/bin/ruff" check .
"$VENV/bin/ruff" format --check .
"$VENV/bin/python" scripts/i18n.py --check
exec "$VENV/bin/pytest" -q -p no:cacheprovider "$@"

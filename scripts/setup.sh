#!/usr/bin/env bash
# Set-up shared by `make demo` and `make test`: Debian packages (when root and missing), the virtualenv,
# the Python packages at the pinned versions of constraints.txt. Safe to run again; quick when nothing changed.
set -euo pipefail
cd "$(dirname "$0")/.."
kind="${1:-runtime}"           # runtime | dev
VENV="${VENV:-.venv}"

# Debian packages: WeasyPrint's Pango, CJK fonts and chromium (the faster PDF engine) for the report;
# for the tests also mosquitto (the broker), poppler-utils (pdftotext/pdftoppm) and redis-server (the
# deployment test's shared rate limits). chromium also runs the browser tests.
debs=(libpango-1.0-0 libpangoft2-1.0-0 fonts-noto-cjk chromium)
[ "$kind" = dev ] && debs+=(mosquitto poppler-utils redis-server)
missing=()
for p in "${debs[@]}"; do dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing+=("$p"); done
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    echo "installing Debian packages: ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq >/dev/null
    apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  else
    echo "note: missing Debian packages (${missing[*]}); run as root or install them to use every feature" >&2
  fi
fi

PY="${PYTHON:-}"
if [ -z "$PY" ]; then
  for candidate in python3.11 python3; do command -v "$candidate" >/dev/null && { PY="$candidate"; break; }; done
fi
if [ ! -x "$VENV/bin/python" ]; then
  if ! "$PY" -m venv "$VENV" 2>/dev/null; then
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
      apt-get install -y -qq python3-venv >/dev/null && "$PY" -m venv "$VENV"
    else
      echo "cannot create a virtualenv: install python3-venv" >&2; exit 1
    fi
  fi
fi

stamp="$VENV/.installed-$kind"
if [ ! -f "$stamp" ] || [ pyproject.toml -nt "$stamp" ] || [ constraints.txt -nt "$stamp" ]; then
  "$VENV/bin/python" -m pip install -q --upgrade pip setuptools wheel
  # demo: the embedded broker (amqtt) `make demo` falls back to without Mosquitto; the tests cover it too.
  # chromium-pdf: Playwright, which drives Debian's chromium to print reports (WeasyPrint without it).
  extra="[demo,chromium-pdf]"; [ "$kind" = dev ] && extra="[dev,demo,chromium-pdf]"
  "$VENV/bin/python" -m pip install -q -c constraints.txt -e ".${extra}"
  touch "$stamp"
fi

# PostgreSQL for the storage tests (dev): the suite runs them on SQLite and on a PostgreSQL answering on
# 127.0.0.1:5432 (database `test`, user postgres, trust auth on loopback). When none answers, root installs
# Debian's postgresql, starts its cluster with pg_ctlcluster and makes that database; others get told why
# the PostgreSQL tests will be skipped.
pg_answers() { (exec 3<>/dev/tcp/127.0.0.1/5432) 2>/dev/null; }
if [ "$kind" = dev ] && [ -z "${DIAGNOSE_TEST_POSTGRES_URL:-}" ] && ! pg_answers; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    if ! command -v pg_lsclusters >/dev/null || [ -z "$(pg_lsclusters -h 2>/dev/null)" ]; then
      echo "installing PostgreSQL (Debian package postgresql) for the storage tests"
      export DEBIAN_FRONTEND=noninteractive
      apt-get update -qq >/dev/null
      apt-get install -y -qq --no-install-recommends postgresql >/dev/null
    fi
    read -r pg_version pg_cluster _ < <(pg_lsclusters -h | head -n 1)
    pg_conf="/etc/postgresql/$pg_version/$pg_cluster"
    hba="$pg_conf/pg_hba.conf"
    if ! grep -q "^host all all 127.0.0.1/32 trust" "$hba"; then
      # Loopback only, for the test database of a development machine: first matching line wins.
      sed -i '1i host all all 127.0.0.1/32 trust' "$hba"
    fi
    grep -q "^port = 5432" "$pg_conf/postgresql.conf" || echo "note: cluster $pg_version/$pg_cluster is not on port 5432" >&2
    pg_ctlcluster "$pg_version" "$pg_cluster" start 2>/dev/null || pg_ctlcluster "$pg_version" "$pg_cluster" reload
    for _ in $(seq 1 30); do pg_answers && break; sleep 1; done
    if pg_answers; then
      runuser -u postgres -- psql -h 127.0.0.1 -qtAc "SELECT 1 FROM pg_database WHERE datname = 'test'" | grep -q 1 \
        || runuser -u postgres -- createdb -h 127.0.0.1 test
      echo "PostgreSQL $pg_version/$pg_cluster answers on 127.0.0.1:5432 (database test): storage tests run on it too"
    else
      echo "note: PostgreSQL $pg_version/$pg_cluster did not start; PostgreSQL tests will be skipped" >&2
    fi
  else
    echo "note: no PostgreSQL answers on 127.0.0.1:5432 and installing one needs root (apt-get):" \
      "the PostgreSQL storage tests will be skipped (set DIAGNOSE_TEST_POSTGRES_URL to use another server)" >&2
  fi
fi

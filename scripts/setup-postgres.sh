#!/usr/bin/env bash
# PostgreSQL for the storage tests: the suite runs them on SQLite and on a PostgreSQL answering on
# 127.0.0.1:5432 (database `test`, user postgres, trust auth on loopback). When none answers, root installs
# Debian's postgresql (which makes its cluster), or makes a cluster when the package is there without one,
# starts it with pg_ctlcluster and makes that database; others are told why the PostgreSQL tests will be
# skipped. Called by `scripts/setup.sh dev`; tests/test_setup_postgres.py runs it in a network and mount
# namespace of its own, where nothing answers and no cluster exists.
set -euo pipefail

pg_answers() { (exec 3<>/dev/tcp/127.0.0.1/5432) 2>/dev/null; }
clusters() { command -v pg_lsclusters >/dev/null && pg_lsclusters -h 2>/dev/null || true; }

pg_answers && exit 0
if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null; then
  echo "note: no PostgreSQL answers on 127.0.0.1:5432 and installing one needs root (apt-get):" \
    "the PostgreSQL storage tests will be skipped (set DIAGNOSE_TEST_POSTGRES_URL to use another server)" >&2
  exit 0
fi
if ! dpkg-query -W -f='${Status}' postgresql 2>/dev/null | grep -q "ok installed"; then
  echo "installing PostgreSQL (Debian package postgresql) for the storage tests"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >/dev/null
  apt-get install -y -qq --no-install-recommends postgresql >/dev/null
fi
if [ -z "$(clusters)" ]; then
  version="$(ls /usr/lib/postgresql | sort -V | tail -n 1)"
  echo "making PostgreSQL cluster $version/main"
  pg_createcluster "$version" main --port 5432 >/dev/null
fi
read -r pg_version pg_cluster _ < <(clusters | head -n 1)
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

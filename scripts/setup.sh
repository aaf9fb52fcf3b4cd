#!/usr/bin/env bash
# Set-up shared by `make demo` and `make test`: Debian packages (when root and missing), the virtualenv,
# the Python packages at the pinned versions of constraints.txt. Safe to run again; quick when nothing changed.
set -euo pipefail
cd "$(dirname "$0")/.."
kind="${1:-runtime}"           # runtime | dev
VENV="${VENV:-.venv}"

# Debian packages: WeasyPrint's Pango, CJK fonts and chromium (the faster PDF engine) for the report;
# for the tests also mosquitto (the broker), poppler-utils (pdftotext/pdftoppm), redis-server (the
# deployment test's shared rate limits) and nginx-light (`nginx -t` checks deploy/nginx.conf). chromium
# also runs the browser tests.
debs=(libpango-1.0-0 libpangoft2-1.0-0 fonts-noto-cjk chromium)
[ "$kind" = dev ] && debs+=(mosquitto poppler-utils redis-server nginx-light)

deb_missing() { ! dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q "ok installed"; }
can_apt() { [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; }

# apt-get install, without letting a package start its daemon where that would be in the way: nginx would
# take port 80 for a config check. A policy-rc.d answering 101 ("forbidden") stops invoke-rc.d and
# deb-systemd-invoke from starting it; one the machine has already (Docker images ship one) decides instead.
apt_install() {
  local policy=/usr/sbin/policy-rc.d own_policy="" status=0
  if [ ! -e "$policy" ]; then
    printf '%s\n' '#!/bin/sh' '# scripts/setup.sh of diagnose, while it installs packages: nginx is not started' \
      'for arg in "$@"; do [ "$arg" = nginx ] && exit 101; done' 'exit 0' > "$policy"
    chmod 755 "$policy"
    own_policy=1
  fi
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >/dev/null
  apt-get install -y -qq --no-install-recommends "$@" >/dev/null || status=$?
  [ -n "$own_policy" ] && rm -f "$policy"
  # Not started now, and not at the next boot either (the package enables its unit).
  if [[ " $* " == *" nginx-light "* ]] && [ -d /run/systemd/system ]; then systemctl disable --quiet nginx || true; fi
  return "$status"
}

missing=()
for p in "${debs[@]}"; do deb_missing "$p" && missing+=("$p"); done
if [ ${#missing[@]} -gt 0 ]; then
  if can_apt; then
    echo "installing Debian packages: ${missing[*]}"
    apt_install "${missing[@]}"
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

# PostgreSQL for the storage tests (dev): installed and started when none answers (scripts/setup-postgres.sh).
if [ "$kind" = dev ] && [ -z "${DIAGNOSE_TEST_POSTGRES_URL:-}" ]; then
  scripts/setup-postgres.sh
fi

# pg_partman for a PostgreSQL of this machine (the tests' in dev; in runtime, one the installation runs
# here): it manages telemetry's day partitions (migration 0016), and `diagnose init-db` refuses a
# PostgreSQL without it, naming this package.
if command -v pg_lsclusters >/dev/null; then
  for pg_version in $(pg_lsclusters -h 2>/dev/null | awk '{print $1}' | sort -u); do
    partman="postgresql-$pg_version-partman"
    deb_missing "$partman" || continue
    if can_apt; then
      echo "installing Debian package $partman (pg_partman manages telemetry's day partitions)"
      apt_install "$partman"
    else
      echo "note: Debian package $partman is missing and installing it needs root (apt-get):" \
        "\`diagnose init-db\` refuses PostgreSQL $pg_version without it (telemetry's day partitions);" \
        "install it, then run \`diagnose init-db\`" >&2
    fi
  done
fi

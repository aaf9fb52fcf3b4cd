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

# PostgreSQL for the storage tests (dev): installed and started when none answers (scripts/setup-postgres.sh).
if [ "$kind" = dev ] && [ -z "${DIAGNOSE_TEST_POSTGRES_URL:-}" ]; then
  scripts/setup-postgres.sh
fi


"""`scripts/setup-postgres.sh` on a machine where no PostgreSQL answers: run in a network and mount namespace
of its own (loopback only, empty cluster folders), so the machine's own server is neither seen nor touched."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SCRIPT = ROOT / "scripts" / "setup-postgres.sh"
FOLDERS = ("/etc/postgresql", "/var/lib/postgresql", "/var/run/postgresql", "/var/log/postgresql")


def _installed(package: str) -> bool:
    found = subprocess.run(["dpkg-query", "-W", "-f=${Status}", package], capture_output=True, text=True)
    return "ok installed" in found.stdout


pytestmark = pytest.mark.skipif(
    os.geteuid() != 0
    or not all(shutil.which(tool) for tool in ("unshare", "ip", "pg_createcluster", "runuser", "dpkg-query"))
    or not _installed("postgresql"),
    reason="needs root, unshare, and Debian's postgresql package (scripts/setup.sh dev installs it as root)",
)


def _in_namespace(script: str) -> subprocess.CompletedProcess[str]:
    prelude = "set -e; ip link set lo up; " + "; ".join(f"mount -t tmpfs tmpfs {d}" for d in FOLDERS)
    prelude += "; chown postgres:postgres /var/lib/postgresql /var/run/postgresql /var/log/postgresql"
    prelude += "; chmod 2775 /var/run/postgresql; "
    return subprocess.run(
        ["unshare", "--net", "--mount", "--fork", "bash", "-c", prelude + script],
        cwd=ROOT, capture_output=True, text=True, timeout=120,
    )  # fmt: skip


def test_root_makes_starts_and_fills_a_cluster_when_none_answers() -> None:
    done = _in_namespace(
        f"{SCRIPT}; "
        "runuser -u postgres -- psql -h 127.0.0.1 -d test -qtAc 'SELECT current_database()'; "
        "pg_ctlcluster $(pg_lsclusters -h | awk '{print $1, $2}') stop"
    )
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert any(line.startswith("making PostgreSQL cluster") for line in lines)
    assert any("answers on 127.0.0.1:5432 (database test)" in line for line in lines)
    assert lines[-1] == "test"  # the suite's database, reached over TCP with trust on loopback


def test_a_second_run_finds_it_answering_and_changes_nothing() -> None:
    done = _in_namespace(
        f"{SCRIPT} && {SCRIPT}; pg_ctlcluster $(pg_lsclusters -h | awk '{{print $1, $2}}') stop"
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.count("making PostgreSQL cluster") == 1
    assert done.stdout.count("answers on 127.0.0.1:5432") == 1  # the second run saw it answer and left


def test_without_root_it_says_the_postgresql_tests_are_skipped_and_why() -> None:
    done = _in_namespace(f"runuser -u nobody -- bash {SCRIPT}")
    assert done.returncode == 0
    assert "installing one needs root" in done.stderr
    assert "PostgreSQL storage tests will be skipped" in done.stderr

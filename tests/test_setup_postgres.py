"""`scripts/setup-postgres.sh` on a machine where no PostgreSQL answers: run in a network and mount namespace
of its own (loopback only, empty cluster folders), so the machine's own server is neither seen nor touched."""

from __future__ import annotations

import os
import shlex
import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SCRIPT = ROOT / "scripts" / "setup-postgres.sh"
FOLDERS = ("/etc/postgresql", "/var/lib/postgresql", "/var/run/postgresql", "/var/log/postgresql")


def _installed(package: str) -> bool:
    found = subprocess.run(["dpkg-query", "-W", "-f=${Status}", package], capture_output=True, text=True)
    return "ok installed" in found.stdout


pytestmark = [
    pytest.mark.postgres,
    pytest.mark.skipif(
        os.geteuid() != 0
        or not all(
            shutil.which(tool) for tool in ("unshare", "ip", "pg_createcluster", "runuser", "dpkg-query")
        )
        or not _installed("postgresql"),
        reason="needs root, unshare, and Debian's postgresql package (scripts/setup.sh dev installs it as root)",
    ),
]


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
    # `nobody` runs a copy in a folder everyone may enter: the checkout may sit where only its owner can (such
    # as /root, mode 700), and the script needs nothing else from it.
    folder = Path(tempfile.mkdtemp(prefix="diagnose-setup-postgres-", dir="/tmp"))
    try:
        folder.chmod(0o755)
        script = folder / SCRIPT.name
        shutil.copyfile(SCRIPT, script)
        script.chmod(0o755)
        done = _in_namespace(f"cd / && runuser -u nobody -- bash {script}")
    finally:
        shutil.rmtree(folder)
    assert done.returncode == 0
    assert "installing one needs root" in done.stderr
    assert "PostgreSQL storage tests will be skipped" in done.stderr


# Debian's PostgreSQL packages, removed from a copy of this machine to make it one that never had them.
PACKAGES = (
    "postgresql postgresql-15 postgresql-contrib postgresql-15-partman postgresql-common "
    "postgresql-client postgresql-client-15 postgresql-client-common"
)
ARCHIVES = Path("/var/cache/apt/archives")


def _cached_debs() -> bool:
    """apt-get can install postgresql offline: the namespace has no network, so its .debs must be at hand."""
    return all(
        any(ARCHIVES.glob(f"{name}_*.deb")) for name in ("postgresql", "postgresql-15", "postgresql-common")
    )


def _overlay_supported() -> bool:
    return "overlay" in Path("/proc/filesystems").read_text()


@pytest.mark.slow
@pytest.mark.skipif(
    not _cached_debs() or not _overlay_supported() or not shutil.which("chroot"),
    reason="needs overlayfs, chroot and Debian's postgresql .debs in /var/cache/apt/archives (no network there)",
)
def test_root_installs_postgresql_on_a_machine_that_has_none(tmp_path: Path) -> None:
    """The install branch, for real: the machine's root seen through an overlay (writes go to a tmpfs), every
    PostgreSQL package purged in it, then the script run there installs Debian's postgresql, starts its cluster
    and makes the test database. apt-get has no network in the namespace and installs from the archive cache."""
    root = tmp_path / "root"
    inside = f"""
set -e
export DEBIAN_FRONTEND=noninteractive
trap 'pg_ctlcluster 15 main stop -m immediate >/dev/null 2>&1 || true' EXIT
# The machine's own cluster is hidden under empty tmpfs mounts (see below), and no service is started or
# stopped, so the purge cannot signal the real server.
printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d && chmod +x /usr/sbin/policy-rc.d
apt-get purge -y -qq {PACKAGES} >/dev/null 2>&1
rm /usr/sbin/policy-rc.d
dpkg-query -W -f='${{Status}}\\n' postgresql 2>/dev/null | grep -q 'ok installed' && echo 'still installed' && exit 3
command -v pg_lsclusters >/dev/null && echo 'tools left' && exit 3
bash {SCRIPT}
runuser -u postgres -- psql -h 127.0.0.1 -d test -qtAc 'SELECT current_database()'
"""
    script = f"""
set -e
ip link set lo up
mount -t tmpfs tmpfs {tmp_path}
mkdir {tmp_path}/upper {tmp_path}/work {root}
mount -t overlay overlay -o lowerdir=/,upperdir={tmp_path}/upper,workdir={tmp_path}/work {root}
for d in proc sys dev; do mount --rbind /$d {root}/$d; done
mount -t tmpfs tmpfs {root}/run
mkdir -p {root}{ROOT} && mount --bind {ROOT} {root}{ROOT}
# The real cluster's files stay out of sight: an empty tmpfs over its data and configuration, not an rm through
# the overlay (the live server writes into its data directory meanwhile; rm -rf raced it: "Directory not empty").
for d in var/lib/postgresql etc/postgresql; do mkdir -p {root}/$d && mount -t tmpfs tmpfs {root}/$d; done
chroot {root} bash -c {shlex.quote(inside)}
"""
    done = subprocess.run(
        ["unshare", "--net", "--mount", "--fork", "bash", "-c", script],
        cwd=ROOT, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    lines = done.stdout.splitlines()
    assert "installing PostgreSQL (Debian package postgresql) for the storage tests" in lines
    assert any("answers on 127.0.0.1:5432 (database test)" in line for line in lines)
    assert lines[-1] == "test"

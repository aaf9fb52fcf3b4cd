"""Third-party Sparkplug edge clients, installed from their registries into a cache outside the repository.

Eclipse Tahu's Node client (npm `sparkplug-client`) and pysparkplug (PyPI) are installed once into
`$DIAGNOSE_EDGE_CLIENT_CACHE` (default `~/.cache/diagnose-edge-clients`), never into the repository or the
project's virtualenv: pysparkplug 0.6.1 requires paho-mqtt < 2, the platform paho-mqtt 2, so it runs in a
process of its own with the cached folder first on its path. A test skips, saying why, only when the
registry cannot be reached; any other failure to install fails the test.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

TAHU_PACKAGE = "sparkplug-client@3.2.4"
PYSPARKPLUG_PACKAGE = "pysparkplug==0.6.1"
SPB_WRAPPER_PACKAGE = (
    "mqtt-spb-wrapper==2.1.2"  # pins paho-mqtt 1.6.1 and protobuf 3.20.3: its own folder too
)
EDGES = Path(__file__).resolve().parent / "edges"
# What npm and pip print when the registry is out of reach (no network, no proxy, DNS failure).
UNREACHABLE = (
    "ENOTFOUND",
    "EAI_AGAIN",
    "ETIMEDOUT",
    "ECONNREFUSED",
    "ECONNRESET",
    "ENETUNREACH",
    "network",
    "Could not fetch URL",
    "No matching distribution found",
    "Failed to establish a new connection",
    "Temporary failure in name resolution",
)


def cache_dir() -> Path:
    """Where the clients are installed (outside the repository)."""
    folder = Path(
        os.environ.get("DIAGNOSE_EDGE_CLIENT_CACHE", Path.home() / ".cache" / "diagnose-edge-clients")
    )
    folder.mkdir(parents=True, exist_ok=True)
    return folder


@contextlib.contextmanager
def install_lock(folder: Path) -> Iterator[None]:
    """One installer at a time into `folder`, across the xdist workers: two `npm install`s into the same
    folder removed each other's files (ENOTEMPTY, or a half-installed package another test was running).
    Callers check again whether the package is there once they hold the lock."""
    folder.mkdir(parents=True, exist_ok=True)
    with (folder / ".install.lock").open("w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _install(command: list[str], what: str) -> None:
    result = subprocess.run(command, capture_output=True, text=True, timeout=600, check=False)
    if result.returncode == 0:
        return
    output = result.stdout + result.stderr
    if any(marker in output for marker in UNREACHABLE):
        pytest.skip(f"{what}: the package registry is unreachable ({output.strip().splitlines()[-1][:200]})")
    raise AssertionError(f"installing {what} failed:\n{output[-3000:]}")


def tahu_node_modules() -> Path:
    """node_modules holding Tahu's `sparkplug-client` (installed on first use)."""
    node, npm = shutil.which("node"), shutil.which("npm")
    if node is None or npm is None:
        pytest.skip("Node.js (node, npm) is not installed")
    prefix = cache_dir() / "npm"
    modules = prefix / "node_modules"
    with install_lock(prefix):
        if not (modules / "sparkplug-client" / "package.json").exists():
            _install(
                [npm, "install", "--prefix", str(prefix), "--no-audit", "--no-fund", TAHU_PACKAGE],
                f"npm {TAHU_PACKAGE}",
            )
    return modules


def _pip_target(folder: str, module: str, package: str) -> Path:
    """A folder of the cache holding `package` and its own dependencies (pip --target, on first use)."""
    target = cache_dir() / folder
    with install_lock(cache_dir()):
        if not (target / module / "__init__.py").exists():
            _install(
                [sys.executable, "-m", "pip", "install", "--quiet", "--target", str(target), package],
                f"PyPI {package}",
            )
    return target


def pysparkplug_path() -> Path:
    """A folder holding pysparkplug and its own paho-mqtt 1.x (installed on first use)."""
    return _pip_target("pysparkplug-0.6.1", "pysparkplug", PYSPARKPLUG_PACKAGE)


def spb_wrapper_path() -> Path:
    """A folder holding mqtt-spb-wrapper with its own paho-mqtt and protobuf (installed on first use)."""
    return _pip_target("mqtt-spb-wrapper-2.1.2", "mqtt_spb_wrapper", SPB_WRAPPER_PACKAGE)

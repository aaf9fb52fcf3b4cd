"""`make test-fast` can trust the markers: a test that starts a broker or a browser, or reaches PostgreSQL,
without its marker fails (tests/conftest.py), and markers follow from the fixtures a test asks for."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from apps.processes.broker import start_local_broker
from tests.conftest import UnmarkedResource, markers_from_fixtures, resource_of_command


def test_starting_mosquitto_without_the_broker_marker_fails(tmp_path: Path) -> None:
    if not shutil.which("mosquitto"):
        pytest.skip("mosquitto is not installed")
    with pytest.raises(UnmarkedResource, match="not marked 'broker'"):
        start_local_broker(workdir=tmp_path)  # refused before anything starts


def test_starting_the_embedded_broker_or_chromium_without_the_marker_fails(tmp_path: Path) -> None:
    with pytest.raises(UnmarkedResource, match="not marked 'broker'"):
        subprocess.run([sys.executable, "-m", "apps.demo.embedded_broker", "--port", "1"], check=False)
    with pytest.raises(UnmarkedResource, match="not marked 'browser'"):
        subprocess.run(["/usr/bin/chromium", "--version"], check=False)
    # Other programs start as ever.
    assert subprocess.run([sys.executable, "-c", "print('ok')"], capture_output=True).stdout == b"ok\n"


def test_connecting_to_postgresql_without_the_marker_fails() -> None:
    psycopg = pytest.importorskip("psycopg")
    with pytest.raises(UnmarkedResource, match="not marked 'postgres'"):
        psycopg.connect("postgresql://postgres@127.0.0.1:1/none", connect_timeout=1)


@pytest.mark.broker
def test_a_marked_test_is_let_through() -> None:
    # The guard refuses nothing to a test with the marker: the broker may be started, the command runs.
    result = subprocess.run(
        [sys.executable, "-m", "apps.demo.embedded_broker", "--help"], capture_output=True, check=False
    )
    assert result.returncode in (0, 1, 2)


@pytest.mark.parametrize(
    ("command", "marker"),
    [
        (["/usr/sbin/mosquitto", "-c", "x.conf"], "broker"),
        ([sys.executable, "-m", "apps.demo.embedded_broker", "--port", "1"], "broker"),
        (["/usr/bin/chromium", "--headless"], "browser"),
        (
            ["/venv/lib/playwright/driver/node", "/venv/lib/playwright/driver/package/cli.js", "run-driver"],
            "browser",
        ),
        ([sys.executable, "-m", "apps", "serve"], None),
        ("redis-server --port 1", None),
    ],
)
def test_commands_are_told_apart(command: object, marker: str | None) -> None:
    assert resource_of_command(command) == marker


def test_markers_follow_the_fixtures() -> None:
    assert markers_from_fixtures(["mosquitto", "engine"], {"db_url": "sqlite"}) == {"broker"}
    assert markers_from_fixtures(["durable_mosquitto"], {}) == {"broker"}
    assert markers_from_fixtures(["engine", "db_url"], {"db_url": "postgresql"}) == {"postgres"}
    assert markers_from_fixtures(["postgres_admin_url"], {}) == {"postgres"}
    assert markers_from_fixtures(["engine", "db_url"], {"db_url": "sqlite"}) == set()


def test_the_collected_tests_carry_the_markers_of_their_fixtures(request: pytest.FixtureRequest) -> None:
    # This run's own items: whichever ask for a broker fixture or the PostgreSQL database are marked.
    for item in request.session.items:
        params = dict(getattr(getattr(item, "callspec", None), "params", {}))
        for marker in markers_from_fixtures(getattr(item, "fixturenames", []), params):
            assert item.get_closest_marker(marker) is not None, item.nodeid

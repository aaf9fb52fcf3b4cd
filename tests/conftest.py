"""Shared fixtures: settings in a temp folder, a migrated database on SQLite (and PostgreSQL when configured),
and a real Mosquitto on a free port."""

from __future__ import annotations

import functools
import os
import shutil
import subprocess
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
import werkzeug.security
from sqlalchemy import create_engine, text
from sqlalchemy.engine import Engine

from apps.broker import LocalBroker, answers, free_port, start_local_broker
from diagnose import db, migrate
from diagnose.db import dispose_all, make_engine
from diagnose.services import orgs, versioned_cache
from diagnose.settings import Settings, load_settings

POSTGRES_URL = os.environ.get("DIAGNOSE_TEST_POSTGRES_URL", "")
BACKENDS = ["sqlite"] + (["postgresql"] if POSTGRES_URL else [])


# The password hashes this test process makes: scrypt with a 32× smaller work factor than werkzeug's
# default (scrypt:32768:8:1, about 0.1 s of CPU each and far more on a loaded machine, which hundreds of test
# users and logins paid). Checking reads the parameters from the hash, so logins behave the same; processes a
# test starts (gunicorn, the demo, the CLI in a subprocess) and the unknown-user dummy hash keep the default.
# tests/diagnose/test_orgs.py::test_passwords_are_stored_with_werkzeugs_default_scrypt checks the product's own.
TEST_PASSWORD_METHOD = "scrypt:1024:8:1"


@pytest.fixture(autouse=True, scope="session")
def _cheaper_password_hashes() -> Iterator[None]:
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(
            orgs,
            "generate_password_hash",
            functools.partial(werkzeug.security.generate_password_hash, method=TEST_PASSWORD_METHOD),
        )
        yield


@pytest.fixture(autouse=True)
def _close_database_connections(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Apps and CLI runs make engines of their own; close their pools when the test ends. The engines are
    held until then: an app dropped mid-test would otherwise be garbage-collected with its connections
    open, and psycopg's warning about it would fail whichever test the collector happens to run in."""
    monkeypatch.setattr(db, "_engines", set())
    yield
    dispose_all()
    # Cached city figures are keyed on a data version; copies of one demo database share versions.
    versioned_cache.clear()


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    """Settings pointing at a temp folder and a SQLite file inside it."""
    return load_settings(
        env="test", var_dir=tmp_path / "var", secret_key="test-secret", mqtt_url="mqtt://127.0.0.1:1"
    )


@pytest.fixture(scope="session")
def postgres_admin_url() -> str:
    """The configured PostgreSQL URL, or skip."""
    if not POSTGRES_URL:
        pytest.skip("DIAGNOSE_TEST_POSTGRES_URL not set")
    return POSTGRES_URL


def _fresh_postgres_database(admin_url: str, template: str | None = None) -> tuple[str, Engine]:
    name = f"diagnose_t_{uuid.uuid4().hex[:10]}"
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"' + (f' TEMPLATE "{template}"' if template else "")))
    base, _, _ = admin_url.rpartition("/")
    return f"{base}/{name}", admin


class MigratedTemplates:
    """Databases migrated to head once per session (per xdist worker) and UTC day, which the `engine`
    fixture's databases copy: a file copy on SQLite, CREATE DATABASE … TEMPLATE on PostgreSQL. A copy is
    the same schema, rows and sequences as migrating afresh (the PostgreSQL migration makes partitions
    around today, hence one template a day). Migration tests take `db_url` alone and still migrate."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self._made: dict[tuple[str, date], str] = {}

    def sqlite(self) -> Path:
        """A migrated SQLite file to copy."""
        key = ("sqlite", datetime.now(UTC).date())
        if key not in self._made:
            path = self.folder / f"migrated-{key[1]}.db"
            eng = make_engine(url=f"sqlite:///{path}")
            migrate.upgrade(eng)
            eng.dispose()  # the last connection closing checkpoints the WAL into the file
            assert not path.with_name(path.name + "-wal").exists()
            self._made[key] = str(path)
        return Path(self._made[key])

    def postgres(self) -> str:
        """The name of a migrated PostgreSQL database to use as a template (nobody stays connected)."""
        key = ("postgresql", datetime.now(UTC).date())
        if key not in self._made:
            url, admin = _fresh_postgres_database(POSTGRES_URL)
            admin.dispose()
            eng = make_engine(url=url)
            migrate.upgrade(eng)
            eng.dispose()
            self._made[key] = url.rpartition("/")[2]
        return self._made[key]

    def drop(self) -> None:
        """Drop the PostgreSQL templates."""
        names = [name for (backend, _), name in self._made.items() if backend == "postgresql"]
        if not names:
            return
        admin = create_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            for name in names:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture(scope="session")
def migrated_templates(tmp_path_factory: pytest.TempPathFactory) -> Iterator[MigratedTemplates]:
    templates = MigratedTemplates(tmp_path_factory.mktemp("migrated"))
    yield templates
    templates.drop()


@pytest.fixture(params=BACKENDS)
def db_url(
    request: pytest.FixtureRequest, tmp_path: Path, migrated_templates: MigratedTemplates
) -> Iterator[str]:
    """A database URL: a SQLite file, or a new PostgreSQL database dropped afterwards. Empty, unless the
    test also takes `engine` (which would migrate this same database): then a copy of a migrated one."""
    migrated = "engine" in request.fixturenames
    if request.param == "sqlite":
        path = tmp_path / "test.db"
        if migrated:
            shutil.copyfile(migrated_templates.sqlite(), path)
        yield f"sqlite:///{path}"
        return
    url, admin = _fresh_postgres_database(POSTGRES_URL, migrated_templates.postgres() if migrated else None)
    try:
        yield url
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{url.rpartition("/")[2]}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture
def engine(db_url: str) -> Iterator[Engine]:
    """A migrated database on every configured backend (`db_url`'s, copied from a migrated template)."""
    eng = make_engine(url=db_url)
    if migrate.current_revision(eng) is None:  # only if `engine` was asked for after `db_url` was made
        migrate.upgrade(eng)
    yield eng
    eng.dispose()


@pytest.fixture
def db_settings(settings: Settings, db_url: str) -> Settings:
    """Settings whose database is the parametrized test database."""
    return settings.model_copy(update={"database_url": db_url})


@pytest.fixture(scope="session")
def world_copies(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    """Copies of the demo world of tests/web/world.py, which is built once per session."""
    from tests.web.world import WorldCopies

    return WorldCopies(tmp_path_factory.mktemp("worlds"))


@pytest.fixture(scope="session")
def mosquitto(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalBroker]:
    """A real Mosquitto with the shipped configuration, on a free port, for the whole session."""
    if not shutil.which("mosquitto"):
        pytest.skip("mosquitto is not installed (make test installs it when run as root)")
    broker = start_local_broker(workdir=tmp_path_factory.mktemp("mosquitto"))
    yield broker
    broker.stop()


@pytest.fixture
def own_mosquitto(tmp_path: Path) -> Iterator[LocalBroker]:
    """A Mosquitto of this test's own, which the test may stop, kill and restart."""
    if not shutil.which("mosquitto"):
        pytest.skip("mosquitto is not installed (make test installs it when run as root)")
    broker = start_local_broker(workdir=tmp_path / "mosquitto")
    yield broker
    broker.stop(kill=True)


@pytest.fixture
def redis_url(tmp_path: Path) -> Iterator[str]:
    """A Redis of this test's own (no persistence) on a free port: nothing shared with another test, an
    xdist worker or the machine's Redis."""
    binary = shutil.which("redis-server")
    if not binary:
        pytest.skip("redis-server is not installed (make test installs it when run as root)")
    port = free_port()
    with (tmp_path / "redis.log").open("ab") as log:
        process = subprocess.Popen(
            [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    try:
        deadline = time.monotonic() + 15
        while not answers("127.0.0.1", port, 0.2):
            assert process.poll() is None and time.monotonic() < deadline, "redis did not start"
            time.sleep(0.05)
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        process.terminate()
        process.wait(10)

"""Shared fixtures: settings in a temp folder, a migrated database on SQLite (and PostgreSQL when configured),
and a real Mosquitto on a free port."""

from __future__ import annotations

import functools
import os
import shutil
import subprocess
import threading
import time
import uuid
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from datetime import UTC, date, datetime
from pathlib import Path

import flask
import jinja2
import pytest
import werkzeug.security
from sqlalchemy import create_engine, text
from sqlalchemy.engine import Engine
from sqlalchemy.pool import NullPool

from apps.processes.broker import LocalBroker, answers, free_port, start_local_broker
from diagnose import db, migrate
from diagnose.db import dispose_all, make_engine
from diagnose.services.accounts import orgs
from diagnose.settings import Settings, load_settings
from tests import once

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


class _TemplateCodeCache(jinja2.BytecodeCache):
    """Compiled templates kept in memory for every app this test process makes (Jinja's bytecode cache)."""

    def __init__(self) -> None:
        self._code: dict[str, bytes] = {}

    def load_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        code = self._code.get(bucket.key)
        if code is not None:
            bucket.bytecode_from_string(code)  # checked against the source's checksum: an edit compiles anew

    def dump_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        self._code[bucket.key] = bucket.bytecode_to_string()


@pytest.fixture(autouse=True, scope="session")
def _templates_compiled_once() -> Iterator[None]:
    """Hundreds of tests build an app of their own, and each app's Jinja environment compiled every template it
    rendered again (about 0.06 s of CPU a page, more than the request). Every app of the process shares one
    bytecode cache instead: a template is compiled once, by the same create_app environment (same filters,
    extensions and options), and its source checksum is checked on every load, so the pages are the same."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(
            flask.Flask,
            "jinja_options",
            {**flask.Flask.jinja_options, "bytecode_cache": _TemplateCodeCache()},
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


def _database_name() -> str:
    return f"diagnose_t_{uuid.uuid4().hex[:10]}"


def _url_of(name: str) -> str:
    return f"{POSTGRES_URL.rpartition('/')[0]}/{name}"


class SessionDatabases:
    """The test databases of this session (per xdist worker).

    SQLite: a file migrated once per UTC day, which `engine`'s databases copy. PostgreSQL: a database
    migrated once per UTC day (the migration makes partitions around today), which is the TEMPLATE of
    `engine`'s databases. A copy is the same schema, rows and sequences as migrating afresh; `db_url` alone
    stays an empty database, so the migration tests still migrate for real.

    On a busy PostgreSQL server CREATE and DROP DATABASE each take a second or more, so one background
    thread makes the next test's copy while a test runs and drops the databases of finished tests; a test
    waits only if its copy is not ready yet. Every database has a name of its own: none is shared.
    """

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self._sqlite: dict[date, Path] = {}
        self._templates: dict[date, str] = {}
        self._ahead: dict[str, Future[str]] = {}  # template → the next copy of it, being made
        self._drops: list[Future[None]] = []
        self._thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix="test-databases")
        # NullPool: a connection of its own for each statement, whichever thread runs it.
        self._admin = (
            create_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT", poolclass=NullPool)
            if POSTGRES_URL
            else None
        )

    def sqlite_template(self) -> Path:
        """A migrated SQLite file to copy."""
        day = datetime.now(UTC).date()
        if day not in self._sqlite:
            path = self.folder / f"migrated-{day}.db"
            eng = make_engine(url=f"sqlite:///{path}")
            migrate.upgrade(eng)
            eng.dispose()  # the last connection closing checkpoints the WAL into the file
            assert not path.with_name(path.name + "-wal").exists()
            self._sqlite[day] = path
        return self._sqlite[day]

    def postgres(self, *, migrated: bool) -> str:
        """The URL of a new PostgreSQL database of the caller's own: empty, or a migrated copy."""
        if not migrated:
            return _url_of(self._create(None))
        template = self._template()
        ready = self._ahead.pop(template, None)
        name = ready.result() if ready is not None else self._create(template)
        self._ahead[template] = self._thread.submit(self._create, template)
        return _url_of(name)

    def drop_later(self, url: str) -> None:
        """Drop this database (WITH FORCE: connections a test left are cut) in the background."""
        self._drops.append(self._thread.submit(self._drop, url.rpartition("/")[2]))

    def close(self) -> None:
        """Drop what is left: copies made ahead, then the templates; raise what a background step raised."""
        _running.append(None)  # at the end of the session, not on behalf of the test that happens to be last
        try:
            self._close()
        finally:
            _running.pop()

    def _close(self) -> None:
        for ready in self._ahead.values():
            self._drops.append(self._thread.submit(self._drop_made, ready))
        self._thread.shutdown(wait=True)
        try:
            for name in self._templates.values():
                self._drop(name)
            for dropped in self._drops:
                dropped.result()
        finally:
            if self._admin is not None:
                self._admin.dispose()

    def _template(self) -> str:
        day = datetime.now(UTC).date()
        if day not in self._templates:
            name = self._create(None)
            eng = make_engine(url=_url_of(name))
            migrate.upgrade(eng)
            eng.dispose()  # CREATE DATABASE … TEMPLATE needs nobody connected to the template
            self._templates[day] = name
        return self._templates[day]

    def _execute(self, statement: str) -> None:
        assert self._admin is not None, "DIAGNOSE_TEST_POSTGRES_URL is not set"
        with self._admin.connect() as conn:
            conn.execute(text(statement))

    def _create(self, template: str | None) -> str:
        name = _database_name()
        self._execute(f'CREATE DATABASE "{name}"' + (f' TEMPLATE "{template}"' if template else ""))
        return name

    def _drop(self, name: str) -> None:
        self._execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    def _drop_made(self, made: Future[str]) -> None:
        self._drop(made.result())


@pytest.fixture(scope="session")
def session_databases(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SessionDatabases]:
    databases = SessionDatabases(tmp_path_factory.mktemp("databases"))
    yield databases
    databases.close()


@pytest.fixture(params=BACKENDS)
def db_url(
    request: pytest.FixtureRequest, tmp_path: Path, session_databases: SessionDatabases
) -> Iterator[str]:
    """A database URL: a SQLite file, or a new PostgreSQL database dropped afterwards. Empty, unless the
    test also takes `engine` (which would migrate this same database): then a copy of a migrated one."""
    migrated = "engine" in request.fixturenames
    if request.param == "sqlite":
        path = tmp_path / "test.db"
        if migrated:
            shutil.copyfile(session_databases.sqlite_template(), path)
        yield f"sqlite:///{path}"
        return
    url = session_databases.postgres(migrated=migrated)
    try:
        yield url
    finally:
        session_databases.drop_later(url)


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
def built_once_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Where this run keeps what it builds once for all its xdist workers (tests/once.py)."""
    return once.run_folder(tmp_path_factory)


@pytest.fixture(scope="session")
def demo_db(built_once_folder: Path) -> Path:
    """A migrated SQLite file with the demo data (built once per run; tests copy it, none writes it)."""
    return once.demo_database(built_once_folder)


@pytest.fixture(scope="session")
def world_copies(built_once_folder: Path):  # type: ignore[no-untyped-def]
    """Copies of the demo world of tests/web/world.py, which is built once per run."""
    from tests.web.world import WorldCopies

    return WorldCopies(built_once_folder)


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


_running: list[pytest.Item | None] = []  # the test being set up, run or torn down; None: no test's doing


# ---- Markers: `make test-fast` runs what needs no broker, browser, PostgreSQL or much time --------------------
# A test gets its marker from the fixtures it asks for (below); a test that starts a broker or a browser some
# other way carries the marker itself. The guard after that makes a forgotten marker fail the test rather than
# quietly slow down the fast subset: starting Mosquitto, amqtt or Chromium (or Playwright's driver), or
# connecting to PostgreSQL, from a test without the marker raises UnmarkedResource.

BROKER_FIXTURES = frozenset({"mosquitto", "own_mosquitto", "durable_mosquitto", "broker"})
POSTGRES_FIXTURES = frozenset({"postgres_admin_url"})
BROWSER_FIXTURES = frozenset({"page", "browser", "browser_context", "chromium_browser"})


def markers_from_fixtures(fixturenames: list[str], params: dict[str, object]) -> set[str]:
    """The resource markers a test's fixtures imply (`db_url`'s postgresql parameter → postgres)."""
    names = set(fixturenames)
    found: set[str] = set()
    if names & BROKER_FIXTURES:
        found.add("broker")
    if names & BROWSER_FIXTURES:
        found.add("browser")
    if names & POSTGRES_FIXTURES or params.get("db_url") == "postgresql":
        found.add("postgres")
    return found


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        callspec = getattr(item, "callspec", None)
        params = dict(callspec.params) if callspec is not None else {}
        for name in markers_from_fixtures(getattr(item, "fixturenames", []), params):
            item.add_marker(name)


class UnmarkedResource(RuntimeError):
    """A test started a broker or browser, or reached PostgreSQL, without the marker that says so."""


def resource_of_command(args: object) -> str | None:
    """Which marker starting this command needs: broker (Mosquitto, the embedded amqtt broker), browser
    (Chromium, Playwright's driver), or None."""
    words = [str(a) for a in args] if isinstance(args, list | tuple) else str(args).split()
    if not words:
        return None
    program = Path(words[0]).name
    if program == "mosquitto" or "apps.demo.embedded_broker" in words:
        return "broker"
    if (
        program in {"chromium", "chromium-browser", "chrome", "headless_shell"}
        or any("playwright" in w and "driver" in w for w in words)
        or "run-driver" in words
    ):
        return "browser"
    return None


def check_marked(item: pytest.Item | None, marker: str, what: str) -> None:
    """Raise UnmarkedResource if `item` (the running test) lacks `marker`."""
    if item is not None and item.get_closest_marker(marker) is None:
        raise UnmarkedResource(
            f"{item.nodeid} {what} but is not marked '{marker}': add pytest.mark.{marker} "
            f"(or ask for a fixture tests/conftest.py maps to it) so that `make test-fast` leaves it out"
        )


@pytest.hookimpl(wrapper=True)
def pytest_runtest_protocol(item: pytest.Item, nextitem: pytest.Item | None) -> Iterator[object]:
    _running.append(item)
    try:
        return (yield)
    finally:
        _running.remove(item)


def _current_item() -> pytest.Item | None:
    # Only the main thread: background threads (the next test's PostgreSQL copy) work for other tests.
    if threading.current_thread() is not threading.main_thread() or not _running:
        return None
    return _running[-1]


class _XdistGroupIds:
    """`--dist loadgroup` keeps the tests of one `xdist_group` on one worker. pytest-xdist 3.8 tells its
    scheduler an item's group by the suffix `@<group>` it writes into `item._nodeid` on the worker; pytest 9.2
    keeps the node id in `item._id` instead, so the suffix was lost and every group was spread over the
    workers like ungrouped tests (pytest-dev/pytest-xdist#1386): the demo tests ran beside each other, and a
    module's shared fixture was built again on each worker. This puts the suffix where pytest 9.2 keeps the
    id, on workers where xdist's own hook did not."""

    @pytest.hookimpl(trylast=True)  # after xdist's own hook, which works on older pytest
    def pytest_collection_modifyitems(self, config: pytest.Config, items: list[pytest.Item]) -> None:
        if not getattr(config.option, "loadgroup", False):
            return
        try:
            from _pytest.nodeid import NodeId
        except ImportError:  # pytest before 9.2: xdist's suffix holds
            return
        for item in items:
            groups = {
                str(mark.args[0] if mark.args else mark.kwargs.get("name", "default"))
                for mark in item.iter_markers("xdist_group")
            }
            suffix = "@" + "_".join(sorted(groups))
            if groups and not item.nodeid.endswith(suffix):
                item._id = NodeId.parse(item.nodeid + suffix)  # type: ignore[attr-defined]


def pytest_configure(config: pytest.Config) -> None:
    config.pluginmanager.register(_XdistGroupIds(), "diagnose-xdist-group-ids")
    original = subprocess.Popen._execute_child  # type: ignore[attr-defined]

    def guarded(self, args, *rest, **kwargs):  # type: ignore[no-untyped-def]
        marker = resource_of_command(args)
        if marker is not None:
            check_marked(_current_item(), marker, f"starts {args!r}")
        return original(self, args, *rest, **kwargs)

    subprocess.Popen._execute_child = guarded  # type: ignore[attr-defined]

    try:
        import psycopg
    except ImportError:  # pragma: no cover - psycopg is a dev dependency
        return
    connect = psycopg.Connection.connect.__func__  # type: ignore[attr-defined]

    def guarded_connect(cls, *args, **kwargs):  # type: ignore[no-untyped-def]
        check_marked(_current_item(), "postgres", "connects to PostgreSQL")
        return connect(cls, *args, **kwargs)

    psycopg.Connection.connect = classmethod(guarded_connect)  # type: ignore[method-assign,assignment]
    psycopg.connect = psycopg.Connection.connect  # the module's name for it, which SQLAlchemy calls

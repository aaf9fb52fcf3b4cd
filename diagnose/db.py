"""Engine and session factories; SQLite gets WAL and a busy timeout so several processes can share it."""

from __future__ import annotations

import weakref
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlmodel import Session, create_engine

from diagnose.services.audit import audit_log
from diagnose.services.supervision import versioned_cache
from diagnose.settings import Settings

_engines: weakref.WeakSet[Engine] = weakref.WeakSet()


def dispose_all() -> None:
    """Close every pooled connection of every engine this process made (after a fork, or at a test's end)."""
    for engine in list(_engines):
        engine.dispose()


def make_engine(settings: Settings | None = None, *, url: str | None = None, **kwargs: Any) -> Engine:
    """Create the engine for the configured database URL (or an explicit one)."""
    engine = _create(settings, url=url, **kwargs)
    _engines.add(engine)
    if settings is not None:
        audit_log.use_key(engine, settings.effective_audit_key())  # kept outside the database
        versioned_cache.use(engine, settings)  # where its city figures are cached
    return engine


def _create(settings: Settings | None, *, url: str | None, **kwargs: Any) -> Engine:
    if url is None:
        assert settings is not None
        if not settings.database_url:
            settings.ensure_var_dir()
        url = settings.effective_database_url
    if url.startswith("sqlite"):
        kwargs.setdefault("connect_args", {"check_same_thread": False, "timeout": 30})
        engine = create_engine(url, **kwargs)
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    kwargs.setdefault("pool_pre_ping", True)
    return create_engine(url, **kwargs)


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    # WAL lets readers (web) run while the collector writes; foreign keys are off by default in SQLite.
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()


@contextmanager
def session_scope(engine: Engine) -> Iterator[Session]:
    """A session that commits on success and rolls back on error."""
    with Session(engine, expire_on_commit=False) as session:
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise

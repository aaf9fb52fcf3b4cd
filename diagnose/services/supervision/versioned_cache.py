"""Figures over every order of a city, computed once per version of the data and shared by every process.

An entry is named by its key and the version of the data it is built from (for orders:
`data_version.orders`), so it is never stale: a change makes a new version, and the old entry ages out.
Two layers:

- each process (web worker, the jobs process) keeps a small least-recently-used set in memory; one thread
  builds a missing entry while the others wanting the same key wait for it;
- with `shared=` the entry is also kept in the database (`figurecache`, JSON through a pydantic
  `TypeAdapter`), so what one process built every other process reads instead of building it again. The
  jobs process builds the bureaus' default figures as soon as the data changes (`apps.processes.jobs.refresh_figures`),
  so a page view finds them built.

Writing the shared entry is best effort: it runs in its own short transaction, and a busy database only
means the next process builds the figure itself.

A page may rather show the figures of a moment ago than build them in its request (seconds at a city's
scale): inside `stale_allowed(max_age)`, a figure whose data has just changed is served from the newest
shared entry of the same key at another version (column `scope`) if that was built within `max_age`, and
the window records when it was built so the page can say "统计截至 …". The jobs process builds the new one
within seconds; without it, or past `max_age`, the page builds it as before.
"""

from __future__ import annotations

import hashlib
import logging
import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Generic, TypeVar

from pydantic import TypeAdapter, ValidationError
from sqlalchemy import delete, insert, select
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlmodel import Session

from diagnose.models import FigureCache
from diagnose.models.base import utcnow

log = logging.getLogger(__name__)
T = TypeVar("T")

MAX_ENTRIES = 128
_entries: OrderedDict[Hashable, Any] = OrderedDict()
_lock = threading.Lock()
_building: dict[Hashable, threading.Lock] = {}


@dataclass(frozen=True)
class Shared(Generic[T]):
    """How a figure is kept in the database: its name (for pruning and inspection) and its type."""

    name: str
    adapter: TypeAdapter[T]


@dataclass
class StaleWindow:
    """How old a stand-in figure may be, and when each one served under this window was built."""

    max_age: timedelta
    served: list[datetime] = field(default_factory=list)

    @property
    def as_of(self) -> datetime | None:
        """When the oldest figure served was built; None if every figure was current."""
        return min(self.served, default=None)


_window: ContextVar[StaleWindow | None] = ContextVar("versioned_cache_window", default=None)


@contextmanager
def stale_allowed(max_age: timedelta) -> Iterator[StaleWindow]:
    """Within this block, a shared figure whose data changed since it was last built is served as it was, if
    that was at most `max_age` ago, instead of being built now."""
    window = StaleWindow(max_age)
    token = _window.set(window)
    try:
        yield window
    finally:
        _window.reset(token)


def digest(key: Hashable) -> str:
    """A key's stable name across processes: the SHA-256 of its repr (keys hold plain values only)."""
    return hashlib.sha256(repr(key).encode()).hexdigest()


def cached(
    key: Hashable,
    build: Callable[[], T],
    *,
    version: Hashable = None,
    session: Session | None = None,
    shared: Shared[T] | None = None,
) -> T:
    """The entry for `key` at `version` (the version of the data it is built from): from memory, else from
    the shared store (with `session` and `shared`), else built by `build()` and stored in both. Within
    `stale_allowed`, a missing entry is stood in for by the newest shared entry of `key` at another version."""
    full = (key, version)
    with _lock:
        if full in _entries:
            _entries.move_to_end(full)
            return _entries[full]  # type: ignore[no-any-return]
    engine = _engine(session) if shared is not None else None
    value: T | None = None
    loaded = False  # the shared store was asked for this entry (and had none)
    window = _window.get()
    if window is not None and engine is not None and shared is not None:
        value, loaded = _load(engine, full, shared), True
        if value is not None:
            _remember(full, value)
            return value
        stand_in = _newest(engine, key, shared, window)
        if stand_in is not None:
            return stand_in
    with _lock:
        building = _building.setdefault(full, threading.Lock())
    with building:
        try:
            with _lock:
                if full in _entries:
                    return _entries[full]  # type: ignore[no-any-return]
            if engine is not None and shared is not None and not loaded:
                value = _load(engine, full, shared)
            if value is None:
                value = build()
                if engine is not None and shared is not None:
                    _store(engine, full, key, shared, value)
            _remember(full, value)
        finally:
            with _lock:
                _building.pop(full, None)  # also when build() raised: the next caller tries again
    return value


def _remember(key: Hashable, value: object) -> None:
    with _lock:
        _entries[key] = value
        while len(_entries) > MAX_ENTRIES:
            _entries.popitem(last=False)


def _engine(session: Session | None) -> Engine | None:
    if session is None:
        return None
    bind = session.get_bind()
    return bind if isinstance(bind, Engine) else bind.engine


def _parse(shared: Shared[T], raw: str) -> T | None:
    try:
        return shared.adapter.validate_json(raw)
    except ValidationError:
        log.warning("figure %s: the stored entry no longer reads as its type; building it again", shared.name)
        return None


def _load(engine: Engine, full: Hashable, shared: Shared[T]) -> T | None:
    with engine.connect() as conn:
        raw = conn.execute(select(FigureCache.value).where(FigureCache.key == digest(full))).scalar()  # type: ignore[arg-type]
    return None if raw is None else _parse(shared, raw)


def _newest(engine: Engine, key: Hashable, shared: Shared[T], window: StaleWindow) -> T | None:
    """The newest shared entry of `key` at any version, built within the window's age (noted in the window)."""
    with engine.connect() as conn:
        row = conn.execute(
            select(FigureCache.value, FigureCache.created_at)  # type: ignore[call-overload]
            .where(FigureCache.scope == digest(key), FigureCache.created_at >= utcnow() - window.max_age)
            .order_by(FigureCache.created_at.desc())  # type: ignore[attr-defined]
            .limit(1)
        ).first()
    value = None if row is None else _parse(shared, row.value)
    if value is not None:
        window.served.append(row.created_at)
    return value


def _store(engine: Engine, full: Hashable, key: Hashable, shared: Shared[T], value: T) -> None:
    row = {
        "key": digest(full),
        "scope": digest(key),
        "name": shared.name,
        "value": shared.adapter.dump_json(value).decode(),
        "created_at": utcnow(),
    }
    try:
        with engine.begin() as conn:
            conn.execute(insert(FigureCache).values(**row))
    except IntegrityError:
        pass  # another process stored the same figure first
    except DBAPIError as exc:  # a busy database: the figure is still served, just not shared
        log.info("figure %s not shared: %s", shared.name, exc.orig)


def prune(*, engine: Engine, now: datetime, keep: timedelta = timedelta(days=1)) -> int:
    """Delete shared entries older than `keep` (their data has changed since, or nobody asks for them)."""
    with engine.begin() as conn:
        result = conn.execute(delete(FigureCache).where(FigureCache.created_at < now - keep))  # type: ignore[arg-type]
    return int(result.rowcount or 0)


def clear() -> None:
    """Drop every entry held in memory (tests)."""
    with _lock:
        _entries.clear()

"""Figures over every order of a city, computed once per version of the data and shared by every process.

The key names what the figures depend on, including a data version (for orders: `data_version.orders`), so
an entry is never stale: a change makes a new key, and the old entry ages out. Two layers:

- each process (web worker, the jobs process) keeps a small least-recently-used set in memory; one thread
  builds a missing entry while the others wanting the same key wait for it;
- with `shared=` the entry is also kept in the database (`figurecache`, JSON through a pydantic
  `TypeAdapter`), so what one process built every other process reads instead of building it again. The
  jobs process builds the bureaus' default figures as soon as the data changes (`apps.jobs.refresh_figures`),
  so a page view finds them built.

Writing the shared entry is best effort: it runs in its own short transaction, and a busy database only
means the next process builds the figure itself.

A page may rather show the figures of a moment ago than build them in its request (seconds at a city's
scale): inside `stale_allowed(max_age)`, a figure whose data has just changed is served from the newest
shared entry of the same `scope` (its key without the data version) if that was built within `max_age`, and
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
    """Within this block, a figure whose data changed since it was last built is served as it was, if that
    was at most `max_age` ago and the figure was given a `scope`, instead of being built now."""
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
    session: Session | None = None,
    shared: Shared[T] | None = None,
    scope: Hashable | None = None,
) -> T:
    """The entry for `key`: from memory, else from the shared store (with `session` and `shared`), else
    built by `build()` (and stored in both). `scope` is the key without its data version: within
    `stale_allowed`, the newest shared entry of the scope stands in for a missing one."""
    with _lock:
        if key in _entries:
            _entries.move_to_end(key)
            return _entries[key]  # type: ignore[no-any-return]
    window = _window.get()
    engine = _engine(session) if shared is not None else None
    if window is not None and scope is not None and engine is not None and shared is not None:
        stand_in = _stand_in(engine, key, scope, shared, window)
        if stand_in is not None:
            return stand_in
    with _lock:
        building = _building.setdefault(key, threading.Lock())
    with building:
        try:
            with _lock:
                if key in _entries:
                    return _entries[key]  # type: ignore[no-any-return]
            value = _load(engine, key, shared) if engine is not None and shared is not None else None
            if value is None:
                value = build()
                if engine is not None and shared is not None:
                    _store(engine, key, shared, value, scope)
            _remember(key, value)
        finally:
            with _lock:
                _building.pop(key, None)  # also when build() raised: the next caller tries again
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


def _load(engine: Engine, key: Hashable, shared: Shared[T]) -> T | None:
    with engine.connect() as conn:
        raw = conn.execute(select(FigureCache.value).where(FigureCache.key == digest(key))).scalar()  # type: ignore[arg-type]
    if raw is None:
        return None
    try:
        return shared.adapter.validate_json(raw)
    except ValidationError:
        log.warning("figure %s: the stored entry no longer reads as its type; building it again", shared.name)
        return None


def _stand_in(
    engine: Engine, key: Hashable, scope: Hashable, shared: Shared[T], window: StaleWindow
) -> T | None:
    """The entry for `key` if another process stored it, else the scope's newest entry within the window's
    age (noted in the window), else None: the caller builds it."""
    current = _load(engine, key, shared)
    if current is not None:
        _remember(key, current)
        return current
    with engine.connect() as conn:
        row = conn.execute(
            select(FigureCache.value, FigureCache.created_at)  # type: ignore[call-overload]
            .where(FigureCache.scope == digest(scope), FigureCache.created_at >= utcnow() - window.max_age)
            .order_by(FigureCache.created_at.desc())  # type: ignore[attr-defined]
            .limit(1)
        ).first()
    if row is None:
        return None
    try:
        value = shared.adapter.validate_json(row.value)
    except ValidationError:
        return None
    window.served.append(row.created_at)
    return value


def _store(engine: Engine, key: Hashable, shared: Shared[T], value: T, scope: Hashable | None = None) -> None:
    row = {
        "key": digest(key),
        "scope": digest(scope) if scope is not None else None,
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

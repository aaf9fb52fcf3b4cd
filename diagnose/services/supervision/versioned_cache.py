"""City figures (dashboards, league tables) built once per version of the data they read, shared by every process
through dogpile.cache.

The backend (`DIAGNOSE_FIGURE_CACHE_URL`): Redis, shared by every web worker, host and the jobs process; empty:
dogpile's dbm file under var_dir, shared by the processes of one machine (the embedded default) through its
read/write file lock; `memory://`: one process's own. One entry per figure and its parameters, overwritten when
rebuilt, so nothing piles up to prune (Redis also expires an entry nobody rebuilt for a week). Each process also
keeps a copy of what it read in a dogpile memory region, checked the same way, so a page view reads no file.

An entry holds the versions of the tables its build read (`data_version`: counters moved by database triggers,
the tables noted from the statements the build sent), and is served only while those are still current: a new
figure over any table needs no version function, and deletes and raw SQL count. While one process builds a
figure, the others wanting it wait on dogpile's mutex for it (a distributed lock on Redis) instead of building
it too. The jobs process builds the bureaus' default figures as soon as the data changes
(`apps.processes.jobs.refresh_figures`), so a page view finds them built; inside `stale_allowed(max_age)` a page
rather shows an entry built within `max_age` from before the change, and the window records when it was built
so the page can say "统计截至 …".
"""

from __future__ import annotations

import dbm
import hashlib
import json
import logging
import threading
import time
import weakref
from collections.abc import Callable, Hashable, Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, Generic, TypeVar

from dogpile.cache import CacheRegion, make_region, register_backend
from dogpile.cache.api import NO_VALUE
from dogpile.cache.backends.redis import RedisBackend
from pydantic import TypeAdapter, ValidationError
from redis.exceptions import RedisError
from sqlalchemy.engine import Engine
from sqlmodel import Session

from diagnose.models.base import utcnow
from diagnose.services.supervision import data_version
from diagnose.settings import Settings

log = logging.getLogger(__name__)
T = TypeVar("T")

BUILD_LOCK_S = 600  # a build's Redis lock is released after this long even if its process died
KEEP_S = 7 * 24 * 3600  # Redis forgets an entry nobody rebuilt for this long
INPUTS = "(inputs)"  # the entry's `inputs`, checked as if they were a table's version
# A cache out of reach (Redis down, the file unreadable): the figures are built and served, just not shared.
_UNREACHABLE = (OSError, RedisError, *dbm.error)


@dataclass(frozen=True)
class Figure(Generic[T]):
    """A kind of cached figure: its name (in the cache's keys) and its type (stored as JSON, read back typed)."""

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
    """Within this block, a figure whose data changed since it was last built is served as it was, if that was
    at most `max_age` ago, instead of being built now."""
    window = StaleWindow(max_age)
    token = _window.set(window)
    try:
        yield window
    finally:
        _window.reset(token)


class _Redis(RedisBackend):
    """dogpile's Redis backend, storing with SET … EX: dogpile 1.5 calls SETEX, which redis-py 8 deprecates."""

    def set_serialized(self, key: str, value: bytes) -> None:
        self.writer_client.set(key, value, ex=self.redis_expiration_time)


register_backend("diagnose.redis", __name__, "_Redis")  # type: ignore[no-untyped-call]


@dataclass
class _Store:
    shared: CacheRegion  # where the settings say
    near: CacheRegion = field(
        default_factory=lambda: _memory()
    )  # this process's copies: no file or network read
    local: threading.Lock = field(
        default_factory=threading.Lock
    )  # the memory backend has no mutex of its own


_stores: weakref.WeakKeyDictionary[Engine, _Store] = weakref.WeakKeyDictionary()


def use(engine: Engine, settings: Settings) -> None:
    """Cache the figures of `engine`'s database where `settings` say (make_engine calls this)."""
    _stores[engine] = _Store(region(settings))


def region(settings: Settings) -> CacheRegion:
    """The dogpile region `DIAGNOSE_FIGURE_CACHE_URL` names; values are the bytes `cached` encodes."""
    url = settings.figure_cache_url
    made = make_region(serializer=bytes, deserializer=bytes)
    if url.startswith(("redis://", "rediss://", "unix://")):
        arguments = {
            "url": url,
            "distributed_lock": True,
            "thread_local_lock": False,
            "lock_timeout": BUILD_LOCK_S,
            "redis_expiration_time": KEEP_S,
        }
        return made.configure("diagnose.redis", arguments=arguments)
    if url == "memory://":
        return made.configure("dogpile.cache.memory")
    if url:
        raise ValueError(f"DIAGNOSE_FIGURE_CACHE_URL {url!r}: expected redis://…, memory:// or empty")
    path = settings.ensure_var_dir() / "figure-cache"
    return made.configure("dogpile.cache.dbm", arguments={"filename": str(path)})


def cached(
    key: Hashable,
    build: Callable[[Session], T],
    *,
    session: Session,
    figure: Figure[T],
    inputs: Hashable = None,
    shared: bool = True,
) -> T:
    """The figure for `key` (plain values only): the cached entry while the tables it was built from are
    unchanged and it was built for the same `inputs` (values it depends on that are not read in the build, such
    as today's date; unlike `key` they name no entry of their own), else `build(session)` run now (in a session
    of its own on the caller's transaction, so every table it reads is noted) and cached, in this process only
    unless `shared`. Within `stale_allowed`, an entry built from older data stands in."""
    engine = _engine(session)
    store = _stores.get(engine)
    if store is None:  # an engine made without settings (scripts, tests): this process's memory
        store = _stores.setdefault(engine, _Store(_memory()))
    name = f"figure:{figure.name}:{_digest((engine.url.render_as_string(hide_password=True), key))}"
    versions = {**data_version.current(session=session), INPUTS: _digest(inputs)}
    if data_version.wrote(session=session):  # versions not committed: neither read nor store entries
        return _build(build, session)[0]
    regions = (store.near, store.shared) if shared else (store.near,)
    entries: list[bytes] = []
    for region in regions:  # this process's copy first: the shared one is read only when that is not current
        entry = _entry(region, name, figure)
        if entry is not None and (value := _parse(figure, entry, versions)) is not NO_VALUE:
            if region is not store.near:
                store.near.set(name, entry)
            return value
        entries += [entry] if entry is not None else []
    if entries and (value := _stand_in(figure, entries[-1])) is not NO_VALUE:
        return value
    try:
        mutex = store.shared.backend.get_mutex(name) or store.local
        mutex.acquire(True)
    except _UNREACHABLE as exc:
        log.warning("figure %s built without the cache: %s", figure.name, exc)
        return _build(build, session)[0]
    try:
        entry = _entry(regions[-1], name, figure)  # built meanwhile by whoever held the mutex?
        if entry is not None and (value := _parse(figure, entry, versions)) is not NO_VALUE:
            return value
        built, tables = _build(build, session)
        if data_version.UNKNOWN in tables or not tables <= versions.keys():
            untracked = sorted(tables - versions.keys())
            log.warning("figure %s not cached: it reads tables without a version %s", figure.name, untracked)
            return built
        header = {"at": time.time(), "from": {t: versions[t] for t in sorted({*tables, INPUTS})}}
        entry = json.dumps(header).encode() + b"\n" + figure.adapter.dump_json(built)
        for region in regions:
            try:
                region.set(name, entry)
            except _UNREACHABLE as exc:
                log.warning("figure %s not shared: %s", figure.name, exc)
        return built
    finally:
        try:
            mutex.release()
        except _UNREACHABLE as exc:  # a Redis lock past its timeout, or Redis gone: it expires by itself
            log.warning("figure %s: build lock not released: %s", figure.name, exc)


def _memory() -> CacheRegion:
    return make_region(serializer=bytes, deserializer=bytes).configure("dogpile.cache.memory")


def _build(build: Callable[[Session], T], session: Session) -> tuple[T, set[str]]:
    with data_version.reading() as tables, Session(bind=session.connection()) as own:
        value = build(own)
    return value, tables


def _entry(region: CacheRegion, name: str, figure: Figure[Any]) -> bytes | None:
    try:
        raw = region.get(name, ignore_expiration=True)
    except _UNREACHABLE as exc:
        log.warning("figure %s not read from the cache: %s", figure.name, exc)
        return None
    return None if raw is NO_VALUE else raw


def _stand_in(figure: Figure[T], entry: bytes) -> T | Any:
    """Within `stale_allowed`: the entry, whatever data it was built from, if built within the window's age."""
    window, built_at = _window.get(), datetime.fromtimestamp(json.loads(entry.partition(b"\n")[0])["at"], UTC)
    if window is None or built_at < utcnow() - window.max_age:
        return NO_VALUE
    value = _parse(figure, entry, None)
    if value is not NO_VALUE:
        window.served.append(built_at)
    return value


def _parse(figure: Figure[T], entry: bytes, versions: Mapping[str, object] | None) -> T | Any:
    """The entry's figure if it was built from `versions` (any, with None), else NO_VALUE."""
    header, _, body = entry.partition(b"\n")
    if versions is not None and any(versions.get(t) != v for t, v in json.loads(header)["from"].items()):
        return NO_VALUE
    try:
        return figure.adapter.validate_json(body)
    except ValidationError:
        log.warning("figure %s: the cached entry no longer reads as its type; building it again", figure.name)
        return NO_VALUE


def _digest(key: Hashable) -> str:
    return hashlib.sha256(repr(key).encode()).hexdigest()


def _engine(session: Session) -> Engine:
    bind = session.get_bind()
    return bind if isinstance(bind, Engine) else bind.engine

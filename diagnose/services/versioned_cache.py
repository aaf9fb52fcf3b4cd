"""Figures over every order of a city, computed once per version of the data and shared by the threads of a
process. The key names what the figures depend on, including a data version (for orders:
`supervision_records.orders_version`), so an entry is never stale: a change makes a new key, and the old
entry ages out. Each process (web worker) keeps its own, small, least-recently-used set; one thread builds
a missing entry while the others wanting the same key wait for it."""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Any, TypeVar

T = TypeVar("T")

MAX_ENTRIES = 128
_entries: OrderedDict[Hashable, Any] = OrderedDict()
_lock = threading.Lock()
_building: dict[Hashable, threading.Lock] = {}


def cached(key: Hashable, build: Callable[[], T]) -> T:
    """The entry for `key`, built by `build()` when missing."""
    with _lock:
        if key in _entries:
            _entries.move_to_end(key)
            return _entries[key]  # type: ignore[no-any-return]
        building = _building.setdefault(key, threading.Lock())
    with building:
        try:
            with _lock:
                if key in _entries:
                    return _entries[key]  # type: ignore[no-any-return]
            value = build()
            with _lock:
                _entries[key] = value
                while len(_entries) > MAX_ENTRIES:
                    _entries.popitem(last=False)
        finally:
            with _lock:
                _building.pop(key, None)  # also when build() raised: the next caller tries again
    return value


def clear() -> None:
    """Drop every entry (tests)."""
    with _lock:
        _entries.clear()

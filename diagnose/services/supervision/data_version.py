"""Versions of the data cached figures are built from: one change counter per table, moved by database triggers
(migration 0039) on every insert, update and delete, whoever wrote it; and the tables a build reads, noted from
the statements it sends, so a figure's versions are those of the tables it read, never a hand-written list."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

from sqlalchemy import Table, event
from sqlalchemy.engine import Engine
from sqlalchemy.orm import ORMExecuteState
from sqlalchemy.orm import Session as OrmSession
from sqlalchemy.sql import ClauseElement, TextClause
from sqlalchemy.sql.util import find_tables
from sqlmodel import Session, select

from diagnose.models import TableVersion

# Written per MQTT message or per login attempt: no triggers, so no cached figure may read them.
UNTRACKED = frozenset(
    {"telemetry", "devicehour", "device", "devicepresence", "deadletter", "deadlettercount",
     "collectorassignment", "jobwatermark", "loginthrottle", "tableversion"}
)  # fmt: skip
UNKNOWN = "?"  # a build sent SQL text: the tables it read cannot be told
_MEMO = "data_version.current"
_WROTE = "data_version.wrote"
_reading: ContextVar[set[str] | None] = ContextVar("data_version_reading", default=None)


def current(*, session: Session) -> Mapping[str, int]:
    """Every tracked table's version, read in one statement once per transaction of the session (a dashboard's
    figures share it); a flush of the session's own changes, or a new transaction, reads them again."""
    transaction = session.get_transaction()
    memo = session.info.get(_MEMO)
    if transaction is not None and memo is not None and memo[0] is transaction:
        return memo[1]  # type: ignore[no-any-return]
    versions = dict(session.exec(select(TableVersion.name, TableVersion.version)).all())
    session.info[_MEMO] = (session.get_transaction(), versions)
    return versions


def wrote(*, session: Session) -> bool:
    """Whether the session wrote in its current transaction: its versions may then be rolled back and reused
    by another change, so what it builds must not be shared."""
    transaction = session.get_transaction()
    return transaction is not None and session.info.get(_WROTE) is transaction


@contextmanager
def reading() -> Iterator[set[str]]:
    """Collect the names of the tables every statement sent within this block reads (in this thread)."""
    tables: set[str] = set()
    token = _reading.set(tables)
    try:
        yield tables
    finally:
        _reading.reset(token)


@event.listens_for(Engine, "before_execute")
def _note_tables(_conn: Any, clause: Any, _multiparams: Any, _params: Any, _options: Any) -> None:
    tables = _reading.get()
    if tables is None:
        return
    if isinstance(clause, ClauseElement) and not isinstance(clause, TextClause):
        found = find_tables(
            clause, check_columns=True, include_joins=True, include_selects=True, include_crud=True
        )
        tables.update(t.name for t in found if isinstance(t, Table))
    else:
        tables.add(UNKNOWN)


@event.listens_for(OrmSession, "after_flush")
def _flushed(session: OrmSession, _context: object) -> None:
    session.info.pop(_MEMO, None)  # the session changed data: read the versions afresh
    session.info[_WROTE] = session.get_transaction()


@event.listens_for(OrmSession, "do_orm_execute")
def _executed(state: ORMExecuteState) -> None:
    if state.is_insert or state.is_update or state.is_delete:  # bulk statements bypass the flush
        state.session.info.pop(_MEMO, None)
        state.session.info[_WROTE] = state.session.get_transaction()

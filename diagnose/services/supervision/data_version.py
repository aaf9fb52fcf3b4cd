"""Versions of the data that cached figures depend on (see `versioned_cache`): cheap to read on every page
view, and different after any change the figures would show."""

from __future__ import annotations

from typing import Any

from sqlalchemy import event
from sqlalchemy.orm import Session as OrmSession
from sqlmodel import Session, col, func, select

from diagnose.models import AuditLog, DiagnosisOrder, Enterprise, EnterpriseOutcome, Result

_MEMO = "data_version.orders"


@event.listens_for(OrmSession, "after_flush")
def _forget(session: OrmSession, _context: object) -> None:
    session.info.pop(_MEMO, None)  # this session changed data: read the version afresh


def orders(*, session: Session) -> tuple[Any, ...]:
    """The orders' version, read once per transaction of the session (a dashboard asks for it four times);
    a flush of the session's own changes, or a new transaction, reads it again."""
    transaction = session.get_transaction()
    memo = session.info.get(_MEMO)
    if transaction is not None and memo is not None and memo[0] is transaction:
        return memo[1]  # type: ignore[no-any-return]
    version = _orders(session)
    if transaction is not None:
        session.info[_MEMO] = (transaction, version)
    return version


def _orders(session: Session) -> tuple[Any, ...]:
    """Changes whenever any order, return or outcome changes. Every order change goes through the workflow,
    which stamps updated_at, and orders are never deleted, so the newest stamp and the highest id tell.

    One statement of scalar subqueries, one aggregate each: SQLite answers a lone max() of an indexed column
    from the index's end, but scans the whole index for two aggregates in one SELECT (46 ms at 100,000
    orders, against well under one); as subqueries each keeps its own quick plan, in one round trip."""
    row = session.exec(
        select(  # type: ignore[call-overload]
            select(func.max(DiagnosisOrder.updated_at)).scalar_subquery(),
            select(func.max(DiagnosisOrder.id)).scalar_subquery(),
            select(func.max(AuditLog.id)).where(AuditLog.action == "order.return").scalar_subquery(),
            select(func.max(EnterpriseOutcome.id)).scalar_subquery(),
            select(func.count(col(EnterpriseOutcome.id))).scalar_subquery(),
        )
    ).one()
    newest, top, returns, outcomes, outcome_count = row
    return (str(newest), top, returns, outcomes, outcome_count)


def levels(*, session: Session) -> tuple[Any, ...]:
    """Changes whenever a scoring result is stored or an enterprise registered (the maturity charts count
    enterprises by district and industry): both are only ever added, never edited in place."""
    row = session.exec(
        select(  # type: ignore[call-overload]
            select(func.max(Result.id)).scalar_subquery(), select(func.max(Enterprise.id)).scalar_subquery()
        )
    ).one()
    return (row[0], row[1])

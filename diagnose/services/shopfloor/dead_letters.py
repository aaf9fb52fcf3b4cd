"""Dead letters per device: how many were kept and how many only counted beyond the caps; retention."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import and_, delete, func
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from diagnose.models import DeadLetter, DeadLetterCount

PRUNE_BATCH_ROWS = 5_000


@dataclass(frozen=True, slots=True)
class DeviceDeadLetters:
    """One device's dead letters over the period asked (`deadlettercount`, kept by the hour)."""

    scope: str  # the enterprise's USCC (or Sparkplug group id) as the topic names it
    device: str
    kept: int  # stored with their payload
    dropped: int  # only counted: beyond the device's rate or the enterprise's volume
    received_bytes: int  # payload bytes received, kept or not
    last_at: datetime
    last_reason: str


def counts(
    *, session: Session, scope: str | None = None, since: datetime | None = None
) -> list[DeviceDeadLetters]:
    """Per device (scope, device), most recent first: dead letters kept and only counted since `since`."""
    where = []
    if scope is not None:
        where.append(col(DeadLetterCount.scope) == scope)
    if since is not None:
        where.append(col(DeadLetterCount.window_start) >= since.replace(minute=0, second=0, microsecond=0))
    totals = (
        select(
            DeadLetterCount.scope,
            DeadLetterCount.device,
            func.sum(DeadLetterCount.kept).label("kept"),
            func.sum(DeadLetterCount.dropped).label("dropped"),
            func.sum(DeadLetterCount.received_bytes).label("received_bytes"),
            func.max(DeadLetterCount.window_start).label("latest"),
        )
        .where(*where)
        .group_by(col(DeadLetterCount.scope), col(DeadLetterCount.device))
        .subquery()
    )
    rows = session.exec(
        select(  # type: ignore[call-overload]
            totals.c.scope,
            totals.c.device,
            totals.c.kept,
            totals.c.dropped,
            totals.c.received_bytes,
            DeadLetterCount.last_at,
            DeadLetterCount.last_reason,
        ).join(
            DeadLetterCount,
            and_(
                col(DeadLetterCount.scope) == totals.c.scope,
                col(DeadLetterCount.device) == totals.c.device,
                col(DeadLetterCount.window_start) == totals.c.latest,
            ),
        )
    ).all()
    found = [
        DeviceDeadLetters(
            scope=row[0],
            device=row[1],
            kept=int(row[2] or 0),
            dropped=int(row[3] or 0),
            received_bytes=int(row[4] or 0),
            last_at=row[5],
            last_reason=row[6],
        )
        for row in rows
    ]
    return sorted(found, key=lambda c: (c.last_at, c.scope, c.device), reverse=True)


def prune(*, engine: Engine, before: datetime, batch_rows: int = PRUNE_BATCH_ROWS) -> int:
    """Delete dead letters received, and counts of hours begun, before `before`; returns the rows deleted.

    Letters go in id-ordered batches, each its own short transaction, so the collectors' writes never wait long.
    """
    deleted = 0
    while True:
        with Session(engine) as session:
            ids = list(
                session.exec(
                    select(DeadLetter.id)
                    .where(col(DeadLetter.received_at) < before)
                    .order_by(col(DeadLetter.id))
                    .limit(batch_rows)
                ).all()
            )
            if not ids:
                break
            session.execute(delete(DeadLetter).where(col(DeadLetter.id).in_(ids)))
            session.commit()
            deleted += len(ids)
    with Session(engine) as session:
        result = session.execute(delete(DeadLetterCount).where(col(DeadLetterCount.window_start) < before))
        session.commit()
    return deleted + int(result.rowcount or 0)  # type: ignore[attr-defined]

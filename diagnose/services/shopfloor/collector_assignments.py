"""Collector assignments: which enterprises each collector takes (operators, audit-logged) and holds (collectors).

An operator assigns an enterprise to a collector; that collector subscribes to its telemetry, waits for the
broker's SUBACK and records that it holds it. A collector that is no longer assigned an enterprise lets go
of it only once another collector holds it (collectors/handover.py), so a handover loses nothing.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from sqlmodel import Session, col, select, update

from diagnose.models import CollectorAssignment, Enterprise, User
from diagnose.models.base import utcnow
from diagnose.services.audit import audit_log


class AssignmentError(ValueError):
    """An assignment that cannot be made (no such enterprise)."""


def _row(session: Session, collector_id: str, uscc: str) -> CollectorAssignment | None:
    return session.exec(
        select(CollectorAssignment).where(
            CollectorAssignment.collector_id == collector_id, CollectorAssignment.uscc == uscc
        )
    ).first()


def _known_enterprises(session: Session, usccs: Iterable[str]) -> list[str]:
    wanted = list(dict.fromkeys(usccs))
    found = set(session.exec(select(Enterprise.uscc).where(col(Enterprise.uscc).in_(wanted))).all())
    missing = [uscc for uscc in wanted if uscc not in found]
    if missing:
        raise AssignmentError(f"no enterprise {', '.join(missing)}")
    return wanted


def _record(session: Session, actor: User | str, action: str, collector_id: str, usccs: list[str]) -> None:
    """Write the changed rows and the audit entry naming them (nothing when nothing changed)."""
    if usccs:
        session.flush()
        audit_log.record(
            session=session,
            actor=actor,
            action=action,
            entity="collector",
            entity_id=collector_id,
            detail={"usccs": usccs},
        )


def assign(*, session: Session, actor: User | str, collector_id: str, usccs: Iterable[str]) -> list[str]:
    """Assign enterprises to a collector; returns those newly assigned. The caller commits."""
    added = []
    for uscc in _known_enterprises(session, usccs):
        row = _row(session, collector_id, uscc) or CollectorAssignment(collector_id=collector_id, uscc=uscc)
        if row.id is not None and row.assigned:
            continue
        row.assigned, row.assigned_at = True, utcnow()
        session.add(row)
        added.append(uscc)
    _record(session, actor, "collector.assign", collector_id, added)
    return added


def unassign(*, session: Session, actor: User | str, collector_id: str, usccs: Iterable[str]) -> list[str]:
    """Take enterprises from a collector; returns those it was assigned. It keeps holding each until another
    collector does. The caller commits."""
    removed = []
    for uscc in dict.fromkeys(usccs):
        row = _row(session, collector_id, uscc)
        if row is None or not row.assigned:
            continue
        removed.append(uscc)
        if row.held_at is None:
            session.delete(row)
        else:
            row.assigned = False
            session.add(row)
    _record(session, actor, "collector.unassign", collector_id, removed)
    return removed


def move(*, session: Session, actor: User | str, uscc: str, to: str) -> list[str]:
    """Assign an enterprise to one collector and take it from every other; returns the collectors it was
    taken from. The caller commits."""
    others = session.exec(
        select(CollectorAssignment.collector_id).where(
            CollectorAssignment.uscc == uscc,
            col(CollectorAssignment.assigned).is_(True),
            CollectorAssignment.collector_id != to,
        )
    ).all()
    assign(session=session, actor=actor, collector_id=to, usccs=[uscc])
    for collector_id in others:
        unassign(session=session, actor=actor, collector_id=collector_id, usccs=[uscc])
    return sorted(others)


def list_assignments(*, session: Session) -> list[CollectorAssignment]:
    """Every row, by collector then USCC."""
    return list(
        session.exec(
            select(CollectorAssignment).order_by(
                col(CollectorAssignment.collector_id), col(CollectorAssignment.uscc)
            )
        ).all()
    )


def assigned_to(*, session: Session, collector_id: str) -> set[str] | None:
    """The USCCs assigned to this collector; None while nothing is assigned to any collector (then each
    collector takes every enterprise, as before assignments existed)."""
    rows = session.exec(
        select(CollectorAssignment.collector_id, CollectorAssignment.uscc).where(
            col(CollectorAssignment.assigned).is_(True)
        )
    ).all()
    if not rows:
        return None
    return {uscc for owner, uscc in rows if owner == collector_id}


def holders(*, session: Session, seen_since: datetime) -> dict[str, set[str]]:
    """USCC → the collectors that hold it and followed the table since `seen_since` (one that stopped, or
    was taken out of service, is not counted on to keep receiving)."""
    found: dict[str, set[str]] = {}
    rows = session.exec(
        select(CollectorAssignment.uscc, CollectorAssignment.collector_id).where(
            col(CollectorAssignment.held_at).is_not(None), col(CollectorAssignment.seen_at) >= seen_since
        )
    ).all()
    for uscc, collector_id in rows:
        found.setdefault(uscc, set()).add(collector_id)
    return found


def enterprise_usccs(*, session: Session) -> set[str]:
    """Every registered enterprise (a collector holding all of them lets go only once each is held)."""
    return set(session.exec(select(Enterprise.uscc)).all())


def record_held(*, session: Session, collector_id: str, usccs: Iterable[str]) -> None:
    """The collector's broker session holds these enterprises' subscriptions (after the SUBACK)."""
    now = utcnow()
    for uscc in usccs:
        row = _row(session, collector_id, uscc) or CollectorAssignment(
            collector_id=collector_id, uscc=uscc, assigned=False
        )
        if row.held_at is None:
            row.held_at, row.seen_at = now, now
            session.add(row)


def seen(*, session: Session, collector_id: str) -> None:
    """The collector is following the table now (once per poll)."""
    session.execute(
        update(CollectorAssignment)
        .where(col(CollectorAssignment.collector_id) == collector_id)
        .values(seen_at=utcnow())
    )


def forget_collector(*, session: Session, actor: User | str, collector_id: str) -> int:
    """Drop every row of a collector taken out of service for good; returns how many. The caller commits."""
    rows = session.exec(
        select(CollectorAssignment).where(CollectorAssignment.collector_id == collector_id)
    ).all()
    for row in rows:
        session.delete(row)
    if rows:
        session.flush()
        audit_log.record(
            session=session,
            actor=actor,
            action="collector.forget",
            entity="collector",
            entity_id=collector_id,
            detail={"usccs": sorted(row.uscc for row in rows)},
        )
    return len(rows)


def forget_held(*, session: Session, collector_id: str, usccs: Iterable[str]) -> None:
    """The collector let go of these (after the UNSUBACK); rows neither assigned nor held are deleted."""
    for uscc in usccs:
        row = _row(session, collector_id, uscc)
        if row is None:
            continue
        if row.assigned:
            row.held_at = None
            session.add(row)
        else:
            session.delete(row)

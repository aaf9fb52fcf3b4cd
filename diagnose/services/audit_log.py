"""Write to the append-only audit log."""

from __future__ import annotations

from typing import Any

from sqlmodel import Session, col, select

from diagnose.models import AuditLog, User


def record(
    *,
    session: Session,
    actor: User | str,
    action: str,
    entity: str,
    entity_id: object,
    detail: dict[str, Any] | None = None,
) -> AuditLog:
    """Append one entry; it is committed with the change it describes (same transaction)."""
    entry = AuditLog(
        actor_user_id=actor.id if isinstance(actor, User) else None,
        actor=actor.username if isinstance(actor, User) else actor,
        action=action,
        entity=entity,
        entity_id=str(entity_id),
        detail=detail,
    )
    session.add(entry)
    return entry


def entries_for(*, session: Session, entity: str, entity_id: object) -> list[AuditLog]:
    """Every entry about one entity, oldest first."""
    statement = (
        select(AuditLog)
        .where(AuditLog.entity == entity, AuditLog.entity_id == str(entity_id))
        .order_by(col(AuditLog.id))
    )
    return list(session.exec(statement))

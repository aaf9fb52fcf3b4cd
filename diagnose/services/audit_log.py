"""Write to the append-only audit log, each row hash-chained to the previous one, and verify the chain."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import text
from sqlmodel import Session, col, select

from diagnose.models import AuditLog, User
from diagnose.models.base import utcnow

GENESIS = "0" * 64
# Serialises writers on PostgreSQL so two transactions never chain from the same previous row.
CHAIN_LOCK_ID = 4_212_012


def row_digest(previous: str, entry: AuditLog) -> str:
    """SHA-256 of the previous row's hash and this row's content (everything but the id)."""
    content = {
        "at": entry.at.astimezone(UTC).isoformat(timespec="microseconds"),
        "actor_user_id": entry.actor_user_id,
        "actor": entry.actor,
        "action": entry.action,
        "entity": entry.entity,
        "entity_id": entry.entity_id,
        "detail": entry.detail,
    }
    canonical = json.dumps(content, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(f"{previous}\n{canonical}".encode()).hexdigest()


def _take_chain_lock(session: Session) -> None:
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:lock)"), {"lock": CHAIN_LOCK_ID})
    else:
        # SQLite: take the write lock before reading the chain's end (a no-op write; no trigger fires).
        session.execute(text("UPDATE auditlog SET id = id WHERE 0"))


def record(
    *,
    session: Session,
    actor: User | str,
    action: str,
    entity: str,
    entity_id: object,
    detail: dict[str, Any] | None = None,
) -> AuditLog:
    """Append one entry; it is committed with the change it describes (same transaction).

    Flushed at once: the next entry's hash chains from this row, read back from the database.
    """
    _take_chain_lock(session)
    last = session.exec(select(AuditLog).order_by(col(AuditLog.id).desc()).limit(1)).first()
    now = utcnow()
    if last is not None and last.at > now:
        now = last.at  # never back-dated, even if clocks of two hosts disagree
    entry = AuditLog(
        at=now,
        actor_user_id=actor.id if isinstance(actor, User) else None,
        actor=actor.username if isinstance(actor, User) else actor,
        action=action,
        entity=entity,
        entity_id=str(entity_id),
        detail=detail,
    )
    entry.row_hash = row_digest((last.row_hash if last else None) or GENESIS, entry)
    session.add(entry)
    session.flush()
    return entry


@dataclass(frozen=True, slots=True)
class ChainReport:
    """The outcome of `verify_chain`: rows checked and the first that does not match, if any."""

    rows: int
    first_bad_id: int | None = None
    reason: str = ""


def verify_chain(*, session: Session) -> ChainReport:
    """Recompute every row's hash in id order; report the first row that does not match."""
    previous: str | None = None
    checked = 0
    last_at: datetime | None = None
    for entry in session.exec(select(AuditLog).order_by(col(AuditLog.id))):
        checked += 1
        if entry.row_hash is None:
            if previous is not None:
                return ChainReport(checked, entry.id, "row without a hash after the chain started")
            continue  # rows written before the chain existed (migration 0008)
        expected = row_digest(previous or GENESIS, entry)
        if entry.row_hash != expected:
            return ChainReport(checked, entry.id, "hash does not match the row and the previous row")
        if last_at is not None and entry.at < last_at:
            return ChainReport(checked, entry.id, "earlier than the row before it")
        previous, last_at = entry.row_hash, entry.at
    return ChainReport(checked)


def entries_for(*, session: Session, entity: str, entity_id: object) -> list[AuditLog]:
    """Every entry about one entity, oldest first."""
    statement = (
        select(AuditLog)
        .where(AuditLog.entity == entity, AuditLog.entity_id == str(entity_id))
        .order_by(col(AuditLog.id))
    )
    return list(session.exec(statement))

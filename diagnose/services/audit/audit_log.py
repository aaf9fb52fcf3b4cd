"""Write to the append-only audit log, each row chained to the previous one by a keyed MAC, and read its head.

The chain follows the designs that hold against whoever can write the database (Certificate Transparency's
signed tree heads, QLDB's digests): every row after the legacy boundary (`AuditChainBoundary`, recorded once
by migration 0023) carries HMAC-SHA256(key, previous row's value ‖ this row's content), with a key kept
outside the database (`DIAGNOSE_AUDIT_KEY` or `DIAGNOSE_AUDIT_KEY_FILE`), so a row cannot be forged, edited or
re-chained without the key; the chain's head is checkpointed outside the database (`audit_checkpoints`) and
printed into every issued report, so a truncation is seen too. `audit_verify` checks all of it.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import weakref
from dataclasses import dataclass
from datetime import UTC
from typing import Any

from sqlalchemy import func, text
from sqlalchemy.engine import Connection, Engine
from sqlmodel import Session, col, select

from diagnose.models import AuditLog, User
from diagnose.models.base import utcnow
from diagnose.settings import DEVELOPMENT_AUDIT_KEY

GENESIS = "0" * 64
# Serialises writers on PostgreSQL so two transactions never chain from the same previous row.
CHAIN_LOCK_ID = 4_212_012

# The key each engine's rows are chained with: set by `diagnose.db.make_engine(settings)` from the settings;
# an engine made from a bare URL (migrations, tests) uses the development key, which production refuses.
_KEYS: weakref.WeakKeyDictionary[Engine, bytes] = weakref.WeakKeyDictionary()


def use_key(engine: Engine, key: bytes) -> None:
    """Chain the audit rows written through `engine` with `key`."""
    _KEYS[engine] = key


def key_of(session: Session) -> bytes:
    """The audit key of the engine behind `session`."""
    bind = session.get_bind()
    engine = bind.engine if isinstance(bind, Connection) else bind
    return _KEYS.get(engine, DEVELOPMENT_AUDIT_KEY)


def key_id(key: bytes) -> str:
    """A short public name of a key (to tell which key wrote a checkpoint), which reveals nothing of it."""
    return hmac.new(key, b"diagnose audit key id", hashlib.sha256).hexdigest()[:16]


def _canonical(entry: AuditLog) -> str:
    content = {
        "at": entry.at.astimezone(UTC).isoformat(timespec="microseconds"),
        "actor_user_id": entry.actor_user_id,
        "actor": entry.actor,
        "action": entry.action,
        "entity": entry.entity,
        "entity_id": entry.entity_id,
        "detail": entry.detail,
    }
    return json.dumps(content, sort_keys=True, ensure_ascii=False, separators=(",", ":"))


def row_digest(previous: str, entry: AuditLog) -> str:
    """Legacy rows (migration 0008 up to the boundary): SHA-256 of the previous value and the content."""
    return hashlib.sha256(f"{previous}\n{_canonical(entry)}".encode()).hexdigest()


def row_mac(key: bytes, previous: str, entry: AuditLog) -> str:
    """Rows after the boundary: HMAC-SHA256 of the previous row's value and this row's content (not its id,
    which the database gives at insert; the order is bound by the chain itself)."""
    message = f"diagnose-audit-v2\n{previous}\n{_canonical(entry)}".encode()
    return hmac.new(key, message, hashlib.sha256).hexdigest()


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

    Flushed at once: the next entry's MAC chains from this row, read back from the database.
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
    entry.row_hash = row_mac(key_of(session), (last.row_hash if last else None) or GENESIS, entry)
    session.add(entry)
    session.flush()
    return entry


@dataclass(frozen=True, slots=True)
class ChainHead:
    """The chain's end: how many rows it has, the last row's id and its chain value (MAC or legacy hash)."""

    rows: int
    last_id: int
    value: str


def head(*, session: Session) -> ChainHead:
    """The head of the chain as this transaction sees it: committed rows (a prefix of the chain, since writers
    commit in chain order under the chain lock) plus its own."""
    rows = session.exec(select(func.count()).select_from(AuditLog)).one()
    last = session.exec(select(AuditLog).order_by(col(AuditLog.id).desc()).limit(1)).first()
    if last is None or last.id is None:
        return ChainHead(0, 0, GENESIS)
    return ChainHead(int(rows), last.id, last.row_hash or GENESIS)


def entries_for(*, session: Session, entity: str, entity_id: object) -> list[AuditLog]:
    """Every entry about one entity, oldest first."""
    statement = (
        select(AuditLog)
        .where(AuditLog.entity == entity, AuditLog.entity_id == str(entity_id))
        .order_by(col(AuditLog.id))
    )
    return list(session.exec(statement))

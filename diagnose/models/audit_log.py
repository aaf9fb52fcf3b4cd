"""The append-only, hash-chained audit log: who changed what, when; the database refuses any rewrite."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Column
from sqlmodel import Field, SQLModel

from diagnose.models.base import UTCDateTime, utcnow


class AuditLog(SQLModel, table=True):
    """One recorded change; triggers created by the migration make the table append-only."""

    id: int | None = Field(default=None, primary_key=True)
    at: datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime, nullable=False, index=True))
    actor_user_id: int | None = Field(default=None, foreign_key="user.id")
    actor: str = Field(max_length=64)  # username, or "system:<process>"
    action: str = Field(max_length=64, index=True)
    entity: str = Field(max_length=32)
    entity_id: str = Field(max_length=64)
    detail: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON, nullable=True))
    # After the legacy boundary (AuditChainBoundary): HMAC-SHA256, with a key kept outside the database, of the
    # previous row's row_hash and this row's id and content; required (migration 0023). Before it: the
    # plain SHA-256 chain of migration 0008, or NULL for rows older than that. `diagnose audit-log verify`.
    row_hash: str | None = Field(default=None, max_length=64)


class AuditChainBoundary(SQLModel, table=True):
    """Where the keyed chain starts, recorded once by migration 0023 (append-only, like the log itself).

    Rows with id <= `legacy_last_id` were written before the chain was keyed; every later row carries its MAC.
    """

    id: int | None = Field(default=None, primary_key=True)
    legacy_last_id: int = Field(nullable=False)
    recorded_at: datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime, nullable=False))

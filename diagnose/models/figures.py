"""Figures computed once per version of the data and shared by every process (see versioned_cache)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Column, Index, Text
from sqlmodel import Field, SQLModel

from diagnose.models.base import UTCDateTime, utcnow


class FigureCache(SQLModel, table=True):
    """One cached figure: the SHA-256 of its key (which holds the data version), and its JSON value. An entry
    is never stale (a change of the data makes a new key); the jobs process prunes old ones. A page may show
    the newest entry of a scope while the jobs process builds the next (`versioned_cache.stale_allowed`)."""

    __table_args__ = (Index("ix_figurecache_scope_created", "scope", "created_at"),)

    key: str = Field(primary_key=True, max_length=64)
    scope: str | None = Field(default=None, max_length=64)  # SHA-256 of the key without its data version
    name: str = Field(max_length=64, index=True)
    value: str = Field(sa_column=Column(Text, nullable=False))
    created_at: datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime, nullable=False))

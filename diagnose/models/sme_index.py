"""Versions of the SME digital-level index a bureau loaded as data (a correction of the packaged index)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Column, Text
from sqlmodel import Field, SQLModel

from diagnose.models.base import UTCDateTime, utcnow


class SmeIndexVersion(SQLModel, table=True):
    """One uploaded version of 《中小企业数字化水平评测指标》, written once.

    Status: draft (validated, diff shown, not in force) → published. The newest published version is in force
    (it supersedes the older ones and the packaged index); ratings keep the `index_version` they were made on.
    """

    __tablename__ = "smeindexversion"

    id: int | None = Field(default=None, primary_key=True)
    version: str = Field(max_length=32, unique=True)  # the index's own `version` (smeresult.index_version)
    status: str = Field(default="draft", max_length=16, index=True)  # draft | published
    content: dict[str, Any] = Field(sa_column=Column(JSON, nullable=False))
    sha256: str = Field(max_length=64)  # of the uploaded file's bytes
    note: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
    uploaded_by: int | None = Field(default=None, foreign_key="user.id")
    bureau_id: int | None = Field(default=None, foreign_key="bureau.id")
    uploaded_at: datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime, nullable=False))
    published_by: int | None = Field(default=None, foreign_key="user.id")
    published_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime, nullable=True))

"""Policy versions a bureau or admin loaded as data, and the sub-domains an assessment tailors out."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, Column, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from diagnose.models.base import UTCDateTime, utcnow


class PolicyVersion(SQLModel, table=True):
    """One version of one policy document (scoring/policies schema) with the source text its quotes are in.

    Status: draft (imported, diff shown, not in force) → published (in force, replaces the shipped file
    or the earlier version of the same policy id) → superseded (kept for history and re-running old plans).
    """

    __table_args__ = (UniqueConstraint("policy_id", "version", name="uq_policyversion_policy_version"),)

    id: int | None = Field(default=None, primary_key=True)
    policy_id: str = Field(max_length=64, index=True)
    version: int
    status: str = Field(default="draft", max_length=16, index=True)  # draft | published | superseded
    region_code: str = Field(max_length=6, index=True)
    valid_from: date
    valid_to: date | None = None
    sample: bool = Field(default=False)
    document: dict[str, Any] = Field(sa_column=Column(JSON, nullable=False))
    source_text: str = Field(sa_column=Column(Text, nullable=False))
    source_sha256: str = Field(max_length=64)
    imported_by: int | None = Field(default=None, foreign_key="user.id")
    bureau_id: int | None = Field(default=None, foreign_key="bureau.id")
    imported_at: datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime, nullable=False))
    published_by: int | None = Field(default=None, foreign_key="user.id")
    published_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime, nullable=True))
    superseded_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime, nullable=True))


class SubdomainTailoring(SQLModel, table=True):
    """A sub-domain of the maturity model tailored out of one assessment, with a reason from the fixed list."""

    __table_args__ = (
        UniqueConstraint("assessment_id", "subdomain", name="uq_tailoring_assessment_subdomain"),
    )

    id: int | None = Field(default=None, primary_key=True)
    assessment_id: int = Field(foreign_key="assessment.id", index=True)
    subdomain: str = Field(max_length=16)
    reason: str = Field(max_length=32)
    note: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
    recorded_by: int | None = Field(default=None, foreign_key="user.id")
    recorded_at: datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime, nullable=False))

"""In-app notifications: one row per person told of an order event (assigned, returned, accepted, issued)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Column, Index, Text
from sqlmodel import Field, SQLModel

from diagnose.models.base import UTCDateTime, utcnow


class Notification(SQLModel, table=True):
    """A message to one user about one order; read when the user opens it, e-mailed when SMTP is set."""

    __table_args__ = (Index("ix_notification_user_read", "user_id", "read_at"),)

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="user.id")
    order_id: int | None = Field(default=None, foreign_key="diagnosisorder.id", index=True)
    event: str = Field(max_length=32)  # assign | return | accept | issue | accept_report | dispute_report
    detail: str = Field(default="", sa_column=Column(Text, nullable=False, server_default=""))
    created_at: datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime, nullable=False))
    read_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime, nullable=True))
    emailed_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime, nullable=True))
    email_error: str | None = Field(default=None, max_length=500)

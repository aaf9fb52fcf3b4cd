"""Tables of the diagnosis workflow beyond the order itself: evidence file attachments."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Column
from sqlmodel import Field, SQLModel

from diagnose.models.base import UTCDateTime, utcnow


class Attachment(SQLModel, table=True):
    """An evidence file a provider attached to one questionnaire requirement of an order."""

    id: int | None = Field(default=None, primary_key=True)
    order_id: int = Field(foreign_key="diagnosisorder.id", index=True)
    requirement_id: str = Field(max_length=32)
    filename: str = Field(max_length=255)  # as uploaded, shown escaped
    stored_name: str = Field(max_length=64)  # random name under var/uploads/<order id>/
    content_type: str = Field(max_length=128)
    size_bytes: int
    sha256: str = Field(max_length=64)
    uploaded_by: int | None = Field(default=None, foreign_key="user.id")
    created_at: datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime, nullable=False))

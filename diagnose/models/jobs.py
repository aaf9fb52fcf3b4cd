"""Scheduler bookkeeping: how far a batched job has durably got."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Column
from sqlmodel import Field, SQLModel

from diagnose.models.base import UTCDateTime


class JobWatermark(SQLModel, table=True):
    """The start of a job's last complete run (e.g. roll-ups: rows received after it are still to roll up)."""

    name: str = Field(primary_key=True, max_length=64)
    value: datetime | None = Field(default=None, sa_column=Column(UTCDateTime, nullable=True))

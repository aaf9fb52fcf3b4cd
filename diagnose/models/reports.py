"""Issued diagnosis reports: every version kept with its bytes and hashes; the database refuses changes."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Column, LargeBinary, Text, UniqueConstraint, event
from sqlmodel import Field, SQLModel

from diagnose.models.base import UTCDateTime, utcnow


class IssuedReport(SQLModel, table=True):
    """One issued version of an order's report; triggers created by migration 0004 make it append-only."""

    __table_args__ = (UniqueConstraint("report_number", "version", name="uq_issuedreport_number_version"),)

    id: int | None = Field(default=None, primary_key=True)
    order_id: int = Field(foreign_key="diagnosisorder.id", index=True)
    report_number: str = Field(max_length=40, index=True)
    version: int
    lang: str = Field(max_length=8)  # zh | en
    content_sha256: str = Field(max_length=64, index=True)  # printed in the footer
    pdf_sha256: str = Field(max_length=64, unique=True)  # of the exact bytes below
    size_bytes: int
    pdf: bytes = Field(sa_column=Column(LargeBinary, nullable=False))
    data: dict[str, Any] = Field(sa_column=Column(JSON, nullable=False))  # the ReportData rendered
    issued_by: int | None = Field(default=None, foreign_key="user.id")
    issued_at: datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime, nullable=False))


class ReportImmutableError(RuntimeError):
    """An issued report was about to be changed or deleted."""


def _refuse(_mapper: object, _connection: object, target: IssuedReport) -> None:
    # Issued reports are evidence for the bureau: a re-issue is a new version, never an edit.
    raise ReportImmutableError(f"issued report {target.report_number} v{target.version} is append-only")


event.listen(IssuedReport, "before_update", _refuse)
event.listen(IssuedReport, "before_delete", _refuse)


class ReportJob(SQLModel, table=True):
    """A request to issue a report, rendered by the jobs process (off the web request); one version per job.

    `status`: queued → running → done | failed. The version it issued and the report body's HTML (what the
    report page shows for that version, rendered once) are stored with it in the same transaction.
    """

    id: int | None = Field(default=None, primary_key=True)
    order_id: int = Field(foreign_key="diagnosisorder.id", index=True)
    lang: str = Field(default="zh", max_length=8)
    status: str = Field(default="queued", max_length=16, index=True)
    requested_by: int | None = Field(default=None, foreign_key="user.id")
    requested_at: datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime, nullable=False))
    started_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime, nullable=True))
    finished_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime, nullable=True))
    attempts: int = Field(default=0)
    error: str | None = Field(default=None, max_length=512)
    issued_report_id: int | None = Field(default=None, foreign_key="issuedreport.id")
    version: int | None = Field(default=None)
    body_html: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    # The address the web UI was served at when queued: the QR code's base when DIAGNOSE_PUBLIC_URL is unset.
    public_url: str | None = Field(default=None, max_length=256)

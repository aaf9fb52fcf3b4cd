"""Procurement batches, diagnosis orders, assessments with their answers, and scoring results."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, Column, Index, Text, UniqueConstraint, text
from sqlmodel import Field, SQLModel

from diagnose.models.base import Fen, UTCDateTime, utcnow


class OrderStatus(StrEnum):
    """Where a government-purchased diagnosis stands; transitions live in diagnose.workflow."""

    created = "created"
    assigned = "assigned"
    scheduled = "scheduled"
    on_site = "on_site"
    submitted = "submitted"
    returned = "returned"
    accepted = "accepted"
    cancelled = "cancelled"


class ProcurementBatch(SQLModel, table=True):
    """A bureau's purchase of diagnoses for one year, with its budget."""

    id: int | None = Field(default=None, primary_key=True)
    bureau_id: int = Field(foreign_key="bureau.id", index=True)
    name: str = Field(max_length=128)
    year: int
    budget_fen: int = Field(sa_column=Column(Fen, nullable=False))
    created_at: datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime, nullable=False))


SME_INSTRUMENTS = ("sme", "both")  # the instruments that rate the SME digital level (issue #26)
CMMM_INSTRUMENTS = ("cmmm", "both")  # the instruments that rate smart-manufacturing maturity


class DiagnosisOrder(SQLModel, table=True):
    """One free diagnosis bought by a bureau for an enterprise and delivered by a provider."""

    # Order lists are scoped, filtered by status and sorted by last change (migration 0009).
    __table_args__ = (
        Index("ix_diagnosisorder_updated_at", "updated_at"),
        Index("ix_diagnosisorder_status_updated", "status", "updated_at"),
        Index("ix_diagnosisorder_provider_updated", "provider_id", "updated_at"),
        Index("ix_diagnosisorder_provider_status", "provider_id", "status"),
        Index("ix_diagnosisorder_enterprise_status", "enterprise_id", "status"),
        # A batch's committed and billed fees are summed from the index alone (budget checks, dashboards).
        Index("ix_diagnosisorder_batch_status_fee", "batch_id", "status", "fee_fen"),
    )

    id: int | None = Field(default=None, primary_key=True)
    number: str = Field(unique=True, max_length=32)
    bureau_id: int = Field(foreign_key="bureau.id", index=True)
    batch_id: int | None = Field(default=None, foreign_key="procurementbatch.id")
    enterprise_id: int = Field(foreign_key="enterprise.id", index=True)
    provider_id: int | None = Field(default=None, foreign_key="provider.id", index=True)
    kind: str = Field(max_length=16)  # factory | workshop
    fee_fen: int = Field(sa_column=Column(Fen, nullable=False))
    status: str = Field(default=OrderStatus.created, max_length=16, index=True)
    due_date: date | None = None
    visit_date: date | None = None
    return_reason: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    rating: int | None = None
    rating_comment: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    created_at: datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime, nullable=False))
    assigned_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime, nullable=True))
    submitted_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime, nullable=True))
    accepted_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime, nullable=True))
    confirmed_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime, nullable=True))
    # The enterprise's word on the issued report (确认 / 异议 with a reason); None until it gives one.
    report_verdict: str | None = Field(default=None, max_length=16)  # accepted | disputed
    report_verdict_reason: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    report_verdict_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime, nullable=True))
    # The instruments the provider rates the enterprise on in the one visit (issue #26): cmmm | sme | both.
    instruments: str = Field(default="cmmm", max_length=8, sa_column_kwargs={"server_default": "cmmm"})
    updated_at: datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime, nullable=False))

    @property
    def rates_cmmm(self) -> bool:
        """Whether the visit rates the enterprise on the smart-manufacturing maturity model (cmmm or both)."""
        return self.instruments in CMMM_INSTRUMENTS

    @property
    def rates_sme(self) -> bool:
        """Whether the visit rates the enterprise on the SME digital-level index (sme or both)."""
        return self.instruments in SME_INSTRUMENTS


class StaffRole(StrEnum):
    """What a person named on an order does: leads the diagnosis (项目负责人) or takes part (诊断人员)."""

    lead = "lead"
    member = "member"


class OrderStaffMember(SQLModel, table=True):
    """A user of the order's provider named on the order: its one 项目负责人 or one of its 诊断人员.

    `diagnose.services.diagnosis.orders.staff_of` reads them; `diagnose.services.diagnosis.order_staff.set_staff` changes them.
    """

    __tablename__ = "orderstaff"
    __table_args__ = (
        # Exactly one lead per order: at most one by this index, at least one checked by the workflow.
        Index(
            "uq_orderstaff_one_lead",
            "order_id",
            unique=True,
            sqlite_where=text("role = 'lead'"),
            postgresql_where=text("role = 'lead'"),
        ),
    )

    order_id: int = Field(foreign_key="diagnosisorder.id", primary_key=True)
    user_id: int = Field(foreign_key="user.id", primary_key=True, index=True)
    role: str = Field(max_length=8)  # StaffRole
    named_at: datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime, nullable=False))


class Assessment(SQLModel, table=True):
    """The maturity questionnaire of one order."""

    id: int | None = Field(default=None, primary_key=True)
    order_id: int = Field(foreign_key="diagnosisorder.id", unique=True)
    industry_type: str = Field(default="discrete", max_length=16)
    model_version: str = Field(default="", max_length=32)
    updated_at: datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime, nullable=False))


class Answer(SQLModel, table=True):
    """One requirement's rating with its evidence; the measured proposal is kept beside the claim."""

    __table_args__ = (UniqueConstraint("assessment_id", "requirement_id", name="uq_answer_requirement"),)

    id: int | None = Field(default=None, primary_key=True)
    assessment_id: int = Field(foreign_key="assessment.id", index=True)
    requirement_id: str = Field(max_length=32)
    rating: str | None = Field(default=None, max_length=8)  # "1" | "0.8" | "0.5" | "0" | "n/a"
    tailor_reason: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    evidence_note: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    measured_rating: str | None = Field(default=None, max_length=8)
    updated_by: int | None = Field(default=None, foreign_key="user.id")
    updated_at: datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime, nullable=False))


class Result(SQLModel, table=True):
    """A scoring result with the versions and input hash that reproduce it."""

    id: int | None = Field(default=None, primary_key=True)
    order_id: int = Field(foreign_key="diagnosisorder.id", index=True)
    level: int
    score: str = Field(max_length=16)  # decimal text, e.g. "3.2500"
    level_scores: list[Any] = Field(sa_column=Column(JSON, nullable=False))
    detail: dict[str, Any] = Field(sa_column=Column(JSON, nullable=False))
    model_version: str = Field(max_length=32)
    weights_version: str = Field(max_length=32)
    rule_version: str = Field(max_length=32)
    input_hash: str = Field(max_length=64)
    created_at: datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime, nullable=False))


class ContradictionDecision(SQLModel, table=True):
    """The consultant's decision on one 自评与实测不一致 item of a scoring result (append-only; the newest
    per requirement counts): `changed` (the rating was changed to `new_rating`, and scored again) or `kept`
    (the self-rating stands, for the written `reason`). A decision answers the pair (claimed, proposed) it
    was made on: once the rating or the data change, the item needs a new one.

    `diagnose.services.diagnosis.contradictions` writes and reads them; submission waits until every contradiction of
    the newest result is decided; the report prints them in its 自评与实测核对 table.
    """

    id: int | None = Field(default=None, primary_key=True)
    order_id: int = Field(foreign_key="diagnosisorder.id", index=True)
    result_id: int = Field(foreign_key="result.id")
    requirement_id: str = Field(max_length=32)
    decision: str = Field(max_length=8)  # changed | kept
    claimed: str = Field(max_length=8)  # the self-rating decided on, e.g. "0.8"
    proposed: str = Field(max_length=8)  # the rating the measured data support
    new_rating: str | None = Field(default=None, max_length=8)  # the rating it was changed to
    measured: str = Field(default="", max_length=512)  # the measured figures, as the report says them
    reason: str = Field(default="", sa_column=Column(Text, nullable=False))
    decided_by: int | None = Field(default=None, foreign_key="user.id")
    decided_at: datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime, nullable=False))


class SmeAnswer(SQLModel, table=True):
    """One item or scenario of the SME digital-level questionnaire (中小企业数字化水平评测指标) of an order.

    `value` is what the consultant settled on (an option id, a list of them, or a grade 0–4); `proposed` the
    answer the measured data proposed when it was saved (None: the platform measures nothing for it) with its
    `evidence`; `decision` says whether the proposal was accepted, overridden (with `reason`) or there was none
    (`manual`). `diagnose.services.diagnosis.sme` writes and reads them."""

    __table_args__ = (UniqueConstraint("order_id", "key", name="uq_smeanswer_key"),)

    id: int | None = Field(default=None, primary_key=True)
    order_id: int = Field(foreign_key="diagnosisorder.id", index=True)
    key: str = Field(max_length=32)  # an item id (F1…R4) or a scenario id
    value: Any = Field(sa_column=Column(JSON, nullable=False))
    proposed: Any = Field(default=None, sa_column=Column(JSON, nullable=True))
    evidence: str = Field(default="", sa_column=Column(Text, nullable=False))
    decision: str = Field(max_length=12)  # accepted | overridden | manual
    reason: str = Field(default="", sa_column=Column(Text, nullable=False))
    updated_by: int | None = Field(default=None, foreign_key="user.id")
    updated_at: datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime, nullable=False))


class SmeResult(SQLModel, table=True):
    """An SME digital-level rating of an order: the pure result's dict with the answers it scored."""

    __tablename__ = "smeresult"

    id: int | None = Field(default=None, primary_key=True)
    order_id: int = Field(foreign_key="diagnosisorder.id", index=True)
    level: int  # 0 (无等级) to 4
    total: str = Field(max_length=16)  # exact points rounded to 0.01, e.g. "69.25"
    index_version: str = Field(max_length=32)
    detail: dict[str, Any] = Field(sa_column=Column(JSON, nullable=False))
    # The measured week its proposals read, kept when the order rates the SME level alone (else None: the
    # order's CMMM result keeps the visit's one snapshot).
    snapshot_id: int | None = Field(default=None, foreign_key="evidencesnapshot.id")
    created_by: int | None = Field(default=None, foreign_key="user.id")
    created_at: datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime, nullable=False))

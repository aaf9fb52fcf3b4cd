"""Issued diagnosis reports and the verification of a file."""

from __future__ import annotations

from datetime import datetime
from typing import Literal, Self

from pydantic import Field, model_validator

from diagnose.schemas.common import In, Out, Upload
from diagnose.schemas.errors import FieldError


class ReportVersionOut(Out):
    """One issued version of an order's report."""

    report_number: str = Field(title="报告编号")
    version: int = Field(ge=1, title="版本")
    lang: Literal["zh", "en"] = Field(title="语言")
    content_sha256: str = Field(title="内容摘要")
    pdf_sha256: str = Field(title="文件摘要")
    size_bytes: int = Field(title="文件大小（字节）")
    issued_at: datetime = Field(title="出具时间")


class ReportList(Out):
    """The issued versions of an order's report, oldest first."""

    items: list[ReportVersionOut] = Field(title="版本")


class VerificationOut(Out):
    """What a file is: issued (its bytes match a stored version), altered, or unknown."""

    verdict: Literal["issued", "altered", "unknown"] = Field(title="结论")
    message: str = Field(title="说明")
    report_number: str = Field(title="报告编号")
    version: int = Field(title="版本")
    content_sha256: str = Field(title="内容摘要")
    pdf_sha256: str = Field(title="文件摘要")


class ReportIssueIn(In):
    """Issue the next version of the order's report (the jobs process renders it)."""

    lang: Literal["zh", "en"] = Field("zh", title="语言")


class ReportJobOut(Out):
    """A queued report: queued → running → done (with the version it issued) or failed (with the error)."""

    id: int = Field(title="任务编号")
    order_id: int = Field(title="订单编号")
    lang: Literal["zh", "en"] = Field(title="语言")
    status: Literal["queued", "running", "done", "failed"] = Field(title="状态")
    requested_at: datetime = Field(title="提交时间")
    finished_at: datetime | None = Field(None, title="完成时间")
    version: int | None = Field(None, title="出具的版本")
    error: str | None = Field(None, title="失败原因")


class VerifyForm(In):
    """The public verification form: the report number and hash as printed, or the file itself."""

    reference: str | None = Field(default=None, max_length=64, title="报告编号")
    digest: str | None = Field(default=None, max_length=64, title="内容摘要")
    file: Upload | None = Field(default=None, title="报告文件")

    @model_validator(mode="after")
    def _something_to_check(self) -> Self:
        if self.file is None and not (self.reference and self.digest):
            raise FieldError("", "report_or_file")
        return self


class ContradictionDecisionIn(In):
    """The consultant's decision on one 自评与实测不一致 item: change the rating, or keep it with a reason."""

    requirement_id: str = Field(min_length=1, max_length=32, title="要求项")
    decision: Literal["changed", "kept"] = Field(title="核对结论")
    new_rating: Literal["1", "0.8", "0.5", "0"] | None = Field(None, title="新的评分")
    reason: str = Field("", max_length=2000, title="理由")


class ContradictionOut(Out):
    """A self-rating the measured data contradict in the newest scoring, and whether it is decided."""

    requirement_id: str = Field(title="要求项")
    statement_zh: str = Field(title="要求")
    claimed: str = Field(title="自评")
    proposed: str = Field(title="实测支持")
    measured: str = Field(title="实测数据")
    decided: bool = Field(title="已核对")
    reason: str = Field("", title="保留自评的理由")


class ContradictionList(Out):
    """The contradictions of the newest scoring; submission waits until every one is decided."""

    items: list[ContradictionOut] = Field(title="不一致项")

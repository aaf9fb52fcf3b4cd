"""Issued diagnosis reports and the verification of a file."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import Field

from diagnose.schemas.common import Out


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

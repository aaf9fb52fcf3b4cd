"""Questionnaire answers, scoring runs and results."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import Field

from diagnose.schemas.common import In, Out, Upload

Rating = Literal["1", "0.8", "0.5", "0", "n/a", ""]
MAX_NOTE_CHARS = 4000
MAX_TAILORING_NOTE_CHARS = 1000  # diagnose.services.diagnosis.tailoring.MAX_NOTE_CHARS


class AnswerIn(In):
    """One requirement's rating (1 全部 / 0.8 大部分 / 0.5 部分 / 0 不满足 / n/a 裁剪; '' or null clears it)."""

    rating: Rating | None = Field(default=None, title="评分")
    evidence_note: str | None = Field(default=None, max_length=MAX_NOTE_CHARS, title="证据说明")
    tailor_reason: str | None = Field(default=None, max_length=MAX_NOTE_CHARS, title="裁剪理由")


class AnswerForm(AnswerIn):
    """The questionnaire page's autosave: the answer with its requirement id."""

    requirement_id: str = Field(min_length=1, max_length=32, title="要求项")


class AttachmentForm(In):
    """An evidence file for a requirement of the questionnaire."""

    requirement_id: str = Field(min_length=1, max_length=32, title="要求项")
    file: Upload = Field(title="证据文件")


class TailoringForm(In):
    """Tailor a sub-domain out of the assessment (a reason code from the fixed list) or back in (no reason)."""

    subdomain: str = Field(min_length=1, max_length=32, title="能力子域")
    reason: str = Field(default="", max_length=32, title="裁剪理由")
    note: str = Field(default="", max_length=MAX_TAILORING_NOTE_CHARS, title="裁剪说明")


class AnswerOut(Out):
    """A stored answer."""

    requirement_id: str = Field(title="要求项")
    rating: str | None = Field(title="评分")
    evidence_note: str | None = Field(default=None, title="证据说明")
    tailor_reason: str | None = Field(default=None, title="裁剪理由")


class AnswerSaved(Out):
    """What a save answers."""

    requirement_id: str = Field(title="要求项")
    rating: str | None = Field(title="评分")
    saved_at: datetime = Field(title="保存时间")


class AnswersOut(Out):
    """The questionnaire of an order."""

    industry_type: Literal["discrete", "process"] = Field(title="行业类型")
    answers: list[AnswerOut] = Field(title="答案")


class ScoreOut(Out):
    """A scoring run's summary."""

    level: int = Field(ge=0, le=5, title="成熟度等级")
    score: float = Field(title="得分")
    input_hash: str = Field(title="输入摘要")


class ResultOut(ScoreOut):
    """The latest scoring result with roadmap and subsidy estimate."""

    level_scores: list[float] = Field(title="各级得分")
    detail: dict[str, Any] = Field(title="明细")
    created_at: datetime = Field(title="评分时间")

"""The SME digital-level questionnaire's forms and the API's SME result (《中小企业数字化水平评测指标（2024年版）》)."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field, StrictInt, StrictStr

from diagnose.schemas.common import Id, In, Out, Upload

Instruments = Literal["cmmm", "sme", "both"]


class SmeIndexUploadForm(In):
    """A corrected version of the SME index, as a bureau loads it (validated by `services.diagnosis.sme_index.upload`)."""

    file: Upload = Field(title="指标文件")
    note: str = Field(default="", max_length=2000, title="说明")


class InstrumentsForm(In):
    """What the visit rates: CMMM alone, the SME digital-level index alone, or both."""

    instruments: Instruments = Field(
        title="评测工具", description="cmmm 智能制造能力成熟度 | sme 仅中小企业数字化水平 | both 两者"
    )


class SmeAnswerForm(In):
    """One item's option(s) or one scenario's grade, and the reason when the measured proposal is overridden."""

    key: str = Field(min_length=1, max_length=32, pattern=r"^[A-Za-z0-9_]+$", title="评测项")
    value: list[str] = Field(default_factory=list, max_length=20, title="答案")
    reason: str = Field(default="", max_length=2000, title="理由")


class SmeDecisionOut(Out):
    """An item or scenario as answered: the value, what the data proposed, and the decision on it."""

    key: str
    value: Any
    proposed: Any = None
    evidence_zh: str = ""
    decision: Literal["accepted", "overridden", "manual"]
    reason: str = ""


class SmeComparisonOut(Out):
    """The enterprise's earlier rating beside this one."""

    level_before: int
    level_after: int
    total_before: str
    total_after: str
    summary_zh: str
    same_index: bool


class SmeResultOut(Out):
    """The order's SME digital-level rating: level 0 (无等级) to 4, the points as decimal text."""

    order_id: int
    instruments: str
    rated: bool = Field(description="false: the order rates the SME level but has no rating yet")
    level: int | None = None
    level_zh: str = ""
    total: str | None = None
    index_version: str = ""
    rated_at: str | None = None
    reason_zh: str = ""
    next_zh: str = ""
    notice_zh: str = ""
    official_note_zh: str = ""
    dimensions: list[dict[str, Any]] = Field(default_factory=list)
    scenarios: list[dict[str, Any]] = Field(default_factory=list)
    decisions: list[SmeDecisionOut] = Field(default_factory=list)
    comparison: SmeComparisonOut | None = None


class SmePilotChange(In):
    """Put an enterprise into the SME digital-transformation pilot or take it out, with the reason."""

    pilot: bool = Field(title="试点企业")
    reason: str = Field(min_length=1, max_length=2000, title="理由")


class SmePilotForm(SmePilotChange):
    """The pilot list's form: the enterprise, the change and its reason."""

    enterprise_id: Id = Field(title="企业")


class SmePilotOut(Out):
    """Whether an enterprise is in the SME digital-transformation pilot (财建〔2023〕117号), and since when."""

    enterprise_id: int
    pilot: bool
    marked_at: str | None = Field(default=None, description="ISO 8601, UTC; null when not in the pilot")


class SmeAnswerIn(In):
    """One item's option (a multi item: its options) or one scenario's grade, and the reason when it overrides
    the measured proposal (at least 4 characters then)."""

    # Strict: JSON true is not grade 1, nor 2 the option "2".
    value: StrictStr | list[StrictStr] | StrictInt = Field(
        title="答案",
        description="an item's option id, a multi item's list of option ids, a scenario's grade 0–4",
    )
    reason: str = Field(default="", max_length=2000, title="理由")


class SmeProposalOut(Out):
    """What the plant's measured figures propose for an item or scenario (value null: nothing), and why."""

    key: str
    value: Any = None
    evidence_zh: str
    partial: bool = Field(description="a multi item's proposal covers only what the platform sees")


class SmeQuestionnaireOut(Out):
    """The order's SME questionnaire as the provider's page shows it: saved answers and measured proposals."""

    order_id: int
    instruments: str
    editable: bool
    index_version: str
    answers: list[SmeDecisionOut]
    proposals: list[SmeProposalOut]


class SmeInstrumentsOut(Out):
    """What the order's visit rates."""

    order_id: int
    instruments: str

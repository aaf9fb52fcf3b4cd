"""Bureau supervision: anomaly flags and the providers' league table."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any, Literal, Self

from pydantic import Field, model_validator

from diagnose.schemas.common import Id, In, OptionalDate, Out, no_null_default
from diagnose.schemas.errors import FieldError


class FlagQuery(In):
    """Which flags: open (undecided), decided or all."""

    model_config = In.model_config | {"extra": "ignore"}

    status: Literal["open", "decided", "all"] = Field(default="open", title="状态")


class FlagOut(Out):
    """One anomaly flag with its evidence and review."""

    id: int = Field(title="编号")
    order_id: int = Field(title="订单")
    order_number: str = Field(title="订单号")
    enterprise_name: str = Field(title="企业名称")
    provider_id: int | None = Field(title="服务商")
    kind: str = Field(title="类型")
    strength: float = Field(title="强度")
    evidence: dict[str, Any] = Field(title="证据")
    source: str = Field(title="来源")
    detected_at: dt.datetime = Field(title="发现时间")
    decision: str | None = Field(title="复核结论")
    decision_note: str | None = Field(title="复核说明")


class FlagList(Out):
    """Flags on orders in the bureau's regions."""

    items: list[FlagOut] = Field(title="异常")


class FlagReview(In):
    """A reviewer's decision on a flag (diagnose.models.FlagDecision) with the reason."""

    decision: Literal["confirmed", "dismissed"] = Field(title="复核结论")
    note: str = Field(min_length=1, max_length=2000, title="复核说明")


class OutcomeCreate(In):
    """A retrofit or recognition an enterprise went on to (the service refuses a date in the future)."""

    enterprise_id: Id = Field(title="企业")
    kind: Literal["retrofit", "recognition"] = Field(title="成果类型")
    on_date: dt.date = Field(title="日期")
    source: str = Field(min_length=1, max_length=255, title="来源")
    detail: str = Field(default="", max_length=2000, title="详情")


class PeriodQuery(In):
    """The period (by assignment date), the current calendar year by default."""

    model_config = In.model_config | {"extra": "ignore"}

    start: OptionalDate = Field(
        default=None, alias="from", title="起始日期", json_schema_extra=no_null_default
    )
    end: OptionalDate = Field(default=None, alias="to", title="截止日期", json_schema_extra=no_null_default)

    @model_validator(mode="after")
    def _ordered(self) -> Self:
        if self.start and self.end and self.end < self.start:
            raise FieldError("", "to_before_from")
        return self


class LeagueRow(Out):
    """One provider's figures over the period."""

    provider_id: int = Field(title="服务商")
    provider_name: str = Field(title="服务商名称")
    assigned: int = Field(title="派单数")
    delivered: int = Field(title="交付数")
    completed: int = Field(title="验收数")
    on_time: int = Field(title="按期数")
    returned: int = Field(title="退回数")
    avg_delivery_days: Decimal | None = Field(title="平均交付天数")
    avg_rating: Decimal | None = Field(title="平均评分")
    billed_fen: int = Field(title="已结算（分）")
    committed_fen: int = Field(title="已占用（分）")
    open_flags: int = Field(title="待复核异常")


class LeagueOut(Out):
    """The league table of providers serving the bureau's regions."""

    start: dt.date = Field(title="起始日期")
    end: dt.date = Field(title="截止日期")
    rows: list[LeagueRow] = Field(title="服务商")

"""The subsidy policy catalogue and sizing a plan (the `diagnose subsidy` format, docs/subsidy.md).

The plan model is built from the scoring package's own field tables, so the API and `parse_plan` agree on
every field; amounts are yuan (a number or a decimal string), limits stated in yuan.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Annotated, Any, Literal

from pydantic import Field, create_model

from diagnose.schemas.common import In, Out
from scoring.subsidy.plan import (
    ENTERPRISE_FIELDS,
    INDUSTRY_SECTIONS,
    INVESTMENT_FIELDS,
    PRODUCT_FIELDS,
    PROVIDER_FIELDS,
)

MAX_YUAN = Decimal(10) ** 13  # 10 万亿元: far above any plan
Money = Annotated[Decimal, Field(ge=0, le=MAX_YUAN, description="元 (yuan), 0 to 10,000,000,000,000 元")]
Quantity = Annotated[Decimal, Field(ge=0, le=MAX_YUAN)]
Count = Annotated[int, Field(ge=0, le=10**9)]
Ids = Annotated[list[Annotated[str, Field(max_length=64)]], Field(max_length=50)]
Text = Annotated[str, Field(max_length=200)]
KINDS: dict[str, Any] = {
    "money": Money,
    "quantity": Quantity,
    "count": Count,
    "ids": Ids,
    "text": Text,
    "bool": bool,
    "region": Annotated[str, Field(pattern=r"^[0-9]{6}$", description="GB/T 2260 code, e.g. 320412")],
    "industry": Literal[INDUSTRY_SECTIONS],  # type: ignore[valid-type]
}
REQUIRED = {"region"}


def _model(name: str, fields: dict[str, str], doc: str) -> type[In]:
    spec: dict[str, Any] = {
        key: (KINDS[kind], ...) if key in REQUIRED else (KINDS[kind] | None, None)
        for key, kind in fields.items()
    }
    model = create_model(name, __base__=In, __doc__=doc, **spec)
    return model


PlanEnterprise = _model("PlanEnterprise", ENTERPRISE_FIELDS, "Who applies: region, GB/T 4754 section, flags.")
PlanInvestments = _model("PlanInvestments", INVESTMENT_FIELDS, "What the plan invests, in yuan.")
PlanProduct = _model("PlanProduct", PRODUCT_FIELDS, "A product with its recognitions.")
PlanProvider = _model("PlanProvider", PROVIDER_FIELDS, "The provider's local contracts (provider subsidy).")


class SubsidyPlanIn(In):
    """A plan to size: date, enterprise, investments, recognitions, products and provider."""

    date: dt.date = Field(title="测算日期")
    enterprise: PlanEnterprise = Field(title="企业")  # type: ignore[valid-type]
    investments: PlanInvestments | None = Field(default=None, title="投资")  # type: ignore[valid-type]
    recognitions: Ids | None = Field(default=None, title="认定")
    products: list[PlanProduct] | None = Field(default=None, max_length=50, title="产品")  # type: ignore[valid-type]
    provider: PlanProvider | None = Field(default=None, title="服务商")  # type: ignore[valid-type]

    def plan(self) -> dict[str, Any]:
        """The plan as `scoring.subsidy.parse_plan` reads it (fields left out stay out)."""
        return self.model_dump(mode="json", exclude_none=True)


class LineOut(Out):
    """The verdict on one clause."""

    policy: str = Field(title="政策")
    source_file: str = Field(title="来源文件")
    clause: str = Field(title="条款")
    clause_id: str = Field(title="条款编号")
    target: str = Field(title="支持事项")
    target_name_zh: str = Field(title="支持事项名称")
    status: Literal["paid", "not_eligible", "superseded", "excluded", "out_of_force", "not_computable"] = (
        Field(title="结论")
    )
    amount_cny: str = Field(title="金额（元）")
    amount_fen: int = Field(title="金额（分）")
    max_cny: str = Field(title="上限（元）")
    explanation: str = Field(title="说明")
    quote: str = Field(title="原文")


class SubsidyOut(Out):
    """What the plan earns, clause by clause."""

    total_cny: str = Field(title="可计算合计（元）")
    total_fen: int = Field(title="可计算合计（分）")
    upper_bound_cny: str = Field(title="上限合计（元）")
    upper_bound_fen: int = Field(title="上限合计（分）")
    lines: list[LineOut] = Field(title="各条款")


class PolicyOut(Out):
    """One policy document."""

    id: str = Field(title="编号")
    source_file: str = Field(title="来源文件")
    number: str = Field(title="文号")
    title: str = Field(title="标题")
    region: str = Field(title="地区")
    level: str = Field(title="层级")
    valid_from: dt.date = Field(title="生效日期")
    valid_to: dt.date | None = Field(title="失效日期")
    validity_note: str = Field(title="效力说明")


class ClauseOut(Out):
    """One award clause with its citation."""

    id: str = Field(title="条款编号")
    policy: str = Field(title="政策")
    clause: str = Field(title="条款")
    target: str = Field(title="支持事项")
    region: str = Field(title="地区")
    valid_from: dt.date = Field(title="生效日期")
    valid_to: dt.date | None = Field(title="失效日期")
    quote: str = Field(title="原文")


class TargetOut(Out):
    """What a clause pays for."""

    id: str = Field(title="编号")
    name_zh: str = Field(title="名称")
    kind: str = Field(title="类别")


class CatalogueOut(Out):
    """The policy catalogue: policies, clauses and targets."""

    policies: list[PolicyOut] = Field(title="政策")
    clauses: list[ClauseOut] = Field(title="条款")
    targets: list[TargetOut] = Field(title="支持事项")

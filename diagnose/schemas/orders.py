"""Diagnosis orders, their workflow actions and procurement batches."""

from __future__ import annotations

from datetime import date
from typing import Literal

from pydantic import Field

from diagnose.schemas.common import Id, In, Out, PageOut, fen_field, to_fen, yuan_field

OrderKind = Literal["factory", "workshop"]
OrderStatus = Literal[
    "created", "assigned", "scheduled", "on_site", "submitted", "returned", "accepted", "cancelled"
]
Action = Literal[
    "assign",
    "schedule",
    "start_visit",
    "submit",
    "accept",
    "return",
    "cancel",
    "confirm",
    "rate",
    "accept_report",
    "dispute_report",
]
MAX_FEE_FEN = 10_000_000 * 100  # far above any cap: the caps themselves are checked by the service
MAX_BUDGET_FEN = 20_000_000 * 100  # the column is a 32-bit INTEGER on PostgreSQL (at most 21,474,836.47 元)

Fee = fen_field(MAX_FEE_FEN, title="诊断服务费", description="Fee of the order.")
Budget = fen_field(MAX_BUDGET_FEN, title="批次预算", description="Budget of the batch.")


class OrderCreate(In):
    """A new order (bureau): the fee must lie within the region's cap for the kind and the batch's budget."""

    batch_id: Id = Field(title="采购批次")
    enterprise_id: Id = Field(title="企业")
    kind: OrderKind = Field(title="诊断类型", description="factory 工厂级 | workshop 车间级")
    fee_fen: Fee  # type: ignore[valid-type]
    due_date: date | None = Field(default=None, title="完成期限")


class ActionIn(In):
    """Inputs a workflow action may need: provider to assign, visit date, return reason, rating and comment."""

    provider_id: Id | None = Field(default=None, title="服务商")
    visit_date: date | None = Field(default=None, title="上门日期")
    reason: str = Field(default="", max_length=2000, title="退回理由")
    rating: int | None = Field(default=None, ge=1, le=5, title="评分")
    comment: str = Field(default="", max_length=2000, title="评价")


class EnterpriseRef(Out):
    """The enterprise an order is for."""

    id: int = Field(title="编号")
    name: str = Field(title="企业名称")
    uscc: str = Field(title="统一社会信用代码")


class PersonOut(Out):
    """A person named on an order: their 姓名 (never the login), 职务 and phone."""

    user_id: int = Field(title="用户编号")
    name: str = Field(title="姓名", description="The 姓名, or the username of an account with none recorded")
    title: str = Field(title="职务")
    phone: str = Field(title="联系电话")


class StaffOut(Out):
    """An order's people: its 项目负责人 (none until the provider names one) and its 诊断人员."""

    lead: PersonOut | None = Field(title="项目负责人")
    members: list[PersonOut] = Field(title="诊断人员")


class StaffPage(StaffOut):
    """An order's people, and whom its provider may name (the provider's active users; empty for others)."""

    candidates: list[PersonOut] = Field(title="可指定人员")


class StaffIn(In):
    """Whom the provider names on the order: one 项目负责人 and any 诊断人员, users of the provider."""

    lead_id: Id = Field(title="项目负责人")
    member_ids: list[Id] = Field(default_factory=list, max_length=50, title="诊断人员")


class OrderOut(Out):
    """The public form of an order."""

    id: int = Field(title="编号")
    number: str = Field(title="订单号")
    status: OrderStatus = Field(title="状态")
    kind: OrderKind = Field(title="诊断类型")
    fee_fen: int = Field(title="诊断服务费（分）")
    bureau_id: int = Field(title="主管部门")
    batch_id: int | None = Field(title="采购批次")
    provider_id: int | None = Field(title="服务商")
    enterprise: EnterpriseRef | None = Field(title="企业")
    due_date: date | None = Field(title="完成期限")
    visit_date: date | None = Field(title="上门日期")
    return_reason: str | None = Field(title="退回理由")
    confirmed: bool = Field(title="企业已确认")
    rating: int | None = Field(title="评分")
    rating_comment: str | None = Field(title="评价")
    report_verdict: Literal["accepted", "disputed"] | None = Field(
        default=None,
        title="企业对报告的意见",
        description="accepted 已确认 | disputed 有异议 | null 尚未表态",
    )
    report_verdict_reason: str | None = Field(default=None, title="异议理由")
    instruments: Literal["cmmm", "sme", "both"] = Field(
        default="cmmm",
        title="评测工具",
        description="cmmm 智能制造能力成熟度 | both 同时评测中小企业数字化水平 | sme 仅中小企业数字化水平",
    )
    staff: StaffOut = Field(title="诊断团队")
    allowed_actions: list[Action] = Field(title="可执行操作")


class OrderPage(PageOut):
    """A page of orders."""

    items: list[OrderOut] = Field(title="订单")


class OrderListQuery(In):
    """Search, filter, sort and page, as in the UI."""

    q: str = Field(default="", max_length=100, title="搜索")
    status: OrderStatus | Literal[""] = Field(default="", title="状态")
    sort: Literal["updated", "number", "enterprise", "status", "fee", "due"] = Field(
        default="updated", title="排序"
    )
    dir: Literal["asc", "desc"] = Field(default="desc", title="方向")
    page: int = Field(default=1, ge=1, le=1_000_000, title="页码")


class BatchCreate(In):
    """A new procurement batch (bureau)."""

    name: str = Field(min_length=1, max_length=128, title="批次名称")
    year: int = Field(ge=2000, le=2100, title="年度")
    budget_fen: Budget  # type: ignore[valid-type]


BudgetYuan = yuan_field(MAX_BUDGET_FEN, title="批次预算")
FeeYuan = yuan_field(MAX_FEE_FEN, title="诊断服务费")


class BatchForm(In):
    """The bureau's new-batch form: the budget typed in yuan."""

    name: str = Field(min_length=1, max_length=128, title="批次名称")
    year: int = Field(ge=2000, le=2100, title="年度")
    budget_yuan: BudgetYuan  # type: ignore[valid-type]

    def create(self) -> BatchCreate:
        """The same batch as the API takes it (fen)."""
        return BatchCreate(name=self.name, year=self.year, budget_fen=to_fen(self.budget_yuan))


class OrderForm(In):
    """The bureau's new-order form: the fee typed in yuan."""

    batch_id: Id = Field(title="采购批次")
    enterprise_id: Id = Field(title="企业")
    kind: OrderKind = Field(title="诊断类型")
    fee_yuan: FeeYuan  # type: ignore[valid-type]
    due_date: date | None = Field(default=None, title="完成期限")

    def create(self) -> OrderCreate:
        """The same order as the API takes it (fen)."""
        return OrderCreate(**self.model_dump(exclude={"fee_yuan"}), fee_fen=to_fen(self.fee_yuan))


class BatchOut(Out):
    """A batch with the fees committed to it."""

    id: int = Field(title="编号")
    name: str = Field(title="批次名称")
    year: int = Field(title="年度")
    budget_fen: int = Field(title="批次预算（分）")
    committed_fen: int = Field(default=0, title="已占用（分）")


class BatchList(Out):
    """The bureau's batches."""

    items: list[BatchOut] = Field(title="批次")


class PoolChange(In):
    """Add a provider to the bureau's pool for a year, or suspend or remove it, with the reason."""

    provider_id: Id = Field(title="服务商")
    year: int = Field(ge=2000, le=2100, title="年度")
    change: Literal["add", "suspend", "remove"] = Field(title="变更")
    reason: str = Field(min_length=1, max_length=500, title="理由")

"""Orders, workflow actions, answers, scoring and batches: the same operations as the UI."""

from __future__ import annotations

from flask import Response, g
from pydantic import BaseModel, Field

from diagnose import workflow
from diagnose.models import DiagnosisOrder, Enterprise, Role, User
from diagnose.schemas.answers import AnswerIn, AnswerOut, AnswerSaved, AnswersOut, ResultOut, ScoreOut
from diagnose.schemas.common import PathId
from diagnose.schemas.orders import (
    Action,
    ActionIn,
    BatchCreate,
    BatchList,
    BatchOut,
    EnterpriseRef,
    OrderCreate,
    OrderListQuery,
    OrderOut,
    OrderPage,
    PersonOut,
    StaffIn,
    StaffOut,
    StaffPage,
)
from diagnose.services.accounts import orgs
from diagnose.services.diagnosis import assessments, order_staff, orders
from web.api.base import ALL, api_role, bp, not_found, ok, tag, writing
from web.db import get_session
from web.scope import PER_PAGE, get_order

ORDERS = tag("orders", "诊断订单、工作流、问卷与评分")
BATCHES = tag("batches", "采购批次")


class OrderPath(BaseModel):
    order_id: PathId = Field(title="订单编号")


class ActionPath(OrderPath):
    action: Action = Field(title="操作")


class AnswerPath(OrderPath):
    requirement_id: str = Field(max_length=32, title="要求项")


def person_out(user: User) -> PersonOut:
    """A person as the API names them (姓名, never the login unless none is recorded)."""
    return PersonOut(user_id=user.id, name=orgs.display_name(user), title=user.title, phone=user.phone)  # type: ignore[arg-type]


def staff_out(order: DiagnosisOrder) -> StaffOut:
    """The order's lead and members."""
    staff = orders.staff_of(session=get_session(), order=order)
    return StaffOut(
        lead=person_out(staff.lead) if staff.lead else None, members=[person_out(u) for u in staff.members]
    )


def order_out(order: DiagnosisOrder, enterprise: Enterprise | None = None) -> OrderOut:
    """The public form of an order, with what the caller may do next."""
    enterprise = enterprise or get_session().get(Enterprise, order.enterprise_id)
    return OrderOut(
        id=order.id,  # type: ignore[arg-type]
        number=order.number,
        status=order.status,  # type: ignore[arg-type]
        kind=order.kind,  # type: ignore[arg-type]
        fee_fen=order.fee_fen,
        bureau_id=order.bureau_id,
        batch_id=order.batch_id,
        provider_id=order.provider_id,
        enterprise=EnterpriseRef(id=enterprise.id, name=enterprise.name, uscc=enterprise.uscc)  # type: ignore[arg-type]
        if enterprise
        else None,
        due_date=order.due_date,
        visit_date=order.visit_date,
        return_reason=order.return_reason,
        confirmed=order.confirmed_at is not None,
        rating=order.rating,
        rating_comment=order.rating_comment,
        report_verdict=order.report_verdict,  # type: ignore[arg-type]
        report_verdict_reason=order.report_verdict_reason,
        instruments=order.instruments,  # type: ignore[arg-type]
        staff=staff_out(order),
        allowed_actions=workflow.allowed_actions(order.status, g.user.role)  # type: ignore[arg-type]
        if workflow.is_party(order, g.user)
        else [],
    )


@bp.get("/orders", tags=ORDERS, responses={200: OrderPage})
@api_role(*ALL)
def list_orders(query: OrderListQuery) -> Response:
    """Orders in scope: q, status, sort, dir and page as in the UI."""
    page = orders.list_orders(
        session=get_session(),
        user=g.user,
        query=query.q,
        status=query.status,
        sort=query.sort,
        descending=query.dir != "asc",
        page=query.page,
        per_page=PER_PAGE,
    )
    return ok(
        OrderPage(
            items=[order_out(o, e) for o, e in page.items], page=page.page, pages=page.pages, total=page.total
        )
    )


@bp.post("/orders", tags=ORDERS, responses={201: OrderOut})
@api_role(Role.bureau)
def create_order(body: OrderCreate) -> Response:
    """Create an order (bureau) within the region's fee cap and the batch's budget."""
    with writing() as db:
        order = orders.create_order(session=db, actor=g.user, **body.model_dump())
    return ok(order_out(order), 201)


@bp.get("/orders/<int:order_id>", tags=ORDERS, responses={200: OrderOut})
@api_role(*ALL)
def show_order(path: OrderPath) -> Response:
    """One order in scope."""
    return ok(order_out(get_order(path.order_id)))


@bp.post("/orders/<int:order_id>/actions/<action>", tags=ORDERS, responses={200: OrderOut})
@api_role(Role.bureau, Role.provider, Role.enterprise)
def act(path: ActionPath, body: ActionIn) -> Response:
    """Apply a workflow action; the body carries what the action needs (provider_id, visit_date, …)."""
    order = get_order(path.order_id)
    inputs = workflow.Inputs(**body.model_dump())
    with writing() as db:
        workflow.apply(session=db, order=order, action=path.action, actor=g.user, inputs=inputs)
    return ok(order_out(order))


@bp.get("/orders/<int:order_id>/staff", tags=ORDERS, responses={200: StaffPage})
@api_role(*ALL)
def show_staff(path: OrderPath) -> Response:
    """The order's 项目负责人 and 诊断人员; for its provider, also whom it may name."""
    order = get_order(path.order_id)
    staff = staff_out(order)
    mine = g.user.role == Role.provider and workflow.is_party(order, g.user)
    pool = order_staff.candidates(session=get_session(), order=order) if mine else []
    return ok(StaffPage(lead=staff.lead, members=staff.members, candidates=[person_out(u) for u in pool]))


@bp.put("/orders/<int:order_id>/staff", tags=ORDERS, responses={200: StaffOut})
@api_role(Role.provider, plant=True)  # only while the order is open to its provider
def put_staff(path: OrderPath, body: StaffIn) -> Response:
    """Name the order's 项目负责人 and 诊断人员 (the provider, before the visit is scheduled and until submission);
    replaces those named before."""
    order = get_order(path.order_id)
    with writing() as db:
        order_staff.set_staff(
            session=db, actor=g.user, order=order, lead_id=body.lead_id, member_ids=body.member_ids
        )
    return ok(staff_out(order))


@bp.get("/orders/<int:order_id>/answers", tags=ORDERS, responses={200: AnswersOut})
@api_role(*ALL, plant=True)
def list_answers(path: OrderPath) -> Response:
    """The questionnaire answers of an order."""
    order = get_order(path.order_id)
    with writing() as db:
        assessment = assessments.get_or_create(session=db, order=order)
    rows = assessments.answers_of(session=db, assessment=assessment).values()
    return ok(
        AnswersOut(
            industry_type=assessment.industry_type,  # type: ignore[arg-type]
            answers=[AnswerOut.model_validate(a) for a in sorted(rows, key=lambda a: a.requirement_id)],
        )
    )


@bp.put("/orders/<int:order_id>/answers/<requirement_id>", tags=ORDERS, responses={200: AnswerSaved})
@api_role(Role.provider, plant=True)
def put_answer(path: AnswerPath, body: AnswerIn) -> Response:
    """Save one answer (provider); a malformed body is refused and changes nothing."""
    order = get_order(path.order_id)
    with writing() as db:
        answer = assessments.save_answer(
            session=db, actor=g.user, order=order, requirement_id=path.requirement_id, **body.model_dump()
        )
    return ok(
        AnswerSaved(requirement_id=answer.requirement_id, rating=answer.rating, saved_at=answer.updated_at)
    )


@bp.post("/orders/<int:order_id>/score", tags=ORDERS, responses={200: ScoreOut})
@api_role(Role.provider, plant=True)
def score(path: OrderPath) -> Response:
    """Run the scoring (provider) and return the result summary."""
    order = get_order(path.order_id)
    with writing() as db:
        result = assessments.run_scoring(session=db, actor=g.user, order=order)
    return ok(ScoreOut(level=result.level, score=result.score, input_hash=result.input_hash))


@bp.get("/orders/<int:order_id>/result", tags=ORDERS, responses={200: ResultOut})
@api_role(*ALL)
def result(path: OrderPath) -> Response:
    """The latest scoring result with roadmap and subsidy estimate."""
    found = assessments.latest_result(session=get_session(), order=get_order(path.order_id))
    if found is None:
        not_found("the order has not been scored yet")
    return ok(ResultOut.model_validate(found))


@bp.get("/batches", tags=BATCHES, responses={200: BatchList})
@api_role(Role.bureau)
def list_batches() -> Response:
    """The bureau's batches with committed fees."""
    rows = orders.list_batches(session=get_session(), bureau_id=g.user.bureau_id)
    return ok(
        BatchList(
            items=[
                BatchOut(id=b.id, name=b.name, year=b.year, budget_fen=b.budget_fen, committed_fen=used)  # type: ignore[arg-type]
                for b, used in rows
            ]
        )
    )


@bp.post("/batches", tags=BATCHES, responses={201: BatchOut})
@api_role(Role.bureau)
def create_batch(body: BatchCreate) -> Response:
    """Create a batch (bureau)."""
    with writing() as db:
        batch = orders.create_batch(session=db, actor=g.user, **body.model_dump())
    return ok(BatchOut.model_validate(batch), 201)

"""The diagnosis order status machine: a pure transition table and the one function that applies it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlmodel import Session, col, select

from diagnose.models import (
    DiagnosisOrder,
    IssuedReport,
    OrderStatus,
    ProcurementBatch,
    Result,
    Role,
    SmeResult,
    User,
)
from diagnose.models.base import utcnow
from diagnose.schemas.errors import FieldError
from diagnose.services.accounts import notifications
from diagnose.services.audit import audit_log
from diagnose.services.diagnosis import order_staff, pool

S = OrderStatus


@dataclass(frozen=True)
class Transition:
    """An action: the statuses it may start from, the status it leads to (None: unchanged), who may do it."""

    action: str
    sources: frozenset[OrderStatus]
    target: OrderStatus | None
    role: Role


def _t(action: str, sources: set[OrderStatus], target: OrderStatus | None, role: Role) -> Transition:
    return Transition(action, frozenset(sources), target, role)


# The one table. "confirm" and "rate" are the enterprise's acts; they leave the status where it is.
TRANSITIONS: dict[str, Transition] = {
    t.action: t
    for t in (
        _t("assign", {S.created, S.assigned}, S.assigned, Role.bureau),
        _t("schedule", {S.assigned, S.scheduled}, S.scheduled, Role.provider),
        _t("start_visit", {S.scheduled}, S.on_site, Role.provider),
        _t("submit", {S.on_site, S.returned}, S.submitted, Role.provider),
        _t("accept", {S.submitted}, S.accepted, Role.bureau),
        _t("return", {S.submitted}, S.returned, Role.bureau),
        _t("cancel", {S.created, S.assigned, S.scheduled}, S.cancelled, Role.bureau),
        _t("confirm", {S.on_site, S.submitted, S.returned, S.accepted}, None, Role.enterprise),
        _t("rate", {S.submitted, S.returned, S.accepted}, None, Role.enterprise),
        # The enterprise's word on the issued report: 确认, or 异议 with a reason (the bureau sees it).
        _t("accept_report", {S.submitted, S.accepted}, None, Role.enterprise),
        _t("dispute_report", {S.submitted, S.accepted}, None, Role.enterprise),
    )
}
EDITABLE = frozenset({S.scheduled, S.on_site, S.returned})  # the questionnaire can be filled in these
# While one of these is open the order's provider may read and act on the enterprise's plant through the order:
# devices, ledger, calendar, dead letters, the questionnaire (with its measured figures), telemetry and
# indicators, UI and API alike (refs #12, #20). No grace after acceptance: what the provider keeps is the
# order's own record (the order, its timeline, the scoring result and the issued reports), not the plant.
PLANT_ACCESS = frozenset({S.assigned, S.scheduled, S.on_site, S.submitted, S.returned})


def plant_readable(status: str, role: str) -> bool:
    """Pure: whether a party of an order in `status` may read its plant through it. Providers only while the
    order is open (cancelled, accepted and reassigned orders end it); the bureau, the enterprise and the admin
    keep their tenant's view."""
    return role != Role.provider or status in PLANT_ACCESS


# A refused transition is the one input error type: `code` is 'forbidden' (wrong actor) or 'invalid' (wrong
# state or input), `field` names the input at fault ('status' when it is the order's state).
WorkflowError = FieldError


def next_status(status: str, action: str) -> OrderStatus:
    """Pure: the status after `action` from `status`; raises WorkflowError for a transition not in the table."""
    transition = TRANSITIONS.get(action)
    if transition is None or status not in transition.sources:
        raise FieldError("status", "order_status", action=action, status=status)
    return transition.target or OrderStatus(status)


def allowed_actions(status: str, role: str) -> list[str]:
    """Pure: the actions a role may take on an order in this status, in table order."""
    return [t.action for t in TRANSITIONS.values() if t.role == role and status in t.sources]


def offered_actions(order: DiagnosisOrder, role: str, *, report_issued: bool = False) -> list[str]:
    """Pure: the actions worth offering on this order: allowed ones, minus those already done for good
    (the visit confirmed once stays confirmed; a report accepted stays accepted, a dispute may still be
    withdrawn by accepting) and the report verdicts before a report is issued."""
    done = {
        "confirm": order.confirmed_at is not None,
        "accept_report": not report_issued or order.report_verdict == "accepted",
        "dispute_report": not report_issued or order.report_verdict is not None,
    }
    return [a for a in allowed_actions(order.status, role) if not done.get(a, False)]


def is_party(order: DiagnosisOrder, user: User) -> bool:
    """Whether the user acts for the organisation the order names in its role."""
    owner = {
        Role.bureau: (order.bureau_id, user.bureau_id),
        Role.provider: (order.provider_id, user.provider_id),
        Role.enterprise: (order.enterprise_id, user.enterprise_id),
    }.get(user.role)
    return owner is not None and owner[1] is not None and owner[0] == owner[1]


@dataclass(frozen=True)
class Inputs:
    """What some actions need: provider to assign, visit date, return reason, rating and comment."""

    provider_id: int | None = None
    visit_date: date | None = None
    reason: str = ""
    rating: int | None = None
    comment: str = ""


def order_year(session: Session, order: DiagnosisOrder) -> int:
    """The year an order is bought in: its batch's year."""
    batch = session.get(ProcurementBatch, order.batch_id) if order.batch_id is not None else None
    return batch.year if batch else order.created_at.year


def _check_inputs(session: Session, order: DiagnosisOrder, action: str, inputs: Inputs) -> None:
    if action == "assign":
        if inputs.provider_id is None:
            raise FieldError("provider_id", "choose_provider")
        year = order_year(session, order)
        if not pool.in_pool(
            session=session, bureau_id=order.bureau_id, provider_id=inputs.provider_id, year=year
        ):
            raise FieldError("provider_id", "provider_not_in_pool")
    if action == "schedule" and inputs.visit_date is None:
        raise FieldError("visit_date", "visit_date_required")
    if action == "schedule" and order_staff.staff_of(session=session, order=order).lead is None:
        # The enterprise is told who comes and the report who signs: the team is named before the visit is.
        raise FieldError("lead_id", "lead_required")
    if action == "return" and not inputs.reason.strip():
        raise FieldError("reason", "reason_required")
    if action == "cancel" and not inputs.reason.strip():
        # Cancelling releases the batch budget: the reason goes into the timeline with it.
        raise FieldError("reason", "reason_required")
    if (
        action == "submit"
        and order.rates_cmmm
        and session.exec(select(Result.id).where(Result.order_id == order.id)).first() is None
    ):
        raise FieldError("result", "score_first")
    if action == "submit" and order.rates_cmmm:
        from diagnose.services.diagnosis import contradictions  # it reads the workflow's EDITABLE

        waiting = contradictions.unresolved(session=session, order=order)
        if waiting:
            # The report states each decision: none may be left for "review later".
            raise FieldError("contradictions", "contradictions_open", n=len(waiting), ids=list(waiting))
    if action == "submit" and order.rates_sme:
        # One visit, two instruments (issue #26): the SME digital level is rated before the order goes out; an
        # SME-only order's rating keeps its measured week (a rating made while the order also rated CMMM does
        # not: it is rated again).
        newest = session.exec(
            select(SmeResult).where(SmeResult.order_id == order.id).order_by(col(SmeResult.id).desc())
        ).first()
        if newest is None or (not order.rates_cmmm and newest.snapshot_id is None):
            raise FieldError("sme_result", "sme_rating_first")
    if action == "accept" and order.confirmed_at is None:
        # Acceptance pays the provider; the enterprise must first confirm the visit took place.
        raise FieldError("confirmed_at", "visit_unconfirmed")
    if action == "confirm" and order.confirmed_at is not None:
        raise FieldError("confirmed_at", "visit_confirmed")
    if action == "rate" and (inputs.rating is None or not 1 <= inputs.rating <= 5):
        raise FieldError("rating", "stars")
    if action in ("accept_report", "dispute_report"):
        issued = session.exec(select(IssuedReport.id).where(IssuedReport.order_id == order.id)).first()
        if issued is None:
            raise FieldError("report", "no_report")
        if order.report_verdict == "accepted":
            raise FieldError("report_verdict", "report_accepted")
        if action == "dispute_report" and order.report_verdict == "disputed":
            raise FieldError("report_verdict", "report_disputed")
        if action == "dispute_report" and not inputs.reason.strip():
            raise FieldError("reason", "dispute_reason")


def _apply_fields(
    session: Session, order: DiagnosisOrder, action: str, inputs: Inputs, now: datetime
) -> None:
    if action == "assign":
        if order.provider_id is not None and order.provider_id != inputs.provider_id:
            order_staff.clear(session=session, order=order)  # another provider's people: none of them stay
        order.provider_id, order.assigned_at = inputs.provider_id, now
    elif action == "schedule":
        order.visit_date = inputs.visit_date
    elif action == "submit":
        order.submitted_at = now
    elif action == "accept":
        order.accepted_at = now
    elif action == "return":
        order.return_reason = inputs.reason.strip()
    elif action == "confirm":
        order.confirmed_at = now
    elif action == "rate":
        order.rating, order.rating_comment = inputs.rating, inputs.comment.strip() or None
    elif action in ("accept_report", "dispute_report"):
        order.report_verdict = "accepted" if action == "accept_report" else "disputed"
        order.report_verdict_reason = inputs.reason.strip() or None
        order.report_verdict_at = now


def apply(
    *,
    session: Session,
    order: DiagnosisOrder,
    action: str,
    actor: User,
    inputs: Inputs | None = None,
    now: datetime | None = None,
) -> DiagnosisOrder:
    """Check the actor's role and organisation, apply the transition and write the audit log (not committed)."""
    inputs = inputs or Inputs()
    transition = TRANSITIONS.get(action)
    if transition is None:
        raise FieldError("status", "no_such_action", action=action)
    if actor.role != transition.role or not is_party(order, actor):
        raise FieldError(
            "", "not_on_order", code="forbidden", actor=actor.username, action=action, number=order.number
        )
    before = order.status
    after = next_status(before, action)
    _check_inputs(session, order, action, inputs)
    now = now or utcnow()
    _apply_fields(session, order, action, inputs, now)
    order.status, order.updated_at = after, now
    session.add(order)
    detail: dict[str, object] = {"from": before, "to": after.value}
    if inputs.provider_id is not None:
        detail["provider_id"] = inputs.provider_id
    if inputs.visit_date is not None:
        detail["visit_date"] = inputs.visit_date.isoformat()
    if inputs.reason:
        detail["reason"] = inputs.reason.strip()
    if inputs.rating is not None:
        detail["rating"] = inputs.rating
    audit_log.record(
        session=session,
        actor=actor,
        action=f"order.{action}",
        entity="order",
        entity_id=order.id,
        detail=detail,
    )
    # The people named on the order are told (assign, return, accept, the enterprise's word on the report).
    notifications.notify(session=session, order=order, event=action, actor=actor, detail=inputs.reason)
    return order

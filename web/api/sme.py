"""The order's SME digital-level rating (《中小企业数字化水平评测指标（2024年版）》), as the result page shows it."""

from __future__ import annotations

from flask import Response, current_app, g
from pydantic import BaseModel, Field

from diagnose.models import DiagnosisOrder, Enterprise, Role, SmeAnswer, SmePilot
from diagnose.schemas.common import PathId
from diagnose.schemas.sme import (
    InstrumentsForm,
    SmeAnswerIn,
    SmeComparisonOut,
    SmeDecisionOut,
    SmeInstrumentsOut,
    SmePilotChange,
    SmePilotOut,
    SmeProposalOut,
    SmeQuestionnaireOut,
    SmeResultOut,
)
from diagnose.services.diagnosis import sme, sme_index
from diagnose.workflow import EDITABLE
from scoring.sme.engine import fmt
from scoring.sme.proposals import Proposal
from web.api.base import ALL, api_role, bp, not_found, ok, tag, writing
from web.db import get_session
from web.scope import get_enterprise, get_order

SME = tag("sme", "中小企业数字化水平评测（2024年版）")


class OrderPath(BaseModel):
    order_id: PathId = Field(title="订单编号")


class SmeAnswerPath(OrderPath):
    key: str = Field(max_length=32, pattern=r"^[A-Za-z0-9_]+$", title="评测项")


def _proposals(order: DiagnosisOrder) -> dict[str, Proposal]:
    settings = current_app.extensions["diagnose_settings"]
    return sme.proposals(session=get_session(), order=order, silence_timeout_s=settings.silence_timeout_s)


def _decision_out(row: SmeAnswer) -> SmeDecisionOut:
    return SmeDecisionOut(
        key=row.key, value=row.value, proposed=row.proposed, evidence_zh=row.evidence,
        decision=row.decision, reason=row.reason,  # type: ignore[arg-type]
    )  # fmt: skip


@bp.put("/orders/<int:order_id>/instruments", tags=SME, responses={200: SmeInstrumentsOut})
@api_role(Role.provider, plant=True)
def put_instruments(path: OrderPath, body: InstrumentsForm) -> Response:
    """What the visit rates: `cmmm`, `sme` (the SME digital level alone) or `both`; the order's provider, until
    the order is submitted."""
    order = get_order(path.order_id)
    with writing() as db:
        sme.set_instruments(session=db, actor=g.user, order=order, instruments=body.instruments)
        shown = SmeInstrumentsOut(order_id=order.id, instruments=order.instruments)  # type: ignore[arg-type]
    return ok(shown)


@bp.get("/orders/<int:order_id>/sme/answers", tags=SME, responses={200: SmeQuestionnaireOut})
@api_role(*ALL, plant=True)
def sme_answers(path: OrderPath) -> Response:
    """The order's SME questionnaire: each saved answer with the decision on its measured proposal, and what
    the plant's measured figures propose now (the figures the CMMM questionnaire shows). 404 for an order that
    does not rate the SME level."""
    order = get_order(path.order_id)
    if not order.rates_sme:
        not_found("this order does not rate the SME digital level")
    rows = sme.answers_of(session=get_session(), order=order)
    return ok(
        SmeQuestionnaireOut(
            order_id=order.id,  # type: ignore[arg-type]
            instruments=order.instruments,
            editable=order.status in EDITABLE,
            index_version=sme_index.in_force(get_session()).version,
            answers=[_decision_out(rows[k]) for k in sorted(rows)],
            proposals=[
                SmeProposalOut(
                    key=k, value=p.to_dict()["value"], evidence_zh=p.evidence_zh, partial=p.partial
                )
                for k, p in sorted(_proposals(order).items())
            ],
        )
    )


@bp.put("/orders/<int:order_id>/sme/answers/<key>", tags=SME, responses={200: SmeDecisionOut})
@api_role(Role.provider, plant=True)
def put_sme_answer(path: SmeAnswerPath, body: SmeAnswerIn) -> Response:
    """Save one item or scenario (the order's provider): checked against the index; answering otherwise than
    the measured proposal needs a reason. A refused answer changes nothing."""
    order = get_order(path.order_id)
    with writing() as db:
        row = sme.save_answer(
            session=db, actor=g.user, order=order, key=path.key, value=body.value, reason=body.reason,
            proposal=_proposals(order).get(path.key),
        )  # fmt: skip
        shown = _decision_out(row)
    return ok(shown)


@bp.post("/orders/<int:order_id>/sme/score", tags=SME, responses={200: SmeResultOut})
@api_role(Role.provider, plant=True)
def sme_score(path: OrderPath) -> Response:
    """Rate the SME digital level from the saved answers (every item and scenario answered, else the missing
    ones are named); answers as `GET /orders/{id}/sme` does."""
    order = get_order(path.order_id)
    with writing() as db:
        sme.score(
            session=db, actor=g.user, order=order,
            silence_timeout_s=current_app.extensions["diagnose_settings"].silence_timeout_s,
        )  # fmt: skip
    return _result_of(order)


@bp.get("/orders/<int:order_id>/sme", tags=SME, responses={200: SmeResultOut})
@api_role(*ALL)
def sme_result(path: OrderPath) -> Response:
    """The newest SME rating of the order with the decisions on the measured proposals and the comparison with
    the enterprise's earlier rating; `rated` false while the order rates it but has no rating yet. 404 for an
    order that does not rate the SME level."""
    return _result_of(get_order(path.order_id))


def _result_of(order: DiagnosisOrder) -> Response:
    shown = sme.shown(session=get_session(), order=order)
    if shown is None:
        not_found("this order does not rate the SME digital level")
    row, detail, comparison = shown["row"], shown["detail"] or {}, shown["comparison"]
    return ok(
        SmeResultOut(
            order_id=order.id,  # type: ignore[arg-type]
            instruments=order.instruments,
            rated=row is not None,
            level=row.level if row else None,
            level_zh=detail.get("level_zh", ""),
            total=row.total if row else None,
            index_version=row.index_version if row else "",
            rated_at=row.created_at.isoformat() if row else None,
            reason_zh=detail.get("reason_zh", ""),
            next_zh=detail.get("next_zh", ""),
            notice_zh=detail.get("notice_zh", ""),
            official_note_zh=shown["recognition_zh"],
            dimensions=detail.get("dimensions", []),
            scenarios=detail.get("scenarios", []),
            decisions=[SmeDecisionOut.model_validate(d) for d in detail.get("decisions", [])],
            comparison=SmeComparisonOut(
                level_before=comparison.level_before,
                level_after=comparison.level_after,
                total_before=fmt(comparison.total_before),
                total_after=fmt(comparison.total_after),
                summary_zh=comparison.summary_zh,
                same_index=comparison.same_index,
            )
            if comparison
            else None,
        )
    )


class EnterprisePath(BaseModel):
    enterprise_id: PathId = Field(title="企业编号")


def _pilot_out(enterprise: Enterprise, mark: SmePilot | None) -> SmePilotOut:
    return SmePilotOut(
        enterprise_id=enterprise.id,  # type: ignore[arg-type]
        pilot=mark is not None,
        marked_at=mark.marked_at.isoformat() if mark else None,
    )


@bp.get("/enterprises/<int:enterprise_id>/sme-pilot", tags=SME, responses={200: SmePilotOut})
@api_role(Role.admin, Role.bureau)
def show_sme_pilot(path: EnterprisePath) -> Response:
    """Whether an enterprise in scope is in the SME digital-transformation pilot, and since when."""
    enterprise = get_enterprise(path.enterprise_id)
    return ok(_pilot_out(enterprise, sme.pilot_mark(session=get_session(), enterprise=enterprise)))


@bp.put("/enterprises/<int:enterprise_id>/sme-pilot", tags=SME, responses={200: SmePilotOut})
@api_role(Role.bureau)
def put_sme_pilot(path: EnterprisePath, body: SmePilotChange) -> Response:
    """Put an enterprise of the bureau's regions into the pilot (`pilot` true) or take it out, with the
    reason (audited). Setting what already holds changes nothing."""
    enterprise = get_enterprise(path.enterprise_id)
    with writing() as db:
        mark = sme.set_pilot(
            session=db, actor=g.user, enterprise=enterprise, pilot=body.pilot, reason=body.reason
        )
        shown = _pilot_out(enterprise, mark)
    return ok(shown)

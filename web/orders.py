"""Orders as every party sees them: the scoped list, one order's page, its transitions, result and files."""

from __future__ import annotations

from typing import Any

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    g,
    redirect,
    render_template,
    send_file,
    url_for,
)
from flask_babel import gettext as _
from sqlmodel import select
from werkzeug.wrappers import Response

from diagnose import workflow
from diagnose.models import Attachment, Bureau, Enterprise, IssuedReport, Provider, Role
from diagnose.models.base import utcnow
from diagnose.schemas.orders import ActionIn
from diagnose.services.diagnosis import (
    assessments,
    evidence_snapshot,
    order_staff,
    orders,
    peer_standing,
    pool,
    sme,
)
from scoring.china_time import china_today
from web import subsidy_reasons
from web.auth import role_required
from web.db import get_session
from web.forms import parse_form
from web.labels import figure_words
from web.messages import reason_of
from web.scope import get_order, get_plant_order, list_args

bp = Blueprint("orders", __name__, url_prefix="/orders")
PARTIES = (Role.bureau, Role.provider, Role.enterprise, Role.admin)


@bp.get("")
@role_required(*PARTIES)
def list_orders() -> str:
    """Orders in the user's scope: searchable by number or enterprise, filterable by status, sortable, paged."""
    args = list_args()
    page = orders.list_orders(session=get_session(), user=g.user, **args)
    return render_template("orders/list.html", page=page, args=args)


@bp.get("/<int:order_id>")
@role_required(*PARTIES)
def show_order(order_id: int) -> str:
    """One order: parties, status, allowed actions, timeline, latest result."""
    db = get_session()
    order = get_order(order_id)
    staffing = (
        g.user.role == Role.provider
        and workflow.is_party(order, g.user)
        and order.status in order_staff.STAFF_EDITABLE
    )
    return render_template(
        "orders/show.html",
        order=order,
        staff=orders.staff_of(session=db, order=order),
        candidates=order_staff.candidates(session=db, order=order) if staffing else [],
        enterprise=db.get(Enterprise, order.enterprise_id),
        bureau=db.get(Bureau, order.bureau_id),
        provider=db.get(Provider, order.provider_id) if order.provider_id else None,
        actions=workflow.offered_actions(
            order,
            g.user.role,
            report_issued=db.exec(select(IssuedReport.id).where(IssuedReport.order_id == order.id)).first()
            is not None,
        )
        if workflow.is_party(order, g.user)
        else [],
        pool=pool.pool_for_year(session=db, bureau_id=order.bureau_id, year=workflow.order_year(db, order))
        if g.user.role == Role.bureau
        else [],
        timeline=orders.timeline(session=db, order=order),
        result=assessments.latest_result(session=db, order=order),
        sme_rated=order.rates_sme and sme.latest(session=db, order=order) is not None,
        attachments=assessments.attachments_of(session=db, order=order),
        today=china_today(utcnow()).isoformat(),
    )


@bp.post("/<int:order_id>/<action>")
@role_required(*PARTIES)
def act(order_id: int, action: str) -> Response:
    """Apply one workflow action from the order page; refusals come back as a message."""
    db = get_session()
    order = get_order(order_id)
    if action not in workflow.TRANSITIONS:
        abort(404)
    try:
        inputs = workflow.Inputs(**parse_form(ActionIn).model_dump())  # the API's body for the same action
        workflow.apply(session=db, order=order, action=action, actor=g.user, inputs=inputs)
    except workflow.WorkflowError as exc:
        db.rollback()
        if exc.code == "forbidden":
            abort(403)
        flash(_("Not done: %(reason)s", reason=reason_of(exc)), "error")
        return redirect(url_for("orders.show_order", order_id=order_id))
    db.commit()
    flash(_("Done."), "ok")
    return redirect(url_for("orders.show_order", order_id=order_id))


@bp.get("/<int:order_id>/timeline.json")
@role_required(*PARTIES)
def timeline_json(order_id: int) -> dict[str, Any]:
    """The order's status changes, for the timeline chart."""
    return {"events": orders.timeline(session=get_session(), order=get_order(order_id))}


@bp.get("/<int:order_id>/result")
@role_required(*PARTIES)
def show_result(order_id: int) -> str:
    """The latest scoring: radar by domain, level scores, gaps, roadmap and subsidy estimate."""
    db = get_session()
    order = get_order(order_id)
    settings = current_app.extensions["diagnose_settings"]
    enterprise = db.get(Enterprise, order.enterprise_id)
    if not order.rates_cmmm:
        # An SME-only visit: its rating and the measured week it kept (the CMMM parts are not shown).
        kept = assessments.kept_sme_snapshot(session=db, order=order)
        if kept is None:
            abort(404)
        return render_template(
            "orders/result.html", order=order, result=None, enterprise=enterprise,
            sme=sme.shown(session=db, order=order), snapshot=kept,
        )  # fmt: skip
    result = assessments.latest_result(session=db, order=order)
    if result is None:
        abort(404)
    return render_template(
        "orders/result.html",
        order=order,
        result=result,
        enterprise=enterprise,
        sme=sme.shown(session=db, order=order),
        why=subsidy_reasons.of_result(result, enterprise),  # why ¥0 / why a line is not paid
        peers=peer_standing.standing(session=db, order=order, result=result),
        snapshot=evidence_snapshot.of_result(
            session=db, result=result, silence_timeout_s=settings.silence_timeout_s
        ),
    )


@bp.get("/<int:order_id>/attachments/<int:attachment_id>")
@role_required(*PARTIES)
def download_attachment(order_id: int, attachment_id: int) -> Response:
    """An evidence file of an order in scope, always as a download (never rendered inline)."""
    order = get_order(order_id)
    attachment = get_session().get(Attachment, attachment_id)
    if attachment is None or attachment.order_id != order.id:
        abort(404)
    folder = current_app.extensions["diagnose_settings"].var_dir / "uploads" / str(order.id)
    path = folder / attachment.stored_name
    if not path.is_file():
        abort(404)
    return send_file(
        path.resolve(),
        as_attachment=True,
        download_name=attachment.filename,
        mimetype="application/octet-stream",
    )


@bp.get("/<int:order_id>/oee.json")
@role_required(*PARTIES)
def oee_json(order_id: int) -> dict[str, Any]:
    """The plant OEE of each day of the latest scoring's evidence window (its snapshot), for the trend chart;
    a day below the OEE card's minimum has no number, and says why."""
    db = get_session()
    order = get_plant_order(order_id)  # plant data: only while the order is open
    result = assessments.latest_result(session=db, order=order)
    if result is None:
        return {"points": []}
    settings = current_app.extensions["diagnose_settings"]
    snapshot = evidence_snapshot.of_result(
        session=db, result=result, silence_timeout_s=settings.silence_timeout_s
    )
    return {
        "points": [
            {
                "day": day,
                "oee": float(figure.value) if figure.ok and figure.value is not None else None,
                "status": figure.status,
                "text": figure_words(figure),
            }
            for day, figure in snapshot.daily
        ]
    }

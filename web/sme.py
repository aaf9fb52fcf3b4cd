"""The provider's SME digital-level questionnaire of an order (《中小企业数字化水平评测指标（2024年版）》): the choice of
instruments, answers with the measured proposals accepted or overridden for a reason, and the rating."""

from __future__ import annotations

from flask import Blueprint, abort, current_app, flash, g, redirect, render_template, url_for
from flask_babel import gettext as _
from werkzeug.wrappers import Response

from diagnose.models import DiagnosisOrder, Enterprise, Role
from diagnose.schemas.errors import FieldError
from diagnose.schemas.sme import InstrumentsForm, SmeAnswerForm
from diagnose.services.diagnosis import assessments, sme, sme_index
from diagnose.workflow import EDITABLE
from scoring.sme.proposals import Proposal
from web.auth import role_required
from web.db import get_session
from web.forms import parse_form, refuse
from web.scope import get_order, guard_plant

bp = Blueprint("sme", __name__, url_prefix="/provider/orders/<int:order_id>")
guard_plant(bp)  # the questionnaire shows the plant's measured figures: only while the order is open


@bp.post("/instruments")
@role_required(Role.provider)
def set_instruments(order_id: int) -> Response:
    """The order page's choice: CMMM alone, or CMMM and the SME digital level in the same visit."""
    order = get_order(order_id)
    try:
        form = parse_form(InstrumentsForm)
        sme.set_instruments(session=get_session(), actor=g.user, order=order, instruments=form.instruments)
    except FieldError as exc:
        refuse(exc)
    else:
        get_session().commit()
        flash(_("Instruments saved."), "ok")
    return redirect(url_for("orders.show_order", order_id=order_id) + "#instruments")


def _proposals(order: DiagnosisOrder) -> dict[str, Proposal]:
    settings = current_app.extensions["diagnose_settings"]
    return sme.proposals(session=get_session(), order=order, silence_timeout_s=settings.silence_timeout_s)


@bp.get("/sme")
@role_required(Role.provider)
def questionnaire(order_id: int) -> str:
    """Every item and scenario with its saved answer and, where the plant's week measures it, the proposal
    with its evidence; each saved on its own (a small form), an override with its reason."""
    order = get_order(order_id)
    if not order.rates_sme:
        abort(404)
    db = get_session()
    index = sme_index.in_force(db)
    answers = sme.answers_of(session=db, order=order)
    latest = sme.latest(session=db, order=order)
    return render_template(
        "provider/sme.html",
        order=order,
        enterprise=db.get(Enterprise, order.enterprise_id),
        index=index,
        answers=answers,
        proposals=_proposals(order),
        total=len(index.items) + len(index.scenarios),
        editable=order.status in EDITABLE,
        latest=latest,
        grades=[(grade.grade, grade.name_zh) for grade in index.grades],
    )


@bp.post("/sme/answers")
@role_required(Role.provider)
def save_answer(order_id: int) -> Response:
    """Save one item or scenario (a refused answer changes nothing and says why)."""
    order = get_order(order_id)
    key = ""
    try:
        form = parse_form(SmeAnswerForm)
        key = form.key
        index = sme_index.in_force(get_session())
        item = index.item(key)
        value: str | list[str] | int
        if item is not None and item.kind == "multi":
            value = form.value
        elif item is not None:
            if len(form.value) != 1:
                raise FieldError("value", "choose_option")
            value = form.value[0]
        else:
            if len(form.value) != 1 or not form.value[0].isdigit():
                raise FieldError("value", "choose_grade")
            value = int(form.value[0])
        sme.save_answer(
            session=get_session(), actor=g.user, order=order, key=key, value=value, reason=form.reason,
            proposal=_proposals(order).get(key),
        )  # fmt: skip
    except FieldError as exc:
        refuse(exc)
    else:
        get_session().commit()
        flash(_("Saved."), "ok")
    anchor = f"#sme-{key}" if key.replace("_", "").isalnum() else ""
    return redirect(url_for("sme.questionnaire", order_id=order_id) + anchor)


@bp.post("/sme/score")
@role_required(Role.provider)
def score(order_id: int) -> Response:
    """Rate the SME digital level from the saved answers; the result page shows it."""
    order = get_order(order_id)
    try:
        sme.score(
            session=get_session(), actor=g.user, order=order,
            silence_timeout_s=current_app.extensions["diagnose_settings"].silence_timeout_s,
        )  # fmt: skip
    except FieldError as exc:
        refuse(exc)
        return redirect(url_for("sme.questionnaire", order_id=order_id))
    get_session().commit()
    flash(_("SME digital level rated."), "ok")
    if order.rates_cmmm and assessments.latest_result(session=get_session(), order=order) is None:
        return redirect(url_for("sme.questionnaire", order_id=order_id) + "#sme-latest")
    return redirect(url_for("orders.show_result", order_id=order_id) + "#sme")

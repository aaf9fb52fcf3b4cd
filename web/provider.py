"""The provider's side of an order: plant devices, the questionnaire (saved per answer), files, scoring."""

from __future__ import annotations

import re
from typing import Any

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    g,
    jsonify,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlmodel import Session
from werkzeug.wrappers import Response

from diagnose.models import Device, DiagnosisOrder, Enterprise, GatewayAccount, Role, User
from diagnose.schemas.answers import AnswerForm, AttachmentForm, TailoringForm
from diagnose.schemas.devices import DeviceCreate, GatewayForm
from diagnose.schemas.errors import FieldError, validate
from diagnose.schemas.orders import StaffIn
from diagnose.services.accounts.orgs import ValidationError
from diagnose.services.diagnosis import assessments, order_staff, tailoring
from diagnose.services.diagnosis.orders import Page
from diagnose.services.shopfloor import broker_accounts, devices, gateways, plant
from diagnose.workflow import EDITABLE
from scoring import maturity
from scoring.china_time import to_china
from scoring.maturity.evidence import load_evidence_rules
from web.auth import role_required
from web.db import get_session
from web.forms import FormError, parse_form, refuse, typed
from web.labels import RATING_LABELS, label_of
from web.messages import not_saved, reason_of, reason_text
from web.scope import get_order, get_plant_order, guard_plant, list_args

bp = Blueprint("provider", __name__, url_prefix="/provider/orders/<int:order_id>")
guard_plant(bp)  # every page here shows the plant or the questionnaire: only while the order is open
DEVICES_PER_PAGE = 50
REQUIREMENT_ID = re.compile(r"[A-Za-z0-9_.-]{1,32}")  # what may follow '#req-' in the questionnaire's address


def _device(order: DiagnosisOrder, device_id: int) -> Device:
    device = get_session().get(Device, device_id)
    if device is None or device.enterprise_id != order.enterprise_id:
        abort(404)
    return device


def _broker_url() -> str:
    """The broker address for devices: never the platform's own credentials."""
    return current_app.extensions["diagnose_settings"].mqtt_public_url


def device_rows(order: DiagnosisOrder) -> list[dict[str, Any]]:
    """The plant's devices with live state, as JSON-able rows."""
    return [
        {
            "id": d.id,
            "external_id": d.external_id,
            "name": d.name,
            "kind": d.kind,
            "networked": d.networked,
            "registry_status": d.registry_status,
            "last_state": d.last_state,
            "last_seen_at": d.last_seen_at.isoformat() if d.last_seen_at else None,
            "last_seen_cn": to_china(d.last_seen_at).strftime("%Y-%m-%d %H:%M:%S")
            if d.last_seen_at
            else None,
            "birth_kind": d.birth_kind,
            "online": d.online,
            "mqtt_username": d.mqtt_username,
        }
        for d in _device_page(order).items
    ]


def _device_page(order: DiagnosisOrder) -> Page:
    """The page of the plant's devices asked for (?page=N): a plant may have thousands."""
    number = list_args()["page"]
    items, total = devices.page_devices(
        session=get_session(), enterprise_id=order.enterprise_id, page=number, per_page=DEVICES_PER_PAGE
    )
    return Page(items=items, page=number, per_page=DEVICES_PER_PAGE, total=total)


@bp.get("/devices")
@role_required(Role.provider)
def plant_devices(order_id: int) -> str:
    """The plant's devices, how to connect them (broker, topics, credentials) and their live state."""
    order = get_order(order_id)
    db = get_session()
    enterprise = db.get(Enterprise, order.enterprise_id)
    page = _device_page(order)
    rows = page.items
    return render_template(
        "provider/devices.html",
        order=order,
        enterprise=enterprise,
        devices=rows,
        page=page,
        topics={d.id: plant.topics(enterprise, d) for d in rows},  # type: ignore[arg-type]
        broker_url=_broker_url(),
    )


@bp.get("/devices.json")
@role_required(Role.provider)
def plant_devices_json(order_id: int) -> Response:
    """Live device state, polled by the devices page."""
    return jsonify(devices=device_rows(get_order(order_id)))


@bp.post("/devices")
@role_required(Role.provider)
def add_device(order_id: int) -> Response:
    """Register one of the plant's devices: pending until the plant confirms it."""
    order = get_plant_order(order_id)
    db = get_session()
    try:
        device = parse_form(DeviceCreate)  # the API's body for registering a device
    except FormError as exc:
        flash(not_saved(exc), "error")
        return redirect(url_for("provider.plant_devices", order_id=order_id))
    devices.register_device(
        session=db,
        actor=g.user,
        enterprise_id=order.enterprise_id,
        **device.model_dump(exclude={"protocol"}),
        protocol=device.protocol if device.networked else "none",
        registry_status="pending",
    )
    try:
        db.commit()
    except Exception:
        db.rollback()
        flash(_("That device id is already registered."), "error")
    return redirect(url_for("provider.plant_devices", order_id=order_id))


@bp.post("/devices/<int:device_id>/credentials")
@role_required(Role.provider)
def device_credentials(order_id: int, device_id: int) -> str:
    """Issue MQTT credentials for a device and show the password once."""
    order = get_plant_order(order_id)
    db = get_session()
    device = _device(order, device_id)
    enterprise = db.get(Enterprise, order.enterprise_id)
    password = plant.issue_mqtt_credentials(session=db, actor=g.user, device=device, enterprise=enterprise)  # type: ignore[arg-type]
    db.commit()
    return render_template(
        "provider/credentials.html",
        order=order,
        device=device,
        password=password,
        topics=plant.topics(enterprise, device),  # type: ignore[arg-type]
        broker_url=_broker_url(),
    )


@bp.post("/staff")
@role_required(Role.provider)
def save_staff(order_id: int) -> Response:
    """Name the order's 项目负责人 and 诊断人员 from the provider's users (the order page's team form)."""
    order = get_order(order_id)
    db = get_session()
    try:
        form = parse_form(StaffIn)
        order_staff.set_staff(
            session=db, actor=g.user, order=order, lead_id=form.lead_id, member_ids=form.member_ids
        )
    except FieldError as exc:
        refuse(exc)
    else:
        db.commit()
        flash(_("Diagnosis team saved."), "ok")
    return redirect(url_for("orders.show_order", order_id=order_id) + "#staff")


@bp.get("/questionnaire")
@role_required(Role.provider)
def questionnaire(order_id: int) -> str:
    """The maturity questionnaire a sub-domain at a time (?sub=…, or ?req=… for the sub-domain holding a
    requirement), with progress and a jump list; without either, its overview: the measured indicators, the
    plant's devices, tailoring and every sub-domain's progress. Each page stays small enough for a phone."""
    order = get_order(order_id)
    db = get_session()
    assessment = assessments.get_or_create(session=db, order=order)
    db.commit()
    requirements = assessments.requirements_for(assessment.industry_type)
    the_model = assessments.model()
    answers = assessments.answers_of(session=db, assessment=assessment)
    sections = [(s, [r for r in requirements if r.subdomain == s.id]) for s in the_model.subdomains]
    sections = [(s, reqs) for s, reqs in sections if reqs]
    done = {s.id: sum(1 for r in reqs if r.id in answers and answers[r.id].rating) for s, reqs in sections}
    current = _current_section(sections, request.args.get("sub", ""), request.args.get("req", ""))
    position = next((i for i, (s, _r) in enumerate(sections) if current and s.id == current[0].id), None)
    editable = order.status in EDITABLE
    result = assessments.latest_result(session=db, order=order)
    common: dict[str, Any] = {
        "order": order,
        "enterprise": db.get(Enterprise, order.enterprise_id),
        "assessment": assessment,
        "answers": answers,
        "sections": sections,
        "done": done,
        "domains": {d.id: d for d in the_model.domains},
        "answered": sum(done.values()),
        "total": len(requirements),
        "current": current,
        "previous": sections[position - 1][0] if position else None,
        "next": sections[position + 1][0] if position is not None and position + 1 < len(sections) else None,
        "first_open": next((s for s, reqs in sections if done[s.id] < len(reqs)), sections[0][0]),
        "editable": editable,
        "scored": result is not None,
        "as_scored": result is not None and not editable,
    }
    settings = current_app.extensions["diagnose_settings"]
    snapshot = assessments.page_snapshot(
        session=db, order=order, silence_timeout_s=settings.silence_timeout_s
    )
    evidence = assessments.measured_from(snapshot)
    if current is None:
        return render_template(
            "provider/questionnaire.html",
            evidence=evidence,
            snapshot=snapshot,
            tailoring={t.subdomain: t for t in tailoring.of_assessment(session=db, assessment=assessment)},
            tailorable=[s for s in the_model.subdomains if s.id in tailoring.tailorable()],
            tailoring_reasons=tailoring.reasons(),
            **common,
        )
    shown = {r.id for r in current[1]}
    proposals: dict[str, list[maturity.Proposal]] = {}
    for p in maturity.propose_ratings(evidence, assessments.model()):
        if p.requirement_id in shown:
            proposals.setdefault(p.requirement_id, []).append(p)
    shortfalls, contradictions = assessments.evidence_notes(
        session=db, assessment=assessment, evidence=evidence
    )
    files: dict[str, list[Any]] = {}
    for a in assessments.attachments_of(session=db, order=order):
        files.setdefault(a.requirement_id, []).append(a)
    return render_template(
        "provider/questionnaire.html",
        proposals={k: [proposal_text(p, evidence) for p in v] for k, v in proposals.items()},
        shortfalls=shortfalls,
        contradictions=contradictions,
        files=files,
        # Tailoring is per sub-domain (the overview's card), so a single requirement is never "n/a" here.
        ratings=[r for r in assessments.RATING_CHOICES if r != "n/a"],
        **common,
    )


def _current_section(
    sections: list[tuple[Any, list[Any]]], sub: str, requirement: str
) -> tuple[Any, list[Any]] | None:
    """The sub-domain asked for by id, or the one holding the requirement asked for; None for the overview."""
    for section in sections:
        if section[0].id == sub or any(r.id == requirement for r in section[1]):
            return section
    return None


def questionnaire_url(order_id: int, requirement_id: str = "") -> str:
    """The questionnaire's page holding a requirement, at its place (the overview without one)."""
    if not REQUIREMENT_ID.fullmatch(requirement_id):
        return url_for("provider.questionnaire", order_id=order_id)
    return url_for("provider.questionnaire", order_id=order_id, req=requirement_id) + f"#req-{requirement_id}"


@bp.post("/tailoring")
@role_required(Role.provider)
def save_tailoring(order_id: int) -> Response:
    """Tailor a sub-domain out of the assessment (reason from the fixed list) or back in, before scoring."""
    order = get_order(order_id)
    db = get_session()
    try:
        form = parse_form(TailoringForm)
        tailoring.set_tailoring(
            session=db,
            actor=g.user,
            order=order,
            assessment=assessments.get_or_create(session=db, order=order),
            **form.model_dump(),
        )
    except FormError as exc:
        flash(not_saved(exc), "error")
    except ValidationError as exc:
        db.rollback()
        flash(_("Not saved: %(reason)s", reason=reason_text(exc)), "error")
    else:
        db.commit()
        flash(_("Tailoring saved."), "ok")
    return redirect(url_for("provider.questionnaire", order_id=order_id) + "#tailoring")


INDICATOR_LABELS = {
    "availability": _l("Availability"),
    "coverage": _l("Data-capture coverage"),
    "energy_per_unit_kwh": _l("Energy per unit"),
    "has_energy_metering": _l("Energy metering"),
    "networking_rate": _l("Networking rate"),
    "oee": _l("OEE"),
    "quality": _l("Quality"),
    "performance": _l("Performance"),
    "utilisation": _l("Utilisation"),
}


def proposal_text(p: maturity.Proposal, evidence: Any) -> dict[str, str]:
    """A measured proposal as the assessor reads it: the indicator in words, the figure, the rule's reason."""
    rules = {r.id: r for r in load_evidence_rules()}
    rule = rules.get(p.rule_id)
    if isinstance(p.measured, bool):
        figure = _("yes") if p.measured else _("no")
    elif p.indicator == "energy_per_unit_kwh":
        figure = f"{p.measured:.3f} kWh"
    else:
        figure = f"{p.measured:.1%}"
        if p.indicator == "networking_rate" and getattr(evidence, "devices_total", None):
            figure += " " + _(
                "(%(n)s of %(total)s devices)", n=evidence.devices_networked, total=evidence.devices_total
            )
    reason = (rule.reason_zh if get_locale_code() == "zh" else rule.reason_en) if rule else ""
    return {
        "indicator": str(INDICATOR_LABELS.get(p.indicator, p.indicator)),
        "figure": figure,
        "reason": reason,
        "proposed": label_of(RATING_LABELS)(f"{float(p.proposed):g}"),
    }


def get_locale_code() -> str:
    """'zh' or 'en': the language the page is shown in."""
    return str(get_locale() or "zh")[:2]


@bp.post("/answers")
@role_required(Role.provider)
def save_answer(order_id: int) -> tuple[Response, int] | Response:
    """Save one answer (JSON body, CSRF header): called by the page as the provider types."""
    order = get_order(order_id)
    db = get_session()
    try:
        form = validate(AnswerForm, request.get_json(silent=True))  # a malformed body changes nothing
        answer = assessments.save_answer(session=db, actor=g.user, order=order, **form.model_dump())
    except FieldError as exc:
        db.rollback()
        return jsonify(error=reason_of(exc), field=exc.field), 422  # shown by the page: in its language
    db.commit()
    return jsonify(requirement_id=answer.requirement_id, saved_at=answer.updated_at.isoformat())


@bp.post("/attachments")
@role_required(Role.provider)
def upload_attachment(order_id: int) -> Response:
    """Attach an evidence file to a requirement."""
    order = get_order(order_id)
    db = get_session()
    try:
        form = parse_form(AttachmentForm)
        assessments.add_attachment(
            session=db,
            actor=g.user,
            order=order,
            requirement_id=form.requirement_id,
            filename=form.file.filename,
            content_type=form.file.content_type,
            data=form.file.data,
            upload_dir=current_app.extensions["diagnose_settings"].var_dir / "uploads",
        )
    except ValidationError as exc:
        db.rollback()
        flash(not_saved(exc), "error")
    else:
        db.commit()
        flash(_("File attached."), "ok")
    return redirect(questionnaire_url(order_id, typed().get("requirement_id", "")))


@bp.post("/score")
@role_required(Role.provider)
def run_scoring(order_id: int) -> tuple[Response, int] | Response:
    """Run the scoring (called by the page, which shows progress meanwhile); answers JSON with the result link."""
    order = get_order(order_id)
    db = get_session()
    try:
        result = assessments.run_scoring(
            session=db,
            actor=g.user,
            order=order,
            silence_timeout_s=current_app.extensions["diagnose_settings"].silence_timeout_s,
        )
    except ValidationError as exc:
        db.rollback()
        return jsonify(error=reason_of(exc)), 422  # shown by the page after 评分失败
    db.commit()
    return jsonify(
        level=result.level, score=result.score, url=url_for("orders.show_result", order_id=order_id)
    )


@bp.get("/gateways")
@role_required(Role.provider)
def plant_gateways(order_id: int) -> str:
    """The plant's gateway accounts: one login for a gateway or Sparkplug edge node serving many machines."""
    order = get_plant_order(order_id)
    db = get_session()
    enterprise = db.get(Enterprise, order.enterprise_id)
    rows = gateways.list_gateways(session=db, enterprise_id=order.enterprise_id, include_revoked=True)
    return render_template(
        "provider/gateways.html",
        order=order,
        enterprise=enterprise,
        gateways=gateway_rows(rows),
        broker_url=_broker_url(),
        back_url=url_for("provider.plant_devices", order_id=order_id),
        create_url=url_for("provider.create_gateway", order_id=order_id),
        revoke_url=lambda gateway_id: url_for(
            "provider.revoke_gateway", order_id=order_id, gateway_id=gateway_id
        ),
        rotate_url=lambda gateway_id: url_for(
            "provider.rotate_gateway", order_id=order_id, gateway_id=gateway_id
        ),
        check_url=lambda gateway_id: url_for(
            "connection_check.provider_gateway_check", order_id=order_id, gateway_id=gateway_id
        ),
    )


def gateway_rows(
    rows: list[tuple[str, GatewayAccount]],
) -> list[tuple[GatewayAccount, list[str], tuple[str, ...]]]:
    """Each gateway with its client ids and the topics it may publish to, for the gateways page."""
    return [
        (
            gateway,
            broker_accounts.gateway_client_ids(uscc, gateway.name, list(gateway.client_suffixes)),
            gateways.gateway_topics(uscc, gateway),
        )
        for uscc, gateway in rows
    ]


def gateway_form(
    db: Session, actor: User, enterprise: Enterprise
) -> tuple[GatewayAccount, gateways.GatewayCredentials] | None:
    """Create the gateway the form asks for; None (and a flash saying why) if refused."""
    try:
        body = parse_form(GatewayForm)
    except FormError as exc:
        flash(_("The gateway account was not created: %(reason)s", reason=exc.shown[0].message), "error")
        return None
    suffixes = [s for s in re.split(r"[\s,，]+", body.client_suffixes) if s]
    try:
        return gateways.create_gateway(
            session=db,
            actor=actor,
            enterprise=enterprise,
            name=body.name,
            kind=body.kind,
            edge_node=body.edge_node or None,
            suffixes=suffixes,
        )
    except ValueError as exc:
        db.rollback()
        flash(_("The gateway account was not created: %(reason)s", reason=str(exc)), "error")
        return None


@bp.post("/gateways")
@role_required(Role.provider)
def create_gateway(order_id: int) -> str | Response:
    """Create a gateway account and show its password once (only its hash is kept)."""
    order = get_plant_order(order_id)
    db = get_session()
    enterprise = db.get(Enterprise, order.enterprise_id)
    made = gateway_form(db, g.user, enterprise)  # type: ignore[arg-type]
    if made is None:
        return redirect(url_for("provider.plant_gateways", order_id=order_id))
    gateway, creds = made
    db.commit()
    return render_template(
        "provider/gateway_credentials.html",
        gateway=gateway,
        creds=creds,
        broker_url=_broker_url(),
        list_url=url_for("provider.plant_gateways", order_id=order_id),
    )


@bp.post("/gateways/<int:gateway_id>/revoke")
@role_required(Role.provider)
def revoke_gateway(order_id: int, gateway_id: int) -> Response:
    """Revoke a gateway account: its logins leave the broker at the next account file and restart."""
    order = get_plant_order(order_id)
    db = get_session()
    gateway = db.get(GatewayAccount, gateway_id)
    if gateway is None or gateway.enterprise_id != order.enterprise_id:  # another enterprise's: not shown
        flash(_("No such gateway account."), "error")
        return redirect(url_for("provider.plant_gateways", order_id=order_id))
    gateways.revoke_gateway(session=db, actor=g.user, gateway=gateway)
    db.commit()
    flash(_("Gateway account revoked. It stops working when the broker's accounts are next written."), "info")
    return redirect(url_for("provider.plant_gateways", order_id=order_id))


@bp.post("/gateways/<int:gateway_id>/password")
@role_required(Role.provider)
def rotate_gateway(order_id: int, gateway_id: int) -> str | Response:
    """A new password for a gateway account, shown once."""
    order = get_plant_order(order_id)
    db = get_session()
    enterprise = db.get(Enterprise, order.enterprise_id)
    gateway = db.get(GatewayAccount, gateway_id)
    if gateway is None or gateway.enterprise_id != order.enterprise_id or gateway.revoked_at is not None:
        flash(_("No such gateway account."), "error")
        return redirect(url_for("provider.plant_gateways", order_id=order_id))
    creds = gateways.rotate_gateway_password(session=db, actor=g.user, uscc=enterprise.uscc, gateway=gateway)  # type: ignore[union-attr]
    db.commit()
    return render_template(
        "provider/gateway_credentials.html",
        gateway=gateway,
        creds=creds,
        broker_url=_broker_url(),
        list_url=url_for("provider.plant_gateways", order_id=order_id),
    )

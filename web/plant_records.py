"""The provider's plant records for an order: the equipment ledger (form, CSV/XLSX import with a dry run) and
the planned production calendar."""

from __future__ import annotations

import json

from flask import Blueprint, current_app, flash, g, redirect, render_template, url_for
from flask_babel import gettext as _
from werkzeug.wrappers import Response

from diagnose.models import Enterprise, Role
from diagnose.schemas.plant_records import (
    BottleneckForm,
    CalendarRuleForm,
    EquipmentForm,
    HolidayNoticeForm,
    LedgerImport,
)
from diagnose.services.accounts.orgs import ValidationError
from diagnose.services.diagnosis import evidence_snapshot
from diagnose.services.shopfloor import devices, plant_records
from diagnose.services.shopfloor.import_files import ImportLimits
from diagnose.services.shopfloor.plant_records import CalendarOverlap
from scoring.indicators.calendar import shipped_notice_years
from web.auth import role_required
from web.db import get_session
from web.forms import FormError, parse_form, typed
from web.labels import WEEKDAYS, calendar_rule_words
from web.messages import not_saved, reason_of
from web.scope import get_order, guard_plant

bp = Blueprint("plant_records", __name__, url_prefix="/provider/orders/<int:order_id>")
guard_plant(bp)  # the plant of the order: only while the order is open


def _ledger_page(
    order_id: int, report: plant_records.ImportReport | None = None, status: int = 200
) -> tuple[str, int]:
    order = get_order(order_id)
    db = get_session()
    equipment = plant_records.equipment_of(session=db, enterprise_id=order.enterprise_id)
    html = render_template(
        "provider/ledger.html",
        order=order,
        enterprise=db.get(Enterprise, order.enterprise_id),
        equipment=equipment,
        networking=evidence_snapshot.networking(session=db, enterprise_id=order.enterprise_id),
        devices={
            d.id: d.external_id for d in devices.list_devices(session=db, enterprise_id=order.enterprise_id)
        },
        report=report,
        form=typed(),
        rows_json=json.dumps(
            [{k: v for k, v in r.items() if k != "device_id"} for r in report.rows], ensure_ascii=False
        )
        if report and not report.errors
        else "",
    )
    return html, status


@bp.get("/ledger")
@role_required(Role.provider)
def ledger(order_id: int) -> tuple[str, int]:
    """The plant's equipment ledger and its networking rate."""
    return _ledger_page(order_id)


@bp.post("/ledger")
@role_required(Role.provider)
def add_equipment(order_id: int) -> Response | tuple[str, int]:
    """Add one ledger line from the form."""
    order = get_order(order_id)
    db = get_session()
    try:
        line = parse_form(EquipmentForm)
        raw = {
            "code": line.code,
            "name": line.name,
            "kind": line.kind,
            "device_id": line.device_id or "",
            "serial": line.serial,
            "production": "1" if line.production else "0",
            "connected": "1" if line.connected else "",  # unticked: connected when a device is linked
            "digital": "" if line.digital is None else "1" if line.digital else "0",
        }
        plant_records.add_equipment(session=db, actor=g.user, enterprise_id=order.enterprise_id, raw=raw)
    except ValidationError as exc:
        db.rollback()
        flash(_("Not added: %(reason)s", reason=reason_of(exc)), "error")
        return _ledger_page(order_id, status=422)
    db.commit()
    return redirect(url_for("plant_records.ledger", order_id=order_id))


@bp.post("/ledger/import")
@role_required(Role.provider)
def import_ledger(order_id: int) -> Response | tuple[str, int]:
    """Check an uploaded CSV/XLSX ledger (dry run, every row's errors listed); store it when confirmed."""
    order = get_order(order_id)
    db = get_session()
    limits = ImportLimits.of(current_app.extensions["diagnose_settings"])
    try:
        wanted = parse_form(LedgerImport)
        if wanted.confirm:
            rows = [dict(r, device_id=r.get("device_external_id") or "") for r in wanted.rows_json or []]
        else:
            assert wanted.file is not None  # the schema asks for a file unless confirming
            rows = plant_records.read_rows(wanted.file.filename, wanted.file.data, limits)
        report = plant_records.import_equipment(
            session=db, actor=g.user, enterprise_id=order.enterprise_id, rows=rows, dry_run=not wanted.confirm
        )
    except ValidationError as exc:
        db.rollback()
        flash(_("Import refused: %(reason)s", reason=reason_of(exc)), "error")
        return _ledger_page(order_id, status=422)
    if report.stored or report.updated:
        db.commit()
        flash(
            _("%(n)d ledger lines added, %(m)d updated.", n=report.stored, m=report.updated),
            "info",
        )
        return redirect(url_for("plant_records.ledger", order_id=order_id))
    db.rollback()
    return _ledger_page(order_id, report, 422 if report.errors else 200)


@bp.get("/calendar")
@role_required(Role.provider)
def calendar(order_id: int) -> tuple[str, int]:
    """The plant's planned production calendar: shifts by weekday, planned breaks, holidays."""
    return _calendar_page(order_id)


def _calendar_page(order_id: int, status: int = 200) -> tuple[str, int]:
    order = get_order(order_id)
    db = get_session()
    html = render_template(
        "provider/calendar.html",
        order=order,
        enterprise=db.get(Enterprise, order.enterprise_id),
        rules=plant_records.calendar_of(session=db, enterprise_id=order.enterprise_id),
        weekdays=[_(d) for d in WEEKDAYS],
        form=typed(),
        notice_years=shipped_notice_years(),
    )
    return html, status


@bp.post("/calendar")
@role_required(Role.provider)
def add_calendar_rule(order_id: int) -> Response | tuple[str, int]:
    """Add a shift, break or holiday."""
    order = get_order(order_id)
    db = get_session()
    try:
        rule = parse_form(CalendarRuleForm)
        raw = {
            "kind": rule.kind,
            "weekday": rule.weekday,
            "day": rule.day.isoformat() if rule.day else "",
            "start": rule.start or "",
            "end": rule.end or "",
            "label": rule.label,
        }
        plant_records.add_calendar_rule(session=db, actor=g.user, enterprise_id=order.enterprise_id, raw=raw)
    except CalendarOverlap as exc:
        db.rollback()
        reason = _("it overlaps the existing %(rule)s", rule=calendar_rule_words(exc.existing))
        flash(_("Not added: %(reason)s", reason=reason), "error")
        g.setdefault("form_errors", {})[exc.field] = reason
        return _calendar_page(order_id, 422)
    except ValidationError as exc:
        db.rollback()
        flash(_("Not added: %(reason)s", reason=reason_of(exc)), "error")
        return _calendar_page(order_id, 422)
    db.commit()
    return redirect(url_for("plant_records.calendar", order_id=order_id))


@bp.post("/calendar/notice")
@role_required(Role.provider)
def load_holiday_notice(order_id: int) -> Response | tuple[str, int]:
    """Add a year's national holiday notice to the plant's calendar (days off; makeup working days)."""
    order = get_order(order_id)
    db = get_session()
    try:
        wanted = parse_form(HolidayNoticeForm)
        holidays, dated = plant_records.load_holiday_notice(
            session=db,
            actor=g.user,
            enterprise_id=order.enterprise_id,
            year=wanted.year,
            workday_like=wanted.workday_like,
        )
    except ValidationError as exc:
        db.rollback()
        flash(_("Not added: %(reason)s", reason=reason_of(exc)), "error")
        return _calendar_page(order_id, 422)
    db.commit()
    flash(
        _(
            "Holiday notice added: %(holidays)d days off and %(dated)d shifts or breaks of makeup working days.",
            holidays=holidays,
            dated=dated,
        ),
        "ok",
    )
    return redirect(url_for("plant_records.calendar", order_id=order_id))


@bp.post("/calendar/<int:rule_id>/delete")
@role_required(Role.provider)
def delete_calendar_rule(order_id: int, rule_id: int) -> Response:
    """Remove one calendar rule."""
    order = get_order(order_id)
    db = get_session()
    if plant_records.delete_calendar_rule(
        session=db, actor=g.user, enterprise_id=order.enterprise_id, rule_id=rule_id
    ):
        db.commit()
    else:
        flash(_("No such calendar entry."), "error")
    return redirect(url_for("plant_records.calendar", order_id=order_id))


@bp.post("/devices/<external_id>/bottleneck")
@role_required(Role.provider)
def set_bottleneck(order_id: int, external_id: str) -> Response:
    """Mark one device as the plant's bottleneck (its OEE is the plant's), or clear the mark."""
    order = get_order(order_id)
    db = get_session()
    try:
        mark = parse_form(BottleneckForm)
    except FormError as exc:
        flash(not_saved(exc), "error")
        return redirect(url_for("provider.questionnaire", order_id=order_id))
    if not plant_records.set_bottleneck(
        session=db,
        actor=g.user,
        enterprise_id=order.enterprise_id,
        external_id=external_id,
        on=mark.bottleneck,
    ):
        flash(_("No such device."), "error")
    db.commit()
    return redirect(url_for("provider.questionnaire", order_id=order_id))

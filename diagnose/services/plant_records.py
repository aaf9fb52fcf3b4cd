"""The provider's records of a plant: the equipment ledger (设备台账, form and CSV/XLSX import with a dry run)
and the planned production calendar (shifts by weekday, planned breaks, holidays)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlmodel import Session, col, select

from diagnose.models import CalendarRule, Device, Equipment, User
from diagnose.services import audit_log, import_files
from diagnose.services.import_files import ImportLimits
from diagnose.services.orgs import ValidationError
from scoring.indicators.calendar import CalendarRuleSpec, validate

# Column headers accepted in an import file (English or Chinese) → field.
HEADERS = {
    "code": "code",
    "设备编号": "code",
    "name": "name",
    "设备名称": "name",
    "kind": "kind",
    "设备类型": "kind",
    "production": "production",
    "生产设备": "production",
    "connected": "connected",
    "已联网": "connected",
    "device_id": "device_id",
    "平台设备id": "device_id",
}
TRUE = {"1", "true", "yes", "y", "是", "√"}
FALSE = {"0", "false", "no", "n", "否", "", "×"}


@dataclass(frozen=True, slots=True)
class RowError:
    """Why one import row cannot be stored (row numbers count the header as row 1)."""

    row: int
    field: str
    message: str


@dataclass(slots=True)
class ImportReport:
    """What an import did or, in a dry run, would do."""

    rows: list[dict[str, Any]] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)
    stored: int = 0
    dry_run: bool = True


def equipment_of(*, session: Session, enterprise_id: int) -> list[Equipment]:
    """The enterprise's ledger, by asset number."""
    statement = select(Equipment).where(Equipment.enterprise_id == enterprise_id)
    return list(session.exec(statement.order_by(col(Equipment.code))).all())


def _flag(value: object, name: str, default: bool) -> bool:
    text = str(value if value is not None else "").strip().lower()
    if text == "":
        return default
    if text in TRUE:
        return True
    if text in FALSE:
        return False
    raise ValidationError(name, f"{value!r} is not yes/no (是/否, 1/0, true/false)")


def _clean(session: Session, enterprise_id: int, raw: dict[str, Any]) -> dict[str, Any]:
    """One ledger line checked and normalised; raises ValidationError naming the field."""
    code = str(raw.get("code") or "").strip()
    if not code or len(code) > 64:
        raise ValidationError("code", "an asset number of 1-64 characters is required")
    name = str(raw.get("name") or "").strip()
    if not name or len(name) > 128:
        raise ValidationError("name", "a name of 1-128 characters is required")
    kind = str(raw.get("kind") or "").strip()[:64]
    external = str(raw.get("device_id") or "").strip()
    device_id = None
    if external:
        device = session.exec(
            select(Device).where(Device.enterprise_id == enterprise_id, Device.external_id == external)
        ).first()
        if device is None:
            raise ValidationError("device_id", f"no registered device {external!r} in this plant")
        device_id = device.id
    return {
        "code": code,
        "name": name,
        "kind": kind,
        "production": _flag(raw.get("production"), "production", True),
        "connected": _flag(raw.get("connected"), "connected", device_id is not None),
        "device_id": device_id,
        "device_external_id": external or None,
    }


def add_equipment(
    *, session: Session, actor: User | str, enterprise_id: int, raw: dict[str, Any]
) -> Equipment:
    """Add one ledger line (form); a duplicate asset number is refused."""
    values = _clean(session, enterprise_id, raw)
    if session.exec(
        select(Equipment.id).where(Equipment.enterprise_id == enterprise_id, Equipment.code == values["code"])
    ).first():
        raise ValidationError("code", f"asset number {values['code']!r} is already in the ledger")
    values.pop("device_external_id")
    equipment = Equipment(enterprise_id=enterprise_id, **values)
    session.add(equipment)
    session.flush()
    audit_log.record(
        session=session,
        actor=actor,
        action="equipment.add",
        entity="equipment",
        entity_id=equipment.id,
        detail={"code": equipment.code},
    )
    return equipment


def read_rows(filename: str, data: bytes, limits: ImportLimits | None = None) -> list[dict[str, Any]]:
    """Rows of a CSV (UTF-8, with or without BOM; or GB18030) or XLSX ledger file, keyed by field.

    Read as a stream (`import_files`): the size, unpacked size, rows, columns and cell lengths are capped while
    reading, and reading stops at the first data row past the row cap.
    """
    limits = limits or ImportLimits()
    table = import_files.table_rows(filename, data, limits)
    first = next(table, None)
    if first is None:
        raise ValidationError("file", "the file is empty")
    header = [HEADERS.get(str(h).strip().lower()) for h in first]
    if "code" not in header or "name" not in header:
        raise ValidationError(
            "file", "the first row must name the columns, at least code/设备编号 and name/设备名称"
        )
    rows = []
    for row in table:
        if not any(str(v).strip() for v in row):
            continue
        if len(rows) == limits.max_rows:
            raise ValidationError("file", f"at most {limits.max_rows} rows per import")
        rows.append({f: row[i] for i, f in enumerate(header) if f and i < len(row)})
    return rows


def import_equipment(
    *, session: Session, actor: User | str, enterprise_id: int, rows: list[dict[str, Any]], dry_run: bool
) -> ImportReport:
    """Check every row; store them all only when not a dry run and no row has an error."""
    report = ImportReport(dry_run=dry_run)
    existing = {e.code for e in equipment_of(session=session, enterprise_id=enterprise_id)}
    seen: set[str] = set()
    for number, raw in enumerate(rows, start=2):
        try:
            values = _clean(session, enterprise_id, raw)
        except ValidationError as exc:
            report.errors.append(RowError(number, exc.field, exc.message))
            continue
        if values["code"] in existing or values["code"] in seen:
            report.errors.append(RowError(number, "code", f"asset number {values['code']!r} is a duplicate"))
            continue
        seen.add(values["code"])
        report.rows.append(values)
    if dry_run or report.errors:
        return report
    for values in report.rows:
        values = dict(values)
        values.pop("device_external_id")
        session.add(Equipment(enterprise_id=enterprise_id, **values))
    session.flush()
    report.stored = len(report.rows)
    audit_log.record(
        session=session,
        actor=actor,
        action="equipment.import",
        entity="enterprise",
        entity_id=enterprise_id,
        detail={"rows": report.stored},
    )
    return report


def calendar_of(*, session: Session, enterprise_id: int) -> list[CalendarRule]:
    """The enterprise's calendar rules: shifts and breaks by weekday and time, then holidays by date."""
    rows = session.exec(select(CalendarRule).where(CalendarRule.enterprise_id == enterprise_id)).all()
    return sorted(rows, key=lambda r: (r.kind == "holiday", r.weekday or 0, r.start or "", r.day or date.min))


def add_calendar_rule(
    *, session: Session, actor: User | str, enterprise_id: int, raw: dict[str, Any]
) -> CalendarRule:
    """Add a shift, break or holiday; refused with the field's name when it cannot be laid on the calendar."""
    kind = str(raw.get("kind") or "")
    weekday = raw.get("weekday")
    try:
        spec = CalendarRuleSpec(
            kind=kind,
            weekday=int(weekday) if weekday not in (None, "") and kind != "holiday" else None,
            day=date.fromisoformat(str(raw["day"])) if kind == "holiday" and raw.get("day") else None,
            start=(str(raw.get("start") or "") or None) if kind != "holiday" else None,
            end=(str(raw.get("end") or "") or None) if kind != "holiday" else None,
            label=str(raw.get("label") or "")[:64],
        )
        validate(spec)
    except ValueError as exc:
        field_name, _, message = str(exc).partition(": ")
        raise ValidationError(field_name if message else "kind", message or str(exc)) from None
    rule = CalendarRule(
        enterprise_id=enterprise_id,
        kind=spec.kind,
        weekday=spec.weekday,
        day=spec.day,
        start=spec.start,
        end=spec.end,
        label=spec.label,
    )
    session.add(rule)
    session.flush()
    audit_log.record(
        session=session,
        actor=actor,
        action="calendar.add",
        entity="calendarrule",
        entity_id=rule.id,
        detail={"kind": rule.kind},
    )
    return rule


def delete_calendar_rule(*, session: Session, actor: User | str, enterprise_id: int, rule_id: int) -> bool:
    """Remove a rule of this enterprise; False if there is none."""
    rule = session.get(CalendarRule, rule_id)
    if rule is None or rule.enterprise_id != enterprise_id:
        return False
    session.delete(rule)
    audit_log.record(
        session=session,
        actor=actor,
        action="calendar.delete",
        entity="calendarrule",
        entity_id=rule_id,
        detail={},
    )
    return True


def set_bottleneck(
    *, session: Session, actor: User | str, enterprise_id: int, external_id: str, on: bool
) -> bool:
    """Mark a device as the bottleneck (clearing any other mark of the plant), or clear it; False if unknown."""
    devices = session.exec(select(Device).where(Device.enterprise_id == enterprise_id)).all()
    target = next((d for d in devices if d.external_id == external_id), None)
    if target is None:
        return False
    for device in devices:
        device.bottleneck = on and device is target
        session.add(device)
    audit_log.record(
        session=session,
        actor=actor,
        action="device.bottleneck",
        entity="device",
        entity_id=target.id,
        detail={"bottleneck": on},
    )
    return True

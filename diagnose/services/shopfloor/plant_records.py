"""The provider's records of a plant: the equipment ledger (设备台账, form and CSV/XLSX import with a dry run
that matches rows to lines already there) and the planned production calendar (the weekly pattern of shifts
and breaks, dated exceptions, holidays, and a year's national holiday notice)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlmodel import Session, col, select

from diagnose.models import CalendarRule, Device, Equipment, User
from diagnose.schemas.reasons import english
from diagnose.services.accounts.orgs import ValidationError
from diagnose.services.audit import audit_log
from diagnose.services.shopfloor import import_files
from diagnose.services.shopfloor.import_files import ImportLimits
from scoring.indicators.calendar import (
    CalendarRuleSpec,
    holiday_notice,
    notice_rules,
    overlapping,
    validate,
)

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
    "digital": "digital",
    "数字控制": "digital",
    "数控": "digital",
    "device_id": "device_id",
    "平台设备id": "device_id",
    "serial": "serial",
    "出厂编号": "serial",
    "序列号": "serial",
}
TRUE = {"1", "true", "yes", "y", "是", "√"}
FALSE = {"0", "false", "no", "n", "否", "", "×"}


@dataclass(frozen=True, slots=True)
class RowError:
    """Why one import row cannot be stored (row numbers count the header as row 1)."""

    row: int
    field: str
    message: str
    reason: str = (
        "invalid"  # the refusal's code (diagnose.schemas.reasons) and its params: the pages word them
    )
    params: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class RowOutcome:
    """What an import does with one row: add a new line, update the line it names (`matched`), or refuse it."""

    row: int
    action: str  # add | update | refuse
    code: str
    message: str
    line_code: str = ""  # update: the ledger line it matched
    reason: str = "invalid"  # `message`'s code (diagnose.schemas.reasons) and its params: the pages word them
    params: dict[str, Any] = field(default_factory=dict)


@dataclass(slots=True)
class ImportReport:
    """What an import did or, in a dry run, would do, row by row."""

    rows: list[dict[str, Any]] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)
    stored: int = 0
    dry_run: bool = True
    outcomes: list[RowOutcome] = field(default_factory=list)
    updated: int = 0


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
    raise ValidationError(name, "yes_no", value=str(value))


def _stated_flag(value: object, name: str) -> bool | None:
    """A yes/no cell that may be left empty: None when it says nothing."""
    if str(value if value is not None else "").strip() == "":
        return None
    return _flag(value, name, False)


def _clean(session: Session, enterprise_id: int, raw: dict[str, Any]) -> dict[str, Any]:
    """One ledger line checked and normalised; raises ValidationError naming the field."""
    code = str(raw.get("code") or "").strip()
    if not code or len(code) > 64:
        raise ValidationError("code", "asset_number")
    name = str(raw.get("name") or "").strip()
    if not name or len(name) > 128:
        raise ValidationError("name", "equipment_name")
    kind = str(raw.get("kind") or "").strip()[:64]
    external = str(raw.get("device_id") or "").strip()
    serial = str(raw.get("serial") or "").strip()
    if len(serial) > 64:
        raise ValidationError("serial", "serial_long", n=64)
    device_id = None
    if external:
        device = session.exec(
            select(Device).where(Device.enterprise_id == enterprise_id, Device.external_id == external)
        ).first()
        if device is None:
            raise ValidationError("device_id", "no_plant_device", device=external)
        device_id = device.id
    return {
        "code": code,
        "name": name,
        "kind": kind,
        "production": _flag(raw.get("production"), "production", True),
        "connected": _flag(raw.get("connected"), "connected", device_id is not None),
        "digital": _stated_flag(raw.get("digital"), "digital"),
        "device_id": device_id,
        "device_external_id": external or None,
        "serial": serial or None,
    }


def add_equipment(
    *, session: Session, actor: User | str, enterprise_id: int, raw: dict[str, Any]
) -> Equipment:
    """Add one ledger line (form); a duplicate asset number is refused."""
    values = _clean(session, enterprise_id, raw)
    if session.exec(
        select(Equipment.id).where(Equipment.enterprise_id == enterprise_id, Equipment.code == values["code"])
    ).first():
        raise ValidationError("code", "asset_in_ledger", asset=values["code"])
    same = _matches(equipment_of(session=session, enterprise_id=enterprise_id), values)
    if same:
        field_name, line = same[0]
        raise ValidationError(field_name, "equipment_in_ledger", asset=line.code)
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
        raise ValidationError("file", "file_empty")
    header = [HEADERS.get(str(h).strip().lower()) for h in first]
    if "code" not in header or "name" not in header:
        raise ValidationError("file", "header_row")
    rows = []
    for row in table:
        if not any(str(v).strip() for v in row):
            continue
        if len(rows) == limits.max_rows:
            raise ValidationError("file", "rows_max", n=limits.max_rows)
        rows.append({f: row[i] for i, f in enumerate(header) if f and i < len(row)})
    return rows


def _matches(lines: list[Equipment], values: dict[str, Any]) -> list[tuple[str, Equipment]]:
    """The ledger lines a row names, and by what: the same asset number, serial number or platform device."""
    found = []
    for line in lines:
        if line.code == values["code"]:
            found.append(("code", line))
        if values.get("serial") and line.serial == values["serial"]:
            found.append(("serial", line))
        if values.get("device_id") is not None and line.device_id == values["device_id"]:
            found.append(("device_id", line))
    return found


_BY = {"code": "asset number", "serial": "serial number", "device_id": "platform device"}


def _row(number: int, action: str, code: str, reason: str, line_code: str = "", **params: Any) -> RowOutcome:
    """A row's outcome, its message the reason's English."""
    return RowOutcome(number, action, code, english(reason, params), line_code, reason, params)


def _outcome(number: int, values: dict[str, Any], lines: list[Equipment]) -> RowOutcome:
    """Add, update (one line named, by any of its identifiers) or refuse (two lines named) one checked row."""
    found = _matches(lines, values)
    code = values["code"]
    named = {line.id for _, line in found}
    if not found:
        return _row(number, "add", code, "new_line")
    if len(named) > 1:
        return _row(number, "refuse", code, "two_lines", lines=sorted({line.code for _, line in found}))
    line = found[0][1]
    how = sorted({_BY[k] for k, _ in found})
    if line.code != code:
        return _row(
            number, "update", code, "same_equipment_renamed", line.code, line=line.code, by=how, asset=code
        )
    return _row(number, "update", code, "same_equipment", line.code, line=line.code, by=how)


def import_equipment(
    *, session: Session, actor: User | str, enterprise_id: int, rows: list[dict[str, Any]], dry_run: bool
) -> ImportReport:
    """Check every row; store them all only when not a dry run and no row is refused.

    A row naming equipment already in the ledger (the same asset number, serial number or platform device)
    updates that line instead of adding one, so a re-listed machine is never counted twice; a row naming
    two different lines, or the same equipment as an earlier row of the file, is refused. The dry run says
    which, row by row (issue #22).
    """
    report = ImportReport(dry_run=dry_run)
    lines = equipment_of(session=session, enterprise_id=enterprise_id)
    taken: dict[str, int] = {}  # identifier → the row that used it
    for number, raw in enumerate(rows, start=2):
        try:
            values = _clean(session, enterprise_id, raw)
        except ValidationError as exc:
            report.errors.append(RowError(number, exc.field, exc.message, exc.reason, exc.params))
            refused = RowOutcome(
                number, "refuse", str(raw.get("code") or ""), exc.message, "", exc.reason, exc.params
            )
            report.outcomes.append(refused)
            continue
        keys = [f"code:{values['code']}"]
        keys += [f"serial:{values['serial']}"] if values.get("serial") else []
        keys += [f"device:{values['device_id']}"] if values.get("device_id") is not None else []
        outcome = _outcome(number, values, lines)
        if outcome.action == "update":
            keys.append(f"line:{outcome.line_code}")
        earlier = next((taken[k] for k in keys if k in taken), None)
        if earlier is not None and outcome.action != "refuse":
            outcome = _row(number, "refuse", values["code"], "same_as_row", row=earlier)
        if outcome.action == "refuse":
            report.errors.append(RowError(number, "code", outcome.message, outcome.reason, outcome.params))
        else:
            taken.update(dict.fromkeys(keys, number))
            report.rows.append({**values, "match": outcome.line_code or None})
        report.outcomes.append(outcome)
    if dry_run or report.errors:
        return report
    by_code = {line.code: line for line in lines}
    for values in report.rows:
        values = dict(values)
        values.pop("device_external_id")
        match = values.pop("match")
        if match is None:
            session.add(Equipment(enterprise_id=enterprise_id, **values))
            report.stored += 1
            continue
        line = by_code[match]
        if values["digital"] is None:
            values.pop("digital")  # a file that does not say keeps what the ledger says
        for name, value in values.items():
            setattr(line, name, value)
        session.add(line)
        report.updated += 1
    session.flush()
    audit_log.record(
        session=session,
        actor=actor,
        action="equipment.import",
        entity="enterprise",
        entity_id=enterprise_id,
        detail={"rows": report.stored, "updated": report.updated},
    )
    return report


def calendar_of(*, session: Session, enterprise_id: int) -> list[CalendarRule]:
    """The enterprise's calendar rules: the weekly pattern by weekday and time, then dated exceptions and
    holidays by date."""
    rows = session.exec(select(CalendarRule).where(CalendarRule.enterprise_id == enterprise_id)).all()
    return sorted(
        rows, key=lambda r: (r.day is not None, r.day or date.min, r.weekday or 0, r.start or "", r.kind)
    )


def load_holiday_notice(
    *, session: Session, actor: User | str, enterprise_id: int, year: int, workday_like: int = 0
) -> tuple[int, int]:
    """Add a year's national holiday notice (scoring/indicators/data) to the plant's calendar: its days off as
    holidays, its makeup working days with the shifts and breaks of the plant's own `workday_like` weekday.
    A date the plant already planned (a day off or its own shifts) is left as it is, so loading twice adds
    nothing; returns (holidays added, dated shifts and breaks added)."""
    try:
        notice = holiday_notice(year)
    except KeyError:
        raise ValidationError("year", "no_holiday_notice", year=year) from None
    rows = calendar_of(session=session, enterprise_id=enterprise_id)
    weekly = [CalendarRuleSpec(r.kind, r.weekday, r.day, r.start, r.end, r.label) for r in rows]
    # A date the plant already planned (a day off, or its own shifts) keeps the plant's plan.
    planned = {r.day for r in rows if r.day is not None}
    added = [0, 0]
    for spec in notice_rules(notice, weekly, workday_like=workday_like):
        if spec.day in planned:
            continue
        session.add(
            CalendarRule(
                enterprise_id=enterprise_id,
                kind=spec.kind,
                day=spec.day,
                start=spec.start,
                end=spec.end,
                label=spec.label[:64],
            )
        )
        added[0 if spec.kind == "holiday" else 1] += 1
    session.flush()
    audit_log.record(
        session=session,
        actor=actor,
        action="calendar.notice",
        entity="enterprise",
        entity_id=enterprise_id,
        detail={"year": year, "version": notice.version, "holidays": added[0], "dated": added[1]},
    )
    return added[0], added[1]


class CalendarOverlap(ValidationError):
    """A calendar rule refused because it overlaps one already on the calendar (`existing`, named to the user)."""

    def __init__(self, existing: CalendarRule) -> None:
        field = "day" if existing.kind == "holiday" else "start"
        what = f"{existing.kind} on {existing.day or f'weekday {existing.weekday}'}"
        times = f" {existing.start}-{existing.end}" if existing.start else ""
        super().__init__(field, "calendar_overlap", rule=f"{what}{times}")
        self.existing = existing


def add_calendar_rule(
    *, session: Session, actor: User | str, enterprise_id: int, raw: dict[str, Any]
) -> CalendarRule:
    """Add a shift, break or holiday; refused with the field's name when it cannot be laid on the calendar."""
    kind = str(raw.get("kind") or "")
    weekday = raw.get("weekday")
    day = raw.get("day")
    try:
        dated = date.fromisoformat(str(day)) if day not in (None, "") else None
        spec = CalendarRuleSpec(
            kind=kind,
            # A date makes a shift or break a dated exception (the weekly pattern does not apply that day).
            weekday=int(weekday)
            if weekday not in (None, "") and kind != "holiday" and dated is None
            else None,
            day=dated,
            start=(str(raw.get("start") or "") or None) if kind != "holiday" else None,
            end=(str(raw.get("end") or "") or None) if kind != "holiday" else None,
            label=str(raw.get("label") or "")[:64],
        )
        validate(spec)
    except ValueError as exc:
        field_name, _, message = str(exc).partition(": ")
        raise ValidationError(
            field_name if message else "kind", "detail", detail=message or str(exc)
        ) from None
    rows = calendar_of(session=session, enterprise_id=enterprise_id)
    specs = {CalendarRuleSpec(r.kind, r.weekday, r.day, r.start, r.end, r.label): r for r in rows}
    clash = overlapping(spec, specs)
    if clash is not None:
        raise CalendarOverlap(specs[clash])
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

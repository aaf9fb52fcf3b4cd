"""A plant's devices (ledger, bulk import, credentials), their telemetry and the measured indicators,
reached through an order as in the UI: every party of the order reads, its provider registers."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from fractions import Fraction

from flask import Response, current_app, g
from pydantic import BaseModel, Field
from sqlmodel import col, select

from diagnose.models import Device, DeviceHour, Enterprise, Role, Telemetry
from diagnose.schemas.common import PathId
from diagnose.schemas.devices import (
    CredentialsOut,
    DeviceCreate,
    DeviceImport,
    DeviceList,
    DeviceOut,
    ImportOut,
)
from diagnose.schemas.errors import FieldError
from diagnose.schemas.telemetry import (
    MAX_WINDOW,
    DailyOee,
    DeviceOee,
    FigureOut,
    IndicatorQuery,
    IndicatorsOut,
    SeriesOut,
    SeriesPoint,
    SeriesQuery,
)
from diagnose.services.diagnosis import assessments, evidence_snapshot
from diagnose.services.shopfloor import device_import, devices, plant
from diagnose.services.telemetry import telemetry_queries
from scoring.indicators import Window
from scoring.indicators.figures import Figure, definition_text, figure_text
from scoring.indicators.snapshot import EvidenceSnapshot
from web.api.base import ALL, api_role, bp, ok, tag, writing
from web.db import get_session
from web.scope import get_order, get_order_device

PLANT = tag("plant", "设备台账、凭据、遥测与指标")
EVIDENCE_DAYS = 7


class OrderPath(BaseModel):
    order_id: PathId = Field(title="订单编号")


class DevicePath(OrderPath):
    device_id: PathId = Field(title="设备编号")


def _settings():  # type: ignore[no-untyped-def]
    return current_app.extensions["diagnose_settings"]


@bp.get("/orders/<int:order_id>/devices", tags=PLANT, responses={200: DeviceList})
@api_role(*ALL, plant=True)
def list_devices(path: OrderPath) -> Response:
    """The devices of the order's enterprise with their live state."""
    order = get_order(path.order_id)
    rows = devices.list_devices(session=get_session(), enterprise_id=order.enterprise_id)
    return ok(DeviceList(items=[DeviceOut.model_validate(d) for d in rows]))


@bp.post("/orders/<int:order_id>/devices", tags=PLANT, responses={201: DeviceOut})
@api_role(Role.provider, plant=True)
def register_device(path: OrderPath, body: DeviceCreate) -> Response:
    """Register one device of the order's enterprise (the order's provider)."""
    order = get_order(path.order_id)
    with writing() as db:
        (device,) = device_import.register_many(
            session=db,
            actor=g.user,
            enterprise_id=order.enterprise_id,
            rows=[body.model_dump()],
            dry_run=False,
        )
    return ok(DeviceOut.model_validate(device), 201)


@bp.post("/orders/<int:order_id>/devices/import", tags=PLANT, responses={200: ImportOut, 201: ImportOut})
@api_role(Role.provider, plant=True)
def import_devices(path: OrderPath, body: DeviceImport) -> Response:
    """Register many devices at once: every row is checked first, and none is stored unless all are valid.
    With dry_run the answer (200) says what would be stored and nothing is."""
    order = get_order(path.order_id)
    rows = [d.model_dump() for d in body.devices]
    with writing() as db:
        stored = device_import.register_many(
            session=db, actor=g.user, enterprise_id=order.enterprise_id, rows=rows, dry_run=body.dry_run
        )
    result = ImportOut(
        dry_run=body.dry_run,
        created=0 if body.dry_run else len(stored),
        items=[DeviceOut.model_validate(d) for d in stored],
        external_ids=[r["external_id"] for r in rows],
    )
    return ok(result, 200 if body.dry_run else 201)


@bp.post(
    "/orders/<int:order_id>/devices/<int:device_id>/credentials", tags=PLANT, responses={201: CredentialsOut}
)
@api_role(Role.provider, plant=True)
def device_credentials(path: DevicePath) -> Response:
    """Issue or rotate the device's MQTT password: shown in this answer only, stored as a hash."""
    order = get_order(path.order_id)
    device = get_order_device(order, path.device_id)
    with writing() as db:
        enterprise = db.get(Enterprise, order.enterprise_id)
        assert enterprise is not None
        issued = devices.issue_mqtt_credentials(session=db, actor=g.user, device=device, uscc=enterprise.uscc)
    response = ok(
        CredentialsOut(
            device_id=device.id,  # type: ignore[arg-type]
            username=issued.username,
            password=issued.password,
            broker_url=_settings().mqtt_url,
            topics=plant.topics(enterprise, device),
        ),
        201,
    )
    response.headers["Cache-Control"] = "no-store"
    return response


EARLIEST_YEAR, LATEST_YEAR = 2000, 2099


def _window(start: datetime | None, end: datetime | None, longest: timedelta, default: timedelta) -> Window:
    for name, when in (("start", start), ("end", end)):
        # Far from any plant's data, and at the calendar's ends a default span (or a time-zone shift) would
        # overflow: the year as written, compared without converting.
        if when is not None and not EARLIEST_YEAR <= when.year <= LATEST_YEAR:
            raise FieldError(name, "not_a_date")
    if end is None:
        end = max(datetime.now(UTC).replace(second=0, microsecond=0), start + default) if start else None
        end = end or datetime.now(UTC).replace(second=0, microsecond=0)
    start = start or end - default
    if end <= start:
        raise FieldError("end", "end_before_start")
    if end - start > longest:
        raise FieldError("start", "window_days", days=longest.days)
    return Window(start.astimezone(UTC), end.astimezone(UTC))


def _minute_points(device: Device, window: Window) -> list[SeriesPoint]:
    rows = get_session().exec(
        select(Telemetry.ts, Telemetry.state, Telemetry.count_total, Telemetry.count_good, Telemetry.power_kw)
        .add_columns(Telemetry.energy_kwh)
        .where(
            Telemetry.device_id == device.id,
            col(Telemetry.ts) >= window.start,
            col(Telemetry.ts) < window.end,
        )
        .order_by(col(Telemetry.ts))
    )
    buckets: dict[datetime, list[tuple]] = {}  # type: ignore[type-arg]
    for row in rows:
        buckets.setdefault(row[0].astimezone(UTC).replace(second=0, microsecond=0), []).append(tuple(row))
    points = []
    for start, items in buckets.items():
        powers = [r[4] for r in items if r[4] is not None]

        def last(index: int, items: list[tuple] = items) -> object:  # type: ignore[type-arg]
            return next((r[index] for r in reversed(items) if r[index] is not None), None)

        points.append(
            SeriesPoint(
                start=start,
                samples=len(items),
                state=last(1),  # type: ignore[arg-type]
                count_total=last(2),  # type: ignore[arg-type]
                count_good=last(3),  # type: ignore[arg-type]
                power_kw=sum(powers) / len(powers) if powers else None,
                energy_kwh=last(5),  # type: ignore[arg-type]
            )
        )
    return points


def _hour_points(device: Device, window: Window) -> list[SeriesPoint]:
    rows = get_session().exec(
        select(DeviceHour)
        .where(
            DeviceHour.device_id == device.id,
            col(DeviceHour.hour_start) >= window.start,
            col(DeviceHour.hour_start) < window.end,
        )
        .order_by(col(DeviceHour.hour_start))
    )
    return [
        SeriesPoint(
            start=h.hour_start,
            samples=h.sample_count,
            count_total=h.count_total,
            count_good=h.count_good,
            energy_kwh=float(Fraction(h.energy_kwh)),
            seconds_by_state={
                state: getattr(h, field) / telemetry_queries.US
                for state, field in telemetry_queries.STATE_FIELD.items()
            },
        )
        for h in rows
    ]


@bp.get("/orders/<int:order_id>/devices/<int:device_id>/telemetry", tags=PLANT, responses={200: SeriesOut})
@api_role(*ALL, plant=True)
def telemetry_series(path: DevicePath, query: SeriesQuery) -> Response:
    """A device's telemetry over [start, end): per minute from the raw rows (up to 2 days) or per hour from the
    roll-ups (up to 92 days); the last day by default."""
    order = get_order(path.order_id)
    device = get_order_device(order, path.device_id)
    window = _window(query.start, query.end, MAX_WINDOW[query.resolution], timedelta(days=1))
    points = _minute_points(device, window) if query.resolution == "minute" else _hour_points(device, window)
    return ok(
        SeriesOut(
            device_id=device.id,  # type: ignore[arg-type]
            external_id=device.external_id,
            resolution=query.resolution,
            start=window.start,
            end=window.end,
            points=points,
        )
    )


def _f(value: Fraction | None) -> float | None:
    return None if value is None else float(value)


def figure_out(figure: Figure, oee_basis: str = "pooled") -> FigureOut:
    """A snapshot figure as the API answers it (the page's words in `text`)."""
    return FigureOut(
        name=figure.name,
        value=_f(figure.value),
        status=figure.status,  # type: ignore[arg-type]
        text=figure_text(figure),
        population=list(figure.population),
        have_hours=figure.have_hours,
        need_hours=figure.need_hours,
        basis=figure.basis,
        reason=figure.reason,
        flags=list(figure.flags),
        definition=definition_text(figure.name, figure, oee_basis=oee_basis) if figure.ok else "",
    )


def _ok(figure: Figure) -> float | None:
    return _f(figure.value) if figure.ok else None


def indicators_out(snapshot: EvidenceSnapshot, *, source: str, sha: str | None) -> IndicatorsOut:
    """The API's answer from an evidence snapshot: nothing computed here."""
    production = [line for line in snapshot.ledger if line.production]
    figures = snapshot.figures
    return IndicatorsOut(
        start=snapshot.window.start,
        end=snapshot.window.end,
        source=source,  # type: ignore[arg-type]
        snapshot_sha256=sha,
        devices_total=len(production),
        devices_networked=sum(1 for line in production if line.connected or line.device_external_id),
        networking_rate=_ok(figures["networking_rate"]),
        coverage=_ok(figures["coverage"]),
        oee=_ok(figures["oee"]),
        utilisation=_ok(figures["utilisation"]),
        energy_per_good_unit_kwh=_ok(figures["energy_per_unit_kwh"]),
        figures={name: figure_out(f, snapshot.oee_basis) for name, f in figures.items()},
        oee_basis=snapshot.oee_basis,
        devices=[
            DeviceOee(
                external_id=d.external_id,
                availability=_ok(d.figures["availability"]),
                performance=_ok(d.figures["performance"]),
                quality=_ok(d.figures["quality"]),
                oee=_ok(d.figures["oee"]),
                planned_s=float(d.planned_s),
                run_s=float(d.run_s),
                total_count=d.total_count,
                good_count=d.good_count,
                observed_s=float(d.observed_s),
                known_s=float(d.known_s),
                unknown_planned_s=float(d.unknown_planned_s),
                coverage_basis=d.coverage_basis,
                seconds_by_state={k: float(v) for k, v in d.by_state.items()},
                downtime_by_reason_s={k: float(v) for k, v in d.downtime_by_reason.items()},
                figures={name: figure_out(f) for name, f in d.figures.items()},
            )
            for d in snapshot.devices
        ],
        daily=[DailyOee(day=day, figure=figure_out(f)) for day, f in snapshot.daily],
    )


@bp.get("/orders/<int:order_id>/indicators", tags=PLANT, responses={200: IndicatorsOut})
@api_role(*ALL, plant=True)
def indicators(path: OrderPath, query: IndicatorQuery) -> Response:
    """The plant's measured indicators, each with its status (ok / insufficient / out of bounds / no data),
    population and data: without start and end, the evidence snapshot the order's latest scoring used
    (`source: scoring`, as the result page and the report), else the last 7 days; with a window [start, end)
    (at most 92 days), the same function over it (`source: live`)."""
    order = get_order(path.order_id)
    db = get_session()
    result = assessments.latest_result(session=db, order=order)
    if query.start is None and query.end is None and result is not None:
        record = evidence_snapshot.record_of(session=db, result=result)
        snapshot = evidence_snapshot.of_result(
            session=db, result=result, silence_timeout_s=_settings().silence_timeout_s
        )
        return ok(indicators_out(snapshot, source="scoring", sha=record.sha256 if record else None))
    window = _window(query.start, query.end, MAX_WINDOW["hour"], timedelta(days=EVIDENCE_DAYS))
    snapshot = evidence_snapshot.compute(
        session=db,
        enterprise_id=order.enterprise_id,
        window=window,
        silence_timeout_s=_settings().silence_timeout_s,
    )
    return ok(indicators_out(snapshot, source="live", sha=None))

"""How `diagnose oee` prints an evidence snapshot: every figure with its status, words, population and data."""

from __future__ import annotations

from fractions import Fraction
from typing import Any

import click
from sqlmodel import Session, select

from diagnose.models import DiagnosisOrder
from diagnose.services.diagnosis import assessments, evidence_snapshot
from scoring.indicators.figures import Figure, figure_text
from scoring.indicators.snapshot import EvidenceSnapshot


def _number(value: Fraction | int | None) -> float | int | None:
    if value is None or isinstance(value, int):
        return value
    return float(value)


def figure_dict(figure: Figure) -> dict[str, Any]:
    """A snapshot figure as `diagnose oee --json` prints it: value only when ok, status, words, data."""
    return {
        "value": _number(figure.value) if figure.ok else None,
        "status": figure.status,
        "text": figure_text(figure),
        "population": list(figure.population),
        "have_hours": round(figure.have_hours, 6),
        "need_hours": figure.need_hours,
    }


def snapshot_dict(snapshot: EvidenceSnapshot) -> dict[str, Any]:
    """An evidence snapshot as `diagnose oee --json` prints it (the same figures as the pages and report)."""
    production = [line for line in snapshot.ledger if line.production]

    def ok(name: str) -> float | None:
        figure = snapshot.figures[name]
        return _number(figure.value) if figure.ok else None  # type: ignore[return-value]

    return {
        "window": [snapshot.window.start.isoformat(), snapshot.window.end.isoformat()],
        "devices_total": len(production),
        "devices_networked": sum(1 for line in production if line.connected or line.device_external_id),
        "networking_rate": ok("networking_rate"),
        "coverage": ok("coverage"),
        "oee": ok("oee"),
        "utilisation": ok("utilisation"),
        "energy_per_good_unit_kwh": ok("energy_per_unit_kwh"),
        "oee_basis": snapshot.oee_basis,
        "figures": {name: figure_dict(f) for name, f in sorted(snapshot.figures.items())},
        "devices": {
            d.external_id: {
                "observed_s": float(d.observed_s),
                "known_s": float(d.known_s),
                "planned_s": float(d.planned_s),
                "unknown_planned_s": float(d.unknown_planned_s),
                "run_s": float(d.run_s),
                "total_count": d.total_count,
                "good_count": d.good_count,
                "coverage_basis": d.coverage_basis,
                "downtime_by_reason_s": {k: float(v) for k, v in d.downtime_by_reason.items()},
                "figures": {name: figure_dict(f) for name, f in sorted(d.figures.items())},
            }
            for d in snapshot.devices
        },
    }


def scored_evidence(session: Session, number: str, silence_timeout_s: float) -> dict[str, Any]:
    """The snapshot an order's latest scoring stored (by order number or id), as printed."""
    order = session.exec(select(DiagnosisOrder).where(DiagnosisOrder.number == number)).first()
    if order is None and number.isdigit():
        order = session.get(DiagnosisOrder, int(number))
    if order is None:
        raise click.ClickException(f"no order {number}")
    result = assessments.latest_result(session=session, order=order)
    if result is None:
        raise click.ClickException(f"order {order.number} has not been scored")
    record = evidence_snapshot.record_of(session=session, result=result)
    snapshot = evidence_snapshot.of_result(
        session=session, result=result, silence_timeout_s=silence_timeout_s
    )
    return {**snapshot_dict(snapshot), "snapshot_sha256": record.sha256 if record else None}

"""Counts for `diagnose status`."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func
from sqlmodel import Session, select

from diagnose.models import DeadLetter, Device, DiagnosisOrder, Enterprise, Telemetry


def counts(*, session: Session, now: datetime) -> dict[str, Any]:
    """Platform-wide counts as one JSON-able dict."""

    def count(model: type, *where: Any) -> int:
        return int(session.exec(select(func.count()).select_from(model).where(*where)).one())

    by_status = session.exec(
        select(DiagnosisOrder.status, func.count()).group_by(DiagnosisOrder.status)
    ).all()
    return {
        "enterprises": count(Enterprise),
        "devices": count(Device),
        "devices_pending": count(Device, Device.registry_status == "pending"),
        "devices_seen_5min": count(Device, Device.last_seen_at >= now - timedelta(minutes=5)),  # type: ignore[operator]
        "devices_online": count(Device, Device.online == True),  # noqa: E712
        "telemetry_messages": count(Telemetry),
        "dead_letters": count(DeadLetter),
        "diagnoses": {status: int(n) for status, n in by_status},
    }

"""Registering devices from the API: one, or many at once with a dry run; every row is checked first."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlmodel import Session, col, select

from diagnose.models import Device, User
from diagnose.schemas.errors import FieldError
from diagnose.services.shopfloor import devices


def check_new(
    *, session: Session, enterprise_id: int, rows: Sequence[dict[str, Any]], prefix: str = ""
) -> None:
    """Raise FieldError naming the first row whose external_id repeats in `rows` or is already registered."""
    wanted = [str(row["external_id"]) for row in rows]
    taken = set(
        session.exec(
            select(Device.external_id).where(
                Device.enterprise_id == enterprise_id, col(Device.external_id).in_(wanted)
            )
        ).all()
    )
    seen: set[str] = set()
    for index, external_id in enumerate(wanted):
        field = f"{prefix}{index}.external_id" if prefix else "external_id"
        if external_id in taken:
            raise FieldError(field, "device_registered", device=external_id)
        if external_id in seen:
            raise FieldError(field, "device_twice", device=external_id)
        seen.add(external_id)


def register_many(
    *, session: Session, actor: User | str, enterprise_id: int, rows: Sequence[dict[str, Any]], dry_run: bool
) -> list[Device]:
    """Check every row, then (unless a dry run) register them all; the caller commits or rolls back."""
    check_new(session=session, enterprise_id=enterprise_id, rows=rows, prefix="devices." if len(rows) else "")
    if dry_run:
        return []
    return [
        devices.register_device(session=session, actor=actor, enterprise_id=enterprise_id, **row)
        for row in rows
    ]

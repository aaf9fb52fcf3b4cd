"""The provider's review of a plant's devices on site: pending devices confirmed or rejected (in bulk), and
the dead letters of the enterprise's topics with their reasons."""

from __future__ import annotations

from sqlalchemy import or_
from sqlmodel import Session, col, select

from diagnose import topics
from diagnose.models import DeadLetter, Device, Enterprise, User
from diagnose.services.accounts.orgs import ValidationError
from diagnose.services.audit import audit_log
from diagnose.services.shopfloor import devices
from diagnose.services.shopfloor.dead_letters import DeviceDeadLetters, counts

DECISIONS = ("confirm", "reject")


def pending_devices(*, session: Session, enterprise_id: int) -> list[Device]:
    """The enterprise's devices registered from a birth and waiting for someone to confirm them."""
    return list(
        session.exec(
            select(Device)
            .where(Device.enterprise_id == enterprise_id, Device.registry_status == "pending")
            .order_by(col(Device.external_id))
        )
    )


def review_devices(
    *, session: Session, actor: User, enterprise_id: int, device_ids: list[int], decision: str, reason: str
) -> list[Device]:
    """Confirm (make active) or reject (retire) pending devices of one enterprise; a rejection needs a reason.

    Devices of another enterprise or not pending are refused as a whole (nothing changes; not committed).
    """
    if decision not in DECISIONS:
        raise ValidationError("decision", "not_a_choice")
    if not device_ids:
        raise ValidationError("device_id", "choose_device")
    if decision == "reject" and not reason.strip():
        raise ValidationError("reason", "reason_required")
    rows = list(session.exec(select(Device).where(col(Device.id).in_(device_ids))))
    if len(rows) != len(set(device_ids)) or any(
        d.enterprise_id != enterprise_id or d.registry_status != "pending" for d in rows
    ):
        raise ValidationError("device_id", "pending_devices")
    for device in rows:
        if decision == "confirm":
            devices.confirm_device(session=session, actor=actor, device=device)
            continue
        device.registry_status = "retired"
        session.add(device)
        session.flush()
        audit_log.record(
            session=session,
            actor=actor,
            action="device.reject",
            entity="device",
            entity_id=device.id,
            detail={"external_id": device.external_id, "reason": reason.strip()[:500]},
        )
    return rows


def dead_letters(
    *, session: Session, enterprise: Enterprise, include_replayed: bool = False, limit: int = 200
) -> list[DeadLetter]:
    """Newest first: messages on the enterprise's JSON and Sparkplug topics the collector could not use."""
    statement = select(DeadLetter).where(
        or_(
            col(DeadLetter.topic).startswith(topics.plant_prefix(enterprise.uscc)),
            col(DeadLetter.topic).startswith(topics.sparkplug_prefix(enterprise.uscc)),
        )
    )
    if not include_replayed:
        statement = statement.where(col(DeadLetter.replayed_at).is_(None))
    return list(session.exec(statement.order_by(col(DeadLetter.id).desc()).limit(limit)))


def dead_letters_by_id(*, session: Session, enterprise: Enterprise, ids: list[int]) -> list[DeadLetter]:
    """The chosen dead letters, oldest first, only those on this enterprise's topics."""
    mine = {d.id: d for d in dead_letters(session=session, enterprise=enterprise, limit=10_000)}
    return sorted((mine[i] for i in set(ids) if i in mine), key=lambda d: d.id or 0)


def dead_letter_counts(*, session: Session, enterprise: Enterprise) -> list[DeviceDeadLetters]:
    """Per device of the enterprise's topics: dead letters kept, and only counted beyond the caps (the
    retention period's hours), the most recent first."""
    return counts(session=session, scope=enterprise.uscc)

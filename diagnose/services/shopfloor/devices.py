"""The device registry: registration, confirmation of pending devices, liveness, MQTT credentials."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlmodel import Session, col, func, select, update

from diagnose.models import Device, Enterprise, User
from diagnose.services.audit import audit_log
from diagnose.services.shopfloor import broker_accounts


def register_device(
    *,
    session: Session,
    actor: User | str,
    enterprise_id: int,
    external_id: str,
    name: str = "",
    kind: str = "",
    ideal_cycle_s: float | None = None,
    networked: bool = True,
    protocol: str = "json",
    sensor: str = "full",
    registry_status: str = "active",
) -> Device:
    """Add a device to an enterprise's registry (ValueError if the id breaks the topic grammar)."""
    broker_accounts.check_device_id(external_id)
    device = Device(
        enterprise_id=enterprise_id,
        external_id=external_id,
        name=name or external_id,
        kind=kind,
        ideal_cycle_s=ideal_cycle_s,
        networked=networked,
        protocol=protocol,
        sensor=sensor,
        registry_status=registry_status,
    )
    session.add(device)
    session.flush()
    audit_log.record(
        session=session,
        actor=actor,
        action="device.register",
        entity="device",
        entity_id=device.id,
        detail={"external_id": external_id, "status": registry_status},
    )
    return device


def list_devices(*, session: Session, enterprise_id: int) -> list[Device]:
    """An enterprise's devices, by external id."""
    statement = select(Device).where(Device.enterprise_id == enterprise_id).order_by(col(Device.external_id))
    return list(session.exec(statement))


def page_devices(
    *, session: Session, enterprise_id: int, page: int, per_page: int
) -> tuple[list[Device], int]:
    """One page of an enterprise's devices, by external id, and how many there are in all."""
    total = session.exec(
        select(func.count()).select_from(Device).where(Device.enterprise_id == enterprise_id)
    ).one()
    statement = (
        select(Device)
        .where(Device.enterprise_id == enterprise_id)
        .order_by(col(Device.external_id))
        .offset((max(page, 1) - 1) * per_page)
        .limit(per_page)
    )
    return list(session.exec(statement)), int(total)


def device_index(*, session: Session) -> dict[tuple[str, str], int]:
    """(USCC, external id) → device row id, for the collector's lookups."""
    rows = session.exec(select(Enterprise.uscc, Device.external_id, Device.id).join(Enterprise)).all()
    return {(uscc, external): int(device_id) for uscc, external, device_id in rows if device_id is not None}


def mark_offline(*, session: Session, now: datetime, offline_after_s: int) -> int:
    """Mark devices silent for longer than the timeout offline; returns how many changed."""
    cutoff = now - timedelta(seconds=offline_after_s)
    result = session.execute(
        update(Device)
        .where(col(Device.online).is_(True), col(Device.last_seen_at) < cutoff)
        .values(online=False)
    )
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


@dataclass(frozen=True, slots=True)
class MqttCredentials:
    """A device's broker login, shown once: the password itself is not stored, only its hash."""

    username: str
    password: str


def issue_mqtt_credentials(
    *, session: Session, actor: User | str, device: Device, uscc: str
) -> MqttCredentials:
    """Generate (or rotate) a device's broker password, store its Mosquitto hash, return it once.

    The one credential path of the platform: the web UI and `diagnose devices credentials` both call it.
    """
    username = broker_accounts.device_username(uscc, device.external_id)
    password = broker_accounts.new_password()
    device.mqtt_username = username
    device.mqtt_password_hash = broker_accounts.mosquitto_hash(password)
    session.add(device)
    session.flush()
    audit_log.record(
        session=session,
        actor=actor,
        action="device.mqtt_credentials",
        entity="device",
        entity_id=device.id,
        detail={"username": username},
    )
    return MqttCredentials(username, password)


def confirm_device(*, session: Session, actor: User | str, device: Device) -> Device:
    """Make a pending device active (its dead letters can then be replayed into telemetry)."""
    previous = device.registry_status
    device.registry_status = "active"
    session.add(device)
    session.flush()
    audit_log.record(
        session=session,
        actor=actor,
        action="device.confirm",
        entity="device",
        entity_id=device.id,
        detail={"from": previous},
    )
    return device


def find_device(*, session: Session, uscc: str, external_id: str) -> Device | None:
    """A device by its enterprise's USCC and its id in the MQTT topic."""
    statement = (
        select(Device).join(Enterprise).where(Enterprise.uscc == uscc, Device.external_id == external_id)
    )
    return session.exec(statement).first()


def list_pending(*, session: Session) -> list[tuple[str, Device]]:
    """Devices registered automatically and waiting for confirmation, with their enterprise's USCC."""
    statement = (
        select(Enterprise.uscc, Device)
        .join(Enterprise)
        .where(Device.registry_status == "pending")
        .order_by(col(Device.id))
    )
    return [(uscc, device) for uscc, device in session.exec(statement).all()]

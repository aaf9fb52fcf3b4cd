"""The device registry: registration, confirmation of pending devices, liveness, MQTT credentials."""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlmodel import Session, col, select, update

from diagnose.models import Device, Enterprise, User
from diagnose.services import audit_log


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
    """Add a device to an enterprise's registry."""
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


# Mosquitto 2.x password file hash: PBKDF2-SHA512, 101 iterations, 12-byte salt ("$7$", as
# written by mosquitto_passwd), so the stored hash is exactly the line the broker needs.
MOSQUITTO_HASH_ITERATIONS = 101
MOSQUITTO_SALT_BYTES = 12


@dataclass(frozen=True, slots=True)
class MqttCredentials:
    """A device's broker login, shown once: the password itself is not stored, only its hash."""

    username: str
    password: str
    passwd_line: str  # for mosquitto's password_file
    acl: str  # for mosquitto's acl_file: the device may only publish its own topics


def mosquitto_hash(password: str, *, salt: bytes | None = None) -> str:
    """The `$7$…` hash mosquitto_passwd would write for this password."""
    salt = salt if salt is not None else secrets.token_bytes(MOSQUITTO_SALT_BYTES)
    digest = hashlib.pbkdf2_hmac("sha512", password.encode(), salt, MOSQUITTO_HASH_ITERATIONS)
    return f"$7${MOSQUITTO_HASH_ITERATIONS}${base64.b64encode(salt).decode()}${base64.b64encode(digest).decode()}"


def check_mosquitto_hash(password: str, stored: str) -> bool:
    """Whether `password` matches a `$7$` hash."""
    parts = stored.split("$")
    if len(parts) != 5 or parts[1] != "7":
        return False
    candidate = mosquitto_hash(password, salt=base64.b64decode(parts[3]))
    return hmac.compare_digest(candidate, stored)


def issue_mqtt_credentials(
    *, session: Session, actor: User | str, device: Device, uscc: str
) -> MqttCredentials:
    """Generate a new broker password for a device, store its hash, and return what to hand over once."""
    # ':' separates user and hash in the password file, so it cannot appear in a username.
    username = f"{uscc}.{device.external_id}".replace(":", "_")
    password = secrets.token_urlsafe(18)
    device.mqtt_username = username
    device.mqtt_password_hash = mosquitto_hash(password)
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
    acl = device_acl(username, uscc, device.external_id)
    return MqttCredentials(username, password, f"{username}:{device.mqtt_password_hash}", acl)


def device_acl(username: str, uscc: str, external_id: str) -> str:
    """Mosquitto ACL entry: a device may publish and read only its own topics."""
    return (
        f"user {username}\n"
        f"topic write plant/{uscc}/{external_id}/#\n"
        f"topic read plant/{uscc}/{external_id}/#\n"
    )


@dataclass(frozen=True, slots=True)
class BrokerAuth:
    """The contents of Mosquitto's password_file and acl_file for the whole registry."""

    passwd: str
    acl: str
    devices: int


def broker_auth(
    *, session: Session, service_username: str | None = None, service_password: str | None = None
) -> BrokerAuth:
    """Password and ACL files for every active device with credentials, plus the platform's own account.

    The platform account (the collectors' and simulator's, from DIAGNOSE_MQTT_URL) may read and
    write every topic: collectors subscribe to all plants and publish Sparkplug STATE and NCMDs.
    Pending devices get no line: a device must be confirmed before the broker lets it in.
    """
    passwd: list[str] = []
    acl: list[str] = []
    if service_username:
        if ":" in service_username or not service_password:
            raise ValueError("the platform's MQTT account needs a username without ':' and a password")
        passwd.append(f"{service_username}:{mosquitto_hash(service_password)}")
        acl.append(f"user {service_username}\ntopic readwrite #\n")
    rows = session.exec(
        select(Enterprise.uscc, Device)
        .join(Enterprise)
        .where(
            Device.registry_status == "active",
            col(Device.mqtt_username).is_not(None),
            col(Device.mqtt_password_hash).is_not(None),
        )
        .order_by(col(Device.id))
    ).all()
    for uscc, device in rows:
        passwd.append(f"{device.mqtt_username}:{device.mqtt_password_hash}")
        acl.append(device_acl(device.mqtt_username or "", uscc, device.external_id))
    return BrokerAuth("\n".join(passwd) + "\n", "\n".join(acl), len(rows))


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

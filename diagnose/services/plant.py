"""Connecting a plant's devices during a diagnosis: MQTT credentials and the topics to give the plant."""

from __future__ import annotations

import secrets

from sqlmodel import Session
from werkzeug.security import generate_password_hash

from diagnose.models import Device, Enterprise, User
from diagnose.services import audit_log


def topics(enterprise: Enterprise, device: Device) -> dict[str, str]:
    """The topics a JSON device publishes to (README 'Plant data')."""
    base = f"plant/{enterprise.uscc}/{device.external_id}"
    return {"telemetry": f"{base}/telemetry", "birth": f"{base}/birth"}


def issue_mqtt_credentials(*, session: Session, actor: User, device: Device, enterprise: Enterprise) -> str:
    """Give the device a fresh MQTT username and password; the password is returned once and stored hashed."""
    password = secrets.token_urlsafe(12)
    device.mqtt_username = f"{enterprise.uscc}-{device.external_id}"[:64]
    device.mqtt_password_hash = generate_password_hash(password)
    session.add(device)
    audit_log.record(
        session=session,
        actor=actor,
        action="device.credentials",
        entity="device",
        entity_id=device.id,
        detail={"mqtt_username": device.mqtt_username},
    )
    return password

"""Connecting a plant's devices during a diagnosis: MQTT credentials and the topics to give the plant."""

from __future__ import annotations

from sqlmodel import Session

from diagnose import topics as mqtt_topics
from diagnose.models import Device, Enterprise, User
from diagnose.services.shopfloor import devices


def topics(enterprise: Enterprise, device: Device) -> dict[str, str]:
    """The topics a JSON device publishes to (README 'Plant data')."""
    uscc, source = enterprise.uscc, device.external_id
    return {
        "telemetry": mqtt_topics.plant(uscc, source, "telemetry"),
        "birth": mqtt_topics.plant(uscc, source, "birth"),
    }


def issue_mqtt_credentials(*, session: Session, actor: User, device: Device, enterprise: Enterprise) -> str:
    """Give the device a fresh broker password (the one credential path); returned once, stored hashed."""
    return devices.issue_mqtt_credentials(
        session=session, actor=actor, device=device, uscc=enterprise.uscc
    ).password

"""Replay dead letters: parse the stored raw bytes again and store what is now usable (e.g. after a confirm)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from sqlmodel import Session, col, select

from collectors.models import DeviceBirth, Parsed, Reading, Rejected
from collectors.payloads import birth_topic, parse_message, telemetry_topic
from collectors.store import Incoming, reading_from_json, resolve_device, store_batch
from diagnose import topics
from diagnose.models import DeadLetter, Enterprise
from diagnose.models.base import utcnow


@dataclass(slots=True)
class ReplayReport:
    """What a replay did."""

    replayed: int = 0
    inserted: int = 0
    still_failing: list[tuple[int, str]] = field(default_factory=list)  # (dead letter id, reason)


def list_dead_letters(
    *, session: Session, limit: int = 50, topic_prefix: str | None = None, include_replayed: bool = False
) -> list[DeadLetter]:
    """Newest dead letters first."""
    statement = select(DeadLetter)
    if not include_replayed:
        statement = statement.where(col(DeadLetter.replayed_at).is_(None))
    if topic_prefix:
        statement = statement.where(col(DeadLetter.topic).startswith(topic_prefix))
    return list(session.exec(statement.order_by(col(DeadLetter.id).desc()).limit(limit)).all())


def replay_device(
    *, session: Session, uscc: str, external_id: str, max_payload_bytes: int = 65_536
) -> ReplayReport:
    """Replay a device's dead letters (JSON birth and telemetry, held Sparkplug readings), oldest first.

    The caller commits.
    """
    own = [birth_topic(uscc, external_id), telemetry_topic(uscc, external_id)]
    letters = session.exec(
        select(DeadLetter)
        .where(col(DeadLetter.topic).in_(own), col(DeadLetter.replayed_at).is_(None))
        .order_by(col(DeadLetter.id))
    ).all()
    # Sparkplug topics name the group and edge node, not the USCC: match on the held reading itself.
    held = [
        letter
        for letter in session.exec(
            select(DeadLetter)
            .where(
                col(DeadLetter.topic).startswith(f"{topics.NAMESPACE}/"),
                col(DeadLetter.topic).endswith(f"/{external_id}"),
                col(DeadLetter.held).is_not(None),
                col(DeadLetter.replayed_at).is_(None),
            )
            .order_by(col(DeadLetter.id))
        ).all()
        if letter.held and (letter.held.get("uscc"), letter.held.get("device_id")) == (uscc, external_id)
    ]
    # A gateway's message under a payload profile is on the gateway's topic: matched on its held reading.
    profiled = [
        letter
        for letter in session.exec(
            select(DeadLetter)
            .where(
                col(DeadLetter.topic).startswith(topics.plant_prefix(uscc)),
                col(DeadLetter.held).is_not(None),
                col(DeadLetter.replayed_at).is_(None),
            )
            .order_by(col(DeadLetter.id))
        ).all()
        if letter.held and letter.held.get("device_id") == external_id and letter not in letters
    ]
    ordered = sorted([*letters, *held, *profiled], key=_id)
    return replay(session=session, letters=ordered, max_payload_bytes=max_payload_bytes)


def replay(
    *, session: Session, letters: Sequence[DeadLetter], max_payload_bytes: int = 65_536
) -> ReplayReport:
    """Parse each dead letter again; store it and mark it replayed if it is usable now, else keep it."""
    report = ReplayReport()
    device_ids: dict[tuple[str, str], int] = {}
    for letter in letters:
        parsed: Parsed
        if (
            letter.payload_size is not None
            and letter.payload_size > len(letter.payload)
            and letter.held is None
        ):
            report.still_failing.append(
                (_id(letter), f"payload kept cut ({len(letter.payload)} of {letter.payload_size} bytes)")
            )
            continue
        if letter.held is not None:
            parsed = reading_from_json(letter.held)  # a Sparkplug reading decoded under its birth
        elif topics.family(letter.topic) == "plant":
            parsed = parse_message(letter.topic, bytes(letter.payload), max_payload_bytes=max_payload_bytes)
        else:
            # Sparkplug DATA only makes sense with its edge node's birth (aliases, seq): not replayable.
            report.still_failing.append(
                (_id(letter), "only JSON plant/ topics and held readings can be replayed")
            )
            continue
        reason = _unusable(session, parsed)
        if reason is not None:
            letter.reason = reason[:512]
            session.add(letter)
            report.still_failing.append((_id(letter), reason))
            continue
        stored = store_batch(
            session=session,
            items=[Incoming(letter.topic, bytes(letter.payload), parsed)],
            device_ids=device_ids,
        )
        report.inserted += stored.inserted
        report.replayed += 1
        letter.replayed_at = utcnow()
        session.add(letter)
    session.flush()
    return report


def _unusable(session: Session, parsed: object) -> str | None:
    if isinstance(parsed, Rejected):
        return parsed.reason
    if isinstance(parsed, Reading) and (
        resolve_device(session=session, uscc=parsed.uscc, external_id=parsed.device_id) is None
    ):
        return f"device {parsed.device_id} is still unknown or pending"
    if isinstance(parsed, DeviceBirth) and (
        session.exec(select(Enterprise.id).where(Enterprise.uscc == parsed.uscc)).first() is None
    ):
        return f"unknown enterprise {parsed.uscc}"
    return None


def _id(letter: DeadLetter) -> int:
    assert letter.id is not None
    return letter.id

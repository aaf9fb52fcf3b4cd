"""Which payload profile reads each source of an enterprise's telemetry: chosen by the plant or its provider.

The choice is a row of `payloadprofilechoice` (enterprise, source, a built-in's name or "custom" with the
plant's own profile data), recorded in the audit log. The collector reads the whole table now and then
(`ProfileBook`) and looks each telemetry topic's (USCC, source) up in it.
"""

from __future__ import annotations

import logging
import threading
from datetime import datetime
from typing import Any

from sqlalchemy.engine import Engine
from sqlalchemy.exc import SQLAlchemyError
from sqlmodel import Session, col, select

from diagnose.models import Enterprise, PayloadProfileChoice, User
from diagnose.models.base import utcnow
from diagnose.payload_profiles import Item, Profile, ProfileError, builtins, load_profile, try_sample
from diagnose.schemas.devices import DEVICE_ID_RE, DEVICE_ID_RULE_ZH
from diagnose.services.audit import audit_log

log = logging.getLogger(__name__)
CUSTOM = "custom"
BOOK_REFRESH_S = 5.0


def builtin_names() -> list[str]:
    """The built-in profiles' names."""
    return sorted(builtins())


def profile_of(choice: PayloadProfileChoice) -> Profile:
    """The profile a stored choice names (a built-in, or the custom data validated again)."""
    if choice.profile == CUSTOM:
        return load_profile(choice.spec or {})
    return builtins()[choice.profile]


def resolve(profile: str, spec: str | dict[str, Any] | None) -> tuple[Profile, dict[str, Any] | None]:
    """The profile chosen and the data to store; raises ProfileError (in Chinese) when it is not valid."""
    if profile == CUSTOM:
        if spec is None or (isinstance(spec, str) and not spec.strip()):
            raise ProfileError(["自定义配置：请粘贴配置内容（JSON）"])
        checked = load_profile(spec)
        return checked, checked.model_dump(mode="json", exclude_defaults=True)
    if profile not in builtins():
        raise ProfileError(
            [f"没有名为 {profile[:40]} 的内置配置；可选：{'、'.join(builtin_names())}、{CUSTOM}"]
        )
    return builtins()[profile], None


def check_source(source: str) -> str:
    """The source id (a gateway's or a device's, the topic's third level), or ProfileError."""
    source = source.strip()
    if not DEVICE_ID_RE.match(source):
        raise ProfileError([f"来源编号：{DEVICE_ID_RULE_ZH}"])
    return source


def choices(*, session: Session, enterprise_id: int) -> list[PayloadProfileChoice]:
    """An enterprise's choices, by source."""
    return list(
        session.exec(
            select(PayloadProfileChoice)
            .where(PayloadProfileChoice.enterprise_id == enterprise_id)
            .order_by(col(PayloadProfileChoice.source))
        ).all()
    )


def choose(
    *,
    session: Session,
    enterprise: Enterprise,
    source: str,
    profile: str,
    spec: str | dict[str, Any] | None,
    actor: User | str,
) -> PayloadProfileChoice:
    """Set how `source` of `enterprise` is read (validated; audited); the caller commits."""
    source = check_source(source)
    checked, data = resolve(profile, spec)
    row = session.exec(
        select(PayloadProfileChoice).where(
            PayloadProfileChoice.enterprise_id == enterprise.id, PayloadProfileChoice.source == source
        )
    ).first()
    before = None if row is None else row.profile
    if row is None:
        row = PayloadProfileChoice(enterprise_id=enterprise.id, source=source, profile=profile)  # type: ignore[arg-type]
    row.profile = profile
    row.spec = data
    row.updated_by = actor.username if isinstance(actor, User) else actor
    row.updated_at = utcnow()
    session.add(row)
    session.flush()
    audit_log.record(
        session=session,
        actor=actor,
        action="payload_profile.choose",
        entity="enterprise",
        entity_id=enterprise.id,
        detail={"source": source, "profile": profile, "previous": before, "name": checked.name},
    )
    return row


def remove(*, session: Session, enterprise: Enterprise, source: str, actor: User | str) -> bool:
    """Back to the strict flat-JSON parser for `source`; False if it had no choice. Audited."""
    row = session.exec(
        select(PayloadProfileChoice).where(
            PayloadProfileChoice.enterprise_id == enterprise.id, PayloadProfileChoice.source == source
        )
    ).first()
    if row is None:
        return False
    session.delete(row)
    audit_log.record(
        session=session,
        actor=actor,
        action="payload_profile.remove",
        entity="enterprise",
        entity_id=enterprise.id,
        detail={"source": source, "profile": row.profile},
    )
    return True


def preview(
    *, profile: Profile, sample: bytes, uscc: str, source: str, now: datetime | None = None
) -> tuple[Item, ...]:
    """What a pasted sample message gives under `profile`, before saving (nothing is stored)."""
    return try_sample(profile, sample, uscc=uscc, source=source, received_at=now or utcnow())


class ProfileBook:
    """The collector's copy of every choice, (USCC, source) → profile.

    `refresh` reads the table (the collector calls it at start and then every `BOOK_REFRESH_S` from a thread
    of its own, so no lookup on the MQTT thread ever waits for the database). If the database is away, the
    last copy is kept; a stored custom profile that no longer validates is logged and left out (its source
    falls back to the strict parser, whose dead letters say why).
    """

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._book: dict[tuple[str, str], Profile] = {}

    def lookup(self, uscc: str, source: str) -> Profile | None:
        """The profile reading `plant/{uscc}/{source}/telemetry`, or None (the strict parser)."""
        return self._book.get((uscc, source))

    def refresh(self) -> bool:
        """Read the choices again; False (the last copy kept) when the database is away."""
        try:
            with Session(self.engine) as session:
                rows = session.exec(
                    select(Enterprise.uscc, PayloadProfileChoice).join(
                        Enterprise, col(Enterprise.id) == col(PayloadProfileChoice.enterprise_id)
                    )
                ).all()
        except SQLAlchemyError as exc:
            log.warning("payload profiles not read (%s); keeping the last copy", exc)
            return False
        book: dict[tuple[str, str], Profile] = {}
        for uscc, choice in rows:
            try:
                book[(uscc, choice.source)] = profile_of(choice)
            except (ProfileError, KeyError) as exc:
                log.warning("payload profile of %s/%s not usable: %s", uscc, choice.source, exc)
        self._book = book  # one assignment: a lookup sees the old copy or the new, never half of one
        return True

    def run(self, stop: threading.Event, every_s: float = BOOK_REFRESH_S) -> None:
        """Refresh every `every_s` until `stop`."""
        while not stop.wait(every_s):
            self.refresh()

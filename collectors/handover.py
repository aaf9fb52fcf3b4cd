"""A running collector following its assignment in the database: subscribe first, record, let go last."""

from __future__ import annotations

import logging
import threading
from datetime import timedelta

from sqlalchemy.engine import Engine
from sqlalchemy.exc import SQLAlchemyError
from sqlmodel import Session

from collectors.assignment import (
    Release,
    SubscriptionLedger,
    assigned_enterprises,
    enterprise_filters,
    enterprise_of,
    is_plant_filter,
    plan_release,
    plant_topics,
)
from collectors.client import SUBACK_TIMEOUT_S, CollectorClient, Subscription
from diagnose.models.base import utcnow
from diagnose.services.shopfloor import collector_assignments
from diagnose.settings import Settings

log = logging.getLogger(__name__)
HOLDER_FRESH_S = 60.0  # a holder not seen following the table for longer (or 3 polls) is not counted on


class AssignmentFollower:
    """Every `collector_assignment_poll_s`, brings this collector's plant subscriptions (telemetry, births,
    status) to its assignment.

    Gained enterprises are subscribed and, once the broker's SUBACK is in, recorded as held; lost ones are
    unsubscribed only once another collector holds them (`plan_release`), then forgotten. A static list
    (DIAGNOSE_COLLECTOR_ENTERPRISES) is followed the same way, without reading the table's assignment.
    """

    def __init__(self, settings: Settings, engine: Engine) -> None:
        self.settings = settings
        self.engine = engine
        self.collector_id = settings.mqtt_client_id
        self.static = bool(assigned_enterprises(settings))
        self.ledger = SubscriptionLedger(settings)
        self._recorded: set[str] = set()
        self.last: Release | None = None  # the latest plan, for logs and tests

    def wanted(self) -> list[str]:
        """The plant filters this collector should hold now."""
        if self.static:
            return plant_topics(self.settings)
        with Session(self.engine) as session:
            assigned = collector_assignments.assigned_to(session=session, collector_id=self.collector_id)
        return plant_topics(self.settings, assigned)

    def initial_topics(self) -> list[str]:
        """What to subscribe on the first CONNACK: the assignment, and what the session held last time (it
        still holds that, and lets go of it only by the handover rule)."""
        try:
            wanted = self.wanted()
        except SQLAlchemyError as exc:  # the database is away: take more rather than less; the loop narrows
            log.warning("collector assignment not read (%s); starting with every enterprise", exc)
            wanted = plant_topics(self.settings)
        return list(dict.fromkeys([*wanted, *self.ledger.previous()]))

    def run(self, client: CollectorClient, stop: threading.Event) -> None:
        """Follow the assignment until `stop` (a failed step is logged and tried again at the next poll)."""
        while not stop.is_set():
            try:
                self.step(client)
            except Exception:  # the database or the broker away: never let the follower die
                log.exception("collector assignment step failed; next poll")
            stop.wait(self.settings.collector_assignment_poll_s)

    def step(self, client: CollectorClient) -> Release | None:
        """One round: subscribe what is gained, record holdings, let go of what another collector holds."""
        if not client.connected.is_set():
            return None
        # The CONNACK's re-subscriptions first: a second SUBSCRIBE for a filter whose SUBACK is on its way
        # would (under MQTT 3.1.1) bring its retained messages twice.
        client.subscribed.wait(SUBACK_TIMEOUT_S)
        wanted = self.wanted()
        missing = [topic for topic in wanted if topic not in client.granted]
        if missing and client.subscribe([Subscription(topic, 1) for topic in missing]):
            log.info("subscribed to %s", ", ".join(missing))
        held = {topic for topic in client.granted if is_plant_filter(topic)}
        # An enterprise is held once all its filters are granted: its births and status as well as telemetry.
        holding = {
            u for u in map(enterprise_of, held) if u is not None and held >= set(enterprise_filters(u))
        }
        with Session(self.engine) as session:
            new = holding - self._recorded
            collector_assignments.record_held(session=session, collector_id=self.collector_id, usccs=new)
            collector_assignments.seen(session=session, collector_id=self.collector_id)
            session.commit()
            self._recorded |= new
            fresh = utcnow() - timedelta(
                seconds=max(HOLDER_FRESH_S, 3 * self.settings.collector_assignment_poll_s)
            )
            holders = collector_assignments.holders(session=session, seen_since=fresh)
            enterprises = collector_assignments.enterprise_usccs(session=session)
        plan = plan_release(
            wanted=wanted,
            held=held,
            collector_id=self.collector_id,
            holders=holders,
            enterprises=enterprises,
        )
        for topic in plan.topics:
            if not client.unsubscribe([topic]):
                continue
            uscc = enterprise_of(topic)
            if uscc is not None:
                with Session(self.engine) as session:
                    collector_assignments.forget_held(
                        session=session, collector_id=self.collector_id, usccs=[uscc]
                    )
                    session.commit()
                self._recorded.discard(uscc)
            log.info("let go of %s: another collector holds it", topic)
        if plan.waiting and plan != self.last:
            log.info("keeping %s until another collector holds it", ", ".join(plan.waiting))
        self.last = plan
        self.ledger.record(sorted(topic for topic in client.granted if is_plant_filter(topic)))
        return plan

"""Scheduled audit jobs: anomaly detection over every bureau, and each bureau's monthly summary."""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta

from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from diagnose.models import Bureau
from diagnose.services import audit_model_store, audit_review
from diagnose.settings import Settings

log = logging.getLogger(__name__)


def detect_anomalies(engine: Engine, settings: Settings) -> int:
    """Job: flag anomalies in every bureau's delivered diagnoses; returns the number of new flags."""
    try:
        model = audit_model_store.load_model(settings.var_dir)
    except audit_model_store.ModelArtefactError as exc:
        log.warning("score-mismatch model not used: %s", exc)
        model = None
    new = 0
    with Session(engine) as session:
        for bureau in session.exec(select(Bureau)).all():
            assert bureau.id is not None
            run = audit_review.detect_for_bureau(
                session=session,
                bureau_id=bureau.id,
                model=model,
                silence_timeout_s=settings.silence_timeout_s,
            )
            new += run.new
        session.commit()
    return new


def monthly_summaries(engine: Engine, settings: Settings, now: datetime | None = None) -> int:
    """Job: (re)generate every bureau's summary of the previous month (China dates); returns how many."""
    today = ((now or datetime.now(UTC)) + timedelta(hours=8)).date()
    last_month = today.replace(day=1) - timedelta(days=1)
    with Session(engine) as session:
        bureaus = session.exec(select(Bureau)).all()
        for bureau in bureaus:
            assert bureau.id is not None
            audit_review.monthly_summary(session=session, bureau_id=bureau.id, month=last_month)
        session.commit()
    return len(bureaus)


# For diagnose.jobs.JOBS: (name, function, interval seconds). The summary job is idempotent, so
# running it every 6 hours regenerates last month's summary until the month's figures settle.
AUDIT_JOBS = (
    ("detect_anomalies", detect_anomalies, 3600),
    ("monthly_summaries", monthly_summaries, 6 * 3600),
)

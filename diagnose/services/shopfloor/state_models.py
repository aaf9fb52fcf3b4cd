"""Dumb devices' state models: fitted once per device and training window, stored with their version (skops),
applied at query time; never refitted on a query."""

from __future__ import annotations

from datetime import timedelta

from sqlmodel import Session, col, select

from diagnose.models import Device, StateModelRecord, Telemetry
from scoring.indicators import Window
from scoring.ml import state_store
from scoring.ml.state_inference import StateModel, fit_state_model

MIN_SAMPLES_TO_FIT = 10
# Project default: the first day of a device's current readings trains its model.
TRAINING_WINDOW = timedelta(days=1)


def fit_and_store(*, session: Session, device: Device, train: Window) -> StateModelRecord | None:
    """Fit the device's model on its current readings in `train` and store it; None if too few readings."""
    values = session.exec(
        select(Telemetry.current_a).where(
            Telemetry.device_id == device.id,
            col(Telemetry.ts) >= train.start,
            col(Telemetry.ts) < train.end,
            col(Telemetry.current_a).is_not(None),
        )
    ).all()
    readings = [float(v) for v in values if v is not None]
    if len(readings) < MIN_SAMPLES_TO_FIT or len(set(readings)) < 2:
        return None
    record = StateModelRecord(
        device_id=device.id,  # type: ignore[arg-type]
        train_start=train.start,
        train_end=train.end,
        version=state_store.STATE_MODEL_VERSION,
        blob=state_store.dumps(fit_state_model(readings)),
    )
    session.add(record)
    session.flush()
    return record


def stored(*, session: Session, device: Device) -> StateModelRecord | None:
    """The device's newest stored model of the current version."""
    return session.exec(
        select(StateModelRecord)
        .where(
            StateModelRecord.device_id == device.id,
            StateModelRecord.version == state_store.STATE_MODEL_VERSION,
        )
        .order_by(col(StateModelRecord.id).desc())
        .limit(1)
    ).first()


def model_for(*, session: Session, device: Device) -> StateModel | None:
    """The stored model, or one fitted now on the device's first training window and stored (once)."""
    record = stored(session=session, device=device)
    if record is None:
        first = session.exec(
            select(Telemetry.ts)
            .where(Telemetry.device_id == device.id, col(Telemetry.current_a).is_not(None))
            .order_by(col(Telemetry.ts))
            .limit(1)
        ).first()
        if first is None:
            return None
        record = fit_and_store(session=session, device=device, train=Window(first, first + TRAINING_WINDOW))
        if record is None:
            return None
    return state_store.loads(record.blob)[1]

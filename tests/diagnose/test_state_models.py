"""Dumb devices' state models (issue #11): fitted once per device and training window, stored with their version
(skops), applied at query time and not refitted per query; on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from diagnose.models import StateModelRecord, Telemetry
from diagnose.services.shopfloor import state_models
from diagnose.services.telemetry import telemetry_queries
from scoring.indicators import Window
from scoring.ml import state_inference, state_store
from scoring.ml.state_inference import agreement, fit_state_model, infer_states
from tests import factories

START = datetime(2026, 11, 20, 0, tzinfo=UTC)


@pytest.mark.slow
def test_store_round_trip_keeps_the_model_and_version() -> None:
    values, _ = state_store.generate_machine_signal(1, 3, step_s=60)
    model = fit_state_model(values)
    version, loaded = state_store.loads(state_store.dumps(model))
    assert version == state_store.STATE_MODEL_VERSION and loaded == model


def test_model_fitted_on_a_realistic_day_holds_on_the_next_days() -> None:
    values, truth = state_store.generate_machine_signal(3, 5, step_s=30)
    day = len(values) // 3
    model = fit_state_model(values[:day])
    assert agreement(infer_states(model, values[day:]), truth[day:]) >= 0.9


def test_fitted_once_stored_and_applied_without_refitting(
    engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    values, truth = state_store.generate_machine_signal(2, 7, step_s=120)
    with Session(engine) as session:
        factories.regions(session)
        enterprise = factories.enterprise(session)
        device = factories.device(session, enterprise.id, "OLD", sensor="current", ideal_cycle_s=60.0)
        for i, value in enumerate(values):
            session.add(
                Telemetry(
                    device_id=device.id or 0,
                    seq=i,
                    ts=START + timedelta(seconds=120 * i),
                    current_a=float(value),
                )
            )
        session.commit()
        fits: list[int] = []
        real_fit = state_inference.fit_state_model

        def counting(*args, **kwargs):  # type: ignore[no-untyped-def]
            fits.append(1)
            return real_fit(*args, **kwargs)

        monkeypatch.setattr(state_models, "fit_state_model", counting)
        day2 = Window(START + timedelta(days=1), START + timedelta(days=2))
        first = telemetry_queries.load_samples(session=session, device=device, window=day2)
        session.commit()
        second = telemetry_queries.load_samples(session=session, device=device, window=day2)
        assert len(fits) == 1 and first.states == second.states
        record = session.exec(select(StateModelRecord)).one()
        assert record.version == state_store.STATE_MODEL_VERSION
        assert (record.train_start, record.train_end) == (START, START + timedelta(days=1))
        inferred = [s.state for s in first.states]
        assert agreement(inferred, truth[len(values) // 2 :][: len(inferred)]) >= 0.9

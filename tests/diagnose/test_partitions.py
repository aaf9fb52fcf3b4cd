"""Telemetry partitioned by day on PostgreSQL: idempotent redelivery, partitions made on first sight and ahead,
retention by dropping whole rolled-up partitions, existing rows carried over by the migration."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from alembic.script import ScriptDirectory
from sqlalchemy import text
from sqlalchemy.engine import Engine
from sqlmodel import Session, func, select

from apps import jobs
from collectors.models import Reading
from collectors.store import Incoming, store_batch
from diagnose import migrate
from diagnose.db import make_engine
from diagnose.models import Device, Telemetry
from diagnose.services import partitions, rollups
from diagnose.settings import Settings
from tests import factories

NOW = datetime(2026, 12, 1, 6, 0, tzinfo=UTC)


def _plant(engine: Engine) -> tuple[str, int]:
    with Session(engine) as session:
        factories.regions(session)
        enterprise = factories.enterprise(session)
        device = factories.device(session, enterprise.id, "D01", ideal_cycle_s=30.0)
        session.commit()
        return enterprise.uscc, int(device.id)  # type: ignore[arg-type]


def _store(engine: Engine, uscc: str, readings: list[tuple[int, datetime]]) -> int:
    items = [
        Incoming("t", b"{}", Reading(uscc=uscc, device_id="D01", seq=seq, ts=ts, state="RUN"))
        for seq, ts in readings
    ]
    with Session(engine) as session:
        report = store_batch(session=session, items=items, device_ids={})
        session.commit()
    return report.inserted


def _rows(engine: Engine) -> int:
    with Session(engine) as session:
        return int(session.exec(select(func.count()).select_from(Telemetry)).one())


def test_redeliveries_are_stored_once_on_every_backend(engine: Engine) -> None:
    uscc, _ = _plant(engine)
    batch = [(seq, NOW + timedelta(seconds=seq)) for seq in range(1, 21)]
    assert _store(engine, uscc, batch) == 20
    assert _store(engine, uscc, batch[5:] + batch[:3]) == 0  # redelivered, in another order
    assert _rows(engine) == 20


@pytest.fixture
def pg_engine(engine: Engine) -> Engine:
    if engine.dialect.name != "postgresql":
        pytest.skip("partitioning is PostgreSQL's; SQLite keeps one table")
    return engine


def _days(engine: Engine) -> set[str]:
    with engine.connect() as connection:
        return {partitions.partition_name(d) for d in partitions.existing_days(connection)}


def test_a_row_for_any_day_finds_its_partition(pg_engine: Engine) -> None:
    uscc, _ = _plant(pg_engine)
    old = datetime(2025, 3, 7, 12, 0, tzinfo=UTC)  # store-and-forward history, long before the migration
    assert _store(pg_engine, uscc, [(1, old), (2, old + timedelta(days=1)), (3, NOW)]) == 3
    assert {"telemetry_p2025_03_07", "telemetry_p2025_03_08"} <= _days(pg_engine)
    with pg_engine.connect() as connection:
        where = connection.execute(
            text("SELECT tableoid::regclass::text FROM telemetry WHERE seq = 1")
        ).scalar_one()
    assert where == "telemetry_partitions.telemetry_p2025_03_07"
    assert _store(pg_engine, uscc, [(1, old)]) == 0  # a redelivery still conflicts inside its partition


def test_the_jobs_make_partitions_ahead(pg_engine: Engine, db_settings: Settings) -> None:
    far = datetime(2027, 6, 1, tzinfo=UTC)
    jobs.maintain_partitions(pg_engine, db_settings, now=far)
    assert {partitions.partition_name((far + timedelta(days=n)).date()) for n in range(-1, 8)} <= _days(
        pg_engine
    )
    assert jobs.maintain_partitions(pg_engine, db_settings, now=far) == 0


def test_retention_drops_only_rolled_up_partitions(pg_engine: Engine, db_settings: Settings) -> None:
    uscc, device_id = _plant(pg_engine)
    start = datetime(2026, 8, 1, tzinfo=UTC)
    _store(pg_engine, uscc, [(n, start + timedelta(days=n // 4, hours=n % 4)) for n in range(12)])
    settings = db_settings.model_copy(update={"raw_retention_days": 30})
    assert partitions.drop_expired(pg_engine, now=NOW, retention_days=30) == []  # nothing rolled up
    with Session(pg_engine) as session:  # roll up 1 August only
        device = session.get(Device, device_id)
        assert device is not None
        for hour in range(24):
            rollups.rollup_device_hour(
                session=session, device=device, hour=start + timedelta(hours=hour), silence_timeout_s=600
            )
        session.commit()
    removed = jobs.apply_retention(pg_engine, settings, now=NOW)
    assert "telemetry_p2026_08_01" not in _days(pg_engine)
    assert {"telemetry_p2026_08_02", "telemetry_p2026_08_03"} <= _days(pg_engine)
    assert removed == 1 and _rows(pg_engine) == 8


def test_the_migration_carries_rows_into_partitions(db_url: str) -> None:
    engine = make_engine(url=db_url)
    before = ScriptDirectory.from_config(migrate.alembic_config()).get_revision("0014").down_revision
    assert isinstance(before, str)
    migrate.upgrade(engine, before)
    uscc, device_id = _plant(engine)
    with engine.begin() as connection:
        for seq in range(5):
            connection.execute(
                text(
                    "INSERT INTO telemetry (device_id, seq, ts, received_at, source, is_historical) "
                    "VALUES (:d, :s, :ts, :ts, 'json', false)"
                ),
                {"d": device_id, "s": seq, "ts": datetime(2026, 10, 1 + seq, tzinfo=UTC)},
            )
    migrate.upgrade(engine)
    assert _rows(engine) == 5
    assert _store(engine, uscc, [(5, NOW)]) == 1  # the id sequence carries on
    migrate.downgrade(engine, before)
    assert _rows(engine) == 6
    engine.dispose()

"""Telemetry partitioned by day on PostgreSQL, managed by pg_partman: idempotent redelivery, a row for any day
stored, partitions made ahead, retention by dropping whole rolled-up partitions, existing rows carried over by
the migrations both ways, and a clear refusal where pg_partman is missing."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from alembic import command
from alembic.script import ScriptDirectory
from click.testing import CliRunner
from sqlalchemy import text
from sqlalchemy.engine import Engine
from sqlmodel import Session, func, select

from apps.cli import main
from apps.processes import jobs
from collectors.models import Reading
from collectors.store import Incoming, store_batch
from diagnose import migrate
from diagnose.db import make_engine
from diagnose.models import Device, Telemetry
from diagnose.services.telemetry import partitions, partman, rollups
from diagnose.services.telemetry.partition_catalog import create_sql, partition_name
from diagnose.settings import Settings
from tests import factories

NOW = datetime(2026, 12, 1, 6, 0, tzinfo=UTC)
OLD = datetime(2025, 3, 7, 12, 0, tzinfo=UTC)  # store-and-forward history, long before the migration


def _plant(engine: Engine) -> tuple[str, int]:
    with Session(engine) as session:
        factories.regions(session)
        enterprise = factories.enterprise(session)
        device = factories.device(session, enterprise.id, "D01", ideal_cycle_s=30.0)
        session.commit()
        return enterprise.uscc, int(device.id)  # type: ignore[arg-type]


def _items(uscc: str, readings: list[tuple[int, datetime]]) -> list[Incoming]:
    return [
        Incoming("t", b"{}", Reading(uscc=uscc, device_id="D01", seq=seq, ts=ts, state="RUN"))
        for seq, ts in readings
    ]


def _store(engine: Engine, uscc: str, readings: list[tuple[int, datetime]]) -> int:
    with Session(engine) as session:
        report = store_batch(session=session, items=_items(uscc, readings), device_ids={})
        session.commit()
    return report.inserted


def _rows(engine: Engine) -> int:
    with Session(engine) as session:
        return int(session.exec(select(func.count()).select_from(Telemetry)).one())


def _where(engine: Engine, seq: int) -> str:
    """The partition holding the row with this seq."""
    with engine.connect() as connection:
        return str(
            connection.execute(
                text("SELECT tableoid::regclass::text FROM telemetry WHERE seq = :s"), {"s": seq}
            ).scalar_one()
        )


def _days(engine: Engine) -> set[str]:
    with engine.connect() as connection:
        return {partition_name(d) for d in partitions.existing_days(connection)}


def _migrated(url: str, revision: str = "heads") -> Engine:
    """A PostgreSQL database migrated to `revision`; skipped where the server lacks pg_partman."""
    if not url.startswith("postgresql"):
        pytest.skip("partitioning is PostgreSQL's; SQLite keeps one table")
    engine = make_engine(url=url)
    with engine.connect() as connection:
        if not partman.available(connection):
            pytest.skip("pg_partman is not installed on this PostgreSQL (postgresql-15-partman)")
    migrate.upgrade(engine, revision)
    return engine


@pytest.fixture
def managed(db_url: str) -> Iterator[Engine]:
    """A migrated PostgreSQL database, its partitions managed by pg_partman."""
    engine = _migrated(db_url)
    with engine.connect() as connection:
        assert partitions.manager(connection) == "partman"
    yield engine
    engine.dispose()


def _kind(engine: Engine) -> str:
    with engine.connect() as connection:
        return partitions.manager(connection)


def _managed_by_partman(engine: Engine) -> bool:
    with engine.connect() as connection:
        return partman.manages_telemetry(connection)


def _made_by_the_fallback(engine: Engine, *moments: datetime) -> None:
    """Partitions for these days, where diagnose's own fallback (removed in issue #25) made them: beside
    migration 0014's, in schema telemetry_partitions."""
    with engine.begin() as connection:
        for moment in moments:
            connection.execute(text(create_sql(moment.astimezone(UTC).date())))


def _stamp(engine: Engine, revision: str) -> None:
    """Record `revision` as the database's, running nothing."""
    config = migrate.alembic_config()
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.stamp(config, revision)


def _without_partman_on_the_server(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(partman, "available", lambda _connection: False)


def test_redeliveries_are_stored_once_on_every_backend(engine: Engine) -> None:
    uscc, _ = _plant(engine)
    batch = [(seq, NOW + timedelta(seconds=seq)) for seq in range(1, 21)]
    assert _store(engine, uscc, batch) == 20
    assert _store(engine, uscc, batch[5:] + batch[:3]) == 0  # redelivered, in another order
    assert _rows(engine) == 20


def test_a_row_for_any_day_finds_its_partition(managed: Engine, db_settings: Settings) -> None:
    uscc, _ = _plant(managed)
    assert _store(managed, uscc, [(1, OLD), (2, OLD + timedelta(days=1)), (3, NOW)]) == 3
    # No DDL in the collector: the old days wait in pg_partman's default partition…
    assert _where(managed, 1) == "telemetry_default"
    assert _store(managed, uscc, [(1, OLD)]) == 0  # … where a redelivery conflicts too
    assert "telemetry_p2025_03_07" not in _days(managed)
    jobs.maintain_partitions(managed, db_settings)  # … until the jobs move them into their days
    assert _where(managed, 1) == "telemetry_p2025_03_07"
    assert {"telemetry_p2025_03_07", "telemetry_p2025_03_08"} <= _days(managed)
    assert _store(managed, uscc, [(1, OLD), (2, OLD + timedelta(days=1))]) == 0  # still once, in its day
    assert _rows(managed) == 3


def test_a_transaction_that_read_telemetry_stores_new_days_without_lock_waits(managed: Engine) -> None:
    """A replay reads telemetry, then stores message by message in the same transaction: making a partition
    from another connection would wait for this very transaction, LOCK_WAIT per message."""
    uscc, _ = _plant(managed)
    started = time.monotonic()
    with Session(managed) as session:
        assert session.exec(select(func.count()).select_from(Telemetry)).one() == 0  # holds a lock now
        for seq in range(1, 6):
            day = OLD + timedelta(days=seq)  # a day without a partition each time
            assert store_batch(session=session, items=_items(uscc, [(seq, day)]), device_ids={}).inserted == 1
        session.commit()
    assert time.monotonic() - started < 2  # one LOCK_WAIT is 2 s; before the fix this took 10 s
    assert _rows(managed) == 5


def test_the_jobs_make_partitions_ahead(managed: Engine, db_settings: Settings) -> None:
    now = datetime.now(UTC)  # premade from the database's clock
    jobs.maintain_partitions(managed, db_settings)
    ahead = {partition_name((now + timedelta(days=n)).date()) for n in range(-1, 8)}
    assert ahead <= _days(managed)
    assert jobs.maintain_partitions(managed, db_settings) == 0


@pytest.mark.parametrize("rolled_up_days", [(1,), (1, 3)])
def test_retention_drops_only_rolled_up_partitions(
    managed: Engine, db_settings: Settings, rolled_up_days: tuple[int, ...]
) -> None:
    uscc, device_id = _plant(managed)
    start = datetime(2026, 8, 1, tzinfo=UTC)
    _store(managed, uscc, [(n, start + timedelta(days=n // 4, hours=n % 4)) for n in range(12)])  # 1–3 Aug
    settings = db_settings.model_copy(update={"raw_retention_days": 30})
    jobs.maintain_partitions(managed, settings)  # pg_partman's own maintenance never drops by age
    assert {"telemetry_p2026_08_01", "telemetry_p2026_08_02", "telemetry_p2026_08_03"} <= _days(managed)
    assert partitions.drop_expired(managed, now=NOW, retention_days=30) == []  # nothing rolled up
    with Session(managed) as session:
        device = session.get(Device, device_id)
        assert device is not None
        for day in rolled_up_days:
            for hour in range(24):
                rollups.rollup_device_hour(
                    session=session,
                    device=device,
                    hour=start + timedelta(days=day - 1, hours=hour),
                    silence_timeout_s=600,
                )
        session.commit()
    removed = jobs.apply_retention(managed, settings, now=NOW)
    dropped = {f"telemetry_p2026_08_0{day}" for day in rolled_up_days}
    if rolled_up_days == (1, 3):
        # Retention ends at the roll-up watermark: 2 August is not rolled up, so it and all after it stay.
        dropped = {"telemetry_p2026_08_01"}
    assert not dropped & _days(managed)
    assert {f"telemetry_p2026_08_0{day}" for day in (1, 2, 3)} - dropped <= _days(managed)
    # Rolled-up rows of a partition that stays are deleted row by row, as on SQLite.
    deleted = 4 * (len(rolled_up_days) - len(dropped))
    assert removed == len(dropped) + deleted and _rows(managed) == 12 - 4 * len(rolled_up_days)


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


def test_pg_partman_takes_over_the_partitions_and_hands_them_back(db_url: str) -> None:
    engine = _migrated(db_url, revision="0015")
    uscc, _ = _plant(engine)
    _made_by_the_fallback(engine, OLD, NOW, NOW + timedelta(days=2))
    assert _store(engine, uscc, [(1, OLD), (2, NOW), (3, NOW + timedelta(days=2))]) == 3
    assert _where(engine, 1) == "telemetry_partitions.telemetry_p2025_03_07"
    kept = _days(engine)

    migrate.upgrade(engine)  # 0016: pg_partman takes the partitions over, rows and all
    assert _kind(engine) == "partman" and _rows(engine) == 3
    assert kept <= _days(engine)
    assert _where(engine, 1) == "telemetry_p2025_03_07"  # same partition, now beside its parent
    assert _store(engine, uscc, [(1, OLD), (4, OLD - timedelta(days=30))]) == 1  # a new old day
    assert _where(engine, 4) == "telemetry_default"

    migrate.downgrade(engine, "0015")  # back to 0014's layout: the default partition's row gets its day
    assert not _managed_by_partman(engine) and _rows(engine) == 4
    assert _where(engine, 4) == "telemetry_partitions.telemetry_p2025_02_05"
    assert _where(engine, 1) == "telemetry_partitions.telemetry_p2025_03_07"
    migrate.upgrade(engine)
    assert _kind(engine) == "partman" and _rows(engine) == 4
    engine.dispose()


def test_without_pg_partman_the_migration_stops_and_names_the_package(
    db_url: str, db_settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    if not db_url.startswith("postgresql"):
        pytest.skip("partitioning is PostgreSQL's")
    _without_partman_on_the_server(monkeypatch)
    engine = make_engine(url=db_url)
    with pytest.raises(partman.Missing, match=r"install the Debian package postgresql-\d+-partman"):
        migrate.upgrade(engine)
    assert migrate.current_revision(engine) is None  # one transaction: nothing half-made is left
    refused = CliRunner().invoke(main, ["init-db"], obj=db_settings)
    assert refused.exit_code == 1 and "postgresql-15-partman" in refused.output, refused.output
    engine.dispose()


def test_a_database_left_to_the_fallback_is_refused_at_start_and_handed_over_by_init_db(
    db_url: str, db_settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Before issue #25, migration 0016 left the partitions to diagnose's own fallback where the server lacked
    pg_partman; such a database at the old head must keep its rows and move to pg_partman (0034)."""
    engine = _migrated(db_url, revision="0015")
    monkeypatch.setattr(partman, "adopt", lambda _connection: False)  # 0016 as it behaved without pg_partman
    migrate.upgrade(engine, "0032")
    monkeypatch.undo()
    uscc, _ = _plant(engine)
    _made_by_the_fallback(engine, NOW, NOW + timedelta(days=1))
    assert _store(engine, uscc, [(1, NOW), (2, NOW + timedelta(days=1))]) == 2
    assert _where(engine, 1).startswith("telemetry_partitions.")
    assert not _managed_by_partman(engine)
    runner = CliRunner()
    stopped = runner.invoke(main, ["partitions", "status"], obj=db_settings)  # not at head: init-db
    assert stopped.exit_code == 1 and "diagnose init-db" in stopped.output, stopped.output

    # Refused at start too if pg_partman went missing at head (stamped: the schema is otherwise current).
    _stamp(engine, "heads")
    stopped = runner.invoke(main, ["partitions", "status"], obj=db_settings)
    assert stopped.exit_code == 1 and "install the Debian package postgresql-15-partman" in stopped.output
    with pytest.raises(partman.Missing, match="postgresql-15-partman"):
        jobs.maintain_partitions(engine, db_settings)
    _stamp(engine, "0032")

    _without_partman_on_the_server(monkeypatch)
    assert runner.invoke(main, ["init-db"], obj=db_settings).exit_code == 1  # still without it: refused
    monkeypatch.undo()
    adopted = runner.invoke(main, ["init-db"], obj=db_settings)  # the package installed: 0034 hands over
    assert adopted.exit_code == 0, adopted.output
    assert _kind(engine) == "partman" and _rows(engine) == 2
    assert _where(engine, 1) == f"telemetry_p{NOW:%Y_%m_%d}"  # same partition, now beside its parent
    assert _store(engine, uscc, [(3, OLD)]) == 1 and _where(engine, 3) == "telemetry_default"
    status = runner.invoke(main, ["partitions", "status"], obj=db_settings)
    assert "managed by: partman" in status.output and "default partition (moved by the jobs hourly): 1" in (
        status.output
    )
    engine.dispose()


def test_partitions_status_on_sqlite_says_there_are_none(settings: Settings) -> None:
    runner = CliRunner()
    assert runner.invoke(main, ["init-db"], obj=settings).exit_code == 0
    status = runner.invoke(main, ["partitions", "status"], obj=settings)
    assert status.exit_code == 0 and "managed by: none" in status.output

"""Benchmark: a plant's 30-day evidence snapshot over 100 devices from hourly roll-ups vs from raw rows, on
partitioned PostgreSQL.

Every device reports every 10 minutes for 30 days (432,000 raw rows in day partitions) with the same
pattern of states and counters; the roll-ups are the roll-up job's own output for device 1, copied to
the others (their raw rows are identical). Timed: the evidence snapshot of the whole plant over the 30 days
(`diagnose.services.diagnosis.evidence_snapshot.compute`: every device, plant and daily figure, what a diagnosis and the
bureau read), once from raw rows only (the baseline) and once from roll-ups; both must give the same snapshot,
to the microsecond and the part. Target: roll-ups at least 50 times faster, and under 1 s for the 100 devices
(issue #24). The roll-up path reads each kind of row once for the plant, the month of hours as one row of
integer arrays a device, and sums them as columns (docs/operations.md, "A year × 1,000 devices").
Uses DIAGNOSE_BENCH_POSTGRES_URL (default postgresql+psycopg://postgres@127.0.0.1:5432/postgres) to create
and drop a scratch database; without PostgreSQL it runs on SQLite (one plain table) and says so.
"""

from __future__ import annotations

import argparse
import os
import socket
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import create_engine, text
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from diagnose import migrate
from diagnose.db import make_engine
from diagnose.models import Device, DeviceHour, Enterprise, Region
from diagnose.services.diagnosis import evidence_snapshot
from diagnose.services.telemetry import partitions, rollups
from scoring.indicators import Window, snapshot_json

START = datetime(2026, 10, 1, tzinfo=UTC)
DAYS = 30
STEP_S = 600
SILENCE_S = 900
DEFAULT_PG = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"


def _postgres_answers(url: str) -> bool:
    host_port = url.rsplit("@", 1)[-1].split("/", 1)[0]
    host, _, port = host_port.partition(":")
    try:
        socket.create_connection((host or "127.0.0.1", int(port or 5432)), timeout=1).close()
        return True
    except OSError:
        return False


def _scratch(admin_url: str | None) -> tuple[str, Engine | None]:
    if admin_url is None:
        return f"sqlite:///{Path(tempfile.mkdtemp()) / 'bench.db'}", None
    name = f"diagnose_bench_{uuid.uuid4().hex[:8]}"
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    return f"{admin_url.rpartition('/')[0]}/{name}", admin


def _plant(engine: Engine, devices: int) -> list[int]:
    with Session(engine) as session:
        session.add(Region(code="320412", name="武进区", level="district"))
        session.flush()
        enterprise = Enterprise(
            uscc="91320412MA000001XY", name="基准企业", region_code="320412", industry_code="3421",
            industry_type="discrete", scale="medium",
        )  # fmt: skip
        session.add(enterprise)
        session.flush()
        rows = [
            Device(enterprise_id=enterprise.id, external_id=f"D{n:03d}", name=f"D{n:03d}", ideal_cycle_s=30.0)  # type: ignore[arg-type]
            for n in range(devices)
        ]
        session.add_all(rows)
        session.commit()
        return [int(d.id) for d in rows]  # type: ignore[arg-type]


RAW_SQL = """
INSERT INTO telemetry (device_id, seq, ts, received_at, source, state, count_total, count_good, is_historical)
SELECT d, g, :start + g * interval '{step} seconds', :start, 'json',
       CASE WHEN g % 12 = 5 THEN 'IDLE' WHEN g % 29 = 7 THEN 'DOWN' ELSE 'RUN' END,
       g * 9, g * 9 - g / 20, false
FROM unnest(CAST(:devices AS integer[])) AS d, generate_series(0, :n - 1) AS g
"""


def _enterprise_of(engine: Engine) -> int:
    with Session(engine) as session:
        enterprise = session.exec(select(Enterprise)).one()
        assert enterprise.id is not None
        return enterprise.id


def _raw_rows(engine: Engine, device_ids: list[int], per_device: int) -> float:
    """Load the raw rows; returns the seconds the partition maintenance took to put them in their days."""
    if engine.dialect.name == "postgresql":
        # The rows of these past days land in pg_partman's default partition and the jobs' maintenance
        # moves them into day partitions.
        with engine.begin() as connection:
            connection.execute(
                text(RAW_SQL.format(step=STEP_S)), {"start": START, "devices": device_ids, "n": per_device}
            )
        t0 = time.perf_counter()
        partitions.maintain(engine)
        maintain_s = time.perf_counter() - t0
        with engine.begin() as connection:
            connection.execute(text("ANALYZE telemetry"))
        return maintain_s
    from diagnose.models import Telemetry

    def state(g: int) -> str:
        return "IDLE" if g % 12 == 5 else "DOWN" if g % 29 == 7 else "RUN"

    rows = [
        {"device_id": d, "seq": g, "ts": START + timedelta(seconds=g * STEP_S), "received_at": START,
         "source": "json", "state": state(g), "count_total": g * 9, "count_good": g * 9 - g // 20,
         "is_historical": False}
        for d in device_ids
        for g in range(per_device)
    ]  # fmt: skip
    with engine.begin() as connection:
        connection.execute(Telemetry.__table__.insert(), rows)  # type: ignore[attr-defined]
    return 0.0


def _rollups(engine: Engine, device_ids: list[int]) -> float:
    """The roll-up job's output for the first device, copied to the others; returns seconds spent."""
    t0 = time.perf_counter()
    with Session(engine) as session:
        device = session.get(Device, device_ids[0])
        assert device is not None
        for hour in range(DAYS * 24):
            rollups.rollup_device_hour(
                session=session,
                device=device,
                hour=START + timedelta(hours=hour),
                silence_timeout_s=SILENCE_S,
            )
        session.commit()
        template = session.exec(select(DeviceHour).where(DeviceHour.device_id == device_ids[0])).all()
        columns = [c.name for c in DeviceHour.__table__.columns if c.name not in ("id", "device_id")]  # type: ignore[attr-defined]
        copies = [
            {"device_id": d, **{c: getattr(row, c) for c in columns}}
            for d in device_ids[1:]
            for row in template
        ]
        session.connection().execute(DeviceHour.__table__.insert(), copies)  # type: ignore[attr-defined]
        session.commit()
    return time.perf_counter() - t0


def _snapshot(engine: Engine, enterprise_id: int, *, use_rollups: bool) -> tuple[float, dict[str, object]]:
    window = Window(START, START + timedelta(days=DAYS))
    with Session(engine) as session:
        t0 = time.perf_counter()
        snapshot = evidence_snapshot.compute(
            session=session,
            enterprise_id=enterprise_id,
            window=window,
            silence_timeout_s=SILENCE_S,
            use_rollups=use_rollups,
        )
        elapsed = time.perf_counter() - t0
    return elapsed, snapshot_json.to_dict(snapshot)


def _split(engine: Engine, enterprise_id: int, runs: int = 3) -> tuple[float, float]:
    """The roll-up path's two halves, the best of a few runs each: reading the inputs (SQL and decoding) and
    the pure snapshot."""
    window = Window(START, START + timedelta(days=DAYS))
    reads, pures = [], []
    for _ in range(runs):
        with Session(engine) as session:
            t0 = time.perf_counter()
            inputs = evidence_snapshot.gather(
                session=session, enterprise_id=enterprise_id, window=window, silence_timeout_s=SILENCE_S
            )
            t1 = time.perf_counter()
            evidence_snapshot.evidence_snapshot(inputs)
            reads.append(t1 - t0)
            pures.append(time.perf_counter() - t1)
    return min(reads), min(pures)


def main() -> None:
    """Print both timings, OEE agreement and the ratio."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--devices", type=int, default=100)
    args = parser.parse_args()
    admin_url = os.environ.get("DIAGNOSE_BENCH_POSTGRES_URL", DEFAULT_PG)
    url, admin = _scratch(admin_url if _postgres_answers(admin_url) else None)
    engine = make_engine(url=url)
    try:
        migrate.upgrade(engine)
        device_ids = _plant(engine, args.devices)
        per_device = DAYS * 24 * 3600 // STEP_S
        t0 = time.perf_counter()
        maintain_s = _raw_rows(engine, device_ids, per_device)
        load_s = time.perf_counter() - t0 - maintain_s
        rollup_s = _rollups(engine, device_ids)
        enterprise_id = _enterprise_of(engine)
        _snapshot(engine, enterprise_id, use_rollups=True)  # warm: statements compiled, modules imported
        raw_s, raw = _snapshot(engine, enterprise_id, use_rollups=False)
        rolled_s, rolled = _snapshot(engine, enterprise_id, use_rollups=True)
        if rolled != raw:
            raise SystemExit("partition_bench: the snapshot from roll-ups differs from the one from raw rows")
        read_s, pure_s = _split(engine, enterprise_id)
        with engine.connect() as connection:
            kind = partitions.manager(connection)
            parts = len(partitions.existing_days(connection)) if kind != "none" else 0
            in_default = connection.execute(
                text("SELECT count(*) FROM telemetry WHERE tableoid::regclass::text LIKE '%default'")
            ).scalar_one()
        backend = (
            f"PostgreSQL, {parts} day partitions managed by pg_partman, {in_default} rows left in the default"
            if parts
            else f"{engine.dialect.name} (no partitions)"
        )
        print(
            f"backend: {backend}; {args.devices} devices x {per_device} raw rows ({DAYS} days every {STEP_S} s)"
        )
        print(
            f"load raw rows: {load_s:.1f} s; roll-up job for one device's 720 hours + copies: {rollup_s:.1f} s"
        )
        if kind == "partman":
            print(f"pg_partman maintenance moving them into their day partitions: {maintain_s:.1f} s")
        oee = raw["figures"]["oee"]  # type: ignore[index]
        print(
            f"30-day plant snapshot from raw rows (baseline): {raw_s:.2f} s = "
            f"{raw_s / args.devices * 1000:.1f} ms/device"
        )
        print(
            f"30-day plant snapshot from roll-ups:            {rolled_s:.2f} s = "
            f"{rolled_s / args.devices * 1000:.1f} ms/device"
        )
        print(
            f"  of which (best of 3 more runs) reading the inputs {read_s:.2f} s, the pure snapshot {pure_s:.2f} s"
        )
        print(f"plant OEE (the same snapshot both ways): {oee['value']} ({oee['status']})")  # type: ignore[index]
        print(f"ratio roll-ups time / raw time: {rolled_s / raw_s:.3f} ({raw_s / rolled_s:.0f}x faster)")
        print("load average (1, 5, 15 min): " + ", ".join(f"{x:.1f}" for x in os.getloadavg()))
    finally:
        engine.dispose()
        if admin is not None:
            with admin.connect() as connection:
                connection.execute(text(f'DROP DATABASE IF EXISTS "{url.rpartition("/")[2]}" WITH (FORCE)'))
            admin.dispose()


if __name__ == "__main__":
    main()

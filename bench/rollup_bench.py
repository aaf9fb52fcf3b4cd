"""Benchmark: the first roll-up of a backfilled week while users log in and save answers.

A week of 20 devices at 1 Hz is stored (bulk insert, the same rows the collector writes), then the
scheduler's roll-up runs in its own process (as `diagnose jobs` does) while this process logs in every
second and saves a questionnaire answer every second through the web app. Printed per backend: the
longest write transaction the roll-up held, the longest wait for the write lock seen by a probe that
writes every 100 ms (SQLite), the roll-up's raw rows/s, and login / answer-save p50 and p99 during it.
Pass criteria (SQLite): longest hold ≤ 1 s and login p99 ≤ 1 s. PostgreSQL runs too when one answers
on 127.0.0.1:5432 (or DIAGNOSE_TEST_POSTGRES_URL); its figures are printed beside.

    python bench/rollup_bench.py [--days 7 --devices 20 --hz 1] [--backend sqlite|postgresql|both]
"""

from __future__ import annotations

import argparse
import json
import math
import os
import socket
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import create_engine, insert, text
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from diagnose import migrate
from diagnose.db import make_engine
from diagnose.models import DiagnosisOrder, Enterprise, Provider, Telemetry, User
from diagnose.services.diagnosis import assessments
from diagnose.services.shopfloor import devices
from diagnose.settings import load_settings

WORKER_TIMEOUT_S = 1800  # fail with a message, never hang (longer for more rows: at least 2,000 rows/s)
READY_TIMEOUT_S = 120
REFERENCE_S = 15
STATES = ("RUN",) * 6 + ("IDLE", "IDLE", "DOWN", "PLANNED_STOP")


def backfill(engine: Engine, *, devices_n: int, days: float, hz: float, end: datetime) -> int:
    """Store `days` of 1/hz samples for `devices_n` new devices of the first enterprise; returns rows."""
    with Session(engine) as session:
        enterprise = session.exec(select(Enterprise).order_by(Enterprise.id)).first()  # type: ignore[arg-type]
        assert enterprise is not None and enterprise.id is not None
        ids = []
        for i in range(devices_n):
            device = devices.register_device(
                session=session, actor="bench", enterprise_id=enterprise.id, external_id=f"BENCH{i:02d}",
                kind="CNC", ideal_cycle_s=30.0,
            )  # fmt: skip
            ids.append(device.id)
        session.commit()
    step = timedelta(seconds=1 / hz)
    start = end - timedelta(days=days)
    total = int(days * 86400 * hz)
    received = datetime.now(UTC)
    rows = 0
    # PostgreSQL: past days' rows land in pg_partman's default partition, as the collector's do.
    with engine.begin() as conn:
        for offset in range(0, total, 5000):
            batch = []
            for k in range(offset, min(total, offset + 5000)):
                ts = start + k * step
                state = STATES[(k // 600) % len(STATES)]  # ten-minute spells
                for n, device_id in enumerate(ids):
                    count = k // 30 + n
                    batch.append(
                        {
                            "device_id": device_id, "seq": k + 1, "ts": ts, "received_at": received,
                            "source": "json", "state": state, "count_total": count, "count_good": count,
                            "power_kw": 5.0, "energy_kwh": k / 3600, "is_historical": False,
                        }
                    )  # fmt: skip
            conn.execute(insert(Telemetry), batch)
            rows += len(batch)
    return rows


def percentile(values: list[float], q: float) -> float:
    """The q-th percentile (nearest rank) of a non-empty list."""
    ordered = sorted(values)
    return (
        ordered[min(len(ordered) - 1, max(0, round(q / 100 * len(ordered)) - 1))] if ordered else float("nan")
    )


class Users(threading.Thread):
    """Logs in every second and saves an answer every second until stopped; records latencies."""

    def __init__(self, settings, engine: Engine, stop: threading.Event) -> None:  # type: ignore[no-untyped-def]
        super().__init__(daemon=True)
        from web import create_app

        self.app = create_app(settings, {"TESTING": True})
        self.stop = stop
        self.login_s: list[float] = []
        self.login_at: list[float] = []
        self.save_s: list[float] = []
        self.errors: list[str] = []
        with Session(engine) as session:
            provider_user = session.exec(select(User).where(User.username == "provider1")).one()
            provider = session.get(Provider, provider_user.provider_id)
            from diagnose.workflow import EDITABLE

            order = session.exec(
                select(DiagnosisOrder).where(
                    DiagnosisOrder.provider_id == provider.id,  # type: ignore[union-attr]
                    DiagnosisOrder.status.in_(list(EDITABLE)),  # type: ignore[attr-defined]
                )
            ).first()
            assert order is not None, "the sample data has no editable order for provider1"
            self.order_id = order.id
            industry = assessments.get_or_create(session=session, order=order).industry_type
            self.requirements = [r.id for r in assessments.requirements_for(industry)][:50]
            session.commit()

    def _login(self):  # type: ignore[no-untyped-def]
        import re

        client = self.app.test_client()
        token = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/login").get_data(as_text=True))
        assert token
        started = time.perf_counter()
        response = client.post(
            "/login", data={"username": "provider1", "password": "demo-2026!", "csrf_token": token.group(1)}
        )
        self.login_s.append(time.perf_counter() - started)
        self.login_at.append(started)
        if response.status_code != 302:
            self.errors.append(f"login {response.status_code}")
        return client

    def run(self) -> None:
        client = self._login()
        page = client.get(f"/provider/orders/{self.order_id}/questionnaire").get_data(as_text=True)
        import re

        meta = re.search(r'name="csrf-token" content="([^"]+)"', page)
        csrf = meta.group(1) if meta else ""
        i = 0
        while not self.stop.wait(1.0):
            self._login()
            started = time.perf_counter()
            response = client.post(
                f"/provider/orders/{self.order_id}/answers",
                json={"requirement_id": self.requirements[i % len(self.requirements)], "rating": "0.5"},
                headers={"X-CSRFToken": csrf},
            )
            self.save_s.append(time.perf_counter() - started)
            if response.status_code != 200:
                self.errors.append(f"save {response.status_code}")
            i += 1


class LockProbe(threading.Thread):
    """SQLite: takes the write lock every 100 ms and records how long it waited for it."""

    def __init__(self, path: str, stop: threading.Event) -> None:
        super().__init__(daemon=True)
        self.path = path
        self.stop = stop
        self.waits: list[float] = []

    def run(self) -> None:
        conn = sqlite3.connect(self.path, timeout=60, isolation_level=None)
        conn.execute("PRAGMA busy_timeout=60000")
        while not self.stop.wait(0.1):
            started = time.perf_counter()
            conn.execute("BEGIN IMMEDIATE")
            self.waits.append(time.perf_counter() - started)
            conn.execute("COMMIT")
        conn.close()


def run_backend(url: str, args: argparse.Namespace, folder: Path) -> dict[str, float | str]:
    """Set up one database, run the roll-up beside the users, return the figures."""
    settings = load_settings(
        env="test", var_dir=folder / "var", secret_key="bench", database_url=url,
        login_rate_limit="100000 per minute", mqtt_url="mqtt://127.0.0.1:1",
    )  # fmt: skip
    engine = make_engine(url=url)
    migrate.upgrade(engine)
    from apps.demo import sample_data

    with Session(engine) as session:
        sample_data.load(session)
        session.commit()
    end = datetime.now(UTC).replace(minute=0, second=0, microsecond=0)
    started = time.perf_counter()
    rows = backfill(engine, devices_n=args.devices, days=args.days, hz=args.hz, end=end)
    print(f"  backfilled {rows:,} rows in {time.perf_counter() - started:.0f} s", flush=True)
    worker = subprocess.Popen(
        [sys.executable, __file__, "--worker", url],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    assert worker.stdin is not None and worker.stdout is not None
    try:
        line = _readline(worker, READY_TIMEOUT_S)
        if line.strip() != "ready":
            raise SystemExit(f"roll-up worker did not get ready: {line!r}")
        stop = threading.Event()
        users = Users(settings, engine, stop)
        probe = LockProbe(url.removeprefix("sqlite:///"), stop) if url.startswith("sqlite") else None
        users.start()
        if probe:
            probe.start()
        time.sleep(
            REFERENCE_S
        )  # logins before the roll-up starts: the machine's own login time, as a reference
        go_at = time.perf_counter()
        worker.stdin.write("go\n")
        worker.stdin.flush()
        result = json.loads(_readline(worker, max(WORKER_TIMEOUT_S, rows / 2000)))
        stop.set()
        users.join(timeout=30)
        if probe:
            probe.join(timeout=30)
    finally:
        if worker.poll() is None:
            worker.kill()
        worker.wait(timeout=30)
        engine.dispose()
    if users.errors:
        print(f"  request errors: {sorted(set(users.errors))}")
    return {
        "rows": rows,
        "hours": result["written"],
        "elapsed_s": result["elapsed_s"],
        "rows_per_s": rows / result["elapsed_s"],
        "longest_write_s": result["longest_write_s"],
        "probe_max_wait_s": max(probe.waits) if probe and probe.waits else float("nan"),
        "probe_p99_wait_s": percentile(probe.waits, 99) if probe and probe.waits else float("nan"),
        "login_before_p99_s": percentile(
            [s for s, t in zip(users.login_s, users.login_at, strict=True) if t < go_at], 99
        ),
        "login_p50_s": percentile(
            [s for s, t in zip(users.login_s, users.login_at, strict=True) if t >= go_at], 50
        ),
        "login_p99_s": percentile(
            [s for s, t in zip(users.login_s, users.login_at, strict=True) if t >= go_at], 99
        ),
        "save_p99_s": percentile(users.save_s, 99),
        "requests": len(users.login_s) + len(users.save_s),
        "errors": len(users.errors),
    }


def _readline(worker: subprocess.Popen[str], timeout_s: float) -> str:
    """One line from the worker, or exit with a message after `timeout_s` (never hang)."""
    box: list[str] = []
    reader = threading.Thread(target=lambda: box.append(worker.stdout.readline()), daemon=True)  # type: ignore[union-attr]
    reader.start()
    reader.join(timeout_s)
    if not box:
        worker.kill()
        raise SystemExit(f"roll-up worker gave no answer within {timeout_s:.0f} s")
    if not box[0]:
        raise SystemExit(f"roll-up worker exited (code {worker.wait()}) without an answer")
    return box[0]


def worker_main(url: str) -> None:
    """The jobs process: wait for 'go', run the roll-up, print its figures as one JSON line."""
    from diagnose.services.telemetry.rollups import rollup_in_batches

    engine = make_engine(url=url)
    print("ready", flush=True)
    if sys.stdin.readline().strip() != "go":
        return
    run = rollup_in_batches(engine=engine, now=datetime.now(UTC), silence_timeout_s=600)
    print(
        json.dumps(
            {"written": run.written, "elapsed_s": run.elapsed_s, "longest_write_s": run.longest_write_s}
        )
    )


def postgres_url() -> str | None:
    """An admin URL of a PostgreSQL that answers, or None."""
    url = os.environ.get("DIAGNOSE_TEST_POSTGRES_URL", "")
    if url:
        return url
    try:
        socket.create_connection(("127.0.0.1", 5432), timeout=1).close()
    except OSError:
        return None
    return "postgresql+psycopg://postgres@127.0.0.1:5432/test"


def main() -> None:
    """Run on SQLite and (when one answers) PostgreSQL; print the figures side by side; exit 1 on a miss."""
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    parser.add_argument("--days", type=float, default=7)
    parser.add_argument("--devices", type=int, default=20)
    parser.add_argument("--hz", type=float, default=1.0)
    parser.add_argument("--backend", choices=("sqlite", "postgresql", "both"), default="both")
    args = parser.parse_args()
    if args.worker:
        worker_main(args.worker)
        return
    results: dict[str, dict[str, float | str]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        if args.backend in ("sqlite", "both"):
            print(f"SQLite: {args.devices} devices × {args.days:g} days at {args.hz:g} Hz", flush=True)
            results["SQLite"] = run_backend(f"sqlite:///{folder / 'bench.db'}", args, folder)
        admin = postgres_url() if args.backend in ("postgresql", "both") else None
        if admin:
            name = f"bench_rollup_{uuid.uuid4().hex[:8]}"
            admin_engine = create_engine(admin.replace("+psycopg", "+psycopg"), isolation_level="AUTOCOMMIT")
            with admin_engine.connect() as conn:
                conn.execute(text(f'CREATE DATABASE "{name}"'))
            try:
                print("PostgreSQL: same data", flush=True)
                results["PostgreSQL"] = run_backend(f"{admin.rpartition('/')[0]}/{name}", args, folder)
            finally:
                with admin_engine.connect() as conn:
                    conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
                admin_engine.dispose()
        elif args.backend != "sqlite":
            print("PostgreSQL: none answers on 127.0.0.1:5432 — skipped")
    names = list(results)
    print(f"\n{'':34}" + "".join(f"{n:>14}" for n in names))
    for key, label, fmt in (
        ("rows", "raw rows", "{:>14,.0f}"),
        ("hours", "device-hours rolled up", "{:>14,.0f}"),
        ("elapsed_s", "roll-up time (s)", "{:>14.1f}"),
        ("rows_per_s", "roll-up raw rows/s", "{:>14,.0f}"),
        ("longest_write_s", "longest write transaction (s)", "{:>14.3f}"),
        ("probe_max_wait_s", "longest write-lock wait, probe (s)", "{:>14.3f}"),
        ("probe_p99_wait_s", "write-lock wait p99, probe (s)", "{:>14.3f}"),
        ("login_before_p99_s", "login p99 before roll-up (s)", "{:>14.3f}"),
        ("login_p50_s", "login p50 during roll-up (s)", "{:>14.3f}"),
        ("login_p99_s", "login p99 during roll-up (s)", "{:>14.3f}"),
        ("save_p99_s", "answer save p99 (s)", "{:>14.3f}"),
        ("errors", "failed requests", "{:>14.0f}"),
    ):
        print(f"{label:34}" + "".join(fmt.format(results[n][key]) for n in names))
    sqlite_result = results.get("SQLite")
    if sqlite_result:
        hold = max(float(sqlite_result["longest_write_s"]), float(sqlite_result["probe_max_wait_s"]))
        login_p99 = float(sqlite_result["login_p99_s"])
        if math.isnan(login_p99):
            verdict = "no login fell within the roll-up (too short to judge)"
        else:
            ok = hold <= 1.0 and login_p99 <= 1.0
            verdict = "PASS (≤ 1 s each)" if ok else "FAIL (target ≤ 1 s each)"
        print(f"SQLite: longest hold {hold:.3f} s, login p99 {login_p99:.3f} s: {verdict}")
    # A timing verdict is a figure to read; a failed request is a fault, which fails the run.
    if any(result["errors"] for result in results.values()):
        sys.exit("rollup_bench: requests failed during the roll-up")


if __name__ == "__main__":
    main()

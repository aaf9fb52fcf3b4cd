"""Scheduled jobs: plain functions that tests call directly, and the one scheduler process that runs them."""

from __future__ import annotations

import fcntl
import logging
import threading
import time
import uuid
import weakref
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import IO, Any

from apscheduler.schedulers.background import BackgroundScheduler
from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, start_http_server
from sqlalchemy import text
from sqlalchemy.engine import Connection, Engine
from sqlmodel import Session, SQLModel, select

from diagnose.models import Bureau
from diagnose.observability import log_context
from diagnose.services.accounts import accounts
from diagnose.services.audit import audit_checkpoints
from diagnose.services.shopfloor import dead_letters, devices
from diagnose.services.supervision import supervision_model_store, supervision_review
from diagnose.services.telemetry import partitions
from diagnose.services.telemetry.rollups import retention_in_batches, rollup_in_batches
from diagnose.settings import Settings
from scoring.china_time import china_today

log = logging.getLogger(__name__)

# The jobs process's metrics (`DIAGNOSE_JOBS_METRICS_PORT`), in a registry of their own.
REGISTRY = CollectorRegistry()
JOB_SECONDS = Histogram(
    "diagnose_job_seconds",
    "Duration of each job run.",
    ["job"],
    buckets=(0.05, 0.1, 0.5, 1, 5, 15, 60, 300, 1800),
    registry=REGISTRY,
)
JOB_FAILURES = Counter("diagnose_job_failures", "Job runs that raised.", ["job"], registry=REGISTRY)
JOB_LAST_SUCCESS = Gauge(
    "diagnose_job_last_success_timestamp_seconds",
    "When each job last succeeded (Unix time).",
    ["job"],
    registry=REGISTRY,
)
SCHEDULER_LEADER = Gauge(
    "diagnose_scheduler_leader",
    "1 while this process holds the scheduler lock and runs the jobs.",
    registry=REGISTRY,
)


def mark_offline_devices(engine: Engine, settings: Settings, now: datetime | None = None) -> int:
    """Job: devices silent longer than `offline_after_s` are shown offline."""
    with Session(engine) as session:
        changed = devices.mark_offline(
            session=session, now=now or datetime.now(UTC), offline_after_s=settings.offline_after_s
        )
        session.commit()
    return changed


def rollup_hours(engine: Engine, settings: Settings, now: datetime | None = None) -> int:
    """Job: roll every complete device-hour with new raw data into `devicehour`; returns hours written.

    In small batches, each written in its own short transaction (web requests never wait long on it).
    """
    run = rollup_in_batches(
        engine=engine, now=now or datetime.now(UTC), silence_timeout_s=settings.silence_timeout_s
    )
    log.info(
        "rolled up %d device-hours (%d samples) in %d batches, %.1f s; longest write %.3f s",
        run.written, run.samples, run.batches, run.elapsed_s, run.longest_write_s,
    )  # fmt: skip
    return run.written


def maintain_partitions(engine: Engine, settings: Settings) -> int:
    """Job (PostgreSQL): pg_partman moves the rows of its default partition into their days' partitions and
    makes the coming week's from the database's clock; returns how many partitions were made."""
    return partitions.maintain(engine)


def apply_retention(engine: Engine, settings: Settings, now: datetime | None = None) -> int:
    """Job: drop whole day partitions (PostgreSQL), then delete raw rows, older than `raw_retention_days`
    whose hour is rolled up; returns partitions dropped plus rows deleted.

    Rows are deleted in batches of a few thousand, each its own short transaction.
    """
    dropped = partitions.drop_expired(
        engine, now=now or datetime.now(UTC), retention_days=settings.raw_retention_days
    )
    if dropped:
        log.info("dropped telemetry partitions past retention: %s", ", ".join(dropped))
    run = retention_in_batches(
        engine=engine, now=now or datetime.now(UTC), retention_days=settings.raw_retention_days
    )
    log.info(
        "retention deleted %d raw rows in %d batches; longest write %.3f s",
        run.written,
        run.batches,
        run.longest_write_s,
    )
    return len(dropped) + run.written


def prune_dead_letters(engine: Engine, settings: Settings, now: datetime | None = None) -> int:
    """Job: delete dead letters, and their per-device counts, older than `dead_letter_retention_days`; returns
    the rows deleted. In batches of a few thousand rows, each its own short transaction."""
    before = (now or datetime.now(UTC)) - timedelta(days=settings.dead_letter_retention_days)
    deleted = dead_letters.prune(engine=engine, before=before)
    log.info("dead-letter retention deleted %d rows received before %s", deleted, before.isoformat())
    return deleted


def render_reports(engine: Engine, settings: Settings) -> int:
    """Job: render the queued report versions (issued from the web UI); returns how many jobs it took."""
    from reports.jobs import run_pending

    return run_pending(
        engine,
        silence_timeout_s=settings.silence_timeout_s,
        pdf_engine=settings.report_pdf_engine,
        public_url=settings.public_url,
        served_url=settings.served_url,
    )


def refresh_planner_statistics(engine: Engine, settings: Settings) -> int:
    """Job: SQLite planner statistics (`ANALYZE`), so order lists walk their indexes instead of sorting every
    row; PostgreSQL's autovacuum does this itself. One short transaction per table; the raw telemetry tables
    (large, and only ever read by their obvious (device, time) index) are left out. Returns tables analysed."""
    if engine.dialect.name != "sqlite":
        return 0
    done = 0
    for table in SQLModel.metadata.sorted_tables:
        if table.name in ("telemetry", "devicehour", "deadletter", "auditlog"):
            continue
        with engine.connect() as connection:
            connection.exec_driver_sql(f'ANALYZE "{table.name}"')
            connection.commit()
        done += 1
    return done


def refresh_figures(engine: Engine, settings: Settings, now: datetime | None = None) -> int:
    """Job: build every bureau's dashboard figures (this year's league table among them) as soon as the data changes,
    into the shared figure cache, so page views read them instead of building them (seconds at a city's
    scale); unchanged data is a cache hit here. Returns bureaus refreshed."""
    from diagnose.services.supervision import overview, versioned_cache

    versioned_cache.use(engine, settings)
    now = now or datetime.now(UTC)
    today = china_today(now)
    with Session(engine) as session:
        bureau_ids = [b.id for b in session.exec(select(Bureau)).all() if b.id is not None]
        for bureau_id in bureau_ids:
            overview.dashboard_figures(session=session, bureau_id=bureau_id, today=today)
            session.rollback()  # end the read transaction between bureaus
    return len(bureau_ids)


# engine -> (data version, when) of the last detection run in this scheduler process
_DETECTED: weakref.WeakKeyDictionary[Engine, tuple[tuple[Any, ...], datetime]] = weakref.WeakKeyDictionary()
FULL_DETECTION_S = 3600


def detect_anomalies(engine: Engine, settings: Settings, now: datetime | None = None) -> int:
    """Job (supervision, every minute): flag anomalies in every bureau's delivered diagnoses as soon as an order
    is submitted, returned, accepted or scored (the orders' data version moved); otherwise hourly, for what
    telemetry alone changes. Returns the number of new flags."""
    from diagnose.services.supervision import data_version

    now = now or datetime.now(UTC)
    with Session(engine) as session:
        versions = data_version.current(session=session)  # not the audit log's: detection writes it itself
        version = tuple(versions[t] for t in ("diagnosisorder", "enterpriseoutcome", "result", "enterprise"))
    last = _DETECTED.get(engine)
    if last is not None and last[0] == version and (now - last[1]).total_seconds() < FULL_DETECTION_S:
        return 0
    new = _detect_all(engine, settings)
    _DETECTED[engine] = (version, now)
    return new


def _detect_all(engine: Engine, settings: Settings) -> int:
    try:
        model = supervision_model_store.load_model(settings.var_dir)
    except supervision_model_store.ModelArtefactError as exc:
        log.warning("score-mismatch model not used: %s", exc)
        model = None
    new = 0
    with Session(engine) as session:
        for bureau in session.exec(select(Bureau)).all():
            assert bureau.id is not None
            run = supervision_review.detect_for_bureau(
                session=session,
                bureau_id=bureau.id,
                model=model,
                silence_timeout_s=settings.silence_timeout_s,
            )
            new += run.new
        session.commit()
    return new


def send_notifications(engine: Engine, settings: Settings, now: datetime | None = None) -> int:
    """Job: e-mail the notifications not yet sent, when SMTP is configured; returns how many were sent."""
    from diagnose.services.accounts import notifications

    config = notifications.SmtpConfig.of(settings)
    if config is None:
        return 0
    with Session(engine) as session:
        sent = notifications.send_pending(
            session=session, config=config, public_url=settings.public_url, now=now
        )
        session.commit()
    return sent


def monthly_summaries(engine: Engine, settings: Settings, now: datetime | None = None) -> int:
    """Job: (re)generate every bureau's summary of the previous month (China dates); returns how many."""
    today = china_today(now or datetime.now(UTC))
    last_month = today.replace(day=1) - timedelta(days=1)
    with Session(engine) as session:
        bureaus = session.exec(select(Bureau)).all()
        for bureau in bureaus:
            assert bureau.id is not None
            supervision_review.monthly_summary(session=session, bureau_id=bureau.id, month=last_month)
            # Each bureau's row committed before the next bureau's figures are built: those share their
            # figures through another connection, which waited out SQLite's 30 s lock timeout behind this
            # transaction's write (one stall per bureau after the first).
            session.commit()
    return len(bureaus)


def checkpoint_audit_chain(engine: Engine, settings: Settings, now: datetime | None = None) -> bool:
    """Job: append the audit chain's head to the checkpoint file outside the database (when it moved);
    returns whether a line was written."""
    with Session(engine) as session:
        _, written = audit_checkpoints.append(
            session=session,
            key=settings.effective_audit_key(),
            path=settings.effective_audit_checkpoint_file,
            now=now,
        )
    return written


def prune_login_throttle(engine: Engine, settings: Settings, now: datetime | None = None) -> int:
    """Job: forget failed-login counts and ended locks older than a day; returns rows removed."""
    with Session(engine) as session:
        removed = accounts.prune_throttle(session=session, now=now or datetime.now(UTC))
        session.commit()
    return removed


@dataclass(frozen=True)
class JobSpec:
    """A job and its interval (seconds, or read from the settings)."""

    name: str
    func: Callable[[Engine, Settings], Any]
    seconds: int | Callable[[Settings], int]

    def interval_s(self, settings: Settings) -> int:
        """The interval in seconds under these settings."""
        return self.seconds(settings) if callable(self.seconds) else self.seconds


JOBS: list[JobSpec] = [
    JobSpec("mark_offline_devices", mark_offline_devices, 60),
    JobSpec("rollup_hours", rollup_hours, 300),
    JobSpec("maintain_partitions", maintain_partitions, 3600),
    JobSpec("apply_retention", apply_retention, 3600),
    JobSpec("prune_dead_letters", prune_dead_letters, 3600),
    JobSpec("render_reports", render_reports, 5),
    # Cheap when nothing changed (one read of the table versions); after a change, the figures are built here first.
    JobSpec("refresh_figures", refresh_figures, 10),
    JobSpec("refresh_planner_statistics", refresh_planner_statistics, 6 * 3600),
    JobSpec("detect_anomalies", detect_anomalies, 60),  # cheap unless an order or result changed
    # Idempotent: every 6 hours it regenerates last month's summary until the month's figures settle.
    JobSpec("monthly_summaries", monthly_summaries, 6 * 3600),
    JobSpec("checkpoint_audit_chain", checkpoint_audit_chain, lambda s: 60 * s.audit_checkpoint_interval_min),
    JobSpec("prune_login_throttle", prune_login_throttle, 3600),
    JobSpec("send_notifications", send_notifications, 30),
]


class SchedulerLock:
    """Makes sure only one scheduler runs: a PostgreSQL advisory lock, or a file lock beside the SQLite file."""

    def __init__(self, engine: Engine, settings: Settings) -> None:
        self.engine = engine
        self.settings = settings
        self._conn: Connection | None = None
        self._file: IO[str] | None = None

    def acquire(self) -> bool:
        """Try once; True if this process is now the scheduler."""
        if self.engine.dialect.name == "postgresql":
            self._conn = self.engine.connect()
            got = self._conn.execute(
                text("SELECT pg_try_advisory_lock(:k)"), {"k": self.settings.scheduler_lock_id}
            )
            if bool(got.scalar()):
                return True
            self._conn.close()
            self._conn = None
            return False
        path = self.settings.ensure_var_dir() / "scheduler.lock"
        self._file = path.open("w")
        try:
            fcntl.flock(self._file, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return True
        except BlockingIOError:
            self._file.close()
            self._file = None
            return False

    def release(self) -> None:
        """Give the lock up."""
        if self._conn is not None:
            self._conn.close()
            self._conn = None
        if self._file is not None:
            self._file.close()
            self._file = None


def timed(job: JobSpec, engine: Engine, settings: Settings) -> Any:
    """Run one job, recording its duration, failure or success, and logging it with its run id."""
    with log_context(job=job.name, run_id=uuid.uuid4().hex[:12]):
        started = time.monotonic()
        try:
            result = job.func(engine, settings)
        except Exception:
            JOB_FAILURES.labels(job.name).inc()
            log.exception("job %s failed", job.name)
            raise
        finally:
            JOB_SECONDS.labels(job.name).observe(time.monotonic() - started)
        JOB_LAST_SUCCESS.labels(job.name).set_to_current_time()
        log.info("job %s done: %s", job.name, result, extra={"seconds": round(time.monotonic() - started, 3)})
        return result


def serve_metrics(settings: Settings) -> None:
    """Expose the jobs' /metrics if a port is configured (a standby scheduler reports leader 0)."""
    if settings.jobs_metrics_port:
        start_http_server(settings.jobs_metrics_port, addr=settings.metrics_host, registry=REGISTRY)


def run_scheduler(engine: Engine, settings: Settings, stop: threading.Event, *, poll_s: float = 15.0) -> None:
    """Run the jobs until `stop`; a second scheduler waits idle until the first one's lock is free."""
    lock = SchedulerLock(engine, settings)
    SCHEDULER_LEADER.set(0)
    while not lock.acquire():
        log.info("another scheduler holds the lock; standing by")
        if stop.wait(poll_s):
            return
    scheduler = BackgroundScheduler(timezone="UTC")
    for job in JOBS:
        # Partitions are made ahead at once: a fresh database has them before the first insert.
        first: dict[str, Any] = (
            {"next_run_time": datetime.now(UTC)} if job.name == "maintain_partitions" else {}
        )
        scheduler.add_job(
            timed,
            "interval",
            seconds=job.interval_s(settings),
            args=(job, engine, settings),
            **first,
            id=job.name,
            max_instances=1,
            coalesce=True,
        )
    scheduler.start()
    SCHEDULER_LEADER.set(1)
    log.info("scheduler running %d jobs", len(JOBS))
    try:
        stop.wait()
    finally:
        scheduler.shutdown(wait=True)
        SCHEDULER_LEADER.set(0)
        lock.release()

"""`diagnose jobs`: the platform's jobs are scheduled; exactly one scheduler runs, a second stands by and takes over."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

import pytest

from apps.processes import jobs
from diagnose.settings import Settings


def test_the_scheduler_carries_every_platform_job() -> None:
    names = {job.name for job in jobs.JOBS}
    assert names == {
        "mark_offline_devices",
        "rollup_hours",
        "maintain_partitions",
        "apply_retention",
        "prune_dead_letters",
        "render_reports",
        "refresh_figures",
        "refresh_planner_statistics",
        "detect_anomalies",
        "monthly_summaries",
        "checkpoint_audit_chain",
        "prune_login_throttle",
        "send_notifications",
    }
    assert all(job.interval_s(Settings()) > 0 for job in jobs.JOBS)


def _wait(condition: Callable[[], bool], timeout_s: float) -> bool:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.05)
    return condition()


def test_a_second_scheduler_stands_by_until_the_first_stops(
    engine, db_settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:  # type: ignore[no-untyped-def]
    ran: list[str] = []

    def probe(_engine: object, settings: Settings) -> None:
        ran.append(settings.mqtt_client_id)

    monkeypatch.setattr(jobs, "JOBS", [jobs.JobSpec("probe", probe, 1)])
    refused: list[str] = []  # each time a scheduler asked for the lock and was told no
    acquire = jobs.SchedulerLock.acquire

    def counted_acquire(lock: jobs.SchedulerLock) -> bool:
        got = acquire(lock)
        if not got:
            refused.append(lock.settings.mqtt_client_id)
        return got

    monkeypatch.setattr(jobs.SchedulerLock, "acquire", counted_acquire)
    lock_id = 900_000 + int(time.time()) % 10_000  # not the id of a scheduler that may run on this server
    first = db_settings.model_copy(update={"mqtt_client_id": "first", "scheduler_lock_id": lock_id})
    second = db_settings.model_copy(update={"mqtt_client_id": "second", "scheduler_lock_id": lock_id})
    stop_first, stop_second = threading.Event(), threading.Event()
    threads = [
        threading.Thread(target=jobs.run_scheduler, args=(engine, first, stop_first)),
        threading.Thread(
            target=jobs.run_scheduler, args=(engine, second, stop_second), kwargs={"poll_s": 0.2}
        ),
    ]
    threads[0].start()
    try:
        assert _wait(lambda: "first" in ran, 5), "the first scheduler never ran its job"
        threads[1].start()
        # A positive barrier, not a pause: the standby has been refused the lock twice (so it has been
        # running for a poll and more) while the first scheduler kept running its job.
        runs_before = ran.count("first")
        assert _wait(lambda: refused.count("second") >= 2 and ran.count("first") > runs_before, 10)
        assert "second" not in ran  # it holds no lock, so it runs nothing
        stop_first.set()
        threads[0].join(10)
        assert _wait(lambda: "second" in ran, 5), "the standby did not take over"
    finally:
        stop_first.set()
        stop_second.set()
        for thread in threads:
            if thread.is_alive() or thread.ident is not None:
                thread.join(10)


def test_planner_statistics_job_analyzes_sqlite(engine) -> None:  # type: ignore[no-untyped-def]
    from sqlalchemy import text

    done = jobs.refresh_planner_statistics(engine, Settings())
    assert (done > 10) if engine.dialect.name == "sqlite" else done == 0
    if engine.dialect.name == "sqlite":
        with engine.connect() as connection:
            assert connection.execute(
                text("SELECT count(*) FROM sqlite_master WHERE name = 'sqlite_stat1'")
            ).scalar()

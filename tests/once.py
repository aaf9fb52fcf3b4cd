"""What a test run builds once and every xdist worker shares: built by whichever worker asks first while the
others wait on a file lock, then only read (each test or module copies it; nobody writes the shared copy)."""

from __future__ import annotations

import fcntl
import os
import shutil
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlmodel import Session

from scoring.china_time import china_today


def run_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A folder of this run's own, the same for all its xdist workers."""
    base = tmp_path_factory.getbasetemp()
    # xdist gives each worker <the run's basetemp>/popen-gwN; without xdist the run's basetemp is our own.
    folder = (base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base) / "built-once"
    folder.mkdir(exist_ok=True)
    return folder


def built_once(root: Path, name: str, build: Callable[[Path], None]) -> Path:
    """`root/name`, made by `build(folder)` unless a worker of this run already made it."""
    folder = root / name
    with (root / f"{name}.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # released when the file closes
        if not (root / f"{name}.done").exists():
            shutil.rmtree(folder, ignore_errors=True)  # what a worker that failed half-way left
            folder.mkdir()
            build(folder)
            (root / f"{name}.done").touch()
    return folder


def today() -> str:
    """The dates the demo data follow (UTC and China): what is built is built again when either changes."""
    now = datetime.now(UTC)
    return f"{now.date()}-{china_today(now)}"


def demo_database(root: Path, day: str | None = None) -> Path:
    """A migrated SQLite file with the sample data of `diagnose demo` (no telemetry), for `day` (today)."""

    def build(folder: Path) -> None:
        from apps.demo import sample_data
        from diagnose import migrate
        from diagnose.db import make_engine

        engine = make_engine(url=f"sqlite:///{folder / 'demo.db'}")
        migrate.upgrade(engine)
        with Session(engine) as session:
            sample_data.load(session)
            session.commit()
        engine.dispose()  # the last connection closing checkpoints the WAL into the file
        assert not (folder / "demo.db-wal").exists()

    return built_once(root, f"demo-{day or today()}", build) / "demo.db"

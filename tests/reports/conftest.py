"""Report fixtures: a rendered synthetic report, and a demo database with submitted diagnoses."""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy.engine import Engine

from diagnose.db import make_engine
from reports.data import ReportData, Stamp
from reports.synthetic import make_report

SCRIPT = "<script>alert(1)</script>"
STAMP = Stamp("R-ZD2026-02-0001", 3, "zh", "2026-11-24T08:00:00+00:00", "ab12" * 16)


def run(*command: str) -> str:
    """Run a poppler tool and return its standard output."""
    if shutil.which(command[0]) is None:
        pytest.skip(f"{command[0]} (poppler-utils) is not installed")
    return subprocess.run(command, capture_output=True, text=True, check=True).stdout


@pytest.fixture(scope="session")
def report_data() -> ReportData:
    """A synthetic report with 12 devices and an evidence note that is a script tag."""
    return make_report(devices=12, note=SCRIPT)


@pytest.fixture
def demo_engine(demo_db: Path, tmp_path: Path) -> Iterator[Engine]:
    """An engine on this test's own copy of the demo database."""
    copy = tmp_path / "demo.db"
    shutil.copy(demo_db, copy)
    engine = make_engine(url=f"sqlite:///{copy}")
    yield engine
    engine.dispose()

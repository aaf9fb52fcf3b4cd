"""Real `diagnose collect` processes for broker tests: started with their own settings, checked for readiness
through what they record in the database, stopped (or killed) and reaped."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy.engine import Engine
from sqlmodel import Session

from diagnose.services.shopfloor import collector_assignments
from tests.collectors.brokerkit import wait_until

ROOT = Path(__file__).resolve().parents[2]
# A collector process imports the whole platform before it subscribes: on a loaded 2-core machine that alone
# can take longer than brokerkit.WAIT_S. Only how long a wait may last; what is waited for is unchanged.
PROCESS_START_S = 60.0


class CollectProcess:
    """One `python -m apps collect` with DIAGNOSE_* settings of its own; logs into `folder/<client id>.log`."""

    def __init__(
        self, *, db_url: str, mqtt_url: str, client_id: str, folder: Path, **settings: object
    ) -> None:
        self.client_id = client_id
        self.folder = folder / client_id
        self.folder.mkdir(parents=True, exist_ok=True)
        self.log = self.folder / "collector.log"
        self.env = dict(os.environ) | {
            "DIAGNOSE_DATABASE_URL": db_url,
            "DIAGNOSE_MQTT_URL": mqtt_url,
            "DIAGNOSE_MQTT_CLIENT_ID": client_id,
            "DIAGNOSE_VAR_DIR": str(self.folder),
            "DIAGNOSE_MQTT_SHARE_GROUP": "",
            "DIAGNOSE_SPARKPLUG_GROUPS": "",
            "DIAGNOSE_BATCH_MAX_WAIT_MS": "50",
            "DIAGNOSE_COLLECTOR_ASSIGNMENT_POLL_S": "0.2",
        }
        self.env |= {f"DIAGNOSE_{name.upper()}": str(value) for name, value in settings.items()}
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> CollectProcess:
        """Start the process (not waiting for it to subscribe: see `wait_holding`)."""
        with self.log.open("ab") as out:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "apps", "collect"],
                cwd=ROOT,
                env=self.env,
                stdout=out,
                stderr=subprocess.STDOUT,
            )
        return self

    def alive(self) -> bool:
        """The process is running."""
        return self.process is not None and self.process.poll() is None

    def wait_holding(self, engine: Engine, *usccs: str) -> None:
        """Until the collector has recorded that it holds these enterprises (after the broker's SUBACKs)."""

        def holds() -> bool:
            assert self.alive(), f"collector {self.client_id} exited; see {self.log}"
            with Session(engine) as session:
                holders = collector_assignments.holders(
                    session=session, seen_since=datetime.now(UTC) - timedelta(minutes=1)
                )
            return all(self.client_id in holders.get(uscc, ()) for uscc in usccs)

        wait_until(
            holds, timeout_s=PROCESS_START_S, what=f"{self.client_id} holding {usccs} (see {self.log})"
        )

    def stop(self, *, kill: bool = False) -> int | None:
        """SIGTERM (a clean stop: what is queued is written first) or SIGKILL; returns the exit code."""
        if self.process is None:
            return None
        if self.process.poll() is None:
            if kill:
                self.process.kill()
            else:
                self.process.terminate()
            try:
                self.process.wait(20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(10)
        return self.process.returncode

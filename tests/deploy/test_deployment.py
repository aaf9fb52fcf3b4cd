"""The deployment of deploy/ on one machine: PostgreSQL, Mosquitto, two collectors (each holding its own
enterprises), gunicorn with two workers and two jobs processes, each a real process with its own var folder
as if on its own host. A Mosquitto restart mid-stream loses nothing and duplicates nothing; exactly one
scheduler runs; the web answers ready, sums its workers' metrics and keeps its rate limits in Redis."""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import sys
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from apps.processes.broker import LocalBroker, free_port
from diagnose.models import Device, Enterprise, Telemetry
from tests import factories
from tests.collectors.brokerkit import durable_broker, messages, publish_reliably, telemetry_count, wait_until

pytestmark = [pytest.mark.broker, pytest.mark.postgres, pytest.mark.slow]
ROOT = Path(__file__).resolve().parents[2]
PER_ENTERPRISE = 1500


def _get(url: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:  # only our own loopback servers
            return response.status, response.read().decode()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode()
    except OSError:
        return 0, ""


def _metric(body: str, name: str) -> float | None:
    for line in body.splitlines():
        if line.startswith(name + " ") or line.startswith(name + "{"):
            return float(line.rsplit(" ", 1)[1])
    return None


def _login_attempts(base: str, attempts: int) -> list[int]:
    """Wrong-password logins with a valid CSRF token, as one browser; their status codes.

    The session cookie is Secure in production (nginx terminates TLS), so it is carried by hand here.
    """
    with urllib.request.urlopen(f"{base}/login", timeout=10) as page:
        cookie = page.headers["Set-Cookie"].split(";", 1)[0]
        token = re.search(r'name="csrf_token" value="([^"]+)"', page.read().decode())
    assert token is not None
    codes = []
    for _ in range(attempts):
        form = urllib.parse.urlencode({"username": "nobody", "password": "wrong", "csrf_token": token[1]})
        request = urllib.request.Request(f"{base}/login", data=form.encode(), headers={"Cookie": cookie})
        try:
            with urllib.request.urlopen(request, timeout=10) as response:
                codes.append(response.status)
        except urllib.error.HTTPError as exc:
            codes.append(exc.code)
    return codes


@pytest.fixture
def broker() -> Iterator[LocalBroker]:
    if not shutil.which("mosquitto"):
        pytest.skip("mosquitto is not installed")
    local = durable_broker()
    yield local
    local.stop(kill=True)
    shutil.rmtree(local.workdir, ignore_errors=True)


class Hosts:
    """The processes of the deployment, each started like its systemd unit, stopped with SIGTERM."""

    def __init__(self, tmp: Path, env: dict[str, str]) -> None:
        self.tmp, self.env, self.processes = tmp, env, {}  # type: ignore[var-annotated]

    def start(self, name: str, command: list[str], **settings: str) -> subprocess.Popen[bytes]:
        var = self.tmp / name
        var.mkdir()
        env = dict(os.environ) | self.env | {"DIAGNOSE_VAR_DIR": str(var)} | settings
        with (self.tmp / f"{name}.log").open("ab") as log:
            process = subprocess.Popen(
                [sys.executable, "-m", "apps", *command],
                cwd=ROOT,
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        self.processes[name] = process
        return process

    def stop(self) -> None:
        for process in self.processes.values():
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        for process in self.processes.values():
            try:
                process.wait(15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(5)

    def logs(self) -> str:
        return "\n".join(f"--- {p.name}\n{p.read_text()[-3000:]}" for p in sorted(self.tmp.glob("*.log")))


def test_two_collectors_two_web_workers_and_the_jobs_on_postgresql(
    engine: Engine, db_url: str, broker: LocalBroker, redis_url: str, tmp_path: Path
) -> None:
    if engine.dialect.name != "postgresql":
        pytest.skip("the multi-machine deployment runs on PostgreSQL")
    with Session(engine) as session:
        factories.regions(session)
        usccs = []
        for serial in (1, 2):
            enterprise = factories.enterprise(session, serial=serial, name=f"企业{serial}")
            factories.device(session, enterprise.id, "D01")
            usccs.append(enterprise.uscc)
        session.commit()
    web_port, metrics = free_port(), {name: free_port() for name in ("c1", "c2", "j1", "j2")}
    hosts = Hosts(
        tmp_path,
        {
            "DIAGNOSE_ENV": "production",
            "DIAGNOSE_SECRET_KEY": "deployment-test-secret",
            "DIAGNOSE_AUDIT_KEY": "deployment-test-audit-key-of-32-bytes-or-more",
            "DIAGNOSE_DATABASE_URL": db_url,
            "DIAGNOSE_MQTT_URL": broker.url,
            "DIAGNOSE_SPARKPLUG_GROUPS": "",
            "DIAGNOSE_BATCH_MAX_WAIT_MS": "50",
            "DIAGNOSE_LOG_FORMAT": "json",
            "DIAGNOSE_RATELIMIT_STORAGE_URL": redis_url,
            "DIAGNOSE_LOGIN_RATE_LIMIT": "3 per minute",
        },
    )
    try:
        for index, uscc in enumerate(usccs, start=1):
            hosts.start(
                f"c{index}",
                ["collect"],
                DIAGNOSE_MQTT_CLIENT_ID=f"collector-{index}",
                DIAGNOSE_COLLECTOR_ENTERPRISES=uscc,
                DIAGNOSE_COLLECTOR_METRICS_PORT=str(metrics[f"c{index}"]),
            )
        hosts.start("web", ["serve"], DIAGNOSE_WEB_PORT=str(web_port), DIAGNOSE_WEB_WORKERS="2")
        for name in ("j1", "j2"):
            hosts.start(name, ["jobs"], DIAGNOSE_JOBS_METRICS_PORT=str(metrics[name]))

        def connected(name: str) -> bool:
            return (
                _metric(_get(f"http://127.0.0.1:{metrics[name]}/metrics")[1], "diagnose_collector_connected")
                == 1
            )

        wait_until(lambda: connected("c1") and connected("c2"), timeout_s=120, what="collectors connected")
        wait_until(
            lambda: _get(f"http://127.0.0.1:{web_port}/readyz")[0] == 200, timeout_s=120, what="web ready"
        )

        stream = [
            m
            for pair in zip(*(messages(u, range(1, PER_ENTERPRISE + 1)) for u in usccs), strict=False)
            for m in pair
        ]
        import threading

        publishing = threading.Thread(
            target=publish_reliably, args=(broker.url, stream), kwargs={"client_id": "plant", "pace_s": 0.01}
        )
        publishing.start()
        wait_until(lambda: telemetry_count(engine) > 400, timeout_s=30, what="stream started")
        broker.restart()  # a real Mosquitto restart mid-stream
        publishing.join(120)
        assert not publishing.is_alive()
        wait_until(lambda: telemetry_count(engine) >= 2 * PER_ENTERPRISE, timeout_s=40, what="every row")

        with Session(engine) as session:
            rows = session.exec(
                select(Enterprise.uscc, Telemetry.seq)
                .join(Device, Device.id == Telemetry.device_id)
                .join(Enterprise)
            ).all()
        for uscc in usccs:
            assert sorted(int(s) for u, s in rows if u == uscc) == list(
                range(1, PER_ENTERPRISE + 1)
            )  # once each

        # One scheduler: one jobs process leads and holds the advisory lock, the other stands by.
        def leaders() -> list[float | None]:
            return [
                _metric(_get(f"http://127.0.0.1:{metrics[n]}/metrics")[1], "diagnose_scheduler_leader")
                for n in ("j1", "j2")
            ]

        wait_until(lambda: sorted(leaders(), key=str) == [0.0, 1.0], timeout_s=60, what="one leader")
        with engine.connect() as connection:
            held = connection.execute(
                text(
                    "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND granted "
                    "AND database = (SELECT oid FROM pg_database WHERE datname = current_database())"
                )
            ).scalar_one()
            parts = connection.execute(
                text(
                    "SELECT count(*) FROM pg_inherits i JOIN pg_class p ON p.oid = i.inhparent WHERE p.relname = 'telemetry'"
                )
            ).scalar_one()
        assert held == 1 and parts >= 9  # the leader made today's partitions and the week's ahead

        # gunicorn's two workers: whichever answers /metrics reports both workers' requests.
        for _ in range(20):
            assert _get(f"http://127.0.0.1:{web_port}/healthz")[0] == 200
        body = _get(f"http://127.0.0.1:{web_port}/metrics")[1]
        served = _metric(body, 'diagnose_web_requests_total{endpoint="/healthz",method="GET",status="200"}')
        assert served == 20
        # Rate limits live in Redis: the fourth bad login is refused whichever worker answers it.
        assert _login_attempts(f"http://127.0.0.1:{web_port}", 6) == [401, 401, 401, 429, 429, 429]
        assert all(p.poll() is None for p in hosts.processes.values()), hosts.logs()
    except BaseException:
        print(hosts.logs())
        raise
    finally:
        hosts.stop()

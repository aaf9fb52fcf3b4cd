"""`diagnose demo`: sample data, then broker, collector, simulator, scheduler and web UI as child processes."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from datetime import datetime

import click
from sqlmodel import Session

from apps import sample_data
from apps.broker import LocalBroker, answers, ensure_broker
from collectors.backfill import enterprise_history
from diagnose import migrate
from diagnose.db import make_engine, session_scope
from diagnose.settings import Settings

PARTS = ("collect", "simulate", "jobs", "serve")


def _history(session: Session, enterprise_id: int, end: datetime) -> int:
    return enterprise_history(session=session, enterprise_id=enterprise_id, end=end)


def run_demo(settings: Settings) -> int:
    """Run everything until Ctrl-C; returns the exit code."""
    var_dir = settings.ensure_var_dir()
    engine = make_engine(settings)
    migrate.upgrade(engine)
    with session_scope(engine) as session:
        # The sample diagnoses are scored as they load: give their evidence window a simulated past week.
        logins = sample_data.load(session, history=_history)
    broker: LocalBroker | None = ensure_broker(settings.mqtt_url, workdir=var_dir / "broker")
    env = dict(os.environ)
    env["DIAGNOSE_DATABASE_URL"] = settings.effective_database_url
    env["DIAGNOSE_VAR_DIR"] = str(var_dir.resolve())
    if broker is not None:
        env["DIAGNOSE_MQTT_URL"] = broker.url
        env["DIAGNOSE_MQTT_PROTOCOL"] = broker.protocol
        click.echo(f"started {broker.kind} broker at {broker.url} (none answered at {settings.mqtt_url})")
    else:
        click.echo(f"using the MQTT broker at {settings.mqtt_url}")
    children: dict[str, subprocess.Popen[bytes]] = {}
    log_dir = var_dir / "logs"
    log_dir.mkdir(exist_ok=True)
    for part in PARTS:
        args = [sys.executable, "-m", "apps", part] + (["--dev"] if part == "serve" else [])
        with (log_dir / f"{part}.log").open("ab") as log:
            children[part] = subprocess.Popen(args, env=env, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://{settings.web_host}:{settings.web_port}/"
    deadline = time.monotonic() + 60
    while not answers(settings.web_host, settings.web_port, 0.5) and time.monotonic() < deadline:
        time.sleep(0.2)
    click.echo(f"\n智诊 demo running: {url}   (logs in {log_dir}; Ctrl-C stops everything)")
    click.echo(f"demo logins (password {sample_data.DEMO_PASSWORD}):")
    for login in logins:
        click.echo(f"  {login.username:<10} {login.role:<10} {login.organisation}")
    stopping = False

    def _stop(*_args: object) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGINT, _stop)
    signal.signal(signal.SIGTERM, _stop)
    code = 0
    try:
        while not stopping:
            for part, child in children.items():
                if child.poll() is not None:
                    click.echo(
                        f"{part} exited with {child.returncode}; see {log_dir / (part + '.log')}", err=True
                    )
                    stopping, code = True, 1
            time.sleep(0.5)
    finally:
        click.echo("stopping …")
        for child in children.values():
            if child.poll() is None:
                child.send_signal(signal.SIGTERM)
        for child in children.values():
            try:
                child.wait(15)
            except subprocess.TimeoutExpired:
                child.kill()
        if broker is not None:
            broker.stop()
    return code

"""`diagnose demo`: sample data, then broker, collector, simulator, scheduler and web UI as child processes."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import urllib.request
from datetime import datetime

import click
from sqlmodel import Session, col, select

from apps.demo import sample_data
from apps.processes.broker import LocalBroker, answers, ensure_broker
from collectors.backfill import enterprise_history
from collectors.simulator import SIM_EDGE, sim_devices
from diagnose import migrate
from diagnose.db import make_engine, session_scope
from diagnose.models import Device, Enterprise
from diagnose.services.audit import audit_log
from diagnose.services.shopfloor import broker_accounts, devices, gateways
from diagnose.services.shopfloor.broker_accounts import BrokerAccount, new_password
from diagnose.settings import Settings

# The web first, alone: on a small machine four interpreters importing at once put the first page behind all
# of them; the collector, simulator and scheduler start once the web answers (or after its wait runs out).
PARTS = ("serve", "collect", "simulate", "jobs")


def _history(session: Session, enterprise_id: int, start: datetime, end: datetime) -> int:
    return enterprise_history(
        session=session, enterprise_id=enterprise_id, start=start, end=end, step_s=300.0
    )


SIMULATOR_USER = "diagnose-simulator"
DEMO_ACTOR = "system:demo"
# The device the README's `mosquitto_pub` examples publish as (the first sample plant's D01): its broker
# password is the demo's password, so the examples work as written against `make demo`.
README_DEVICE = ("91320412MA000001XY", "D01")


def _readme_device_login(session: Session) -> None:
    """Give the README's device the demo password (again, if someone rotated it in the UI)."""
    uscc, external_id = README_DEVICE
    device = session.exec(
        select(Device).join(Enterprise).where(Enterprise.uscc == uscc, Device.external_id == external_id)
    ).first()
    if device is None or (
        device.mqtt_password_hash
        and broker_accounts.check_mosquitto_hash(sample_data.DEMO_PASSWORD, device.mqtt_password_hash)
    ):
        return
    device.mqtt_username = broker_accounts.device_username(uscc, external_id)
    device.mqtt_password_hash = broker_accounts.mosquitto_hash(sample_data.DEMO_PASSWORD)
    session.add(device)
    session.flush()
    audit_log.record(
        session=session,
        actor=DEMO_ACTOR,
        action="device.mqtt_credentials",
        entity="device",
        entity_id=device.id,
        detail={"username": device.mqtt_username, "demo_password": True},
    )


def demo_accounts(session: Session, settings: Settings, logins: dict[str, str]) -> list[BrokerAccount]:
    """Every broker account of the demo: each device and gateway, the collector, the simulator, each edge node."""
    for uscc, device in session.exec(
        select(Enterprise.uscc, Device)
        .join(Enterprise)
        .where(Device.registry_status == "active", col(Device.mqtt_password_hash).is_(None))
    ).all():
        # Each device has its own account (the simulator speaks for them all, but no one else can).
        devices.issue_mqtt_credentials(session=session, actor=DEMO_ACTOR, device=device, uscc=uscc)
    _readme_device_login(session)
    accounts = broker_accounts.registry_accounts(session=session)
    accounts += gateways.gateway_broker_accounts(session=session)  # gateways created before this start
    accounts += broker_accounts.collector_accounts(
        username=settings.mqtt_client_id, password=logins["collect"], client_id=settings.mqtt_client_id
    )
    accounts.append(broker_accounts.simulator_account(username=SIMULATOR_USER, password=logins["simulate"]))
    for uscc in sorted({device.uscc for device in sim_devices(session, protocols=("sparkplug",))}):
        username = broker_accounts.edge_username(uscc, SIM_EDGE)
        password = broker_accounts.derived_password(logins["simulate"], username)
        accounts.append(broker_accounts.edge_account(group=uscc, edge=SIM_EDGE, password=password))
    return accounts


def _serves(host: str, port: int) -> bool:
    """True once the web's worker answers /healthz (gunicorn's master accepts connections before its worker
    has imported the app)."""
    if not answers(host, port, 0.5):
        return False
    try:
        with urllib.request.urlopen(f"http://{host}:{port}/healthz", timeout=30) as response:
            return response.status == 200
    except OSError:
        return False


def run_demo(settings: Settings) -> int:
    """Run everything until Ctrl-C; returns the exit code."""
    var_dir = settings.ensure_var_dir()
    engine = make_engine(settings)
    migrate.upgrade(engine)
    with session_scope(engine) as session:
        if not sample_data.is_loaded(session):
            click.echo(
                "preparing the sample data: six diagnoses scored on simulated telemetry (five on a week, one "
                "on 0.2 h), an SME digital-level rating on a week, two plants with a week to score…"
            )
        # The sample diagnoses are scored as they load: give their evidence window a simulated past week.
        logins = sample_data.load(session, history=_history)
    broker_logins = {part: new_password() for part in ("collect", "simulate")}
    with session_scope(engine) as session:
        accounts = demo_accounts(session, settings, broker_logins)
    broker: LocalBroker | None = ensure_broker(
        settings.mqtt_url,
        workdir=var_dir / "broker",
        accounts=accounts,
        configured="mqtt_url" in settings.model_fields_set,
    )
    env = dict(os.environ)
    env["DIAGNOSE_DATABASE_URL"] = settings.effective_database_url
    env["DIAGNOSE_VAR_DIR"] = str(var_dir.resolve())
    urls: dict[str, str] = {}
    if broker is not None:
        env["DIAGNOSE_MQTT_URL"] = broker.address  # the web UI and scheduler need no broker login
        env["DIAGNOSE_MQTT_PROTOCOL"] = broker.protocol
        users = {"collect": settings.mqtt_client_id, "simulate": SIMULATOR_USER}
        urls = {part: broker.url_for(users[part], password) for part, password in broker_logins.items()}
        click.echo(
            f"started {broker.kind} broker at {broker.address} with {len(accounts)} accounts "
            f"(the demo's own, closed to anonymous clients)"
        )
    else:
        click.echo(
            f"using the MQTT broker at {settings.mqtt_public_url} (its accounts are yours to provision)"
        )
    children: dict[str, subprocess.Popen[bytes]] = {}
    log_dir = var_dir / "logs"
    log_dir.mkdir(exist_ok=True)
    code = 1
    try:  # whatever fails from here on, the children and the broker we started are stopped
        for part in PARTS:
            args = [sys.executable, "-m", "apps", part]  # the web as production serves it: gunicorn
            part_env = env | ({"DIAGNOSE_MQTT_URL": urls[part]} if part in urls else {})
            with (log_dir / f"{part}.log").open("ab") as log:
                children[part] = subprocess.Popen(args, env=part_env, stdout=log, stderr=subprocess.STDOUT)
            if part == "serve":
                deadline = time.monotonic() + 60
                while (
                    not _serves(settings.web_host, settings.web_port)
                    and time.monotonic() < deadline
                    and children[part].poll() is None
                ):
                    time.sleep(0.1)
        url = f"http://{settings.web_host}:{settings.web_port}/"
        click.echo(f"\n智诊 demo running: {url}   (logs in {log_dir}; Ctrl-C stops everything)")
        click.echo(f"demo logins (password {sample_data.DEMO_PASSWORD}):")
        for login in logins:
            click.echo(f"  {login.username:<10} {login.name} · {login.organisation} — {login.task}")
        if broker is not None:
            readme_user = broker_accounts.device_username(*README_DEVICE)
            click.echo(
                f"device login for the README's mosquitto_pub examples: -h 127.0.0.1 -p {broker.port} "
                f"-u {readme_user} -P {sample_data.DEMO_PASSWORD} -i {readme_user}"
            )
        stopping = False

        def _stop(*_args: object) -> None:
            nonlocal stopping
            stopping = True

        signal.signal(signal.SIGINT, _stop)
        signal.signal(signal.SIGTERM, _stop)
        code = 0
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

"""A headless Node-RED (npm `node-red`, installed into a cache folder outside the repository) publishes flat JSON
with numbers sent as text ("14.2", a counter as "119") through a closed Mosquitto, as a plant's flow would; the
device's source reads it with the `plant-json` profile, and every one of its messages is a reading stored with
the figures sent, counters included, and no `seq` needed. Skipped, with the reason, when npm cannot install it."""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import tempfile
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from apps.cli import main
from apps.processes.broker import start_local_broker
from diagnose.models import DeadLetter, Telemetry
from diagnose.services.shopfloor import broker_accounts
from diagnose.settings import Settings
from tests.collectors.brokerkit import make_plant, wait_until
from tests.collectors.edgekit import install_lock
from tests.collectors.processkit import PROCESS_START_S, CollectProcess

pytestmark = [pytest.mark.broker, pytest.mark.slow]
CACHE = Path(os.environ.get("DIAGNOSE_NODE_RED_DIR", Path.home() / ".cache" / "diagnose-npm" / "node-red"))
MESSAGES = 300
BASE = datetime(2026, 12, 7, 8, 0, tzinfo=UTC)


def node_red() -> Path:
    """The node-red launcher, installed from the npm registry on first use; skips the test if it cannot be."""
    launcher = CACHE / "node_modules" / ".bin" / "node-red"
    if launcher.exists():
        return launcher
    if not shutil.which("npm"):
        pytest.skip("npm is not installed: the Node-RED test needs it")
    with install_lock(CACHE):  # the sqlite and postgresql cases start on two workers at once
        if launcher.exists():
            return launcher
        return _install_node_red(launcher)


def _install_node_red(launcher: Path) -> Path:
    if not (CACHE / "package.json").exists():
        (CACHE / "package.json").write_text('{"private": true}\n')
    try:
        done = subprocess.run(
            ["npm", "install", "--no-audit", "--no-fund", "--omit=dev", "node-red@4"],
            cwd=CACHE,
            capture_output=True,
            timeout=300,
        )
    except subprocess.TimeoutExpired:
        pytest.skip("npm install node-red did not finish in 300 s (registry unreachable?)")
    if done.returncode != 0 or not launcher.exists():
        pytest.skip(f"npm install node-red failed: {done.stderr.decode(errors='replace')[-300:]}")
    return launcher


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def flow(*, topic: str, port: int, client_id: str) -> list[dict[str, object]]:
    """Once the MQTT node reports connected, a function sends MESSAGES readings as a PLC flow would: the time
    as text, a counter and the current as text, a text note; no seq."""
    send = f"""
if (msg.status.fill !== 'green' || context.get('sent')) return null;
context.set('sent', true);
const base = Date.parse('{BASE.isoformat()}');
const out = [];
for (let i = 1; i <= {MESSAGES}; i++) {{
  out.push({{topic: '{topic}', qos: 1, payload: JSON.stringify({{
    ts: new Date(base + i * 1000).toISOString(), state: i % 10 === 0 ? 'IDLE' : 'RUN',
    count_total: i * 2, count_good: String(i * 2 - 1), current_a: '14.2', note: 'line 1'}})}});
}}
return [out];
"""
    return [
        {"id": "tab", "type": "tab", "label": "plant"},
        {"id": "watch", "type": "status", "z": "tab", "scope": ["out"], "wires": [["send"]]},
        {"id": "send", "type": "function", "z": "tab", "func": send, "outputs": 1, "wires": [["out"]]},
        {"id": "out", "type": "mqtt out", "z": "tab", "topic": "", "qos": "1", "retain": "false",
         "broker": "broker", "wires": []},
        {"id": "broker", "type": "mqtt-broker", "broker": "127.0.0.1", "port": str(port),
         "clientid": client_id, "protocolVersion": "4", "keepalive": "60", "cleansession": True,
         "autoConnect": True},
    ]  # fmt: skip


@pytest.fixture
def workdir() -> Iterator[Path]:
    folder = Path(tempfile.mkdtemp(prefix="diagnose-nodered-"))
    folder.chmod(0o777)
    yield folder
    shutil.rmtree(folder, ignore_errors=True)


DOCS_FLOW = Path(__file__).resolve().parents[2] / "docs" / "gateways" / "node-red-flow.json"


def docs_flow(
    *, uscc: str, device: str, port: int, client_id: str, user: str, password: str
) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """docs/gateways/node-red-flow.json as a plant engineer fills it in: only its `{{…}}` placeholders are
    replaced. Node-RED keeps a node's credentials in flows_cred.json: they are moved there, as its editor does."""
    text = DOCS_FLOW.read_text()
    for key, value in {
        "USCC": uscc, "DEVICE_ID": device, "BROKER_HOST": "127.0.0.1", "BROKER_PORT": str(port),
        "CLIENT_ID": client_id, "USERNAME": user, "PASSWORD": password,
    }.items():  # fmt: skip
        text = text.replace("{{" + key + "}}", value)
    assert "{{" not in text, "a placeholder of the docs flow is not filled in"
    nodes = json.loads(text)
    credentials = {node["id"]: node.pop("credentials") for node in nodes if "credentials" in node}
    return nodes, credentials


@dataclass
class NodeRedRun:
    """A closed Mosquitto with the device's account, `diagnose collect`, and a headless Node-RED running a flow."""

    workdir: Path
    engine: Engine
    uscc: str
    broker: Any
    collector: CollectProcess
    red: subprocess.Popen[bytes] | None = None

    def start(self, nodes: list[dict[str, Any]], credentials: dict[str, Any]) -> None:
        launcher = node_red()
        user_dir = self.workdir / "node-red"
        user_dir.mkdir()
        (user_dir / "settings.js").write_text(
            "module.exports = {credentialSecret: false, httpAdminRoot: false, httpNodeRoot: false,"
            " logging: {console: {level: 'warn'}}};\n"
        )
        (user_dir / "flows.json").write_text(json.dumps(nodes))
        (user_dir / "flows_cred.json").write_text(json.dumps(credentials))
        self.collector.wait_holding(self.engine, self.uscc)
        with (self.workdir / "node-red.log").open("wb") as log:
            self.red = subprocess.Popen(
                [str(launcher), "--userDir", str(user_dir), "--port", str(free_port()), "flows.json"],
                cwd=user_dir,
                stdout=log,
                stderr=subprocess.STDOUT,
            )

    def stored(self) -> int:
        assert self.red is not None and self.red.poll() is None, (self.workdir / "node-red.log").read_text()[
            -2000:
        ]
        with Session(self.engine) as session:
            return len(session.exec(select(Telemetry.id)).all())

    def stop_red(self) -> None:
        if self.red is not None and self.red.poll() is None:
            self.red.terminate()
            try:
                self.red.wait(20)
            except subprocess.TimeoutExpired:
                self.red.kill()
                self.red.wait(10)


@pytest.fixture
def nodered(engine: Engine, db_settings: Settings, db_url: str, workdir: Path) -> Iterator[NodeRedRun]:
    """Device D01 of a fresh plant read with the `plant-json` profile, its account on a closed Mosquitto."""
    if not shutil.which("mosquitto"):
        pytest.skip("mosquitto is not installed")
    node_red()  # installed (or skipped) before anything starts
    uscc = make_plant(engine, ["D01"])
    cli = CliRunner()
    result = cli.invoke(main, ["profiles", "set", uscc, "D01", "plant-json"], obj=db_settings)
    assert result.exit_code == 0, result.output
    run = uuid.uuid4().hex[:6]
    collector_id, collector_password = f"nodered-{run}", "collector-secret"
    accounts = broker_accounts.collector_accounts(
        username=collector_id, password=collector_password, client_id=collector_id
    )
    accounts.append(broker_accounts.device_account(uscc, "D01", broker_accounts.mosquitto_hash(PASSWORD)))
    broker = start_local_broker(workdir=workdir / "broker", accounts=accounts)
    assert cli.invoke(main, ["collectors", "assign", collector_id, uscc], obj=db_settings).exit_code == 0
    collector = CollectProcess(
        db_url=db_url,
        mqtt_url=broker.url_for(collector_id, collector_password),
        client_id=collector_id,
        folder=workdir,
    ).start()
    state = NodeRedRun(workdir=workdir, engine=engine, uscc=uscc, broker=broker, collector=collector)
    try:
        yield state
    finally:
        state.stop_red()
        collector.stop()
        broker.stop()


PASSWORD = "device-secret"


def test_node_red_flat_json_with_numbers_as_text_is_stored_whole(nodered: NodeRedRun) -> None:
    username = broker_accounts.device_username(nodered.uscc, "D01")
    nodered.start(
        flow(topic=f"plant/{nodered.uscc}/D01/telemetry", port=nodered.broker.port, client_id=username),
        {"broker": {"user": username, "password": PASSWORD}},
    )
    wait_until(
        lambda: nodered.stored() >= MESSAGES, timeout_s=2 * PROCESS_START_S, what="Node-RED's readings"
    )
    with Session(nodered.engine) as session:
        rows = session.exec(select(Telemetry).order_by(Telemetry.ts)).all()  # type: ignore[arg-type]
        letters = session.exec(select(DeadLetter)).all()
    assert len(rows) == MESSAGES and not letters, [letter.reason for letter in letters]
    for i, row in enumerate(rows, start=1):
        assert row.ts == BASE + timedelta(seconds=i)
        assert (row.count_total, row.count_good, row.current_a) == (i * 2, i * 2 - 1, 14.2)
        assert row.state == ("IDLE" if i % 10 == 0 else "RUN")
        assert row.metrics == {"note": "line 1"}


def test_the_docs_node_red_flow_works_as_written(nodered: NodeRedRun) -> None:
    """docs/gateways/node-red-flow.json, only its placeholders filled in: every reading it sends (one at once,
    then every 5 s) is stored with the figures of its PLC stand-in, counters sent as text included."""
    username = broker_accounts.device_username(nodered.uscc, "D01")
    started = datetime.now(UTC)
    nodes, credentials = docs_flow(
        uscc=nodered.uscc, device="D01", port=nodered.broker.port, client_id=username, user=username,
        password=PASSWORD,
    )  # fmt: skip
    assert credentials == {"diagnose.broker": {"user": username, "password": PASSWORD}}
    nodered.start(nodes, credentials)
    wait_until(lambda: nodered.stored() >= 2, timeout_s=2 * PROCESS_START_S, what="the docs flow's readings")
    nodered.stop_red()
    with Session(nodered.engine) as session:
        rows = session.exec(select(Telemetry)).all()
        letters = session.exec(select(DeadLetter)).all()
    assert len(rows) >= 2 and not letters, [letter.reason for letter in letters]
    for row in rows:
        assert row.ts >= started.replace(microsecond=0) - timedelta(seconds=1)
        assert (row.state, row.count_total, row.count_good, row.current_a) == ("RUN", 119, 118, 14.2)
        assert row.metrics == {"note": "line 1"}

"""Issue #21 point 2's acceptance, on real parts: gateways' recorded native payloads (EMQX Neuron values and tags
formats, ThingsBoard device and gateway API, UMH _historian) published through a closed Mosquitto to a real
`diagnose collect` process, each source's profile chosen with `diagnose profiles set`. Every record sent is a
reading stored or a dead letter with its reason; the stored figures are the ones sent; a redelivered message
(no seq) is stored once."""

from __future__ import annotations

import json
import shutil
import tempfile
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from apps.cli import main
from apps.processes.broker import start_local_broker
from collectors.client import Publisher
from diagnose.models import DeadLetter, Device, Telemetry
from diagnose.services.shopfloor import broker_accounts
from diagnose.settings import Settings
from tests.collectors.brokerkit import make_plant, wait_until
from tests.collectors.processkit import PROCESS_START_S, CollectProcess

pytestmark = [pytest.mark.broker, pytest.mark.slow]
CASES = sorted((Path(__file__).parents[1] / "cases" / "gateways").glob("*.json"))
COLUMNS = ("state", "count_total", "count_good", "power_kw", "energy_kwh", "current_a")


@pytest.fixture
def workdir() -> Iterator[Path]:
    folder = Path(tempfile.mkdtemp(prefix="diagnose-profiles-"))
    folder.chmod(0o777)  # Mosquitto started as root drops to `mosquitto`, which must write here
    yield folder
    shutil.rmtree(folder, ignore_errors=True)


def _cases() -> list[dict[str, Any]]:
    return [json.loads(path.read_text(encoding="utf-8")) for path in CASES]


def test_gateway_payloads_land_through_their_profiles(
    engine: Engine, db_settings: Settings, db_url: str, workdir: Path
) -> None:
    if not shutil.which("mosquitto"):
        pytest.skip("mosquitto is not installed")
    cases = _cases()
    devices = sorted({e["device_id"] for c in cases for e in c["expect"] if "device_id" in e})
    uscc = make_plant(engine, devices)
    sources = {case["source"]: case["profile"] for case in cases}
    cli = CliRunner()
    for source, profile in sources.items():
        result = cli.invoke(main, ["profiles", "set", uscc, source, profile], obj=db_settings)
        assert result.exit_code == 0, result.output
    run = uuid.uuid4().hex[:6]
    collector_id, collector_password = f"profiles-{run}", "collector-secret"
    passwords = {source: f"pw-{source}" for source in sources}
    accounts = broker_accounts.collector_accounts(
        username=collector_id, password=collector_password, client_id=collector_id
    )
    accounts += [
        broker_accounts.device_account(uscc, source, broker_accounts.mosquitto_hash(password))
        for source, password in passwords.items()
    ]
    broker = start_local_broker(workdir=workdir / "broker", accounts=accounts)
    result = cli.invoke(main, ["collectors", "assign", collector_id, uscc], obj=db_settings)
    assert result.exit_code == 0, result.output
    process = CollectProcess(
        db_url=db_url,
        mqtt_url=broker.url_for(collector_id, collector_password),
        client_id=collector_id,
        folder=workdir,
    ).start()
    publishers: dict[str, Publisher] = {}
    try:
        process.wait_holding(engine, uscc)
        for source, password in passwords.items():
            username = broker_accounts.device_username(uscc, source)
            publishers[source] = Publisher(url=broker.url_for(username, password), client_id=username).start()
        sent_from = datetime.now(UTC)
        infos = []
        for case in cases:
            topic = f"plant/{uscc}/{case['source']}/telemetry"
            payload = json.dumps(case["payload"]).encode()
            infos.append(publishers[case["source"]].publish(topic, payload))
            if all(e.get("ts") != "received" for e in case["expect"]):
                infos.append(publishers[case["source"]].publish(topic, payload))  # a redelivery: stored once
        for info in infos:
            info.wait_for_publish(timeout=20)
        want_readings = [e for c in cases for e in c["expect"] if "device_id" in e]
        want_refused = [e["rejected"] for c in cases for e in c["expect"] if "rejected" in e]

        def settled() -> bool:
            with Session(engine) as session:
                rows = len(session.exec(select(Telemetry.id)).all())
                letters = len(session.exec(select(DeadLetter.id)).all())
            return rows >= len(want_readings) and letters >= 2 * len(want_refused)

        wait_until(settled, timeout_s=PROCESS_START_S, what=f"readings and dead letters (see {process.log})")
        settled_at = datetime.now(UTC)  # a reading without ts takes the time it reached the collector
        # Whatever is still in flight is given its chance to show up as a wrong extra row.
        for publisher in publishers.values():
            publisher.stop()
        publishers.clear()
        assert process.stop() == 0
        with Session(engine) as session:
            stored = session.exec(select(Telemetry, Device.external_id).join(Device)).all()
            letters = session.exec(select(DeadLetter)).all()
        # Records sent = readings stored + records dead-lettered (each a dead letter with the reason).
        assert len(stored) == len(want_readings)
        assert len(letters) == 2 * len(want_refused)  # the gateway's doc example was sent twice
        for fragment in want_refused:
            assert any(fragment in letter.reason for letter in letters), fragment
        # The stored figures are those sent.
        for want in want_readings:
            matches = [
                row
                for row, device in stored
                if device == want["device_id"]
                and (
                    sent_from <= row.ts <= settled_at
                    if want["ts"] == "received"
                    else row.ts == datetime.fromisoformat(want["ts"])
                )
            ]
            assert len(matches) == 1, want
            row = matches[0]
            for column in COLUMNS:
                assert getattr(row, column) == want.get(column), (column, want)
            assert (row.metrics or {}) == {**want.get("metrics", {}), **want.get("attributes", {})}, want
    finally:
        for publisher in publishers.values():
            publisher.stop()
        process.stop()
        broker.stop()

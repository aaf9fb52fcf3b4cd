"""`diagnose oee`, `diagnose devices confirm|credentials|pending`, `diagnose deadletters list|replay`."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import click
import pytest
from click.testing import CliRunner
from sqlalchemy.engine import Engine
from sqlmodel import Session, func, select

from apps.cli.collect import register
from collectors.payloads import parse_message, telemetry_topic
from collectors.store import Incoming, store_batch
from diagnose.models import DeadLetter, Device, Telemetry
from diagnose.services.shopfloor import broker_accounts, plant_records
from diagnose.services.shopfloor import devices as device_service
from diagnose.services.telemetry import telemetry_queries as tq
from diagnose.settings import Settings
from scoring.indicators import Window
from tests import factories

T0 = datetime(2026, 11, 24, 0, 0, tzinfo=UTC)


@pytest.fixture
def cli() -> click.Group:
    group = click.Group("diagnose")
    register(group)
    return group


@pytest.fixture
def uscc(engine: Engine) -> str:
    with Session(engine) as session:
        factories.regions(session)
        enterprise = factories.enterprise(session)
        factories.device(session, enterprise.id, "D01", ideal_cycle_s=20.0)
        # The networking rate's denominator is the plant's equipment ledger (issue #11).
        plant_records.add_equipment(
            session=session,
            actor="system:test",
            enterprise_id=enterprise.id,
            raw={"code": "A-01", "name": "加工中心", "device_id": "D01"},
        )
        session.commit()
        return enterprise.uscc


def _message(uscc: str, device: str, seq: int) -> Incoming:
    topic = telemetry_topic(uscc, device)
    body = {
        "ts": (T0 + timedelta(seconds=60 * seq)).isoformat(),
        "seq": seq,
        "state": "RUN" if seq % 5 else "DOWN",
    }
    body |= {"count_total": seq * 2, "count_good": seq * 2 - seq % 3, "energy_kwh": seq * 0.25}
    payload = json.dumps(body).encode()
    return Incoming(topic, payload, parse_message(topic, payload))


def test_oee_json_prints_the_db_figures(
    engine: Engine, db_settings: Settings, uscc: str, cli: click.Group
) -> None:
    with Session(engine) as session:
        store_batch(session=session, items=[_message(uscc, "D01", s) for s in range(1, 200)], device_ids={})
        session.commit()
    args = ["oee", "--enterprise", uscc, "--device", "D01", "--from", "2026-11-24T08:00:00+08:00"]
    result = CliRunner().invoke(cli, [*args, "--to", "2026-11-24T02:30:00Z", "--json"], obj=db_settings)
    assert result.exit_code == 0, result.output
    printed = json.loads(result.output)
    with Session(engine) as session:
        device = device_service.find_device(session=session, uscc=uscc, external_id="D01")
        assert device is not None
        expected = tq.device_oee(
            session=session,
            device=device,
            window=Window(T0, T0 + timedelta(hours=2, minutes=30)),
            silence_timeout_s=db_settings.silence_timeout_s,
        )
    assert printed["total_count"] == expected.total_count > 0
    assert printed["oee"] == pytest.approx(float(expected.oee or 0)) and printed["oee"] > 0
    assert set(printed) >= {"availability", "performance", "quality", "planned_s", "run_s", "good_count"}
    evidence = CliRunner().invoke(
        cli,
        [
            "oee",
            "--enterprise",
            uscc,
            "--from",
            "2026-11-24T00:00:00Z",
            "--to",
            "2026-11-24T04:00:00Z",
            "--json",
        ],
        obj=db_settings,
    )
    assert evidence.exit_code == 0, evidence.output
    figures = json.loads(evidence.output)
    assert figures["devices_total"] == 1 and figures["networking_rate"] == 1.0
    # Coverage counts expected samples (one per silence timeout of 600 s without a declared rate) over the
    # observed period, 00:01 (first reading) to 04:00: 24 slots, of which the readings to 03:19 fill 20; but
    # 4 hours are below the coverage card's 24: the figure is 数据不足, with no number (issue #22).
    device = figures["devices"]["D01"]
    assert (device["figures"]["coverage"]["status"], device["coverage_basis"]) == ("insufficient", "sampling")
    coverage = figures["figures"]["coverage"]
    assert figures["coverage"] is None and coverage["value"] is None and coverage["status"] == "insufficient"
    assert coverage["text"] == "数据不足：已采集 4 小时，需 24 小时（实测时间）"
    assert figures["energy_per_good_unit_kwh"] is None and figures["utilisation"] is None
    # The printed OEE card follows one rule: 3.3 h of known planned time is below 8 h for every figure of it.
    assert {figures["figures"][n]["status"] for n in ("availability", "performance", "quality", "oee")} == {
        "insufficient"
    }


def test_confirming_a_pending_device_replays_its_dead_letters(
    engine: Engine, db_settings: Settings, uscc: str, cli: click.Group
) -> None:
    with Session(engine) as session:
        report = store_batch(
            session=session, items=[_message(uscc, "NEW7", s) for s in (1, 2, 3, 3)], device_ids={}
        )
        session.commit()
    assert (
        report.inserted == 0 and report.dead_lettered == 4 and report.pending_registered == [(uscc, "NEW7")]
    )
    pending = CliRunner().invoke(cli, ["devices", "pending"], obj=db_settings)
    assert "NEW7" in pending.output
    result = CliRunner().invoke(cli, ["devices", "confirm", uscc, "NEW7"], obj=db_settings)
    assert result.exit_code == 0, result.output
    assert "replayed 4 dead letters (3 new samples stored" in result.output
    with Session(engine) as session:
        device = session.exec(select(Device).where(Device.external_id == "NEW7")).one()
        assert device.registry_status == "active"
        assert session.exec(select(func.count()).select_from(Telemetry)).one() == 3
        assert all(d.replayed_at is not None for d in session.exec(select(DeadLetter)))


def test_deadletters_list_and_replay(
    engine: Engine, db_settings: Settings, uscc: str, cli: click.Group
) -> None:
    bad = Incoming("plant/x/y/telemetry", b"\xff\xfe", parse_message("plant/x/y/telemetry", b"\xff\xfe"))
    with Session(engine) as session:
        store_batch(session=session, items=[bad, _message(uscc, "LATE1", 1)], device_ids={})
        session.commit()
    listed = CliRunner().invoke(cli, ["deadletters", "list", "--json"], obj=db_settings)
    rows = [json.loads(line) for line in listed.output.splitlines()]
    assert {r["topic"] for r in rows} == {"plant/x/y/telemetry", telemetry_topic(uscc, "LATE1")}
    with Session(engine) as session:
        device = device_service.find_device(session=session, uscc=uscc, external_id="LATE1")
        assert device is not None
        device_service.confirm_device(session=session, actor="system:test", device=device)
        session.commit()
    result = CliRunner().invoke(cli, ["deadletters", "replay", "--all"], obj=db_settings)
    assert result.exit_code == 0, result.output
    assert "replayed 1 (1 new samples); 1 still failing" in result.output
    again = CliRunner().invoke(cli, ["deadletters", "list", "--json"], obj=db_settings)
    assert [json.loads(line)["topic"] for line in again.output.splitlines()] == ["plant/x/y/telemetry"]


def test_credentials_print_the_password_once_and_store_only_its_hash(
    engine: Engine, db_settings: Settings, uscc: str, cli: click.Group
) -> None:
    result = CliRunner().invoke(cli, ["devices", "credentials", uscc, "D01"], obj=db_settings)
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    username = lines[0].removeprefix("username: ")
    password = lines[1].removeprefix("password: ")
    assert lines[2] == f"client id: {username}"
    with Session(engine) as session:
        device = device_service.find_device(session=session, uscc=uscc, external_id="D01")
        assert device is not None and device.mqtt_username == username
        stored = device.mqtt_password_hash or ""
        assert stored.startswith("$7$101$") and password not in stored
        assert broker_accounts.check_mosquitto_hash(password, stored)
        assert not broker_accounts.check_mosquitto_hash(password + "x", stored)

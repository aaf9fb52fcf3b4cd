"""The evidence snapshot through the database, on SQLite and PostgreSQL (issue #22): the worked example stored
as telemetry gives the hand-computed figures; hourly roll-ups give exactly what raw samples give; a scoring
stores its snapshot once, hashed, with its window and data versions, and every reader gets it back unchanged."""

from __future__ import annotations

import json
from datetime import timedelta
from fractions import Fraction

from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from diagnose.models import DiagnosisOrder, EvidenceSnapshotRecord, Result
from diagnose.services.diagnosis import assessments, evidence_snapshot
from diagnose.services.telemetry import rollups
from scoring.indicators import snapshot_json
from scoring.indicators.snapshot import evidence_snapshot as pure_snapshot
from tests import evidence_case, factories
from tests.scoring.test_evidence_worked_example import check

CASE = evidence_case.load("worked_example")
WINDOW = evidence_case.window_of(CASE)


def test_worked_example_from_the_database_equals_the_pure_snapshot(engine: Engine) -> None:
    with Session(engine) as session:
        eid = evidence_case.store(session, CASE)
        session.commit()
        raw = evidence_snapshot.compute(
            session=session, enterprise_id=eid, window=WINDOW, silence_timeout_s=600, use_rollups=False
        )
        # Roll the day up (as the jobs process does), then read complete hours from the roll-ups.
        rollups.rollup_pending(session=session, now=WINDOW.end + timedelta(hours=2), silence_timeout_s=600)
        session.commit()
        rolled_input = evidence_snapshot.gather(
            session=session, enterprise_id=eid, window=WINDOW, silence_timeout_s=600
        )
        rolled = evidence_snapshot.compute(
            session=session, enterprise_id=eid, window=WINDOW, silence_timeout_s=600
        )
    check(raw, CASE["expected"])
    # Sampling devices are read from roll-ups except the hour the lunch break cuts; the one reporting by
    # exception raw (roll-ups hold the silence timeout's timeline): the figures are the same to the fraction.
    hours = {d.external_id: d.rolled_up for d in rolled_input.devices}
    assert hours == {"A": 23, "B": 0, "C": 23}
    assert snapshot_json.to_dict(rolled) == snapshot_json.to_dict(raw)
    pure = pure_snapshot(evidence_case.pure_input(CASE))
    assert {k: f.value for k, f in raw.figures.items()} == {k: f.value for k, f in pure.figures.items()}


def test_scoring_stores_its_snapshot_and_every_reader_gets_it_back(engine: Engine) -> None:
    with Session(engine) as session:
        eid = evidence_case.store(session, CASE)
        order, provider_user = factories.order_on_site(session, eid)
        result = assessments.run_scoring(
            session=session, actor=provider_user, order=order, silence_timeout_s=600, now=WINDOW.end
        )
        session.commit()
        record = session.exec(
            select(EvidenceSnapshotRecord).where(EvidenceSnapshotRecord.result_id == result.id)
        ).one()
        stored = evidence_snapshot.of_result(session=session, result=result)
        week = evidence_snapshot.evidence_window(WINDOW.end)
        live = evidence_snapshot.compute(
            session=session, enterprise_id=eid, window=week, silence_timeout_s=600
        )
        detail = session.get(Result, result.id).detail  # type: ignore[union-attr]
        order_row = session.get(DiagnosisOrder, order.id)
    # The week before scoring; the devices were registered at the start of the example's day.
    assert (record.window_start, record.window_end) == (WINDOW.end - timedelta(days=7), WINDOW.end)
    assert record.version == stored.version and record.rules_version == stored.rules_version
    assert record.sha256 == snapshot_json.sha256(stored) == detail["evidence"]["snapshot_sha256"]
    assert json.loads(record.content) == snapshot_json.to_dict(live)  # the round trip loses nothing
    assert record.data_versions["telemetry_rows"] > 0 and record.data_versions["calendar_rules"]
    check(stored, CASE["expected"])
    assert order_row is not None and order_row.enterprise_id == eid


def test_the_cli_prints_the_stored_snapshot_of_an_order(engine: Engine, db_settings) -> None:  # type: ignore[no-untyped-def]
    import click
    from click.testing import CliRunner

    from apps.cli.collect import register

    with Session(engine) as session:
        eid = evidence_case.store(session, CASE)
        order, provider_user = factories.order_on_site(session, eid)
        result = assessments.run_scoring(session=session, actor=provider_user, order=order, now=WINDOW.end)
        session.commit()
        record = session.exec(
            select(EvidenceSnapshotRecord).where(EvidenceSnapshotRecord.result_id == result.id)
        ).one()
        number = order.number
    group = click.Group("diagnose")
    register(group)
    printed = CliRunner().invoke(group, ["oee", "--order", number, "--json"], obj=db_settings)
    assert printed.exit_code == 0, printed.output
    data = json.loads(printed.output)
    assert data["snapshot_sha256"] == record.sha256 and data["oee"] == float(Fraction(4847, 6270))
    assert data["figures"]["energy_per_unit_kwh"]["text"] == "无数据：没有能耗计量"
    assert (
        data["devices"]["B"]["unknown_planned_s"] == 5400
        and data["devices"]["B"]["coverage_basis"] == "exception"
    )

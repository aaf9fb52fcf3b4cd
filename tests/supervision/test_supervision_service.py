"""The audit service on a migrated database: detection, tenant scope, audit-logged review, summaries, exports."""

from __future__ import annotations

import csv
import io
import logging
from datetime import UTC, date, datetime

import pytest
from openpyxl import load_workbook
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from apps.processes import jobs
from diagnose.models import AnomalyFlag, DiagnosisOrder, OrderStatus, SupervisionSummary, User
from diagnose.models.base import utcnow
from diagnose.services.audit import audit_log
from diagnose.services.supervision import supervision_export, supervision_model_store, supervision_review
from diagnose.settings import Settings
from scoring.supervision import train
from scoring.supervision.synthetic import generate_clean
from tests.supervision.conftest import World


def _detect(engine: Engine, bureau_id: int) -> supervision_review.DetectionRun:
    with Session(engine) as session:
        run = supervision_review.detect_for_bureau(
            session=session, bureau_id=bureau_id, model=None, silence_timeout_s=600
        )
        session.commit()
    return run


def test_detection_flags_the_dark_plant_only_and_is_idempotent(engine: Engine, world: World) -> None:
    first = _detect(engine, world.wujin)
    assert (first.records, first.new) == (2, 2)
    with Session(engine) as session:
        flags = supervision_review.list_flags(session=session, bureau_id=world.wujin)
        kinds = {(f.order_id, f.kind) for f, _, _ in flags}
        assert kinds == {
            (world.dark_order, "claim_contradicted"),
            (world.dark_order, "visit_without_telemetry"),
        }
        claim = next(f for f, _, _ in flags if f.kind == "claim_contradicted")
        assert claim.evidence["never_seen"] == ["D01", "D02"]
    assert _detect(engine, world.wujin).new == 0


def test_bureau_sees_only_flags_in_its_region(engine: Engine, world: World) -> None:
    _detect(engine, world.wujin)
    _detect(engine, world.taicang)
    with Session(engine) as session:
        taicang_flags = supervision_review.list_flags(session=session, bureau_id=world.taicang)
        assert {o.id for _, o, _ in taicang_flags} == {world.taicang_order}
        wujin_flag = supervision_review.list_flags(session=session, bureau_id=world.wujin)[0][0]
        assert (
            supervision_review.get_flag(session=session, bureau_id=world.taicang, flag_id=wujin_flag.id or 0)
            is None
        )
        assert (
            supervision_review.get_flag(session=session, bureau_id=world.wujin, flag_id=wujin_flag.id or 0)
            is not None
        )


def test_review_is_audit_logged_and_survives_redetection(engine: Engine, world: World) -> None:
    _detect(engine, world.wujin)
    with Session(engine) as session:
        reviewer = session.exec(select(User).where(User.username == "wujin")).one()
        flag = supervision_review.list_flags(session=session, bureau_id=world.wujin)[0][0]
        with pytest.raises(ValueError, match="reason"):
            supervision_review.review_flag(
                session=session, flag=flag, actor=reviewer, decision="dismissed", note=" "
            )
        supervision_review.review_flag(
            session=session, flag=flag, actor=reviewer, decision="dismissed", note="设备当周停产检修"
        )
        session.commit()
        flag_id = flag.id
    _detect(engine, world.wujin)
    with Session(engine) as session:
        stored = session.get(AnomalyFlag, flag_id)
        assert stored is not None and stored.decision == "dismissed"
        (entry,) = audit_log.entries_for(session=session, entity="anomalyflag", entity_id=flag_id)
        assert (entry.actor, entry.action, entry.detail["to"]) == ("wujin", "flag.review", "dismissed")
        open_ids = {f.id for f, _, _ in supervision_review.list_flags(session=session, bureau_id=world.wujin)}
        assert flag_id not in open_ids


def test_performance_and_exports_read_back_with_chinese_text(engine: Engine, world: World) -> None:
    _detect(engine, world.wujin)
    with Session(engine) as session:
        report = supervision_review.performance(
            session=session, bureau_id=world.wujin, start=date(2026, 1, 1), end=date(2026, 12, 31)
        )
    (row,) = report.rows
    assert (row.assigned, row.completed, row.on_time, row.enterprises_with_outcome) == (2, 2, 2, 1)
    assert report.open_flags == {world.provider: 2}
    (batch,) = report.batches
    assert (batch.committed_fen, batch.billed_fen) == (30_000_000, 30_000_000)
    rows = supervision_export.league_rows(report)
    data = supervision_export.to_csv_bytes(supervision_export.HEADERS, rows)
    assert data.startswith(b"\xef\xbb\xbf")
    table = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    assert table[0][0] == "服务商" and table[1][0] == "常州智造咨询有限公司"
    assert table[1][14] == "300000.00"
    # Shares as the league page shows them (按期率 100.0 %, 转化率 50.0 %), not 1.000 and 0.500.
    assert (table[0][5], table[1][5]) == ("按期率", "100.0%") and (table[0][13], table[1][13]) == (
        "转化率",
        "50.0%",
    )
    book = load_workbook(
        io.BytesIO(supervision_export.to_xlsx_bytes(supervision_export.HEADERS, rows, "服务商绩效"))
    )
    sheet = book["服务商绩效"]
    assert [c.value for c in sheet[1]][:2] == ["服务商", "派单数"]
    assert sheet["A2"].value == "常州智造咨询有限公司" and sheet["B2"].value == 2
    assert sheet["O2"].value == 300000
    assert sheet["F2"].value == 1 and sheet["F2"].number_format == "0.0%"  # a number, shown as 100.0%


def _wujin_table(engine: Engine, world: World, start: date, end: date) -> list[tuple[int, int]]:
    with Session(engine) as session:
        report = supervision_review.performance(session=session, bureau_id=world.wujin, start=start, end=end)
    return [(r.assigned, r.completed) for r in report.rows]


def test_the_league_table_is_cached_yet_follows_every_order_change(engine: Engine, world: World) -> None:
    year = (date(2026, 1, 1), date(2026, 12, 31))
    assert _wujin_table(engine, world, *year) == [(2, 2)]
    assert _wujin_table(engine, world, *year) == [(2, 2)]  # served from the cache: same figures
    with Session(engine) as session:
        order = session.get(DiagnosisOrder, world.dark_order)
        assert order is not None
        # What the workflow does on a return: the status and the stamp change together.
        order.status, order.updated_at = OrderStatus.returned, utcnow()
        session.add(order)
        session.commit()
    assert _wujin_table(engine, world, *year) == [(2, 1)]


def test_the_period_is_china_calendar_days_and_any_date_is_accepted(engine: Engine, world: World) -> None:
    with Session(engine) as session:
        order = session.get(DiagnosisOrder, world.dark_order)
        assert order is not None
        # 2026-03-31 16:30 UTC is already 1 April in China.
        order.assigned_at, order.updated_at = datetime(2026, 3, 31, 16, 30, tzinfo=UTC), utcnow()
        session.add(order)
        session.commit()
    assert _wujin_table(engine, world, date(2026, 3, 1), date(2026, 3, 31)) == [(1, 1)]
    assert _wujin_table(engine, world, date(2026, 4, 1), date(2026, 4, 30)) == [(1, 1)]
    assert _wujin_table(engine, world, date.min, date.max) == [(2, 2)]
    assert _wujin_table(engine, world, date(1, 1, 1), date(12, 1, 1)) == []


def test_monthly_summary_job_writes_one_row_per_bureau_and_month(
    engine: Engine, world: World, db_settings: Settings, caplog: pytest.LogCaptureFixture
) -> None:
    now = datetime(2026, 4, 3, tzinfo=UTC)
    with caplog.at_level(logging.INFO):
        assert jobs.monthly_summaries(engine, db_settings, now=now) == 2
    # Each bureau's figures are shared through a connection of their own: on SQLite that write waited out the
    # 30 s busy timeout behind the job's uncommitted row of the bureau before ("not shared: database is locked").
    assert not [r.getMessage() for r in caplog.records if "not shared" in r.getMessage()]
    assert jobs.monthly_summaries(engine, db_settings, now=now) == 2
    with Session(engine) as session:
        rows = session.exec(
            select(SupervisionSummary).where(SupervisionSummary.bureau_id == world.wujin)
        ).all()
        assert [r.month for r in rows] == ["2026-03"]
        assert rows[0].figures["providers"][0]["assigned"] == 2


def test_detect_job_uses_the_saved_model(engine: Engine, world: World, db_settings: Settings) -> None:
    model = train(generate_clean(60, seed=4), random_state=0)
    supervision_model_store.save_model(model, db_settings.var_dir)
    loaded = supervision_model_store.load_model(db_settings.var_dir)
    assert loaded is not None and loaded.training_hash == model.training_hash
    new = jobs.detect_anomalies(engine, db_settings)
    with Session(engine) as session:
        kinds = [f.kind for f in session.exec(select(AnomalyFlag)).all()]
    # Two rule flags on each dark plant (Wujin, Taicang); the rest come from the model.
    assert new == len(kinds) and kinds.count("visit_without_telemetry") == 2
    assert "score_mismatch" in kinds


def test_altered_model_artefact_is_refused(db_settings: Settings) -> None:
    supervision_model_store.save_model(train(generate_clean(60, seed=4), random_state=0), db_settings.var_dir)
    path = supervision_model_store.model_dir(db_settings.var_dir) / supervision_model_store.MODEL_FILE
    path.write_bytes(path.read_bytes() + b"x")
    with pytest.raises(supervision_model_store.ModelArtefactError, match="hash"):
        supervision_model_store.load_model(db_settings.var_dir)


def test_detect_job_raises_flags_within_a_minute_of_an_order_change(
    engine: Engine, world: World, db_settings: Settings
) -> None:
    t0 = datetime(2026, 4, 3, 8, tzinfo=UTC)
    assert jobs.detect_anomalies(engine, db_settings, now=t0) > 0
    with Session(engine) as session:
        for flag in session.exec(select(AnomalyFlag)).all():
            session.delete(flag)
        session.commit()
    # Nothing changed a minute later: the every-minute job does not look again.
    assert jobs.detect_anomalies(engine, db_settings, now=t0.replace(minute=1)) == 0
    with Session(engine) as session:  # an order moves (as submitting, returning or accepting does)
        order = session.get(DiagnosisOrder, world.dark_order)
        assert order is not None
        order.updated_at = utcnow()
        session.add(order)
        session.commit()
    # The next minute's run sees the change and raises the dark plant's flags again.
    assert jobs.detect_anomalies(engine, db_settings, now=t0.replace(minute=2)) > 0
    with Session(engine) as session:
        assert world.dark_order in {f.order_id for f in session.exec(select(AnomalyFlag)).all()}

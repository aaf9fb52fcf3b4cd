"""The pages of issue #22 on the worked example (tests/cases/evidence): the device table says each device's
coverage basis and shows unknown planned time apart; the ledger page lists the networking rate's population
and the import's row-by-row matching; the calendar page takes dated exceptions and the holiday notice."""

from __future__ import annotations

import io
import re

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from diagnose import workflow
from diagnose.models import CalendarRule
from diagnose.services.diagnosis import assessments
from diagnose.settings import Settings
from tests import evidence_case, factories
from tests.web.conftest import csrf_from, log_in_as
from web import create_app

CASE = evidence_case.load("worked_example")


@pytest.fixture
def scene(engine: Engine, db_settings: Settings) -> tuple[Flask, FlaskClient, int, Engine]:
    with Session(engine, expire_on_commit=False) as session:
        eid = evidence_case.store(session, CASE)
        order, provider = factories.order_on_site(session, eid)
        assessments.run_scoring(
            session=session, actor=provider, order=order, now=evidence_case.window_of(CASE).end
        )
        workflow.apply(session=session, order=order, action="submit", actor=provider)
        session.commit()
    app = create_app(db_settings, {"TESTING": True})
    client = app.test_client()
    log_in_as(app, client, provider.id or 0)
    return app, client, order.id or 0, engine


def _row(page: str, device: str) -> str:
    found = re.search(rf'<tr data-device="{device}">(.*?)</tr>', page, re.DOTALL)
    assert found, device
    return found.group(1)


def test_device_table_says_the_coverage_basis_and_keeps_unknown_apart(scene) -> None:  # type: ignore[no-untyped-def]
    _, client, order_id, _ = scene
    for path in (f"/provider/orders/{order_id}/questionnaire", f"/orders/{order_id}/result"):
        page = client.get(path).get_data(as_text=True)
        assert "覆盖率：已知状态时间 ÷ 实测时间（按例外上报）" in _row(page, "B")
        assert "覆盖率：应收样本 1440 个，收到 1440 个" in _row(page, "A")
        b = _row(page, "B")
        assert '<td data-label="计划内无数据（小时）">1.5</td>' in b  # 5,400 s of planned time, 无数据
        assert 'data-figure="availability" data-status="ok"' in b and ">80.0%<" in b
        oee = re.search(
            r'data-indicator="oee" data-status="ok"><span class="figure-value">([^<]*)</span>', page
        )
        assert oee and oee.group(1) == "77.3%"
        assert (
            "时间开动率 × 性能开动率 × 合格品率，三者按同一组设备合并（A、B）" in page
        )  # defined, with its population
        assert "无数据（设备离线、心跳超时或超过静默时限，状态未知）既不算运行也不算停机" in page


def test_ledger_page_lists_the_networking_population_and_matches_import_rows(scene) -> None:  # type: ignore[no-untyped-def]
    _, client, order_id, _ = scene
    page = client.get(f"/provider/orders/{order_id}/ledger").get_data(as_text=True)
    assert "设备联网率: 75.0%" in page
    assert "共 4 台，其中已联网 3 台" in page
    assert re.search(r'<tr data-code="CC-001">.*?不计入</td>', page, re.DOTALL)  # the forklift
    assert re.search(r'<tr data-code="SB-004">.*?计入，未联网</td>', page, re.DOTALL)
    csv = "设备编号,设备名称,平台设备ID\nNEW-A,加工中心（新编号）,A\nSB-009,新磨床,\n".encode()
    checked = client.post(
        f"/provider/orders/{order_id}/ledger/import",
        data={"csrf_token": csrf_from(page), "file": (io.BytesIO(csv), "ledger.csv")},
        content_type="multipart/form-data",
    ).get_data(as_text=True)
    assert re.search(
        r'data-row="2" data-action="update">.*?与台账中的 SB-001 为同一设备（平台设备相同）',
        checked,
        re.DOTALL,
    )
    assert re.search(r'data-row="3" data-action="add">.*?新增台账设备', checked, re.DOTALL)
    assert "1 行将新增台账设备，1 行将更新台账中已有的设备" in checked


def test_the_ledger_form_says_whether_a_machine_is_digitally_controlled(scene) -> None:  # type: ignore[no-untyped-def]
    _, client, order_id, _ = scene
    url = f"/provider/orders/{order_id}/ledger"
    page = client.get(url).get_data(as_text=True)
    assert '<select name="digital">' in page and "数字控制" in page
    for code, said in (("DC-1", "true"), ("DC-2", "false"), ("DC-3", "")):
        added = client.post(
            url, data={"csrf_token": csrf_from(page), "code": code, "name": "机床", "digital": said}
        )
        assert added.status_code == 302, added.get_data(as_text=True)[:300]
    page = client.get(url).get_data(as_text=True)
    shown = {
        code: re.search(
            rf'<tr data-code="{code}">.*?data-label="数字控制">(.*?)</td>', page, re.DOTALL
        ).group(1)  # type: ignore[union-attr]
        for code in ("DC-1", "DC-2", "DC-3")
    }
    assert shown == {"DC-1": "是", "DC-2": "否", "DC-3": "未标明"}
    refused = client.post(
        url, data={"csrf_token": csrf_from(page), "code": "DC-4", "name": "机床", "digital": "也许"}
    )
    assert refused.status_code == 422 and 'data-code="DC-4"' not in refused.get_data(as_text=True)


def test_calendar_page_takes_a_makeup_day_and_the_holiday_notice(scene) -> None:  # type: ignore[no-untyped-def]
    _, client, order_id, engine = scene
    url = f"/provider/orders/{order_id}/calendar"
    page = client.get(url).get_data(as_text=True)
    assert "按星期排班" in page and "国家法定节假日" in page and '<option value="2026">2026</option>' in page
    added = client.post(
        url,
        data={
            "csrf_token": csrf_from(page),
            "kind": "shift",
            "day": "2026-02-14",
            "start": "08:00",
            "end": "16:00",
        },
    )
    assert added.status_code == 302
    for _ in range(2):  # loading twice adds nothing twice
        loaded = client.post(
            f"{url}/notice", data={"csrf_token": csrf_from(page), "year": "2026", "workday_like": "0"}
        )
        assert loaded.status_code == 302
    page = client.get(url).get_data(as_text=True)
    assert re.search(r'data-kind="shift" data-day="2026-02-14">.*?08:00', page, re.DOTALL)
    assert 'data-kind="holiday" data-day="2026-10-01"' in page
    with Session(engine) as session:
        rules = session.exec(select(CalendarRule)).all()
    holidays = [r for r in rules if r.kind == "holiday"]
    makeup = [r for r in rules if r.kind != "holiday" and r.day is not None]
    assert len(holidays) == 33
    # Five makeup working days get Monday's pattern (a shift and a break); 2026-02-14 keeps the plant's own.
    assert len(makeup) == 5 * 2 + 1
    assert [(r.start, r.end) for r in makeup if r.day.isoformat() == "2026-02-14"] == [("08:00", "16:00")]  # type: ignore[union-attr]

"""The demo's freshly connected plant (issue #11): 数据不足 instead of 0 %, no proposed rating from it; the
ledger import's dry run through the provider's page; the calendar page."""

from __future__ import annotations

import io
import re

import pytest
from flask import Flask
from sqlmodel import Session, select

from diagnose.db import make_engine
from diagnose.models import DiagnosisOrder, Equipment, OrderStatus
from reports.assemble import assemble
from tests.web.conftest import client_as, csrf_from
from tests.web.test_forms import flashed, unescaped
from web import create_app


@pytest.fixture(scope="module")
def app(world) -> Flask:  # type: ignore[no-untyped-def]
    return create_app(world.settings(), {"TESTING": True, "RATELIMIT_ENABLED": False})


def _block(html: str, requirement: str) -> str:
    start = html.index(f'id="req-{requirement}"')
    end = html.find('class="req"', start + 10)
    return html[start : end if end > 0 else None]


def test_questionnaire_says_insufficient_and_proposes_nothing_from_it(app, world) -> None:  # type: ignore[no-untyped-def]
    html = (
        client_as(app, world, "provider")
        .get(f"/provider/orders/{world.order_id}/questionnaire")
        .get_data(True)
    )
    oee = _block(
        client_as(app, world, "provider")
        .get(f"/provider/orders/{world.order_id}/questionnaire?req=EM-L3-01")
        .get_data(True),
        "EM-L3-01",
    )
    # The world is built once per run, so the plant has been connected for however long the run has taken:
    # minutes, far below the 24 hours the indicator needs.
    short = re.search(r"数据不足：已采集 ([\d.]+) 小时，需 24 小时", html)
    assert short is not None and float(short.group(1)) < 24
    assert "数据不足" in oee and not re.search(r"→ (proposed rating|建议评分)", oee)
    assert not re.search(r'data-indicator="oee">\s*0\.0%', html)


def test_report_of_a_plant_without_history_names_oee_and_teep_and_says_insufficient(world) -> None:  # type: ignore[no-untyped-def]
    # The test world's sample diagnoses were scored without a simulated past week: every plant is fresh.
    engine = make_engine(url=world.settings().database_url)
    with Session(engine) as session:
        order = session.exec(
            select(DiagnosisOrder).where(DiagnosisOrder.status == OrderStatus.submitted)
        ).first()
        assert order is not None
        data = assemble(session=session, order=order)
    oee = next(f for f in data.evidence.figures if f.name == "oee")
    assert oee.status == "insufficient" and oee.value is None and oee.text.zh.startswith("数据不足")
    sentence = data.summary.findings[1].zh
    assert "数据不足" in sentence and "平均 OEE" not in sentence
    assert all("oee" not in r.measured for r in data.evidence.contradictions)  # nothing proposed from OEE
    engine.dispose()


def test_ledger_import_dry_run_lists_row_errors_then_stores_on_confirm(app, world) -> None:  # type: ignore[no-untyped-def]
    client = client_as(app, world, "provider")
    page = client.get(f"/provider/orders/{world.order_id}/ledger")
    token = csrf_from(page.get_data(as_text=True))
    bad = "code,name,production\nL1,车床,是\nL2,,是\nL3,铣床,maybe\n".encode()
    response = client.post(
        f"/provider/orders/{world.order_id}/ledger/import",
        data={"csrf_token": token, "file": (io.BytesIO(bad), "ledger.csv")},
        content_type="multipart/form-data",
    )
    html = response.get_data(as_text=True)
    assert response.status_code == 422 and 'id="import-errors"' in html
    assert re.search(r"<td>3</td><td>name</td>", html) and re.search(r"<td>4</td><td>production</td>", html)
    engine = make_engine(url=world.settings().database_url)
    with Session(engine) as session:
        assert not session.exec(select(Equipment).where(Equipment.code == "L1")).first()  # nothing stored
    good = "code,name\nL1,车床\n".encode()
    checked = client.post(
        f"/provider/orders/{world.order_id}/ledger/import",
        data={"csrf_token": token, "file": (io.BytesIO(good), "ledger.csv")},
        content_type="multipart/form-data",
    )
    assert checked.status_code == 200 and 'name="confirm"' in checked.get_data(as_text=True)
    rows = re.search(r'name="rows_json" value="([^"]*)"', checked.get_data(as_text=True))
    assert rows is not None
    import html as html_module

    stored = client.post(
        f"/provider/orders/{world.order_id}/ledger/import",
        data={"csrf_token": token, "confirm": "1", "rows_json": html_module.unescape(rows.group(1))},
    )
    assert stored.status_code == 302
    with Session(engine) as session:
        assert session.exec(select(Equipment).where(Equipment.code == "L1")).first() is not None
    engine.dispose()


def test_calendar_page_adds_a_shift_and_refuses_a_bad_time(app, world) -> None:  # type: ignore[no-untyped-def]
    client = client_as(app, world, "provider")
    page = client.get(f"/provider/orders/{world.order_id}/calendar")
    token = csrf_from(page.get_data(as_text=True))
    url = f"/provider/orders/{world.order_id}/calendar"
    ok = client.post(
        url, data={"csrf_token": token, "kind": "shift", "weekday": "5", "start": "00:30", "end": "05:30"}
    )
    assert ok.status_code == 302
    bad = client.post(
        url, data={"csrf_token": token, "kind": "shift", "weekday": "5", "start": "25:00", "end": "06:00"}
    )
    assert bad.status_code == 422 and "start" in bad.get_data(as_text=True)
    page = client.get(url).get_data(as_text=True)
    assert "05:30" in page and "星期六" in page and "Saturday" not in page
    # The demo plant works 06:00-24:00 every day: a Saturday night shift into Sunday meets two shifts and is
    # refused naming the first, Saturday's; what is stored stays as it was.
    overlap = {"csrf_token": token, "kind": "shift", "weekday": "5", "start": "22:00", "end": "06:00"}
    refused = client.post(url, data=overlap)
    said = unescaped(refused.get_data(as_text=True))
    assert refused.status_code == 422
    assert "未添加：与已有的「班次 星期六 06:00–00:00」重叠" in said, flashed(said)
    assert '<option value="5" selected>' in said and 'value="22:00"' in said  # what was typed is kept
    assert client.get(url).get_data(as_text=True).count("22:00") == 0


def test_contradiction_is_shown_next_to_the_answer_and_listed_for_the_report(app, world) -> None:  # type: ignore[no-untyped-def]
    from diagnose.models import User
    from diagnose.services.diagnosis import assessments
    from reports.evidence_notes import contradiction_rows

    engine = make_engine(url=world.settings().database_url)
    with Session(engine) as session:
        order = session.get(DiagnosisOrder, world.order_id)
        provider = session.exec(select(User).where(User.username == "provider2")).one()
        # The ledger's networking rate is at least 2/3 (NW-L2-01 全部满足 from 50 %); claim 不满足.
        assessments.save_answer(
            session=session, actor=provider, order=order, requirement_id="NW-L2-01", rating="0"
        )  # type: ignore[arg-type]
        session.commit()
    client = client_as(app, world, "provider")
    html = client.get(f"/provider/orders/{world.order_id}/questionnaire?req=NW-L2-01").get_data(True)
    block = _block(html, "NW-L2-01")
    assert 'class="contradiction error"' in block and "自评与实测不一致" in block
    assert "自评与实测不一致：自评「不满足」，实测支持「全部满足」" in block  # ratings as labels, not 0 and 1
    other = client.get(f"/provider/orders/{world.order_id}/questionnaire?req=EM-L3-01").get_data(True)
    assert 'class="contradiction' not in _block(other, "EM-L3-01")
    rows = contradiction_rows(
        [
            {
                "requirement_id": "NW-L3-01",
                "claimed": 0.0,
                "proposed": 1.0,
                "contradiction": True,
                "proposals": [
                    {
                        "indicator": "networking_rate",
                        "measured": 1.0,
                        "message": "networking_rate = 100.0% → 全部满足: …",
                    }
                ],
            },
            {
                "requirement_id": "NW-L2-01",
                "claimed": 0.8,
                "proposed": 1.0,
                "contradiction": False,
                "proposals": [],
            },
        ]
    )
    assert [(r.requirement_id, r.claimed, r.proposed, r.measured) for r in rows] == [
        ("NW-L3-01", 0.0, 1.0, "设备联网率 100.0%")
    ]
    engine.dispose()


def test_provider_marks_the_bottleneck_device_and_the_list_shows_each_device(app, world) -> None:  # type: ignore[no-untyped-def]
    client = client_as(app, world, "provider")
    url = f"/provider/orders/{world.order_id}/questionnaire"
    page = client.get(url).get_data(as_text=True)
    assert 'id="device-figures"' in page and "同一组设备的时间开动率 × 性能开动率 × 合格品率" in page
    marked = client.post(
        f"/provider/orders/{world.order_id}/devices/D01/bottleneck",
        data={"csrf_token": csrf_from(page), "bottleneck": "1"},
    )
    assert marked.status_code == 302
    after = client.get(url).get_data(as_text=True)
    basis = re.search(r'<p id="oee-basis">(.*?)</p>', after, re.DOTALL)
    assert basis is not None and "取自瓶颈设备" in basis.group(1), basis

"""Bureau audit pages: tenant scope (others' ids answer 404), the CSRF-protected review form, exports."""

from __future__ import annotations

import io
import re
from collections.abc import Callable
from datetime import date

import pytest
from flask import Flask
from flask.testing import FlaskClient
from openpyxl import load_workbook
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from diagnose.models import AuditLog, Enterprise, EnterpriseOutcome
from diagnose.services.audit import audit_log
from diagnose.services.supervision import supervision_review
from diagnose.settings import Settings
from tests.supervision.conftest import PASSWORD, World
from web import create_app, supervision


@pytest.fixture
def app(db_settings: Settings, engine: Engine, world: World) -> Flask:
    with Session(engine) as session:
        for bureau_id in (world.wujin, world.taicang):
            supervision_review.detect_for_bureau(
                session=session, bureau_id=bureau_id, model=None, silence_timeout_s=600
            )
        session.commit()
    application = create_app(db_settings, {"TESTING": True})
    if "supervision" not in application.blueprints:  # until the app factory registers it
        application.register_blueprint(supervision.bp)
    return application


def _token(html: str) -> str:
    match = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert match
    return match.group(1)


@pytest.fixture
def login(app: Flask) -> Callable[[str], FlaskClient]:
    def _login(username: str) -> FlaskClient:
        client = app.test_client()
        token = _token(client.get("/login").get_data(as_text=True))
        assert (
            client.post(
                "/login", data={"username": username, "password": PASSWORD, "csrf_token": token}
            ).status_code
            == 302
        )
        return client

    return _login


def _flag_ids(engine: Engine, bureau_id: int) -> list[int]:
    with Session(engine) as session:
        return [f.id or 0 for f, _, _ in supervision_review.list_flags(session=session, bureau_id=bureau_id)]


def test_league_and_flags_pages(login: Callable[[str], FlaskClient], world: World) -> None:
    client = login("wujin")
    page = client.get("/bureau/supervision/?from=2026-01-01&to=2026-12-31").get_data(as_text=True)
    assert "常州智造咨询有限公司" in page
    # Both Wujin orders were delivered before their due dates: a rate a person reads, with its label for phones.
    assert 'data-label="按时率">100.0%</td>' in page
    flags = client.get("/bureau/supervision/flags").get_data(as_text=True)
    assert "WJ-2026-0002" in flags and "TC-2026-0001" not in flags


@pytest.mark.parametrize("path", ["/bureau/supervision/flags/{tc}", "/bureau/supervision/providers/999"])
def test_other_tenants_ids_answer_404(
    login: Callable[[str], FlaskClient], engine: Engine, world: World, path: str
) -> None:
    (tc,) = _flag_ids(engine, world.taicang)[:1]
    assert login("wujin").get(path.format(tc=tc)).status_code == 404


@pytest.mark.parametrize("user", ["provider1"])
def test_non_bureau_users_are_refused(login: Callable[[str], FlaskClient], user: str) -> None:
    assert login(user).get("/bureau/supervision/flags").status_code == 403


def test_review_form_records_decision_with_csrf(
    login: Callable[[str], FlaskClient], engine: Engine, world: World
) -> None:
    client = login("wujin")
    flag_id = _flag_ids(engine, world.wujin)[0]
    url = f"/bureau/supervision/flags/{flag_id}"
    page = client.get(url).get_data(as_text=True)
    assert (
        client.post(f"{url}/review", data={"decision": "confirmed", "note": "无数据"}).status_code == 400
    )  # no CSRF
    response = client.post(
        f"{url}/review",
        data={"decision": "confirmed", "note": "现场未见联网设备", "csrf_token": _token(page)},
    )
    assert response.status_code == 302
    with Session(engine) as session:
        (entry,) = audit_log.entries_for(session=session, entity="anomalyflag", entity_id=flag_id)
        assert entry.actor == "wujin" and entry.detail["note"] == "现场未见联网设备"
    taicang = login("taicang")
    page = taicang.get(f"/bureau/supervision/flags/{_flag_ids(engine, world.taicang)[0]}").get_data(
        as_text=True
    )
    assert (
        taicang.post(
            f"{url}/review", data={"decision": "dismissed", "note": "x", "csrf_token": _token(page)}
        ).status_code
        == 404
    )


def test_exports_download_and_read_back(login: Callable[[str], FlaskClient]) -> None:
    client = login("wujin")
    csv_response = client.get("/bureau/supervision/export.csv?from=2026-01-01&to=2026-12-31")
    assert csv_response.data.startswith(b"\xef\xbb\xbf")
    assert "常州智造咨询有限公司" in csv_response.data.decode("utf-8-sig")
    xlsx = client.get("/bureau/supervision/export.xlsx?from=2026-01-01&to=2026-12-31")
    assert load_workbook(io.BytesIO(xlsx.data)).active["A2"].value == "常州智造咨询有限公司"
    assert client.get("/bureau/supervision/export.pdf").status_code == 404


def _record(client: FlaskClient, **form: str):  # type: ignore[no-untyped-def]
    token = _token(client.get("/bureau/supervision/outcomes").get_data(as_text=True))
    return client.post("/bureau/supervision/outcomes", data={**form, "csrf_token": token})


def _enterprise_id(engine: Engine, name: str) -> int:
    with Session(engine) as session:
        return session.exec(select(Enterprise.id).where(Enterprise.name == name)).one()  # type: ignore[return-value]


def test_bureau_records_an_outcome_and_the_league_table_counts_it(
    login, engine: Engine, world: World
) -> None:  # type: ignore[no-untyped-def]
    wujin = login("wujin")
    dark = _enterprise_id(engine, "武进天宇电机有限公司")
    with Session(engine) as session:
        before = supervision_review.performance(
            session=session, bureau_id=world.wujin, start=date(2026, 1, 1), end=date(2026, 12, 31)
        ).rows[0]
    response = _record(
        wujin,
        enterprise_id=str(dark),
        kind="recognition",
        on_date="2026-06-30",
        source="常工信〔2026〕12号 <b>x</b>",
    )
    assert response.status_code == 302
    page = wujin.get("/bureau/supervision/outcomes").get_data(as_text=True)
    assert "武进天宇电机有限公司" in page and "常工信〔2026〕12号 &lt;b&gt;x&lt;/b&gt;" in page
    with Session(engine) as session:
        after = supervision_review.performance(
            session=session, bureau_id=world.wujin, start=date(2026, 1, 1), end=date(2026, 12, 31)
        ).rows[0]
        logged = session.exec(select(AuditLog).where(AuditLog.action == "outcome.record")).one()
    assert after.enterprises_with_outcome == before.enterprises_with_outcome + 1
    assert logged.actor == "wujin" and logged.detail["kind"] == "recognition"  # type: ignore[index]


def test_outcomes_stay_within_the_bureaus_regions(login, engine: Engine, world: World) -> None:  # type: ignore[no-untyped-def]
    taicang_enterprise = _enterprise_id(engine, "太仓华创纺织有限公司")
    wujin = login("wujin")
    assert "太仓华创纺织有限公司" not in wujin.get("/bureau/supervision/outcomes").get_data(as_text=True)
    refused = _record(
        wujin, enterprise_id=str(taicang_enterprise), kind="retrofit", on_date="2026-06-30", source="x"
    )
    assert refused.status_code == 404
    taicang_page = login("taicang").get("/bureau/supervision/outcomes").get_data(as_text=True)
    assert "常州恒锐精密机械有限公司" not in taicang_page  # Wujin's outcome is not Taicang's to see


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("kind", "bribe"),
        ("on_date", "2026-13-01"),
        ("on_date", "2999-01-01"),
        ("source", "  "),
        ("enterprise_id", "x"),
    ],
)
def test_bad_outcomes_are_refused_and_nothing_is_stored(
    login, engine: Engine, field: str, value: str
) -> None:  # type: ignore[no-untyped-def]
    form = {
        "enterprise_id": str(_enterprise_id(engine, "武进天宇电机有限公司")),
        "kind": "retrofit",
        "on_date": "2026-06-30",
        "source": "公示",
    }
    form[field] = value
    response = _record(login("wujin"), **form)
    assert response.status_code == 400
    with Session(engine) as session:
        assert len(session.exec(select(EnterpriseOutcome)).all()) == 1  # only the fixture's


def _coverage_flag(engine: Engine, world: World) -> int:
    """A coverage contradiction on Wujin's good order, as the rules raise it (networking as claimed)."""
    from scoring.supervision import DiagnosisRecord, Evidence, load_rules
    from scoring.supervision.rules import claims_contradicted

    record = DiagnosisRecord(
        order_id=world.good_order,
        provider_id=world.provider,
        enterprise_id=0,
        kind="factory",
        assigned_on=date(2026, 3, 2),
        submitted_on=date(2026, 3, 22),
        visit_on=None,
        answers=(("DT-L2-01", "1"), ("NW-L2-01", "1")),
        report_text="",
        score=2.4,
        evidence=Evidence(production_devices=1, devices_seen=1, networking_rate=1.0, coverage=0.1),
    )
    (flag,) = claims_contradicted(record, load_rules())
    with Session(engine) as session:
        order = session.get(supervision_review.DiagnosisOrder, world.good_order)
        assert order is not None
        flag = type(flag)(**{**flag.__dict__, "enterprise_id": order.enterprise_id})
        supervision_review.store_flags(
            session=session, flags=[flag], bureau_of={world.good_order: world.wujin}, rules_version="t"
        )
        session.commit()
        stored = session.exec(
            select(supervision_review.AnomalyFlag).where(
                supervision_review.AnomalyFlag.order_id == world.good_order
            )
        ).one()
        return stored.id or 0


def test_flag_review_reads_as_chinese_sentences_and_tables(
    login: Callable[[str], FlaskClient], engine: Engine, world: World
) -> None:
    client = login("wujin")
    flag_id = _coverage_flag(engine, world)
    page = client.get(f"/bureau/supervision/flags/{flag_id}").get_data(as_text=True)
    # One sentence, then the requirement by name, the self-rating as a label, the figure with its unit,
    # and the rule that applies: the coverage rule, not the networking one.
    assert "自评" in page and "1 台生产设备中有 1 台" in page, page
    assert "DT-L2-01" in page and "全部满足" in page and "数据采集覆盖率 10.0%" in page
    assert "EV-DT2-COV" in page and "EV-NW2-NET" not in page and "25.0%" in page
    for raw in ("contradictions", "never_seen", "{'", "evidence_rules.json", "claimed_rating"):
        assert raw not in page, raw
    assert f'href="/orders/{world.good_order}/result#evidence"' in page
    # The radio buttons sit inside their labels, laid out as the rest of the site's checkboxes.
    assert re.search(r'<label class="check"><input type="radio" name="decision" value="confirmed"', page)


def test_every_stored_flag_kind_renders_without_raw_keys(
    login: Callable[[str], FlaskClient], engine: Engine, world: World
) -> None:
    client = login("wujin")
    for flag_id in _flag_ids(engine, world.wujin):
        page = client.get(f"/bureau/supervision/flags/{flag_id}").get_data(as_text=True)
        assert 'id="flag-sentence">' in page and 'id="flag-sentence"></p>' not in page
        for raw in ("messages_in_window", "never_seen", "{'", "_"):
            assert raw not in re.sub(r"<[^>]+>", "", page.split('id="flag-sentence"')[1].split("<form")[0]), (
                raw
            )


def test_provider_subsidy_page_explains_each_providers_year(login: Callable[[str], FlaskClient]) -> None:
    client = login("wujin")
    page = client.get("/bureau/supervision/provider-subsidy?year=2026").get_data(as_text=True)
    table = page.split('id="provider-subsidy"')[1].split("</table>")[0]
    # Two Wujin orders of ¥150,000 each, assigned and accepted in 2026: far below clause 7's ¥8,000,000.
    assert "常州智造咨询有限公司" in table and "¥300,000.00" in table and "¥0.00" in table
    assert "未达门槛" in table and "8,000,000" in table, table
    assert "常工信综合〔2021〕62号 第七条" in page
    # Another year has no orders: said, not a blank table.
    assert "没有本地订单" in client.get("/bureau/supervision/provider-subsidy?year=2025").get_data(
        as_text=True
    )
    csv_response = client.get("/bureau/supervision/provider-subsidy.csv?year=2026")
    text = csv_response.data.decode("utf-8-sig")
    assert csv_response.data.startswith(b"\xef\xbb\xbf") and "常州智造咨询有限公司,2026,是,300000.00" in text
    xlsx = client.get("/bureau/supervision/provider-subsidy.xlsx?year=2026&unlisted=1")
    sheet = load_workbook(io.BytesIO(xlsx.data)).active
    assert (
        sheet["A1"].value == "服务商"
        and sheet["A2"].value == "常州智造咨询有限公司"
        and sheet["C2"].value == "否"
    )
    assert client.get("/bureau/supervision/provider-subsidy.pdf").status_code == 404


def test_provider_subsidy_is_the_city_bureaus_and_bureaus_only(login: Callable[[str], FlaskClient]) -> None:
    # Taicang lies outside Changzhou: the policy does not cover it, and no Changzhou figure is shown.
    page = login("taicang").get("/bureau/supervision/provider-subsidy?year=2026").get_data(as_text=True)
    assert 'id="not-covered"' in page and "常州智造咨询有限公司" not in page
    csv_text = (
        login("taicang").get("/bureau/supervision/provider-subsidy.csv?year=2026").data.decode("utf-8-sig")
    )
    assert csv_text.count("\n") == 1  # the header row only
    assert login("provider1").get("/bureau/supervision/provider-subsidy").status_code == 403


@pytest.mark.parametrize(
    "kind",
    [
        "claim_contradicted",
        "visit_without_telemetry",
        "duplicate_answers",
        "duplicate_report",
        "short_delivery",
        "score_mismatch",
        "heavy_tailoring",
    ],
)
def test_each_flag_kind_reads_as_a_sentence_and_a_table(
    login: Callable[[str], FlaskClient], engine: Engine, world: World, kind: str
) -> None:
    # The evidence each kind really carries: planted in generated records and found by the detector.
    from dataclasses import replace as dc_replace

    from scoring.supervision import detect, train
    from scoring.supervision.synthetic import generate_clean
    from tests.supervision.test_anomaly_rules import INJECTORS

    records = generate_clean(120, seed=11, first_id=1000)
    INJECTORS[kind](records, 40)
    model = train(generate_clean(200, seed=101), random_state=0) if kind == "score_mismatch" else None
    found = next(f for f in detect(records, model=model) if f.kind == kind)
    with Session(engine) as session:
        order = session.get(supervision_review.DiagnosisOrder, world.good_order)
        assert order is not None
        flag = dc_replace(
            found, order_id=world.good_order, enterprise_id=order.enterprise_id, provider_id=world.provider
        )
        supervision_review.store_flags(
            session=session, flags=[flag], bureau_of={world.good_order: world.wujin}, rules_version="t"
        )
        session.commit()
        stored = session.exec(
            select(supervision_review.AnomalyFlag).where(
                supervision_review.AnomalyFlag.order_id == world.good_order,
                supervision_review.AnomalyFlag.kind == kind,
            )
        ).one()
    page = login("wujin").get(f"/bureau/supervision/flags/{stored.id}").get_data(as_text=True)
    sentence = page.split('id="flag-sentence">')[1].split("</p>")[0].strip()
    assert len(sentence) > 15 and not re.search(r"[A-Za-z_]{4,}", sentence), sentence
    body = re.sub(r"<[^>]+>", " ", page.split('id="evidence"')[1].split('id="rule"')[0])
    assert "None" not in body and "{'" not in body and "_" not in body, body
    rule = re.sub(r"<[^>]+>", " ", page.split('id="rule">')[1].split("</p>")[0])
    assert not re.search(r"\.json|project default", rule), rule


def test_redetection_corrects_the_rule_a_stored_flag_cites(engine: Engine, world: World) -> None:
    # A flag stored before the fix cited the networking rule for a coverage contradiction; the next
    # detection corrects the citation and keeps the decision already taken.
    flag_id = _coverage_flag(engine, world)
    with Session(engine) as session:
        row = session.get(supervision_review.AnomalyFlag, flag_id)
        assert row is not None
        row.source, row.decision, row.decision_note = "evidence_rules.json EV-NW2-NET", "dismissed", "已核实"
        session.add(row)
        session.commit()
    _coverage_flag(engine, world)
    with Session(engine) as session:
        row = session.get(supervision_review.AnomalyFlag, flag_id)
        assert row is not None and "EV-DT2-COV" in row.source and "EV-NW2-NET" not in row.source
        assert row.decision == "dismissed"

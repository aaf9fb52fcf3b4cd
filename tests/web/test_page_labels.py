"""Every label in Chinese on the provider's and admin's pages (issue #23 point 9): no code names or raw values
(`has_energy_metering`, `province`, `result_id: 4; score: 1.5483`), ratings as their labels, scores to two
decimals; the tables live in web/labels.py."""

from __future__ import annotations

import html as html_lib
import re
from datetime import date

import pytest
from flask import Flask

from diagnose.models import CalendarRule
from tests.web.conftest import client_as
from web import create_app
from web.labels import audit_details, calendar_rule_words, weekday_label

CODE_NAME = re.compile(r"\b[a-z]+(?:_[a-z]+)+\b")  # has_energy_metering, result_id, business_not_involved


@pytest.fixture(scope="module")
def app(world) -> Flask:  # type: ignore[no-untyped-def]
    return create_app(world.settings(), {"TESTING": True, "RATELIMIT_ENABLED": False})


def text(page: str) -> str:
    """What a reader sees: no scripts, styles, tags or attributes."""
    page = re.sub(r"<script.*?</script>|<style.*?</style>", " ", page, flags=re.DOTALL)
    return html_lib.unescape(re.sub(r"<[^>]+>", " ", page))


def test_no_code_names_on_the_questionnaire_result_calendar_and_plant_pages(app, world) -> None:  # type: ignore[no-untyped-def]
    client = client_as(app, world, "provider")
    base = f"/provider/orders/{world.order_id}/questionnaire"
    overview = client.get(base).get_data(as_text=True)
    subs = re.findall(r'\?sub=([^"]+)" data-sub=', overview)
    assert "energy_management" in subs
    pages = [base, *(f"{base}?sub={s}" for s in subs)]
    o = world.order_id
    pages += [f"/orders/{o}/result", f"/provider/orders/{o}/calendar", f"/orders/{o}", "/orders"]
    pages += [f"/provider/orders/{o}/{name}" for name in ("ledger", "devices", "dead-letters")]
    found = {}
    for path in pages:
        names = CODE_NAME.findall(text(client.get(path).get_data(as_text=True)))
        if names:
            found[path] = sorted(set(names))
    assert found == {}
    energy = text(client.get(f"{base}?sub=energy_management").get_data(as_text=True))
    assert "无实测数据：能耗计量" in energy  # the indicator by its name, not has_energy_metering
    result = client.get(f"/orders/{world.order_id}/result").get_data(as_text=True)
    score = re.search(r'id="result-score">([^<]*)<', result)
    assert score and re.fullmatch(r"\d+\.\d\d", score.group(1)), score  # 得分 1.55, not 1.5521
    gaps = re.search(r"<h2>差距项</h2>.*?<tbody>(.*?)</tbody>", result, re.DOTALL)
    assert gaps, "the result page lists its gaps"
    currents = re.findall(r"<tr><td>[^<]*</td><td>(\d) 级</td><td>([^<]*)</td>", gaps.group(1))
    assert currents and {c for _, c in currents} <= {"不满足", "部分满足", "大部分满足"}, currents
    calendar = text(client.get(f"/provider/orders/{world.order_id}/calendar").get_data(as_text=True))
    assert "星期一" in calendar and "星期日" in calendar and "Monday" not in calendar


def test_region_levels_are_chinese(app, world) -> None:  # type: ignore[no-untyped-def]
    page = client_as(app, world, "admin").get("/admin/regions").get_data(as_text=True)
    shown = text(page)
    assert not re.search(r"\b(province|city|district)\b", shown)
    assert '<option value="district" selected>区县</option>' in page and ">省</option>" in page


def test_the_audit_log_says_each_entry_in_words(app, world) -> None:  # type: ignore[no-untyped-def]
    page = client_as(app, world, "bureau").get("/bureau/audit-log?action=order").get_data(as_text=True)
    details = re.findall(r'data-label="详情" class="muted">([^<]*)</td>', page)
    scored = [d for d in details if d.startswith("完成评分")]
    assert scored and re.fullmatch(r"完成评分：成熟度 \d 级，得分 \d+\.\d\d", scored[0]), scored
    assert not [d for d in details if CODE_NAME.search(d) or "result_id" in d], details


def test_audit_details_name_values_and_leave_out_internal_ids(app) -> None:  # type: ignore[no-untyped-def]
    with app.test_request_context("/?lang=zh"):
        assert (
            audit_details("answer.save", {"requirement_id": "NW-L2-01", "rating": "0.8"})
            == "要求项 NW-L2-01 评为「大部分满足」"
        )
        assert audit_details("order.score", {"result_id": 4, "level": 1, "score": 1.5483}) == (
            "完成评分：成熟度 1 级，得分 1.55"
        )
        said = audit_details(
            "order.create", {"to": "created", "fee_fen": 4_500_000, "enterprise_id": 7, "lang": "zh"}
        )
        assert said == "截止：已创建；诊断服务费：¥45,000.00；语言：中文"
        assert audit_details("device.bottleneck", {"bottleneck": True, "external_id": "D01"}) == (
            "瓶颈设备：是；设备编号：D01"
        )
        # An entry older than its sentence (a detail missing) still reads, detail by detail.
        assert audit_details("order.score", {"level": 2}) == "成熟度等级：2 级"
        rule = CalendarRule(
            enterprise_id=1, kind="shift", weekday=6, start="22:00", end="06:00", label="夜班"
        )
        assert calendar_rule_words(rule) == "班次 星期日 22:00–06:00（夜班）"
        day_off = CalendarRule(enterprise_id=1, kind="holiday", day=date(2026, 10, 1))
        assert calendar_rule_words(day_off) == "停产日 2026-10-01 星期四"
        assert weekday_label(0) == "星期一" and weekday_label(None) == "—"
        from fractions import Fraction

        words = app.jinja_env.filters["rating_words"]
        assert [words(Fraction(4, 5)), words(0.0), words("1"), words("n/a")] == [
            "大部分满足",
            "不满足",
            "全部满足",
            "不适用（裁剪）",
        ]


def test_every_audited_action_of_the_demo_reads_in_words(app, world) -> None:  # type: ignore[no-untyped-def]
    """The SME instrument's entries included: the action, the instruments, an answer in the index's words."""
    from sqlmodel import Session, select

    from diagnose.db import make_engine
    from diagnose.models import AuditLog
    from web.messages import audit_action

    engine = make_engine(url=f"sqlite:///{world.db_path}")
    with Session(engine) as session:
        actions = set(session.exec(select(AuditLog.action)).all())
    engine.dispose()
    assert {"order.instruments", "sme.answer", "sme.score"} <= actions  # the demo rates both instruments
    with app.test_request_context("/?lang=zh"):
        unnamed = sorted(a for a in actions | {"enterprise.sme_pilot"} if audit_action(a) == a)
        assert unnamed == []
        assert audit_details("order.instruments", {"from": "cmmm", "to": "both"}) == (
            "起始：智能制造能力成熟度（CMMM）；截止：智能制造能力成熟度（CMMM）＋中小企业数字化水平"
        )
        said = audit_details(
            "sme.answer",
            {"key": "F3", "value": "le40", "decision": "overridden", "reason": "2 台未登记设备未联网"},
        )
        assert said.startswith("设备联网·企业的生产设备联网率：") and said.endswith(
            "（改写实测建议）；原因：2 台未登记设备未联网"
        ), said
        assert not CODE_NAME.search(said) and "le40" not in said
        assert audit_details("sme.score", {"sme_result_id": 3, "level": 2, "total": "69.25"}) == (
            "中小企业数字化水平：二级，69.25 分"
        )
        # An entry the sentence cannot read (an item the index no longer has) still reads, detail by detail.
        assert "F99" in audit_details("sme.answer", {"key": "F99", "value": "x", "decision": "manual"})

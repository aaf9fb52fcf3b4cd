"""Issue #14 screens without a browser: lock contention answers 503, messages name fields in Chinese with
limits in yuan, the pool per year decides assignment, the audit log is scoped, admin choices are form errors."""

from __future__ import annotations

import re

import pytest
from flask import Flask
from sqlalchemy.exc import OperationalError
from sqlmodel import Session, select

from diagnose.models import AuditLog, BureauProvider, DiagnosisOrder, Provider, User
from diagnose.services.accounts.orgs import ValidationError
from diagnose.services.audit import audit_view
from diagnose.services.diagnosis import pool
from tests.web.conftest import client_as, csrf_from
from web import create_app
from web.messages import citation, dead_letter_reason, not_saved


@pytest.fixture
def app(world) -> Flask:  # type: ignore[no-untyped-def]
    app = create_app(world.settings(), {"TESTING": True, "RATELIMIT_ENABLED": False})

    @app.get("/_locked")
    def _locked() -> str:
        raise OperationalError("UPDATE answer", {}, Exception("database is locked"))

    @app.get("/api/v1/_locked")
    def _api_locked() -> str:
        raise OperationalError("UPDATE answer", {}, Exception("database is locked"))

    @app.get("/_broken")
    def _broken() -> str:
        raise RuntimeError("boom")

    return app


def test_lock_contention_is_a_503_page_with_retry_after(app: Flask, world) -> None:  # type: ignore[no-untyped-def]
    client = client_as(app, world, "provider")
    page = client.get("/_locked")
    assert page.status_code == 503 and page.headers["Retry-After"].isdigit()
    text = page.get_data(as_text=True)
    assert "平台繁忙" in text and "重试" in text and "database is locked" not in text
    api = client.get("/api/v1/_locked")
    assert api.status_code == 503 and api.is_json and api.headers["Retry-After"]
    assert api.get_json()["error"] == "Service Unavailable" and api.get_json()["message"]
    autosave = client.get("/_locked", headers={"Accept": "application/json"})
    assert autosave.status_code == 503 and autosave.is_json


def test_other_errors_are_branded_pages(app: Flask, world) -> None:  # type: ignore[no-untyped-def]
    app.config["PROPAGATE_EXCEPTIONS"] = False
    client = client_as(app, world, "bureau")
    broken = client.get("/_broken")
    assert broken.status_code == 500 and "系统出现错误" in broken.get_data(as_text=True)
    missing = client.get("/orders/999999999")
    assert missing.status_code == 404 and "页面不存在" in missing.get_data(as_text=True)
    assert "首页" in missing.get_data(as_text=True)
    forbidden = client.get("/admin/users")
    assert forbidden.status_code == 403 and "您无权打开此页面" in forbidden.get_data(as_text=True)
    english = client.get("/orders/999999999?lang=en")
    assert "Page not found" in english.get_data(as_text=True)


def test_messages_name_the_field_and_state_limits_in_yuan(app: Flask) -> None:
    with app.test_request_context():
        over = ValidationError("fee_fen", "fee_cap", max_fen=20_000_000)
        assert not_saved(over) == "未保存：诊断服务费：须大于 ¥0.00 且不超过 ¥200,000.00"
        assert not_saved(ValidationError("on_date", "not_in_future")) == "未保存：日期：不能晚于今天"
        assert ".txt" not in citation(
            "003_74b73599fef7a29c.txt (太政发〔2021〕3号) 第（六）条：不高于 20 万元"
        )
        assert (
            citation("项目默认值：种子文件（004_x.txt）暂按太政发〔2021〕3号第六条执行")
            == "平台默认值（参照太政发〔2021〕3号）"
        )
        assert "待确认" in dead_letter_reason(
            "unknown device M7: registered as pending, replayed once confirmed"
        )


def test_new_order_error_keeps_the_choices(app: Flask, world) -> None:  # type: ignore[no-untyped-def]
    client = client_as(app, world, "bureau")
    form = client.get("/bureau/orders/new").get_data(as_text=True)
    enterprises = re.findall(
        r'<option value="(\d+)"', form.split('name="enterprise_id"')[1].split("</select>")[0]
    )
    batch = re.findall(r'<option value="(\d+)"', form.split('name="batch_id"')[1].split("</select>")[0])[-1]
    chosen = enterprises[-1]
    data = {"csrf_token": csrf_from(form), "batch_id": batch, "enterprise_id": chosen, "kind": "workshop"}
    page = client.post("/bureau/orders/new", data=data | {"fee_yuan": "1e9", "due_date": "2026-12-31"})
    text = page.get_data(as_text=True)
    assert page.status_code == 422
    assert f'<option value="{chosen}" selected>' in text and f'<option value="{batch}" selected>' in text
    assert 'value="2026-12-31"' in text and "fee_fen" not in text and "诊断服务费" in text
    bad_date = client.post("/bureau/orders/new", data=data | {"fee_yuan": "100", "due_date": "31.12.2026"})
    assert bad_date.status_code == 422 and "完成期限：不是有效日期" in bad_date.get_data(as_text=True)


def test_assignment_only_from_the_years_pool(world) -> None:  # type: ignore[no-untyped-def]
    from diagnose.db import make_engine

    engine = make_engine(url=f"sqlite:///{world.db_path}")
    with Session(engine) as session:
        bureau_user = session.get(User, world.user_ids["bureau"])
        standing = session.exec(
            select(BureauProvider).where(BureauProvider.bureau_id == bureau_user.bureau_id)  # type: ignore[union-attr]
        ).first()
        assert standing is not None
        kw = {"session": session, "bureau_id": standing.bureau_id, "provider_id": standing.provider_id}
        assert pool.in_pool(**kw, year=2026)
        with pytest.raises(ValidationError) as refused:
            pool.change_pool(
                session=session,
                actor=bureau_user,
                provider_id=standing.provider_id,
                year=2026,
                change="suspend",
                reason=" ",
            )  # type: ignore[arg-type]
        assert refused.value.field == "reason"
        pool.change_pool(
            session=session,
            actor=bureau_user,
            provider_id=standing.provider_id,
            year=2026,
            change="suspend",
            reason="考核不合格",
        )  # type: ignore[arg-type]
        assert not pool.in_pool(**kw, year=2026) and pool.in_pool(**kw, year=2027)
        outsider = session.exec(
            select(Provider).where(
                Provider.id.not_in(  # type: ignore[union-attr]
                    select(BureauProvider.provider_id).where(BureauProvider.bureau_id == standing.bureau_id)
                )
            )
        ).first()
        if outsider is not None:
            assert not pool.in_pool(
                session=session, bureau_id=standing.bureau_id, provider_id=outsider.id, year=2026
            )  # type: ignore[arg-type]
            pool.change_pool(
                session=session,
                actor=bureau_user,
                provider_id=outsider.id,
                year=2026,
                change="add",
                reason="新入围",
            )  # type: ignore[arg-type]
            assert pool.in_pool(
                session=session, bureau_id=standing.bureau_id, provider_id=outsider.id, year=2026
            )  # type: ignore[arg-type]
        session.rollback()
    engine.dispose()


def test_audit_log_is_scoped_to_the_bureaus_regions(world) -> None:  # type: ignore[no-untyped-def]
    from diagnose.db import make_engine

    engine = make_engine(url=f"sqlite:///{world.db_path}")
    with Session(engine) as session:
        wujin = session.get(User, world.user_ids["bureau"])
        taicang = session.get(User, world.user_ids["bureau_other"])
        admin = session.get(User, world.user_ids["admin"])
        order = session.get(DiagnosisOrder, world.order_id)
        mine = audit_view.search(session=session, user=wujin, per_page=1000).items  # type: ignore[arg-type]
        theirs = audit_view.search(session=session, user=taicang, per_page=1000).items  # type: ignore[arg-type]
        everything = session.exec(select(AuditLog)).all()
        about_order = {e.id for e in everything if e.entity == "order" and e.entity_id == str(order.id)}  # type: ignore[union-attr]
        assert about_order and about_order <= {e.id for e in mine}
        assert not about_order & {e.id for e in theirs}
        assert audit_view.search(session=session, user=admin, per_page=1).total == len(everything)  # type: ignore[arg-type]
        enterprise = session.get(User, world.user_ids["enterprise"])
        assert audit_view.search(session=session, user=enterprise).total == 0  # type: ignore[arg-type]
    engine.dispose()


def test_admin_wrong_choices_are_form_errors(app: Flask, world) -> None:  # type: ignore[no-untyped-def]
    client = client_as(app, world, "admin")
    page = client.get("/admin/users").get_data(as_text=True)
    assert '<select name="role" required>\n      <option value="">' in page
    token = csrf_from(page)
    base = {"csrf_token": token, "username": "x1", "full_name": "x", "password": "long-enough-1"}
    for org, role in (
        ("bureau:99999999", "bureau"),
        ("provider:1", "bureau"),
        ("99999999999999999999", "enterprise"),
        ("", "enterprise"),
        ("", ""),
    ):
        answer = client.post("/admin/users", data=base | {"organisation_id": org, "role": role})
        assert answer.status_code == 422, (org, role)
        assert "未保存" in answer.get_data(as_text=True)
    region = client.post(
        "/admin/organisations/providers",
        data={"csrf_token": token, "name": "x", "uscc": "x", "region_code": "999999"},
    )
    assert region.status_code == 422


def test_a_fee_over_the_cap_is_shown_by_the_fee_input_too(app: Flask, world) -> None:  # type: ignore[no-untyped-def]
    """The cap is the service's rule, not the schema's: its refusal still stands next to the field at fault."""
    client = client_as(app, world, "bureau")
    form = client.get("/bureau/orders/new").get_data(as_text=True)
    enterprise = re.findall(
        r'<option value="(\d+)"', form.split('name="enterprise_id"')[1].split("</select>")[0]
    )[0]
    batch = re.findall(r'<option value="(\d+)"', form.split('name="batch_id"')[1].split("</select>")[0])[-1]
    data = {"csrf_token": csrf_from(form), "batch_id": batch, "enterprise_id": enterprise, "kind": "workshop"}
    page = client.post("/bureau/orders/new", data=data | {"fee_yuan": "60000"})  # a workshop's cap is ¥50,000
    text = page.get_data(as_text=True)
    assert page.status_code == 422
    by_input = re.search(
        r'name="fee_yuan"[^>]*>\s*<span class="field-error" role="alert">([^<]+)</span>', text
    )
    assert by_input and by_input.group(1).startswith("诊断服务费："), text[text.find("fee_yuan") - 200 :][
        :600
    ]
    assert "¥50,000.00" in by_input.group(1)

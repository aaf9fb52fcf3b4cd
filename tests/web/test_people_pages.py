"""People on the pages and in the API (issue #23 point 3): the admin and the user record 姓名/职务/phone; the
provider names the order's 项目负责人 and 诊断人员; the order page, its timeline and the audit log name people,
never their logins."""

from __future__ import annotations

import re

import pytest
from flask import Flask
from sqlalchemy import text
from sqlmodel import Session, select

from diagnose.db import make_engine
from diagnose.models import DiagnosisOrder, OrderStatus, User
from diagnose.services.diagnosis import orders
from tests.web.conftest import client_as

LOGINS = ("wujin", "taicang", "provider1", "provider2", "provider3", "ent4", "admin")


@pytest.fixture
def app(world_app: Flask) -> Flask:
    return world_app


def _db(app: Flask) -> Session:
    return Session(make_engine(url=app.extensions["diagnose_settings"].database_url), expire_on_commit=False)


def _text(html: str) -> str:
    """What the reader sees of a piece of a page: its text, without tags."""
    return re.sub(r"<[^>]+>", " ", html)


def _main(html: str) -> str:
    """The page's <main> (the top bar names the logged-in user)."""
    return _text(html.split("<main>", 1)[1].split("</main>", 1)[0])


def _table(html: str, table_id: str) -> str:
    """The text of the table with this id."""
    return _text(html.split(f'id="{table_id}"', 1)[1].split("</table>", 1)[0])


def test_the_admin_records_a_users_name_title_and_phone(app: Flask, world) -> None:  # type: ignore[no-untyped-def]
    admin = client_as(app, world, "admin")
    user_id = world.user_ids["enterprise"]
    page = admin.get(f"/admin/users/{user_id}").get_data(as_text=True)
    assert 'value="徐芳"' in page and "ent4" in page  # the demo's name, and the login for reference
    refused = admin.post(f"/admin/users/{user_id}", data={"full_name": "徐 芳", "phone": "12345"})
    text_ = refused.get_data(as_text=True)
    assert refused.status_code == 422 and "联系电话" in text_ and "不是电话号码" in text_
    assert 'value="徐 芳"' in text_  # what was typed is kept
    saved = admin.post(
        f"/admin/users/{user_id}", data={"full_name": "徐芳芳", "title": "总经理", "phone": "0512-5301 2345"}
    )
    assert saved.status_code == 302
    listing = admin.get("/admin/users?q=徐芳芳").get_data(as_text=True)
    row = re.search(r'<tr data-user="ent4">.*?</tr>', listing, re.S)
    assert row and "徐芳芳" in row[0] and "总经理" in row[0] and "武进华纺新材料科技有限公司" in row[0]
    with _db(app) as session:
        user = session.get(User, user_id)
        assert (user.full_name, user.title, user.phone) == ("徐芳芳", "总经理", "0512-5301 2345")  # type: ignore[union-attr]
    created = admin.post(
        "/admin/users",
        data={"username": "p2-new", "full_name": "", "password": "Zh1zhen-Xin-2026!", "role": "provider"},
    )
    assert created.status_code == 422 and "姓名" in created.get_data(as_text=True)  # a new user needs a name


def test_a_user_keeps_their_own_name_and_the_top_bar_shows_it(app: Flask, world) -> None:  # type: ignore[no-untyped-def]
    provider = client_as(app, world, "provider")
    page = provider.get("/account").get_data(as_text=True)
    assert 'value="刘洋"' in page and 'value="诊断项目总监"' in page
    assert provider.post("/account", data={"full_name": "", "title": "x"}).status_code == 422
    assert provider.post("/account", data={"full_name": "刘洋", "title": "副总经理"}).status_code == 302
    home = provider.get("/orders").get_data(as_text=True)
    assert re.search(r'class="user"[^>]*>刘洋<', home)


def test_the_order_page_and_timeline_name_people_never_logins(app: Flask, world) -> None:  # type: ignore[no-untyped-def]
    for role in ("bureau", "enterprise", "provider", "admin"):
        html = client_as(app, world, role).get(f"/orders/{world.order_id}").get_data(as_text=True)
        shown = _main(html)
        lead = re.search(r'id="staff-lead">(.*?)</dd>', html, re.S)
        assert lead and "刘洋" in lead[1] and "诊断项目总监" in lead[1] and "tel:13900001006" in lead[1]
        assert "孙婷" in shown
        timeline = _table(html, "timeline")
        assert "陈立新" in timeline and "刘洋" in timeline and "常州数智工业服务有限公司" in timeline, role
        for login in LOGINS:
            assert not re.search(rf"\b{login}\b", shown), (role, login)
    json = client_as(app, world, "enterprise").get(f"/orders/{world.order_id}/timeline.json").get_json()
    assert {e["actor"] for e in json["events"]} >= {"陈立新", "刘洋"}


def test_the_provider_names_the_team_on_the_order_page(app: Flask, world) -> None:  # type: ignore[no-untyped-def]
    provider = client_as(app, world, "provider")
    page = provider.get(f"/orders/{world.order_id}").get_data(as_text=True)
    assert 'id="staff-form"' in page and "周凯" in page  # a colleague who can be named
    with _db(app) as session:
        ids = {
            u.full_name: u.id for u in session.exec(select(User).where(User.provider_id == world.provider_id))
        }
        other = session.exec(select(User).where(User.username == "provider1")).one().id
    refused = provider.post(
        f"/provider/orders/{world.order_id}/staff", data={"lead_id": str(other)}, follow_redirects=True
    )
    flashed = " ".join(re.findall(r'class="flash error">([^<]*)<', refused.get_data(as_text=True)))
    assert "项目负责人" in flashed and "lead_id" not in flashed, flashed
    saved = provider.post(
        f"/provider/orders/{world.order_id}/staff",
        data={"lead_id": str(ids["孙婷"]), "member_ids": [str(ids["刘洋"]), str(ids["周凯"])]},
        follow_redirects=True,
    )
    html = saved.get_data(as_text=True)
    assert "已保存诊断团队" in html
    assert re.search(r'id="staff-lead">.*?孙婷', html, re.S)
    assert "指定诊断团队" in _main(html) and "诊断人员：刘洋、周凯" in _main(html).replace(" ", "")
    # Others see it; only the provider gets the form.
    bureau = client_as(app, world, "bureau").get(f"/orders/{world.order_id}").get_data(as_text=True)
    assert "孙婷" in bureau and 'id="staff-form"' not in bureau


def test_scheduling_without_a_lead_is_refused_in_chinese(app: Flask, world) -> None:  # type: ignore[no-untyped-def]
    with _db(app) as session:
        order = session.exec(
            select(DiagnosisOrder).where(
                DiagnosisOrder.status == OrderStatus.assigned, DiagnosisOrder.provider_id == world.provider_id
            )
        ).first()
        if order is None:  # the demo's assigned order belongs to another provider: give it to provider2
            order = session.exec(
                select(DiagnosisOrder).where(DiagnosisOrder.status == OrderStatus.assigned)
            ).one()
            order.provider_id = world.provider_id
            session.add(order)
        session.execute(text("DELETE FROM orderstaff WHERE order_id = :o"), {"o": order.id})
        session.commit()
        order_id = order.id
    provider = client_as(app, world, "provider")
    page = provider.get(f"/orders/{order_id}").get_data(as_text=True)
    assert 'id="staff-needed"' in page and 'id="schedule-needs-lead"' in page
    answer = provider.post(
        f"/orders/{order_id}/schedule", data={"visit_date": "2026-12-20"}, follow_redirects=True
    )
    message = " ".join(re.findall(r'class="flash error">([^<]*)<', answer.get_data(as_text=True)))
    assert "项目负责人" in message and "lead" not in message, message
    with _db(app) as session:
        assert session.get(DiagnosisOrder, order_id).status == OrderStatus.assigned  # type: ignore[union-attr]


def test_the_audit_log_names_people(app: Flask, world) -> None:  # type: ignore[no-untyped-def]
    bureau = client_as(app, world, "bureau")
    html = bureau.get("/bureau/audit-log?action=order.").get_data(as_text=True)
    table = _table(html, "audit-log")
    assert "陈立新" in table and "刘洋" in table
    for login in ("wujin", "provider2", "provider1"):
        assert not re.search(rf"\b{login}\b", table), login
    by_name = bureau.get("/bureau/audit-log?actor=刘洋").get_data(as_text=True)  # the filter takes a name
    assert "刘洋" in _table(by_name, "audit-log") and "陈立新" not in _table(by_name, "audit-log")


def test_the_api_names_people(app: Flask, world) -> None:  # type: ignore[no-untyped-def]
    client = app.test_client()

    def call(method: str, path: str, role: str, **kw):  # type: ignore[no-untyped-def]
        return client.open(
            path, method=method, headers={"Authorization": f"Bearer {world.tokens[role]}"}, **kw
        )

    me = call("GET", "/api/v1/me", "provider").get_json()
    assert (me["display_name"], me["full_name"], me["title"]) == ("刘洋", "刘洋", "诊断项目总监")
    order = call("GET", f"/api/v1/orders/{world.order_id}", "bureau").get_json()
    assert order["staff"]["lead"]["name"] == "刘洋" and [m["name"] for m in order["staff"]["members"]]
    page = call("GET", f"/api/v1/orders/{world.order_id}/staff", "provider").get_json()
    ids = {p["name"]: p["user_id"] for p in page["candidates"]}
    assert call("GET", f"/api/v1/orders/{world.order_id}/staff", "bureau").get_json()["candidates"] == []
    put = call("PUT", f"/api/v1/orders/{world.order_id}/staff", "provider", json={"lead_id": ids["周凯"]})
    assert put.status_code == 200 and put.get_json() == {
        "lead": {"user_id": ids["周凯"], "name": "周凯", "title": "工业网络工程师", "phone": "139 0000 1008"},
        "members": [],
    }
    stranger = call("PUT", f"/api/v1/orders/{world.order_id}/staff", "provider", json={"lead_id": 1})
    assert stranger.status_code == 422 and stranger.get_json()["field"] == "lead_id"
    with _db(app) as session:
        order_row = session.get(DiagnosisOrder, world.order_id)
        assert orders.staff_of(session=session, order=order_row).lead.full_name == "周凯"  # type: ignore[arg-type, union-attr]

"""Login, CSRF, and the enterprise's device list with each device's last state."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlmodel import Session, select

from diagnose.models import Device
from tests.web.conftest import csrf_from


def test_login_page_is_chinese_by_default(app) -> None:  # type: ignore[no-untyped-def]
    html = app.test_client().get("/login").get_data(as_text=True)
    assert "登录" in html and "用户名" in html


def test_english_on_request(app) -> None:  # type: ignore[no-untyped-def]
    html = app.test_client().get("/login?lang=en").get_data(as_text=True)
    assert "Log in" in html and "Username" in html


def test_login_without_csrf_token_is_refused(app) -> None:  # type: ignore[no-untyped-def]
    response = app.test_client().post("/login", data={"username": "ent1", "password": "correct-horse-9"})
    assert response.status_code == 400


def test_wrong_password_is_refused(app) -> None:  # type: ignore[no-untyped-def]
    client = app.test_client()
    token = csrf_from(client.get("/login").get_data(as_text=True))
    response = client.post("/login", data={"username": "ent1", "password": "nope", "csrf_token": token})
    assert response.status_code == 401
    assert client.get("/enterprise/devices").status_code == 302


def test_devices_page_needs_login(app) -> None:  # type: ignore[no-untyped-def]
    response = app.test_client().get("/enterprise/devices")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_enterprise_sees_its_own_devices_with_last_state(app, login, engine) -> None:  # type: ignore[no-untyped-def]
    with Session(engine) as session:
        device = session.exec(select(Device).where(Device.external_id == "D01")).one()
        device.last_state, device.online = "DOWN", True
        device.last_seen_at = datetime(2026, 11, 24, 2, 0, tzinfo=UTC)
        session.add(device)
        session.commit()
    html = login("ent1").get("/enterprise/devices").get_data(as_text=True)
    assert "D01" in html and "CNC 1号" in html
    assert "停机" in html  # DOWN, in Chinese
    assert "2026-11-24 10:00:00" in html  # shown in China time
    assert "D02" not in html  # the other enterprise's device


def test_other_roles_are_forbidden_from_enterprise_pages(app, login) -> None:  # type: ignore[no-untyped-def]
    assert login("admin").get("/enterprise/devices").status_code == 403


def test_logout_needs_csrf_and_ends_the_session(app, login) -> None:  # type: ignore[no-untyped-def]
    client = login("ent1")
    assert client.post("/logout").status_code == 400
    token = csrf_from(client.get("/enterprise/devices").get_data(as_text=True))
    assert client.post("/logout", data={"csrf_token": token}).status_code == 302
    assert client.get("/enterprise/devices").status_code == 302

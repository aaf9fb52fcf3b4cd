"""Admins deactivate, reactivate and reset users: it takes effect at once, and the audit log says who did it."""

from __future__ import annotations

import re

from sqlmodel import Session, select

from diagnose.models import AuditLog, User
from diagnose.services.accounts import tokens
from tests.web.conftest import PASSWORD, csrf_from


def _user(engine, username: str) -> User:  # type: ignore[no-untyped-def]
    with Session(engine) as session:
        return session.exec(select(User).where(User.username == username)).one()


def _post(client, path: str, data: dict[str, str]):  # type: ignore[no-untyped-def]
    token = csrf_from(client.get("/admin/users").get_data(as_text=True))
    return client.post(path, data={**data, "csrf_token": token})


def _can_log_in(app, username: str, password: str) -> bool:  # type: ignore[no-untyped-def]
    client = app.test_client()
    token = csrf_from(client.get("/login").get_data(as_text=True))
    response = client.post("/login", data={"username": username, "password": password, "csrf_token": token})
    return response.status_code == 302


def test_deactivated_user_loses_session_login_and_token_then_gets_them_back(app, login, engine) -> None:  # type: ignore[no-untyped-def]
    ent1 = _user(engine, "ent1")
    with Session(engine) as session:
        api_token = tokens.issue_token(session=session, user=session.get(User, ent1.id))  # type: ignore[arg-type]
        session.commit()
    enterprise = login("ent1")
    assert enterprise.get("/enterprise/devices").status_code == 200
    admin = login("admin")

    _post(admin, f"/admin/users/{ent1.id}/active", {"active": "0"})  # no reason: refused
    assert _user(engine, "ent1").active is True
    response = _post(admin, f"/admin/users/{ent1.id}/active", {"active": "0", "reason": "已离职"})
    assert response.status_code == 302
    assert _user(engine, "ent1").active is False
    assert enterprise.get("/enterprise/devices").status_code == 302  # the open session ends at once
    assert not _can_log_in(app, "ent1", PASSWORD)
    api = app.test_client().get("/api/v1/orders", headers={"Authorization": f"Bearer {api_token}"})
    assert api.status_code == 401
    page = admin.get("/admin/users").get_data(as_text=True)
    row = re.search(r'<tr data-user="ent1">(.*?)</tr>', page, flags=re.S)
    assert row and "重新启用" in row.group(1)  # "Reactivate", in Chinese

    _post(admin, f"/admin/users/{ent1.id}/active", {"active": "1"})
    assert _user(engine, "ent1").active is True
    assert _can_log_in(app, "ent1", PASSWORD)

    with Session(engine) as session:
        actions = session.exec(
            select(AuditLog.action, AuditLog.actor)
            .where(AuditLog.entity == "user", AuditLog.entity_id == str(ent1.id))
            .order_by(AuditLog.id)  # type: ignore[arg-type]
        ).all()
    changes = [(action, actor) for action, actor in actions if action in ("user.deactivate", "user.activate")]
    assert changes == [("user.deactivate", "admin"), ("user.activate", "admin")]


def test_admin_cannot_deactivate_themself(app, login, engine) -> None:  # type: ignore[no-untyped-def]
    admin_user = _user(engine, "admin")
    admin = login("admin")
    response = _post(admin, f"/admin/users/{admin_user.id}/active", {"active": "0"})
    assert response.status_code == 302
    assert _user(engine, "admin").active is True
    page = admin.get("/admin/users").get_data(as_text=True)
    assert "own account" in page or "自己" in page


def test_bad_or_unknown_input_changes_nothing(app, login, engine) -> None:  # type: ignore[no-untyped-def]
    ent1 = _user(engine, "ent1")
    admin = login("admin")
    assert _post(admin, f"/admin/users/{ent1.id}/active", {"active": "maybe"}).status_code == 302
    assert _post(admin, "/admin/users/999999/active", {"active": "0"}).status_code == 404
    assert _post(admin, f"/admin/users/{ent1.id}/password", {"password": "short"}).status_code == 302
    assert _post(admin, "/admin/users/999999/password", {"password": "long-enough-1"}).status_code == 404
    after = _user(engine, "ent1")
    assert after.active is True and after.password_hash == ent1.password_hash


def test_password_reset_replaces_the_password_and_revokes_the_token(app, login, engine) -> None:  # type: ignore[no-untyped-def]
    ent2 = _user(engine, "ent2")
    with Session(engine) as session:
        api_token = tokens.issue_token(session=session, user=session.get(User, ent2.id))  # type: ignore[arg-type]
        session.commit()
    admin = login("admin")
    assert (
        _post(admin, f"/admin/users/{ent2.id}/password", {"password": "new-secret-2026"}).status_code == 302
    )
    assert not _can_log_in(app, "ent2", PASSWORD)
    assert _can_log_in(app, "ent2", "new-secret-2026")
    api = app.test_client().get("/api/v1/orders", headers={"Authorization": f"Bearer {api_token}"})
    assert api.status_code == 401
    with Session(engine) as session:
        entry = session.exec(
            select(AuditLog).where(
                AuditLog.action == "user.password_reset", AuditLog.entity_id == str(ent2.id)
            )
        ).one()
    assert "new-secret-2026" not in str(entry.detail)
    assert _user(engine, "ent2").password_hash.startswith(("scrypt:", "pbkdf2:"))


def test_users_page_offers_the_actions_with_csrf(app, login) -> None:  # type: ignore[no-untyped-def]
    html = login("admin").get("/admin/users").get_data(as_text=True)
    assert "/active" in html and "/password" in html
    assert html.count('name="csrf_token"') >= 3


def test_a_password_reset_ends_the_users_open_sessions(app, login, engine) -> None:  # type: ignore[no-untyped-def]
    ent1 = _user(engine, "ent1")
    enterprise = login("ent1")
    assert enterprise.get("/enterprise/devices").status_code == 200
    _post(login("admin"), f"/admin/users/{ent1.id}/password", {"password": "reset-by-admin-1"})
    assert enterprise.get("/enterprise/devices").status_code == 302  # the old cookie no longer logs in


def _change(client, current: str, new: str, again: str | None = None):  # type: ignore[no-untyped-def]
    token = csrf_from(client.get("/account/password").get_data(as_text=True))
    return client.post(
        "/account/password",
        data={
            "current_password": current,
            "new_password": new,
            "new_password_again": new if again is None else again,
            "csrf_token": token,
        },
    )


def test_users_change_their_own_password_and_other_sessions_end(app, login, engine) -> None:  # type: ignore[no-untyped-def]
    here, elsewhere = login("ent2"), login("ent2")
    response = _change(here, PASSWORD, "my-new-secret-9")
    assert response.status_code == 302
    assert here.get("/enterprise/devices").status_code == 200  # the session that changed it goes on
    assert elsewhere.get("/enterprise/devices").status_code == 302  # the other one is logged out
    assert _can_log_in(app, "ent2", "my-new-secret-9") and not _can_log_in(app, "ent2", PASSWORD)
    with Session(engine) as session:
        entry = session.exec(select(AuditLog).where(AuditLog.action == "user.password_change")).one()
    assert entry.actor == "ent2" and "my-new-secret-9" not in str(entry.detail)


def test_a_wrong_current_password_or_mismatch_changes_nothing(app, login, engine) -> None:  # type: ignore[no-untyped-def]
    before = _user(engine, "ent1").password_hash
    client = login("ent1")
    wrong = _change(client, "not-my-password", "my-new-secret-9")
    assert wrong.status_code == 400 and "当前密码不正确" in wrong.get_data(as_text=True)
    mismatch = _change(client, PASSWORD, "my-new-secret-9", again="my-new-secret-8")
    assert mismatch.status_code == 400 and "不一致" in mismatch.get_data(as_text=True)
    short = _change(client, PASSWORD, "short")
    assert short.status_code == 400
    assert _user(engine, "ent1").password_hash == before
    assert client.get("/enterprise/devices").status_code == 200


def _add_people(engine, first: int, count: int) -> None:  # type: ignore[no-untyped-def]
    from sqlalchemy import insert

    from diagnose.models.base import utcnow

    with Session(engine) as session:
        enterprise_id = _user(engine, "ent1").enterprise_id
        rows = [
            {"username": f"bulk{n:04d}", "password_hash": "x", "full_name": f"批量用户{n:04d}",
             "role": "enterprise", "enterprise_id": enterprise_id, "active": True, "created_at": utcnow()}
            for n in range(first, first + count)
        ]  # fmt: skip
        session.connection().execute(insert(User), rows)
        session.commit()


def test_the_users_page_renders_one_page_of_users_whatever_their_number(app, login, engine) -> None:  # type: ignore[no-untyped-def]
    """With 40 users and with 440, the list page renders 20 of them (as big a page either way); the SQL
    fetches one page, and the search and next page reach the others."""
    from tests.web.counting import statements

    admin = login("admin")
    _add_people(engine, 0, 37)
    small = admin.get("/admin/users").get_data(as_text=True)
    _add_people(engine, 37, 400)
    app_engine = app.extensions["diagnose_engine"]
    with statements(app_engine) as sent:
        big = admin.get("/admin/users").get_data(as_text=True)
    assert small.count("data-user=") == big.count("data-user=") == 20
    assert abs(len(big.encode()) - len(small.encode())) < 2_000  # names differ by a digit or two, no more
    flat = [" ".join(s.split()) for s in sent]
    listing = [s for s in flat if 'FROM "user"' in s or "FROM user " in s]
    assert listing and all(" LIMIT " in s or "count(" in s.lower() or " WHERE " in s for s in listing), (
        listing
    )
    found = admin.get("/admin/users?q=bulk0399").get_data(as_text=True)
    assert found.count("data-user=") == 1 and 'data-user="bulk0399"' in found
    last = admin.get("/admin/users?page=22").get_data(as_text=True)
    assert 0 < last.count("data-user=") <= 20

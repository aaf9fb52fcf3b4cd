"""Sessions that end (server-side version), safe `next`, password rules, lockout, shared login limits."""

from __future__ import annotations

import http.cookiejar
import os
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from datetime import timedelta
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from apps.processes.broker import answers, free_port
from apps.processes.server import effective_workers
from diagnose.models import AuditLog, LoginThrottle, User
from diagnose.models.base import utcnow
from diagnose.services.accounts import accounts, orgs, tokens
from diagnose.settings import Settings
from tests.web.conftest import PASSWORD, csrf_from
from web import create_app


def _cookie(client: FlaskClient) -> str:
    cookie = client.get_cookie("session")
    assert cookie is not None
    return cookie.value


def _with_cookie(app: Flask, value: str) -> FlaskClient:
    client = app.test_client()
    client.set_cookie("session", value)
    return client


def _logged_in(client: FlaskClient) -> bool:
    return client.get("/enterprise/devices").status_code == 200


def _user(engine: Engine, username: str) -> User:
    with Session(engine) as session:
        return session.exec(select(User).where(User.username == username)).one()


def _api(app: Flask, token: str) -> int:
    return app.test_client().get("/api/v1/me", headers={"Authorization": f"Bearer {token}"}).status_code


def _token(engine: Engine, username: str) -> str:
    with Session(engine) as session:
        user = session.exec(select(User).where(User.username == username)).one()
        token = tokens.issue_token(session=session, user=user)
        session.commit()
    return token


def test_a_saved_cookie_dies_with_logout(app: Flask, login, engine: Engine) -> None:  # type: ignore[no-untyped-def]
    client = login("ent1")
    saved = _cookie(client)
    token = _token(engine, "ent1")
    assert _api(app, token) == 200
    csrf = csrf_from(client.get("/enterprise/devices").get_data(as_text=True))
    assert client.post("/logout", data={"csrf_token": csrf}).status_code == 302
    assert not _logged_in(_with_cookie(app, saved))
    assert _api(app, token) == 401
    with Session(engine) as session:
        actions = session.exec(select(AuditLog.action).where(AuditLog.actor == "ent1")).all()
    assert "user.logout" in actions and "user.sessions_end" in actions


def test_an_unchanged_session_is_signed_again_once_a_minute(
    app: Flask, login, monkeypatch: pytest.MonkeyPatch
) -> None:  # type: ignore[no-untyped-def]
    from web import sessions

    client = login("ent1")
    client.get("/enterprise/devices")  # the first page puts its CSRF token in the session
    page = client.get("/enterprise/devices")
    assert page.status_code == 200 and "Set-Cookie" not in page.headers  # nothing changed, signed just now
    assert "Set-Cookie" in client.get("/enterprise/devices?lang=en").headers  # changed: written
    monkeypatch.setattr(sessions, "REFRESH_S", 0)  # the cookie is a minute old: written again, same session
    again = client.get("/enterprise/devices")
    assert "Set-Cookie" in again.headers and "Expires=" in again.headers["Set-Cookie"]
    assert _logged_in(client)


def test_reactivation_does_not_bring_sessions_or_tokens_back(app: Flask, login, engine: Engine) -> None:  # type: ignore[no-untyped-def]
    saved = _cookie(login("ent1"))
    token = _token(engine, "ent1")
    ent1, admin = _user(engine, "ent1"), _user(engine, "admin")
    with Session(engine) as session:
        admin = session.get(User, admin.id)
        for active in (False, True):
            orgs.set_user_active(session=session, actor=admin, user_id=ent1.id, active=active)  # type: ignore[arg-type]
        session.commit()
    assert not _logged_in(_with_cookie(app, saved))
    assert _api(app, token) == 401
    assert _logged_in(login("ent1"))  # a fresh login works again


def test_password_change_and_reset_end_every_older_session(app: Flask, login, engine: Engine) -> None:  # type: ignore[no-untyped-def]
    other = login("ent1")
    current = login("ent1")
    page = current.get("/account/password").get_data(as_text=True)
    response = current.post(
        "/account/password",
        data={
            "csrf_token": csrf_from(page),
            "current_password": PASSWORD,
            "new_password": "Neu-Passwort-2026",
            "new_password_again": "Neu-Passwort-2026",
        },
    )
    assert response.status_code == 302
    assert _logged_in(current) and not _logged_in(other)
    with Session(engine) as session:
        admin = session.exec(select(User).where(User.username == "admin")).one()
        orgs.reset_password(
            session=session, actor=admin, user_id=_user(engine, "ent1").id, password="Reset-by-admin-7"
        )  # type: ignore[arg-type]
        session.commit()
    assert not _logged_in(current)


@pytest.mark.parametrize(
    "target",
    ["/%09/evil.example/path", "//evil.example", "/\\evil.example", "https://evil.example/", "/%0a/evil"],
)
def test_next_accepts_only_a_local_path(app: Flask, target: str) -> None:
    client = app.test_client()
    token = csrf_from(client.get("/login").get_data(as_text=True))
    response = client.post(
        f"/login?next={target}", data={"username": "ent1", "password": PASSWORD, "csrf_token": token}
    )
    assert response.status_code == 302
    location = response.headers["Location"]
    assert location.endswith("/home") and "evil" not in location


def test_next_keeps_a_local_path(app: Flask) -> None:
    client = app.test_client()
    token = csrf_from(client.get("/login").get_data(as_text=True))
    response = client.post(
        "/login?next=/enterprise/devices",
        data={"username": "ent1", "password": PASSWORD, "csrf_token": token},
    )
    assert response.headers["Location"] == "/enterprise/devices"


@pytest.mark.parametrize(
    ("password", "message"),
    [
        ("12345678", "至少 10 位"),
        ("abcdefghijkl", "至少三类"),
        ("P@ssw0rd123", "过于常见"),
        ("Ent1-long-password", "用户名"),
    ],
)
def test_password_rules_in_chinese(password: str, message: str) -> None:
    with pytest.raises(accounts.PasswordRejected, match=message):
        accounts.check_password(password, username="ent1")


LOCKED = "该用户名从您的地址登录失败次数过多"


def test_lockout_after_repeated_failures_unlocked_by_time_or_admin(
    app: Flask, engine: Engine, db_settings: Settings
) -> None:
    app = create_app(db_settings.model_copy(update={"login_rate_limit": "100 per minute"}), {"TESTING": True})

    def attempt(password: str, address: str = "10.0.0.1") -> tuple[int, str]:
        client = app.test_client()
        token = csrf_from(client.get("/login").get_data(as_text=True))
        response = client.post(
            "/login",
            data={"username": "ent2", "password": password, "csrf_token": token},
            environ_base={"REMOTE_ADDR": address},
        )
        return response.status_code, response.get_data(as_text=True)

    for _ in range(db_settings.login_max_failures):
        assert attempt("wrong-password-1")[0] == 401
    status, html = attempt(PASSWORD)  # the right password, but the name is locked from this address
    assert status == 401 and LOCKED in html
    # Failures from 10.0.0.1 do not lock the owner out from elsewhere (no denial of service).
    assert attempt(PASSWORD, "10.0.0.2")[0] == 302
    with Session(engine) as session:
        failures = session.exec(select(AuditLog).where(AuditLog.action == "user.login_failed")).all()
        assert len(failures) == db_settings.login_max_failures + 1
        assert {f.detail["username"] for f in failures} == {"ent2"}  # type: ignore[index]
        assert {f.detail["address"] for f in failures} == {"10.0.0.1"}  # type: ignore[index]
        assert [f.detail["reason"] for f in failures][-2:] == ["wrong password; locked", "locked"]  # type: ignore[index]
        throttle = session.exec(select(LoginThrottle).where(LoginThrottle.username == "ent2")).one()
        throttle.locked_until = utcnow() - timedelta(seconds=1)  # the lockout ran out
        session.add(throttle)
        session.commit()
    assert attempt(PASSWORD)[0] == 302
    for _ in range(db_settings.login_max_failures):
        attempt("wrong-password-1")
    assert LOCKED in attempt(PASSWORD)[1]
    with Session(engine) as session:
        admin = session.exec(select(User).where(User.username == "admin")).one()
        accounts.unlock(session=session, actor=admin, user=_user(engine, "ent2"))
        session.commit()
        assert session.exec(select(AuditLog).where(AuditLog.action == "user.unlock")).all()
    assert attempt(PASSWORD)[0] == 302


def test_unknown_wrong_and_locked_answer_alike(
    app: Flask, engine: Engine, db_settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    """No enumeration: a name that does not exist gets the same answers, locked included, and every attempt
    checks exactly one password hash (the same work, so the same timing shape)."""
    app = create_app(db_settings.model_copy(update={"login_rate_limit": "100 per minute"}), {"TESTING": True})
    checked: list[str] = []
    real = accounts.check_password_hash
    monkeypatch.setattr(accounts, "check_password_hash", lambda h, p: checked.append(h[:6]) or real(h, p))

    def answers(username: str) -> list[tuple[int, str]]:
        seen = []
        for _ in range(db_settings.login_max_failures + 1):
            client = app.test_client()
            token = csrf_from(client.get("/login").get_data(as_text=True))
            response = client.post(
                "/login", data={"username": username, "password": "Wrong-Guess-123", "csrf_token": token}
            )
            html = response.get_data(as_text=True)
            message = (
                LOCKED
                if LOCKED in html
                else ("用户名或密码错误" if "用户名或密码错误" in html else html[:200])
            )
            seen.append((response.status_code, message))
        return seen

    known, unknown = answers("ent1"), answers("nobody-here")
    assert known == unknown
    assert known[-1] == (401, LOCKED) and known[0] == (401, "用户名或密码错误")
    assert len(checked) == 2 * (db_settings.login_max_failures + 1)  # one hash per attempt, locked ones too
    assert {c[:6] for c in checked} == {"scrypt"}


def test_common_and_guessable_passwords_are_refused() -> None:
    for weak in ("Password123!", "Qwerty12345!", "Admin@123456!", "Welcome@2024", "Football123!"):
        with pytest.raises(accounts.PasswordRejected):
            accounts.check_password(weak, username="ent1")
    accounts.check_password("Quiet-Otter-4471", username="ent1")


def test_memory_limits_are_not_multiplied_by_workers(db_settings: Settings) -> None:
    assert effective_workers(db_settings.model_copy(update={"web_workers": 4})) == 1
    shared = db_settings.model_copy(
        update={"web_workers": 4, "ratelimit_storage_url": "redis://127.0.0.1:6379/13"}
    )
    assert effective_workers(shared) == 4


# Starts `diagnose serve` (gunicorn, two workers importing the app) and a Redis: 3.4 s alone at load 1.5,
# 8 to 14 s in the fast run's three workers.
@pytest.mark.slow
def test_two_gunicorn_workers_share_the_login_limit_in_redis(
    engine: Engine, db_settings: Settings, tmp_path: Path, redis_url: str
) -> None:
    redis = pytest.importorskip("redis")
    client = redis.Redis.from_url(redis_url)
    assert not list(client.scan_iter("LIMITS*"))  # a Redis of this test's own: no other test's counts
    port = free_port()
    env = dict(os.environ) | {
        "DIAGNOSE_DATABASE_URL": db_settings.effective_database_url,
        "DIAGNOSE_VAR_DIR": str(tmp_path),
        "DIAGNOSE_WEB_PORT": str(port),
        "DIAGNOSE_WEB_WORKERS": "2",
        "DIAGNOSE_RATELIMIT_STORAGE_URL": redis_url,
        "DIAGNOSE_LOGIN_RATE_LIMIT": "3 per minute",
        "DIAGNOSE_SECRET_KEY": "test-secret",
    }
    server = subprocess.Popen([sys.executable, "-m", "apps", "serve"], env=env, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 30
        while not answers("127.0.0.1", port, 0.2):
            assert time.monotonic() < deadline and server.poll() is None, "serve did not start"
            time.sleep(0.1)
        opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))
        base = f"http://127.0.0.1:{port}/login"
        csrf = csrf_from(opener.open(base, timeout=10).read().decode())
        codes = []
        for _ in range(6):  # each on a new connection: gunicorn spreads them over both workers
            form = urllib.parse.urlencode({"username": "x", "password": "y", "csrf_token": csrf}).encode()
            try:
                codes.append(opener.open(urllib.request.Request(base, data=form), timeout=10).status)
            except urllib.error.HTTPError as exc:
                codes.append(exc.code)
        assert codes == [401, 401, 401, 429, 429, 429]
    finally:
        server.terminate()
        server.wait(15)
        client.close()


@pytest.mark.slow  # a minute by design: tries straddle the end of a one-minute window
def test_the_login_limit_is_a_sliding_window_shared_by_two_gunicorn_workers(
    engine: Engine, db_settings: Settings, tmp_path: Path, redis_url: str
) -> None:
    """14 tries straddling the end of a fixed window: 1 at t0, 6 at t0+50 s, 7 at t0+61 s. A fixed window of
    10 per minute (counted from its first hit, as limits' fixed window in Redis does) starts afresh at t0+60 and
    lets all 14 through; the moving window counts the 6 of t0+50 with the 7 of t0+61 and refuses the last 3."""
    pytest.importorskip("redis")
    port = free_port()
    env = dict(os.environ) | {
        "DIAGNOSE_DATABASE_URL": db_settings.effective_database_url,
        "DIAGNOSE_VAR_DIR": str(tmp_path),
        "DIAGNOSE_WEB_PORT": str(port),
        "DIAGNOSE_WEB_WORKERS": "2",
        "DIAGNOSE_RATELIMIT_STORAGE_URL": redis_url,
        "DIAGNOSE_LOGIN_RATE_LIMIT": "10 per minute",
        "DIAGNOSE_SECRET_KEY": "test-secret",
    }
    server = subprocess.Popen([sys.executable, "-m", "apps", "serve"], env=env, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 30
        while not answers("127.0.0.1", port, 0.2):
            assert time.monotonic() < deadline and server.poll() is None, "serve did not start"
            time.sleep(0.1)
        opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))
        base = f"http://127.0.0.1:{port}/login"
        csrf = csrf_from(opener.open(base, timeout=10).read().decode())
        codes: list[int] = []

        def tries(n: int) -> None:
            for _ in range(n):  # each on a new connection: gunicorn spreads them over both workers
                name = f"stranger-{len(codes)}"  # a name of its own: the per-name lock stays out of the way
                form = urllib.parse.urlencode(
                    {"username": name, "password": "y", "csrf_token": csrf}
                ).encode()
                try:
                    codes.append(opener.open(urllib.request.Request(base, data=form), timeout=30).status)
                except urllib.error.HTTPError as exc:
                    codes.append(exc.code)

        t0 = time.monotonic()
        tries(1)
        time.sleep(max(0.0, t0 + 50 - time.monotonic()))
        tries(6)
        time.sleep(max(0.0, t0 + 61 - time.monotonic()))
        tries(7)
        assert codes == [401] * 11 + [429] * 3
    finally:
        server.terminate()
        server.wait(15)


def test_old_failure_counts_are_forgotten_by_the_jobs(engine: Engine, db_settings: Settings) -> None:
    from apps.processes import jobs

    now = utcnow()
    with Session(engine) as session:
        for name, locked_until, updated_at in (
            ("stale", None, now - timedelta(days=2)),
            ("ended-lock", now - timedelta(days=1, minutes=1), now - timedelta(days=2)),
            ("recent", None, now - timedelta(minutes=5)),
            ("locked", now + timedelta(minutes=5), now - timedelta(minutes=25)),
        ):
            session.add(
                LoginThrottle(
                    username=name,
                    source="10.0.0.9",
                    failures=1,
                    locked_until=locked_until,
                    updated_at=updated_at,
                )
            )
        session.commit()
    assert jobs.prune_login_throttle(engine, db_settings) == 2
    with Session(engine) as session:
        assert sorted(session.exec(select(LoginThrottle.username)).all()) == ["locked", "recent"]
        assert accounts.locks(session=session, usernames=["locked", "recent"]) == {
            "locked": now + timedelta(minutes=5)
        }

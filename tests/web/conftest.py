"""Web fixtures: an app on a migrated database with two enterprises, and a logged-in client helper."""

from __future__ import annotations

import re
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy.engine import Engine
from sqlmodel import Session

from diagnose.models import Role, User
from diagnose.settings import Settings
from tests import factories
from web import create_app
from web.auth import session_credential
from web.db import get_session

PASSWORD = "correct-horse-9"


@pytest.fixture
def app(db_settings: Settings, engine: Engine) -> Flask:
    with Session(engine) as session:
        factories.regions(session)
        for serial, name in ((1, "常州恒锐精密机械有限公司"), (2, "武进天宇电机有限公司")):
            enterprise = factories.enterprise(session, serial=serial, name=name)
            factories.user(session, f"ent{serial}", Role.enterprise, enterprise.id, password=PASSWORD)
            factories.device(session, enterprise.id, f"D0{serial}", name=f"CNC {serial}号", kind="CNC")
        factories.user(session, "admin", Role.admin, password=PASSWORD)
        session.commit()
    return create_app(db_settings, {"TESTING": True})


def csrf_from(html: str) -> str:
    match = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert match, "page has no CSRF token"
    return match.group(1)


@pytest.fixture
def login(app: Flask) -> Callable[[str], FlaskClient]:
    def _login(username: str) -> FlaskClient:
        client = app.test_client()
        token = csrf_from(client.get("/login").get_data(as_text=True))
        response = client.post(
            "/login", data={"username": username, "password": PASSWORD, "csrf_token": token}
        )
        assert response.status_code == 302, response.get_data(as_text=True)
        return client

    return _login


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory, world_copies):  # type: ignore[no-untyped-def]
    """The demo world, a copy of its own for each test module."""
    return world_copies.copy(tmp_path_factory.mktemp("world"))


def client_as(app: Flask, world, role: str) -> FlaskClient:  # type: ignore[no-untyped-def]
    """A UI client logged in as the world's actor for `role` ('anon' for nobody)."""
    client = app.test_client()
    if role != "anon":
        log_in_as(app, client, world.user_ids[role])
    return client


def log_in_as(app: Flask, client: FlaskClient, user_id: int) -> None:
    """Put a logged-in session for this user into the client's cookie, as the login page would."""
    with app.app_context():
        user = get_session().get(User, user_id)
        assert user is not None
        credential = session_credential(user)
    with client.session_transaction() as session:
        session["user_id"] = user_id
        session["credential"] = credential
        session.permanent = True


WORLD_CONFIG = {"TESTING": True, "WTF_CSRF_ENABLED": False, "RATELIMIT_ENABLED": False}


@pytest.fixture
def world_app(world, tmp_path: Path) -> Flask:  # type: ignore[no-untyped-def]
    """An app on a private copy of the world's database (writes never leak into other tests), forms without
    CSRF tokens."""
    copy = tmp_path / "copy.db"
    shutil.copyfile(world.db_path, copy)
    return create_app(world.settings(copy), WORLD_CONFIG)

"""Issue #12 in headless Chromium: a saved cookie dies with logout, a hostile `next` stays home, a bad
device id is refused in Chinese, the credentials page shows no platform password, lockout in Chinese."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlmodel import Session, select

from apps.demo.sample_data import DEMO_PASSWORD
from diagnose.db import make_engine
from diagnose.models import DiagnosisOrder, LoginThrottle
from tests.e2e.serving import Served
from tests.e2e.test_diagnosis_walkthrough import browser  # noqa: F401  (the Chromium fixture)
from tests.web import world as world_module
from web import create_app

pytestmark = [pytest.mark.browser, pytest.mark.slow]


@pytest.fixture(scope="module")
def served(
    tmp_path_factory: pytest.TempPathFactory, world_copies: world_module.WorldCopies
) -> Iterator[tuple[str, world_module.World]]:
    world = world_copies.copy(tmp_path_factory.mktemp("e2e-security"))
    settings = world.settings().model_copy(
        update={"mqtt_url": "mqtt://diagnose-collector-1:TopSecret-9@10.0.0.5:1883"}
    )
    app = create_app(settings, {"RATELIMIT_ENABLED": False})
    httpd = Served(app)
    yield httpd.url, world
    httpd.stop()


def _login(chromium, server: str, username: str, password: str = DEMO_PASSWORD, next_path: str = ""):  # type: ignore[no-untyped-def]
    context = chromium.new_context(locale="zh-CN")
    page = context.new_page()
    page.goto(f"{server}/login" + (f"?next={next_path}" if next_path else ""))
    page.fill('input[name="username"]', username)
    page.fill('input[name="password"]', password)
    page.click('button[type="submit"]')
    page.wait_for_load_state()
    return context, page


def test_saved_cookie_dies_with_logout_and_next_stays_local(browser, served) -> None:  # type: ignore[no-untyped-def]  # noqa: F811
    server, _world = served
    context, page = _login(browser, server, "ent4", next_path="/%09/evil.example/path")
    assert page.url.startswith(server) and "evil" not in page.url
    saved = context.cookies()
    page.click("form[action='/logout'] button")
    page.wait_for_load_state()
    thief = browser.new_context(locale="zh-CN")
    thief.add_cookies(saved)
    stolen = thief.new_page()
    stolen.goto(f"{server}/home")
    assert "/login" in stolen.url
    context.close()
    thief.close()


def test_provider_pages_refuse_bad_ids_in_chinese_and_hide_the_broker_password(browser, served) -> None:  # type: ignore[no-untyped-def]  # noqa: F811
    server, world = served
    context, page = _login(browser, server, "provider2")
    page.goto(f"{server}/provider/orders/{world.order_id}/devices")
    assert "TopSecret-9" not in page.content() and "mqtt://10.0.0.5:1883" in page.content()
    page.fill('input[name="external_id"]', "D 01")
    page.locator("form[action$='/devices'] button[type=submit]").last.click()
    page.wait_for_load_state()
    assert "设备编号须为 1–64 位字母、数字或 _ . : -" in page.content()
    page.locator(f"form[action$='/devices/{world.device_id}/credentials'] button").click()
    page.wait_for_load_state()
    assert page.locator("#mqtt-password").inner_text().strip()
    assert "TopSecret-9" not in page.content()
    context.close()


def test_lockout_message_in_chinese(browser, served) -> None:  # type: ignore[no-untyped-def]  # noqa: F811
    server, world = served
    for _ in range(5):
        context, page = _login(browser, server, "ent1", password="wrong-password-9")
        context.close()
    context, page = _login(browser, server, "ent1")
    assert "该用户名从您的地址登录失败次数过多" in page.content()
    context.close()
    engine = make_engine(url=f"sqlite:///{world.db_path}")
    with Session(engine) as session:
        throttle = session.exec(select(LoginThrottle).where(LoginThrottle.username == "ent1")).one()
        assert throttle.locked_until is not None and throttle.source == "127.0.0.1"
        assert session.get(DiagnosisOrder, world.order_id) is not None
    engine.dispose()

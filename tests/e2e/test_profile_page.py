"""The payload-profile page in headless Chromium at 390 px (a phone): the plant's engineer pastes a Neuron
message, tries it, sees its readings, saves the choice; nothing sticks out of the screen."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest

from tests.e2e import test_screens_walkthrough as screens
from tests.e2e.serving import Served
from tests.e2e.test_screens_walkthrough import PHONE, login, overflow, shot
from tests.web import world as world_module
from web import create_app

pytestmark = [pytest.mark.browser, pytest.mark.slow]
browser = screens.browser  # the headless Chromium fixture of the screens walkthrough
SAMPLE = {
    "timestamp": 1764921600000,
    "node": "CNC-01",
    "group": "line1",
    "values": {"state": 2, "count_total": 1500, "count_good": "1490", "spindle_rpm": "3000"},
    "errors": {"temp_c": 2014},
}


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory, world_copies: world_module.WorldCopies) -> Iterator[str]:
    built = world_copies.copy(tmp_path_factory.mktemp("profiles"))
    app = create_app(built.settings(), {"RATELIMIT_ENABLED": False})
    httpd = Served(app)
    yield httpd.url
    httpd.stop()


def test_a_plant_engineer_tries_and_saves_a_profile_on_a_phone(browser, server: str) -> None:  # type: ignore[no-untyped-def]
    page = login(browser, server, world_module.ACTORS["enterprise"], PHONE)
    page.goto(f"{server}/enterprise/profiles")
    assert page.locator("h1").inner_text().startswith("数据解析配置")
    page.fill('input[name="source"]', "neuron-gw1")
    page.select_option('select[name="profile"]', "neuron-values")
    page.fill('textarea[name="sample"]', json.dumps(SAMPLE))
    page.click('button[value="preview"]')
    page.wait_for_load_state()
    preview = page.locator("#profile-preview").inner_text()
    assert "CNC-01" in preview and "count_good = 1490" in preview and "spindle_rpm = 3000" in preview
    assert "RUN" in preview
    width, viewport, sticking_out = overflow(page)
    assert width <= viewport, sticking_out
    shot(page, "profiles-preview")
    page.click('button[value="save"]')
    page.wait_for_load_state()
    assert "neuron-values" in page.locator("#profile-choices").inner_text()
    width, viewport, sticking_out = overflow(page)
    assert width <= viewport, sticking_out

"""The browsable API page in headless Chromium: it renders every operation from the vendored Swagger UI, under
the app's CSP, without a single request leaving the server (it works offline)."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.e2e.serving import Served
from tests.web import world as world_module
from web import create_app

pytestmark = [pytest.mark.browser]
CHROMIUM = Path("/usr/bin/chromium")


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory, world_copies: world_module.WorldCopies) -> Iterator[str]:
    world = world_copies.copy(tmp_path_factory.mktemp("docs"))
    app = create_app(world.settings(), {"RATELIMIT_ENABLED": False})
    httpd = Served(app)
    yield httpd.url
    httpd.stop()


def test_docs_page_renders_every_operation_offline_under_the_csp(server: str) -> None:
    if not CHROMIUM.exists() and not shutil.which("chromium"):
        pytest.skip("chromium is not installed")
    from playwright.sync_api import sync_playwright

    foreign: list[str] = []
    problems: list[str] = []
    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=str(CHROMIUM), args=["--no-sandbox", "--disable-background-networking"]
        )
        page = browser.new_page()

        def only_local(route) -> None:  # type: ignore[no-untyped-def]
            if route.request.url.startswith(server):
                route.continue_()
            else:
                foreign.append(route.request.url)
                route.abort()

        page.route("**/*", only_local)
        page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: problems.append(str(e)))
        page.goto(f"{server}/api/v1/docs")
        page.locator(".opblock").first.wait_for(timeout=30_000)
        shown = page.locator(".opblock").count()
        spec = page.request.get(f"{server}/api/v1/openapi.json").json()
        browser.close()
    operations = sum(len(ops) for ops in spec["paths"].values())
    assert shown == operations
    assert foreign == []
    assert [m for m in problems if "Content Security Policy" in m or "Refused" in m] == []

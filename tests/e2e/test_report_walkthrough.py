"""The consultant's report, in headless Chromium at 1280 and 390 px: preview the draft after scoring, resolve a
contradiction, submit, issue (issue #23)."""

from __future__ import annotations

import shutil
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import text

from apps.demo.sample_data import DEMO_PASSWORD
from apps.processes import jobs
from diagnose.db import make_engine
from tests.e2e.serving import Served
from tests.e2e.shots import ARTIFACTS, capture
from tests.web import world as world_module
from web import create_app

pytestmark = [pytest.mark.browser, pytest.mark.slow]
CHROMIUM = Path("/usr/bin/chromium")
REASON = "部分联网设备只上传报警信号，生产数据未实时传输至管理系统，现场查看系统日志核实，自评属实。"


@pytest.fixture(params=[1280, 390], ids=["1280px", "390px"])
def walk(
    request: pytest.FixtureRequest,
    tmp_path_factory: pytest.TempPathFactory,
    world_copies: world_module.WorldCopies,
) -> Iterator[tuple[str, int]]:
    """The app on its own copy of the demo data (each width walks the same on-site order), served by werkzeug
    in a thread, with the jobs process's report renderer beside it."""
    world = world_copies.copy(tmp_path_factory.mktemp("e2e-report"))
    settings = world.settings()
    # The test world's consultant decided the on-site order's contradiction already; this walk decides it.
    seeded = make_engine(settings)
    with seeded.begin() as connection:
        connection.execute(text("DELETE FROM contradictiondecision"))
    seeded.dispose()
    app = create_app(settings, {"RATELIMIT_ENABLED": False})
    httpd = Served(app)
    stop = threading.Event()
    engine = make_engine(settings)

    def render_queued_reports() -> None:
        while not stop.wait(0.5):
            jobs.render_reports(engine, settings)

    renderer = threading.Thread(target=render_queued_reports, daemon=True)
    renderer.start()
    yield httpd.url, request.param
    stop.set()
    renderer.join()
    engine.dispose()
    httpd.stop()


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    if not CHROMIUM.exists() and not shutil.which("chromium"):
        pytest.skip("chromium is not installed")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        instance = p.chromium.launch(
            executable_path=str(CHROMIUM), args=["--no-sandbox", "--disable-background-networking"]
        )
        yield instance
        instance.close()


def _within_width(page, selector: str, width: int) -> None:  # type: ignore[no-untyped-def]
    box = page.locator(selector).first.bounding_box()
    assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= width + 1, (selector, box)


def test_consultant_previews_resolves_submits_and_issues(walk: tuple[str, int], browser) -> None:  # type: ignore[no-untyped-def]
    server, width = walk
    context = browser.new_context(viewport={"width": width, "height": 900}, locale="zh-CN")
    page = context.new_page()
    page.goto(f"{server}/login")
    page.fill('input[name="username"]', "provider2")  # provider2 delivers the demo's on-site order
    page.fill('input[name="password"]', DEMO_PASSWORD)
    page.click('button[type="submit"]')
    page.wait_for_load_state()
    page.goto(f"{server}/orders?status=on_site")
    page.click("#orders tbody a")
    page.wait_for_load_state()
    order_url = page.url.split("?")[0].rstrip("/")
    page.click("text=评估问卷")
    page.wait_for_load_state()
    page.click("#run-scoring")
    page.wait_for_url("**/result")

    # The draft: the report as it will be issued, watermarked, with the contradiction to decide.
    page.goto(f"{order_url}/report")
    assert page.text_content(".report .watermark") == "草稿" and page.locator(".report.draft").count() == 1
    assert "1 诊断摘要" in page.inner_text(".report") and "待诊断人员核对" in page.inner_text("#checks")
    item = page.locator("#contradictions li.decision-item").first
    assert "NW-L3-01" in item.inner_text() and "部分满足" in item.inner_text()
    capture(page, ARTIFACTS / f"report-{width}-01-draft.png", full_page=False)

    # Submitting waits for the decision.
    page.goto(order_url)
    page.click("form.action-submit button[type=submit]")
    page.wait_for_load_state()
    assert "核对" in page.inner_text(".flash") and "NW-L3-01" in page.inner_text(".flash")
    assert "现场诊断中" in page.inner_text("#order-status")

    # Keep the self-rating: a reason is required, then the decision is recorded.
    page.goto(f"{order_url}/report#contradictions")
    item = page.locator("#contradictions li.decision-item").first
    item.locator('input[name="decision"][value="kept"]').check()
    item.locator('textarea[name="reason"]').fill(REASON)
    _within_width(page, "#contradictions li.decision-item button[type=submit]", width)
    capture(page, ARTIFACTS / f"report-{width}-02-decide.png", full_page=False)
    item.locator("button[type=submit]").click()
    page.wait_for_load_state()
    assert "所有不一致项均已核对" in page.inner_text(".flash")
    assert "保留自评" in page.inner_text("#checks") and REASON in page.inner_text("#checks")

    page.goto(order_url)
    page.click("form.action-submit button[type=submit]")
    page.wait_for_load_state()
    assert "已提交" in page.inner_text("#order-status")

    # Issue: queued, rendered by the jobs process; the page shows the version and its downloads.
    page.goto(f"{order_url}/report")
    page.click("form[data-busy] button[type=submit]")
    page.locator('a[href$="/report/v1.pdf"]').wait_for(timeout=120000)
    # The page reloads when the job is done and renders the issued report: seconds each on a loaded machine.
    page.wait_for_load_state()
    page.locator("#checks").wait_for(timeout=120000)
    assert page.locator(".report .watermark").count() == 0
    assert "保留自评" in page.inner_text("#checks")
    _within_width(page, 'a[href$="/report/v1.pdf"]', width)
    capture(page, ARTIFACTS / f"report-{width}-03-issued.png", full_page=False)
    context.close()

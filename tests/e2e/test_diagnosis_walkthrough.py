"""One diagnosis in headless Chromium: bureau orders, provider fills and submits, enterprise confirms, bureau accepts."""

from __future__ import annotations

import shutil
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from apps.demo.sample_data import DEMO_PASSWORD
from apps.processes import jobs
from diagnose.db import make_engine
from tests.e2e.serving import Served
from tests.e2e.shots import ARTIFACTS, capture
from tests.web import world as world_module
from web import create_app

pytestmark = [pytest.mark.browser, pytest.mark.slow]
CHROMIUM = Path("/usr/bin/chromium")
ENTERPRISE = "常州市新瑞汽车零部件有限公司"  # ent3, in Wujin
PROVIDER = "江苏智造云联信息技术有限公司"  # provider1, in wujin's pool


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory, world_copies: world_module.WorldCopies) -> Iterator[str]:
    """The app on a migrated temp database with the demo data, served by werkzeug in a thread."""
    world = world_copies.copy(tmp_path_factory.mktemp("e2e"))
    settings = world.settings()
    app = create_app(settings, {"RATELIMIT_ENABLED": False})
    httpd = Served(app)
    # The jobs process renders queued reports: run its job beside the server, as `diagnose jobs` would.
    stop = threading.Event()
    engine = make_engine(settings)

    def render_queued_reports() -> None:
        while not stop.wait(0.5):
            jobs.render_reports(engine, settings)

    renderer = threading.Thread(target=render_queued_reports, daemon=True)
    renderer.start()
    yield httpd.url
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


def login(browser, server: str, username: str):  # type: ignore[no-untyped-def]
    """A fresh browser context logged in as `username`; returns its page."""
    page = browser.new_context(viewport={"width": 1280, "height": 900}, locale="zh-CN").new_page()
    page.goto(f"{server}/login")
    page.fill('input[name="username"]', username)
    page.fill('input[name="password"]', DEMO_PASSWORD)
    page.click('button[type="submit"]')
    page.wait_for_load_state()
    return page


def shot(page, name: str) -> None:  # type: ignore[no-untyped-def]
    capture(page, ARTIFACTS / f"{name}.png", full_page=name not in ("04-questionnaire",))


def act(page, action: str) -> None:  # type: ignore[no-untyped-def]
    page.click(f"form.action-{action} button[type=submit]")
    page.wait_for_load_state()
    assert "已完成" in page.inner_text(".flash"), page.inner_text("main")


def test_one_diagnosis_end_to_end(server: str, browser) -> None:  # type: ignore[no-untyped-def]
    bureau = login(browser, server, "wujin")
    shot(bureau, "01-bureau-dashboard")
    bureau.goto(f"{server}/bureau/orders/new")
    bureau.select_option('select[name="enterprise_id"]', label=ENTERPRISE)
    bureau.select_option('select[name="kind"]', "factory")
    bureau.fill('input[name="fee_yuan"]', "150000")
    shot(bureau, "02-new-order")
    bureau.click("#new-order button[type=submit]")
    bureau.wait_for_load_state()
    order_url = bureau.url
    assert "/orders/" in order_url and "已创建" in bureau.inner_text("#order-status")
    bureau.select_option('form.action-assign select[name="provider_id"]', label=PROVIDER)
    act(bureau, "assign")
    assert "已派单" in bureau.inner_text("#order-status")

    provider = login(browser, server, "provider1")
    provider.goto(order_url)
    # The team is named before the visit is scheduled: the provider's project lead and a consultant.
    assert provider.locator("#staff-needed").count() == 1
    provider.select_option('#staff-form select[name="lead_id"]', label="王海涛（项目经理）")
    provider.locator("#staff-form label.check", has_text="李静").locator("input").check()
    provider.click("#staff-form button[type=submit]")
    provider.wait_for_load_state()
    assert "王海涛" in provider.inner_text("#staff-lead") and "李静" in provider.inner_text("#staff-members")
    act(provider, "schedule")
    act(provider, "start_visit")
    assert "现场诊断中" in provider.inner_text("#order-status")
    provider.click("text=评估问卷")
    provider.wait_for_load_state()
    with provider.expect_navigation():
        provider.click("#q-start")  # the questionnaire's overview leads to its first sub-domain
    filled = 0
    while filled < 8:  # a sub-domain a page: answer, then on to the next sub-domain
        provider.locator("#q-pager").wait_for()  # after the page's requirements
        boxes = provider.locator(".req")
        here = min(boxes.count(), 8 - filled)
        for i in range(here):
            box = boxes.nth(i)
            box.locator('select[name="rating"]').select_option("1" if filled + i < 5 else "0.5")
            box.locator('textarea[name="evidence_note"]').fill(f"现场核查记录 {filled + i + 1}")
        provider.locator('#save-state[data-state="saved"]').wait_for()
        provider.locator('.req-state:text("✓")').nth(here - 1).wait_for()  # acknowledged by the server
        assert provider.inner_text("#save-state") == "已保存"
        filled += here
        if filled == 8:
            shot(provider, "04-questionnaire")
        else:
            with provider.expect_navigation():
                provider.click('#q-pager a[rel="next"]')
    assert provider.inner_text("#q-answered") == "8"
    provider.goto(provider.url.split("?")[0])  # the overview runs the scoring
    provider.click("#run-scoring")
    provider.wait_for_url("**/result")
    assert provider.inner_text("#result-level").strip().isdigit()
    provider.wait_for_timeout(500)  # let the charts draw before the screenshot
    shot(provider, "05-result")
    provider.goto(order_url)
    act(provider, "submit")
    assert "已提交" in provider.inner_text("#order-status")

    enterprise = login(browser, server, "ent3")
    enterprise.goto(order_url)
    act(enterprise, "confirm")
    enterprise.select_option('form.action-rate select[name="rating"]', "5")
    enterprise.fill('form.action-rate textarea[name="comment"]', "诊断专业，建议具体可行。")
    act(enterprise, "rate")
    shot(enterprise, "06-enterprise-confirmed")

    bureau.goto(order_url)
    act(bureau, "accept")
    assert "已验收" in bureau.inner_text("#order-status")
    shot(bureau, "07-accepted")
    timeline = bureau.inner_text("#timeline")
    for step in (
        "创建订单",
        "派单给服务商",
        "预约上门",
        "开始现场诊断",
        "提交诊断",
        "确认已完成现场诊断",
        "验收通过",
    ):
        assert step in timeline

    # The bureau issues the report: a long action, so the form shows progress and cannot be sent twice.
    bureau.goto(order_url.split("?")[0].rstrip("/") + "/report")
    button = bureau.locator('form[data-busy] button[type="submit"]')
    # Hold the submission in the page (a listener added after the app's own) to look at the busy state.
    bureau.evaluate(
        "document.querySelector('form[data-busy]').addEventListener('submit', e => e.preventDefault())"
    )
    button.click()
    assert "正在提交报告生成任务" in bureau.inner_text("form[data-busy] .busy-note")
    assert button.is_disabled() and bureau.locator("form[data-busy] progress").count() == 1
    with bureau.expect_navigation(timeout=60000):
        bureau.evaluate("document.querySelector('form[data-busy]').submit()")
    # Queued for the jobs process; the page refreshes itself until the version is there.
    bureau.locator('a[href$="/report/v1.pdf"]').wait_for(timeout=90000)
    shot(bureau, "09-report-issued")
    assert bureau.locator('a[href$="/report/v1.pdf"]').count() == 1


def test_answers_typed_offline_are_kept_and_sent_when_back_online(server: str, browser) -> None:  # type: ignore[no-untyped-def]
    provider = login(browser, server, "provider2")  # provider2 delivers the demo's on-site order
    provider.goto(f"{server}/orders?status=on_site")
    provider.click("#orders tbody a")
    provider.click("text=评估问卷")
    provider.wait_for_load_state()
    with provider.expect_navigation():
        provider.click("#q-start")  # from the overview to a sub-domain's page
    provider.locator("#q-pager").wait_for()
    provider.context.set_offline(True)
    box = provider.locator(".req").nth(3)
    box.locator('textarea[name="evidence_note"]').fill("断网时录入的佐证说明")
    provider.locator('#save-state[data-state="pending"]').wait_for()
    assert "待同步" in provider.inner_text("#save-state")
    shot(provider, "08-offline-pending")
    provider.context.set_offline(False)
    provider.locator('#save-state[data-state="saved"]').wait_for(timeout=15000)
    provider.reload()
    assert (
        provider.locator(".req").nth(3).locator('textarea[name="evidence_note"]').input_value()
        == "断网时录入的佐证说明"
    )

"""The screens of issue #14 in headless Chromium, at desktop width and at 390 px (a phone).

Forms keep what was typed and speak Chinese; branded error pages; destructive actions ask and record a reason;
every provider page fits a phone; the questionnaire shows progress, domains and takes photos; providers review
devices and dead letters; the bureau's charts, pool and audit log; the admin's lists. Screenshots go to
tests/artifacts/ (`screens-*-desktop.png`, `screens-*-390.png`).
"""

from __future__ import annotations

import json
import re
import shutil
import struct
import zlib
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlmodel import Session, select

from apps.demo.sample_data import DEMO_PASSWORD
from collectors.payloads import birth_topic, parse_message, telemetry_topic
from collectors.replay import replay
from collectors.store import Incoming, store_batch
from diagnose.db import make_engine
from diagnose.models import Answer, Device, DiagnosisOrder, Enterprise
from tests.e2e.serving import Served
from tests.e2e.shots import ARTIFACTS, capture
from tests.web import world as world_module
from web import create_app

pytestmark = [pytest.mark.browser, pytest.mark.slow]
CHROMIUM = Path("/usr/bin/chromium")
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 900}


def _plant_messages(uscc: str, known: str) -> list[Incoming]:
    """A new device announcing itself and sending data (pending, so dead-lettered), a birth of a known device
    reporting another kind than the provider entered, and a payload nobody can read."""
    now = datetime.now(UTC).replace(microsecond=0)
    items = []

    def add(topic: str, body: bytes) -> None:
        items.append(Incoming(topic, body, parse_message(topic, body)))

    add(birth_topic(uscc, "NEW-01"), json.dumps({"kind": "注塑机", "model": "HT-200"}).encode())
    for seq in range(1, 4):
        body = {"ts": (now - timedelta(minutes=10 - seq)).isoformat(), "seq": seq, "state": "RUN"}
        add(
            telemetry_topic(uscc, "NEW-01"),
            json.dumps(body | {"count_total": seq, "count_good": seq}).encode(),
        )
    add(birth_topic(uscc, known), json.dumps({"kind": "CNC-MACHINE"}).encode())
    add(telemetry_topic(uscc, known), b"{not json")
    return items


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory, world_copies: world_module.WorldCopies):  # type: ignore[no-untyped-def]
    built = world_copies.copy(tmp_path_factory.mktemp("screens"))
    engine = make_engine(url=f"sqlite:///{built.db_path}")
    with Session(engine) as session:
        order = session.get(DiagnosisOrder, built.order_id)
        enterprise = session.get(Enterprise, order.enterprise_id)  # type: ignore[union-attr]
        known = session.get(Device, built.device_id)
        store_batch(session=session, items=_plant_messages(enterprise.uscc, known.external_id), device_ids={})  # type: ignore[union-attr]
        session.commit()
    engine.dispose()
    return built


@pytest.fixture(scope="module")
def server(world) -> Iterator[str]:  # type: ignore[no-untyped-def]
    app = create_app(world.settings(), {"RATELIMIT_ENABLED": False}, replay=replay)
    httpd = Served(app)
    yield httpd.url
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


def login(browser, server: str, username: str, viewport: dict[str, int] = DESKTOP):  # type: ignore[no-untyped-def]
    page = browser.new_context(viewport=viewport, locale="zh-CN").new_page()
    page.on("dialog", lambda dialog: dialog.accept())
    page.goto(f"{server}/login")
    page.fill('input[name="username"]', username)
    page.fill('input[name="password"]', DEMO_PASSWORD)
    page.click('button[type="submit"]')
    page.wait_for_load_state()
    return page


def shot(page, name: str, full_page: bool = True) -> None:  # type: ignore[no-untyped-def]
    width = "390" if page.viewport_size["width"] <= 400 else "desktop"
    capture(page, ARTIFACTS / f"screens-{name}-{width}.png", full_page=full_page)


def overflow(page) -> tuple[int, int, list[str]]:  # type: ignore[no-untyped-def]
    """(document scroll width, viewport width, the widest elements that stick out)."""
    return page.evaluate(
        """() => {
        const w = window.innerWidth;
        const out = [...document.querySelectorAll('body *')].filter(e => e.getBoundingClientRect().right > w + 1)
          .map(e => e.tagName + '.' + e.className + '#' + e.id).slice(0, 5);
        return [document.documentElement.scrollWidth, w, out];
      }"""
    )


def flash(page) -> str:  # type: ignore[no-untyped-def]
    return " ".join(page.locator(".flash").all_inner_texts())


def tiny_png() -> bytes:
    """A valid 1×1 PNG, as a phone camera would hand over an image."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    ihdr = struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", ihdr)
        + chunk(b"IDAT", zlib.compress(b"\x00\xff\x00\x00"))
        + chunk(b"IEND", b"")
    )


# ---- (3) forms and messages ----------------------------------------------------------------------------


def test_new_order_keeps_what_was_typed_and_the_corrected_submit_uses_it(server: str, browser, world) -> None:  # type: ignore[no-untyped-def]
    bureau = login(browser, server, "wujin")
    bureau.goto(f"{server}/bureau/batches")
    bureau.fill('input[name="name"]', "2026年第二批")
    bureau.fill('input[name="budget_yuan"]', "abc")
    bureau.click("#new-batch button[type=submit]")
    assert "预算" in flash(bureau) and "budget" not in flash(bureau)
    assert bureau.input_value('input[name="name"]') == "2026年第二批"  # kept after the error
    bureau.fill('input[name="budget_yuan"]', "800,000")
    bureau.click("#new-batch button[type=submit]")
    assert "¥800,000.00" in bureau.inner_text("#batches")

    bureau.goto(f"{server}/bureau/orders/new")
    batch_value = bureau.locator('select[name="batch_id"] option', has_text="2026年第二批").get_attribute(
        "value"
    )
    options = bureau.locator('select[name="enterprise_id"] option')
    enterprise_value = options.nth(options.count() - 1).get_attribute("value")
    enterprise_name = options.nth(options.count() - 1).inner_text()
    bureau.select_option('select[name="batch_id"]', batch_value)
    bureau.select_option('select[name="enterprise_id"]', enterprise_value)
    bureau.select_option('select[name="kind"]', "factory")
    bureau.fill('input[name="fee_yuan"]', "300000")
    bureau.fill('input[name="due_date"]', "2026-12-31")
    bureau.click("#new-order button[type=submit]")
    message = flash(bureau)
    assert "诊断服务费" in message and "¥200,000.00" in message, message
    for english in ("fee_fen", "must be", "yuan", ".txt", "种子文件"):
        assert english not in bureau.inner_text("main")
    assert bureau.input_value('select[name="batch_id"]') == batch_value
    assert bureau.input_value('select[name="enterprise_id"]') == enterprise_value
    assert bureau.input_value('input[name="due_date"]') == "2026-12-31"
    assert bureau.input_value('input[name="fee_yuan"]') == "300000"
    shot(bureau, "new-order-error")
    bureau.fill('input[name="fee_yuan"]', "150000")
    bureau.click("#new-order button[type=submit]")
    bureau.wait_for_url(re.compile(r"/orders/\d+$"))
    assert enterprise_name in bureau.inner_text("main")
    order_id = int(bureau.url.rsplit("/", 1)[1])
    engine = make_engine(url=f"sqlite:///{world.db_path}")
    with Session(engine) as session:
        order = session.get(DiagnosisOrder, order_id)
        assert (
            order is not None
            and str(order.batch_id) == batch_value
            and str(order.enterprise_id) == enterprise_value
        )
        assert order.due_date is not None and order.due_date.isoformat() == "2026-12-31"
    engine.dispose()

    # One budget figure everywhere: the new-order list, the batches page and the dashboard agree.
    bureau.goto(f"{server}/bureau/orders/new")
    remaining = re.search(
        r"¥[\d,]+\.\d\d",
        bureau.locator('select[name="batch_id"] option', has_text="2026年第二批").inner_text(),
    )
    assert remaining and remaining.group(0) == "¥650,000.00"
    bureau.goto(f"{server}/bureau/dashboard")
    assert "¥650,000.00" in bureau.inner_text("#batches")

    # Cancelling asks first and needs a reason, which the timeline then shows.
    bureau.goto(f"{server}/orders/{order_id}")
    assert bureau.get_attribute("form.action-cancel", "data-confirm")
    bureau.fill("form.action-cancel textarea[name=reason]", "企业申请延期至明年")
    bureau.click("form.action-cancel button[type=submit]")
    bureau.wait_for_load_state()
    assert "已取消" in bureau.inner_text("#order-status")
    assert "企业申请延期至明年" in bureau.inner_text("#timeline")
    shot(bureau, "order-cancelled")


def test_error_pages_are_branded_with_a_way_back(server: str, browser) -> None:  # type: ignore[no-untyped-def]
    bureau = login(browser, server, "wujin")
    response = bureau.goto(f"{server}/orders/999999")
    assert response.status == 404
    assert (
        "页面不存在" in bureau.inner_text("#error-page")
        and bureau.locator("#error-page a", has_text="首页").count()
    )
    assert bureau.locator('link[rel="icon"]').count() == 1
    shot(bureau, "error-404")
    response = bureau.goto(f"{server}/admin/users")
    assert response.status == 403 and "您无权打开此页面" in bureau.inner_text("#error-page")
    bureau.set_viewport_size(PHONE)
    shot(bureau, "error-403")


def test_confirming_the_visit_is_offered_once(server: str, browser, world) -> None:  # type: ignore[no-untyped-def]
    enterprise = login(browser, server, "ent4")
    enterprise.goto(f"{server}/orders/{world.order_id}")
    assert enterprise.locator("form.action-confirm").count() == 1
    enterprise.click("form.action-confirm button[type=submit]")
    enterprise.wait_for_load_state()
    assert enterprise.locator("form.action-confirm").count() == 0  # done once: no longer offered


# ---- (4) phone first for providers -------------------------------------------------------------------


def test_every_provider_page_fits_a_phone(server: str, browser, world) -> None:  # type: ignore[no-untyped-def]
    provider = login(browser, server, "provider2", PHONE)
    assert provider.locator(".topbar nav").is_hidden()  # the navigation collapses behind a menu button
    provider.click(".nav-toggle-label")
    assert provider.locator(".topbar nav").is_visible()
    shot(provider, "menu-open")
    o = world.order_id
    pages = {
        "orders": "/orders",
        "order": f"/orders/{o}",
        "questionnaire": f"/provider/orders/{o}/questionnaire",
        "devices": f"/provider/orders/{o}/devices",
        "gateways": f"/provider/orders/{o}/gateways",
        "dead-letters": f"/provider/orders/{o}/dead-letters",
        "ledger": f"/provider/orders/{o}/ledger",
        "calendar": f"/provider/orders/{o}/calendar",
        "result": f"/orders/{o}/result",
        "report": f"/orders/{o}/report",
        "token": "/account/token",
        "password": "/account/password",
    }
    wide = {}
    for name, path in pages.items():
        provider.goto(server + path)
        provider.wait_for_load_state("networkidle")
        scroll, inner, culprits = overflow(provider)
        if scroll > inner:
            wide[path] = (scroll, culprits)
        shot(provider, f"provider-{name}")
    assert wide == {}, f"pages wider than the phone: {wide}"


def test_questionnaire_progress_domains_photo_and_busy_retry(server: str, browser, world) -> None:  # type: ignore[no-untyped-def]
    provider = login(browser, server, "provider2", PHONE)
    provider.goto(f"{server}/provider/orders/{world.order_id}/questionnaire")
    total = int(provider.get_attribute("#q-progress", "data-total") or 0)
    assert f"/ {total}" in provider.inner_text("#q-progress") and total > 100
    head = provider.locator("#q-head").bounding_box()
    assert head and head["height"] <= 0.25 * PHONE["height"], head  # the sticky header stays small
    domains = provider.locator("#domain-nav a[data-sub]")  # the jump list: a page per sub-domain
    assert domains.count() > 3
    provider.click("#domain-nav summary")
    domains.nth(2).click()
    provider.wait_for_load_state()
    assert "?sub=" in provider.url and provider.locator("#questionnaire > section").count() == 1

    # The database is busy once: the answer waits, is sent again after Retry-After, and is saved.
    busy = {"left": 1}

    def answers(route):  # type: ignore[no-untyped-def]
        if busy["left"]:
            busy["left"] -= 1
            route.fulfill(status=503, headers={"Retry-After": "1"}, body='{"error": "busy"}')
        else:
            route.continue_()

    provider.route("**/answers", answers)
    unrated = provider.locator('select[name="rating"] option[value=""]:checked')
    box = provider.locator(".req").filter(has=unrated).first
    requirement = box.get_attribute("data-requirement")
    before = int(provider.inner_text("#q-answered"))
    box.locator('select[name="rating"]').select_option("0.8")
    provider.locator('#save-state:has-text("平台繁忙")').wait_for()
    provider.locator(f'.req-state[data-for="{requirement}"]:text("✓")').wait_for(timeout=15000)
    assert busy["left"] == 0
    assert int(provider.inner_text("#q-answered")) == before + 1
    engine = make_engine(url=f"sqlite:///{world.db_path}")
    with Session(engine) as session:
        assert (
            session.exec(select(Answer.rating).where(Answer.requirement_id == requirement)).first() == "0.8"
        )
    engine.dispose()

    # A photo from the phone's camera is attached to this requirement.
    box = provider.locator(f'.req[data-requirement="{requirement}"]')
    photo = box.locator("input.photo-input")
    assert photo.get_attribute("capture") == "environment" and photo.get_attribute("accept") == "image/*"
    with provider.expect_navigation():
        photo.set_input_files({"name": "现场照片.png", "mimeType": "image/png", "buffer": tiny_png()})
    assert "已上传" in flash(provider) or "已附" in flash(provider), flash(provider)
    assert "现场照片.png" in provider.locator(f'.req[data-requirement="{requirement}"] .files').inner_text()
    shot(provider, "questionnaire", full_page=False)  # as the phone shows it: the small sticky header
    provider.set_viewport_size(DESKTOP)
    provider.goto(f"{server}/provider/orders/{world.order_id}/questionnaire?sub=data")
    shot(provider, "questionnaire", full_page=False)


# ---- (5) plant pages ---------------------------------------------------------------------------------


def test_provider_confirms_devices_and_replays_dead_letters(server: str, browser, world) -> None:  # type: ignore[no-untyped-def]
    provider = login(browser, server, "provider2")
    provider.goto(f"{server}/provider/orders/{world.order_id}/devices")
    known = provider.locator(f'tr[data-device-id="{world.device_id}"]')
    assert "CNC-MACHINE" in known.inner_text() and "设备上报" in known.inner_text()  # the birth's kind beside
    assert (
        known.locator("td").nth(3).inner_text().startswith("CNC")
    )  # the kind the provider entered stays first
    assert "1 台设备待确认" in provider.inner_text("#review-form")
    shot(provider, "devices-pending")
    # Live refresh keeps Chinese labels and China time.
    with provider.expect_response(re.compile(r"/devices\.json(\?|$)"), timeout=15000):
        pass
    provider.wait_for_timeout(200)
    for cell in provider.locator(".live-state").all_inner_texts():
        assert cell in ("运行", "待机", "停机", "计划停机", "关机", "未知", "—"), cell
    for cell in provider.locator(".live-seen").all_inner_texts():
        assert cell == "—" or re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d", cell), cell

    provider.check("input[data-select-all]")
    provider.click('#review-form button[value="confirm"]')
    provider.wait_for_load_state()
    message = flash(provider)
    assert "已确认 1 台设备" in message and "新增 3 条读数" in message, message
    assert "启用" in provider.locator('tr[data-device="NEW-01"]').inner_text()

    provider.goto(f"{server}/provider/orders/{world.order_id}/dead-letters")
    reasons = provider.inner_text("#dead-letters")
    assert "报文无法解析" in reasons and "JSON" in reasons and "Expecting" not in reasons, reasons
    shot(provider, "dead-letters")
    provider.click('#replay-form button[name="all"]')
    provider.wait_for_load_state()
    assert "仍有 1 条无法使用" in flash(provider), flash(provider)
    provider.set_viewport_size(PHONE)
    provider.goto(f"{server}/provider/orders/{world.order_id}/devices")
    shot(provider, "devices")


# ---- (6) the bureau's overview -----------------------------------------------------------------------


def test_bureau_charts_pool_and_audit_log(server: str, browser) -> None:  # type: ignore[no-untyped-def]
    bureau = login(browser, server, "wujin")
    # The two maturity charts appear once a diagnosis in the regions is scored; before, a sentence says so.
    charts = 3 if bureau.locator("#levels-empty").count() else 5
    bureau.locator('[data-overview][data-ready="1"]').nth(charts - 1).wait_for()
    assert bureau.locator("[data-overview] canvas").count() == charts
    if charts == 3:
        assert "尚无已评分的诊断" in bureau.inner_text("#levels-empty")
    nav = bureau.inner_text(".topbar nav")
    assert "监管" in nav and "审计日志" in nav
    bureau.wait_for_timeout(600)  # the charts' entry animation
    shot(bureau, "bureau-dashboard")

    bureau.goto(f"{server}/bureau/pool")
    row = bureau.locator("#pool tr", has_text="江苏智造云联信息技术有限公司")
    row.locator("form.pool-change input[name=reason]").fill("年度考核不合格")
    row.locator('form.pool-change button[value="suspend"]').click()
    bureau.wait_for_load_state()
    assert "已暂停" in bureau.locator("#pool tr", has_text="江苏智造云联信息技术有限公司").inner_text()
    shot(bureau, "pool")
    bureau.goto(f"{server}/orders?status=created")
    bureau.click("#orders tbody a")
    assign = bureau.locator('form.action-assign select[name="provider_id"]').inner_text()
    assert "江苏智造云联信息技术有限公司" not in assign  # assignment only from the year's pool

    bureau.goto(f"{server}/bureau/audit-log?action=pool.")
    log = bureau.inner_text("#audit-log")
    assert "暂停资源池资格" in log and "年度考核不合格" in log and "江苏智造云联信息技术有限公司" in log
    shot(bureau, "audit-log")
    bureau.set_viewport_size(PHONE)
    bureau.goto(f"{server}/bureau/dashboard")
    bureau.locator('[data-overview][data-ready="1"]').nth(charts - 1).wait_for()
    assert overflow(bureau)[0] <= PHONE["width"]
    bureau.wait_for_timeout(600)
    shot(bureau, "bureau-dashboard")

    other = login(browser, server, "taicang")
    other.goto(f"{server}/bureau/dashboard")  # Taicang's diagnoses are scored: all five charts
    other.locator('[data-overview][data-ready="1"]').nth(4).wait_for()
    assert (
        other.locator("[data-overview] canvas").count() == 5 and other.locator("#levels-empty").count() == 0
    )
    other.goto(f"{server}/bureau/audit-log?action=pool.")
    assert "年度考核不合格" not in other.inner_text("main")  # scoped to the bureau's own regions


# ---- (7) admin ---------------------------------------------------------------------------------------


def test_admin_picks_from_lists_and_a_wrong_choice_is_a_form_error(server: str, browser) -> None:  # type: ignore[no-untyped-def]
    admin = login(browser, server, "admin")
    admin.goto(f"{server}/admin/users")
    assert admin.input_value('select[name="role"]') == ""  # no default role
    assert admin.locator('select[name="organisation_id"] option', has_text="武进").count() >= 1
    admin.fill('#new-user input[name="username"]', "newuser")
    admin.fill('#new-user input[name="full_name"]', "新同事")
    admin.fill('#new-user input[name="password"]', "a-long-password-1")
    admin.select_option('select[name="role"]', "enterprise")
    bureau_option = admin.locator('select[name="organisation_id"] optgroup').first.locator("option").first
    admin.select_option('select[name="organisation_id"]', bureau_option.get_attribute("value"))
    statuses: list[int] = []
    admin.on("response", lambda r: statuses.append(r.status) if r.request.method == "POST" else None)
    admin.click("#new-user button[type=submit]")
    admin.wait_for_load_state()
    assert statuses == [422], statuses
    assert "所属单位" in flash(admin) and "企业" in flash(admin) and "organisation_id" not in flash(admin)
    assert admin.input_value('#new-user input[name="username"]') == "newuser"
    assert admin.input_value('select[name="role"]') == "enterprise"
    shot(admin, "admin-user-error")
    admin.goto(f"{server}/admin/organisations/enterprises")
    assert "武进区" in admin.locator('select[name="region_code"]').inner_text()
    admin.set_viewport_size(PHONE)
    admin.goto(f"{server}/admin/users")
    shot(admin, "admin-users")


def test_admin_narrows_the_organisations_by_typing(server: str, browser) -> None:  # type: ignore[no-untyped-def]
    """A city has thousands of organisations: typing part of a name keeps only those that match."""
    admin = login(browser, server, "admin", PHONE)
    admin.goto(f"{server}/admin/users")
    options = 'select[name="organisation_id"] option'
    everything = admin.locator(options).count()
    box = admin.locator('#new-user input.select-filter[data-filters="organisation_id"]')
    assert box.is_visible() and box.get_attribute("placeholder") == "输入名称中的几个字筛选"
    box.fill("太仓")
    names = [n for n in admin.locator(options).all_inner_texts() if n]
    assert names and all("太仓" in n for n in names[1:]) and admin.locator(options).count() < everything
    box.fill("新瑞汽车")  # one match: it is chosen
    assert admin.locator(f"{options}:checked").inner_text() == "常州市新瑞汽车零部件有限公司"
    chosen = admin.input_value('select[name="organisation_id"]')
    assert chosen.startswith("enterprise:")
    box.fill("")  # cleared: every organisation again, the choice kept
    assert admin.locator(options).count() == everything
    assert admin.input_value('select[name="organisation_id"]') == chosen
    shot(admin, "admin-users-filter")
    overflow_width, viewport, wide = overflow(admin)
    assert overflow_width <= viewport, wide

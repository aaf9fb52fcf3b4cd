"""Issue #23 in headless Chromium at 1280 px and at 390 px (a phone): the enterprise disputes, then accepts the
issued report; the bureau is told, reviews a flag worded in Chinese and decides it, and reads the provider
subsidy with its export. Screenshots go to tests/artifacts/ (`bureau23-*-desktop.png`, `bureau23-*-390.png`).
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
from sqlmodel import Session

from apps.demo.sample_data import DEMO_PASSWORD
from diagnose import workflow
from diagnose.db import make_engine
from diagnose.models import DiagnosisOrder, IssuedReport, User
from diagnose.services.supervision import supervision_review
from scoring.supervision import DiagnosisRecord, Evidence, load_rules
from scoring.supervision.rules import claims_contradicted
from tests.e2e.serving import Served
from tests.e2e.shots import ARTIFACTS, capture
from tests.web import world as world_module
from web import create_app

pytestmark = [pytest.mark.browser, pytest.mark.slow]
CHROMIUM = Path("/usr/bin/chromium")
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 900}


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory, world_copies: world_module.WorldCopies):  # type: ignore[no-untyped-def]
    """The demo world with its on-site order submitted, report v1 on record (a stand-in for the issuing job's
    row: the walk reads the order page, not the PDF), and a coverage contradiction flagged on it."""
    built = world_copies.copy(tmp_path_factory.mktemp("bureau23"))
    engine = make_engine(url=f"sqlite:///{built.db_path}")
    with Session(engine) as session:
        order = session.get(DiagnosisOrder, built.order_id)
        provider = session.get(User, built.user_ids["provider"])
        assert order is not None and provider is not None
        workflow.apply(session=session, order=order, action="submit", actor=provider)
        session.add(
            IssuedReport(
                order_id=order.id or 0,
                report_number=f"ZZ-{order.number}",
                version=1,
                lang="zh",
                content_sha256="0" * 64,
                pdf_sha256="e" * 64,
                size_bytes=9,
                pdf=b"%PDF-1.4\n",
                data={},
            )
        )
        record = DiagnosisRecord(
            order_id=order.id or 0,
            provider_id=order.provider_id or 0,
            enterprise_id=order.enterprise_id,
            kind=order.kind,
            assigned_on=date(2026, 3, 2),
            submitted_on=date(2026, 3, 22),
            visit_on=None,
            answers=(("DT-L2-01", "1"),),
            report_text="",
            score=2.0,
            evidence=Evidence(production_devices=6, devices_seen=2, coverage=0.12, never_seen=("D05", "D06")),
        )
        supervision_review.store_flags(
            session=session,
            flags=claims_contradicted(record, load_rules()),
            bureau_of={order.id or 0: order.bureau_id},
            rules_version=load_rules().version,
        )
        session.commit()
    engine.dispose()
    return built


@pytest.fixture(scope="module")
def server(world) -> Iterator[str]:  # type: ignore[no-untyped-def]
    app = create_app(world.settings(), {"RATELIMIT_ENABLED": False})
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


def login(browser, server: str, username: str, viewport: dict[str, int]):  # type: ignore[no-untyped-def]
    page = browser.new_context(viewport=viewport, locale="zh-CN", accept_downloads=True).new_page()
    page.on("dialog", lambda dialog: dialog.accept())
    page.goto(f"{server}/login")
    page.fill('input[name="username"]', username)
    page.fill('input[name="password"]', DEMO_PASSWORD)
    page.click('button[type="submit"]')
    page.wait_for_load_state()
    return page


def shot(page, name: str) -> None:  # type: ignore[no-untyped-def]
    width = "390" if page.viewport_size["width"] <= 400 else "desktop"
    capture(page, ARTIFACTS / f"bureau23-{name}-{width}.png")


def fits(page) -> None:  # type: ignore[no-untyped-def]
    """Nothing sticks out to the right at the page's width (no action off-screen)."""
    width, viewport, out = page.evaluate(
        """() => {
        const w = window.innerWidth;
        const out = [...document.querySelectorAll('main *')].filter(e => e.getBoundingClientRect().right > w + 1)
          .map(e => e.tagName + '.' + e.className + '#' + e.id).slice(0, 5);
        return [document.documentElement.scrollWidth, w, out];
      }"""
    )
    assert width <= viewport and not out, out


def test_enterprise_disputes_then_accepts_and_the_bureau_is_told(server: str, browser, world) -> None:  # type: ignore[no-untyped-def]
    order = f"{server}/orders/{world.order_id}"
    ent = login(browser, server, "ent4", DESKTOP)
    ent.goto(order)
    assert ent.locator("#report-verdict").inner_text().strip() == "尚未表态"
    ent.fill(".action-dispute_report textarea[name=reason]", "报告中设备联网率与现场情况不符")
    ent.click(".action-dispute_report button[type=submit]")
    assert "有异议" in ent.locator("#report-verdict").inner_text()
    assert "报告中设备联网率与现场情况不符" in ent.locator("#report-verdict").inner_text()
    shot(ent, "enterprise-disputed")

    bureau = login(browser, server, "wujin", PHONE)
    assert bureau.locator("#unread-count").count() == 1
    bureau.goto(f"{server}/notifications")
    assert "提出异议" in bureau.locator("#notifications").inner_text()
    fits(bureau)
    shot(bureau, "bureau-notifications")
    bureau.goto(order)
    assert "有异议" in bureau.locator("#report-verdict").inner_text()
    fits(bureau)
    shot(bureau, "bureau-order-disputed")

    phone = login(browser, server, "ent4", PHONE)
    phone.goto(order)
    fits(phone)
    assert phone.locator(".action-dispute_report").count() == 0  # disputed once; it may still accept
    phone.click(".action-accept_report button[type=submit]")
    assert "已确认" in phone.locator("#report-verdict").inner_text()
    assert phone.locator(".action-accept_report").count() == 0
    fits(phone)
    shot(phone, "enterprise-accepted")


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["desktop", "390"])
def test_bureau_reviews_a_flag_in_chinese(server: str, browser, world, viewport) -> None:  # type: ignore[no-untyped-def]
    bureau = login(browser, server, "wujin", viewport)
    bureau.goto(f"{server}/bureau/supervision/flags?status=all")
    bureau.click("#flags tr:has-text('问卷自评与采集数据矛盾') a")
    sentence = bureau.locator("#flag-sentence").inner_text()
    assert "6 台生产设备中有 2 台" in sentence
    table = bureau.locator("#evidence").inner_text()
    assert "DT-L2-01" in table and "全部满足" in table and "数据采集覆盖率 12.0%" in table
    assert "EV-DT2-COV" in bureau.locator("#rule").inner_text()
    assert "contradictions" not in bureau.content()
    fits(bureau)
    shot(bureau, "flag-review")
    # The radio button sits beside its label: clicking the words chooses it.
    bureau.click("label.check:has-text('排除')")
    assert bureau.is_checked("input[name=decision][value=dismissed]")
    bureau.fill("textarea[name=note]", "企业 2026 年 3 月更换了采集网关，覆盖率数据缺失已核实")
    bureau.click("form button[type=submit] >> text=记录结论")
    assert "排除" in bureau.locator("#decision").inner_text()
    shot(bureau, "flag-decided")


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["desktop", "390"])
def test_bureau_reads_the_provider_subsidy_and_exports_it(server: str, browser, world, viewport) -> None:  # type: ignore[no-untyped-def]
    bureau = login(browser, server, "wujin", viewport)
    bureau.goto(f"{server}/bureau/supervision/")
    bureau.click("text=服务商补贴")
    table = bureau.locator("#provider-subsidy").inner_text()
    assert "¥" in table and ("未达门槛" in table or "可获" in table or "没有本地订单" in table), table
    fits(bureau)
    shot(bureau, "provider-subsidy")
    with bureau.expect_download() as download:
        bureau.click("text=导出 CSV")
    text = Path(download.value.path()).read_bytes().decode("utf-8-sig")
    assert text.startswith("服务商,年度,列入本市解决方案供应商名单")

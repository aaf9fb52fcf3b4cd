"""Issue #26 points 4, 5 in headless Chromium at 1280 and 390 px: the provider's order rates both instruments;
on the SME questionnaire each measured proposal shows its evidence, an override without a reason is refused and
with one is kept, the rating lands on the result page; the bureau's levels and the report's SME section read on
a phone without sideways scrolling. Screenshots: tests/artifacts/sme-*.png."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlmodel import Session, select

from apps.demo import sample_data
from diagnose.db import make_engine
from diagnose.models import DiagnosisOrder, Enterprise, SmeAnswer
from tests.e2e.serving import Served
from tests.e2e.shots import ARTIFACTS, capture
from tests.e2e.test_phone_questionnaire import OFFSCREEN
from tests.e2e.test_screens_walkthrough import CHROMIUM, DESKTOP, PHONE, login
from tests.web import world as world_module
from web import create_app

pytestmark = [pytest.mark.browser, pytest.mark.slow]
WIDER_THAN_THE_SCREEN = "() => document.documentElement.scrollWidth - window.innerWidth"


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory, world_copies: world_module.WorldCopies):  # type: ignore[no-untyped-def]
    return world_copies.copy(tmp_path_factory.mktemp("sme-walk"))


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    if not CHROMIUM.exists():
        pytest.skip("chromium is not installed")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        instance = p.chromium.launch(
            executable_path=str(CHROMIUM), args=["--no-sandbox", "--disable-background-networking"]
        )
        yield instance
        instance.close()


@pytest.fixture(scope="module")
def server(world) -> Iterator[str]:  # type: ignore[no-untyped-def]
    app = create_app(world.settings(), {"RATELIMIT_ENABLED": False})
    httpd = Served(app)
    yield httpd.url
    httpd.stop()


def shot(page, name: str) -> None:  # type: ignore[no-untyped-def]
    width = "390" if page.viewport_size["width"] <= 400 else "1280"
    capture(page, ARTIFACTS / f"sme-{name}-{width}.png")


def fits(page) -> None:  # type: ignore[no-untyped-def]
    assert page.evaluate(WIDER_THAN_THE_SCREEN) <= 1, page.url
    assert page.evaluate(OFFSCREEN) == [], page.url


def stored_f3(world) -> SmeAnswer:  # type: ignore[no-untyped-def]
    engine = make_engine(url=f"sqlite:///{world.db_path}")
    with Session(engine, expire_on_commit=False) as session:
        row = session.exec(
            select(SmeAnswer).where(SmeAnswer.order_id == world.order_id, SmeAnswer.key == "F3")
        ).one()
    engine.dispose()
    return row


def accepted_order_of_ent1(world) -> int:  # type: ignore[no-untyped-def]
    engine = make_engine(url=f"sqlite:///{world.db_path}")
    with Session(engine) as session:
        found = session.exec(
            select(DiagnosisOrder.id)
            .join(Enterprise)
            .where(Enterprise.name == sample_data.ENTERPRISES[0][0], DiagnosisOrder.status == "accepted")
        ).one()
    engine.dispose()
    return found or 0


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["1280", "390"])
def test_provider_rates_both_instruments_in_one_visit(server: str, browser, world, viewport) -> None:  # type: ignore[no-untyped-def]
    provider = login(browser, server, "provider2", viewport)
    provider.goto(f"{server}/orders/{world.order_id}")
    assert "中小企业数字化水平" in provider.inner_text("#order-instruments")
    assert provider.is_checked('#instruments-form input[value="both"]')
    fits(provider)
    shot(provider, "order")
    provider.click("#sme-link")
    provider.wait_for_load_state()
    assert provider.url.endswith("/sme")
    fits(provider)
    shot(provider, "questionnaire")

    # F3 设备联网率: proposed from the ledger, with its evidence on the page.
    form = provider.locator("#sme-F3")
    evidence = form.locator('[data-proposal="F3"]').inner_text()
    assert "设备联网率" in evidence and "台账" in evidence
    proposed = stored_f3(world).proposed
    other = "le10" if proposed != "le10" else "le20"
    form.locator(f'input[value="{other}"]').check()
    form.locator('textarea[name="reason"]').fill("")
    form.locator('button[type="submit"]').click()
    provider.wait_for_load_state()
    assert "改写实测建议的理由" in provider.inner_text("main")  # refused: nothing changed
    assert stored_f3(world).value != other or stored_f3(world).decision == "overridden"
    form = provider.locator("#sme-F3")
    form.locator(f'input[value="{other}"]').check()
    form.locator('textarea[name="reason"]').fill("现场另有 2 台未登记设备未联网。")
    form.locator('button[type="submit"]').click()
    provider.wait_for_load_state()
    row = stored_f3(world)
    assert (row.value, row.decision) == (other, "overridden")
    assert "改写实测建议" in provider.locator("#sme-F3 .sme-decision").inner_text()

    provider.click("#sme-score")
    provider.wait_for_load_state()
    assert "/result" in provider.url
    level = provider.inner_text("#sme-level")
    assert level in ("无等级", "一级", "二级", "三级", "四级")
    assert "以正式文件为准" in provider.inner_text("#sme") and "专精特新" in provider.inner_text(
        "#sme-recognition"
    )
    fits(provider)
    shot(provider, "result")
    provider.context.close()


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["1280", "390"])
def test_bureau_levels_and_the_report_section_fit_the_screen(server: str, browser, world, viewport) -> None:  # type: ignore[no-untyped-def]
    bureau = login(browser, server, "taicang", viewport)
    bureau.goto(f"{server}/bureau/sme-levels")
    assert "试点企业" in bureau.inner_text("#sme-distribution")
    assert "达到二级及以上" in bureau.inner_text("#sme-pilot-sentence")
    fits(bureau)
    shot(bureau, "bureau-levels")

    # The pilot list: one enterprise put in or taken out (the two widths share the database) with a reason.
    bureau.click("#sme-pilots-link")
    bureau.wait_for_load_state()
    desen = bureau.locator("#pilot-list tr", has_text=sample_data.ENTERPRISES[4][0])
    was_pilot = "起为试点企业" in desen.inner_text()
    fits(bureau)
    shot(bureau, "bureau-pilots")
    desen.locator('input[name="reason"]').fill("太仓市试点企业名单（第一批）")
    desen.locator('button[type="submit"]').click()
    bureau.wait_for_load_state()
    assert "已保存" in bureau.inner_text("main")
    now = bureau.locator("#pilot-list tr", has_text=sample_data.ENTERPRISES[4][0]).inner_text()
    assert ("起为试点企业" in now) is not was_pilot
    fits(bureau)
    bureau.context.close()

    provider = login(browser, server, "provider2", viewport)
    # The draft is rendered on first view: slow on a loaded machine (the report walk waits as long).
    provider.goto(f"{server}/orders/{accepted_order_of_ent1(world)}/report", timeout=180_000)
    provider.wait_for_selector("#sme-recognition", timeout=60_000)
    section = provider.inner_text("main")
    assert (
        "2.4 中小企业数字化水平" in section
        and "不是工业和信息化部评测系统出具的正式评测结果或证书" in section
    )
    assert provider.evaluate(WIDER_THAN_THE_SCREEN) <= 1
    shot(provider, "report")
    provider.context.close()

"""Issue #23 point 8 in headless Chromium at 1280 and 390 px: the provider fills the questionnaire a sub-domain
at a time (jump list, next page, progress), goes offline and back (answers wait in the page, survive a reload
and a change of sub-domain, then are saved), and the plant pages and the report page keep every action on a
390 px screen (measured by the elements' bounding boxes). Screenshots: tests/artifacts/phone-*.png."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlmodel import Session, select

from collectors.replay import replay
from diagnose.db import make_engine
from diagnose.models import Answer, DiagnosisOrder, OrderStatus, User
from tests.e2e.serving import Served
from tests.e2e.shots import ARTIFACTS, capture
from tests.e2e.test_screens_walkthrough import CHROMIUM, DESKTOP, PHONE, login
from tests.web import world as world_module
from web import create_app

pytestmark = [pytest.mark.browser, pytest.mark.slow]

# Every visible action (link, button, field, the jump list) inside the page's main part.
OFFSCREEN = """() => {
  const w = window.innerWidth;
  return [...document.querySelectorAll('main a, main button, main select, main textarea, main summary,'
      + ' main input:not([type=hidden]):not(.photo-input)')]
    .filter(e => e.checkVisibility({visibilityProperty: true}))
    .filter(e => { const r = e.getBoundingClientRect(); return r.width > 0 && r.height > 0; })
    .filter(e => { const r = e.getBoundingClientRect(); return r.right > w + 1 || r.left < -1; })
    .map(e => `${e.tagName} "${(e.textContent || e.name || '').trim().slice(0, 24)}" ${Math.round(e.getBoundingClientRect().left)}..${Math.round(e.getBoundingClientRect().right)}`);
}"""


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory, world_copies: world_module.WorldCopies):  # type: ignore[no-untyped-def]
    return world_copies.copy(tmp_path_factory.mktemp("phone"))


@pytest.fixture(scope="module")
def reported(world) -> int:  # type: ignore[no-untyped-def]
    """One of provider2's submitted diagnoses with an issued report (for the report page)."""
    from reports.store import issue_report

    engine = make_engine(url=f"sqlite:///{world.db_path}")
    with Session(engine) as session:
        provider = session.get(User, world.user_ids["provider"])
        order = session.exec(
            select(DiagnosisOrder).where(
                DiagnosisOrder.status.in_([OrderStatus.submitted, OrderStatus.accepted]),  # type: ignore[attr-defined]
                DiagnosisOrder.provider_id == provider.provider_id,  # type: ignore[union-attr]
            )
        ).first()
        assert order is not None, "demo data changed: provider2 has no submitted diagnosis"
        issue_report(session=session, order=order, actor=provider)  # type: ignore[arg-type]
        session.commit()
        order_id = order.id or 0
    engine.dispose()
    return order_id


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
    app = create_app(world.settings(), {"RATELIMIT_ENABLED": False}, replay=replay)
    httpd = Served(app)
    yield httpd.url
    httpd.stop()


def shot(page, name: str, full_page: bool = True) -> None:  # type: ignore[no-untyped-def]
    width = "390" if page.viewport_size["width"] <= 400 else "1280"
    capture(page, ARTIFACTS / f"phone-{name}-{width}.png", full_page=full_page)


def stored(world, requirement: str) -> tuple[str | None, str | None] | None:  # type: ignore[no-untyped-def]
    engine = make_engine(url=f"sqlite:///{world.db_path}")
    with Session(engine) as session:
        row = session.exec(
            select(Answer.rating, Answer.evidence_note).where(Answer.requirement_id == requirement)
        ).first()
    engine.dispose()
    return None if row is None else (row[0], row[1])


def unrated(page):  # type: ignore[no-untyped-def]
    """The first requirement box of the page with no rating yet."""
    empty = page.locator('select[name="rating"] option[value=""]:checked')
    return page.locator(".req").filter(has=empty).first


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["1280", "390"])
def test_provider_fills_the_questionnaire_sub_domain_by_sub_domain(
    server: str, browser, world, viewport
) -> None:  # type: ignore[no-untyped-def]
    provider = login(browser, server, "provider2", viewport)
    provider.goto(f"{server}/provider/orders/{world.order_id}/questionnaire")
    assert provider.locator(".req").count() == 0 and provider.locator("#device-figures").count() == 1
    total = int(provider.get_attribute("#q-progress", "data-total") or 0)
    shot(provider, "questionnaire-overview")
    provider.click("#q-start")  # continue where nothing is answered yet
    provider.wait_for_load_state()
    assert "?sub=" in provider.url
    first_sub = provider.get_attribute("#questionnaire", "data-sub")
    head = provider.locator("#q-head").bounding_box()
    assert head and head["height"] <= 0.25 * viewport["height"], head  # the sticky header stays small

    # One answer on this page: saved, counted in the page's progress and in the jump list.
    requirement = unrated(provider).get_attribute("data-requirement")
    box = provider.locator(f'.req[data-requirement="{requirement}"]')
    before = int(provider.inner_text("#q-answered"))
    count = provider.locator(f'[data-sub-count="{first_sub}"]')
    done_here = int((count.text_content() or "").split("/")[0])
    box.locator('select[name="rating"]').select_option("0.8")
    provider.locator(f'.req-state[data-for="{requirement}"]:text("✓")').wait_for(timeout=15000)
    assert int(provider.inner_text("#q-answered")) == before + 1
    assert int((count.text_content() or "").split("/")[0]) == done_here + 1
    assert stored(world, requirement)[0] == "0.8"  # type: ignore[index]
    shot(provider, "questionnaire-sub", full_page=False)

    # The jump list takes the provider to the third sub-domain; the next button to the fourth.
    provider.click("#domain-nav summary")
    assert provider.evaluate(OFFSCREEN) == []  # the open list scrolls down, never sideways
    shot(provider, "questionnaire-jump-list", full_page=False)
    third = provider.locator("#domain-nav a[data-sub]").nth(2)
    third_sub = third.get_attribute("data-sub")
    third.click()
    provider.wait_for_load_state()
    assert provider.get_attribute("#questionnaire", "data-sub") == third_sub
    assert "第 3 / " in provider.inner_text("#domain-nav summary")
    assert int(provider.inner_text("#q-answered")) == before + 1  # progress counts the other pages
    provider.click('#q-pager a[rel="next"]')
    provider.wait_for_load_state()
    assert "第 4 / " in provider.inner_text("#domain-nav summary")
    assert provider.evaluate(OFFSCREEN) == []

    # Offline: the answer waits in the page and says so.
    context = provider.context
    offline_req = unrated(provider).get_attribute("data-requirement")
    box = provider.locator(f'.req[data-requirement="{offline_req}"]')  # fixed: it is rated below
    context.set_offline(True)
    box.locator('select[name="rating"]').select_option("0.5")
    box.locator('textarea[name="evidence_note"]').fill("离线填写：现场记录")
    provider.locator('#save-state[data-state="pending"]').wait_for()
    assert "待同步" in provider.inner_text("#save-state") or "(1)" in provider.inner_text("#save-state")
    shot(provider, "questionnaire-offline", full_page=False)
    assert stored(world, offline_req) is None  # type: ignore[arg-type]

    # Back on the network but the server unreachable: a reload puts the answer back into the page…
    provider.route("**/answers", lambda route: route.abort())
    context.set_offline(False)
    provider.reload()
    kept = provider.locator(f'.req[data-requirement="{offline_req}"]')
    assert kept.locator('select[name="rating"]').input_value() == "0.5"
    assert kept.locator('textarea[name="evidence_note"]').input_value() == "离线填写：现场记录"
    # …and the provider moves on to another sub-domain; the waiting answer is sent from there.
    provider.click('#q-pager a[rel="next"]')
    provider.wait_for_load_state()
    assert "第 5 / " in provider.inner_text("#domain-nav summary")
    provider.unroute("**/answers")
    provider.evaluate("window.dispatchEvent(new Event('online'))")
    provider.locator('#save-state[data-state="saved"]').wait_for(timeout=15000)
    assert stored(world, offline_req) == ("0.5", "离线填写：现场记录")
    assert provider.evaluate("localStorage.length") == 0 or provider.evaluate(
        f"localStorage.getItem('diagnose.pending.{world.order_id}')"
    ) in ("{}", None)
    # The overview shows the count of every sub-domain, the answered ones included.
    provider.goto(f"{server}/provider/orders/{world.order_id}/questionnaire")
    assert int(provider.inner_text("#q-answered")) == before + 2 <= total
    assert provider.evaluate(OFFSCREEN) == []
    # An old link to a requirement (…#req-X) opens the sub-domain page that holds it.
    provider.goto(f"{server}/provider/orders/{world.order_id}/questionnaire#req-{requirement}")
    provider.locator(f"#req-{requirement}").wait_for()
    assert f"sub={first_sub}" in provider.url or f"req={requirement}" in provider.url
    # Put the answers back for the other width's walk.
    engine = make_engine(url=f"sqlite:///{world.db_path}")
    with Session(engine) as session:
        for answer in session.exec(
            select(Answer).where(Answer.requirement_id.in_([requirement, offline_req]))
        ):  # type: ignore[union-attr,attr-defined]
            session.delete(answer)
        session.commit()
    engine.dispose()
    provider.context.close()


def test_no_action_is_off_screen_on_a_phone(server: str, browser, world, reported) -> None:  # type: ignore[no-untyped-def]
    provider = login(browser, server, "provider2", PHONE)
    o = world.order_id
    calendar = f"{server}/provider/orders/{o}/calendar"
    provider.goto(calendar)
    # A dated exception too, so both tables have rows; an overlapping shift is refused with its reason.
    provider.select_option('select[name="kind"]', "holiday")
    provider.fill('input[name="day"]', "2026-10-01")
    provider.click('form[action$="/calendar"] button[type=submit]')
    provider.wait_for_load_state()
    provider.select_option('select[name="kind"]', "shift")
    provider.select_option('select[name="weekday"]', "0")
    provider.fill('input[name="start"]', "07:00")
    provider.fill('input[name="end"]', "15:00")
    provider.click('form[action$="/calendar"] button[type=submit]')
    provider.wait_for_load_state()
    said = " ".join(provider.locator(".flash").all_inner_texts())
    assert "未添加：与已有的「班次 星期一 06:00–00:00」重叠" in said, said
    assert provider.locator(".field-error").first.inner_text().startswith("与已有的")
    shot(provider, "calendar-overlap", full_page=False)
    provider.goto(calendar)
    removes = provider.locator("#calendar-rules button, #calendar-exceptions button")
    assert removes.count() >= 15  # 7 shifts, 7 breaks, the day off
    for i in range(removes.count()):
        b = removes.nth(i).bounding_box()
        assert b and b["x"] >= 0 and b["x"] + b["width"] <= PHONE["width"], (i, b)
    assert provider.evaluate(OFFSCREEN) == []
    assert "星期一" in provider.inner_text("#calendar-rules") and "Monday" not in provider.content()
    shot(provider, "calendar")
    pages = {
        "questionnaire": f"/provider/orders/{o}/questionnaire",
        "ledger": f"/provider/orders/{o}/ledger",
        "devices": f"/provider/orders/{o}/devices",
        "dead-letters": f"/provider/orders/{o}/dead-letters",
        "orders": "/orders",
        "order": f"/orders/{o}",
        "report": f"/orders/{reported}/report",
    }
    off = {}
    for name, path in pages.items():
        provider.goto(server + path)
        provider.wait_for_load_state()
        found = provider.evaluate(OFFSCREEN)
        if found:
            off[name] = found[:6]
        shot(provider, name)
    assert off == {}, off
    provider.goto(f"{server}/orders/{reported}/report")
    pdf = provider.locator('a[href$=".pdf"]').first  # 下载 PDF
    b = pdf.bounding_box()
    assert b and b["x"] >= 0 and b["x"] + b["width"] <= PHONE["width"], b

"""The report page in Chromium lays out like the PDF: A4-wide sheets, charts in the flow, never over a table."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from sqlmodel import Session, select

from diagnose.db import make_engine
from diagnose.models import DiagnosisOrder, OrderStatus, User
from diagnose.settings import load_settings
from tests.web.conftest import log_in_as
from web import create_app

pytestmark = [pytest.mark.browser]
CHROMIUM = Path("/usr/bin/chromium")
STATIC = Path(__file__).resolve().parents[2] / "web" / "static"
ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts"

OVERLAPS = """() => {
  const boxes = (selector) => [...document.querySelectorAll(selector)].map(e => e.getBoundingClientRect());
  const charts = boxes('.report .chart img'), tables = boxes('.report table');
  let hits = 0;
  for (const c of charts) for (const t of tables)
    if (c.bottom > t.top + 1 && c.top < t.bottom - 1 && c.right > t.left && c.left < t.right) hits++;
  return {hits, charts: charts.length, tables: tables.length,
          width: document.querySelector('.report').getBoundingClientRect().width};
}"""


def test_charts_never_cover_tables(demo_db: Path, tmp_path: Path) -> None:
    if not CHROMIUM.exists():
        pytest.skip("chromium is not installed")
    from playwright.sync_api import sync_playwright

    db = tmp_path / "demo.db"
    shutil.copy(demo_db, db)
    engine = make_engine(url=f"sqlite:///{db}")
    with Session(engine) as session:
        order = session.exec(
            select(DiagnosisOrder).where(DiagnosisOrder.status == OrderStatus.accepted)
        ).first()
        assert order is not None
        user = session.exec(select(User).where(User.provider_id == order.provider_id)).first()
        assert user is not None
        order_id, user_id = order.id, user.id
    engine.dispose()
    settings = load_settings(
        env="test", var_dir=tmp_path / "var", secret_key="s", database_url=f"sqlite:///{db}"
    )
    app = create_app(settings, {"TESTING": True})
    client = app.test_client()
    log_in_as(app, client, user_id)
    html = client.get(f"/orders/{order_id}/report").get_data(as_text=True)
    html = html.replace('href="/static/', f'href="file://{STATIC}/').replace(
        'src="/static/', f'src="file://{STATIC}/'
    )
    page_file = tmp_path / "report.html"
    page_file.write_text(html, encoding="utf-8")
    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=str(CHROMIUM), args=["--no-sandbox", "--disable-background-networking"]
        )
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        page.goto(page_file.as_uri())
        found = page.evaluate(OVERLAPS)
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "report-preview-desktop.png"))
        # The QR code is scanned with a phone: the public page must fit 390 px without sideways scrolling.
        verify_html = app.test_client().get("/verify").get_data(as_text=True)
        verify_file = tmp_path / "verify.html"
        verify_file.write_text(
            verify_html.replace('href="/static/', f'href="file://{STATIC}/'), encoding="utf-8"
        )
        phone = browser.new_page(viewport={"width": 390, "height": 844})
        phone.goto(verify_file.as_uri())
        overflow = phone.evaluate("() => document.documentElement.scrollWidth - window.innerWidth")
        phone.screenshot(path=str(ARTIFACTS / "verify-page-390.png"), full_page=True)
        browser.close()
    assert overflow <= 0, overflow
    assert found["charts"] >= 5 and found["tables"] >= 5
    assert found["hits"] == 0, found
    assert found["width"] <= 700  # 178 mm at 96 dpi is about 673 px: the sheet, not the window

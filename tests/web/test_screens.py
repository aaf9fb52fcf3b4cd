"""Main screens in Chinese with no English msgid left; autosave with the CSRF header; paging and sorting."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
from babel.messages.pofile import read_po
from flask import Flask

from tests.web.conftest import client_as
from web import create_app

PO = Path(__file__).resolve().parents[2] / "web" / "translations" / "zh" / "LC_MESSAGES" / "messages.po"
SCREENS = [
    ("bureau", "/bureau/dashboard"),
    ("bureau", "/orders"),
    ("bureau", "/orders/{o}"),
    ("bureau", "/bureau/batches"),
    ("bureau", "/bureau/orders/new"),
    ("provider", "/orders"),
    ("provider", "/provider/orders/{o}/questionnaire"),
    ("provider", "/provider/orders/{o}/devices"),
    ("provider", "/orders/{o}/result"),
    ("enterprise", "/orders"),
    ("enterprise", "/orders/{o}"),
    ("enterprise", "/enterprise/devices"),
    ("admin", "/admin/users"),
    ("admin", "/admin/organisations/enterprises"),
    ("admin", "/admin/regions"),
    ("enterprise", "/orders/{o}/report"),
    ("bureau", "/bureau/supervision/"),
    ("bureau", "/bureau/supervision/flags"),
    ("bureau", "/bureau/supervision/outcomes"),
    ("bureau", "/bureau/supervision/flags/{f}"),
    ("bureau", "/bureau/supervision/providers/{p}"),
    ("bureau", "/bureau/supervision/provider-subsidy"),
    ("bureau", "/policies/"),
    ("enterprise", "/notifications"),
    ("anon", "/login"),
]


def english_msgids() -> list[str]:
    """msgids that are English words (not codes or placeholders-only) and not kept inside their translation."""
    with PO.open("rb") as handle:
        catalog = read_po(handle)
    found = []
    for message in catalog:
        msgid = str(message.id)
        if (
            not message.id
            or "%(" in msgid
            or not re.search(r"[a-z]{3}", msgid)
            or msgid in str(message.string)
        ):
            continue
        found.append(msgid)
    return found


def visible_text(html: str) -> str:
    """Text a reader sees: no tags, scripts, style sheets, or attribute values."""
    html = re.sub(r"<(script|style)\b.*?</\1>", " ", html, flags=re.S)
    return re.sub(r"<[^>]+>", " ", html)


@pytest.fixture(scope="module")
def app(world) -> Flask:  # type: ignore[no-untyped-def]
    return create_app(world.settings(), {"TESTING": True, "RATELIMIT_ENABLED": False})


@pytest.mark.parametrize(("role", "path"), SCREENS)
def test_main_screens_have_no_english_left(app, world, role: str, path: str) -> None:  # type: ignore[no-untyped-def]
    response = client_as(app, world, role).get(
        path.format(o=world.order_id, f=world.flag_id, p=world.provider_id)
    )
    assert response.status_code == 200
    text = visible_text(response.get_data(as_text=True))
    left = [m for m in english_msgids() if re.search(rf"(?<![A-Za-z]){re.escape(m)}(?![A-Za-z])", text)]
    assert left == [], f"untranslated on {path}: {left}"


def test_english_switch(app, world) -> None:  # type: ignore[no-untyped-def]
    html = client_as(app, world, "bureau").get("/orders?lang=en").get_data(as_text=True)
    assert "Diagnosis orders" in html and "Order number" in html


def test_autosave_needs_the_csrf_header(world, tmp_path) -> None:  # type: ignore[no-untyped-def]
    copy = tmp_path / "copy.db"
    shutil.copyfile(world.db_path, copy)
    app = create_app(world.settings(copy), {"TESTING": True})
    client = client_as(app, world, "provider")
    page = client.get(f"/provider/orders/{world.order_id}/questionnaire").get_data(as_text=True)
    token = re.search(r'name="csrf-token" content="([^"]+)"', page).group(1)  # type: ignore[union-attr]
    url = f"/provider/orders/{world.order_id}/answers"
    body = {"requirement_id": world.requirement_id, "rating": "0.8", "evidence_note": "现场查看点检记录"}
    assert client.post(url, json=body).status_code == 400
    saved = client.post(url, json=body, headers={"X-CSRFToken": token})
    assert saved.status_code == 200 and saved.get_json()["requirement_id"] == world.requirement_id
    again = client.get(
        f"/api/v1/orders/{world.order_id}/answers",
        headers={"Authorization": f"Bearer {world.tokens['provider']}"},
    )
    row = next(a for a in again.get_json()["answers"] if a["requirement_id"] == world.requirement_id)
    assert row["rating"] == "0.8" and row["evidence_note"] == "现场查看点检记录"


def test_order_list_searches_sorts_and_pages(app, world) -> None:  # type: ignore[no-untyped-def]
    client = client_as(app, world, "admin")
    listing = client.get(
        "/api/v1/orders?sort=fee&dir=asc", headers={"Authorization": f"Bearer {world.tokens['admin']}"}
    )
    fees = [o["fee_fen"] for o in listing.get_json()["items"]]
    assert fees == sorted(fees) and listing.get_json()["total"] == 13
    found = client.get(
        "/api/v1/orders?q=德森", headers={"Authorization": f"Bearer {world.tokens['admin']}"}
    ).get_json()
    assert [o["enterprise"]["name"] for o in found["items"]] == ["太仓德森精密制造有限公司"]
    page2 = client.get("/orders?page=2").get_data(as_text=True)
    assert "共 13 条 · 第 1 / 1 页" in page2  # past the end: the last page


def test_session_expires(world) -> None:  # type: ignore[no-untyped-def]
    from datetime import timedelta

    app = create_app(world.settings(), {"TESTING": True, "PERMANENT_SESSION_LIFETIME": timedelta(seconds=-1)})
    assert client_as(app, world, "bureau").get("/orders").status_code == 302

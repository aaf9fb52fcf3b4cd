"""Script tags and SQL fragments typed into every free-text field come back escaped and harmless."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
from flask.testing import FlaskClient
from markupsafe import escape
from sqlalchemy import inspect
from sqlmodel import Session, select

from diagnose.db import make_engine
from diagnose.models import DiagnosisOrder, OrderStatus
from tests.web.conftest import client_as
from web import create_app

PAYLOADS = [
    "<script>alert('x')</script>",
    "'; DROP TABLE diagnosisorder; --",
    '"><img src=x onerror=alert(1)>',
]
TEST_CONFIG = {"TESTING": True, "WTF_CSRF_ENABLED": False, "RATELIMIT_ENABLED": False}


def _submitted_order(world, copy: Path) -> int:  # type: ignore[no-untyped-def]
    """Put the world's order in 'submitted' (wujin may return it) and return its id."""
    engine = make_engine(url=f"sqlite:///{copy}")
    with Session(engine) as session:
        order = session.get(DiagnosisOrder, world.order_id)
        assert order is not None
        # Direct status change on a throwaway copy: the field under test is the return reason, not the path.
        order.status, order.confirmed_at = OrderStatus.submitted, order.updated_at
        session.add(order)
        session.commit()
    engine.dispose()
    return int(world.order_id)


# field → (role, write(client, text, world, copy), page to read back)
Write = Callable[[FlaskClient, str, object, Path], object]
FIELDS: dict[str, tuple[str, Write, str]] = {
    "batch name": (
        "bureau",
        lambda c, t, w, p: c.post(
            "/bureau/batches", data={"name": t, "year": "2026", "budget_yuan": "100000"}
        ),
        "/bureau/batches",
    ),
    "evidence note": (
        "provider",
        lambda c, t, w, p: c.post(
            f"/provider/orders/{w.order_id}/answers",
            json={"requirement_id": w.requirement_id, "evidence_note": t},
        ),
        "/provider/orders/{o}/questionnaire?req={r}",
    ),
    "tailoring reason": (
        "provider",
        lambda c, t, w, p: c.post(
            f"/provider/orders/{w.order_id}/answers",
            json={"requirement_id": w.requirement_id, "rating": "n/a", "tailor_reason": t},
        ),
        "/provider/orders/{o}/questionnaire?req={r}",
    ),
    "device name": (
        "provider",
        lambda c, t, w, p: c.post(
            f"/provider/orders/{w.order_id}/devices", data={"external_id": "X9", "name": t}
        ),
        "/provider/orders/{o}/devices",
    ),
    "device kind": (
        "provider",
        lambda c, t, w, p: c.post(
            f"/provider/orders/{w.order_id}/devices", data={"external_id": "X8", "kind": t}
        ),
        "/enterprise/devices",
    ),
    "return reason": (
        "bureau",
        lambda c, t, w, p: c.post(f"/orders/{_submitted_order(w, p)}/return", data={"reason": t}),
        "/orders/{o}",
    ),
    "user display name": (
        "admin",
        lambda c, t, w, p: c.post(
            "/admin/users",
            data={"username": "u-x", "full_name": t, "password": "long-enough-1", "role": "admin"},
        ),
        "/admin/users",
    ),
    "region name": (
        "admin",
        lambda c, t, w, p: c.post(
            "/admin/regions", data={"code": "320581", "name": t, "parent_code": "320500"}
        ),
        "/admin/regions",
    ),
    "bureau name": (
        "admin",
        lambda c, t, w, p: c.post("/admin/organisations/bureaus", data={"name": t, "region_code": "320585"}),
        "/admin/organisations/bureaus",
    ),
    "order search": ("bureau", lambda c, t, w, p: None, "/orders?q={q}"),
}


@pytest.mark.parametrize("payload", PAYLOADS)
@pytest.mark.parametrize("field", sorted(FIELDS))
def test_free_text_is_escaped_and_harmless(field, payload, world, tmp_path) -> None:  # type: ignore[no-untyped-def]
    role, write, page = FIELDS[field]
    copy = tmp_path / "copy.db"
    shutil.copyfile(world.db_path, copy)
    app = create_app(world.settings(copy), TEST_CONFIG)
    # The enterprise of the order reads its devices page; everyone else acts as the matrix actor.
    client = client_as(app, world, role)
    response = write(client, payload, world, copy)
    if response is not None:
        assert response.status_code in (200, 302), response.get_data(as_text=True)[:300]  # type: ignore[attr-defined]
    reader = client_as(app, world, "enterprise") if page == "/enterprise/devices" else client
    from urllib.parse import quote

    body = reader.get(page.format(o=world.order_id, q=quote(payload), r=world.requirement_id)).get_data(
        as_text=True
    )
    assert payload not in body, "raw markup came back unescaped"
    assert str(escape(payload)) in body, "the text did not come back (escaped)"
    assert "diagnosisorder" in inspect(make_engine(url=f"sqlite:///{copy}")).get_table_names()


def test_answers_are_not_rendered_raw_in_json_islands(world, tmp_path) -> None:  # type: ignore[no-untyped-def]
    """The timeline's JSON island escapes '<' so a '</script>' in a reason cannot end the script block."""
    copy = tmp_path / "copy.db"
    shutil.copyfile(world.db_path, copy)
    app = create_app(world.settings(copy), TEST_CONFIG)
    order_id = _submitted_order(world, copy)
    client = client_as(app, world, "bureau")
    client.post(f"/orders/{order_id}/return", data={"reason": "</script><script>alert(1)</script>"})
    body = client.get(f"/orders/{order_id}").get_data(as_text=True)
    assert "</script><script>alert(1)" not in body
    with Session(make_engine(url=f"sqlite:///{copy}")) as session:
        assert (
            session.exec(select(DiagnosisOrder).where(DiagnosisOrder.id == order_id)).one().status
            == "returned"
        )

"""The API's contract: the generated document validates, and every bad request is a 4xx that changes nothing."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from flask import Flask
from openapi_spec_validator import validate
from sqlmodel import Session, select

from diagnose.models import Answer, Assessment, DiagnosisOrder, OrderStatus, User
from diagnose.models.base import utcnow
from diagnose.services.accounts import tokens
from tests.web.conftest import client_as
from tests.web.world import db_of


@pytest.fixture
def app(world_app: Flask) -> Flask:
    return world_app


def bearer(world, role: str) -> dict[str, str]:  # type: ignore[no-untyped-def]
    return {"Authorization": f"Bearer {world.tokens[role]}"}


def stored_rating(app: Flask, order_id: int, requirement_id: str) -> str | None:
    from web.db import engine as app_engine

    with app.app_context():
        engine = app_engine()
    with Session(engine) as db:
        row = db.exec(
            select(Answer)
            .join(Assessment)
            .where(Assessment.order_id == order_id, Answer.requirement_id == requirement_id)
        ).first()
        return row.rating if row else None


def test_document_is_generated_and_valid(app: Flask) -> None:
    spec = app.test_client().get("/api/v1/openapi.json").get_json()
    validate(spec)
    assert spec["openapi"].startswith("3.1")
    order_create = spec["components"]["schemas"]["OrderCreate"]
    assert set(order_create["required"]) == {"batch_id", "enterprise_id", "kind", "fee_fen"}
    assert order_create["properties"]["kind"]["enum"] == ["factory", "workshop"]
    assert order_create["additionalProperties"] is False
    put = spec["paths"]["/api/v1/orders/{order_id}/answers/{requirement_id}"]["put"]
    for code in ("400", "401", "403", "404", "422"):
        assert put["responses"][code]["content"]["application/json"]["schema"]["$ref"].endswith("/ErrorOut")


def test_docs_page_uses_only_local_assets(app: Flask) -> None:
    page = app.test_client().get("/api/v1/docs")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "script-src 'self'" in page.headers["Content-Security-Policy"]
    assert "/static/vendor/swagger-ui/swagger-ui-bundle.js" in html and "http" not in html.replace(
        "http-equiv", ""
    )
    assert "<script>" not in html  # no inline script
    asset = app.test_client().get("/static/vendor/swagger-ui/swagger-ui-bundle.js")
    asset.close()
    assert asset.status_code == 200


@pytest.mark.parametrize(
    ("data", "status", "field"),
    [
        (b"garbage{", 400, ""),
        (b"[1, 2]", 422, ""),
        (b'"a string"', 422, ""),
        (b'{"rating": "1", "evidence_note": 5}', 422, "evidence_note"),
        (b'{"rating": "2"}', 422, "rating"),
        (b'{"rating": "1", "colour": "red"}', 422, "colour"),
        (b"", 422, ""),
    ],
)
def test_bad_answer_body_is_refused_and_keeps_the_stored_rating(  # type: ignore[no-untyped-def]
    app, world, data: bytes, status: int, field: str
) -> None:
    client = app.test_client()
    url = f"/api/v1/orders/{world.order_id}/answers/{world.requirement_id}"
    saved = client.put(url, json={"rating": "0.8"}, headers=bearer(world, "provider"))
    assert saved.status_code == 200, saved.get_data(as_text=True)
    response = client.put(
        url, data=data, headers=bearer(world, "provider") | {"Content-Type": "application/json"}
    )
    body = response.get_json()
    assert response.status_code == status, body
    assert body["error"] and body["message"]
    assert (body["field"] or "") == field
    assert stored_rating(app, world.order_id, world.requirement_id) == "0.8"


def test_ui_autosave_refuses_a_non_string_note(app: Flask, world) -> None:  # type: ignore[no-untyped-def]
    client = client_as(app, world, "provider")
    url = f"/provider/orders/{world.order_id}/answers"
    body = {"requirement_id": world.requirement_id, "rating": "1", "evidence_note": ["x"]}
    response = client.post(url, json=body)
    assert response.status_code == 422
    assert response.get_json()["field"] == "evidence_note"
    error = response.get_json()[
        "error"
    ]  # the page shows it as it is: in the page's language, the field named
    assert "证据说明" in error and not re.search(r"[A-Za-z]{3}", error), error


def test_ui_scoring_refusal_reads_in_chinese(app: Flask, world) -> None:  # type: ignore[no-untyped-def]
    """The questionnaire page prints the scoring's refusal after 评分失败: it must read in Chinese."""
    client = client_as(app, world, "provider")
    scored = client.post(f"/provider/orders/{world.order_id}/score")
    assert scored.status_code == 200, scored.get_json()  # the world's order scores
    with db_of(app) as db:
        order = db.get(DiagnosisOrder, world.order_id)
        order.status = OrderStatus.submitted  # handed in: the questionnaire is closed
        db.add(order)
        db.commit()
    response = client.post(f"/provider/orders/{world.order_id}/score")
    assert response.status_code == 422
    error = response.get_json()["error"]
    assert re.search(r"[\u4e00-\u9fff]", error) and not re.search(r"[A-Za-z]{3}", error), error


@pytest.mark.parametrize("path", ["/api/v1/orders/{big}", "/api/v1/orders/{big}/answers", "/orders/{big}"])
def test_ids_beyond_a_database_integer_are_not_found(app: Flask, world, path: str) -> None:  # type: ignore[no-untyped-def]
    url = path.format(big=2**63)
    if url.startswith("/api/"):
        response = app.test_client().get(url, headers=bearer(world, "admin"))
        assert response.get_json()["error"] == "Not Found"
    else:
        response = client_as(app, world, "admin").get(url)
    assert response.status_code == 404


@pytest.mark.parametrize(
    "query",
    ["start=9999-12-31T23:00:00%2B00:00", "end=0001-01-01T01:00:00%2B00:00", "start=1999-12-31T00:00:00Z"],
)
def test_a_window_at_the_calendars_ends_is_refused_not_a_server_error(app: Flask, world, query: str) -> None:  # type: ignore[no-untyped-def]
    """Found by the fuzz test: a start near year 9999 plus the default span overflowed (500)."""
    for path in (
        f"/api/v1/orders/{world.order_id}/devices/{world.device_id}/telemetry",
        f"/api/v1/orders/{world.order_id}/indicators",
    ):
        response = app.test_client().get(f"{path}?{query}", headers=bearer(world, "admin"))
        assert response.status_code == 422, response.get_data(as_text=True)[:300]
        assert response.get_json()["field"] in ("start", "end")


def test_unknown_field_in_an_order_is_refused(app: Flask, world) -> None:  # type: ignore[no-untyped-def]
    body = {"batch_id": 1, "enterprise_id": 1, "kind": "factory", "fee_fen": 100, "discount": 5}
    response = app.test_client().post("/api/v1/orders", json=body, headers=bearer(world, "bureau"))
    assert response.status_code == 422
    assert response.get_json()["field"] == "discount"


def test_read_scope_may_only_read_and_tokens_expire(app: Flask, world) -> None:  # type: ignore[no-untyped-def]
    from web.db import get_session

    with app.app_context():
        db = get_session()
        user = db.exec(select(User).where(User.id == world.user_ids["provider"])).one()
        read_token = tokens.issue_token(session=db, user=user, scope="read", ttl_days=1)
        db.commit()
    client = app.test_client()
    headers = {"Authorization": f"Bearer {read_token}"}
    me = client.get("/api/v1/me", headers=headers)
    assert me.status_code == 200 and me.get_json()["scope"] == "read"
    url = f"/api/v1/orders/{world.order_id}/answers/{world.requirement_id}"
    refused = client.put(url, json={"rating": "1"}, headers=headers)
    assert refused.status_code == 403 and "read-only" in refused.get_json()["message"]
    with app.app_context():
        db = get_session()
        user = db.exec(select(User).where(User.id == world.user_ids["provider"])).one()
        user.api_token_expires_at = utcnow() - timedelta(seconds=1)
        db.add(user)
        db.commit()
    expired = client.get("/api/v1/me", headers=headers)
    assert expired.status_code == 401 and expired.headers["WWW-Authenticate"] == "Bearer"


def test_token_page_issues_a_read_only_token_for_some_days(app: Flask, world) -> None:  # type: ignore[no-untyped-def]
    page = client_as(app, world, "enterprise").post("/account/token", data={"scope": "read", "ttl_days": "7"})
    html = page.get_data(as_text=True)
    token = html.split('<code id="api-token">')[1].split("</code>")[0]
    me = app.test_client().get("/api/v1/me", headers={"Authorization": f"Bearer {token}"}).get_json()
    assert me["scope"] == "read"
    from datetime import datetime

    left = datetime.fromisoformat(me["expires_at"]) - utcnow()
    assert timedelta(days=6) < left <= timedelta(days=7)
    refused = client_as(app, world, "enterprise").post("/account/token", data={"scope": "admin"})
    assert "api-token" not in refused.get_data(as_text=True)

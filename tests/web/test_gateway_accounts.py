"""Gateway accounts in the provider's plant pages (issue #21): created with the password shown once and kept
hashed, revoked, audited; CSRF on both forms; other roles, other providers and other enterprises' gateways
refused; access ends with the order."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

from sqlmodel import Session, select

from diagnose.db import make_engine
from diagnose.models import AuditLog, DiagnosisOrder, Enterprise, GatewayAccount, OrderStatus
from diagnose.services.shopfloor import broker_accounts
from diagnose.services.shopfloor import gateways as gateway_service
from tests.web.conftest import client_as, csrf_from
from web import create_app


def _app(world, tmp_path: Path):  # type: ignore[no-untyped-def]
    copy = tmp_path / "demo.db"
    shutil.copy(world.db_path, copy)
    return create_app(world.settings(copy), {"TESTING": True}), make_engine(url=f"sqlite:///{copy}")


def test_a_provider_creates_and_revokes_a_gateway_account(world, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    app, engine = _app(world, tmp_path)
    client = client_as(app, world, "provider")
    url = f"/provider/orders/{world.order_id}/gateways"
    page = client.get(url).get_data(as_text=True)
    assert "gateway-form" in page
    assert url in client.get(f"/provider/orders/{world.order_id}/devices").get_data(as_text=True)
    token = csrf_from(page)
    assert client.post(url, data={"name": "NR1"}).status_code == 400  # no CSRF token

    refused = client.post(url, data={"csrf_token": token, "name": "a.b"}, follow_redirects=True)
    assert "gateway name" in refused.get_data(as_text=True)
    created = client.post(
        url, data={"csrf_token": token, "name": "NR1", "kind": "json", "client_suffixes": ".M01, .M02"}
    )
    assert created.status_code == 200
    html = created.get_data(as_text=True)
    password = re.search(r'id="mqtt-password">([^<]+)<', html)
    assert password
    with Session(engine) as session:
        order = session.get(DiagnosisOrder, world.order_id)
        uscc = session.get(Enterprise, order.enterprise_id).uscc  # type: ignore[union-attr]
        [gateway] = session.exec(select(GatewayAccount)).all()
        assert gateway.enterprise_id == order.enterprise_id  # type: ignore[union-attr]
        assert broker_accounts.check_mosquitto_hash(password.group(1), gateway.password_hash)
        assert password.group(1) not in gateway.password_hash
        assert gateway.client_suffixes == [".M01", ".M02"]
    login = f"gw.{uscc}.NR1"
    assert f"{login}.M02" in html and f"plant/{uscc}/+/telemetry" in html
    listing = client.get(url).get_data(as_text=True)
    assert login in listing and password.group(1) not in listing  # the password is shown once only

    # A new password: shown once, the old one no longer matches the hash the broker file is written from.
    rotated = client.post(f"{url}/{gateway.id}/password", data={"csrf_token": token})
    new_password = re.search(r'id="mqtt-password">([^<]+)<', rotated.get_data(as_text=True))
    assert rotated.status_code == 200 and new_password and new_password.group(1) != password.group(1)
    with Session(engine) as session:
        renewed = session.get(GatewayAccount, gateway.id)
        assert broker_accounts.check_mosquitto_hash(new_password.group(1), renewed.password_hash)  # type: ignore[union-attr]
        assert not broker_accounts.check_mosquitto_hash(password.group(1), renewed.password_hash)  # type: ignore[union-attr]

    revoke = f"{url}/{gateway.id}/revoke"
    assert client.post(revoke).status_code == 400  # no CSRF token
    assert client.post(revoke, data={"csrf_token": token}).status_code == 302
    with Session(engine) as session:
        assert session.get(GatewayAccount, gateway.id).revoked_at is not None  # type: ignore[union-attr]
        actions = session.exec(select(AuditLog.action).where(AuditLog.entity == "gateway")).all()
        assert sorted(actions) == ["gateway.create", "gateway.revoke", "gateway.rotate"]
        assert gateway_service.gateway_broker_accounts(session=session) == []
    engine.dispose()


def test_gateway_pages_keep_to_the_providers_own_open_orders(world, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    app, engine = _app(world, tmp_path)
    url = f"/provider/orders/{world.order_id}/gateways"
    for role in ("enterprise", "bureau", "provider_other", "enterprise_other"):
        assert client_as(app, world, role).get(url).status_code in (403, 404), role
    assert client_as(app, world, "anon").get(url).status_code in (302, 401)
    with Session(engine) as session:
        order = session.get(DiagnosisOrder, world.order_id)
        other = session.exec(select(Enterprise).where(Enterprise.id != order.enterprise_id)).first()  # type: ignore[union-attr]
        foreign, _creds = gateway_service.create_gateway(
            session=session,
            actor="test",
            enterprise=other,
            name="THEIRS",  # type: ignore[arg-type]
        )
        session.commit()
        foreign_id = foreign.id
    client = client_as(app, world, "provider")
    page = client.get(url).get_data(as_text=True)
    assert "THEIRS" not in page
    token = csrf_from(page)
    answer = client.post(f"{url}/{foreign_id}/revoke", data={"csrf_token": token}, follow_redirects=True)
    assert "没有这个网关账号" in answer.get_data(as_text=True)  # Chinese first
    with Session(engine) as session:
        assert session.get(GatewayAccount, foreign_id).revoked_at is None  # type: ignore[union-attr]
        order = session.get(DiagnosisOrder, world.order_id)
        order.status = OrderStatus.cancelled  # type: ignore[union-attr]
        session.add(order)
        session.commit()
    assert client.get(url).status_code == 403
    assert client.post(url, data={"csrf_token": token, "name": "LATE"}).status_code == 403
    engine.dispose()


def test_the_plants_engineer_manages_its_own_gateway_accounts(world, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    app, engine = _app(world, tmp_path)
    client = client_as(app, world, "enterprise")
    url = "/enterprise/gateways"
    assert url in client.get("/enterprise/devices").get_data(as_text=True)
    token = csrf_from(client.get(url).get_data(as_text=True))
    assert client.post(url, data={"name": "SPB1"}).status_code == 400  # no CSRF token
    created = client.post(
        url, data={"csrf_token": token, "name": "SPB1", "kind": "sparkplug", "edge_node": "line1"}
    )
    assert created.status_code == 200
    with Session(engine) as session:
        me = session.get(Enterprise, world.enterprise_id)
        [gateway] = session.exec(select(GatewayAccount)).all()
        assert (gateway.enterprise_id, gateway.kind, gateway.edge_node) == (me.id, "sparkplug", "line1")  # type: ignore[union-attr]
        other = session.exec(select(Enterprise).where(Enterprise.id != me.id)).first()  # type: ignore[union-attr]
        foreign, _ = gateway_service.create_gateway(session=session, actor="test", enterprise=other, name="X")  # type: ignore[arg-type]
        session.commit()
        foreign_id, uscc, own_id = foreign.id, me.uscc, gateway.id  # type: ignore[union-attr]
    assert f"spBv1.0/{uscc}/+/line1" in created.get_data(as_text=True)
    listing = client.get(url).get_data(as_text=True)
    assert "SPB1" in listing and ">X<" not in listing  # its own gateways only
    client.post(f"{url}/{foreign_id}/revoke", data={"csrf_token": token})
    assert client.post(f"{url}/{own_id}/revoke", data={"csrf_token": token}).status_code == 302
    with Session(engine) as session:
        assert session.get(GatewayAccount, foreign_id).revoked_at is None  # type: ignore[union-attr]
        assert session.get(GatewayAccount, own_id).revoked_at is not None  # type: ignore[union-attr]
    for role in ("provider", "bureau", "admin", "anon"):
        assert client_as(app, world, role).get(url).status_code in (302, 403), role
    engine.dispose()

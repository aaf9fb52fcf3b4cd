"""The connection check on a phone and a desktop: a message sent while the page is open shows up by itself,
as a reading or as a refusal with its reason, and nothing sticks out of a 390 px screen.
Screenshots: tests/artifacts/screens-connection-check-*.png."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
from sqlmodel import Session

from collectors.payloads import parse_message, telemetry_topic
from collectors.store import Incoming, store_batch
from diagnose.db import make_engine
from diagnose.models import Device, DiagnosisOrder, Enterprise
from tests.e2e.test_screens_walkthrough import DESKTOP, PHONE, login, overflow, shot
from tests.e2e.test_screens_walkthrough import browser as browser  # the module-scoped fixtures
from tests.e2e.test_screens_walkthrough import server as server
from tests.web import world as world_module

pytestmark = [pytest.mark.browser, pytest.mark.slow]


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory, world_copies: world_module.WorldCopies):  # type: ignore[no-untyped-def]
    return world_copies.copy(tmp_path_factory.mktemp("check"))


def _send(world, seq: int, body: bytes | None = None) -> None:  # type: ignore[no-untyped-def]
    """What the collector does with one message of the world's device."""
    engine = make_engine(url=f"sqlite:///{world.db_path}")
    with Session(engine) as session:
        order = session.get(DiagnosisOrder, world.order_id)
        uscc = session.get(Enterprise, order.enterprise_id).uscc  # type: ignore[union-attr]
        device = session.get(Device, world.device_id)
        topic = telemetry_topic(uscc, device.external_id)  # type: ignore[union-attr]
        payload = (
            body
            or json.dumps(
                {"ts": datetime.now(UTC).isoformat(), "seq": seq, "state": "IDLE", "count_total": seq}
            ).encode()
        )
        store_batch(
            session=session,
            items=[Incoming(topic, payload, parse_message(topic, payload))],
            device_ids={(uscc, device.external_id): device.id},  # type: ignore[union-attr,dict-item]
        )
        session.commit()
    engine.dispose()


@pytest.mark.parametrize("viewport", [PHONE, DESKTOP], ids=["390", "desktop"])
def test_a_message_sent_while_the_check_is_open_shows_by_itself(
    server: str, browser, world, viewport
) -> None:  # type: ignore[no-untyped-def]
    seq = 880_000 + viewport["width"]
    provider = login(browser, server, "provider2", viewport)
    provider.goto(f"{server}/provider/orders/{world.order_id}/devices")
    provider.locator("#plant-devices a", has_text="连接检查").first.click()
    provider.wait_for_load_state()
    assert "连接检查" in provider.title()
    _send(world, seq)
    _send(world, 0, b'{"ts": "yesterday", "seq": 1}')
    provider.wait_for_selector(f'#check-received tr[data-seq="{seq}"]', timeout=15_000)
    refused = provider.locator("#check-refused td.dead-reason").first
    refused.wait_for(timeout=15_000)
    assert "时间" in refused.inner_text(), refused.inner_text()  # the reason, in Chinese
    scroll, inner, culprits = overflow(provider)
    assert scroll <= inner, culprits
    shot(provider, "connection-check")


def _edge_gateway(world) -> None:  # type: ignore[no-untyped-def]
    """A Sparkplug gateway account for edge node line1, whose DBIRTH named the world's device."""
    from sqlmodel import select

    from diagnose.models import GatewayAccount
    from diagnose.models.base import utcnow

    engine = make_engine(url=f"sqlite:///{world.db_path}")
    with Session(engine) as session:
        device = session.get(Device, world.device_id)
        assert device is not None
        if session.exec(select(GatewayAccount).where(GatewayAccount.name == "edge1")).first() is None:
            device.edge_node = "line1"
            session.add(device)
            session.add(
                GatewayAccount(
                    enterprise_id=device.enterprise_id,
                    name="edge1",
                    kind="sparkplug",
                    edge_node="line1",
                    password_hash="x",
                    created_at=utcnow(),
                )
            )
            session.commit()
    engine.dispose()


@pytest.mark.parametrize("viewport", [PHONE, DESKTOP], ids=["390", "desktop"])
def test_the_gateway_check_shows_a_message_of_its_device_by_itself(
    server: str, browser, world, viewport
) -> None:  # type: ignore[no-untyped-def]
    _edge_gateway(world)
    seq = 890_000 + viewport["width"]
    provider = login(browser, server, "provider2", viewport)
    provider.goto(f"{server}/provider/orders/{world.order_id}/gateways")
    provider.locator("#gateways tr[data-gateway='edge1'] a", has_text="连接检查").click()
    provider.wait_for_load_state()
    assert "连接检查" in provider.title() and "edge1" in provider.title()
    _send(world, seq)
    provider.wait_for_selector(f'#check-received tr[data-seq="{seq}"]', timeout=15_000)
    scroll, inner, culprits = overflow(provider)
    assert scroll <= inner, culprits
    shot(provider, "gateway-check")

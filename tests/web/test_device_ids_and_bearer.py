"""One device-id grammar that refuses "." and ".." everywhere an id enters, and a case-insensitive bearer scheme."""

from __future__ import annotations

import pydantic
import pytest
from flask import Flask

from diagnose.schemas.devices import DeviceCreate
from diagnose.services.shopfloor import broker_accounts
from tests import factories
from tests.web.test_matrix import TEST_CONFIG
from web import create_app


@pytest.mark.parametrize("bad", [".", "..", "...", "....."])
def test_dot_ids_are_refused_by_the_grammar_the_schemas_and_the_collector(bad: str) -> None:
    from collectors.models import Rejected
    from collectors.payloads import parse_message

    assert not broker_accounts.valid_device_id(bad)
    with pytest.raises(ValueError, match="不能全是点"):
        broker_accounts.check_device_id(bad)
    with pytest.raises(pydantic.ValidationError):
        DeviceCreate(external_id=bad)
    parsed = parse_message(f"plant/{factories.uscc()}/{bad}/telemetry", b'{"ts": 1796000000000, "seq": 1}')
    assert isinstance(parsed, Rejected) and "设备编号" in parsed.reason


@pytest.mark.parametrize("good", ["D01", "a.b", ".hidden", "..a", "line-3:cnc_7", "x" * 64])
def test_ids_with_dots_among_other_characters_stay_valid(good: str) -> None:
    assert broker_accounts.valid_device_id(good)
    assert DeviceCreate(external_id=good).external_id == good


@pytest.fixture(scope="module")
def api_app(world) -> Flask:  # type: ignore[no-untyped-def]
    return create_app(world.settings(), TEST_CONFIG)


@pytest.mark.parametrize("scheme", ["Bearer", "bearer", "BEARER", "bEaReR"])
def test_the_bearer_scheme_is_case_insensitive(api_app: Flask, world, scheme: str) -> None:  # type: ignore[no-untyped-def]
    headers = {"Authorization": f"{scheme} {world.tokens['provider']}"}
    assert api_app.test_client().get("/api/v1/me", headers=headers).status_code == 200


@pytest.mark.parametrize("header", ["Basic abc", "Token x", "bearer", "", "bearer wrong-token"])
def test_anything_else_is_still_refused(api_app: Flask, header: str) -> None:
    assert api_app.test_client().get("/api/v1/me", headers={"Authorization": header}).status_code == 401


@pytest.mark.parametrize("bad", [".", ".."])
def test_the_api_refuses_dot_ids(api_app: Flask, world, bad: str) -> None:  # type: ignore[no-untyped-def]
    response = api_app.test_client().post(
        f"/api/v1/orders/{world.order_id}/devices/import",
        json={"devices": [{"external_id": bad}], "dry_run": True},
        headers={"Authorization": f"bearer {world.tokens['provider']}"},
    )
    assert response.status_code == 422
    assert response.get_json()["field"].startswith("devices")

"""The live connection check a provider and the plant's engineer use on site: one device, or one gateway.

The page shows the device's newest readings and the messages refused with their reasons, and reloads its
own lists every few seconds (the same template, `?part=live`), so what the device just sent shows up while
the engineer is still at the machine, on a phone.
"""

from __future__ import annotations

from typing import TypeVar

from flask import Blueprint, abort, g, render_template, request, url_for
from sqlmodel import select

from diagnose.models import Device, DiagnosisOrder, Enterprise, GatewayAccount, PayloadProfileChoice, Role
from diagnose.services.shopfloor import payload_profiles
from diagnose.services.shopfloor.connection_check import check_device, check_gateway
from web.auth import role_required
from web.db import get_session
from web.scope import get_order_device, get_plant_order

bp = Blueprint("connection_check", __name__)
Owned = TypeVar("Owned", Device, GatewayAccount)
REFRESH_S = 3


def _own(model: type[Owned], row_id: int) -> tuple[Owned, Enterprise]:
    """One of the signed-in enterprise's own devices or gateway accounts, with the enterprise; else 404."""
    db = get_session()
    row = db.get(model, row_id)
    if row is None or row.enterprise_id != g.user.enterprise_id:
        abort(404)
    enterprise = db.get(Enterprise, row.enterprise_id)
    assert enterprise is not None
    return row, enterprise


def _render(*, enterprise: Enterprise, device: Device, back_url: str, order_number: str | None) -> str:
    check = check_device(session=get_session(), device=device, uscc=enterprise.uscc)
    template = (
        "connection_check/live.html" if request.args.get("part") == "live" else "connection_check/page.html"
    )
    return render_template(
        template,
        enterprise=enterprise,
        device=device,
        check=check,
        back_url=back_url,
        order_number=order_number,
        refresh_s=REFRESH_S,
    )


@bp.get("/provider/orders/<int:order_id>/devices/<int:device_id>/check")
@role_required(Role.provider)
def provider_check(order_id: int, device_id: int) -> str:
    """The provider's check of one of the order's plant devices (only while the order is open)."""
    order = get_plant_order(order_id)
    device = get_order_device(order, device_id)
    enterprise = get_session().get(Enterprise, order.enterprise_id)
    assert enterprise is not None
    return _render(
        enterprise=enterprise,
        device=device,
        back_url=url_for("provider.plant_devices", order_id=order.id),
        order_number=order.number,
    )


@bp.get("/enterprise/devices/<int:device_id>/check")
@role_required(Role.enterprise)
def enterprise_check(device_id: int) -> str:
    """The plant engineer's check of one of the enterprise's own devices."""
    device, enterprise = _own(Device, device_id)
    return _render(
        enterprise=enterprise, device=device, back_url=url_for("enterprise.list_devices"), order_number=None
    )


# --- a gateway's check: a gateway account, or a source read by a payload profile ------------------------------


def _render_gateway(
    *,
    enterprise: Enterprise,
    title: str,
    gateway: GatewayAccount | None,
    source: str | None,
    back_url: str,
    order_number: str | None,
) -> str:
    db = get_session()
    from_topic = False
    if source is not None:
        choice = db.exec(
            select(PayloadProfileChoice).where(
                PayloadProfileChoice.enterprise_id == enterprise.id, PayloadProfileChoice.source == source
            )
        ).first()
        if choice is None:
            abort(404)
        from_topic = payload_profiles.profile_of(choice).device.source == "topic"
    check = check_gateway(
        session=db,
        enterprise_id=enterprise.id,  # type: ignore[arg-type]
        uscc=enterprise.uscc,
        gateway=gateway,
        source=source,
        device_from_topic=from_topic,
    )
    template = (
        "connection_check/gateway_live.html"
        if request.args.get("part") == "live"
        else "connection_check/gateway_page.html"
    )
    return render_template(
        template,
        enterprise=enterprise,
        title=title,
        gateway=gateway,
        source=source,
        check=check,
        back_url=back_url,
        order_number=order_number,
        refresh_s=REFRESH_S,
    )


def _order_gateway(order_id: int, gateway_id: int) -> tuple[DiagnosisOrder, Enterprise, GatewayAccount]:
    order = get_plant_order(order_id)
    db = get_session()
    gateway = db.get(GatewayAccount, gateway_id)
    if gateway is None or gateway.enterprise_id != order.enterprise_id:
        abort(404)
    enterprise = db.get(Enterprise, order.enterprise_id)
    assert enterprise is not None
    return order, enterprise, gateway


@bp.get("/provider/orders/<int:order_id>/gateways/<int:gateway_id>/check")
@role_required(Role.provider)
def provider_gateway_check(order_id: int, gateway_id: int) -> str:
    """The provider's check of one of the plant's gateway accounts (only while the order is open)."""
    order, enterprise, gateway = _order_gateway(order_id, gateway_id)
    return _render_gateway(
        enterprise=enterprise,
        title=gateway.name,
        gateway=gateway,
        source=None,
        back_url=url_for("provider.plant_gateways", order_id=order.id),
        order_number=order.number,
    )


@bp.get("/enterprise/gateways/<int:gateway_id>/check")
@role_required(Role.enterprise)
def enterprise_gateway_check(gateway_id: int) -> str:
    """The plant engineer's check of one of the enterprise's gateway accounts."""
    gateway, enterprise = _own(GatewayAccount, gateway_id)
    return _render_gateway(
        enterprise=enterprise,
        title=gateway.name,
        gateway=gateway,
        source=None,
        back_url=url_for("enterprise.list_gateways"),
        order_number=None,
    )


@bp.get("/provider/orders/<int:order_id>/sources/<source>/check")
@role_required(Role.provider)
def provider_source_check(order_id: int, source: str) -> str:
    """The provider's check of a source of the plant read by a payload profile (only while the order is open)."""
    order = get_plant_order(order_id)
    enterprise = get_session().get(Enterprise, order.enterprise_id)
    assert enterprise is not None
    return _render_gateway(
        enterprise=enterprise,
        title=source,
        gateway=None,
        source=source,
        back_url=url_for("plant.payload_profiles", order_id=order.id),
        order_number=order.number,
    )


@bp.get("/enterprise/sources/<source>/check")
@role_required(Role.enterprise)
def enterprise_source_check(source: str) -> str:
    """The plant engineer's check of one of the enterprise's sources read by a payload profile."""
    enterprise = get_session().get(Enterprise, g.user.enterprise_id)
    assert enterprise is not None
    return _render_gateway(
        enterprise=enterprise,
        title=source,
        gateway=None,
        source=source,
        back_url=url_for("enterprise.payload_profiles"),
        order_number=None,
    )

"""The live connection check a provider and the plant's engineer use on site, one device at a time.

The page shows the device's newest readings and the messages refused with their reasons, and reloads its
own lists every few seconds (the same template, `?part=live`), so what the device just sent shows up while
the engineer is still at the machine, on a phone.
"""

from __future__ import annotations

from flask import Blueprint, abort, g, render_template, request, url_for

from diagnose.models import Device, Enterprise
from diagnose.services.connection_check import check_device
from web.auth import role_required
from web.db import get_session
from web.scope import get_order_device, get_plant_order

bp = Blueprint("connection_check", __name__)
REFRESH_S = 3


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
@role_required("provider")
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
@role_required("enterprise")
def enterprise_check(device_id: int) -> str:
    """The plant engineer's check of one of the enterprise's own devices."""
    db = get_session()
    device = db.get(Device, device_id)
    if device is None or device.enterprise_id != g.user.enterprise_id:
        abort(404)
    enterprise = db.get(Enterprise, device.enterprise_id)
    assert enterprise is not None
    return _render(
        enterprise=enterprise, device=device, back_url=url_for("enterprise.list_devices"), order_number=None
    )

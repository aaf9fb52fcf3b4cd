"""The enterprise's own pages: its devices and their live state, and its gateway accounts."""

from __future__ import annotations

from flask import Blueprint, current_app, flash, g, redirect, render_template, url_for
from flask_babel import gettext as _
from werkzeug.wrappers import Response

from diagnose.models import Enterprise, GatewayAccount, Role
from diagnose.services.shopfloor import devices, gateways
from web.auth import role_required
from web.db import get_session
from web.profiles import profiles_page
from web.provider import gateway_form, gateway_rows

bp = Blueprint("enterprise", __name__, url_prefix="/enterprise")


@bp.get("/devices")
@role_required(Role.enterprise)
def list_devices() -> str:
    """The enterprise's device registry with each device's last state and when it was last seen."""
    db = get_session()
    enterprise = db.get(Enterprise, g.user.enterprise_id)
    rows = devices.list_devices(session=db, enterprise_id=g.user.enterprise_id)
    return render_template("enterprise/devices.html", enterprise=enterprise, devices=rows)


@bp.route("/profiles", methods=["GET", "POST"])
@role_required(Role.enterprise)
def payload_profiles() -> str | Response:
    """How the enterprise's gateways' and devices' telemetry is read (payload profiles)."""
    enterprise = get_session().get(Enterprise, g.user.enterprise_id)
    assert enterprise is not None
    return profiles_page(
        enterprise,
        back_url=url_for("enterprise.list_devices"),
        extra={
            "check_url": lambda source: url_for("connection_check.enterprise_source_check", source=source)
        },
    )


@bp.get("/gateways")
@role_required(Role.enterprise)
def list_gateways() -> str:
    """The plant's own gateway accounts (its engineer creates one per gateway or Sparkplug edge node)."""
    db = get_session()
    enterprise = db.get(Enterprise, g.user.enterprise_id)
    rows = gateways.list_gateways(session=db, enterprise_id=g.user.enterprise_id, include_revoked=True)
    return render_template(
        "provider/gateways.html",
        order=None,
        enterprise=enterprise,
        gateways=gateway_rows(rows),
        broker_url=current_app.extensions["diagnose_settings"].mqtt_public_url,
        back_url=url_for("enterprise.list_devices"),
        create_url=url_for("enterprise.create_gateway"),
        revoke_url=lambda gateway_id: url_for("enterprise.revoke_gateway", gateway_id=gateway_id),
        rotate_url=lambda gateway_id: url_for("enterprise.rotate_gateway", gateway_id=gateway_id),
        check_url=lambda gateway_id: url_for(
            "connection_check.enterprise_gateway_check", gateway_id=gateway_id
        ),
    )


@bp.post("/gateways")
@role_required(Role.enterprise)
def create_gateway() -> str | Response:
    """Create one of the plant's gateway accounts; its password is shown once (only its hash is kept)."""
    db = get_session()
    enterprise = db.get(Enterprise, g.user.enterprise_id)
    made = gateway_form(db, g.user, enterprise)  # type: ignore[arg-type]
    if made is None:
        return redirect(url_for("enterprise.list_gateways"))
    gateway, creds = made
    db.commit()
    return render_template(
        "provider/gateway_credentials.html",
        gateway=gateway,
        creds=creds,
        broker_url=current_app.extensions["diagnose_settings"].mqtt_public_url,
        list_url=url_for("enterprise.list_gateways"),
    )


@bp.post("/gateways/<int:gateway_id>/revoke")
@role_required(Role.enterprise)
def revoke_gateway(gateway_id: int) -> Response:
    """Revoke one of the plant's gateway accounts."""
    db = get_session()
    gateway = db.get(GatewayAccount, gateway_id)
    if gateway is None or gateway.enterprise_id != g.user.enterprise_id:  # another enterprise's: not shown
        flash(_("No such gateway account."), "error")
        return redirect(url_for("enterprise.list_gateways"))
    gateways.revoke_gateway(session=db, actor=g.user, gateway=gateway)
    db.commit()
    flash(_("Gateway account revoked. It stops working when the broker's accounts are next written."), "info")
    return redirect(url_for("enterprise.list_gateways"))


@bp.post("/gateways/<int:gateway_id>/password")
@role_required(Role.enterprise)
def rotate_gateway(gateway_id: int) -> str | Response:
    """A new password for one of the plant's gateway accounts, shown once."""
    db = get_session()
    enterprise = db.get(Enterprise, g.user.enterprise_id)
    gateway = db.get(GatewayAccount, gateway_id)
    if gateway is None or gateway.enterprise_id != g.user.enterprise_id or gateway.revoked_at is not None:
        flash(_("No such gateway account."), "error")
        return redirect(url_for("enterprise.list_gateways"))
    creds = gateways.rotate_gateway_password(session=db, actor=g.user, uscc=enterprise.uscc, gateway=gateway)  # type: ignore[union-attr]
    db.commit()
    return render_template(
        "provider/gateway_credentials.html",
        gateway=gateway,
        creds=creds,
        broker_url=current_app.extensions["diagnose_settings"].mqtt_public_url,
        list_url=url_for("enterprise.list_gateways"),
    )

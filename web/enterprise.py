"""The enterprise's own pages: its devices and their live state."""

from __future__ import annotations

from flask import Blueprint, g, render_template, url_for
from werkzeug.wrappers import Response

from diagnose.models import Enterprise
from diagnose.services import devices
from web.auth import role_required
from web.db import get_session
from web.profiles import profiles_page

bp = Blueprint("enterprise", __name__, url_prefix="/enterprise")


@bp.get("/devices")
@role_required("enterprise")
def list_devices() -> str:
    """The enterprise's device registry with each device's last state and when it was last seen."""
    db = get_session()
    enterprise = db.get(Enterprise, g.user.enterprise_id)
    rows = devices.list_devices(session=db, enterprise_id=g.user.enterprise_id)
    return render_template("enterprise/devices.html", enterprise=enterprise, devices=rows)


@bp.route("/profiles", methods=["GET", "POST"])
@role_required("enterprise")
def payload_profiles() -> str | Response:
    """How the enterprise's gateways' and devices' telemetry is read (payload profiles)."""
    enterprise = get_session().get(Enterprise, g.user.enterprise_id)
    assert enterprise is not None
    return profiles_page(enterprise, back_url=url_for("enterprise.list_devices"))

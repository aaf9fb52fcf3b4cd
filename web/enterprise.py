"""The enterprise's own pages: its devices and their live state."""

from __future__ import annotations

from flask import Blueprint, g, render_template

from diagnose.models import Enterprise
from diagnose.services import devices
from web.auth import role_required
from web.db import get_session

bp = Blueprint("enterprise", __name__, url_prefix="/enterprise")


@bp.get("/devices")
@role_required("enterprise")
def list_devices() -> str:
    """The enterprise's device registry with each device's last state and when it was last seen."""
    db = get_session()
    enterprise = db.get(Enterprise, g.user.enterprise_id)
    rows = devices.list_devices(session=db, enterprise_id=g.user.enterprise_id)
    return render_template("enterprise/devices.html", enterprise=enterprise, devices=rows)

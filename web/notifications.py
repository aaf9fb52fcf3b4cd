"""Each user's notifications: what happened on the orders that name them (assigned, returned, accepted, the
report issued, the enterprise's word on the report), newest first; an unread count beside the user's name."""

from __future__ import annotations

from collections.abc import Callable

from flask import Blueprint, flash, g, redirect, render_template, url_for
from flask_babel import gettext as _
from werkzeug.wrappers import Response

from diagnose.services.accounts import notifications
from web.auth import login_required
from web.db import get_session
from web.labels import N_, label_of

bp = Blueprint("notifications", __name__, url_prefix="/notifications")

EVENT_LABELS = {
    "assign": N_("Order %(number)s was assigned to your organisation"),
    "return": N_("Order %(number)s was returned for changes"),
    "accept": N_("Order %(number)s was accepted"),
    "issue": N_("The report of order %(number)s was issued"),
    "accept_report": N_("The enterprise accepted the report of order %(number)s"),
    "dispute_report": N_("The enterprise disputed the report of order %(number)s"),
}


@bp.app_template_filter("notification_text")
def notification_text(item: notifications.Item) -> str:
    """The sentence for one notification, in the reader's language."""
    return label_of(EVENT_LABELS)(item.notification.event).replace("%(number)s", item.order_number or "—")


@bp.app_context_processor
def _unread() -> dict[str, Callable[[], int]]:
    def count() -> int:
        user = g.get("user")
        return notifications.unread_count(session=get_session(), user=user) if user is not None else 0

    return {"unread_notifications": count}


@bp.get("")
@login_required
def index() -> str:
    """The user's notifications (only their own), newest first."""
    items = notifications.list_for(session=get_session(), user=g.user)
    return render_template("notifications/index.html", items=items)


@bp.post("/read")
@login_required
def mark_read() -> Response:
    """Mark all the user's notifications read."""
    db = get_session()
    notifications.mark_read(session=db, user=g.user)
    db.commit()
    flash(_("All marked as read."), "ok")
    return redirect(url_for("notifications.index"))

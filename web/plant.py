"""The provider's plant review on site: pending devices confirmed or rejected in bulk, and the dead letters of
the enterprise's topics with their reasons, replayed on request.

Replaying parses stored MQTT payloads, which is the collectors' job; the web package may not import them, so
the composition root hands the app a replay function (`create_app(..., replay=collectors.replay.replay)`).
Without one, the page says how to replay from the command line.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from flask import Blueprint, current_app, flash, g, redirect, render_template, url_for
from flask_babel import gettext as _
from werkzeug.wrappers import Response

from diagnose import topics
from diagnose.models import DeadLetter, Enterprise, Role
from diagnose.schemas.devices import DeadLetterReplay, DeviceReview
from diagnose.services.accounts.orgs import ValidationError
from diagnose.services.shopfloor import device_review
from web.auth import role_required
from web.db import get_session
from web.forms import FormError, parse_form
from web.messages import not_saved
from web.profiles import profiles_page
from web.scope import get_order, guard_plant

bp = Blueprint("plant", __name__, url_prefix="/provider/orders/<int:order_id>")
guard_plant(bp)  # the plant of the order: only while the order is open
Replayer = Callable[..., Any]  # (session=, letters=, max_payload_bytes=) → report with .replayed/.inserted


def _replayer() -> Replayer | None:
    return current_app.extensions.get("diagnose_replay")


def _replay(letters: Sequence[DeadLetter]) -> str:
    """Replay these dead letters (caller commits) and say what happened, in words."""
    replay = _replayer()
    if replay is None:
        return _("Replay runs in the collector: diagnose deadletters replay --all")
    settings = current_app.extensions["diagnose_settings"]
    report = replay(session=get_session(), letters=letters, max_payload_bytes=settings.max_payload_bytes)
    return _(
        "Replayed %(replayed)s of %(total)s messages (%(inserted)s new readings stored); %(failing)s still unusable.",
        replayed=report.replayed,
        total=len(letters),
        inserted=report.inserted,
        failing=len(report.still_failing),
    )


@bp.get("/dead-letters")
@role_required(Role.provider)
def dead_letters(order_id: int) -> str:
    """The plant's messages the collector could not use, newest first, with the reason for each."""
    order = get_order(order_id)
    db = get_session()
    enterprise = db.get(Enterprise, order.enterprise_id)
    return render_template(
        "provider/dead_letters.html",
        order=order,
        enterprise=enterprise,
        letters=device_review.dead_letters(session=db, enterprise=enterprise),  # type: ignore[arg-type]
        counts=device_review.dead_letter_counts(session=db, enterprise=enterprise),  # type: ignore[arg-type]
        can_replay=_replayer() is not None,
    )


@bp.post("/dead-letters/replay")
@role_required(Role.provider)
def replay_dead_letters(order_id: int) -> Response:
    """Replay the chosen dead letters (or all of the plant's) into telemetry."""
    order = get_order(order_id)
    db = get_session()
    enterprise = db.get(Enterprise, order.enterprise_id)
    try:
        chosen = parse_form(DeadLetterReplay)
    except FormError as exc:
        flash(not_saved(exc), "error")
        return redirect(url_for("plant.dead_letters", order_id=order_id))
    if chosen.all:
        letters = list(reversed(device_review.dead_letters(session=db, enterprise=enterprise)))  # type: ignore[arg-type]
    else:
        letters = device_review.dead_letters_by_id(session=db, enterprise=enterprise, ids=chosen.letter_id)  # type: ignore[arg-type]
    if not letters:
        flash(_("Choose at least one message."), "error")
        return redirect(url_for("plant.dead_letters", order_id=order_id))
    message = _replay(letters)
    db.commit()
    flash(message, "ok")
    return redirect(url_for("plant.dead_letters", order_id=order_id))


@bp.post("/devices/review")
@role_required(Role.provider)
def review_devices(order_id: int) -> Response:
    """Confirm or reject the chosen pending devices; a confirmation replays what they sent meanwhile."""
    order = get_order(order_id)
    db = get_session()
    try:
        review = parse_form(DeviceReview)
        rows = device_review.review_devices(
            session=db,
            actor=g.user,
            enterprise_id=order.enterprise_id,
            device_ids=review.device_id,
            decision=review.decision,
            reason=review.reason,
        )
    except ValidationError as exc:
        db.rollback()
        flash(not_saved(exc), "error")
        return redirect(url_for("provider.plant_devices", order_id=order_id))
    message = (
        _("%(n)s devices confirmed.", n=len(rows))
        if review.decision == "confirm"
        else _("%(n)s devices rejected.", n=len(rows))
    )
    if review.decision == "confirm" and _replayer() is not None:
        enterprise = db.get(Enterprise, order.enterprise_id)
        names = {d.external_id for d in rows}
        letters = [
            letter
            for letter in reversed(
                device_review.dead_letters(session=db, enterprise=enterprise, limit=10_000)
            )  # type: ignore[arg-type]
            if topics.scope_and_device(letter.topic)[1] in names
            or (letter.held or {}).get("device_id") in names  # a gateway's message, under a profile
        ]
        if letters:
            message += " " + _replay(letters)
    db.commit()
    flash(message, "ok")
    return redirect(url_for("provider.plant_devices", order_id=order_id))


@bp.route("/profiles", methods=["GET", "POST"])
@role_required(Role.provider)
def payload_profiles(order_id: int) -> str | Response:
    """How the plant's gateways' and devices' telemetry is read (payload profiles), set on site."""
    order = get_order(order_id)
    enterprise = get_session().get(Enterprise, order.enterprise_id)
    assert enterprise is not None
    return profiles_page(
        enterprise,
        back_url=url_for("provider.plant_devices", order_id=order_id),
        extra={
            "order": order,
            "check_url": lambda source: url_for(
                "connection_check.provider_source_check", order_id=order_id, source=source
            ),
        },
    )

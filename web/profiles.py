"""The payload-profile page, shared by the plant (`/enterprise/profiles`) and its provider (the order's plant):
which profile reads each gateway's or device's telemetry, a custom profile pasted as JSON, and a sample message
tried before anything is saved. The routes (with their role and tenant checks) are in web/enterprise.py and
web/plant.py; CSRF is the app's."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from flask import flash, g, redirect, render_template, request
from flask_babel import gettext as _
from werkzeug.wrappers import Response

from diagnose.models import Enterprise
from diagnose.payload_profiles import ProfileError, Record, builtins
from diagnose.schemas.devices import ProfileForm
from diagnose.services.shopfloor import payload_profiles
from web.db import get_session
from web.forms import FormError, parse_form, typed


def profiles_page(
    enterprise: Enterprise, *, back_url: str, extra: dict[str, Any] | None = None
) -> str | Response:
    """GET: the choices and the form. POST: preview, save or remove (the caller checked role and tenant)."""
    db = get_session()
    problems: list[str] = []
    preview: list[dict[str, Any]] | None = None
    try:
        form = (
            parse_form(ProfileForm).model_dump() if request.method == "POST" else ProfileForm().model_dump()
        )
    except FormError as exc:
        form, problems = {**ProfileForm().model_dump(), **typed()}, [e.message for e in exc.shown]
    if request.method == "POST" and not problems:
        try:
            if form["action"] == "remove":
                removed = payload_profiles.remove(
                    session=db, enterprise=enterprise, source=form["source"].strip(), actor=g.user
                )
                db.commit()
                flash(_("%(source)s is read as flat JSON again.", source=form["source"]) if removed
                      else _("%(source)s had no profile.", source=form["source"]), "ok")  # fmt: skip
                return redirect(request.path)
            source = payload_profiles.check_source(form["source"])
            profile, _data = payload_profiles.resolve(form["profile"], form["spec"] or None)
            if form["sample"].strip():
                items = payload_profiles.preview(
                    profile=profile, sample=form["sample"].encode(), uscc=enterprise.uscc, source=source
                )
                preview = [_shown(item) for item in items]
            if form["action"] == "save":
                payload_profiles.choose(
                    session=db,
                    enterprise=enterprise,
                    source=source,
                    profile=form["profile"],
                    spec=form["spec"] or None,
                    actor=g.user,
                )
                db.commit()
                flash(
                    _("Saved: %(source)s is read with %(profile)s.", source=source, profile=form["profile"]),
                    "ok",
                )
                return redirect(request.path)
        except ProfileError as exc:
            db.rollback()
            problems = exc.problems
    return render_template(
        "profiles.html",
        enterprise=enterprise,
        choices=payload_profiles.choices(session=db, enterprise_id=enterprise.id),  # type: ignore[arg-type]
        builtins=sorted(builtins().items()),
        form=form,
        problems=problems,
        preview=preview,
        back_url=back_url,
        **(extra or {}),
    )


def _shown(item: Any) -> dict[str, Any]:
    if not isinstance(item, Record):
        return {"refused": item.reason}
    skip = ("uscc", "device_id", "seq", "ts", "metrics", "attributes")
    values = {k: v for k, v in asdict(item).items() if v is not None and k not in skip}
    return {"ts": item.ts, "device": item.device_id, "values": {**values, **item.metrics, **item.attributes}}

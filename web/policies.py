"""Policy versions for the admin and bureaus: import a policy file with its source text, review the diff, publish."""

from __future__ import annotations

from flask import Blueprint, abort, current_app, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from werkzeug.wrappers import Response

from diagnose.models import PolicyVersion, Role
from diagnose.models.base import utcnow
from diagnose.services.accounts.orgs import ValidationError
from diagnose.services.diagnosis import policy_store
from diagnose.services.shopfloor import import_files
from diagnose.services.shopfloor.import_files import ImportLimits
from scoring.china_time import china_today
from scoring.subsidy import load_catalogue
from web.auth import role_required
from web.db import get_session
from web.messages import reason_text

bp = Blueprint("policies", __name__, url_prefix="/policies")


def _visible(rows: list[PolicyVersion]) -> list[PolicyVersion]:
    """A bureau sees the versions of its own regions; the admin sees all."""
    if g.user.role == Role.admin:
        return rows
    region = policy_store.bureau_region(session=get_session(), actor=g.user)
    regions = load_catalogue()
    return [r for r in rows if region is None or regions.is_under(r.region_code, region)]


@bp.get("/")
@role_required(Role.admin, Role.bureau)
def index() -> str:
    """The catalogue in force (shipped and published versions): each policy's title, 文号, issuer, validity and
    whether it is in force today; and every stored version."""
    db = get_session()
    catalogue = policy_store.catalogue(session=db)
    return render_template(
        "policies/index.html",
        catalogue=catalogue,
        in_force=policy_store.policy_rows(catalogue, china_today(utcnow())),
        region_names={code: r.name_zh for code, r in catalogue.regions.items()},
        versions=_visible(policy_store.versions(session=db)),
    )


def _upload(name: str) -> bytes:
    upload = request.files.get(name)
    if upload is None or not upload.filename:
        raise ValidationError(name, "choose_file")
    limits = ImportLimits.of(current_app.extensions["diagnose_settings"])
    data = upload.read(limits.max_bytes + 1)  # never more than the cap is read
    import_files.check_size(data, limits, name)
    return data


def _text(name: str) -> str:
    try:
        return _upload(name).decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ValidationError(name, "utf8") from None


@bp.post("/import")
@role_required(Role.admin, Role.bureau)
def import_version() -> Response:
    """Validate the uploaded policy file against the schema and its source text; store a draft."""
    db = get_session()
    try:
        document = import_files.load_json(_text("policy_file"), "policy_file")
        found = policy_store.import_draft(
            session=db, actor=g.user, document=document, source_text=_text("source_file")
        )
    except ValidationError as exc:
        db.rollback()
        flash(_("Refused: %(reason)s", reason=reason_text(exc)), "error")
        return redirect(url_for("policies.index"))
    db.commit()
    flash(_("Draft stored. Review the changes before publishing."), "ok")
    return redirect(url_for("policies.show", version_id=found.draft.id))


@bp.get("/<int:version_id>")
@role_required(Role.admin, Role.bureau)
def show(version_id: int) -> str:
    """One version: window, jurisdiction, clauses and the diff against what is in force."""
    db = get_session()
    try:
        row = policy_store.get_version(session=db, version_id=version_id, actor=g.user)
    except ValidationError:
        abort(404)
    return render_template("policies/show.html", row=row, preview=policy_store.preview(session=db, draft=row))


@bp.post("/<int:version_id>/publish")
@role_required(Role.admin, Role.bureau)
def publish(version_id: int) -> Response:
    """Put a draft in force (the version it replaces is kept as superseded)."""
    db = get_session()
    try:
        policy_store.get_version(session=db, version_id=version_id, actor=g.user)
    except ValidationError:
        abort(404)
    try:
        row = policy_store.publish(session=db, actor=g.user, version_id=version_id)
    except ValidationError as exc:
        db.rollback()
        flash(_("Refused: %(reason)s", reason=reason_text(exc)), "error")
        return redirect(url_for("policies.show", version_id=version_id))
    db.commit()
    flash(_("Published %(policy)s version %(version)s.", policy=row.policy_id, version=row.version), "ok")
    return redirect(url_for("policies.show", version_id=version_id))

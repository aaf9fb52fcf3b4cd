"""The SME digital-level index in force, and its corrected versions (《中小企业数字化水平评测指标》): a bureau uploads
one, reviews what it changes and publishes it; the admin reads. Docs: docs/scoring.md, "Corrected versions of
the index"."""

from __future__ import annotations

from flask import Blueprint, abort, flash, g, redirect, render_template, url_for
from flask_babel import gettext as _
from werkzeug.wrappers import Response

from diagnose.models import Role, User
from diagnose.schemas.errors import FieldError
from diagnose.schemas.sme import SmeIndexUploadForm
from diagnose.services.diagnosis import sme_index
from web.auth import role_required
from web.db import get_session
from web.forms import parse_form, refuse

bp = Blueprint("sme_index", __name__, url_prefix="/bureau/sme-index")


def _names(ids: set[int | None]) -> dict[int, str]:
    """Who uploaded or published: {user id: 姓名 (username)}."""
    db = get_session()
    found: dict[int, str] = {}
    for user_id in ids:
        user = db.get(User, user_id) if user_id is not None else None
        if user is not None and user.id is not None:
            found[user.id] = user.full_name or user.username
    return found


@bp.get("/")
@role_required(Role.admin, Role.bureau)
def index() -> str:
    """The index in force (packaged or published, with its citation and the notice for unconfirmed parts),
    the upload form (bureaus) and every stored version."""
    db = get_session()
    history = sme_index.history(session=db)
    rows = [row for row, _standing in history]
    return render_template(
        "sme_index/index.html",
        current=sme_index.in_force(db),
        current_row=sme_index.in_force_row(session=db),
        history=history,
        names=_names({r.uploaded_by for r in rows} | {r.published_by for r in rows}),
        can_write=g.user.role == Role.bureau,
        max_kb=sme_index.MAX_INDEX_BYTES // 1024,
    )


@bp.post("/upload")
@role_required(Role.bureau)
def upload() -> Response:
    """Validate the uploaded index against the one in force and store it as a draft (refused: nothing stored)."""
    db = get_session()
    try:
        form = parse_form(
            SmeIndexUploadForm
        )  # the request is capped by MAX_CONTENT_LENGTH; the service, more
        found = sme_index.upload(session=db, actor=g.user, raw_bytes=form.file.data, note=form.note)
    except FieldError as exc:
        refuse(exc)
        return redirect(url_for("sme_index.index"))
    db.commit()
    flash(_("Draft stored. Review the changes before publishing."), "ok")
    return redirect(url_for("sme_index.show", version_id=found.row.id))


@bp.get("/<int:version_id>")
@role_required(Role.admin, Role.bureau)
def show(version_id: int) -> str:
    """One stored version: its note, who loaded it, and its changes against the index in force."""
    db = get_session()
    try:
        row = sme_index.get_version(session=db, version_id=version_id)
    except FieldError:
        abort(404)
    return render_template(
        "sme_index/show.html",
        row=row,
        preview=sme_index.preview(session=db, row=row),
        names=_names({row.uploaded_by, row.published_by}),
        can_write=g.user.role == Role.bureau,
    )


@bp.post("/<int:version_id>/publish")
@role_required(Role.bureau)
def publish(version_id: int) -> Response:
    """Put a draft in force: new SME ratings use it; ratings already made keep their version."""
    db = get_session()
    try:
        sme_index.get_version(session=db, version_id=version_id)
    except FieldError:
        abort(404)
    try:
        row = sme_index.publish(session=db, actor=g.user, version_id=version_id)
    except FieldError as exc:
        refuse(exc)
        return redirect(url_for("sme_index.show", version_id=version_id))
    db.commit()
    flash(_("Published SME index version %(version)s: new ratings use it.", version=row.version), "ok")
    return redirect(url_for("sme_index.index"))

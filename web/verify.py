"""The public report verification page: no login; says issued / altered / unknown, and little else.

A reader of a printed report scans its QR code (`/v/<number>-v<N>/<hash>`) or types the report number and
hash, or uploads the file. The page shows no more than the report number, the enterprise's name, the issue
date and the maturity level, and only for an issued report; it is rate-limited per client address.
"""

from __future__ import annotations

from flask import Blueprint, current_app, render_template, request
from flask_babel import gettext as _

import reports
from web.db import get_session
from web.extensions import csrf, limiter

bp = Blueprint("verify", __name__)


def _limit() -> str:
    return current_app.extensions["diagnose_settings"].verify_rate_limit  # type: ignore[no-any-return]


def _page(result: reports.PublicVerdict | None, status: int = 200, error: str = "") -> tuple[str, int]:
    return render_template("verify.html", result=result, error=error), status


@bp.get("/v/<reference>/<digest>")
@limiter.limit(_limit)
def by_link(reference: str, digest: str) -> tuple[str, int]:
    """The QR code's target: the report reference and the first characters of its hash."""
    result = reports.verify_reference(session=get_session(), reference=reference, digest=digest)
    return _page(result)


@bp.route("/verify", methods=["GET", "POST"])
@limiter.limit(_limit, methods=["POST"])
@csrf.exempt
def check() -> tuple[str, int]:
    """A form: the report number and hash as printed, or the file itself."""
    if request.method == "GET":
        return _page(None)
    upload = request.files.get("file")
    if upload is not None and upload.filename:
        try:
            body = upload.read()
        finally:
            upload.close()
        return _page(reports.verify_file(session=get_session(), pdf=body))
    reference = request.form.get("reference", "").strip()
    digest = request.form.get("digest", "").strip()
    if not reference or not digest:
        return _page(None, 400, _("Give the report number and hash as printed, or upload the file."))
    return _page(reports.verify_reference(session=get_session(), reference=reference, digest=digest))
